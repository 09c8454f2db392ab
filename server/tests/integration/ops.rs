//! Issue 16, operations: `/healthz`, `/readyz` (database, migrations, jobs,
//! shutdown), event streams that end when the server shuts down, JSON logs.
#![allow(clippy::unwrap_used)] // a failing unwrap is a failing test

use std::process::{Command, Stdio};
use std::time::Duration;

use futures::StreamExt;
use sea_orm::ConnectionTrait;
use serde_json::Value;

use domain::Role;

use crate::helpers::{Browser, TestApp};

async fn ready(app: &TestApp) -> (u16, Value) {
    let res = app.http.get(app.url("/readyz")).send().await.unwrap();
    let status = res.status().as_u16();
    assert_eq!(res.headers()["cache-control"], "no-store");
    (status, res.json().await.unwrap())
}

async fn exec(app: &TestApp, sql: &str) {
    app.db
        .execute_raw(sea_orm::Statement::from_string(app.db.get_database_backend(), sql.to_string()))
        .await
        .unwrap();
}

async fn health_and_readiness_name_what_is_wrong(app: TestApp) {
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "ok");

    // Ready: the database answers, every migration applied; no jobs in a test server.
    let (status, body) = ready(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(body["checks"]["migrations"], "ok");
    assert_eq!(body["checks"]["jobs"], "off");
    assert_eq!(body["checks"]["shutdown"], "no");

    // Jobs that stop finishing runs make the server not ready; a run makes it ready again.
    app.state.jobs.started(Duration::from_secs(60), app.now());
    assert_eq!(ready(&app).await.1["checks"]["jobs"], "ok");
    app.advance(chrono::Duration::minutes(10));
    assert_eq!(ready(&app).await.0, 200, "10 minutes without a run is not stuck yet");
    app.state.jobs.beat(0, app.now());
    app.advance(chrono::Duration::minutes(8));
    let (status, body) = ready(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "not_ready");
    let jobs = body["checks"]["jobs"].as_str().unwrap();
    assert!(
        jobs.starts_with("stuck") && jobs.contains("SMS, exchange") && !jobs.contains("rollups"),
        "{jobs}"
    );
    app.state.jobs.beat(1, app.now());
    assert_eq!(ready(&app).await.0, 200);

    // A migration not applied (a database older than the server): 503 naming it.
    let last = app.scalar("SELECT MAX(version) AS v FROM seaql_migrations").await.unwrap();
    let applied = app
        .scalar(&format!(
            "SELECT CAST(applied_at AS TEXT) AS v FROM seaql_migrations WHERE version = '{last}'"
        ))
        .await
        .unwrap();
    exec(&app, &format!("DELETE FROM seaql_migrations WHERE version = '{last}'")).await;
    let (status, body) = ready(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["checks"]["migrations"], "1 pending: run `haocha migrate`");
    exec(
        &app,
        &format!("INSERT INTO seaql_migrations (version, applied_at) VALUES ('{last}', {applied})"),
    )
    .await;
    assert_eq!(ready(&app).await.0, 200);

    // Not business API: not in the OpenAPI document.
    let doc = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!doc.contains("healthz") && !doc.contains("readyz"));

    // Shutting down: not ready, so the balancer sends traffic elsewhere.
    app.state.stop();
    let (status, body) = ready(&app).await;
    assert_eq!(status, 503);
    assert_eq!(body["checks"]["shutdown"], "shutting down");
    assert_eq!(app.http.get(app.url("/healthz")).send().await.unwrap().status(), 200);
}

