//! Issue 14: every rating, from every source, browsable — `/admin/ratings`
//! (newest first, filters, masked comments, links, scope) and
//! `GET /api/v1/ratings` (oldest first, every source within the key's scope,
//! keyset paging that neither skips nor repeats, an older client's cursor).
#![allow(clippy::unwrap_used)] // a failing unwrap is a failing test

use chrono::Duration;
use domain::calendar::Calendar;
use domain::Role;
use serde_json::{json, Value};

use crate::helpers::{case_body, Browser, TestApp};
use crate::on_both_databases;

on_both_databases!(every_rating_is_listed_from_every_source_in_one_order,);

async fn push(app: &TestApp, idem: &str, number: &str, level: &str, tags: &[&str], comment: Option<&str>) {
    let res = app
        .http
        .post(app.url("/api/v1/ratings"))
        .bearer_auth(&app.key)
        .header("idempotency-key", idem)
        .json(&json!({"case_number": number, "level": level, "tags": tags, "comment": comment, "target": "item", "channel": "online"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
}

/// Every rating a key reads, `limit` at a time, following `next`.
async fn walk(app: &TestApp, key: &str, limit: u32, first_after: Option<&str>) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = first_after.map(|a| format!("&after={a}")).unwrap_or_default();
    loop {
        let res = app
            .http
            .get(app.url(&format!("/api/v1/ratings?limit={limit}{after}")))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        let page = body["ratings"].as_array().unwrap();
        assert!(page.len() <= limit as usize);
        out.extend(page.iter().cloned());
        match body["next"].as_str() {
            Some(n) => after = format!("&after={n}"),
            None => return out,
        }
    }
}

/// (source, case number or "-", flagged?) of each rating, in order.
fn shape(rows: &[Value]) -> Vec<(String, String, bool)> {
    rows.iter()
        .map(|r| {
            (
                r["source"].as_str().unwrap().to_string(),
                r["case_number"].as_str().unwrap_or("-").to_string(),
                !r["flagged"].is_null(),
            )
        })
        .collect()
}

/// Rows of the ratings table on a page.
fn rows(html: &str) -> Vec<String> {
    let body = html
        .split("<table class=\"list ratings\">")
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    body.split("<tbody>")
        .nth(1)
        .unwrap()
        .split("<tr")
        .skip(1)
        .map(str::to_string)
        .collect()
}

async fn every_rating_is_listed_from_every_source_in_one_order(app: TestApp) {
    let completed = app.now() - Duration::hours(1);
    for number in ["RL-1", "RL-2", "RL-3", "RL-4"] {
        let mut body = case_body(number, "W01", Some("S1001"));
        body["completed_at"] = json!(completed.to_rfc3339());
        body["accepted_at"] = json!((completed - Duration::minutes(20)).to_rfc3339());
        assert_eq!(app.post_json("/api/v1/cases", &body).await.status(), 201);
    }
    push(&app, "rl1", "RL-1", "very_satisfied", &[], None).await;
    push(
        &app,
        "rl2",
        "RL-2",
        "dissatisfied",
        &["efficiency"],
        Some("等了两小时，电话13812345678没人接"),
    )
    .await;
    push(&app, "rl3", "RL-3", "satisfied", &[], None).await;
    // A static code at W02: one counted, then a repeat from the same browser (flagged).
    let phone = Browser::new(&app.base);
    for id in ["ratingsList000000001", "ratingsList000000002"] {
        assert_eq!(phone.get("/q/1/w/W02").await.0, 200);
        let (status, html) = phone.post_raw("/q/1/w/W02", &[("submission", id), ("level", "satisfied")]).await;
        assert_eq!(status, 201, "{html}");
    }
    // RL-4 is left unrated: its default (满意) comes last.
    app.advance(Calendar::builtin().deadline(completed, 5) - app.now() + Duration::days(1));
    let admin = app.signed_in(Role::SystemAdmin, None, "rladm").await;
    assert_eq!(admin.post_page("/admin/outbox/run", &[]).await.0, 200);
    assert_eq!(app.count_rows("default_rating").await, 1);

    // The page: all six, newest first, in one order over the three tables.
    let (status, html) = admin.get("/admin/ratings").await;
    assert_eq!(status, 200, "{html}");
    let all = rows(&html);
    assert_eq!(all.len(), 6, "{html}");
    assert!(all[0].contains(">RL-4</a>") && all[0].contains("默认评价"), "{}", all[0]);
    assert!(all[1].contains("同一浏览器重复评价") && all[1].contains("2号窗口"), "{}", all[1]);
    assert!(all[2].contains("2号窗口") && !all[2].contains("不计入"), "{}", all[2]);
    for (row, number) in all[3..].iter().zip(["RL-3", "RL-2", "RL-1"]) {
        assert!(row.contains(&format!(">{number}</a>")), "{row}");
        assert!(row.contains("王丽 (S1001)") && row.contains("企业设立登记"), "{row}");
    }
    // The bad rating: its comment masked, a link to its work order.
    assert!(all[4].contains("电话138****5678没人接"), "{}", all[4]);
    assert!(!html.contains("13812345678"));
    assert!(all[4].contains("href=\"/admin/work-orders/"), "{}", all[4]);
    // The case link lists that case's ratings.
    assert!(all[4].contains("href=\"/admin/ratings?case=RL-2\""));
    let (_, html) = admin.get("/admin/ratings?case=RL-2").await;
    assert_eq!(rows(&html).len(), 1);

    // Filters.
    let count = |q: &'static str| {
        let admin = &admin;
        async move {
            let (status, html) = admin.get(&format!("/admin/ratings?{q}")).await;
            assert_eq!(status, 200, "{q}: {html}");
            rows(&html).iter().filter(|r| !r.contains("没有符合条件的评价")).count()
        }
    };
    assert_eq!(count("mark=default").await, 1);
    assert_eq!(count("mark=flagged").await, 1);
    assert_eq!(count("channel=static_qr").await, 2);
    assert_eq!(count("channel=default").await, 1);
    assert_eq!(count("window=W02").await, 2);
    assert_eq!(count("window=W01&level=dissatisfied").await, 1);
    assert_eq!(count("staff=S1001").await, 4, "three pushes and the default of W01's cases");
    assert_eq!(count("hall=H-SY-01&unit=U-MARKET").await, 6);
    assert_eq!(count("region=210100").await, 6);
    assert_eq!(count("from=2020-01-01&to=2020-12-31").await, 0);
    let (status, html) = admin.get("/admin/ratings?window=NOPE").await;
    assert_eq!(status, 422);
    assert!(html.contains("窗口编码"), "{html}");
    let (status, html) = admin.get("/admin/ratings?level=great&from=2026-13-01").await;
    assert_eq!(status, 422);
    assert!(html.contains("未知的评价等级") && html.contains("开始日期"), "{html}");
    assert_eq!(admin.get("/admin/ratings?after=garbage").await.0, 422);

    // Scope: a unit sees its own (U-SOCIAL: none); window staff see nothing.
    let social = app.signed_in(Role::UnitAdmin, Some("U-SOCIAL"), "rlsoc").await;
    assert_eq!(count_for(&social, "").await, 0);
    let market = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), "rlmkt").await;
    assert_eq!(count_for(&market, "").await, 6);
    let staff = app.signed_in(Role::WindowStaff, Some("W01"), "rlwin").await;
    assert_eq!(staff.get("/admin/ratings").await.0, 403);
    let (_, html) = admin.get("/admin/ratings?lang=en").await;
    assert!(html.contains("Static QR code") && html.contains("Default"));

    // The API: a key granted 沈阳 reads all six, oldest first, two at a time,
    // none skipped or repeated; static-code ratings have no case number.
    let scope = store::keys::resolve_scope(&app.db, Some("210100")).await.unwrap();
    let (_, city) = store::keys::create(&app.db, "city platform", scope, app.now()).await.unwrap();
    let expected = vec![
        ("case".to_string(), "RL-1".to_string(), false),
        ("case".into(), "RL-2".into(), false),
        ("case".into(), "RL-3".into(), false),
        ("place".into(), "-".into(), false),
        ("place".into(), "-".into(), true),
        ("default".into(), "RL-4".into(), false),
    ];
    for limit in [1, 2, 4, 500] {
        assert_eq!(shape(&walk(&app, &city, limit, None).await), expected, "limit {limit}");
    }
    let every = walk(&app, &city, 500, None).await;
    assert_eq!(every[3]["channel"], "static_qr");
    assert_eq!(every[3]["window_code"], "W02");
    assert_eq!(every[3]["hall_code"], "H-SY-01");
    assert_eq!(every[3]["region_code"], "210100");
    assert_eq!(every[4]["flagged"], "same_browser");
    assert_eq!(every[5]["channel"], "default");
    assert_eq!(every[5]["level"], "satisfied");
    assert_eq!(every[1]["applicant_phone"], "138****1234");
    // The reporting system's own key: its cases' ratings and default, no places.
    let own = shape(&walk(&app, &app.key, 3, None).await);
    assert_eq!(
        own,
        [expected[0].clone(), expected[1].clone(), expected[2].clone(), expected[5].clone()]
    );
    // A cursor of the earlier API (a rating id) still pages on from that rating.
    let first_id = every[0]["id"].as_i64().unwrap().to_string();
    assert_eq!(shape(&walk(&app, &city, 2, Some(&first_id)).await), expected[1..].to_vec());
    // Rows stored after a client reached the end come on its next poll.
    let end = {
        let res = app
            .http
            .get(app.url("/api/v1/ratings?limit=5"))
            .bearer_auth(&city)
            .send()
            .await
            .unwrap();
        res.json::<Value>().await.unwrap()["next"].as_str().unwrap().to_string()
    };
    app.advance(Duration::minutes(1));
    let fresh = Browser::new(&app.base);
    assert_eq!(fresh.get("/q/1/h/H-SY-01").await.0, 200);
    let (status, html) = fresh
        .post_raw(
            "/q/1/h/H-SY-01",
            &[("submission", "ratingsList000000003"), ("level", "very_satisfied")],
        )
        .await;
    assert_eq!(status, 201, "{html}");
    let after_end = walk(&app, &city, 500, Some(&end)).await;
    assert_eq!(shape(&after_end), [expected[5].clone(), ("place".into(), "-".into(), false)]);
    assert_eq!(after_end[1]["target"], "hall");
    assert!(after_end[1]["window_code"].is_null());
}

async fn count_for(b: &Browser, q: &str) -> usize {
    let (status, html) = b.get(&format!("/admin/ratings{q}")).await;
    assert_eq!(status, 200, "{html}");
    rows(&html).iter().filter(|r| !r.contains("没有符合条件的评价")).count()
}
