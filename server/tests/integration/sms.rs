//! SMS with the app's clock moved, never slept: a reminder 24 h after
//! completion, held through the night (21:00–08:00), sent once; its signed
//! `/s/1/` link opens the rating page; a reply of 1–5 rates another case; a
//! bad level asks for reasons; the HTTP gateway adapter is driven against a
//! real server on loopback through a 503 and a timeout, with one message id.
#![allow(clippy::unwrap_used)] // a failing unwrap is a failing test

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use domain::calendar::{cst, day_of, start_of};
use domain::Role;
use serde_json::{json, Value};

use crate::helpers::{case_body, Backend, Browser, TestApp, SMS_SECRET};
use crate::on_both_databases;

on_both_databases!(reminders_wait_for_the_morning_go_out_once_and_replies_rate,);

/// The next `hour`:00 Beijing time strictly after `now` (within a day). The
/// reminder tests use 10:00 so a case completed 25 h before it completed in
/// the past at any hour the suite runs (22:00 + 12 h did not from 22:00 to
/// 09:00 Beijing, and CI ran at 22:01).
fn next_beijing(now: DateTime<Utc>, hour: i64) -> DateTime<Utc> {
    let today = start_of(day_of(now)) + Duration::hours(hour);
    if today > now {
        today
    } else {
        today + Duration::days(1)
    }
}

