//! The window evaluator: pairing with a one-time code, revocation, staff
//! inviting a rating that the tablet shows within a second, the rating stored
//! with channel `window_device`, and the console learning only "rated".
#![allow(clippy::unwrap_used)] // a failing unwrap is a failing test

use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use domain::Role;
use futures::StreamExt;

use crate::helpers::{decode_svg, Browser, TestApp};
use crate::on_both_databases;

on_both_databases!(
    an_administrator_pairs_an_evaluator_with_a_one_time_code_and_revokes_it,
    staff_invite_a_rating_that_the_evaluator_shows_and_the_console_sees_only_rated,
);

pub(crate) async fn pairing_code(admin: &Browser, window: &str) -> String {
    let (status, page) = admin.post_page(&format!("/admin/devices/{window}/pair"), &[]).await;
    assert_eq!(status, 200, "{page}");
    let at = page.find("id=\"pairing-code\"").expect("code shown");
    let start = at + page[at..].find('>').unwrap() + 1;
    page[start..].split('<').next().unwrap().to_string()
}

async fn paired_device(app: &TestApp, admin: &Browser, window: &str) -> Browser {
    let code = pairing_code(admin, window).await;
    let d = Browser::new(&app.base);
    assert_eq!(d.post_raw("/device/pair", &[("code", &code)]).await, (303, "/device".into()));
    d
}

async fn an_administrator_pairs_an_evaluator_with_a_one_time_code_and_revokes_it(app: TestApp) {
    let admin = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), "dv1").await;
    assert_eq!(admin.get("/admin/devices/W01").await.0, 200);
    assert_eq!(admin.get("/admin/devices/W03").await.0, 403, "another unit's window");
    assert_eq!(admin.post_page("/admin/devices/W03/pair", &[]).await.0, 403);
    assert_eq!(app.count_rows("device").await, 0, "a refused pairing stores nothing");
    let code = pairing_code(&admin, "W01").await;
    assert!(code.len() == 8 && code.chars().all(|c| c.is_ascii_digit()), "{code}");

    let d = Browser::new(&app.base);
    assert_eq!(
        d.get("/device").await,
        (303, "/device/pair".into()),
        "an unpaired device sees nothing"
    );
    assert_eq!(d.get("/device/events").await.0, 401);
    let (status, page) = d.post_raw("/device/pair", &[("code", "00000000")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("配对码无效或已过期"));
    assert_eq!(d.post_raw("/device/pair", &[("code", &code)]).await, (303, "/device".into()));
    let (status, page) = d.get("/device").await;
    assert_eq!(status, 200);
    assert!(page.contains("1号窗口 综合受理") && page.contains("data-state=\"idle\""), "{page}");
    let other = Browser::new(&app.base);
    assert_eq!(other.post_raw("/device/pair", &[("code", &code)]).await.0, 422, "a code works once");
    let late = pairing_code(&admin, "W01").await;
    app.advance(Duration::minutes(11));
    assert_eq!(
        other.post_raw("/device/pair", &[("code", &late)]).await.0,
        422,
        "and for 10 minutes"
    );

    let id = app
        .scalar("SELECT CAST(MIN(id) AS TEXT) AS v FROM device WHERE paired_at IS NOT NULL")
        .await
        .unwrap();
    let (status, _) = admin.post_page(&format!("/admin/devices/W01/revoke/{id}"), &[]).await;
    assert_eq!(status, 303);
    assert_eq!(d.get("/device").await, (303, "/device/pair".into()), "a revoked device is unpaired");
    let (_, trail) = admin.get("/admin/devices/W01").await;
    assert!(trail.contains("已吊销"));
    assert_eq!(
        app.scalar("SELECT action AS v FROM audit_log WHERE action = 'revoke' AND object_kind = 'devices'")
            .await
            .as_deref(),
        Some("revoke")
    );
}

