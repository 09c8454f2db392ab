//! The kiosk's API (自助终端): pairing from its own keypad, the hall and its
//! windows, and ratings sent — and resent — from its offline queue, each stored
//! exactly once with channel `kiosk`; bad input is refused and stores nothing.
#![allow(clippy::unwrap_used)] // a failing unwrap is a failing test

use chrono::Duration;
use domain::Role;
use serde_json::{json, Value};

use crate::helpers::{Browser, TestApp};
use crate::on_both_databases;

on_both_databases!(
    a_kiosk_pairs_from_its_keypad_and_sees_its_hall,
    kiosk_ratings_are_stored_once_however_often_they_are_resent,
    bad_kiosk_ratings_are_refused_and_store_nothing,
    a_real_name_kiosk_rates_from_a_phone_proven_by_sms_code,
);

#[tokio::test]
async fn the_bundle_is_served_under_device_app_beside_the_evaluator() {
    let dir = std::env::temp_dir().join(format!("haocha-device-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>kiosk shell</title>").unwrap();
    std::fs::write(dir.join("sw.js"), "self.addEventListener('fetch', () => {});").unwrap();
    let d = dir.clone();
    let app = TestApp::start_with(crate::helpers::Backend::Sqlite, move |c| c.device_dir = d).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = http.get(app.url("/device/app/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["cache-control"],
        "no-cache",
        "a new release reaches the terminals at once"
    );
    assert!(res.text().await.unwrap().contains("kiosk shell"));
    let res = http.get(app.url("/device/app/sw.js")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().contains("javascript"));
    assert_eq!(http.get(app.url("/device/app/nothing.js")).send().await.unwrap().status(), 404);
    // The evaluator's own pages are not shadowed.
    let res = http.get(app.url("/device")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/device/pair");
    assert_eq!(http.get(app.url("/device/pair")).send().await.unwrap().status(), 200);
    std::fs::remove_dir_all(&dir).unwrap();
}

async fn send(d: &Browser, path: &str, body: &Value) -> (u16, Value) {
    let res = d
        .http
        .post(format!("{}{path}", d.base))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/json",
        "{path} answers JSON"
    );
    (status, res.json().await.unwrap())
}

async fn get(d: &Browser, path: &str) -> (u16, Value) {
    let res = d.http.get(format!("{}{path}", d.base)).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// A hall-wide kiosk, paired by the center (issue 13 item 2: a unit
/// administrator may pair only its windows' evaluators).
async fn kiosk(app: &TestApp, job: &str) -> Browser {
    let admin = app.signed_in(Role::CenterAdmin, Some("210100"), job).await;
    let (status, page) = admin.post_page("/admin/devices/W01/pair", &[("kind", "kiosk")]).await;
    assert_eq!(status, 200);
    let at = page.find("id=\"pairing-code\"").unwrap();
    let start = at + page[at..].find('>').unwrap() + 1;
    let code = page[start..].split('<').next().unwrap().to_string();
    let d = Browser::new(&app.base);
    let (status, body) = send(&d, "/device/api/pair", &json!({"code": code})).await;
    assert_eq!(status, 200, "{body}");
    d
}

fn rating(id: &str, window: Option<&str>, level: &str, tags: &[&str]) -> Value {
    json!({"submission_id": id, "window_code": window, "level": level, "tags": tags})
}

async fn a_kiosk_pairs_from_its_keypad_and_sees_its_hall(app: TestApp) {
    let d = Browser::new(&app.base);
    let (status, body) = get(&d, "/device/api/kiosk").await;
    assert_eq!(status, 401, "an unpaired terminal sees nothing");
    assert_eq!(body["error"], "unpaired", "the API's one error body");
    let (status, body) = send(&d, "/device/api/pair", &json!({"code": "00000000"})).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("code")));
    assert!(body["message"].as_str().unwrap().contains("配对码无效"));
    assert_eq!(send(&d, "/device/api/pair", &json!({"pin": 1})).await.0, 400);

    let d = kiosk(&app, "k1").await;
    let (status, body) = get(&d, "/device/api/kiosk").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["hall_code"], "H-SY-01");
    assert_eq!(body["window_code"], "W01");
    let codes: Vec<&str> = body["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["W01", "W02", "W03", "W04", "W05", "W06"],
        "its hall's windows, not Dalian's"
    );
    assert_eq!(body["rated_today"], 0);
}