async fn case(app: &TestApp, number: &str, phone: Option<&str>, completed: DateTime<Utc>) {
    let mut body = case_body(number, "W01", None);
    body["applicant_phone"] = json!(phone);
    body["completed_at"] = json!(completed.with_timezone(&cst()).to_rfc3339());
    body["accepted_at"] = json!((completed - Duration::minutes(20)).with_timezone(&cst()).to_rfc3339());
    let res = app.post_json("/api/v1/cases", &body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
}

static JOB: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// Signs in a fresh system administrator (sessions time out when the clock
/// jumps) and presses "run the jobs now"; returns the page.
async fn run_jobs(app: &TestApp) -> (Browser, String) {
    let n = JOB.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let admin = app.signed_in(Role::SystemAdmin, None, &format!("sms{n}")).await;
    let (status, page) = admin.post_page("/admin/outbox/run", &[]).await;
    assert_eq!(status, 200, "{page}");
    (admin, page)
}

async fn reply(app: &TestApp, secret: &str, phone: &str, text: &str) -> (u16, Value) {
    let res = app
        .http
        .post(app.url("/api/v1/sms/inbound"))
        .header("x-haocha-secret", secret)
        .json(&json!({"phone": phone, "text": text}))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn reminders_wait_for_the_morning_go_out_once_and_replies_rate(app: TestApp) {
    let night = next_beijing(app.now(), 22);
    let completed = night - Duration::hours(30);
    case(&app, "SMS-1", Some("13800131234"), completed).await;
    case(&app, "SMS-2", Some("13900139999"), completed).await;
    case(&app, "SMS-3", None, completed).await;
    case(&app, "SMS-4", Some("13700137777"), completed).await;

    // 22:00: the reminders are due but the night is quiet.
    app.advance(night - app.now());
    let (admin, page) = run_jobs(&app).await;
    assert!(page.contains("新排队的提醒短信 3") && page.contains("短信发送成功 0"), "{page}");
    let (_, page) = admin.get("/admin/outbox").await;
    assert!(page.contains("138****1234") && !page.contains("13800131234"), "phones are masked");
    assert!(page.contains("/s/1/"), "{page}");
    let (_, page) = run_jobs(&app).await;
    assert!(page.contains("新排队的提醒短信 0"), "never twice: {page}");
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM sms_message WHERE kind = 'reminder' AND state = 'queued'")
            .await
            .as_deref(),
        Some("3")
    );

    // 08:01 the next morning they go out.
    app.advance(Duration::hours(10) + Duration::minutes(1));
    let (_, page) = run_jobs(&app).await;
    assert!(page.contains("短信发送成功 3"), "{page}");
    let body = app
        .scalar("SELECT m.body AS v FROM sms_message m JOIN service_case c ON c.id = m.case_id WHERE c.case_number = 'SMS-1'")
        .await
        .unwrap();
    assert!(
        body.contains("5非常满意") && body.contains("1非常不满意"),
        "the reply mapping is in the text: {body}"
    );
    let link = body
        .split_whitespace()
        .find_map(|w| w.find("http").map(|i| w[i..].to_string()))
        .unwrap();
    assert!(link.starts_with(&format!("{}/s/1/", app.base)), "{link}");

    // The link opens the case's rating page; the rating is stored as sms_link.
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(&link)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let rating_url = app.url(res.headers()["location"].to_str().unwrap());
    assert!(rating_url.contains("/r/"));
    let (status, page) = app.get_page(&rating_url).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("rating-form") && page.contains("企业设立登记"),
        "the case's rating page"
    );
    let (status, _) = app.post_form(&rating_url, &[("level", "very_satisfied")]).await;
    assert!(status == 200 || status == 201, "{status}");
    assert_eq!(
        app.scalar("SELECT r.channel AS v FROM rating r JOIN service_case c ON c.id = r.case_id WHERE c.case_number = 'SMS-1'")
            .await
            .as_deref(),
        Some("sms_link")
    );
    let tampered = link.replace(&link[link.len() - 4..], "0000");
    assert_eq!(app.get_page(&tampered).await.0, 404);

    // Replies: 4 rates SMS-2; the same again finds nothing left to rate.
    let (status, out) = reply(&app, SMS_SECRET, "139 0013 9999", "4").await;
    assert_eq!((status, out["result"].as_str()), (200, Some("rated")), "{out}");
    assert!(out["reply"].as_str().unwrap().contains("满意"));
    assert_eq!(
        app.scalar(
            "SELECT r.channel || ' ' || r.level AS v FROM rating r JOIN service_case c ON c.id = r.case_id WHERE c.case_number = 'SMS-2'"
        )
        .await
        .as_deref(),
        Some("sms_reply satisfied")
    );
    assert_eq!(reply(&app, SMS_SECRET, "13900139999", "4").await.1["result"], "no_case");
    let (_, out) = reply(&app, SMS_SECRET, "13900139999", "你好").await;
    assert_eq!(out["result"], "not_understood");
    assert!(out["reply"].as_str().unwrap().contains("5非常满意"), "{out}");
    // A bad level is stored like any other — a reply digit cannot carry
    // reasons — and the answer carries the link to add them.
    let (_, out) = reply(&app, SMS_SECRET, "13700137777", "2").await;
    assert_eq!(out["result"], "rated", "{out}");
    assert!(out["reply"].as_str().unwrap().contains("/s/1/"), "{out}");
    assert_eq!(
        app.scalar(
            "SELECT r.channel || ' ' || r.level || ' ' || r.tags AS v FROM rating r JOIN service_case c ON c.id = r.case_id WHERE c.case_number = 'SMS-4'"
        )
        .await
        .as_deref(),
        Some("sms_reply dissatisfied "),
        "the 差评 is kept, without reasons"
    );
    // The webhook needs its secret; a refused call records nothing.
    let before = app.count_rows("sms_message").await;
    assert_eq!(reply(&app, "wrong", "13700137777", "5").await.0, 401);
    assert_eq!(reply(&app, SMS_SECRET, "not a phone", "5").await.0, 422);
    assert_eq!(app.count_rows("sms_message").await, before);
    let (admin, page) = run_jobs(&app).await;
    assert!(page.contains("短信发送成功 4"), "the four answers: {page}");

    // The demo's outbox plays a citizen's reply as the webhook would get it.
    let (_, page) = admin.get("/admin/outbox").await;
    assert!(page.contains("模拟市民回复短信"), "{page}");
    let (status, page) = admin
        .post_page("/admin/outbox/reply", &[("phone", "13700137777"), ("text", "5")])
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("已收到。系统回复：【好差评】没有找到待评价的办件"),
        "the bad reply rated SMS-4 already; a later 5 changes nothing: {page}"
    );
    assert_eq!(
        app.scalar(
            "SELECT r.channel || ' ' || r.level AS v FROM rating r JOIN service_case c ON c.id = r.case_id WHERE c.case_number = 'SMS-4'"
        )
        .await
        .as_deref(),
        Some("sms_reply dissatisfied")
    );
    let center = app.signed_in(Role::CenterAdmin, Some("210100"), "smsc").await;
    assert_eq!(
        center
            .post_page("/admin/outbox/reply", &[("phone", "13700137777"), ("text", "5")])
            .await
            .0,
        403
    );
}

