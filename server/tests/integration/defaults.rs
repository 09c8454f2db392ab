//! Default ratings (SPEC §4/§8) with the app's clock moved, never slept: a
//! Shenyang case (Liaoning: 满意 after 5 working days) left unrated gets its
//! default exactly when the fifth working day after completion ends, once,
//! however often or concurrently the job runs; a rated case gets none; a late
//! active rating supersedes the default, which stays on record.
#![allow(clippy::unwrap_used)] // a failing unwrap is a failing test

use chrono::Duration;
use domain::calendar::Calendar;
use domain::Role;
use serde_json::json;

use crate::helpers::{case_body, TestApp};
use crate::on_both_databases;

on_both_databases!(
    an_unrated_case_gets_its_regions_default_once_and_a_late_rating_supersedes_it,
    a_bad_rating_without_reasons_from_a_phone_is_kept_and_its_case_never_gets_a_default,
    new_cases_scheduled_together_each_get_their_own_due_times,
);

/// Issue 16: the jobs schedule a batch of new cases with one statement per
/// batch (a `CASE` over the ids) instead of one per case. Each case must still
/// get *its own* times: five cases completed at five different times, at
/// windows of two cities, all scheduled by one run — each default due at the
/// fifth working day after its own completion, each reminder put off to its
/// own completion plus the region's delay.
async fn new_cases_scheduled_together_each_get_their_own_due_times(app: TestApp) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use store::entities::service_case;
    let cases = [
        ("SCH-1", "W01", 10),
        ("SCH-2", "W02", 35),
        ("SCH-3", "DL01", 70),
        ("SCH-4", "W01", 125),
        ("SCH-5", "DL01", 200),
    ];
    for (i, (number, window, minutes)) in cases.iter().enumerate() {
        let completed = app.now() - Duration::minutes(*minutes);
        let mut body = case_body(number, window, None);
        body["completed_at"] = json!(completed.to_rfc3339());
        body["accepted_at"] = json!((completed - Duration::minutes(20)).to_rfc3339());
        body["applicant_phone"] = json!(format!("1350013510{i}"));
        if *window == "DL01" {
            body["item_code"] = json!("11210200MB0001-001");
        }
        let res = app.post_json("/api/v1/cases", &body).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }
    let admin = app.signed_in(Role::SystemAdmin, None, "sched1").await;
    let (status, page) = admin.post_page("/admin/outbox/run", &[]).await;
    assert_eq!(status, 200, "{page}");
    let mut put_off = Vec::new();
    for (number, _, _) in cases {
        let c = service_case::Entity::find()
            .filter(service_case::Column::CaseNumber.eq(number))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            c.default_due_at,
            Some(Calendar::builtin().deadline(c.completed_at, 5)),
            "{number}: its own default due time"
        );
        let reminder = c
            .reminder_due_at
            .unwrap_or_else(|| panic!("{number}: its reminder is put off, not dropped"));
        put_off.push(reminder - c.completed_at);
    }
    // Liaoning's reminder delay (24 hours, the national default) after each case's own completion.
    assert!(put_off.iter().all(|d| *d == Duration::hours(24)), "{put_off:?}");
    assert_eq!(app.count_rows("sms_message").await, 0, "no reminder is due yet");
}

