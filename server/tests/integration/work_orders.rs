//! 差评工单 end to end, with the app's clock moved, never slept: every bad
//! rating opens an order in its own transaction (page, API push, SMS reply,
//! hotline, static code and kiosk; flagged ones wait for review), the unit
//! verifies and replies, the center checks; extensions, QC returns, appeals
//! with evidence, revisits, escalation of overdue orders, scope and illegal
//! steps; deadlines across the 2025 National Day holiday; the API's view.
#![allow(clippy::unwrap_used)] // a failing unwrap is a failing test

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::calendar::cst;
use domain::Role;
use serde_json::{json, Value};

use crate::helpers::{case_body, Browser, TestApp, SMS_SECRET};
use crate::on_both_databases;

on_both_databases!(
    a_bad_rating_is_verified_replied_revisited_and_closed_by_qc,
    qc_returns_a_reply_and_an_extension_moves_the_deadline,
    overdue_orders_are_escalated_once_a_day_and_listed_first,
    appeals_with_evidence_are_upheld_or_rejected,
    steps_out_of_order_are_409_and_other_units_orders_403,
    every_channel_opens_an_order_and_flagged_ratings_wait_for_review,
    first_contact_across_national_day_is_due_at_the_end_of_october_9,
    a_closed_order_sends_one_rerating_link_counted_apart,
    abuse_and_duplicates_are_flagged_for_the_center_never_dropped,
    where_the_policy_says_so_the_unit_sets_the_deadline,
    the_public_page_shows_results_and_rectified_cases_anonymised,
    rollups_always_equal_a_recount_from_the_raw_rows,
    the_order_goes_to_the_unit_of_the_item_at_any_window,
    many_new_orders_are_each_told_once_by_job_runs_started_together,
    bad_ratings_sharing_a_commit_each_open_their_own_order_and_a_rerating_link_among_them_stays_a_rerating,
);

static N: AtomicU32 = AtomicU32::new(0);

/// A fresh account of `role` (sessions end when the clock jumps).
async fn person(app: &TestApp, role: Role, scope: Option<&str>) -> Browser {
    let n = N.fetch_add(1, Ordering::SeqCst);
    app.signed_in(role, scope, &format!("wo{n}")).await
}

async fn unit(app: &TestApp) -> Browser {
    person(app, Role::UnitAdmin, Some("U-MARKET")).await
}

async fn center(app: &TestApp) -> Browser {
    person(app, Role::CenterAdmin, Some("210100")).await
}

