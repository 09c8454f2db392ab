//! Issue 15: the exchange outbox pushed to a platform on loopback: a rating
//! becomes one record, a 503 is retried later with the same record id and a
//! valid signature, a 4xx is refused, shown on /admin/exchange and re-pushed.
#![allow(clippy::unwrap_used)] // a failing unwrap is a failing test

use std::sync::{Arc, Mutex};

use chrono::Duration;
use domain::Role;
use serde_json::Value;

use crate::helpers::{count, Backend, Browser, TestApp};
use crate::on_both_databases;

/// (headers appMark, time, sign; body) of every request.
type Seen = Arc<Mutex<Vec<(String, String, String, String)>>>;

/// How a platform answers the n-th request (1-based) with this body:
/// status, body, and how long it takes.
type Answering = Arc<dyn Fn(usize, &str) -> (u16, String, u64) + Send + Sync>;

/// A platform on loopback: every request is recorded before it is answered.
async fn platform_with(answer: Answering) -> (String, Seen) {
    use axum::routing::post;
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let app = axum::Router::new().route(
        "/push",
        post(move |headers: axum::http::HeaderMap, body: String| {
            let (s, answer) = (s.clone(), answer.clone());
            async move {
                let h = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                let n = {
                    let mut seen = s.lock().unwrap();
                    seen.push((h("appMark"), h("time"), h("sign"), body.clone()));
                    seen.len()
                };
                let (status, text, wait) = answer(n, &body);
                if wait > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
                }
                (axum::http::StatusCode::from_u16(status).unwrap(), text)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/push", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

/// A platform: the first request 503, a very dissatisfied rating 422, the rest 200.
async fn platform() -> (String, Seen) {
    platform_with(Arc::new(|n, body| {
        if n == 1 {
            (503, "busy".into(), 0)
        } else if body.contains("\"满意度代码\":\"5\"") {
            (422, "{\"msg\":\"满意度代码不合法\"}".into(), 0)
        } else {
            (200, "{\"code\":0}".into(), 0)
        }
    }))
    .await
}

fn configured(url: &str, timeout_ms: u64) -> Option<server::exchange::Platforms> {
    Some(
        server::exchange::Platforms::parse(
            url,
            "hc-test".into(),
            "s3cret".into(),
            "hmac-sm3",
            std::time::Duration::from_millis(timeout_ms),
        )
        .unwrap(),
    )
}

static JOB: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

async fn run_jobs(app: &TestApp) -> Browser {
    let n = JOB.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let admin = app.signed_in(Role::SystemAdmin, None, &format!("ex{n}")).await;
    let (status, page) = admin.post_page("/admin/outbox/run", &[]).await;
    assert_eq!(status, 200, "{page}");
    admin
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ratings_reach_the_platform_once_signed_and_refusals_are_shown_sqlite() {
    pushed(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ratings_reach_the_platform_once_signed_and_refusals_are_shown_postgres() {
    pushed(Backend::Postgres).await
}

async fn pushed(backend: Backend) {
    let (url, seen) = platform().await;
    let app = TestApp::start_with(backend, move |c| c.exchange = configured(&url, 2000)).await;
    let case = app.report_case("EX-1", "W01", None).await;
    let (status, _) = app
        .post_form(case["rating_url"].as_str().unwrap(), &[("level", "very_satisfied")])
        .await;
    assert_eq!(status, 201);
    assert_eq!(app.count_rows("exchange_record").await, 1, "one record, written with the rating");

    run_jobs(&app).await;
    assert_eq!(seen.lock().unwrap().len(), 1, "a 503");
    run_jobs(&app).await;
    assert_eq!(seen.lock().unwrap().len(), 1, "not again before its backoff");
    app.advance(Duration::minutes(2));
    run_jobs(&app).await;
    let got = seen.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "retried once");
    let body: Value = serde_json::from_str(&got[1].3).unwrap();
    let first: Value = serde_json::from_str(&got[0].3).unwrap();
    assert_eq!(body["记录编号"], first["记录编号"], "the same record id on every attempt");
    assert_eq!(body["办件编号"], "EX-1");
    assert_eq!(body["满意度代码"], "1");
    for (mark, time, sign, b) in &got {
        assert_eq!(mark, "hc-test");
        assert_eq!(
            sign,
            &server::exchange::signature(server::exchange::Sign::HmacSm3, "s3cret", mark, time, b)
        );
    }
    assert_eq!(
        app.scalar("SELECT state AS v FROM exchange_record").await.as_deref(),
        Some("accepted")
    );
    run_jobs(&app).await;
    assert_eq!(seen.lock().unwrap().len(), 2, "accepted: never sent again");

    // A refusal is kept, shown with the platform's answer, and can be pushed again.
    let case = app.report_case("EX-2", "W01", None).await;
    let (status, _) = app
        .post_form(
            case["rating_url"].as_str().unwrap(),
            &[("level", "very_dissatisfied"), ("tags", "attitude"), ("comment", "态度差")],
        )
        .await;
    assert_eq!(status, 201);
    let admin = run_jobs(&app).await;
    assert_eq!(seen.lock().unwrap().len(), 3);
    let (_, page) = admin.get("/admin/exchange").await;
    assert!(page.contains("满意度代码不合法") && page.contains("422"), "{page}");
    let id = app
        .scalar("SELECT CAST(id AS TEXT) AS v FROM exchange_record WHERE state = 'refused'")
        .await
        .unwrap();
    let (status, page) = admin.post_page("/admin/exchange/repush", &[("id", &id)]).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        app.scalar(&format!("SELECT state AS v FROM exchange_record WHERE id = {id}"))
            .await
            .as_deref(),
        Some("pending"),
        "pushed again with the same record id"
    );
    assert_eq!(app.count_rows("audit_log WHERE action = 'exchange.repush'").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_that_does_not_answer_in_time_is_tried_again_with_the_same_record_id() {
    let slow = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let s = slow.clone();
    let (url, seen) = platform_with(Arc::new(move |_, _| {
        let wait = if s.load(std::sync::atomic::Ordering::SeqCst) { 3000 } else { 0 };
        (200, "{\"code\":0}".into(), wait)
    }))
    .await;
    let app = TestApp::start_with(Backend::Sqlite, move |c| c.exchange = configured(&url, 300)).await;
    let case = app.report_case("EX-T", "W01", None).await;
    let (status, _) = app.post_form(case["rating_url"].as_str().unwrap(), &[("level", "satisfied")]).await;
    assert_eq!(status, 201);
    run_jobs(&app).await;
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert_eq!(
        app.scalar("SELECT state || ' ' || attempts || ' ' || last_answer AS v FROM exchange_record")
            .await
            .as_deref(),
        Some("sending 1 timed out"),
        "no answer in 300 ms: kept, to be tried again"
    );
    slow.store(false, std::sync::atomic::Ordering::SeqCst);
    app.advance(Duration::minutes(2));
    run_jobs(&app).await;
    let got = seen.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    let ids: Vec<Value> = got
        .iter()
        .map(|(_, _, _, b)| serde_json::from_str::<Value>(b).unwrap()["记录编号"].clone())
        .collect();
    assert_eq!(ids[0], ids[1], "one fact, one record id");
    assert_eq!(
        app.scalar("SELECT state AS v FROM exchange_record").await.as_deref(),
        Some("accepted")
    );
}

/// A province-a record of a rating given on the platform, now.
fn given_there(app: &TestApp, case: &str, pf: u8, satisfaction: u8, count: u8) -> Value {
    let beijing = (app.now() + Duration::hours(8)).format("%Y-%m-%d %H:%M:%S").to_string();
    serde_json::json!({
        "projectNo": case, "pf": pf, "satisfaction": satisfaction, "assessNumber": count,
        "assessTime": beijing, "writingEvaluation": "等了两个小时，电话13812345678",
        "deptCode": "11210100MB0001", "taskCode": "11210100MB0001-001",
    })
}

async fn inbound(app: &TestApp, secret: &str, body: &Value) -> (u16, Value) {
    let res = app
        .http
        .post(app.url("/api/v1/exchange/inbound"))
        .header("X-Haocha-Secret", secret)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

on_both_databases!(ratings_given_on_a_platform_are_stored_once_and_followed_up);

async fn ratings_given_on_a_platform_are_stored_once_and_followed_up(app: TestApp) {
    use crate::helpers::EXCHANGE_SECRET as S;
    app.report_case("IN-1", "W01", None).await;
    let before = app.count_rows("rating").await;

    // Refused, with nothing stored: a wrong secret, an unknown case, bad codes, a system default.
    assert_eq!(
        inbound(&app, "not-the-secret-at-all", &given_there(&app, "IN-1", 2, 1, 1)).await.0,
        401
    );
    let (status, body) = inbound(&app, crate::helpers::EXCHANGE_YUNNAN_SECRET, &given_there(&app, "IN-1", 2, 1, 1)).await;
    assert_eq!(status, 404, "a platform rates only the cases of its own region: {body}");
    let (status, body) = inbound(&app, S, &given_there(&app, "NO-SUCH-CASE", 2, 1, 1)).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")), "{body}");
    let (status, body) = inbound(&app, S, &given_there(&app, "IN-1", 2, 9, 1)).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("satisfaction")), "{body}");
    let (status, body) = inbound(&app, S, &given_there(&app, "IN-1", 9, 1, 1)).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("pf")), "{body}");
    let mut default = given_there(&app, "IN-1", 7, 5, 1);
    default["isDefault"] = 1.into();
    let (status, body) = inbound(&app, S, &default).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("isDefault")),
        "a system default is no citizen's rating: {body}"
    );
    let (status, body) = inbound(&app, S, &given_there(&app, "IN-1", 2, 1, 2)).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("assessNumber")),
        "a follow-up first: {body}"
    );
    assert_eq!(app.count_rows("rating").await, before, "nothing stored by a refusal");

    // A very dissatisfied rating from the mobile app (pf 2): stored once, its work order opened.
    let (status, first) = inbound(&app, S, &given_there(&app, "IN-1", 2, 1, 1)).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["channel"], "mobile");
    assert_eq!(first["level"], "very_dissatisfied");
    assert_eq!(first["resent"], false);
    let (status, again) = inbound(&app, S, &given_there(&app, "IN-1", 2, 1, 1)).await;
    assert_eq!(
        (status, &again["rating_id"], &again["resent"]),
        (200, &first["rating_id"], &Value::Bool(true))
    );
    let id = first["rating_id"].as_i64().unwrap();
    assert_eq!(app.count_rows("rating").await, before + 1, "stored once");
    assert_eq!(
        app.count_rows(&format!("work_order WHERE rating_id = {id}")).await,
        1,
        "a bad one opens a work order"
    );
    assert_eq!(
        app.count_rows(&format!("exchange_record WHERE kind = 'rating' AND source_id = {id}"))
            .await,
        0,
        "not pushed back to the platform it came from"
    );
    let comment = app
        .scalar(&format!("SELECT comment AS v FROM rating WHERE id = {id}"))
        .await
        .unwrap();
    assert!(comment.contains("两个小时"), "{comment}");

    // The follow-up (assessNumber 2), once; a different first rating for the same case conflicts.
    let (status, follow) = inbound(&app, S, &given_there(&app, "IN-1", 2, 4, 2)).await;
    assert_eq!((status, follow["assess_number"].as_i64()), (201, Some(2)), "{follow}");
    assert_eq!(inbound(&app, S, &given_there(&app, "IN-1", 2, 4, 2)).await.0, 200);
    let (status, body) = inbound(&app, S, &given_there(&app, "IN-1", 1, 5, 1)).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("conflict")), "{body}");

    // A case rated here first: the platform's first rating is refused, ours stands.
    let case = app.report_case("IN-2", "W01", None).await;
    app.post_form(case["rating_url"].as_str().unwrap(), &[("level", "satisfied")]).await;
    let (status, body) = inbound(&app, S, &given_there(&app, "IN-2", 3, 1, 1)).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(app.count_rows("rating").await, before + 3);
}