/// Issue 12's loss: a 差评 by SMS reply or hotline key carries no reason; it is
/// stored, so the Liaoning default (满意) never turns it into a good rating.
async fn a_bad_rating_without_reasons_from_a_phone_is_kept_and_its_case_never_gets_a_default(app: TestApp) {
    let completed = app.now() - Duration::hours(1);
    let mut body = case_body("BAD-HL", "W01", None);
    body["completed_at"] = json!(completed.to_rfc3339());
    body["applicant_phone"] = json!("13500135001");
    assert_eq!(app.post_json("/api/v1/cases", &body).await.status(), 201);
    let res = app
        .http
        .post(app.url("/api/v1/hotline/ratings"))
        .header("x-haocha-secret", crate::helpers::HOTLINE_SECRET)
        .json(&json!({"call_id": "bad-hl-1", "phone": "13500135001", "key": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    app.advance(Calendar::builtin().deadline(completed, 5) - app.now() + Duration::days(1));
    let admin = app.signed_in(Role::SystemAdmin, None, "badhl").await;
    assert_eq!(admin.post_page("/admin/outbox/run", &[]).await.0, 200);
    assert_eq!(
        app.scalar(
            "SELECT r.channel || ' ' || r.level AS v FROM rating r JOIN service_case c ON c.id = r.case_id WHERE c.case_number = 'BAD-HL'"
        )
        .await
        .as_deref(),
        Some("hotline very_dissatisfied")
    );
    assert_eq!(app.count_rows("default_rating").await, 0, "a rated case gets no default");
}

async fn an_unrated_case_gets_its_regions_default_once_and_a_late_rating_supersedes_it(app: TestApp) {
    let completed = app.now() - Duration::hours(1);
    for (number, window) in [("DEF-1", "W01"), ("DEF-2", "W02"), ("DEF-DL", "DL01")] {
        let mut body = case_body(number, window, None);
        body["completed_at"] = json!(completed.to_rfc3339());
        body["accepted_at"] = json!((completed - Duration::minutes(20)).to_rfc3339());
        if window == "DL01" {
            body["item_code"] = json!("11210200MB0001-001");
        }
        let res = app.post_json("/api/v1/cases", &body).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }
    // DEF-2 is rated at once by the business system.
    let res = app
        .http
        .post(app.url("/api/v1/ratings"))
        .bearer_auth(&app.key)
        .header("idempotency-key", "def-2")
        .json(&json!({"case_number": "DEF-2", "level": "very_satisfied", "target": "item", "channel": "online"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let admin = app.signed_in(Role::SystemAdmin, None, "jobs1").await;
    let run = |admin: &crate::helpers::Browser| {
        let admin = admin.clone();
        async move {
            let (status, page) = admin.post_page("/admin/outbox/run", &[]).await;
            assert_eq!(status, 200, "{page}");
            page
        }
    };
    let due = Calendar::builtin().deadline(completed, 5);
    assert!(due - completed >= Duration::days(5), "five working days are at least five days");

    let page = run(&admin).await;
    assert!(page.contains("默认评价：新给出 0"), "{page}");
    app.advance(due - app.now() - Duration::minutes(1));
    // Days later: the session has timed out, sign in again.
    let admin = app.signed_in(Role::SystemAdmin, None, "jobs1b").await;
    run(&admin).await;
    assert_eq!(app.count_rows("default_rating").await, 0, "not a minute early");

    app.advance(Duration::minutes(2));
    let admin = app.signed_in(Role::SystemAdmin, None, "jobs1c").await;
    // Two administrators press the button at once: still one default per case.
    // On PostgreSQL a run skips rows the other holds (SKIP LOCKED), so the page
    // of the run that did not give the default may be drawn before the other
    // commits: at least one shows it, and every later page does (below).
    let (a, b) = tokio::join!(run(&admin), run(&admin));
    assert!(a.contains("DEF-1") || b.contains("DEF-1"), "{a}\n{b}");
    assert_eq!(app.count_rows("default_rating").await, 2, "DEF-1 and DEF-DL; DEF-2 was rated");
    run(&admin).await;
    assert_eq!(app.count_rows("default_rating").await, 2, "idempotent");
    // Every case the job is done with is parked, so the next runs read only
    // what comes due after them, not every case ever stored.
    assert_eq!(
        app.scalar(
            "SELECT CAST(COUNT(*) AS TEXT) AS v FROM service_case WHERE case_number LIKE 'DEF-%' \
             AND CAST(default_due_at AS TEXT) LIKE '9999-01-01%'"
        )
        .await
        .as_deref(),
        Some("3")
    );
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM service_case WHERE default_due_at IS NULL")
            .await
            .as_deref(),
        Some("0")
    );
    assert_eq!(
        app.scalar("SELECT d.level || ' ' || d.policy_region AS v FROM default_rating d JOIN service_case c ON c.id = d.case_id WHERE c.case_number = 'DEF-1'")
            .await
            .as_deref(),
        Some("satisfied 210000"),
        "Liaoning's policy, set at the province, applies to Shenyang"
    );
    let (_, page) = admin.get("/admin/outbox").await;
    assert!(
        page.contains("DEF-1") && page.contains("满意") && page.contains("（默认）"),
        "{page}"
    );
    assert_eq!(app.count_rows("rating").await, 1, "a default is not an active rating");

    // A center administrator of Shenyang sees Shenyang's defaults only.
    let center = app.signed_in(Role::CenterAdmin, Some("210100"), "jobs2").await;
    let (status, page) = center.get("/admin/outbox").await;
    assert_eq!(status, 200);
    assert!(page.contains("DEF-1") && !page.contains("DEF-DL"), "{page}");
    let unit = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), "jobs3").await;
    assert_eq!(unit.get("/admin/outbox").await.0, 403);
    assert_eq!(unit.post_page("/admin/outbox/run", &[]).await.0, 403);

    // The citizen rates after all: the active rating counts, the default is history.
    let res = app
        .http
        .post(app.url("/api/v1/ratings"))
        .bearer_auth(&app.key)
        .header("idempotency-key", "def-1-late")
        .json(&json!({"case_number": "DEF-1", "level": "dissatisfied", "target": "item", "channel": "mobile", "tags": ["efficiency"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(app.count_rows("default_rating").await, 2, "kept");
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM default_rating WHERE superseded_at IS NOT NULL AND superseded_by IS NOT NULL")
            .await
            .as_deref(),
        Some("1")
    );
    let (_, page) = admin.get("/admin/outbox").await;
    assert!(page.contains("已被主动评价取代"), "{page}");
}
