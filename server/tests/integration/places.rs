//! Static QR codes of windows and halls (002 rule 12) and their print pages:
//! ratings without a case, stored once per submission, repeats kept but not
//! counted, every code decoding to its stable URL.
#![allow(clippy::unwrap_used)] // a failing unwrap is a failing test

use chrono::Duration;
use domain::Role;

use crate::helpers::{decode_png, decode_svg, Browser, TestApp};
use crate::on_both_databases;

on_both_databases!(
    a_window_code_opens_a_rating_page_and_a_resend_stores_nothing_new,
    a_repeat_from_the_same_browser_or_a_burst_is_kept_flagged_and_not_counted,
    bad_static_submissions_are_explained_and_store_nothing,
    static_codes_listed_by_the_api_decode_to_their_urls,
    print_pages_follow_the_scope_and_every_code_decodes,
);

fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("field {name}")) + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

/// A phone: keeps the rater cookie the page sets.
async fn open(app: &TestApp, path: &str) -> (Browser, String) {
    let b = Browser::new(&app.base);
    let (status, html) = b.get(path).await;
    assert_eq!(status, 200, "{html}");
    let submission = field(&html, "submission");
    (b, submission)
}

async fn count(app: &TestApp, filter: &str) -> i64 {
    app.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) AS v FROM place_rating WHERE {filter}"))
        .await
        .unwrap()
        .parse()
        .unwrap()
}

async fn a_window_code_opens_a_rating_page_and_a_resend_stores_nothing_new(app: TestApp) {
    let (b, submission) = open(&app, "/q/1/w/W01").await;
    let (_, html) = b.get("/q/1/w/W01").await;
    assert!(html.contains("action=\"/q/1/w/W01?lang=zh\"") && html.contains("1号窗口 综合受理") && html.contains("对窗口服务的评价"));
    let fields = [
        ("submission", submission.as_str()),
        ("level", "very_satisfied"),
        ("tags", "attitude"),
        ("comment", "很好"),
    ];
    let (status, page) = b.post_raw("/q/1/w/W01", &fields).await;
    assert_eq!(status, 201, "{page}");
    assert!(page.contains("感谢"));
    let (status, _) = b.post_raw("/q/1/w/W01", &fields).await;
    assert_eq!(status, 200, "a resend (double tap, reload) is answered, not stored again");
    assert_eq!(count(&app, "1 = 1").await, 1);
    assert_eq!(
        count(
            &app,
            "channel = 'static_qr' AND target = 'window' AND counted AND level = 'very_satisfied'"
        )
        .await,
        1
    );
    // The hall's code rates the hall.
    let (b, submission) = open(&app, "/q/1/h/H-SY-01").await;
    let (status, _) = b
        .post_raw("/q/1/h/H-SY-01", &[("submission", &submission), ("level", "satisfied")])
        .await;
    assert_eq!(status, 201);
    assert_eq!(count(&app, "target = 'hall' AND window_id IS NULL").await, 1);
}

async fn a_repeat_from_the_same_browser_or_a_burst_is_kept_flagged_and_not_counted(app: TestApp) {
    let (b, first) = open(&app, "/q/1/w/W02").await;
    assert_eq!(
        b.post_raw("/q/1/w/W02", &[("submission", &first), ("level", "satisfied")]).await.0,
        201
    );
    let (_, html) = b.get("/q/1/w/W02").await;
    let second = field(&html, "submission");
    let (status, page) = b
        .post_raw(
            "/q/1/w/W02",
            &[("submission", &second), ("level", "very_dissatisfied"), ("tags", "attitude")],
        )
        .await;
    assert_eq!(status, 201, "stored, not refused");
    assert!(page.contains("不重复计入统计"), "the rater is told: {page}");
    assert_eq!(count(&app, "repeat_reason = 'same_browser' AND NOT counted").await, 1);
    // Another window from the same browser is not a repeat; the same one later is not either.
    let (_, html) = b.get("/q/1/w/W03").await;
    assert_eq!(
        b.post_raw("/q/1/w/W03", &[("submission", &field(&html, "submission")), ("level", "satisfied")])
            .await
            .0,
        201
    );
    app.advance(Duration::minutes(31));
    let (_, html) = b.get("/q/1/w/W02").await;
    assert_eq!(
        b.post_raw("/q/1/w/W02", &[("submission", &field(&html, "submission")), ("level", "satisfied")])
            .await
            .0,
        201
    );
    assert_eq!(count(&app, "counted").await, 3);

    // A burst: ten fresh browsers from one address are counted, the eleventh is flagged.
    app.advance(Duration::minutes(31));
    for i in 0..11 {
        let (p, s) = open(&app, "/q/1/w/W04").await;
        let status = p.post_raw("/q/1/w/W04", &[("submission", &s), ("level", "satisfied")]).await.0;
        assert_eq!(status, 201, "rating {i}");
    }
    assert_eq!(
        count(&app, "window_id = (SELECT id FROM service_window WHERE code = 'W04') AND counted").await,
        10
    );
    assert_eq!(count(&app, "repeat_reason = 'burst' AND NOT counted").await, 1);
}