async fn kiosk_ratings_are_stored_once_however_often_they_are_resent(app: TestApp) {
    let d = kiosk(&app, "k2").await;
    let first = rating("kioskQueue0000000001", Some("W02"), "satisfied", &["efficiency"]);
    let (status, body) = send(&d, "/device/api/ratings", &first).await;
    assert_eq!((status, body["code"].as_str()), (201, Some("rated")), "{body}");
    let (status, body) = send(&d, "/device/api/ratings", &first).await;
    assert_eq!((status, body["resent"].as_bool()), (200, Some(true)), "a resend stores nothing new");

    // A queue flushed twice at once after the network returns: 10 copies of each of 3.
    let mut sends = Vec::new();
    for i in 0..30 {
        let body = rating(&format!("kioskQueue00000001{}", i % 3), None, "very_satisfied", &[]);
        let d = &d;
        sends.push(async move { send(d, "/device/api/ratings", &body).await.0 });
    }
    let statuses = futures::future::join_all(sends).await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 3, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 201), "{statuses:?}");
    assert_eq!(app.count_rows("place_rating").await, 4);
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM place_rating WHERE channel = 'kiosk' AND counted AND device_id IS NOT NULL")
            .await
            .as_deref(),
        Some("4"),
        "all kiosk ratings count: no repeat rule for a paired terminal"
    );
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM place_rating WHERE window_id IS NULL AND target = 'hall'")
            .await
            .as_deref(),
        Some("3"),
        "without a window, the hall is rated"
    );

    // Queued offline yesterday: the citizen's time is kept beside the time received.
    let mut late = rating("kioskQueue0000000099", Some("W01"), "basically_satisfied", &[]);
    late["rated_at"] = json!((app.now() - Duration::hours(20)).to_rfc3339());
    assert_eq!(send(&d, "/device/api/ratings", &late).await.0, 201);
    // Issue 13 item 2: a time in the future, or older than the policy's offline
    // horizon (24 h by default), is refused with its field; nothing is stored.
    let mut wrong_clock = rating("kioskQueue0000000098", Some("W01"), "satisfied", &[]);
    wrong_clock["rated_at"] = json!((app.now() + Duration::days(400)).to_rfc3339());
    let (status, body) = send(&d, "/device/api/ratings", &wrong_clock).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("rated_at")), "{body}");
    let mut too_old = rating("kioskQueue0000000096", Some("W01"), "very_dissatisfied", &[]);
    too_old["rated_at"] = json!((app.now() - Duration::hours(25)).to_rfc3339());
    let (status, body) = send(&d, "/device/api/ratings", &too_old).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("rated_at")), "{body}");
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM place_rating WHERE rated_at IS NOT NULL")
            .await
            .as_deref(),
        Some("1"),
        "only the believable queued time is kept"
    );
    let (_, body) = get(&d, "/device/api/kiosk").await;
    assert_eq!(body["rated_today"], 5);

    // Revoked: the terminal keeps its queue, the server takes nothing more.
    let admin = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), "k2b").await;
    let id = app.scalar("SELECT CAST(MAX(id) AS TEXT) AS v FROM device").await.unwrap();
    assert_eq!(admin.post_page(&format!("/admin/devices/W01/revoke/{id}"), &[]).await.0, 303);
    let (status, body) = send(&d, "/device/api/ratings", &rating("kioskQueue0000000097", None, "satisfied", &[])).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("unpaired")));
    assert_eq!(app.count_rows("place_rating").await, 5, "the two refused times stored nothing");
}

