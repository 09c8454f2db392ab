//! Issue 14, first slice: the indicators of `/admin/stats` against a
//! hand-computed fixture made through the real paths (API pushes, a static
//! code, a repeat, a default), scoped by role.
#![allow(clippy::unwrap_used)] // a failing unwrap is a failing test

use chrono::Duration;
use domain::calendar::Calendar;
use domain::Role;
use serde_json::json;

use crate::helpers::{case_body, Browser, TestApp};
use crate::on_both_databases;

on_both_databases!(the_indicators_count_every_source_and_keep_defaults_and_flags_apart,);

async fn push(app: &TestApp, idem: &str, number: &str, level: &str, tags: &[&str]) {
    let res = app
        .http
        .post(app.url("/api/v1/ratings"))
        .bearer_auth(&app.key)
        .header("idempotency-key", idem)
        .json(&json!({"case_number": number, "level": level, "tags": tags, "target": "item", "channel": "online"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
}

/// The indicator row `name` of the page: (value, n).
fn row(html: &str, name: &str) -> (String, String) {
    let at = html
        .find(&format!("<th scope=\"row\">{name}</th>"))
        .unwrap_or_else(|| panic!("{name} in {html}"));
    let cells: Vec<String> = html[at..]
        .split("<td class=\"num\">")
        .skip(1)
        .take(2)
        .map(|c| c.split('<').next().unwrap().to_string())
        .collect();
    (cells[0].clone(), cells.get(1).cloned().unwrap_or_default())
}

async fn the_indicators_count_every_source_and_keep_defaults_and_flags_apart(app: TestApp) {
    let completed = app.now() - Duration::hours(1);
    for number in ["ST-1", "ST-2", "ST-3", "ST-4"] {
        let mut body = case_body(number, "W01", None);
        body["completed_at"] = json!(completed.to_rfc3339());
        body["accepted_at"] = json!((completed - Duration::minutes(20)).to_rfc3339());
        assert_eq!(app.post_json("/api/v1/cases", &body).await.status(), 201);
    }
    push(&app, "st1", "ST-1", "very_satisfied", &[]).await;
    push(&app, "st2", "ST-2", "dissatisfied", &["efficiency"]).await;
    push(&app, "st3", "ST-3", "satisfied", &[]).await;
    // A static code: one counted rating, then a repeat from the same browser (flagged).
    let phone = Browser::new(&app.base);
    for id in ["statsStatic000000001", "statsStatic000000002"] {
        let (status, _) = phone.get("/q/1/w/W02").await;
        assert_eq!(status, 200);
        let (status, html) = phone.post_raw("/q/1/w/W02", &[("submission", id), ("level", "satisfied")]).await;
        assert!(status == 201, "{html}");
    }
    // ST-4 is left unrated: Liaoning's default (满意) after 5 working days.
    app.advance(Calendar::builtin().deadline(completed, 5) - app.now() + Duration::days(1));
    let admin = app.signed_in(Role::SystemAdmin, None, "stadm").await;
    assert_eq!(admin.post_page("/admin/outbox/run", &[]).await.0, 200);
    assert_eq!(app.count_rows("default_rating").await, 1);

    // Hand-computed: completed 4, rated 3; valid 5 = 3 pushed + 1 default + 1 static;
    // good 4 (非常满意 1, 满意 3), of which 1 default; bad 1; flagged 1 apart.
    let period = "/admin/stats?from=2026-01-01&to=2030-01-01";
    let (status, html) = admin.get(period).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(row(&html, "参评率"), ("75.0%".into(), "3 / 4".into()));
    assert_eq!(row(&html, "未评价率"), ("25.0%".into(), "1 / 4".into()));
    assert_eq!(row(&html, "好评率"), ("80.0%".into(), "4 / 5".into()));
    assert_eq!(row(&html, "主动评价好评率"), ("75.0%".into(), "3 / 4".into()));
    assert_eq!(row(&html, "满意率"), ("80.0%".into(), "4 / 5".into()));
    assert_eq!(row(&html, "差评率"), ("20.0%".into(), "1 / 5".into()));
    assert_eq!(row(&html, "差评整改率"), ("0.0%".into(), "0 / 1".into()), "the order is still open");
    // (10 + 3 + 8 + 8 + 8) / 5 = 7.40
    assert_eq!(row(&html, "平均分"), ("7.40".into(), "5".into()));
    assert_eq!(row(&html, "默认评价").0, "1");
    assert_eq!(row(&html, "重复/刷评标记").0, "1");
    assert_eq!(row(&html, "办结办件").0, "4");

    // The center of 沈阳 sees the same; a unit sees only its own (U-SOCIAL: none,
    // and a rate without a denominator is “—”, not 0 %); staff see nothing.
    let center = app.signed_in(Role::CenterAdmin, Some("210100"), "stctr").await;
    let (_, html) = center.get(period).await;
    assert_eq!(row(&html, "好评率"), ("80.0%".into(), "4 / 5".into()));
    let social = app.signed_in(Role::UnitAdmin, Some("U-SOCIAL"), "stsoc").await;
    let (_, html) = social.get(period).await;
    assert_eq!(row(&html, "好评率"), ("—".into(), "0 / 0".into()));
    assert_eq!(row(&html, "办结办件").0, "0");
    let staff = app.signed_in(Role::WindowStaff, Some("W01"), "stwin").await;
    assert_eq!(staff.get(period).await.0, 403);
    // A period before anything happened, and a bad date.
    let (_, html) = admin.get("/admin/stats?from=2020-01-01&to=2020-02-01").await;
    assert_eq!(row(&html, "好评率").1, "0 / 0");
    let (status, html) = admin.get("/admin/stats?from=2026-13-01").await;
    assert_eq!(status, 422);
    assert!(html.contains("日期无效"));
    let (_, html) = admin.get("/admin/stats?lang=en").await;
    assert!(html.contains("Good rate"));
}