async fn bad_static_submissions_are_explained_and_store_nothing(app: TestApp) {
    let b = Browser::new(&app.base);
    let (status, page) = b.get("/q/1/w/NOPE").await;
    assert_eq!(status, 404);
    assert!(page.contains("二维码无效"));
    assert_eq!(b.get("/q/2/w/W01").await.0, 404, "only version 1 exists");
    let (b, submission) = open(&app, "/q/1/w/W01").await;
    let (status, page) = b
        .post_raw("/q/1/w/W01", &[("submission", &submission), ("level", "dissatisfied")])
        .await;
    assert_eq!(status, 422, "a bad rating needs a reason");
    assert!(page.contains("至少选择一项原因"));
    assert_eq!(field(&page, "submission"), submission, "the re-shown form keeps its submission id");
    let (status, _) = b.post_raw("/q/1/w/W01", &[("level", "satisfied")]).await;
    assert_eq!(status, 422, "no submission id");
    let res = app
        .http
        .post(app.url("/q/1/w/W01"))
        .header("accept", "application/json")
        .form(&[("submission", "x"), ("level", "satisfied")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["ok"], false);
    assert_eq!(count(&app, "1 = 1").await, 0);
}

async fn static_codes_listed_by_the_api_decode_to_their_urls(app: TestApp) {
    let (status, body) = app.get_json("/api/v1/windows").await;
    assert_eq!(status, 200);
    for w in body["windows"].as_array().unwrap() {
        let code = w["code"].as_str().unwrap();
        let url = format!("{}/q/1/w/{code}", app.base);
        assert_eq!(w["static_url"], url);
        let svg = app
            .http
            .get(w["static_qr_svg_url"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(decode_svg(&svg), url);
        let png = app
            .http
            .get(w["static_qr_png_url"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let width = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
        assert!(width >= 1200, "PNG {width} px");
        assert_eq!(decode_png(&png), url);
    }
}

fn inline_svgs(html: &str) -> Vec<(String, String)> {
    // (data-url of the holder, the svg inside it)
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("data-url=\"") {
        let after = &rest[i + 10..];
        let url = after.split('"').next().unwrap().to_string();
        let s = after.find("<svg").unwrap();
        let e = after[s..].find("</svg>").unwrap() + s + 6;
        out.push((url, after[s..e].to_string()));
        rest = &after[e..];
    }
    out
}

async fn print_pages_follow_the_scope_and_every_code_decodes(app: TestApp) {
    let staff = app.signed_in(Role::WindowStaff, Some("W01"), "S1001").await;
    let (status, page) = staff.get("/print/window/W01").await;
    assert_eq!(status, 200);
    let codes = inline_svgs(&page);
    assert_eq!(codes.len(), 7, "a poster and six table cards");
    for (url, svg) in &codes {
        assert_eq!(url, &format!("{}/q/1/w/W01", app.base));
        assert_eq!(&decode_svg(svg), url);
    }
    assert!(page.contains("/q/1/w/W01/qr.svg") && page.contains("/q/1/w/W01/qr.png") && page.contains("扫码评价"));
    assert_eq!(staff.get("/print/window/W02").await.0, 403, "another window");
    assert_eq!(staff.get("/print/hall/H-SY-01").await.0, 403);

    let unit = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), "pu1").await;
    assert_eq!(unit.get("/print/window/W02").await.0, 200);
    assert_eq!(unit.get("/print/window/W03").await.0, 403);
    assert_eq!(unit.get("/print/hall/H-SY-01").await.0, 403);

    let center = app.signed_in(Role::CenterAdmin, Some("210100"), "pc1").await;
    let (status, page) = center.get("/print/hall/H-SY-01").await;
    assert_eq!(status, 200);
    let codes = inline_svgs(&page);
    assert_eq!(codes.len(), 7, "the hall's poster and one card per window");
    assert_eq!(codes[0].0, format!("{}/q/1/h/H-SY-01", app.base));
    for (url, svg) in &codes {
        assert_eq!(&decode_svg(svg), url);
    }
    assert_eq!(center.get("/print/hall/H-DL-01").await.0, 403);
    assert_eq!(Browser::new(&app.base).get("/print/window/W01").await, (303, "/login".into()));
}
