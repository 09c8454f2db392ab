//! The whole path after the visit (issue 6), with the app's clock moved and
//! never slept: a case completes, 24 h pass, its reminder is in the outbox,
//! its link rates it and adds one follow-up (a second is refused); another
//! case is rated by an SMS reply; a third gets its region's default rating.
//! Then the hotline's key press and the center's phone invitation.
#![allow(clippy::unwrap_used)] // a failing unwrap is a failing test

use chrono::{DateTime, Duration, Utc};
use domain::calendar::{cst, day_of, start_of, Calendar};
use domain::Role;
use serde_json::{json, Value};

use crate::helpers::{case_body, Browser, TestApp, HOTLINE_SECRET, SMS_SECRET};
use crate::on_both_databases;

on_both_databases!(
    reminder_link_rating_follow_up_sms_reply_and_default,
    hotline_key_presses_and_phone_invitations_are_ratings_once,
);

async fn case(app: &TestApp, number: &str, window: &str, phone: Option<&str>, completed: DateTime<Utc>) {
    let mut body = case_body(number, window, None);
    if window.starts_with("DL") {
        // A 大连 window serves 大连's items (a 沈阳 item is refused there).
        body["item_code"] = json!("11210200MB0001-001");
    }
    body["applicant_phone"] = json!(phone);
    body["completed_at"] = json!(completed.with_timezone(&cst()).to_rfc3339());
    body["accepted_at"] = json!((completed - Duration::minutes(20)).with_timezone(&cst()).to_rfc3339());
    let res = app.post_json("/api/v1/cases", &body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
}

static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

async fn admin(app: &TestApp) -> Browser {
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    app.signed_in(Role::SystemAdmin, None, &format!("av{n}")).await
}

async fn run_jobs(app: &TestApp) -> String {
    let (status, page) = admin(app).await.post_page("/admin/outbox/run", &[]).await;
    assert_eq!(status, 200, "{page}");
    page
}

fn scalar_sql(number: &str, what: &str) -> String {
    format!(
        "SELECT {what} AS v FROM rating r JOIN service_case c ON c.id = r.case_id WHERE c.case_number = '{number}' ORDER BY r.rating_count"
    )
}

async fn post_json_form(app: &TestApp, url: &str, fields: &[(&str, &str)]) -> (u16, Value) {
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let res = app
        .http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn reminder_link_rating_follow_up_sms_reply_and_default(app: TestApp) {
    // The clock moves to the next 10:05 Beijing time; the cases completed a day
    // and five minutes before it.
    let mut morning = start_of(day_of(app.now())) + Duration::hours(10) + Duration::minutes(5);
    if morning <= app.now() {
        morning += Duration::days(1);
    }
    let completed = morning - Duration::hours(24) - Duration::minutes(5);
    case(&app, "AV-A", "W01", Some("13800138001"), completed).await;
    case(&app, "AV-B", "W02", Some("13800138002"), completed).await;
    case(&app, "AV-C", "W01", None, completed).await;
    app.advance(morning - app.now());

    // 24 h on: two reminders (AV-C left no phone) go out.
    let page = run_jobs(&app).await;
    assert!(page.contains("新排队的提醒短信 2") && page.contains("短信发送成功 2"), "{page}");
    let (_, outbox) = admin(&app).await.get("/admin/outbox").await;
    assert!(outbox.contains("138****8001") && outbox.contains("reminder"), "{outbox}");
    let body = app
        .scalar("SELECT m.body AS v FROM sms_message m JOIN service_case c ON c.id = m.case_id WHERE c.case_number = 'AV-A'")
        .await
        .unwrap();
    let link = body
        .split_whitespace()
        .find_map(|w| w.find("http").map(|i| w[i..].to_string()))
        .unwrap();

    // A: the link rates it, then offers one follow-up.
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = no_redirect.get(&link).send().await.unwrap();
    let rating_url = app.url(res.headers()["location"].to_str().unwrap());
    let (status, _) = app.post_form(&rating_url, &[("level", "basically_satisfied")]).await;
    assert_eq!(status, 201);
    let (status, page) = app.get_page(&rating_url).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("追加评价") && page.contains("/more"),
        "a rated case's link offers a follow-up: {page}"
    );
    let more = format!("{rating_url}/more");
    let (status, page) = app.get_page(&more).await;
    assert_eq!(status, 200);
    assert!(page.contains("仅可追加一次"), "{page}");
    let (status, reply) = post_json_form(&app, &more, &[("level", "dissatisfied")]).await;
    assert_eq!(
        (status, reply["field"].as_str()),
        (422, Some("tags")),
        "a bad follow-up needs a reason too"
    );
    let (status, reply) = post_json_form(
        &app,
        &more,
        &[("level", "dissatisfied"), ("tags", "efficiency"), ("comment", "材料退回三次")],
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    let (status, reply) = post_json_form(&app, &more, &[("level", "very_satisfied")]).await;
    assert_eq!((status, reply["code"].as_str()), (409, Some("already_followed_up")), "once only");
    let (status, page) = app.post_form(&more, &[("level", "very_satisfied")]).await;
    assert_eq!(status, 409);
    assert!(page.contains("不能再次追加"), "{page}");
    let levels = [
        app.scalar(&format!(
            "{} LIMIT 1",
            scalar_sql("AV-A", "r.level || ' ' || CAST(r.rating_count AS TEXT) || ' ' || r.channel")
        ))
        .await,
        app.scalar(&format!(
            "{} LIMIT 1 OFFSET 1",
            scalar_sql(
                "AV-A",
                "r.level || ' ' || CAST(r.rating_count AS TEXT) || ' ' || COALESCE(r.comment, '')"
            )
        ))
        .await,
    ];
    assert_eq!(
        levels[0].as_deref(),
        Some("basically_satisfied 1 sms_link"),
        "the first rating stays"
    );
    assert_eq!(levels[1].as_deref(), Some("dissatisfied 2 材料退回三次"), "the follow-up beside it");

    // B: the citizen answers the SMS with "4".
    let res = app
        .http
        .post(app.url("/api/v1/sms/inbound"))
        .header("x-haocha-secret", SMS_SECRET)
        .json(&json!({"phone": "13800138002", "text": "4"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.scalar(&scalar_sql("AV-B", "r.channel || ' ' || r.level")).await.as_deref(),
        Some("sms_reply satisfied")
    );

    // C: nobody rates it; after five working days it gets Liaoning's default.
    let due = Calendar::builtin().deadline(completed, 5);
    app.advance(due - app.now() + Duration::minutes(1));
    let page = run_jobs(&app).await;
    assert!(page.contains("默认评价：新给出 1"), "{page}");
    assert_eq!(
        app.scalar("SELECT c.case_number || ' ' || d.level AS v FROM default_rating d JOIN service_case c ON c.id = d.case_id")
            .await
            .as_deref(),
        Some("AV-C satisfied")
    );

    // Weeks later B's follow-up window (15 days from its rating) has closed.
    app.advance(Duration::days(20));
    let res = no_redirect.get(app.url(&store_link(&app, "AV-B").await)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let b_url = app.url(res.headers()["location"].to_str().unwrap());
    let (status, page) = app.get_page(&format!("{b_url}/more")).await;
    assert_eq!(status, 410);
    assert!(page.contains("追加评价期限已过"), "{page}");
    let (status, _) = post_json_form(&app, &format!("{b_url}/more"), &[("level", "satisfied")]).await;
    assert_eq!(status, 410);
    assert_eq!(app.count_rows("rating").await, 3, "A twice, B once");
}

/// B's SMS link path, from its reminder.
async fn store_link(app: &TestApp, number: &str) -> String {
    let body = app
        .scalar(&format!(
            "SELECT m.body AS v FROM sms_message m JOIN service_case c ON c.id = m.case_id WHERE c.case_number = '{number}' AND m.kind = 'reminder'"
        ))
        .await
        .unwrap();
    let at = body.find("/s/1/").unwrap();
    body[at..].split_whitespace().next().unwrap().to_string()
}

async fn hotline(app: &TestApp, secret: &str, body: Value) -> (u16, Value) {
    let res = app
        .http
        .post(app.url("/api/v1/hotline/ratings"))
        .header("x-haocha-secret", secret)
        .json(&body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn hotline_key_presses_and_phone_invitations_are_ratings_once(app: TestApp) {
    let completed = app.now() - Duration::hours(3);
    case(&app, "HL-1", "W01", Some("13600136001"), completed).await;
    case(&app, "HL-2", "W01", Some("13600136001"), completed - Duration::hours(1)).await;
    case(&app, "HL-3", "W01", Some("13600136001"), completed - Duration::hours(2)).await;
    case(&app, "PI-1", "W01", Some("13600136009"), completed).await;
    case(&app, "PI-DL", "DL01", None, completed).await;

    let call = json!({"call_id": "ivr-0001", "phone": "13600136001", "key": 4});
    assert_eq!(hotline(&app, "wrong", call.clone()).await.0, 401);
    let (status, out) = hotline(&app, HOTLINE_SECRET, call.clone()).await;
    assert_eq!(status, 201, "{out}");
    assert_eq!(
        (out["case_number"].as_str(), out["level"].as_str()),
        (Some("HL-1"), Some("satisfied")),
        "the latest unrated case"
    );
    let (status, again) = hotline(&app, HOTLINE_SECRET, call).await;
    assert_eq!(
        (status, again["resent"].as_bool()),
        (200, Some(true)),
        "the IVR calls twice: one rating"
    );
    assert_eq!(again["rating_id"], out["rating_id"]);
    let (status, out) = hotline(
        &app,
        HOTLINE_SECRET,
        json!({"call_id": "ivr-0002", "phone": "13600136001", "key": 2}),
    )
    .await;
    assert_eq!(
        (status, out["level"].as_str(), out["case_number"].as_str()),
        (201, Some("dissatisfied"), Some("HL-2")),
        "a key pressed cannot carry reasons: the 差评 is stored without them: {out}"
    );
    let (status, out) = hotline(
        &app,
        HOTLINE_SECRET,
        json!({"call_id": "ivr-0003", "phone": "13600136001", "key": 9}),
    )
    .await;
    assert_eq!((status, out["field"].as_str()), (422, Some("key")), "{out}");
    let (status, _) = hotline(
        &app,
        HOTLINE_SECRET,
        json!({"call_id": "ivr-0004", "phone": "13600136001", "key": 5, "case_number": "PI-1"}),
    )
    .await;
    assert_eq!(status, 422, "another phone's case");
    let (status, out) = hotline(
        &app,
        HOTLINE_SECRET,
        json!({"call_id": "ivr-0005", "phone": "13600136001", "key": 2, "tags": ["attitude"]}),
    )
    .await;
    assert_eq!((status, out["case_number"].as_str()), (201, Some("HL-3")), "{out}");
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM rating WHERE channel = 'hotline'")
            .await
            .as_deref(),
        Some("3")
    );

    // The center calls PI-1's rater and records what they said.
    let center = app.signed_in(Role::CenterAdmin, Some("210100"), "pi1").await;
    let (status, page) = center.get("/admin/phone-rating?case=PI-1").await;
    assert_eq!(status, 200);
    assert!(page.contains("136****6009") && !page.contains("13600136009"), "masked: {page}");
    // What the rater said is taken down as said: a 差评 without a reason ticked
    // is still a 差评 (nothing is lost for want of a tag).
    let (status, location) = center
        .post_page(
            "/admin/phone-rating",
            &[
                ("case_number", "PI-1"),
                ("level", "very_dissatisfied"),
                ("comment", "电话中说态度差"),
            ],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/admin/phone-rating?case=PI-1&notice=recorded"));
    assert_eq!(
        app.scalar(&scalar_sql("PI-1", "r.channel || ' ' || r.level || ' ' || r.comment"))
            .await
            .as_deref(),
        Some("phone_invite very_dissatisfied 电话中说态度差")
    );
    assert_eq!(
        app.scalar("SELECT actor || ' ' || action || ' ' || object_code AS v FROM audit_log WHERE action = 'phone_rating'")
            .await
            .as_deref(),
        Some("pi1 phone_rating PI-1"),
        "who entered it"
    );
    let (status, _) = center
        .post_page("/admin/phone-rating", &[("case_number", "PI-1"), ("level", "satisfied")])
        .await;
    assert_eq!(status, 409, "rated already");
    // Out of scope answers as a missing case does (issue 13 item 16).
    let (status, out_of_scope) = center.get("/admin/phone-rating?case=PI-DL").await;
    assert_eq!(status, 404, "Dalian is not this center's");
    let (status, missing) = center.get("/admin/phone-rating?case=NO-SUCH").await;
    assert_eq!(status, 404);
    assert_eq!(
        out_of_scope.replace("PI-DL", "X"),
        missing.replace("NO-SUCH", "X"),
        "the same page for both"
    );
    let (status, _) = center
        .post_page("/admin/phone-rating", &[("case_number", "PI-DL"), ("level", "satisfied")])
        .await;
    assert_eq!(status, 404, "nothing recorded out of scope");
    let staff = app.signed_in(Role::WindowStaff, Some("W01"), "pi2").await;
    assert_eq!(
        staff.get("/admin/phone-rating?case=HL-1").await.0,
        403,
        "staff never enter ratings of their own service"
    );
    assert_eq!(
        staff
            .post_page("/admin/phone-rating", &[("case_number", "PI-DL"), ("level", "satisfied")])
            .await
            .0,
        403
    );
}
