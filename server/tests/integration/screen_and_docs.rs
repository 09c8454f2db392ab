//! The window screen with its event stream, the start page and the API document.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::Value;

use crate::helpers::{decode_svg, Browser, TestApp};
use crate::on_both_databases;

on_both_databases!(
    the_window_screen_shows_the_latest_case_and_pushes_the_next_within_two_seconds,
    every_documented_path_answers,
);

async fn the_window_screen_shows_the_latest_case_and_pushes_the_next_within_two_seconds(app: TestApp) {
    // Unpaired, the screen asks for pairing and reveals no rating link (issue 13 item 3).
    let early = app.report_case("S-0000", "W03", Some("S1003")).await;
    let token = early["rating_url"]
        .as_str()
        .expect("url")
        .rsplit('/')
        .next()
        .expect("token")
        .to_string();
    let anyone = Browser::new(&app.base);
    assert_eq!(anyone.get("/w/W03/screen").await, (303, "/device/pair?for=screen".into()));
    let (status, pair) = anyone.get("/device/pair?for=screen").await;
    assert_eq!(status, 200);
    assert!(
        pair.contains("窗口屏配对") && pair.contains("name=\"for\" value=\"screen\""),
        "{pair}"
    );
    assert!(!pair.contains(&token) && !pair.contains("/r/"), "no rating link before pairing");
    assert_eq!(anyone.get("/w/W03/events").await.0, 401, "nor on the event stream");

    // The administrator's pairing code makes a browser this window's screen.
    let admin = app.signed_in(domain::Role::UnitAdmin, Some("U-MARKET"), "scr1").await;
    let code = crate::devices::pairing_code(&admin, "W01").await;
    let screen = Browser::new(&app.base);
    assert_eq!(
        screen.post_raw("/device/pair", &[("code", &code), ("for", "screen")]).await,
        (303, "/w/W01/screen".into())
    );
    assert_eq!(
        screen.get("/w/W02/screen").await,
        (303, "/device/pair?for=screen".into()),
        "another window's screen is not this device's"
    );
    let (status, idle) = screen.get("/w/W01/screen").await;
    assert_eq!(status, 200);
    assert!(
        idle.contains("业务办结后") && idle.contains("http-equiv=\"refresh\""),
        "idle, refreshing without JS"
    );
    assert!(
        idle.contains("new EventSource('/w/'+encodeURIComponent(\"W01\")+'/events')"),
        "follows the event stream with JS"
    );
    assert!(!idle.contains(".wasm"), "the screen loads no wasm");

    let first = app.report_case("S-0001", "W01", Some("S1001")).await;
    let (_, html) = screen.get("/w/W01/screen").await;
    for text in ["扫码评价", "企业设立登记", "1号窗口 综合受理", "王丽", "S1001"] {
        assert!(html.contains(text), "screen shows {text}");
    }
    let svg_start = html.find("<svg").expect("inline QR");
    let svg = &html[svg_start..svg_start + html[svg_start..].find("</svg>").expect("end") + 6];
    assert_eq!(decode_svg(svg), first["rating_url"].as_str().expect("url"));

    let res = screen.http.get(app.url("/w/W01/events")).send().await.expect("events");
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut stream = res.bytes_stream();
    let mut seen = String::new();
    // The first event is the current screen.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !seen.contains(first["rating_url"].as_str().expect("url")) {
        let chunk = tokio::time::timeout_at(deadline.into(), stream.next())
            .await
            .expect("first event in time")
            .expect("chunk")
            .expect("bytes");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    let second = app.report_case("S-0002", "W01", Some("S1001")).await;
    let started = Instant::now();
    let want = second["rating_url"].as_str().expect("url").to_string();
    seen.clear();
    while !seen.contains(&want) {
        let chunk = tokio::time::timeout(Duration::from_secs(2), stream.next())
            .await
            .expect("pushed within 2 s")
            .expect("chunk")
            .expect("bytes");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(started.elapsed() < Duration::from_secs(2));

    assert_eq!(screen.get("/w/W99/screen").await.0, 303, "no such window: pairing, like any other");
    let (status, home) = app.get_page(&app.url("/")).await;
    assert_eq!(status, 200);
    assert!(home.contains("/w/W01/screen"));
}

async fn every_documented_path_answers(app: TestApp) {
    let (status, doc) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
    let paths = doc["paths"].as_object().expect("paths");
    for p in [
        "/api/v1/cases",
        "/api/v1/ratings",
        "/api/v1/items",
        "/api/v1/windows",
        "/api/v1/staff",
    ] {
        assert!(paths.contains_key(p), "{p} documented");
    }
    for (path, ops) in paths {
        for method in ops.as_object().expect("ops").keys() {
            let req = match method.as_str() {
                "get" => app.http.get(app.url(path)),
                "post" => app
                    .http
                    .post(app.url(path))
                    .header("idempotency-key", "doc-check")
                    .json(&serde_json::json!({})),
                other => panic!("undocumented method {other}"),
            };
            let res = req.bearer_auth(&app.key).send().await.expect("req");
            let status = res.status().as_u16();
            assert!(status != 404 && status != 405 && status < 500, "{method} {path} answered {status}");
            if status >= 400 {
                let body: Value = res.json().await.expect("json error");
                assert!(body["error"].is_string(), "{method} {path}: {body}");
            }
        }
    }
    let (status, docs) = app.get_page(&app.url("/api/docs")).await;
    assert_eq!(status, 200);
    assert!(docs.contains("/api/v1/cases") && docs.contains("Bearer"));
}
