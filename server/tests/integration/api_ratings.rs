//! Ratings pushed by and read back by business systems.

use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::on_both_databases;

on_both_databases!(
    a_pushed_rating_follows_the_page_rules_and_a_repeated_key_returns_the_first_answer,
    twenty_concurrent_pushes_with_one_key_store_one_rating,
    ratings_are_read_back_in_a_stable_order_with_a_cursor_and_masked_phones,
    code_lists_are_paged_with_codes_and_names,
);

async fn push(app: &TestApp, key: &str, body: &Value) -> (u16, Value) {
    let res = app
        .http
        .post(app.url("/api/v1/ratings"))
        .bearer_auth(&app.key)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .expect("req");
    let status = res.status().as_u16();
    (status, res.json().await.expect("json"))
}

async fn a_pushed_rating_follows_the_page_rules_and_a_repeated_key_returns_the_first_answer(app: TestApp) {
    app.report_case("A-0001", "W01", Some("S1001")).await;
    let bad_without_reason = json!({"case_number": "A-0001", "level": "dissatisfied", "target": "item", "channel": "online"});
    let (status, err) = push(&app, "k1", &bad_without_reason).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("tags")));

    for (field, body) in [
        (
            "level",
            json!({"case_number": "A-0001", "level": "great", "target": "item", "channel": "online"}),
        ),
        (
            "target",
            json!({"case_number": "A-0001", "level": "satisfied", "target": "moon", "channel": "online"}),
        ),
        (
            "channel",
            json!({"case_number": "A-0001", "level": "satisfied", "target": "item", "channel": "dynamic_qr"}),
        ),
        (
            "case_number",
            json!({"case_number": "A-9999", "level": "satisfied", "target": "item", "channel": "online"}),
        ),
        (
            "tags",
            json!({"case_number": "A-0001", "level": "satisfied", "target": "item", "channel": "online", "tags": ["speed"]}),
        ),
    ] {
        let (status, err) = push(&app, "k1", &body).await;
        assert_eq!((status, err["field"].as_str()), (422, Some(field)), "{err}");
    }
    let no_key = app.post_json("/api/v1/ratings", &bad_without_reason).await;
    assert_eq!(no_key.status().as_u16(), 422);
    assert_eq!(no_key.json::<Value>().await.expect("json")["field"], "Idempotency-Key");
    assert_eq!(app.count_rows("rating").await, 0);

    let good = json!({"case_number": "A-0001", "level": "very_dissatisfied", "target": "item", "channel": "mobile",
                      "tags": ["attitude", "efficiency"], "comment": "等了两个小时"});
    let (status, first) = push(&app, "k2", &good).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["score"], 0);
    assert_eq!(first["channel"], "mobile");
    assert_eq!(first["tags"], json!(["efficiency", "attitude"]), "catalog order");
    let (status, again) = push(&app, "k2", &good).await;
    assert_eq!((status, &again), (201, &first), "the first answer again");

    let mut other = good.clone();
    other["level"] = json!("satisfied");
    let (status, err) = push(&app, "k2", &other).await;
    assert_eq!(
        (status, err["field"].as_str()),
        (422, Some("Idempotency-Key")),
        "a key reused for another request"
    );
    let (status, err) = push(&app, "k3", &good).await;
    assert_eq!((status, err["error"].as_str()), (409, Some("conflict")), "once per case and target");

    let staff = json!({"case_number": "A-0001", "level": "satisfied", "target": "staff", "channel": "online"});
    assert_eq!(push(&app, "k4", &staff).await.0, 201, "the staff member is a separate target");
    assert_eq!(app.count_rows("rating").await, 2);
}

async fn twenty_concurrent_pushes_with_one_key_store_one_rating(app: TestApp) {
    app.report_case("A-0002", "W01", Some("S1001")).await;
    let body = json!({"case_number": "A-0002", "level": "satisfied", "target": "item", "channel": "online"});
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (http, url, key, body) = (app.http.clone(), app.url("/api/v1/ratings"), app.key.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let res = http
                .post(url)
                .bearer_auth(key)
                .header("idempotency-key", "same")
                .json(&body)
                .send()
                .await
                .expect("req");
            (res.status().as_u16(), res.json::<Value>().await.expect("json"))
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        let (status, body) = t.await.expect("task");
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].clone());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every answer names the same rating");
    assert_eq!(app.count_rows("rating").await, 1);
}

async fn ratings_are_read_back_in_a_stable_order_with_a_cursor_and_masked_phones(app: TestApp) {
    for i in 0..5 {
        let case = app.report_case(&format!("A-1{i}"), "W01", None).await;
        let (status, _) = app
            .post_form(case["rating_url"].as_str().expect("url"), &[("level", "satisfied")])
            .await;
        assert_eq!(status, 201);
    }
    let all = app.all_ratings().await; // pages of 2
    let numbers: Vec<&str> = all.iter().map(|r| r["case_number"].as_str().expect("n")).collect();
    assert_eq!(numbers, vec!["A-10", "A-11", "A-12", "A-13", "A-14"]);
    for r in &all {
        assert_eq!(r["applicant_phone"], "138****1234");
        for field in [
            "case_number",
            "level",
            "score",
            "channel",
            "target",
            "tags",
            "comment",
            "rated_at",
            "completed_at",
            "region_code",
        ] {
            assert!(r.get(field).is_some(), "{field} in {r}");
        }
        assert_eq!(r["region_code"], "210100");
    }
    let (_, page) = app.get_json("/api/v1/ratings?limit=5").await;
    assert_eq!(page["next"], Value::Null);
    let (status, err) = app.get_json("/api/v1/ratings?after=abc").await;
    assert_eq!((status, err["field"].as_str()), (422, Some("after")));
    let (status, _) = app.get_json("/api/v1/ratings?limit=0").await;
    assert_eq!(status, 422);
    let (status, err) = app.get_json("/api/v1/ratings?limit=-1").await;
    assert_eq!(status, 400, "{err}");

    // Another business system sees none of these.
    let (_, other_key) = store::keys::create(&app.db, "other", Default::default(), chrono::Utc::now())
        .await
        .expect("key");
    let res = app
        .http
        .get(app.url("/api/v1/ratings"))
        .bearer_auth(other_key)
        .send()
        .await
        .expect("req");
    assert_eq!(res.json::<Value>().await.expect("json")["ratings"], json!([]));
}

async fn code_lists_are_paged_with_codes_and_names(app: TestApp) {
    let (status, items) = app.get_json("/api/v1/items?limit=4").await;
    assert_eq!(status, 200);
    assert_eq!(items["total"], 11, "10 Shenyang items and 1 Dalian item");
    assert_eq!(items["items"].as_array().expect("items").len(), 4);
    assert_eq!(items["items"][0], json!({"code": "11210100MB0001-001", "name": "企业设立登记"}));
    assert_eq!(items["next_offset"], 4);
    let (_, last) = app.get_json("/api/v1/items?offset=8&limit=4").await;
    assert_eq!(last["items"].as_array().expect("items").len(), 3);
    assert_eq!(last["next_offset"], Value::Null);
    let (_, windows) = app.get_json("/api/v1/windows").await;
    assert_eq!(windows["windows"].as_array().expect("w").len(), 7);
    assert_eq!(windows["windows"][0]["code"], "DL01");
    let (_, staff) = app.get_json("/api/v1/staff").await;
    assert_eq!(staff["staff"][1], json!({"number": "S1001", "name": "王丽"}));
}
