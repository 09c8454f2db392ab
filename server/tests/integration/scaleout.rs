//! Issue 16, two servers, one database: two `haocha serve` processes on one
//! PostgreSQL database behind Debian's nginx (a user process, its config in a
//! temporary folder: round robin, idempotent requests retried on the other
//! server). A case posted through nginx shows within a second on screens held
//! by either server; the background jobs (defaults, work-order notices, SMS,
//! the exchange push) act exactly once across both; one server is killed with
//! SIGKILL during a load of ratings through nginx: every acknowledged rating is
//! stored once, a resent request gets its first answer back, the survivor
//! keeps serving.
#![allow(clippy::unwrap_used)] // a failing unwrap is a failing test

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use domain::Role;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use crate::helpers::{case_body, count as n, database_url, signed_in_at, Backend, METRICS_TOKEN, TEST_DATA_KEY};
use crate::push::next_with;

/// Debian's nginx (`scripts/setup.sh` installs it); `HAOCHA_TEST_NGINX` names another.
fn nginx_binary() -> PathBuf {
    if let Ok(p) = std::env::var("HAOCHA_TEST_NGINX") {
        return p.into();
    }
    for p in ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"] {
        if Path::new(p).exists() {
            return p.into();
        }
    }
    panic!("nginx is not installed: run scripts/setup.sh (apt-get install nginx), or set HAOCHA_TEST_NGINX");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The configuration docs/deploy.md gives, without TLS, on loopback.
fn nginx_config(dir: &Path, listen: &str, upstreams: &[&str]) -> String {
    let root = String::from_utf8_lossy(&Command::new("id").arg("-u").output().unwrap().stdout).trim() == "0";
    let d = dir.display();
    let servers: String = upstreams
        .iter()
        .map(|u| format!("        server {u} max_fails=1 fail_timeout=30s;\n"))
        .collect();
    format!(
        r#"daemon off;
master_process on;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log warn;
{user}
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream haocha {{
{servers}        keepalive 16;
        keepalive_timeout 5s;
    }}
    server {{
        listen {listen};
        client_max_body_size 26m;
        proxy_http_version 1.1;
        proxy_set_header Connection        "";
        proxy_set_header Host              $http_host;
        proxy_set_header X-Real-IP         $remote_addr;
        proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_connect_timeout 1s;
        proxy_next_upstream error timeout http_502 http_503;
        proxy_next_upstream_tries 2;
        location / {{
            proxy_pass http://haocha;
        }}
        location ~ ^/w/[^/]+/events$ {{
            proxy_pass http://haocha;
            proxy_buffering off;
            proxy_read_timeout 75s;
        }}
        location = /device/events {{
            proxy_pass http://haocha;
            proxy_buffering off;
            proxy_read_timeout 75s;
        }}
    }}
}}
"#,
        user = if root { "user root;" } else { "" },
    )
}

/// A child process killed when the test ends, however it ends.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

struct Site {
    db_url: String,
    dir: PathBuf,
    sms: String,
    platform: String,
}

impl Site {
    fn serve(&self, name: &str, addr: &str, public: &str) -> Proc {
        let log = std::fs::File::create(self.dir.join(format!("{name}.log"))).unwrap();
        Proc(
            Command::new(env!("CARGO_BIN_EXE_haocha"))
                .arg("serve")
                .env("HAOCHA_DATABASE_URL", &self.db_url)
                .env("HAOCHA_ADDR", addr)
                .env("HAOCHA_PUBLIC_URL", public)
                .env("HAOCHA_DATA_KEY", TEST_DATA_KEY)
                .env("HAOCHA_TRUST_FORWARDED", "1")
                .env("HAOCHA_JOB_SECONDS", "1")
                .env("HAOCHA_SMS_URL", &self.sms)
                .env("HAOCHA_EXCHANGE_URL", &self.platform)
                .env("HAOCHA_EXCHANGE_SECRET", "s3cret")
                .env("HAOCHA_METRICS_TOKEN", METRICS_TOKEN)
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start haocha serve"),
        )
    }

    fn logs(&self) -> String {
        let mut out = String::new();
        for f in ["a.log", "b.log", "nginx-error.log"] {
            let text = std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            out.push_str(&format!("--- {f}\n{}\n", tail.into_iter().rev().collect::<Vec<_>>().join("\n")));
        }
        out
    }
}