/// `haocha serve` as a child process (for the kill).
fn serve(db_url: &str, addr: &str, platform: &str) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_haocha"))
        .arg("serve")
        .env("HAOCHA_DATABASE_URL", db_url)
        .env("HAOCHA_ADDR", addr)
        .env("HAOCHA_PUBLIC_URL", format!("http://{addr}"))
        .env("HAOCHA_JOB_SECONDS", "1")
        .env("HAOCHA_EXCHANGE_URL", platform)
        .env("HAOCHA_EXCHANGE_SECRET", "s3cret")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start haocha serve")
}

async fn up(http: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if http.get(format!("{base}/")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("server at {base} did not come up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_killed_midway_reaches_the_platform_after_restart_with_one_id_per_fact_sqlite() {
    killed_mid_push(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_killed_midway_reaches_the_platform_after_restart_with_one_id_per_fact_postgres() {
    killed_mid_push(Backend::Postgres).await
}

async fn killed_mid_push(backend: Backend) {
    let (db_url, _file) = crate::helpers::database_url(backend).await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_haocha"))
        .arg("demo")
        .env("HAOCHA_DATABASE_URL", &db_url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key = String::from_utf8_lossy(&out.stdout).trim().to_string();
    // The platform answers slowly until the server is killed, then at once.
    let slow = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let s = slow.clone();
    let (platform, seen) = platform_with(Arc::new(move |_, _| {
        let wait = if s.load(std::sync::atomic::Ordering::SeqCst) { 150 } else { 0 };
        (200, "{\"code\":0}".into(), wait)
    }))
    .await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let base = format!("http://{addr}");
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap();
    let mut server = serve(&db_url, &addr, &platform);
    up(&http, &base).await;
    for i in 0..30 {
        let res = http
            .post(format!("{base}/api/v1/cases"))
            .bearer_auth(&key)
            .json(&crate::helpers::case_body(&format!("KX-{i:03}"), "W01", Some("S1001")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 201);
        let url = res.json::<Value>().await.unwrap()["rating_url"].as_str().unwrap().to_string();
        let res = http
            .post(&url)
            .header("accept", "application/json")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(if i % 3 == 0 {
                "level=dissatisfied&tags=efficiency"
            } else {
                "level=very_satisfied"
            })
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
    }
    // Kill while rows are claimed and being sent (a batch of only the demo's
    // records can be done before the ratings' batch is claimed: wait for one).
    let db = store::connect(&db_url).await.unwrap();
    for _ in 0..400 {
        if seen.lock().unwrap().len() >= 5 && count(&db, "SELECT COUNT(*) AS n FROM exchange_record WHERE state = 'sending'").await > 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(seen.lock().unwrap().len() >= 5, "the push began");
    server.kill().unwrap(); // SIGKILL mid-push: claimed rows are left `sending`
    server.wait().unwrap();
    slow.store(false, std::sync::atomic::Ordering::SeqCst);

    let total = count(&db, "SELECT COUNT(*) AS n FROM exchange_record").await;
    assert!(total >= 30, "every rating has its record: {total}");
    assert!(
        count(&db, "SELECT COUNT(*) AS n FROM exchange_record WHERE state = 'sending'").await > 0,
        "the kill came while rows were being sent"
    );
    // A claimed row is tried again a minute after its claim: let that minute pass.
    use sea_orm::ConnectionTrait;
    db.execute_unprepared("UPDATE exchange_record SET next_attempt_at = created_at WHERE state = 'sending'")
        .await
        .unwrap();

    let mut server = serve(&db_url, &addr, &platform);
    up(&http, &base).await;
    let mut left = total;
    for _ in 0..300 {
        left = count(&db, "SELECT COUNT(*) AS n FROM exchange_record WHERE state <> 'accepted'").await;
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    server.kill().ok();
    server.wait().ok();
    assert_eq!(left, 0, "every record reached the platform after the restart");

    // One id per fact: one row per (kind, source); the platform saw exactly the stored ids.
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM (SELECT kind, source_id FROM exchange_record GROUP BY kind, source_id HAVING COUNT(*) > 1) x"
        )
        .await,
        0
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) AS n FROM rating WHERE target = 'item' AND rating_count < 3").await,
        count(&db, "SELECT COUNT(*) AS n FROM exchange_record WHERE kind = 'rating'").await,
        "every item rating (first or follow-up; a re-rating is not reported) has exactly one record"
    );
    let mut ids = std::collections::HashMap::<String, String>::new();
    for (_, _, _, body) in seen.lock().unwrap().iter() {
        let v: Value = serde_json::from_str(body).unwrap();
        let id = v["记录编号"].as_str().unwrap().to_string();
        if let Some(before) = ids.insert(id.clone(), body.clone()) {
            assert_eq!(&before, body, "{id}: the same record on every attempt");
        }
    }
    assert_eq!(ids.len() as i64, total, "the platform saw every record id, and no other");

    // The same records as a file: `haocha exchange export`, CSV with BOM and JSON lines
    // (the demo's facts are dated up to weeks back).
    let today = (chrono::Utc::now() + Duration::hours(8)).date_naive();
    let export = |format: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_haocha"))
            .args(["exchange", "export", "--profile", "province-a"])
            .args([
                "--from",
                &(today - Duration::days(400)).to_string(),
                "--to",
                &(today + Duration::days(1)).to_string(),
            ])
            .args(["--format", format])
            .env("HAOCHA_DATABASE_URL", &db_url)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let csv = export("csv");
    assert!(csv.starts_with("\u{feff}recordId,"), "{}", &csv[..80.min(csv.len())]);
    assert_eq!(csv.lines().count() as i64, total + 1, "a header and one line per record");
    let lines = export("jsonl");
    let mut exported = 0;
    for line in lines.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert!(ids.contains_key(v["recordId"].as_str().unwrap()), "{line}");
        assert!(!line.contains("13812345678"));
        exported += 1;
    }
    assert_eq!(exported, total);
    db.close().await.ok();
}