/// Reports a case at W01 (item of U-MARKET) completed now; returns its rating URL.
async fn case(app: &TestApp, number: &str, real_name: bool) -> String {
    let mut body = case_body(number, "W01", Some("S1001"));
    let now = app.now();
    body["real_name"] = json!(real_name);
    body["completed_at"] = json!(now.with_timezone(&cst()).to_rfc3339());
    body["accepted_at"] = json!((now - Duration::minutes(20)).with_timezone(&cst()).to_rfc3339());
    let res = app.post_json("/api/v1/cases", &body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json::<Value>().await.unwrap()["rating_url"].as_str().unwrap().to_string()
}

/// Rates a case 非常不满意 on the page, as a phone without JavaScript does.
async fn rate_bad(app: &TestApp, url: &str) {
    let (status, html) = app
        .post_form(
            url,
            &[
                ("level", "very_dissatisfied"),
                ("tags", "efficiency"),
                ("comment", "等了两个小时没人管"),
            ],
        )
        .await;
    assert_eq!(status, 201, "{html}");
}

/// The newest unit administrator (of U-MARKET) names themself the unit's
/// 差评处置负责人 (mobile 13912345678); returns their job number.
async fn name_market_handler(app: &TestApp, unit_admin: &Browser, csrf: &str) -> String {
    let me = app
        .scalar("SELECT job_number AS v FROM account WHERE role = 'unit_admin' ORDER BY id DESC")
        .await
        .unwrap();
    let (status, loc) = unit_admin
        .post_raw(
            "/admin/work-orders/handler",
            &[("_csrf", csrf), ("unit", "U-MARKET"), ("job_number", &me), ("phone", "13912345678")],
        )
        .await;
    assert_eq!((status, loc.as_str()), (303, "/admin/work-orders?notice=handler"));
    me
}

async fn order_id_of(app: &TestApp, number: &str) -> i32 {
    app.scalar(&format!(
        "SELECT CAST(w.id AS TEXT) AS v FROM work_order w JOIN service_case c ON c.id = w.case_id WHERE c.case_number = '{number}'"
    ))
    .await
    .unwrap_or_else(|| panic!("an order for {number}"))
    .parse()
    .unwrap()
}

async fn state_of(app: &TestApp, id: i32) -> String {
    app.scalar(&format!("SELECT state AS v FROM work_order WHERE id = {id}"))
        .await
        .unwrap()
}

/// Posts a step's form with the CSRF token of the order page; `(status, Location or page)`.
async fn step(b: &Browser, id: i32, action: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let token = b.csrf("/account/password").await;
    let mut all: Vec<(&str, &str)> = vec![("_csrf", &token)];
    all.extend_from_slice(fields);
    b.post_raw(&format!("/admin/work-orders/{id}/{action}"), &all).await
}

async fn done(b: &Browser, id: i32, action: &str, fields: &[(&str, &str)]) {
    let (status, loc) = step(b, id, action, fields).await;
    assert_eq!(status, 303, "{action}: {loc}");
    assert!(loc.starts_with(&format!("/admin/work-orders/{id}?done={action}")), "{loc}");
}

const REPLY: [(&str, &str); 5] = [
    ("investigation", "调阅监控，核实窗口排队 2 小时属实"),
    ("process", "约谈窗口负责人，调整午间排班"),
    ("measures", "增设 1 个综合受理窗口，高峰期弹性排班"),
    ("result", "已增设窗口，平均等候缩短至 20 分钟"),
    ("signed_by", "赵局长"),
];

async fn api_order(app: &TestApp, id: i32) -> Value {
    let (status, body) = app.get_json(&format!("/api/v1/work-orders/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn a_bad_rating_is_verified_replied_revisited_and_closed_by_qc(app: TestApp) {
    let good = case(&app, "WO-GOOD", true).await;
    let (status, _) = app.post_form(&good, &[("level", "satisfied")]).await;
    assert_eq!(status, 201);
    let url = case(&app, "WO-1", true).await;
    rate_bad(&app, &url).await;
    assert_eq!(
        app.count_rows("work_order").await,
        1,
        "a good rating opens none, a bad one exactly one"
    );
    let id = order_id_of(&app, "WO-1").await;

    let unit = unit(&app).await;
    let (status, list) = unit.get("/admin/work-orders").await;
    assert_eq!(status, 200);
    assert!(list.contains("WO-1") && list.contains("待核实") && list.contains("剩余"), "{list}");
    let (_, page) = unit.get(&format!("/admin/work-orders/{id}")).await;
    assert!(page.contains("138****1234") && !page.contains("13800131234"), "the phone is masked");
    assert!(page.contains("等了两个小时没人管") && page.contains("首次联系核实"), "{page}");
    assert!(
        page.contains("/verify") && !page.contains("/qc_pass"),
        "only the steps allowed now: {page}"
    );

    done(
        &unit,
        id,
        "verify",
        &[("how", "phone"), ("said", "排队太久，无人引导"), ("tier", "general")],
    )
    .await;
    assert_eq!(state_of(&app, id).await, "contacted");
    let handle_due = api_order(&app, id).await["handle_due"].as_str().unwrap().to_string();
    assert!(!handle_due.is_empty());
    done(&unit, id, "start", &[]).await;

    // A reply without its measures: 422 naming the field, nothing changed.
    let partial: Vec<(&str, &str)> = REPLY.iter().copied().filter(|(k, _)| *k != "measures").collect();
    let (status, page) = step(&unit, id, "reply", &partial).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("整改措施："), "names the missing element: {page}");
    assert_eq!(state_of(&app, id).await, "in_progress");
    done(&unit, id, "reply", &REPLY).await;
    assert_eq!(state_of(&app, id).await, "replied");

    // The unit cannot pass its own reply.
    let (status, _) = step(&unit, id, "qc_pass", &[]).await;
    assert_eq!(status, 403);
    let center = center(&app).await;
    // A real-name bad rating is closed only after a revisit.
    let (status, page) = step(&center, id, "qc_pass", &[]).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("回访"), "{page}");
    done(
        &center,
        id,
        "revisit",
        &[("how", "phone"), ("outcome", "评价人认可整改"), ("satisfied", "yes")],
    )
    .await;
    let (status, loc) = step(&center, id, "qc_pass", &[]).await;
    assert_eq!((status, loc.ends_with("&told=1")), (303, true), "{loc}");
    assert_eq!(state_of(&app, id).await, "closed");

    // The rater's SMS with the outcome is in the outbox.
    let sms = app
        .scalar("SELECT body AS v FROM sms_message WHERE kind = 'work_order' AND case_id IS NOT NULL")
        .await
        .unwrap();
    assert!(sms.contains("已增设窗口"), "{sms}");
    // The timeline names every step, who and when.
    let (_, page) = center.get(&format!("/admin/work-orders/{id}")).await;
    for word in [
        "生成工单",
        "核实",
        "开始办理",
        "提交办理回复",
        "回访",
        "质检通过",
        "赵局长",
        "已办结",
    ] {
        assert!(page.contains(word), "{word}: {page}");
    }
    let audited = app
        .scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log WHERE object_kind = 'work_order'")
        .await
        .unwrap();
    assert_eq!(audited, "5", "each step audited (verify, start, reply, revisit, qc_pass)");

    let o = api_order(&app, id).await;
    assert_eq!(o["state"], "closed");
    assert_eq!(o["case_number"], "WO-1");
    assert_eq!(o["unit_code"], "U-MARKET");
    assert_eq!(o["level"], "very_dissatisfied");
    assert_eq!(o["overdue_days"], 0);
    assert_eq!(o["result"], "已增设窗口，平均等候缩短至 20 分钟");
    assert!(o["closed_at"].is_string() && o["first_contact_due"].is_string() && o["rating_id"].is_number());
    let (_, list) = app.get_json("/api/v1/work-orders?limit=1").await;
    assert_eq!(list["work_orders"].as_array().unwrap().len(), 1);
    assert!(list["next"].is_null());
    // Another business system does not see it.
    let (_, other) = store::keys::create(&app.db, "other system", Default::default(), app.now())
        .await
        .unwrap();
    let res = app
        .http
        .get(app.url(&format!("/api/v1/work-orders/{id}")))
        .bearer_auth(other)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

async fn qc_returns_a_reply_and_an_extension_moves_the_deadline(app: TestApp) {
    let url = case(&app, "WO-2", false).await;
    rate_bad(&app, &url).await;
    let id = order_id_of(&app, "WO-2").await;
    let unit = unit(&app).await;
    let center = center(&app).await;
    done(
        &unit,
        id,
        "verify",
        &[("how", "sms"), ("said", "材料被退回三次"), ("tier", "complex")],
    )
    .await;
    let due = api_order(&app, id).await["handle_due"].as_str().unwrap().to_string();
    // More than the policy allows is refused, naming the field.
    let (status, page) = step(&unit, id, "request_extension", &[("days", "30"), ("reason", "需要跨部门协调")]).await;
    assert_eq!(status, 422, "{page}");
    done(&unit, id, "request_extension", &[("days", "5"), ("reason", "需要跨部门协调")]).await;
    assert_eq!(state_of(&app, id).await, "extension_requested");
    let (status, _) = step(&unit, id, "grant_extension", &[]).await;
    assert_eq!(status, 403, "the center approves extensions");
    let (status, loc) = step(&center, id, "grant_extension", &[]).await;
    assert!(status == 303 && loc.ends_with("&told=1"), "the rater is told: {loc}");
    assert_eq!(state_of(&app, id).await, "contacted", "back where it left");
    let later = api_order(&app, id).await["handle_due"].as_str().unwrap().to_string();
    let (a, b) = (
        DateTime::parse_from_rfc3339(&due).unwrap(),
        DateTime::parse_from_rfc3339(&later).unwrap(),
    );
    assert!(b - a >= Duration::days(5), "five working days later: {due} → {later}");
    // Only one extension.
    let (status, page) = step(&unit, id, "request_extension", &[("days", "1"), ("reason", "再延")]).await;
    assert_eq!(status, 409, "{page}");
    done(&unit, id, "start", &[]).await;
    done(&unit, id, "reply", &REPLY).await;
    done(&center, id, "qc_return", &[("reason", "整改结果缺少时间节点")]).await;
    assert_eq!(state_of(&app, id).await, "returned");
    done(&unit, id, "start", &[]).await;
    done(&unit, id, "reply", &REPLY).await;
    done(&center, id, "qc_pass", &[]).await;
    assert_eq!(state_of(&app, id).await, "closed");
    let (_, page) = unit.get(&format!("/admin/work-orders/{id}")).await;
    assert!(page.contains("整改结果缺少时间节点") && page.contains("（已延期）"), "{page}");
}

async fn overdue_orders_are_escalated_once_a_day_and_listed_first(app: TestApp) {
    let unit_admin = unit(&app).await;
    // The unit names its 差评处置负责人.
    let token = unit_admin.csrf("/admin/work-orders").await;
    let (status, loc) = unit_admin
        .post_raw(
            "/admin/work-orders/handler",
            &[
                ("_csrf", &token),
                ("unit", "U-MARKET"),
                ("job_number", "S1001x"),
                ("phone", "13912345678"),
            ],
        )
        .await;
    assert_eq!(status, 422, "an unknown account is refused: {loc}");
    let me = name_market_handler(&app, &unit_admin, &token).await;
    let (status, _) = unit_admin
        .post_raw(
            "/admin/work-orders/handler",
            &[
                ("_csrf", &token),
                ("unit", "U-SOCIAL"),
                ("job_number", &me),
                ("phone", "13912345678"),
            ],
        )
        .await;
    assert_eq!(status, 403, "another unit's handler");
    // The center names its own 负责人, told once a day of the day's overdue orders.
    let c = center(&app).await;
    let token = c.csrf("/admin/work-orders").await;
    let (status, _) = c
        .post_raw(
            "/admin/work-orders/handler",
            &[
                ("_csrf", &token),
                ("unit", "region:210200"),
                ("job_number", &me),
                ("phone", "13912340000"),
            ],
        )
        .await;
    assert_eq!(status, 403, "another city's center");
    let (status, loc) = c
        .post_raw(
            "/admin/work-orders/handler",
            &[
                ("_csrf", &token),
                ("unit", "region:210100"),
                ("job_number", &me),
                ("phone", "13912340000"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{loc}");
    let (_, list) = c.get("/admin/work-orders").await;
    assert!(list.contains("139****0000") && !list.contains("13912340000"), "masked");

    // Start at 10:00 Beijing on a working day so the test does not depend on when it runs.
    let start = cst().with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap().with_timezone(&Utc);
    app.advance(start - app.now());
    let url = case(&app, "WO-3", false).await;
    rate_bad(&app, &url).await;
    let url = case(&app, "WO-3b", false).await;
    rate_bad(&app, &url).await;
    let (late, fresh) = (order_id_of(&app, "WO-3").await, order_id_of(&app, "WO-3b").await);

    let admin = person(&app, Role::SystemAdmin, None).await;
    let (status, _) = admin.post_page("/admin/outbox/run", &[]).await;
    assert_eq!(status, 200);
    let told = app
        .scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM sms_message WHERE body LIKE '%新差评工单%'")
        .await
        .unwrap();
    assert_eq!(told, "2", "the 负责人 is told of each new order once");

    // The second order is verified in time; the first is not.
    let unit_admin = unit(&app).await;
    done(
        &unit_admin,
        fresh,
        "verify",
        &[("how", "phone"), ("said", "已联系"), ("tier", "complex")],
    )
    .await;
    // Friday 2026-12-04 10:00 → Tuesday 2026-12-08: first contact was due at the end of 12-03.
    app.advance(Duration::days(6));
    let admin = person(&app, Role::SystemAdmin, None).await;
    admin.post_page("/admin/outbox/run", &[]).await;
    admin.post_page("/admin/outbox/run", &[]).await;
    let late_sms = app
        .scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM sms_message WHERE body LIKE '%已逾期%'")
        .await
        .unwrap();
    assert_eq!(late_sms, "1", "once a day, whatever the runs");
    let digests = app
        .scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM sms_message WHERE body LIKE '%今日新增逾期差评工单1件%'")
        .await
        .unwrap();
    assert_eq!(digests, "1", "the center's digest, once a day");
    let days: i32 = app
        .scalar(&format!("SELECT CAST(overdue_days AS TEXT) AS v FROM work_order WHERE id = {late}"))
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(days, 3, "12-04, 12-07, 12-08: three working days late");
    let unit_admin = unit(&app).await;
    let (_, list) = unit_admin.get("/admin/work-orders").await;
    let (first, second) = (list.find("WO-3<").unwrap(), list.find("WO-3b<").unwrap());
    assert!(first < second, "overdue first");
    assert!(list.contains("class=\"overdue\"") && list.contains("已逾期 3 个工作日"), "{list}");
    let (_, only) = unit_admin.get("/admin/work-orders?overdue=1").await;
    assert!(only.contains("WO-3<") && !only.contains("WO-3b<"));
    let (_, page) = unit_admin.get(&format!("/admin/work-orders/{late}")).await;
    assert!(page.contains("逾期督办"), "the escalation is on the timeline");
    assert_eq!(api_order(&app, late).await["overdue_days"], 3);
    // A new day, a new notice.
    app.advance(Duration::days(1));
    let admin = person(&app, Role::SystemAdmin, None).await;
    admin.post_page("/admin/outbox/run", &[]).await;
    let late_sms = app
        .scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM sms_message WHERE body LIKE '%已逾期%'")
        .await
        .unwrap();
    assert_eq!(late_sms, "2");
    let digests = app
        .scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM sms_message WHERE body LIKE '%今日新增逾期差评工单%'")
        .await
        .unwrap();
    assert_eq!(digests, "2");
}

const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];

async fn appeal(b: &Browser, id: i32, file: (&str, Vec<u8>)) -> reqwest::Response {
    let token = b.csrf("/account/password").await;
    let form = reqwest::multipart::Form::new()
        .text("_csrf", token)
        .text("kind", "malicious")
        .text("reason", "评价人当天并未到本窗口办理")
        .part("evidence", reqwest::multipart::Part::bytes(file.1).file_name(file.0.to_string()));
    b.http
        .post(format!("{}/admin/work-orders/{id}/appeal", b.base))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn appeals_with_evidence_are_upheld_or_rejected(app: TestApp) {
    let url = case(&app, "WO-4", false).await;
    rate_bad(&app, &url).await;
    let url = case(&app, "WO-5", false).await;
    rate_bad(&app, &url).await;
    let (upheld, rejected) = (order_id_of(&app, "WO-4").await, order_id_of(&app, "WO-5").await);
    let unit = unit(&app).await;
    let center = center(&app).await;

    let res = appeal(&unit, upheld, ("note.txt", b"just words".to_vec())).await;
    assert_eq!(res.status(), 422, "evidence is checked by content");
    assert!(res.text().await.unwrap().contains("PDF、JPEG 或 PNG"));
    assert_eq!(app.count_rows("work_order_file").await, 0);
    let res = appeal(&unit, upheld, ("监控截图.png", PNG.to_vec())).await;
    assert_eq!(res.status(), 303);
    assert_eq!(state_of(&app, upheld).await, "appeal_requested");
    let (_, page) = center.get(&format!("/admin/work-orders/{upheld}")).await;
    let href = format!("/admin/work-orders/{upheld}/files/");
    assert!(page.contains(&href) && page.contains("监控截图.png"), "{page}");
    let file_id = app.scalar("SELECT CAST(id AS TEXT) AS v FROM work_order_file").await.unwrap();
    let res = center.http.get(format!("{}{href}{file_id}", center.base)).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
    done(&center, upheld, "uphold_appeal", &[("note", "监控显示当日无此人到窗口")]).await;
    assert_eq!(state_of(&app, upheld).await, "closed");
    let excluded = app
        .scalar(&format!(
            "SELECT CASE WHEN r.excluded_at IS NULL THEN 'no' ELSE 'yes' END AS v FROM rating r JOIN work_order w ON w.rating_id = r.id WHERE w.id = {upheld}"
        ))
        .await
        .unwrap();
    assert_eq!(excluded, "yes", "the rating is kept and marked");
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM sms_message WHERE kind = 'work_order'")
            .await
            .unwrap(),
        "0",
        "the rater is not told"
    );

    done(
        &unit,
        rejected,
        "verify",
        &[("how", "visit"), ("said", "当面了解情况"), ("tier", "simple")],
    )
    .await;
    let res = appeal(&unit, rejected, ("scan.pdf", b"%PDF-1.4 evidence".to_vec())).await;
    assert_eq!(res.status(), 303);
    done(&center, rejected, "reject_appeal", &[("note", "证据不足")]).await;
    assert_eq!(state_of(&app, rejected).await, "contacted", "resumes where it left");
    let excluded = app
        .scalar(&format!(
            "SELECT CASE WHEN r.excluded_at IS NULL THEN 'no' ELSE 'yes' END AS v FROM rating r JOIN work_order w ON w.rating_id = r.id WHERE w.id = {rejected}"
        ))
        .await
        .unwrap();
    assert_eq!(excluded, "no");
}

async fn steps_out_of_order_are_409_and_other_units_orders_403(app: TestApp) {
    let url = case(&app, "WO-6", false).await;
    rate_bad(&app, &url).await;
    let id = order_id_of(&app, "WO-6").await;
    let unit = unit(&app).await;
    let (status, page) = step(&unit, id, "reply", &REPLY).await;
    assert_eq!(status, 409, "{page}");
    assert!(
        page.contains("现在可以") && page.contains("核实") && page.contains("申诉"),
        "names the allowed steps: {page}"
    );
    assert_eq!(state_of(&app, id).await, "new");
    let other = person(&app, Role::UnitAdmin, Some("U-SOCIAL")).await;
    let (status, _) = other.get(&format!("/admin/work-orders/{id}")).await;
    assert_eq!(status, 403);
    let (status, _) = step(&other, id, "verify", &[("how", "phone"), ("said", "x"), ("tier", "simple")]).await;
    assert_eq!(status, 403);
    let (_, list) = other.get("/admin/work-orders").await;
    assert!(!list.contains("WO-6"), "not in another unit's list");
    let dalian = person(&app, Role::CenterAdmin, Some("210200")).await;
    let (status, _) = dalian.get(&format!("/admin/work-orders/{id}")).await;
    assert_eq!(status, 403, "another city's center");
    let (status, _) = unit.get("/admin/work-orders/999999").await;
    assert_eq!(status, 404);
    // Window staff see that their case has an order, never the rater's phone.
    let staff = person(&app, Role::WindowStaff, Some("W01")).await;
    let (status, _) = staff.get(&format!("/admin/work-orders/{id}")).await;
    assert_eq!(status, 403);
    let (_, console) = staff.get("/staff").await;
    assert!(
        console.contains("WO-6") && console.contains("待核实") && !console.contains("1234"),
        "{console}"
    );
}

async fn every_channel_opens_an_order_and_flagged_ratings_wait_for_review(app: TestApp) {
    // API push.
    let mut body = case_body("WO-API", "W01", None);
    body["real_name"] = json!(false);
    assert_eq!(app.post_json("/api/v1/cases", &body).await.status(), 201);
    let res = app
        .http
        .post(app.url("/api/v1/ratings"))
        .bearer_auth(&app.key)
        .header("idempotency-key", "wo-api-1")
        .json(&json!({"case_number": "WO-API", "level": "dissatisfied", "target": "item", "tags": ["attitude"], "channel": "online"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    order_id_of(&app, "WO-API").await;
    // SMS reply "1" to a reminder: the case is found by the reminder.
    let mut body = case_body("WO-SMS", "W01", None);
    body["applicant_phone"] = json!("13600136000");
    body["completed_at"] = json!((app.now() - Duration::hours(30)).with_timezone(&cst()).to_rfc3339());
    body["accepted_at"] = json!((app.now() - Duration::hours(31)).with_timezone(&cst()).to_rfc3339());
    assert_eq!(app.post_json("/api/v1/cases", &body).await.status(), 201);
    let morning = domain::calendar::start_of(domain::calendar::day_of(app.now()) + Duration::days(1)) + Duration::hours(10);
    app.advance(morning - app.now());
    let admin = person(&app, Role::SystemAdmin, None).await;
    admin.post_page("/admin/outbox/run", &[]).await;
    let res = app
        .http
        .post(app.url("/api/v1/sms/inbound"))
        .header("x-haocha-secret", SMS_SECRET)
        .json(&json!({"phone": "13600136000", "text": "1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    order_id_of(&app, "WO-SMS").await;
    // Hotline key 1, no tags.
    let mut body = case_body("WO-HL", "W01", None);
    body["applicant_phone"] = json!("13600136111");
    assert_eq!(app.post_json("/api/v1/cases", &body).await.status(), 201);
    let res = app
        .http
        .post(app.url("/api/v1/hotline/ratings"))
        .header("x-haocha-secret", crate::helpers::HOTLINE_SECRET)
        .json(&json!({"call_id": "wo-hl-1", "phone": "13600136111", "key": 1, "case_number": "WO-HL"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    order_id_of(&app, "WO-HL").await;
    // A follow-up (追加评价) that is bad opens an order of its own.
    let url = case(&app, "WO-FU", false).await;
    assert_eq!(app.post_form(&url, &[("level", "satisfied")]).await.0, 201);
    assert!(app
        .scalar("SELECT CAST(w.id AS TEXT) AS v FROM work_order w JOIN service_case c ON c.id = w.case_id WHERE c.case_number = 'WO-FU'")
        .await
        .is_none());
    let (status, page) = app
        .post_form(&format!("{url}/more"), &[("level", "dissatisfied"), ("tags", "efficiency")])
        .await;
    assert_eq!(status, 201, "{page}");
    order_id_of(&app, "WO-FU").await;
    // A hall-wide static code: the hall's center owns the order.
    let b = Browser::new(&app.base);
    let (_, html) = b.get("/q/1/h/H-SY-01").await;
    let sub = field(&html, "submission");
    let (status, _) = b
        .post_raw(
            "/q/1/h/H-SY-01",
            &[("submission", &sub), ("level", "very_dissatisfied"), ("tags", "attitude")],
        )
        .await;
    assert_eq!(status, 201);
    let hall_orders = app
        .scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM work_order WHERE place_rating_id IS NOT NULL AND unit_id IS NULL")
        .await
        .unwrap();
    assert_eq!(hall_orders, "1");
    // The same browser again at once: flagged, no order, on the center's review list.
    let (_, html) = b.get("/q/1/h/H-SY-01").await;
    let sub = field(&html, "submission");
    b.post_raw(
        "/q/1/h/H-SY-01",
        &[("submission", &sub), ("level", "dissatisfied"), ("tags", "attitude")],
    )
    .await;
    assert_eq!(app.count_rows("place_rating").await, 2);
    let orders_before = app.count_rows("work_order").await;
    let center = center(&app).await;
    let (_, list) = center.get("/admin/work-orders").await;
    assert!(
        list.contains("同一浏览器重复评价") && list.contains("/admin/work-orders/promote/"),
        "{list}"
    );
    let (_, unit_list) = unit(&app).await.get("/admin/work-orders").await;
    assert!(
        !unit_list.contains("/admin/work-orders/promote/"),
        "the review list is the center's"
    );
    let flagged = app
        .scalar("SELECT CAST(id AS TEXT) AS v FROM place_rating WHERE counted = false")
        .await
        .unwrap();
    let token = center.csrf("/admin/work-orders").await;
    let (status, loc) = center
        .post_raw(&format!("/admin/work-orders/promote/{flagged}"), &[("_csrf", &token)])
        .await;
    assert_eq!(status, 303, "{loc}");
    assert_eq!(app.count_rows("work_order").await, orders_before + 1);
    let (_, list) = center.get("/admin/work-orders").await;
    assert!(!list.contains("/admin/work-orders/promote/"), "promoted: off the review list");
    // The center works its own order (no unit).
    let own: i32 = app
        .scalar("SELECT CAST(MIN(id) AS TEXT) AS v FROM work_order WHERE unit_id IS NULL")
        .await
        .unwrap()
        .parse()
        .unwrap();
    done(
        &center,
        own,
        "verify",
        &[("how", "phone"), ("said", "大厅引导不清"), ("tier", "simple")],
    )
    .await;
}

fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("field {name}")) + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

async fn first_contact_across_national_day_is_due_at_the_end_of_october_9(app: TestApp) {
    // 2025-09-30 15:00 Beijing, Liaoning: one working day → the end of 10-09 (10-01…10-08 off).
    let at = cst().with_ymd_and_hms(2025, 9, 30, 15, 0, 0).unwrap().with_timezone(&Utc);
    app.advance(at - app.now());
    let url = case(&app, "WO-ND", false).await;
    rate_bad(&app, &url).await;
    let id = order_id_of(&app, "WO-ND").await;
    let o = api_order(&app, id).await;
    let due = DateTime::parse_from_rfc3339(o["first_contact_due"].as_str().unwrap()).unwrap();
    assert_eq!(due.with_timezone(&Utc), Utc.with_ymd_and_hms(2025, 10, 9, 16, 0, 0).unwrap(), "{o}");
    // 10-09 23:00: still on time; 10-10 09:00: one working day late.
    app.advance(cst().with_ymd_and_hms(2025, 10, 9, 23, 0, 0).unwrap().with_timezone(&Utc) - app.now());
    assert_eq!(api_order(&app, id).await["overdue_days"], 0);
    app.advance(Duration::hours(10));
    assert_eq!(api_order(&app, id).await["overdue_days"], 1);
}

async fn closed_order(app: &TestApp, number: &str) -> (i32, Browser) {
    let url = case(app, number, false).await;
    rate_bad(app, &url).await;
    let id = order_id_of(app, number).await;
    let unit = unit(app).await;
    let center = center(app).await;
    done(&unit, id, "verify", &[("how", "phone"), ("said", "反映排队久"), ("tier", "simple")]).await;
    done(&unit, id, "start", &[]).await;
    done(&unit, id, "reply", &REPLY).await;
    done(&center, id, "qc_pass", &[]).await;
    (id, center)
}

async fn a_closed_order_sends_one_rerating_link_counted_apart(app: TestApp) {
    let (id, center) = closed_order(&app, "WO-RR").await;
    let unit = unit(&app).await;
    let (_, page) = unit.get(&format!("/admin/work-orders/{id}")).await;
    assert!(!page.contains("/rerate"), "the center's step");
    let (status, _) = step(&unit, id, "rerate", &[]).await;
    assert_eq!(status, 403);
    let (_, page) = center.get(&format!("/admin/work-orders/{id}")).await;
    assert!(page.contains(&format!("/admin/work-orders/{id}/rerate")), "{page}");
    let (status, loc) = step(&center, id, "rerate", &[]).await;
    assert_eq!((status, loc.ends_with("&told=1")), (303, true), "{loc}");
    let (status, page) = step(&center, id, "rerate", &[]).await;
    assert_eq!(status, 409, "one link per order: {page}");
    let sms = app
        .scalar("SELECT body AS v FROM sms_message WHERE body LIKE '%欢迎再次评价%'")
        .await
        .unwrap();
    let link = sms.split("评价：").nth(1).unwrap().trim().to_string();
    assert!(link.contains("/s/1/re"), "{link}");
    // A tampered link opens nothing.
    let tampered = link.replace(&format!("re{id}-"), &format!("re{}-", id + 1));
    let (status, _) = app.get_page(&tampered).await;
    assert_eq!(status, 404);
    let b = Browser::new(&app.base);
    let (status, rating_path) = b.get(link.trim_start_matches(&app.base)).await;
    assert_eq!(status, 303, "{rating_path}");
    let (status, html) = app.post_form(&app.url(&rating_path), &[("level", "satisfied")]).await;
    assert_eq!(status, 201, "{html}");
    let counts = app
        .scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM rating r JOIN service_case c ON c.id = r.case_id WHERE c.case_number = 'WO-RR' AND r.rating_count = 3 AND r.level = 'satisfied'")
        .await
        .unwrap();
    assert_eq!(counts, "1", "stored as the order's re-rating (rating count 3)");
    assert_eq!(app.count_rows("work_order").await, 1, "no new order");
    let linked = app
        .scalar(&format!(
            "SELECT CASE WHEN rerating_id IS NULL THEN 'no' ELSE 'yes' END AS v FROM work_order WHERE id = {id}"
        ))
        .await
        .unwrap();
    assert_eq!(linked, "yes");
    let (status, html) = app.post_form(&app.url(&rating_path), &[("level", "very_satisfied")]).await;
    assert_eq!(status, 200, "one-time: {html}");
    assert!(html.contains("已评价"));
    let rerated = app
        .scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM rating WHERE rating_count = 3")
        .await
        .unwrap();
    assert_eq!(rerated, "1", "nothing new");
    let (_, page) = center.get(&format!("/admin/work-orders/{id}")).await;
    assert!(page.contains("评价人再评价") && page.contains("满意"), "{page}");
    assert!(!page.contains(&format!("/admin/work-orders/{id}/rerate")), "sent once");
}

async fn where_the_policy_says_so_the_unit_sets_the_deadline(app: TestApp) {
    let url = case(&app, "WO-DL", false).await;
    rate_bad(&app, &url).await;
    let id = order_id_of(&app, "WO-DL").await;
    let unit = unit(&app).await;
    // Liaoning: the tier decides; a deadline of the unit's own is refused.
    let (status, page) = step(
        &unit,
        id,
        "verify",
        &[("how", "phone"), ("said", "x"), ("tier", "simple"), ("days", "3")],
    )
    .await;
    assert_eq!(status, 422, "{page}");
    assert_eq!(state_of(&app, id).await, "new");
    // The city lets its units set it (as 德宏 and 山西示范区 do).
    let center = center(&app).await;
    let (status, _) = center.post_page("/admin/policies/210100", &[("unit_sets_deadline", "yes")]).await;
    assert_eq!(status, 303);
    let (status, page) = step(
        &unit,
        id,
        "verify",
        &[("how", "phone"), ("said", "x"), ("tier", "simple"), ("days", "16")],
    )
    .await;
    assert_eq!(status, 422, "within the maximum (15): {page}");
    let (status, page) = step(
        &unit,
        id,
        "verify",
        &[("how", "phone"), ("said", "x"), ("tier", "simple"), ("days", "3")],
    )
    .await;
    assert_eq!(status, 422, "longer than the tier needs a reason: {page}");
    assert!(page.contains("延长理由"), "{page}");
    let before = app.now();
    done(
        &unit,
        id,
        "verify",
        &[
            ("how", "phone"),
            ("said", "x"),
            ("tier", "simple"),
            ("days", "3"),
            ("why", "需调取档案"),
        ],
    )
    .await;
    let due = api_order(&app, id).await["handle_due"].as_str().unwrap().to_string();
    let due = DateTime::parse_from_rfc3339(&due).unwrap().with_timezone(&Utc);
    let cal = domain::calendar::Calendar::builtin();
    assert_eq!(due, domain::work_order::due(&cal, before, 3));
}

async fn abuse_and_duplicates_are_flagged_for_the_center_never_dropped(app: TestApp) {
    let comment = |c: &'static str| [("level", "very_dissatisfied"), ("tags", "attitude"), ("comment", c)];
    let url = case(&app, "WO-AB", false).await;
    assert_eq!(app.post_form(&url, &comment("窗口的人就是个傻逼")).await.0, 201);
    // The same phone (the test cases share one) says the same thing again within 7 days.
    let url = case(&app, "WO-D1", false).await;
    assert_eq!(app.post_form(&url, &comment("材料被退回三次，电话13800138000没人接")).await.0, 201);
    let url = case(&app, "WO-D2", false).await;
    assert_eq!(app.post_form(&url, &comment("材料被退回三次，电话13800138000没人接")).await.0, 201);
    let flags = |n: &'static str| {
        let app = &app;
        async move {
            app.scalar(&format!(
                "SELECT w.flags AS v FROM work_order w JOIN service_case c ON c.id = w.case_id WHERE c.case_number = '{n}'"
            ))
            .await
            .unwrap()
        }
    };
    assert_eq!(flags("WO-AB").await, "abuse");
    assert_eq!(flags("WO-D1").await, "");
    assert_eq!(flags("WO-D2").await, "duplicate");
    assert_eq!(app.count_rows("work_order").await, 3, "flagged orders are opened, never dropped");
    let center = center(&app).await;
    let (_, list) = center.get("/admin/work-orders").await;
    assert!(list.contains("含侮辱谩骂") && list.contains("重复评价"), "{list}");
    // Phone numbers in a comment are masked outside the order itself (the timeline).
    let id = order_id_of(&app, "WO-D2").await;
    let unit = unit(&app).await;
    done(
        &unit,
        id,
        "verify",
        &[("how", "phone"), ("said", "评价人说打13800138000没人接"), ("tier", "simple")],
    )
    .await;
    let (_, page) = unit.get(&format!("/admin/work-orders/{id}")).await;
    assert!(page.contains("评价人说打138****8000没人接"), "{page}");

    // A phone with many cases (an agent, 代办): the check reads the ratings
    // with the same words instead of every case of the phone, with the same result.
    for i in 0..65 {
        app.report_case(&format!("WO-M{i:02}"), "W02", None).await;
    }
    let url = case(&app, "WO-D3", false).await;
    assert_eq!(app.post_form(&url, &comment("材料被退回三次，电话13800138000没人接")).await.0, 201);
    let url = case(&app, "WO-D4", false).await;
    assert_eq!(app.post_form(&url, &comment("第一次这样说")).await.0, 201);
    // Words another phone said are not this phone's repeat.
    let mut body = case_body("WO-D5", "W01", Some("S1001"));
    body["applicant_phone"] = json!("13900139000");
    body["completed_at"] = json!(app.now().with_timezone(&cst()).to_rfc3339());
    body["accepted_at"] = json!((app.now() - Duration::minutes(20)).with_timezone(&cst()).to_rfc3339());
    let res = app.post_json("/api/v1/cases", &body).await;
    assert_eq!(res.status(), 201);
    let other = res.json::<Value>().await.unwrap()["rating_url"].as_str().unwrap().to_string();
    assert_eq!(app.post_form(&other, &comment("另一个号码说过的话")).await.0, 201);
    let url = case(&app, "WO-D6", false).await;
    assert_eq!(app.post_form(&url, &comment("另一个号码说过的话")).await.0, 201);
    assert_eq!(flags("WO-D3").await, "duplicate");
    assert_eq!(flags("WO-D4").await, "");
    assert_eq!(flags("WO-D5").await, "");
    assert_eq!(flags("WO-D6").await, "", "the same words from another phone");
}

async fn the_public_page_shows_results_and_rectified_cases_anonymised(app: TestApp) {
    // A bad rating whose comment carries a phone number, rectified; and a good one.
    let url = case(&app, "OP-1", false).await;
    let (status, html) = app
        .post_form(
            &url,
            &[
                ("level", "very_dissatisfied"),
                ("tags", "efficiency"),
                ("comment", "排队两小时，我的电话13912345678没人回"),
            ],
        )
        .await;
    assert_eq!(status, 201, "{html}");
    let id = order_id_of(&app, "OP-1").await;
    let (unit, center) = (unit(&app).await, center(&app).await);
    done(&unit, id, "verify", &[("how", "phone"), ("said", "反映排队久"), ("tier", "simple")]).await;
    done(&unit, id, "start", &[]).await;
    done(&unit, id, "reply", &REPLY).await;
    done(&center, id, "qc_pass", &[]).await;
    let good = case(&app, "OP-2", false).await;
    assert_eq!(app.post_form(&good, &[("level", "satisfied")]).await.0, 201);

    // No sign-in, cached publicly; the provinces first.
    let res = app.http.get(app.url("/open")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "public, max-age=300");
    let html = res.text().await.unwrap();
    assert!(html.contains("href=\"/open?region=210000\"") && html.contains("辽宁省"), "{html}");
    assert!(!html.contains("<script"), "no JavaScript");

    // 沈阳: its hall, its units ranked with n, the trend, the rectified case —
    // the result and the masked comment, no rater data, no staff number by default.
    let (status, html) = app.get_page(&app.url("/open?region=210100")).await;
    assert_eq!(status, 200);
    assert!(html.contains("沈阳市政务服务中心"), "{html}");
    assert!(html.contains("沈阳市市场监督管理局"), "{html}");
    assert!(html.contains("已增设窗口，平均等候缩短至 20 分钟"), "{html}");
    assert!(html.contains("我的电话139****5678没人回"), "{html}");
    for secret in ["13912345678", "13800131234", "138****1234", "张三", "S1001", "王丽"] {
        assert!(!html.contains(secret), "{secret} on the public page");
    }
    let ranking = html.split("ranking").nth(1).unwrap().split("</table>").next().unwrap();
    // U-MARKET: two valid ratings (one bad, rectified): n = 2, good 50 %.
    assert!(
        ranking.contains("沈阳市市场监督管理局</th><td class=\"num\">2</td><td class=\"num\">50.0%</td>"),
        "{ranking}"
    );
    assert!(html.contains("<svg") && html.contains("<title>"), "trend chart");
    // Where the region's policy says so, the job number (never the name).
    let (status, page) = center
        .post_page("/admin/policies/210100", &[("publish_staff_numbers", "yes")])
        .await;
    assert!(status == 200 || status == 303, "{status} {page}");
    let (_, html) = app.get_page(&app.url("/open?region=210100")).await;
    assert!(html.contains("S1001") && !html.contains("王丽"), "{html}");
    // Unknown region: a readable 404; English on request.
    let (status, html) = app.get_page(&app.url("/open?region=999999")).await;
    assert_eq!(status, 404);
    assert!(html.contains("没有这个地区"));
    let (_, html) = app.get_page(&app.url("/open?region=210100&lang=en")).await;
    assert!(html.contains("Ratings in public"));
}

/// A small deterministic generator (no extra crate): the same "random" data each run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Every breakdown (each dimension and none; whole, by day, by month) of
/// several readers, through the rollups and from the raw rows: equal.
async fn rollups_match_raw(app: &TestApp, when: &str) {
    use domain::indicators::{Dimension, Period};
    use store::stats::Reader;
    let id = |sql: String| async move { app.scalar(&sql).await.unwrap().parse::<i32>().unwrap() };
    let province = id("SELECT CAST(id AS TEXT) AS v FROM region WHERE code = '210000'".into()).await;
    let city = id("SELECT CAST(id AS TEXT) AS v FROM region WHERE code = '210100'".into()).await;
    let client = id("SELECT CAST(MIN(id) AS TEXT) AS v FROM api_client".into()).await;
    let admin = id("SELECT CAST(MIN(id) AS TEXT) AS v FROM account WHERE role = 'system_admin'".into()).await;
    let unit_admin = id("SELECT CAST(MIN(id) AS TEXT) AS v FROM account WHERE role = 'unit_admin'".into()).await;
    let system = store::accounts::actor(&app.db, admin).await.unwrap().unwrap();
    let unit = store::accounts::actor(&app.db, unit_admin).await.unwrap().unwrap();
    let now = app.now();
    // Whole days, and a range whose ends fall inside days.
    let ranges = [
        (
            domain::calendar::start_of((now - Duration::days(40)).date_naive()),
            domain::calendar::start_of((now + Duration::days(40)).date_naive()),
        ),
        (now - Duration::days(9) - Duration::hours(5), now + Duration::hours(3)),
    ];
    let mut dims: Vec<Vec<Dimension>> = Dimension::ALL.into_iter().map(|d| vec![d]).collect();
    dims.push(vec![]);
    dims.push(vec![Dimension::Unit, Dimension::Channel]);
    dims.push(vec![Dimension::Region, Dimension::Window]);
    for reader in [
        Reader::Region(province),
        Reader::Region(city),
        Reader::Client(client),
        Reader::Admin(&system),
        Reader::Admin(&unit),
    ] {
        for (from, to) in ranges {
            for dim in &dims {
                for period in [None, Some(Period::Day), Some(Period::Month)] {
                    let raw = store::stats::grouped_raw(&app.db, reader, dim, period, from, to).await.unwrap();
                    let rolled = match (dim.as_slice(), period) {
                        ([], Some(p)) => store::stats::grouped_whole(&app.db, reader, p, from, to).await.unwrap(),
                        ([], None) => vec![],
                        ([d], _) => store::stats::grouped(&app.db, reader, *d, period, from, to).await.unwrap(),
                        (ds, _) => store::stats::grouped_by(&app.db, reader, ds, period, from, to).await.unwrap(),
                    };
                    if !dim.is_empty() || period.is_some() {
                        assert_eq!(rolled, raw, "{when}: {reader:?} {dim:?} {period:?} {from}..{to}");
                    }
                }
            }
            let whole = store::stats::whole(&app.db, reader, from, to).await.unwrap();
            let raw: domain::indicators::Tally = store::stats::grouped_raw(&app.db, reader, &[], None, from, to)
                .await
                .unwrap()
                .into_iter()
                .fold(Default::default(), |mut a, r| {
                    a += r.tally;
                    a
                });
            assert_eq!(whole, raw, "{when}: {reader:?} whole");
        }
    }
}

async fn rollups_always_equal_a_recount_from_the_raw_rows(app: TestApp) {
    let mut rng = Lcg(20261205);
    let levels = [
        "very_satisfied",
        "satisfied",
        "basically_satisfied",
        "dissatisfied",
        "very_dissatisfied",
    ];
    // The readers compared below (their sessions end as the clock moves; their scopes stay).
    person(&app, Role::SystemAdmin, None).await;
    person(&app, Role::UnitAdmin, Some("U-MARKET")).await;
    let mut bad = Vec::new();
    let mut unrated = Vec::new();
    // Three days of cases at W01: rated on the page at random levels, or left unrated.
    for day in 0..3 {
        for i in 0..8 {
            let number = format!("RU-{day}-{i}");
            let url = case(&app, &number, rng.next(3) == 0).await;
            match rng.next(6) {
                5 => unrated.push(number),
                k => {
                    let level = levels[k.min(4) as usize];
                    let mut fields = vec![("level", level)];
                    if k >= 3 {
                        fields.push(("tags", "efficiency"));
                        bad.push(number);
                    }
                    assert_eq!(app.post_form(&url, &fields).await.0, 201);
                }
            }
        }
        // Static codes: a counted rating and a flagged repeat.
        let phone = Browser::new(&app.base);
        for k in 0..2 {
            assert_eq!(phone.get("/q/1/w/W02").await.0, 200);
            let id = format!("rollup{day}{k}000000000000");
            let level = levels[rng.next(3) as usize];
            assert_eq!(phone.post_raw("/q/1/w/W02", &[("submission", &id), ("level", level)]).await.0, 201);
        }
        app.advance(Duration::days(1));
    }
    rollups_match_raw(&app, "fresh, nothing rolled up").await;
    assert!(store::rollup::run(&app.db, 400, None).await.unwrap() > 0);
    rollups_match_raw(&app, "rolled up").await;

    // Later changes to old days: defaults for the unrated (Liaoning: after 5
    // working days), a late push replacing one, an appeal upheld, an order closed.
    app.advance(Duration::days(9));
    let (unit, center) = (unit(&app).await, center(&app).await);
    let admin = person(&app, Role::SystemAdmin, None).await;
    assert_eq!(admin.post_page("/admin/outbox/run", &[]).await.0, 200);
    assert!(app.count_rows("default_rating").await > 0, "defaults given");
    rollups_match_raw(&app, "defaults given (run rolled them up)").await;
    if let Some(number) = unrated.first() {
        let res = app
            .http
            .post(app.url("/api/v1/ratings"))
            .bearer_auth(&app.key)
            .header("idempotency-key", format!("late-{number}"))
            .json(&json!({"case_number": number, "level": "satisfied", "target": "item", "channel": "online"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }
    if bad.len() >= 2 {
        let upheld = order_id_of(&app, &bad[0]).await;
        let res = appeal(&unit, upheld, ("监控截图.png", PNG.to_vec())).await;
        assert_eq!(res.status(), 303);
        done(&center, upheld, "uphold_appeal", &[("note", "监控显示当日无此人到窗口")]).await;
        let closed = order_id_of(&app, &bad[1]).await;
        done(
            &unit,
            closed,
            "verify",
            &[("how", "phone"), ("said", "反映排队久"), ("tier", "simple")],
        )
        .await;
        done(&unit, closed, "start", &[]).await;
        done(&unit, closed, "reply", &REPLY).await;
        done(&center, closed, "qc_pass", &[]).await;
    }
    rollups_match_raw(&app, "old days changed, not yet rolled up").await;
    store::rollup::run(&app.db, 400, None).await.unwrap();
    rollups_match_raw(&app, "old days rolled up again").await;
    // Nothing is stale after a full run; a second run has nothing to do.
    assert_eq!(store::rollup::run(&app.db, 400, None).await.unwrap(), 0);
    let stale = app
        .scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM stat_dirty WHERE version > done")
        .await;
    assert_eq!(stale.as_deref(), Some("0"));
    assert!(app.count_rows("stat_rollup").await > 0);
}

/// 谁办理谁负责: a bad rating's order goes to the unit of the case's item,
/// whichever window served it (the window's unit only without an item unit);
/// its hall and region are the window's. Cases at other windows than W01
/// with other items than the first: the order's look-up joins the window,
/// its hall and the item by their own ids.
async fn the_order_goes_to_the_unit_of_the_item_at_any_window(app: TestApp) {
    for (number, window, staff, item, unit) in [
        ("WO-W06", "W06", "S1006", "11210100MB0005-001", "U-POLICE"),
        ("WO-W01-FUND", "W01", "S1001", "11210100MB0003-001", "U-FUND"),
        ("WO-W05-SOCIAL", "W05", "S1005", "11210100MB0002-002", "U-SOCIAL"),
    ] {
        let mut body = case_body(number, window, Some(staff));
        body["item_code"] = json!(item);
        body["completed_at"] = json!(app.now().with_timezone(&cst()).to_rfc3339());
        body["accepted_at"] = json!((app.now() - Duration::minutes(20)).with_timezone(&cst()).to_rfc3339());
        let res = app.post_json("/api/v1/cases", &body).await;
        assert_eq!(res.status(), 201, "{number}: {}", res.text().await.unwrap());
        let url = res.json::<Value>().await.unwrap()["rating_url"].as_str().unwrap().to_string();
        rate_bad(&app, &url).await;
        let o = api_order(&app, order_id_of(&app, number).await).await;
        assert_eq!(o["unit_code"], unit, "{number}: {o}");
        assert_eq!(o["case_number"], number);
        let hall_of_window = app
            .scalar(&format!(
                "SELECT CAST(w.hall_id AS TEXT) AS v FROM service_window w WHERE w.code = '{window}'"
            ))
            .await
            .unwrap();
        let hall_of_order = app
            .scalar(&format!(
                "SELECT CAST(o.hall_id AS TEXT) AS v FROM work_order o JOIN service_case c ON c.id = o.case_id WHERE c.case_number = '{number}'"
            ))
            .await
            .unwrap();
        assert_eq!(hall_of_order, hall_of_window, "{number}");
    }
}

/// The job tells new orders in chunks (one transaction and one conditional
/// claim per 100, issue 16): 210 new orders, two job runs started together
/// (as two servers' would be) — each order's 负责人 told exactly once, none
/// left; a later run tells nobody again.
async fn many_new_orders_are_each_told_once_by_job_runs_started_together(app: TestApp) {
    let unit_admin = unit(&app).await;
    let token = unit_admin.csrf("/admin/work-orders").await;
    name_market_handler(&app, &unit_admin, &token).await;
    let start = cst().with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap().with_timezone(&Utc);
    app.advance(start - app.now());
    // Orders the demo data left untold are told first.
    store::work_orders::notices(&app.db, app.now()).await.unwrap();
    let told_before = count_new_sms(&app).await;

    const ORDERS: i64 = 210;
    for i in 0..ORDERS {
        let mut body = case_body(&format!("WO-M{i}"), "W01", Some("S1001"));
        let now = app.now();
        body["applicant_phone"] = json!(format!("1390000{i:04}"));
        body["completed_at"] = json!(now.with_timezone(&cst()).to_rfc3339());
        body["accepted_at"] = json!((now - Duration::minutes(20)).with_timezone(&cst()).to_rfc3339());
        let res = app.post_json("/api/v1/cases", &body).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let url = res.json::<Value>().await.unwrap()["rating_url"].as_str().unwrap().to_string();
        let comment = format!("第{i}号：等了两个小时没人管");
        let (status, html) = app
            .post_form(
                &url,
                &[("level", "very_dissatisfied"), ("tags", "efficiency"), ("comment", &comment)],
            )
            .await;
        assert_eq!(status, 201, "{html}");
    }
    let untold = "SELECT CAST(COUNT(*) AS TEXT) AS v FROM work_order w JOIN service_case c ON c.id = w.case_id \
                  WHERE c.case_number LIKE 'WO-M%' AND w.notified_at IS NULL";
    assert_eq!(
        app.scalar(untold).await.unwrap(),
        ORDERS.to_string(),
        "every bad rating opened an order"
    );

    let now = app.now();
    let (a, b) = tokio::join!(store::work_orders::notices(&app.db, now), store::work_orders::notices(&app.db, now));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a.told_new + b.told_new,
        ORDERS as u64,
        "told once between the two runs: {a:?} {b:?}"
    );
    assert_eq!(app.scalar(untold).await.unwrap(), "0", "none left untold");
    assert_eq!(count_new_sms(&app).await - told_before, ORDERS, "one SMS per order");
    let distinct = app
        .scalar("SELECT CAST(COUNT(DISTINCT body) AS TEXT) AS v FROM sms_message WHERE body LIKE '%新差评工单%'")
        .await
        .unwrap();
    assert_eq!(distinct.parse::<i64>().unwrap(), count_new_sms(&app).await, "no order told twice");

    let again = store::work_orders::notices(&app.db, app.now()).await.unwrap();
    assert_eq!(again.told_new, 0, "a later run tells nobody again");
    assert_eq!(count_new_sms(&app).await - told_before, ORDERS);
}

async fn count_new_sms(app: &TestApp) -> i64 {
    app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM sms_message WHERE body LIKE '%新差评工单%'")
        .await
        .unwrap()
        .parse()
        .unwrap()
}

/// Issue 16: on SQLite the submissions of one shared commit read once what
/// they read alike (a region's policy, the calendar, a window's hall and unit,
/// a region by code), ask once which of their links are re-rating links, and
/// mark their days stale once before the commit. Each must still get *its
/// own*: here four submissions held back until they share one commit — bad
/// ratings at a Shenyang market window, a Shenyang social-security item and a
/// Dalian window (whose center set 3 working days to first contact), and a
/// closed order's re-rating link. On PostgreSQL (no shared commits) the same
/// must hold.
async fn bad_ratings_sharing_a_commit_each_open_their_own_order_and_a_rerating_link_among_them_stays_a_rerating(app: TestApp) {
    use domain::policy::{PolicyOverride, Span};
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let who = store::audit::Who {
        account_id: None,
        job_number: "test".into(),
        role: "system_admin".into(),
    };
    let meta = store::audit::Meta {
        now: app.now(),
        address: None,
    };
    let dalian = PolicyOverride {
        first_contact: Some(Span::WorkingDays(3)),
        ..Default::default()
    };
    store::policies::set(&app.db, &who, "210200", &dalian, &meta).await.unwrap();

    // A closed order's one re-rating link.
    let (rr_id, center) = closed_order(&app, "GB-RR").await;
    assert_eq!(step(&center, rr_id, "rerate", &[]).await.0, 303);
    let sms = app
        .scalar("SELECT body AS v FROM sms_message WHERE body LIKE '%欢迎再次评价%'")
        .await
        .unwrap();
    let link = sms.split("评价：").nth(1).unwrap().trim().to_string();
    let (status, rerate_path) = Browser::new(&app.base).get(link.trim_start_matches(&app.base)).await;
    assert_eq!(status, 303, "{rerate_path}");

    let now = app.now();
    let mut urls = Vec::new();
    for (number, window, item) in [
        ("GB-0", "W01", None),
        ("GB-1", "W01", None),
        ("GB-2", "W03", Some("11210100MB0002-001")),
        ("GB-3", "DL01", Some("11210200MB0001-001")),
    ] {
        let mut body = case_body(number, window, None);
        body["completed_at"] = json!(now.with_timezone(&cst()).to_rfc3339());
        body["accepted_at"] = json!((now - Duration::minutes(20)).with_timezone(&cst()).to_rfc3339());
        if let Some(item) = item {
            body["item_code"] = json!(item);
        }
        let res = app.post_json("/api/v1/cases", &body).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        urls.push(res.json::<Value>().await.unwrap()["rating_url"].as_str().unwrap().to_string());
    }
    // GB-2 got its default already (as if its link had outlived the default's
    // due time): its rating must supersede it.
    let gb2: i32 = app
        .scalar("SELECT CAST(id AS TEXT) AS v FROM service_case WHERE case_number = 'GB-2'")
        .await
        .unwrap()
        .parse()
        .unwrap();
    {
        use sea_orm::{ActiveModelTrait, Set};
        store::entities::default_rating::ActiveModel {
            case_id: Set(gb2),
            level: Set("satisfied".into()),
            score: Set(4),
            policy_region: Set("210000".into()),
            due_at: Set(now),
            created_at: Set(now),
            superseded_by: Set(None),
            superseded_at: Set(None),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    // GB-0 is rated now; sent again below, it is refused by the writer and writes nothing.
    assert_eq!(app.post_form(&urls[0], &[("level", "satisfied")]).await.0, 201);
    // Nothing stale yet: what is marked below is the shared commit's marks.
    app.db.execute_unprepared("DELETE FROM stat_dirty").await.unwrap();

    let counts = app.state.ratings.counts.clone();
    let commits_before = counts.commits.load(Ordering::SeqCst);
    // Hold the writer's connection (SQLite has one): the first submission (a
    // used link) waits for it alone, the next four queue behind it and share
    // a commit.
    let hold = app.db.begin().await.unwrap();
    const BAD: &str = "level=dissatisfied&tags=efficiency&comment=%E7%AA%97%E5%8F%A3%E6%B2%A1%E4%BA%BA";
    let first = app.post_form_later(&urls[0], "level=satisfied&tags=attitude");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let rest = vec![
        app.post_form_later(&urls[1], BAD),
        app.post_form_later(&urls[2], BAD),
        app.post_form_later(&urls[3], BAD),
        app.post_form_later(&app.url(&rerate_path), "level=satisfied"),
    ];
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    hold.rollback().await.unwrap();
    assert_eq!(first.await.unwrap().0, 200, "already rated");
    for r in rest {
        let (status, html) = r.await.unwrap();
        assert_eq!(status, 201, "{html}");
    }
    if app.db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        assert_eq!(
            counts.commits.load(Ordering::SeqCst) - commits_before,
            2,
            "the first alone, the other four in one shared commit"
        );
    }

    // Each bad rating's order: its own hall's region, its own unit, its own region's deadline.
    for (number, region, unit, days) in [
        ("GB-1", "210100", "U-MARKET", 1),
        ("GB-2", "210100", "U-SOCIAL", 1),
        ("GB-3", "210200", "U-DL-MARKET", 3),
    ] {
        let id = order_id_of(&app, number).await;
        let got = app
            .scalar(&format!(
                "SELECT r.code || ' ' || u.code AS v FROM work_order w JOIN region r ON r.id = w.region_id \
                 JOIN unit u ON u.id = w.unit_id WHERE w.id = {id}"
            ))
            .await
            .unwrap();
        let o = api_order(&app, id).await;
        let due = DateTime::parse_from_rfc3339(o["first_contact_due"].as_str().unwrap()).unwrap();
        let want = Span::WorkingDays(days).due_from(&domain::calendar::Calendar::builtin(), now);
        assert_eq!(
            (got.split(' ').next().unwrap(), due.with_timezone(&Utc)),
            (region, want),
            "{number}: {got}"
        );
        assert!(got.ends_with(unit), "{number}: its unit: {got}");
    }
    // The re-rating link was stored as the order's re-rating, not refused as "already rated".
    let rerated = app
        .scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM rating r JOIN service_case c ON c.id = r.case_id WHERE c.case_number = 'GB-RR' AND r.rating_count = 3")
        .await
        .unwrap();
    assert_eq!(rerated, "1");
    assert_eq!(app.count_rows("work_order").await, 4, "GB-RR's, and one per new bad rating");
    // GB-2's default is superseded by its rating, and stays on record.
    let superseded = app
        .scalar(&format!(
            "SELECT CAST(COUNT(*) AS TEXT) AS v FROM default_rating d JOIN rating r ON r.id = d.superseded_by \
             WHERE d.case_id = {gb2} AND r.case_id = {gb2} AND d.superseded_at IS NOT NULL"
        ))
        .await
        .unwrap();
    assert_eq!(superseded, "1", "the rating supersedes the default");
    // The shared commit marked its day stale.
    let day = now.with_timezone(&cst()).format("%Y-%m-%d").to_string();
    let marked = app
        .scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) AS v FROM stat_dirty WHERE day = '{day}'"))
        .await
        .unwrap();
    assert_ne!(marked, "0", "the ratings' day is marked stale for the statistics");
}