/// A gateway on loopback: answers 503, then too slowly, then 200.
async fn gateway() -> (String, Arc<Mutex<Vec<Value>>>) {
    use axum::routing::post;
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let s = seen.clone();
    let app = axum::Router::new().route(
        "/send",
        post(move |body: axum::body::Bytes| {
            let s = s.clone();
            async move {
                let n = {
                    let mut seen = s.lock().unwrap();
                    seen.push(serde_json::from_slice(&body).unwrap());
                    seen.len()
                };
                match n {
                    1 => axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    2 => {
                        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
                        axum::http::StatusCode::OK
                    }
                    _ => axum::http::StatusCode::OK,
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_gateway_is_retried_with_backoff_and_one_message_id_sqlite() {
    http_gateway(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_gateway_is_retried_with_backoff_and_one_message_id_postgres() {
    http_gateway(Backend::Postgres).await
}

async fn http_gateway(backend: Backend) {
    let (url, seen) = gateway().await;
    let app = TestApp::start_with(backend, move |c| {
        c.sms_url = Some(url);
        c.sms_timeout_ms = 300;
    })
    .await;
    // A reminder due at 10:00 Beijing time.
    let morning = next_beijing(app.now(), 10);
    case(&app, "GW-1", Some("13800131234"), morning - Duration::hours(25)).await;
    app.advance(morning - app.now());

    let (_, page) = run_jobs(&app).await;
    assert!(page.contains("短信发送成功 0") && page.contains("失败 1"), "503: {page}");
    let (_, page) = run_jobs(&app).await;
    assert!(page.contains("失败 0"), "not again before its backoff: {page}");
    app.advance(Duration::minutes(2));
    let (_, page) = run_jobs(&app).await;
    assert!(page.contains("失败 1"), "a timeout: {page}");
    app.advance(Duration::minutes(6));
    let (admin, page) = run_jobs(&app).await;
    assert!(page.contains("短信发送成功 1"), "{page}");
    let (_, page) = run_jobs(&app).await;
    assert!(page.contains("短信发送成功 0"), "sent once");

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "{seen:?}");
    let id = seen[0]["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("hc"));
    assert!(
        seen.iter().all(|m| m["id"] == id.as_str()),
        "every attempt carries the same message id"
    );
    assert_eq!(seen[2]["phone"], "13800131234", "the gateway gets the number");
    assert!(seen[2]["text"].as_str().unwrap().contains("/s/1/"));
    assert_eq!(
        app.scalar("SELECT state || ' ' || CAST(attempts AS TEXT) || ' ' || gateway AS v FROM sms_message")
            .await
            .as_deref(),
        Some("sent 3 http")
    );
    let (_, page) = admin.get("/admin/outbox").await;
    assert!(page.contains("sms-sent") && !page.contains("13800131234"));
    assert!(!page.contains("模拟市民回复短信"), "a real gateway: no playing replies");
    assert_eq!(
        admin
            .post_page("/admin/outbox/reply", &[("phone", "13800131234"), ("text", "5")])
            .await
            .0,
        403
    );
}

on_both_databases!(a_send_interrupted_by_a_crash_is_retried_with_the_same_message_id,);

/// The sender claims a message (state `sending`, attempt counted) and the
/// process dies before the gateway answers: nothing is lost, and the retry
/// after the backoff carries the same message id (the gateway drops duplicates).
async fn a_send_interrupted_by_a_crash_is_retried_with_the_same_message_id(app: TestApp) {
    let morning = next_beijing(app.now(), 10);
    case(&app, "CR-1", Some("13800131234"), morning - Duration::hours(25)).await;
    app.advance(morning - app.now());
    let key = store::crypto::DataKey::from_hex(crate::helpers::TEST_DATA_KEY).unwrap();
    assert_eq!(store::sms::queue_reminders(&app.db, &key, &app.base, app.now()).await.unwrap(), 1);
    let first = store::sms::claim_due(&app.db, &key, app.now(), 10).await.unwrap();
    assert_eq!(first.len(), 1);
    // … the process is killed here, before mark_sent / mark_failed.
    assert_eq!(
        app.scalar("SELECT state || ' ' || CAST(attempts AS TEXT) AS v FROM sms_message")
            .await
            .as_deref(),
        Some("sending 1"),
        "the claim is on record"
    );
    assert!(
        store::sms::claim_due(&app.db, &key, app.now(), 10).await.unwrap().is_empty(),
        "not again at once"
    );
    app.advance(Duration::minutes(2));
    let (_, page) = run_jobs(&app).await;
    assert!(page.contains("短信发送成功 1"), "{page}");
    assert_eq!(
        app.scalar("SELECT message_id || ' ' || state || ' ' || CAST(attempts AS TEXT) AS v FROM sms_message")
            .await,
        Some(format!("{} sent 2", first[0].message_id)),
        "the same message, sent on its second attempt"
    );
}