async fn bad_kiosk_ratings_are_refused_and_store_nothing(app: TestApp) {
    let anonymous = Browser::new(&app.base);
    let (status, _) = send(
        &anonymous,
        "/device/api/ratings",
        &rating("kioskBad000000000001", None, "satisfied", &[]),
    )
    .await;
    assert_eq!(status, 401, "only a paired terminal rates as a kiosk");
    let d = kiosk(&app, "k3").await;
    let cases = [
        (rating("kioskBad000000000003", Some("W01"), "great", &[]), 422, "level"),
        (rating("kioskBad000000000004", Some("W01"), "satisfied", &["cheap"]), 422, "tags"),
        (rating("kioskBad000000000005", Some("DL01"), "satisfied", &[]), 422, "window_code"),
        (rating("kioskBad000000000006", Some("NOPE"), "satisfied", &[]), 422, "window_code"),
        (rating("short", Some("W01"), "satisfied", &[]), 422, "submission_id"),
        (
            rating("kioskBad00000000000'; DROP TABLE x", None, "satisfied", &[]),
            422,
            "submission_id",
        ),
        (
            json!({"submission_id": "kioskBad000000000007", "level": "satisfied", "extra": 1}),
            400,
            "",
        ),
        (json!([1, 2]), 400, ""),
    ];
    for (body, want, field) in cases {
        let (status, reply) = send(&d, "/device/api/ratings", &body).await;
        assert_eq!(status, want, "{body} → {reply}");
        assert!(reply["error"].is_string(), "{body} → {reply}");
        assert!(!reply["message"].as_str().unwrap().is_empty());
        if !field.is_empty() {
            assert_eq!(reply["field"], field, "{body}");
        }
    }
    let mut long = rating("kioskBad000000000008", None, "satisfied", &[]);
    long["comment"] = json!("长".repeat(501));
    assert_eq!(send(&d, "/device/api/ratings", &long).await.1["field"], "comment");
    assert_eq!(app.count_rows("place_rating").await, 0, "nothing was stored");
    // A tap on 不满意 without a reason is still a 差评: stored, never lost.
    let (status, reply) = send(
        &d,
        "/device/api/ratings",
        &rating("kioskBad000000000002", Some("W01"), "dissatisfied", &[]),
    )
    .await;
    assert_eq!((status, reply["code"].as_str()), (201, Some("rated")), "{reply}");
    assert_eq!(
        app.scalar("SELECT channel || ' ' || level AS v FROM place_rating").await.as_deref(),
        Some("kiosk dissatisfied")
    );
    // …and followed up: its work order belongs to the window's unit.
    assert_eq!(
        app.scalar(
            "SELECT u.code AS v FROM work_order w JOIN unit u ON u.id = w.unit_id \
             JOIN place_rating p ON p.id = w.place_rating_id WHERE p.channel = 'kiosk'"
        )
        .await
        .as_deref(),
        Some("U-MARKET")
    );
}

/// Issue 13 item 6: where the region requires real names, a kiosk rating needs
/// the token of a phone proven by SMS code at the kiosk, one rating per proof.
async fn a_real_name_kiosk_rates_from_a_phone_proven_by_sms_code(app: TestApp) {
    let d = kiosk(&app, "k4").await;
    let (_, setup) = get(&d, "/device/api/kiosk").await;
    assert_eq!(setup["real_name"], false, "沈阳 encourages real names, does not require them");
    app.require_real_names("210100").await;
    let (_, setup) = get(&d, "/device/api/kiosk").await;
    assert_eq!(setup["real_name"], true, "{setup}");

    let unproven = rating("kioskReal00000000001", Some("W01"), "dissatisfied", &["attitude"]);
    let (status, body) = send(&d, "/device/api/ratings", &unproven).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("phone")), "{body}");
    assert_eq!(app.count_rows("place_rating").await, 0);

    // Only a paired terminal may ask for codes.
    let stranger = Browser::new(&app.base);
    assert_eq!(
        send(&stranger, "/device/api/real-name", &json!({"phone": "13800131234"})).await.0,
        401
    );
    let (status, body) = send(&d, "/device/api/real-name", &json!({"phone": "13800131234"})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["message"].as_str().unwrap().contains("138****1234"));
    let (status, body) = send(&d, "/device/api/real-name", &json!({"phone": "13800131234"})).await;
    assert_eq!((status, body["field"].as_str()), (429, Some("phone")), "{body}");
    let sms = app
        .scalar("SELECT body AS v FROM sms_message WHERE kind = 'real_name_code' ORDER BY id DESC LIMIT 1")
        .await
        .unwrap();
    let code: String = sms.chars().skip_while(|c| !c.is_ascii_digit()).take(6).collect();
    let (status, body) = send(&d, "/device/api/real-name", &json!({"phone": "13800131234", "code": "12345"})).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("sms_code")), "{body}");
    let (status, body) = send(&d, "/device/api/real-name", &json!({"phone": "13800131234", "code": code})).await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().unwrap().to_string();

    let mut proven = rating("kioskReal00000000002", Some("W01"), "dissatisfied", &["attitude"]);
    proven["real_name_token"] = json!(token);
    assert_eq!(send(&d, "/device/api/ratings", &proven).await.0, 201);
    assert_eq!(send(&d, "/device/api/ratings", &proven).await.0, 200, "a resend is the same rating");
    let mut again = rating("kioskReal00000000003", Some("W01"), "satisfied", &[]);
    again["real_name_token"] = json!(token);
    let (status, body) = send(&d, "/device/api/ratings", &again).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("phone")), "one proof, one rating");
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM place_rating WHERE channel = 'kiosk' AND phone_hash IS NOT NULL AND counted")
            .await
            .as_deref(),
        Some("1")
    );
}