/// A window screen's event stream ends as soon as the server begins to shut
/// down (the screen reconnects, behind nginx to the other server), instead of
/// holding the exit for 30 s.
async fn event_streams_end_when_the_server_shuts_down(app: TestApp) {
    let admin = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), "ops1").await;
    let code = crate::devices::pairing_code(&admin, "W01").await;
    let screen = Browser::new(&app.base);
    assert_eq!(screen.post_raw("/device/pair", &[("code", &code), ("for", "screen")]).await.0, 303);
    let res = screen.http.get(app.url("/w/W01/events")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let mut stream = res.bytes_stream();
    let first = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("first event");
    assert!(first.is_some());
    // Still open a second later: nothing changed, nothing sent, not ended.
    assert!(tokio::time::timeout(Duration::from_millis(1200), stream.next()).await.is_err());
    let asked = std::time::Instant::now();
    app.state.stop();
    loop {
        match tokio::time::timeout(Duration::from_secs(3), stream.next()).await {
            Ok(None) | Ok(Some(Err(_))) => break,
            Ok(Some(Ok(_))) => continue,
            Err(_) => panic!("the event stream did not end within 3 s of the shutdown"),
        }
    }
    assert!(asked.elapsed() < Duration::from_secs(2), "ended in {:?}", asked.elapsed());
}

/// A page reads beside a write that is still open: on SQLite the writer has
/// one connection, and before the read pool `/open` waited for it (10 s and a
/// 500 while a long write held it).
async fn pages_read_while_a_write_transaction_is_open(app: TestApp) {
    use sea_orm::TransactionTrait;
    let txn = app.db.begin().await.unwrap();
    txn.execute_raw(sea_orm::Statement::from_string(
        app.db.get_database_backend(),
        "UPDATE hall SET name = name".to_string(),
    ))
    .await
    .unwrap();
    for path in ["/open", "/open?region=210100"] {
        let asked = std::time::Instant::now();
        let res = app
            .http
            .get(app.url(path))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path} while a write is open: {e}"));
        assert_eq!(res.status(), 200, "{path}");
        assert!(res.text().await.unwrap().contains("沈阳"), "{path}");
        assert!(asked.elapsed() < Duration::from_secs(2), "{path}: {:?}", asked.elapsed());
    }
    txn.rollback().await.unwrap();
}

crate::on_both_databases!(
    health_and_readiness_name_what_is_wrong,
    event_streams_end_when_the_server_shuts_down,
    pages_read_while_a_write_transaction_is_open,
    metrics_need_the_token_and_count_requests_ratings_and_outboxes,
);

