//! Cases in: `POST /api/v1/cases`.

use serde_json::{json, Value};

use crate::helpers::{case_body, decode_png, decode_svg, TestApp};
use crate::on_both_databases;

on_both_databases!(
    a_reported_case_gets_a_rating_link_and_qr_codes_that_decode_to_it,
    the_same_case_sent_twice_is_one_case_and_a_changed_resend_is_a_conflict,
    unknown_codes_and_malformed_values_are_422_naming_the_field_and_store_nothing,
    requests_without_a_valid_key_are_refused_with_401,
    broken_bodies_get_a_json_4xx_and_store_nothing,
);

async fn a_reported_case_gets_a_rating_link_and_qr_codes_that_decode_to_it(app: TestApp) {
    let body = app.report_case("C-0001", "W01", Some("S1001")).await;
    let rating_url = body["rating_url"].as_str().expect("rating_url");
    assert!(rating_url.starts_with(&format!("{}/r/", app.base)), "{rating_url}");
    assert!(body["id"].as_i64().is_some());
    assert_eq!(body["qr_svg_url"], format!("{rating_url}/qr.svg"));
    assert_eq!(body["qr_png_url"], format!("{rating_url}/qr.png"));

    let svg = app.http.get(body["qr_svg_url"].as_str().expect("svg")).send().await.expect("svg");
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert_eq!(decode_svg(&svg.text().await.expect("svg text")), rating_url);

    let png = app.http.get(body["qr_png_url"].as_str().expect("png")).send().await.expect("png");
    assert_eq!(png.headers()["content-type"], "image/png");
    assert_eq!(decode_png(&png.bytes().await.expect("png bytes")), rating_url);

    let (status, page) = app.get_page(rating_url).await;
    assert_eq!(status, 200);
    assert!(page.contains("企业设立登记"), "the item is named on the page");
}

async fn the_same_case_sent_twice_is_one_case_and_a_changed_resend_is_a_conflict(app: TestApp) {
    let first = app.post_json("/api/v1/cases", &case_body("C-0002", "W01", Some("S1001"))).await;
    assert_eq!(first.status().as_u16(), 201);
    let first: Value = first.json().await.expect("json");
    let again = app.post_json("/api/v1/cases", &case_body("C-0002", "W01", Some("S1001"))).await;
    assert_eq!(again.status().as_u16(), 200);
    assert_eq!(again.json::<Value>().await.expect("json"), first, "the same answer");
    assert_eq!(app.count_rows("service_case").await, 1);
    assert_eq!(app.count_rows("rating_token").await, 1);

    let mut changed = case_body("C-0002", "W02", Some("S1002"));
    changed["transactions"] = json!(3);
    let res = app.post_json("/api/v1/cases", &changed).await;
    assert_eq!(res.status().as_u16(), 409);
    assert_eq!(res.json::<Value>().await.expect("json")["error"], "conflict");
    assert_eq!(app.count_rows("service_case").await, 1);
}

async fn unknown_codes_and_malformed_values_are_422_naming_the_field_and_store_nothing(app: TestApp) {
    let cases: Vec<(&str, Value)> = vec![
        ("item_code", json!("NO-SUCH-ITEM")),
        ("window_code", json!("W99")),
        ("staff_number", json!("S9999")),
        ("applicant_phone", json!("12345")),
        ("completed_at", json!("yesterday")),
        ("accepted_at", json!("2026-11-27 09:10")),
        ("case_number", json!("x".repeat(51))),
        ("transactions", json!(0)),
        ("transactions", json!("three")),
    ];
    for (field, value) in cases {
        let mut body = case_body("C-0003", "W01", Some("S1001"));
        body[field] = value.clone();
        let res = app.post_json("/api/v1/cases", &body).await;
        assert_eq!(res.status().as_u16(), 422, "{field} = {value}");
        let err: Value = res.json().await.expect("json");
        assert_eq!(err["field"], field, "{err}");
        assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let mut missing = case_body("C-0003", "W01", None);
    missing.as_object_mut().expect("object").remove("completed_at");
    let res = app.post_json("/api/v1/cases", &missing).await;
    assert_eq!(res.status().as_u16(), 422);
    assert_eq!(res.json::<Value>().await.expect("json")["field"], "completed_at");
    assert_eq!(app.count_rows("service_case").await, 0, "nothing half-written");
}

async fn requests_without_a_valid_key_are_refused_with_401(app: TestApp) {
    let no_key = app
        .http
        .post(app.url("/api/v1/cases"))
        .json(&case_body("C-0004", "W01", None))
        .send()
        .await
        .expect("req");
    assert_eq!(no_key.status().as_u16(), 401);
    assert_eq!(no_key.headers()["www-authenticate"], "Bearer");
    assert_eq!(no_key.json::<Value>().await.expect("json")["error"], "unauthorized");
    let wrong = app
        .http
        .get(app.url("/api/v1/ratings"))
        .bearer_auth("hc_wrong")
        .send()
        .await
        .expect("req");
    assert_eq!(wrong.status().as_u16(), 401);
    assert_eq!(app.count_rows("service_case").await, 0);
}

async fn broken_bodies_get_a_json_4xx_and_store_nothing(app: TestApp) {
    let send = |ct: &'static str, body: Vec<u8>| {
        app.http
            .post(app.url("/api/v1/cases"))
            .bearer_auth(&app.key)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("text/plain", b"{}".to_vec(), 415),
        ("application/json", b"{\"case_number\": ".to_vec(), 400),
        ("application/json", b"\xff\xfe{}".to_vec(), 400),
        ("application/json", vec![b' '; 70 * 1024], 413),
    ];
    for (ct, body, status) in cases {
        let res = send(ct, body).await.expect("req");
        assert_eq!(res.status().as_u16(), status, "{ct}");
        assert!(res.headers()["content-type"].to_str().expect("ct").starts_with("application/json"));
        let err: Value = res.json().await.expect("json error body");
        assert!(err["error"].is_string() && err["message"].is_string(), "{err}");
    }
    let mut extra = case_body("C-0005", "W01", None);
    extra["unexpected"] = json!(1);
    let res = app.post_json("/api/v1/cases", &extra).await;
    assert_eq!(res.status().as_u16(), 422);
    let res = app
        .http
        .get(app.url("/api/v1/nothing-here"))
        .bearer_auth(&app.key)
        .send()
        .await
        .expect("req");
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(res.json::<Value>().await.expect("json")["error"], "not_found");
    assert_eq!(app.count_rows("service_case").await, 0);
}