/// A loopback endpoint that records every request body and answers 200.
async fn recorder(answer: &'static str) -> (String, Arc<Mutex<Vec<String>>>) {
    use axum::routing::post;
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let s = seen.clone();
    let app = axum::Router::new().route(
        "/in",
        post(move |body: String| {
            let s = s.clone();
            async move {
                s.lock().unwrap().push(body);
                answer
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/in", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

async fn up(http: &reqwest::Client, base: &str, site: &Site) {
    for _ in 0..300 {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{base} did not come up\n{}", site.logs());
}

/// A server's own /metrics.
async fn scrape(http: &reqwest::Client, base: &str) -> String {
    http.get(format!("{base}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// `route="/healthz"` requests a server answered, from its own /metrics.
async fn healthz_served(http: &reqwest::Client, base: &str) -> u64 {
    scrape(http, base)
        .await
        .lines()
        .filter(|l| l.starts_with("haocha_http_request_duration_seconds_count") && l.contains("route=\"/healthz\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

async fn wait_for(what: &str, site: &Site, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done().await {
        if Instant::now() > deadline {
            let db = store::connect(&site.db_url).await.unwrap();
            let rows = db
                .query_all_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    "SELECT 'sms ' || kind || ' ' || state || ' ' || COALESCE(last_error, '') AS s FROM sms_message \
                     UNION ALL SELECT 'exchange ' || kind || ' ' || state AS s FROM exchange_record"
                        .to_string(),
                ))
                .await
                .unwrap();
            let mut counts = std::collections::BTreeMap::<String, usize>::new();
            for r in rows {
                *counts.entry(r.try_get::<String>("", "s").unwrap()).or_default() += 1;
            }
            panic!("{what} within 60 s\n{counts:?}\n{}", site.logs());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A business system pushes a bad rating of case `number`, its Idempotency-Key
/// named after the case: a resend is the same logical submission.
async fn push_bad_rating(http: &reqwest::Client, base: &str, key: &str, number: &str) -> reqwest::Result<reqwest::Response> {
    http.post(format!("{base}/api/v1/ratings"))
        .bearer_auth(key)
        .header("idempotency-key", format!("kill-{number}"))
        .json(&json!({"case_number": number, "level": "dissatisfied", "tags": ["efficiency"], "target": "item", "channel": "online"}))
        .send()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_behind_nginx_share_one_postgresql_database() {
    let (db_url, _) = database_url(Backend::Postgres).await;
    let dir = std::env::temp_dir().join(format!("haocha-scaleout-{}", store::random_token(6).to_lowercase()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_haocha"))
        .arg("demo")
        .env("HAOCHA_DATABASE_URL", &db_url)
        .env("HAOCHA_DATA_KEY", TEST_DATA_KEY)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let (sms, texts) = recorder("{\"ok\":true}").await;
    let (platform, pushed) = recorder("{\"code\":0}").await;
    let site = Site {
        db_url: db_url.clone(),
        dir: dir.clone(),
        sms,
        platform,
    };
    let (a, b, front) = (
        format!("127.0.0.1:{}", free_port()),
        format!("127.0.0.1:{}", free_port()),
        format!("127.0.0.1:{}", free_port()),
    );
    let (base_a, base_b, base) = (format!("http://{a}"), format!("http://{b}"), format!("http://{front}"));
    let mut server_a = Some(site.serve("a", &a, &base));
    let _server_b = site.serve("b", &b, &base);
    std::fs::write(dir.join("nginx.conf"), nginx_config(&dir, &front, &[&a, &b])).unwrap();
    let _nginx = Proc(
        Command::new(nginx_binary())
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("nginx-error.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx"),
    );
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    up(&http, &base_a, &site).await;
    up(&http, &base_b, &site).await;
    up(&http, &base, &site).await;
    let db = store::connect(&db_url).await.unwrap();

    // ---- Round robin: both servers answer requests sent to nginx ----
    let before = (healthz_served(&http, &base_a).await, healthz_served(&http, &base_b).await);
    for _ in 0..20 {
        assert_eq!(http.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);
    }
    let after = (healthz_served(&http, &base_a).await, healthz_served(&http, &base_b).await);
    let (to_a, to_b) = (after.0 - before.0, after.1 - before.1);
    assert_eq!(to_a + to_b, 20);
    assert!(to_a >= 5 && to_b >= 5, "round robin: {to_a} to one server, {to_b} to the other");

    // ---- A session made through nginx works on both; a screen is paired ----
    let now = chrono::Utc::now();
    let admin = signed_in_at(&db, &base, Role::UnitAdmin, Some("U-MARKET"), "scale1", now).await;
    let code = crate::devices::pairing_code(&admin, "W01").await;
    let screen = crate::helpers::Browser::new(&base);
    assert_eq!(screen.post_raw("/device/pair", &[("code", &code), ("for", "screen")]).await.0, 303);
    // The same screen holds a stream on each server (its cookie works on both).
    let mut streams = Vec::new();
    for server in [&base_a, &base_b] {
        let res = screen.http.get(format!("{server}/w/W01/events")).send().await.unwrap();
        assert_eq!(res.status(), 200, "{server}");
        let mut s = res.bytes_stream();
        next_with(&mut s, "data:", Duration::from_secs(5)).await;
        streams.push(s);
    }
    tokio::time::sleep(Duration::from_millis(300)).await; // each server's LISTEN connection starts

    // ---- A case posted through nginx shows on both servers' streams within a second ----
    // Cases completed just now (SC-DEF-… keep case_body's date, days ago, to be due for a default).
    let report = |number: String| {
        let (http, base, key) = (http.clone(), base.clone(), key.clone());
        async move {
            let mut body = case_body(&number, "W01", Some("S1001"));
            if !number.starts_with("SC-DEF-") {
                let now = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
                body["accepted_at"] = json!((now - chrono::Duration::minutes(20)).to_rfc3339());
                body["completed_at"] = json!(now.to_rfc3339());
            }
            let res = http
                .post(format!("{base}/api/v1/cases"))
                .bearer_auth(&key)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201, "{number}");
            res.json::<Value>().await.unwrap()["rating_url"].as_str().unwrap().to_string()
        }
    };
    for i in 0..2 {
        let url = report(format!("SC-PUSH-{i}")).await;
        let started = Instant::now();
        for s in streams.iter_mut() {
            next_with(s, &url, Duration::from_secs(1)).await;
        }
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    }

    // ---- Jobs run exactly once across both servers ----
    // 12 bad ratings: 12 work orders, each told to the unit's 负责人 by one SMS;
    // 10 cases nobody rates (completed on 2026-11-27): one default each;
    // every rating one exchange record, pushed once.
    for i in 0..12 {
        let url = report(format!("SC-BAD-{i:02}")).await;
        let res = http
            .post(&url)
            .header("accept", "application/json")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("level=dissatisfied&tags=efficiency")
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{}", res.status());
    }
    for i in 0..10 {
        report(format!("SC-DEF-{i:02}")).await;
    }
    let orders = "SELECT COUNT(*) AS n FROM work_order o JOIN service_case c ON c.id = o.case_id \
                  WHERE c.case_number LIKE 'SC-BAD-%'";
    wait_for("12 work orders told", &site, async || {
        n(&db, &format!("{orders} AND o.notified_at IS NOT NULL")).await == 12
    })
    .await;
    wait_for("10 defaults", &site, async || {
        n(
            &db,
            "SELECT COUNT(*) AS n FROM default_rating d JOIN service_case c ON c.id = d.case_id \
             WHERE c.case_number LIKE 'SC-DEF-%'",
        )
        .await
            == 10
    })
    .await;
    // Quiet hours (21:00–08:00 Beijing) hold the SMS back: let the morning
    // come for every message queued (reminders are queued as cases come due).
    let states = "SELECT (SELECT COUNT(*) FROM sms_message WHERE direction = 'out' AND state IN ('queued', 'sending')) \
                  + (SELECT COUNT(*) FROM exchange_record WHERE state <> 'accepted') AS n";
    wait_for("the outbox and the exchange sent", &site, async || {
        db.execute_unprepared("UPDATE sms_message SET not_before = created_at, next_attempt_at = created_at WHERE state = 'queued'")
            .await
            .unwrap();
        n(&db, states).await == 0
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await; // both servers run their jobs three times more
    let texts_seen: Vec<Value> = texts.lock().unwrap().iter().map(|t| serde_json::from_str(t).unwrap()).collect();
    let mut ids = HashSet::new();
    for t in &texts_seen {
        assert!(ids.insert(t["id"].as_str().unwrap().to_string()), "SMS {} sent once", t["id"]);
    }
    assert_eq!(
        texts_seen.len() as i64,
        n(
            &db,
            "SELECT COUNT(*) AS n FROM sms_message WHERE direction = 'out' AND state = 'sent'"
        )
        .await,
        "the gateway got each sent message once"
    );
    let order_ids: Vec<i32> = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT o.id AS n FROM work_order o JOIN service_case c ON c.id = o.case_id WHERE c.case_number LIKE 'SC-BAD-%'".to_string(),
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<i32>("", "n").unwrap())
        .collect();
    assert_eq!(order_ids.len(), 12, "one work order per bad rating");
    for id in order_ids {
        let told = texts_seen
            .iter()
            .filter(|t| t["text"].as_str().unwrap().contains(&format!("新差评工单{id}（")))
            .count();
        assert_eq!(told, 1, "work order {id}: its 负责人 told once");
    }
    assert_eq!(
        n(
            &db,
            "SELECT COUNT(*) AS n FROM (SELECT case_id FROM default_rating GROUP BY case_id HAVING COUNT(*) > 1) x"
        )
        .await,
        0,
        "one default per case"
    );
    let mut records = HashMap::<String, usize>::new();
    for body in pushed.lock().unwrap().iter() {
        let v: Value = serde_json::from_str(body).unwrap();
        *records.entry(v["记录编号"].as_str().unwrap().to_string()).or_default() += 1;
    }
    assert!(records.values().all(|&c| c == 1), "each exchange record pushed once");
    assert_eq!(
        records.len() as i64,
        n(&db, "SELECT COUNT(*) AS n FROM exchange_record").await,
        "every record reached the platform"
    );

    // ---- One server killed with SIGKILL during a load of ratings through nginx ----
    let mut cases = Vec::new();
    for i in 0..60 {
        let number = format!("SC-KILL-{i:02}");
        report(number.clone()).await;
        cases.push(number);
    }
    let queue = Arc::new(Mutex::new(cases.clone()));
    let answers: Arc<Mutex<HashMap<String, Value>>> = Arc::default();
    let retried: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut raters = Vec::new();
    for _ in 0..6 {
        let (http, base, key) = (http.clone(), base.clone(), key.clone());
        let (queue, answers, retried) = (queue.clone(), answers.clone(), retried.clone());
        raters.push(tokio::spawn(async move {
            loop {
                let Some(number) = queue.lock().unwrap().pop() else { return };
                for attempt in 0.. {
                    assert!(attempt < 100, "{number}: no answer after 100 attempts");
                    match push_bad_rating(&http, &base, &key, &number).await {
                        Ok(r) if r.status() == 201 => {
                            let first: Value = r.json().await.unwrap();
                            answers.lock().unwrap().insert(number.clone(), first);
                            break;
                        }
                        Ok(r) if r.status().is_client_error() => {
                            panic!("{number}: {} {}", r.status(), r.text().await.unwrap_or_default())
                        }
                        // 502 from nginx (the request was on the killed server), or no answer at all.
                        _ => {
                            retried.lock().unwrap().insert(number.clone());
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
            }
        }));
    }
    while answers.lock().unwrap().len() < 15 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    drop(server_a.take()); // SIGKILL: no shutdown, no flush
    for r in raters {
        r.await.unwrap();
    }
    let answers = answers.lock().unwrap().clone();
    assert_eq!(answers.len(), 60, "every rating acknowledged (after retries where needed)");
    let retried = retried.lock().unwrap().clone();

    // Every acknowledged rating stored exactly once, with the id it was answered with.
    for (number, first) in &answers {
        let stored = n(
            &db,
            &format!(
                "SELECT COUNT(*) AS n FROM rating r JOIN service_case c ON c.id = r.case_id \
                 WHERE c.case_number = '{number}' AND r.target = 'item'"
            ),
        )
        .await;
        assert_eq!(stored, 1, "{number} stored once (retried: {})", retried.contains(number));
        // A resend (a client that never saw the answer) gets the first answer back.
        let res = push_bad_rating(&http, &base, &key, number).await.unwrap();
        assert_eq!(res.status(), 201, "{number}");
        let again: Value = res.json().await.unwrap();
        assert_eq!(&again["id"], &first["id"], "{number}: the first answer, again");
    }

    // The survivor keeps serving: pages, the API, and pushes to its screens.
    for _ in 0..10 {
        assert_eq!(http.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);
    }
    assert_eq!(http.get(format!("{base_b}/readyz")).send().await.unwrap().status(), 200);
    let url = report("SC-AFTER".into()).await;
    next_with(&mut streams[1], &url, Duration::from_secs(1)).await;
    // The survivor's /metrics counts its waits for a pooled connection (the
    // real `haocha serve`: main's tracing layer, sqlx's acquire events).
    let metrics = scrape(&http, &base_b).await;
    let waits = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /metrics"))
    };
    // Hundreds of requests used the database: each took a connection.
    assert!(
        waits("haocha_db_pool_wait_seconds_count") >= 50.0,
        "pool waits observed: {}",
        waits("haocha_db_pool_wait_seconds_count")
    );
    assert!(waits("haocha_db_pool_wait_seconds_sum") > 0.0);
    eprintln!(
        "scale-out: {} of 60 ratings were retried by their client after the kill",
        retried.len()
    );
    db.close().await.ok();
    std::fs::remove_dir_all(&dir).ok();
}