/// `GET /metrics`: only with `HAOCHA_METRICS_TOKEN`; request latency by
/// matched route (never the path, which may carry a rating token), ratings by
/// channel and level, outbox depth, pool connections, open streams.
async fn metrics_need_the_token_and_count_requests_ratings_and_outboxes(app: TestApp) {
    let get = |auth: Option<&'static str>| {
        let mut req = app.http.get(app.url("/metrics"));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        req.send()
    };
    assert_eq!(get(None).await.unwrap().status(), 401);
    assert_eq!(get(Some("Bearer not-the-metrics-token")).await.unwrap().status(), 401);

    let case = app.report_case("MET-1", "W01", Some("S1001")).await;
    let url = case["rating_url"].as_str().unwrap();
    let token = url.rsplit('/').next().unwrap();
    let (status, _) = app.post_form(url, &[("level", "satisfied"), ("tags", "attitude")]).await;
    assert_eq!(status, 201);

    let auth: &'static str = Box::leak(format!("Bearer {}", crate::helpers::METRICS_TOKEN).into_boxed_str());
    let res = get(Some(auth)).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let body = res.text().await.unwrap();
    let value = |line_start: &str| -> f64 {
        body.lines()
            .find(|l| l.starts_with(line_start))
            .unwrap_or_else(|| panic!("`{line_start}` in {body}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(
        value(r#"haocha_http_request_duration_seconds_count{route="/api/v1/cases",method="POST",status="2xx"}"#),
        1.0
    );
    assert_eq!(
        value(r#"haocha_http_request_duration_seconds_count{route="/r/{token}",method="POST",status="2xx"}"#),
        1.0,
        "by route pattern"
    );
    assert!(!body.contains(token), "never a rating link's token");
    assert!(value(r#"haocha_ratings_total{channel="dynamic_qr",level="satisfied"}"#) >= 1.0);
    // The rating waits for the provincial platform (no URL set in the tests).
    assert!(value(r#"haocha_outbox_pending{outbox="exchange"}"#) >= 1.0);
    assert_eq!(value(r#"haocha_outbox_pending{outbox="sms"}"#), 0.0);
    let max = value(r#"haocha_db_connections{pool="writer",state="max"}"#);
    assert!(max == 1.0 || max == 16.0, "SQLite's one writer, PostgreSQL's pool of 16: {max}");
    assert_eq!(value("haocha_event_streams_open "), 0.0);
    assert!(body.trim_end().ends_with("# EOF"));
}

/// Without `HAOCHA_METRICS_TOKEN`, `/metrics` is not there at all.
#[tokio::test]
async fn metrics_are_off_without_a_token() {
    let app = TestApp::start_with(crate::helpers::Backend::Sqlite, |c| c.metrics_token = None).await;
    let res = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 404);
}

/// `HAOCHA_LOG_FORMAT=json`: every log line is one JSON object; an unknown
/// format is refused at start with a clear message.
#[tokio::test]
async fn logs_are_json_lines_when_asked() {
    let dir = std::env::temp_dir().join(format!("haocha_logs_{}", store::random_token(6)));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/logs.db?mode=rwc", dir.display());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let serve = |format: &str| {
        Command::new(env!("CARGO_BIN_EXE_haocha"))
            .arg("serve")
            .env("HAOCHA_DATABASE_URL", &url)
            .env("HAOCHA_ADDR", &addr)
            .env("HAOCHA_PUBLIC_URL", format!("http://{addr}"))
            .env("HAOCHA_DATA_KEY", crate::helpers::TEST_DATA_KEY)
            .env("HAOCHA_LOG_FORMAT", format)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let out = serve("xml").wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("HAOCHA_LOG_FORMAT `xml` must be `text` or `json`"));

    let child = serve("json");
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..200 {
        if http
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "server up");
    assert_eq!(http.get(format!("http://{addr}/readyz")).send().await.unwrap().status(), 200);
    // SIGTERM: a graceful stop, quickly (no stream holds it).
    let t = std::time::Instant::now();
    Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(10), "stopped in {:?}", t.elapsed());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut json_lines = 0;
    for line in stderr.lines().filter(|l| l.starts_with('{')) {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v["timestamp"].is_string() && v["level"].is_string(), "{line}");
        json_lines += 1;
    }
    assert!(json_lines >= 2, "request logs as JSON: {stderr}");
    // Everything tracing writes is JSON; only the plain start/stop banners are not.
    for line in stderr.lines().filter(|l| !l.starts_with('{')) {
        assert!(line.starts_with("haocha"), "a log line that is not JSON: {line}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Static files precompressed at build time are sent as they are (with
/// `Content-Encoding`), not compressed again per request; a `.br` older than
/// its file (a build without `scripts/precompress.sh`) is removed at start.
#[tokio::test]
async fn precompressed_static_files_are_sent_as_they_are() {
    let site = std::env::temp_dir().join(format!("haocha_site_{}", store::random_token(8).to_lowercase()));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    let js = "console.log('haocha');\n".repeat(200);
    std::fs::write(site.join("pkg/fresh.js"), &js).unwrap();
    std::fs::write(site.join("pkg/stale.js.br"), b"stale brotli").unwrap();
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(site.join("pkg/stale.js"), &js).unwrap();
    std::fs::write(site.join("pkg/fresh.js.br"), b"precompressed brotli").unwrap();
    std::fs::write(site.join("pkg/fresh.js.gz"), b"precompressed gzip").unwrap();
    // A page: never sent precompressed (its inline scripts are hashed into its policy).
    std::fs::write(
        site.join("pkg/start.html"),
        "<!DOCTYPE html><p>k</p><script type=\"module\">init()</script>",
    )
    .unwrap();
    std::fs::write(site.join("pkg/start.html.br"), b"a compressed page").unwrap();
    let root = site.clone();
    let app = TestApp::start_with(crate::helpers::Backend::Sqlite, move |c| c.site_root = root).await;

    let get = |path: &'static str, enc: &'static str| app.http.get(app.url(path)).header("accept-encoding", enc).send();
    let res = get("/pkg/fresh.js", "br").await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "br");
    assert_eq!(
        res.bytes().await.unwrap().as_ref(),
        b"precompressed brotli",
        "the build's file, as it is"
    );
    let res = get("/pkg/fresh.js", "gzip").await.unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"precompressed gzip");
    let res = get("/pkg/fresh.js", "identity").await.unwrap();
    assert!(res.headers().get("content-encoding").is_none());
    assert_eq!(res.text().await.unwrap(), js);

    assert!(!site.join("pkg/stale.js.br").exists(), "an outdated .br is removed at start");
    assert!(!site.join("pkg/start.html.br").exists(), "a page's .br is removed at start");
    let res = get("/pkg/start.html", "br").await.unwrap();
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("'sha256-"), "its inline script is allowed by hash: {csp}");
    let res = get("/pkg/stale.js", "br").await.unwrap();
    assert_eq!(res.status(), 200);
    let body = res.bytes().await.unwrap();
    assert_ne!(body.as_ref(), b"stale brotli", "never the outdated file");
    let _ = std::fs::remove_dir_all(&site);
}

/// Issue 16: the site's files answer under content-hashed names, cached for a
/// year; the plain names still answer, revalidated; a name of another build is 404.
#[tokio::test]
async fn static_files_have_content_hashed_names_cached_for_a_year() {
    let site = std::env::temp_dir().join(format!("haocha_site_{}", store::random_token(8).to_lowercase()));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    let js = "export default function init() {}\n".repeat(100);
    std::fs::write(site.join("pkg/haocha.js"), &js).unwrap();
    std::fs::write(site.join("pkg/haocha.js.br"), b"precompressed brotli").unwrap();
    std::fs::write(site.join("pkg/haocha.wasm"), b"\0asm wasm bytes").unwrap();
    std::fs::write(site.join("admin.css"), "body{color:black}").unwrap();
    let root = site.clone();
    let app = TestApp::start_with(crate::helpers::Backend::Sqlite, move |c| c.site_root = root).await;
    let names = app.state.assets.names();
    let output = app.state.leptos.output_name.to_string();
    assert!(output.starts_with("haocha.") && output.len() == "haocha.".len() + 16, "{output}");
    assert_eq!(
        names["/pkg/haocha.js"],
        format!("/pkg/{output}.js"),
        "the name Leptos' hydration script asks for"
    );
    assert_eq!(names["/pkg/haocha.wasm"], format!("/pkg/{output}.wasm"));

    let get = |path: String, enc: &'static str| app.http.get(app.url(&path)).header("accept-encoding", enc).send();
    let res = get(names["/pkg/haocha.js"].clone(), "identity").await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert!(res.headers()["content-type"].to_str().unwrap().contains("javascript"));
    assert_eq!(res.text().await.unwrap(), js);
    let res = get(names["/pkg/haocha.js"].clone(), "br").await.unwrap();
    assert_eq!(
        res.headers()["content-encoding"],
        "br",
        "the precompressed file under the hashed name"
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"precompressed brotli");
    let css = names["/admin.css"].clone();
    assert!(css.starts_with("/admin.") && css.ends_with(".css"), "{css}");
    let res = get(css, "identity").await.unwrap();
    assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(res.text().await.unwrap(), "body{color:black}");

    let res = get("/admin.css".into(), "identity").await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-cache", "a plain name is revalidated");
    assert!(res.headers().contains_key("last-modified"));
    let res = get("/pkg/haocha.0123456789abcdef.js".into(), "identity").await.unwrap();
    assert_eq!(res.status(), 404, "another build's name");
    let _ = std::fs::remove_dir_all(&site);
}
