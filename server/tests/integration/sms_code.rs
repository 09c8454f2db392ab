//! Issue 15: reminders for SMS gateways that refuse links in template
//! variables: a fixed address (`/s`) and a 6-character code, typed there in
//! any case; five wrong codes from one address in ten minutes wait.
#![allow(clippy::unwrap_used)] // a failing unwrap is a failing test

use chrono::Duration;
use domain::calendar::cst;
use serde_json::json;

use crate::helpers::{case_body, TestApp};
use crate::on_both_databases;

on_both_databases!(a_reminder_without_a_link_carries_a_code_typed_at_s);

async fn type_code(app: &TestApp, code: &str) -> (u16, String, String) {
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url("/s"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("code={}", code.replace(' ', "+")))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let to = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, to, res.text().await.unwrap())
}

async fn a_reminder_without_a_link_carries_a_code_typed_at_s(app: TestApp) {
    let region = app
        .scalar(
            "SELECT r.code AS v FROM region r JOIN hall h ON h.region_id = r.id \
             JOIN service_window w ON w.hall_id = h.id WHERE w.code = 'W01'",
        )
        .await
        .unwrap();
    let who = store::audit::Who {
        account_id: None,
        job_number: "test".into(),
        role: "system_admin".into(),
    };
    let meta = store::audit::Meta {
        now: app.now(),
        address: None,
    };
    let o = domain::policy::PolicyOverride {
        sms_rating_code: Some(true),
        ..Default::default()
    };
    store::policies::set(&app.db, &who, &region, &o, &meta).await.unwrap();

    // Completed 23 h ago: the 24 h reminder is not due yet; the job looks again in an hour.
    let completed = app.now() - Duration::hours(23);
    let mut body = case_body("SC-1", "W01", None);
    body["applicant_phone"] = json!("13800131234");
    body["completed_at"] = json!(completed.with_timezone(&cst()).to_rfc3339());
    body["accepted_at"] = json!((completed - Duration::minutes(20)).with_timezone(&cst()).to_rfc3339());
    assert_eq!(app.post_json("/api/v1/cases", &body).await.status(), 201);
    let key = store::crypto::DataKey::from_hex(crate::helpers::TEST_DATA_KEY).unwrap();
    assert_eq!(store::sms::queue_reminders(&app.db, &key, &app.base, app.now()).await.unwrap(), 0);
    assert_eq!(
        app.count_rows("service_case WHERE reminder_due_at IS NOT NULL").await,
        1,
        "put off, not dropped"
    );
    app.advance(Duration::hours(2));
    assert_eq!(store::sms::queue_reminders(&app.db, &key, &app.base, app.now()).await.unwrap(), 1);
    assert_eq!(
        store::sms::queue_reminders(&app.db, &key, &app.base, app.now()).await.unwrap(),
        0,
        "once"
    );
    assert_eq!(
        app.count_rows("service_case WHERE reminder_due_at IS NOT NULL").await,
        0,
        "done with it"
    );

    let text = app
        .scalar("SELECT body AS v FROM sms_message WHERE kind = 'reminder'")
        .await
        .unwrap();
    assert!(text.contains(&format!("{}/s ", app.base)), "the fixed address: {text}");
    assert!(!text.contains("/s/1/"), "no per-case link: {text}");
    assert!(store::sms::sms_length(&text) <= 70, "one segment: {text}");
    let code: String = text.split("评价码").nth(1).unwrap().chars().take(6).collect();
    assert_eq!(domain::values::parse_rating_code(&code).as_deref(), Some(code.as_str()), "{text}");

    // The page works without JavaScript: a plain form.
    let (status, page) = app.get_page(&app.url("/s")).await;
    assert_eq!(status, 200);
    assert!(page.contains("name=\"code\"") && page.contains("action=\"/s\""), "{page}");

    // Typed in lower case with a space, it opens the case's rating page.
    let typed = format!("{} {}", code[..3].to_lowercase(), code[3..].to_lowercase());
    let (status, to, _) = type_code(&app, &typed).await;
    assert_eq!(status, 303);
    assert!(to.starts_with("/r/"), "{to}");
    let (status, page) = app.get_page(&app.url(&to)).await;
    assert_eq!(status, 200);
    assert!(page.contains("rating-form"), "the case's rating page");
    let (status, _) = app.post_form(&app.url(&to), &[("level", "satisfied")]).await;
    assert_eq!(status, 201);
    assert_eq!(
        app.scalar("SELECT r.channel AS v FROM rating r JOIN service_case c ON c.id = r.case_id WHERE c.case_number = 'SC-1'")
            .await
            .as_deref(),
        Some("sms_link")
    );

    // Five wrong codes from this address: the sixth try waits, even with the right code.
    let wrong = if code == "ZZZZZZ" { "YYYYYY" } else { "ZZZZZZ" };
    for n in 0..5 {
        let (status, _, page) = type_code(&app, if n == 0 { "ab0" } else { wrong }).await;
        assert_eq!(status, 404, "try {n}");
        assert!(page.contains("评价码不正确"), "{page}");
    }
    let (status, _, page) = type_code(&app, &code).await;
    assert_eq!(status, 429);
    assert!(page.contains("错误次数过多"), "{page}");
    app.advance(Duration::minutes(11));
    let (status, to, _) = type_code(&app, &code).await;
    assert_eq!(
        (status, to.starts_with("/r/")),
        (303, true),
        "ten minutes later the code works again"
    );
}