/// Reads the event stream until `want` appears in one event's data; returns that data.
async fn next_event_with(
    stream: &mut (impl futures::Stream<Item = reqwest::Result<axum::body::Bytes>> + Unpin),
    want: &str,
    within: StdDuration,
) -> String {
    let deadline = Instant::now() + within;
    let mut seen = String::new();
    loop {
        if let Some(pos) = seen.find(want) {
            let start = seen[..pos].rfind("data:").unwrap_or(0);
            return seen[start..].to_string();
        }
        let chunk = tokio::time::timeout_at(deadline.into(), stream.next())
            .await
            .unwrap_or_else(|_| panic!("`{want}` within {within:?}; got {seen}"))
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
}

async fn staff_invite_a_rating_that_the_evaluator_shows_and_the_console_sees_only_rated(app: TestApp) {
    // The cases complete 09:30 Beijing time on 2026-11-27; the hall's day follows the clock.
    let noon = chrono::DateTime::parse_from_rfc3339("2026-11-27T12:00:00+08:00")
        .unwrap()
        .with_timezone(&chrono::Utc);
    app.advance(noon - app.now());
    let admin = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), "dv2").await;
    let device = paired_device(&app, &admin, "W01").await;
    let case = app.report_case("INV-1", "W01", Some("S1001")).await;
    let staff = app.signed_in(Role::WindowStaff, Some("W01"), "S1001").await;
    let (_, console) = staff.get("/staff").await;
    assert!(console.contains("邀请评价"), "{console}");

    let res = device.http.get(format!("{}/device/events", app.base)).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut stream = res.bytes_stream();
    next_event_with(&mut stream, "data-state=\"idle\"", StdDuration::from_secs(3)).await;

    assert_eq!(
        staff.post_page("/staff/invite", &[("case_number", "INV-1")]).await,
        (303, "/staff?notice=invited".into())
    );
    let started = Instant::now();
    let invite = next_event_with(&mut stream, "device-frame", StdDuration::from_secs(2)).await;
    assert!(
        started.elapsed() < StdDuration::from_millis(1500),
        "shown within about a second: {:?}",
        started.elapsed()
    );
    let src = invite.find("src=\"/r/").unwrap() + 5;
    let path = invite[src..].split('"').next().unwrap().to_string();
    // "Rate later on my phone": the case's own phone link as a QR code.
    let svg_at = invite.find("<svg").unwrap();
    let svg = &invite[svg_at..svg_at + invite[svg_at..].find("</svg>").unwrap() + 6];
    assert_eq!(decode_svg(svg), case["rating_url"].as_str().unwrap());

    let (status, _) = app
        .post_form(&app.url(&path), &[("level", "satisfied"), ("tags", "attitude")])
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        app.scalar("SELECT r.channel AS v FROM rating r JOIN service_case c ON c.id = r.case_id WHERE c.case_number = 'INV-1'")
            .await
            .as_deref(),
        Some("window_device")
    );
    next_event_with(&mut stream, "data-state=\"thanks\"", StdDuration::from_secs(2)).await;
    app.advance(Duration::seconds(9));
    next_event_with(&mut stream, "data-state=\"idle\"", StdDuration::from_secs(2)).await;
    let (_, console) = staff.get("/staff").await;
    assert!(
        console.contains("已评价 1 件") && !console.contains("满意"),
        "only whether, never how: {console}"
    );

    // A second invitation nobody touches is dismissed by the tablet.
    app.report_case("INV-2", "W01", Some("S1001")).await;
    staff.post_page("/staff/invite", &[("case_number", "INV-2")]).await;
    next_event_with(&mut stream, "device-frame", StdDuration::from_secs(2)).await;
    let status = device
        .http
        .post(format!("{}/device/dismiss", app.base))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 204);
    next_event_with(&mut stream, "data-state=\"idle\"", StdDuration::from_secs(2)).await;
    // Rated cases cannot be invited again; other windows' cases are not found.
    assert_eq!(
        staff.post_page("/staff/invite", &[("case_number", "INV-1")]).await,
        (303, "/staff?notice=already".into())
    );
    app.report_case("INV-3", "W02", Some("S1002")).await;
    assert_eq!(staff.post_page("/staff/invite", &[("case_number", "INV-3")]).await.0, 404);

    // A 一件事 bundle invited on the tablet: its page offers the other item too,
    // through a tablet link issued with the invitation (the page only reads).
    for (number, item) in [("INVB-1", "11210100MB0001-001"), ("INVB-2", "11210100MB0001-002")] {
        let mut body = crate::helpers::case_body(number, "W01", Some("S1001"));
        body["item_code"] = serde_json::json!(item);
        body["bundle_id"] = serde_json::json!("YJS-INV");
        assert_eq!(app.post_json("/api/v1/cases", &body).await.status(), 201);
    }
    staff.post_page("/staff/invite", &[("case_number", "INVB-1")]).await;
    let invite = next_event_with(&mut stream, "device-frame", StdDuration::from_secs(2)).await;
    let src = invite.find("src=\"/r/").unwrap() + 5;
    let path = invite[src..].split('"').next().unwrap().to_string();
    let (status, page) = app.get_page(&app.url(&path)).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("单独评价") && page.contains("个体工商户注册登记"),
        "the bundle's other item, with its own link: {page}"
    );
}
