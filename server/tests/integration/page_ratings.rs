//! The rating page `/r/{token}`, as a browser without JavaScript uses it.

use chrono::Duration;
use domain::Level;
use serde_json::Value;

use crate::helpers::TestApp;
use crate::on_both_databases;

on_both_databases!(
    the_rating_page_shows_the_case_with_nothing_preselected_in_chinese_or_english,
    every_level_is_accepted_stored_with_its_score_and_counted,
    a_bad_rating_needs_a_reason_on_the_server_too,
    a_second_submit_shows_already_rated_and_stores_nothing_new,
    twenty_concurrent_submits_of_one_link_store_one_rating,
    an_expired_link_is_410_and_an_unknown_one_404,
    the_item_and_the_staff_member_are_rated_separately,
    html_and_sql_in_text_stay_text_and_are_never_reflected_unescaped,
);

async fn the_rating_page_shows_the_case_with_nothing_preselected_in_chinese_or_english(app: TestApp) {
    let case = app.report_case("P-0001", "W03", Some("S1003")).await;
    let url = case["rating_url"].as_str().expect("url");
    let (status, html) = app.get_page(url).await;
    assert_eq!(status, 200);
    for text in [
        "企业设立登记",
        "3号窗口 社保医保",
        "张敏",
        "S1003",
        "非常满意",
        "满意",
        "基本满意",
        "不满意",
        "非常不满意",
        "服务态度",
        "提交评价",
    ] {
        assert!(html.contains(text), "page shows {text}");
    }
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("lang=\"zh-CN\""));
    assert!(!html.contains("checked"), "no level or tag is pre-selected");
    assert!(
        !html.contains("13800131234") && !html.contains("138****1234"),
        "the applicant's phone is not on the page"
    );
    assert_eq!(html.matches("name=\"level\"").count(), 5);
    assert_eq!(html.matches("name=\"staff_level\"").count(), 5, "the staff member can be rated too");
    assert!(html.contains("leptos-island"), "the form is an island that hydrates");

    let en = app
        .http
        .get(url)
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .expect("req");
    let en = en.text().await.expect("text");
    assert!(en.contains("Please rate the service you received") && en.contains("Very dissatisfied"));
    let (_, switched) = app.get_page(&format!("{url}?lang=en")).await;
    assert!(switched.contains("lang=\"en\""));
    assert!(
        switched.contains(&format!("{}?lang=zh", url.trim_start_matches(&app.base))),
        "a visible switch back to Chinese"
    );
}

async fn every_level_is_accepted_stored_with_its_score_and_counted(app: TestApp) {
    for (i, level) in Level::ALL.into_iter().enumerate() {
        let case = app.report_case(&format!("P-1{i}"), "W01", Some("S1001")).await;
        let mut fields = vec![("level", level.code()), ("comment", "ok")];
        if level.is_bad() {
            fields.push(("tags", "efficiency"));
        }
        let (status, html) = app.post_form(case["rating_url"].as_str().expect("url"), &fields).await;
        assert_eq!(status, 201, "{level:?}: {html}");
        assert!(html.contains("评价成功"));
    }
    let ratings = app.all_ratings().await;
    let got: Vec<(String, i64)> = ratings
        .iter()
        .map(|r| (r["level"].as_str().expect("level").to_string(), r["score"].as_i64().expect("score")))
        .collect();
    let want: Vec<(String, i64)> = Level::ALL.iter().map(|l| (l.code().to_string(), i64::from(l.score()))).collect();
    assert_eq!(got, want, "all five levels round-trip with scores 10/8/6/3/0");
    let counts = store::ratings::count_by_level(&app.db).await.expect("counts");
    assert!(counts.iter().all(|(_, n)| *n == 1), "every level is counted: {counts:?}");
    assert!(ratings
        .iter()
        .all(|r| r["channel"] == "dynamic_qr" && r["rating_count"] == 1 && r["target"] == "item"));
}

async fn a_bad_rating_needs_a_reason_on_the_server_too(app: TestApp) {
    let case = app.report_case("P-0002", "W01", Some("S1001")).await;
    let url = case["rating_url"].as_str().expect("url");
    let (status, html) = app.post_form(url, &[("level", "very_dissatisfied"), ("comment", "太慢了")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("差评请至少选择一项原因"));
    assert!(html.contains("太慢了"), "what was typed is kept");
    assert!(html.contains("checked"), "the chosen level is kept");
    let (status, _) = app.post_form(url, &[("tags", "attitude")]).await;
    assert_eq!(status, 422, "no level chosen");
    let res = app
        .http
        .post(url)
        .header("accept", "application/json")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("level=dissatisfied")
        .send()
        .await
        .expect("req");
    assert_eq!(res.status().as_u16(), 422);
    assert_eq!(res.json::<Value>().await.expect("json")["field"], "tags");
    assert_eq!(app.count_rows("rating").await, 0);
    let (status, _) = app.post_form(url, &[("level", "dissatisfied"), ("tags", "attitude")]).await;
    assert_eq!(status, 201, "the same link still works once the reason is given");
}

async fn a_second_submit_shows_already_rated_and_stores_nothing_new(app: TestApp) {
    let case = app.report_case("P-0003", "W01", None).await;
    let url = case["rating_url"].as_str().expect("url");
    let (status, _) = app.post_form(url, &[("level", "satisfied")]).await;
    assert_eq!(status, 201);
    let (status, html) = app.post_form(url, &[("level", "very_dissatisfied"), ("tags", "attitude")]).await;
    assert_eq!(status, 200);
    assert!(html.contains("已评价"));
    let (status, html) = app.get_page(url).await;
    assert_eq!(status, 200);
    assert!(html.contains("已评价") && !html.contains("<form"));
    assert_eq!(app.count_rows("rating").await, 1);
    let ratings = app.all_ratings().await;
    assert_eq!(ratings[0]["level"], "satisfied", "the first rating is kept");
}

async fn twenty_concurrent_submits_of_one_link_store_one_rating(app: TestApp) {
    let case = app.report_case("P-0004", "W01", Some("S1001")).await;
    let url = case["rating_url"].as_str().expect("url").to_string();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let http = app.http.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            http.post(&url)
                .header("accept", "application/json")
                .header("content-type", "application/x-www-form-urlencoded")
                .body("level=very_satisfied&staff_level=satisfied")
                .send()
                .await
                .expect("req")
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    assert_eq!(app.count_rows("rating").await, 2, "one item and one staff rating");
}

async fn an_expired_link_is_410_and_an_unknown_one_404(app: TestApp) {
    let case = app.report_case("P-0005", "W01", None).await;
    let url = case["rating_url"].as_str().expect("url");
    app.advance(Duration::hours(24) + Duration::seconds(1));
    let (status, html) = app.get_page(url).await;
    assert_eq!(status, 410);
    assert!(html.contains("评价链接已过期"));
    let (status, _) = app.post_form(url, &[("level", "satisfied")]).await;
    assert_eq!(status, 410);
    let (status, html) = app.get_page(&app.url("/r/unknown-token")).await;
    assert_eq!(status, 404);
    assert!(html.contains("评价链接无效"));
    let (status, _) = app.post_form(&app.url("/r/unknown-token"), &[("level", "satisfied")]).await;
    assert_eq!(status, 404);
    assert_eq!(app.count_rows("rating").await, 0);
}

async fn the_item_and_the_staff_member_are_rated_separately(app: TestApp) {
    let case = app.report_case("P-0006", "W02", Some("S1002")).await;
    let url = case["rating_url"].as_str().expect("url");
    let (status, _) = app
        .post_form(
            url,
            &[
                ("level", "very_satisfied"),
                ("staff_level", "dissatisfied"),
                ("staff_tags", "attitude"),
            ],
        )
        .await;
    assert_eq!(status, 201);
    let ratings = app.all_ratings().await;
    let mut got: Vec<(String, String, Vec<Value>)> = ratings
        .iter()
        .map(|r| {
            (
                r["target"].as_str().expect("t").into(),
                r["level"].as_str().expect("l").into(),
                r["tags"].as_array().expect("tags").clone(),
            )
        })
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(got[0], ("item".into(), "very_satisfied".into(), vec![]));
    assert_eq!(got[1], ("staff".into(), "dissatisfied".into(), vec![Value::from("attitude")]));
    assert!(ratings.iter().all(|r| r["staff_number"] == "S1002"));

    // A case without staff cannot carry a staff rating.
    let no_staff = app.report_case("P-0007", "W02", None).await;
    let (_, html) = app.get_page(no_staff["rating_url"].as_str().expect("url")).await;
    assert!(!html.contains("name=\"staff_level\""), "no staff rating offered");
    let (status, _) = app
        .post_form(
            no_staff["rating_url"].as_str().expect("url"),
            &[("level", "satisfied"), ("staff_level", "satisfied")],
        )
        .await;
    assert_eq!(status, 422);
}

async fn html_and_sql_in_text_stay_text_and_are_never_reflected_unescaped(app: TestApp) {
    let number = "x';DROP/**/TABLE/**/rating;--";
    let case = app.report_case(number, "W01", Some("S1001")).await;
    let url = case["rating_url"].as_str().expect("url");
    let evil = "</textarea><script>alert(1)</script>\"'><img src=x onerror=alert(2)> ' OR 1=1; --";
    // Refused (bad level without reason): the form comes back with the text escaped.
    let (status, html) = app.post_form(url, &[("level", "dissatisfied"), ("comment", evil)]).await;
    assert_eq!(status, 422);
    assert!(
        !html.contains("<script>alert(1)") && !html.contains("<img src=x"),
        "never reflected unescaped"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // Broken UTF-8 is refused, not stored as mojibake.
    let res = app
        .http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(b"level=satisfied&comment=%FF%FE".to_vec())
        .send()
        .await
        .expect("req");
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(app.count_rows("rating").await, 0);
    // Accepted: stored and read back exactly as typed.
    let (status, _) = app
        .post_form(url, &[("level", "dissatisfied"), ("tags", "attitude"), ("comment", evil)])
        .await;
    assert_eq!(status, 201);
    let ratings = app.all_ratings().await;
    assert_eq!(ratings[0]["comment"], evil);
    assert_eq!(ratings[0]["case_number"], number);
    // Every other text field of a case keeps such text verbatim, as data.
    for (i, field) in ["applicant_name", "bundle_id", "staff_number", "item_code", "window_code"]
        .into_iter()
        .enumerate()
    {
        let mut body = crate::helpers::case_body(&format!("T-{i}"), "W01", Some("S1001"));
        body[field] = serde_json::json!("<b>x</b>' OR '1'='1");
        let res = app.post_json("/api/v1/cases", &body).await;
        let status = res.status().as_u16();
        let text = res.text().await.expect("text");
        match field {
            "applicant_name" | "bundle_id" => assert_eq!(status, 201, "{field}: {text}"),
            _ => assert_eq!(status, 422, "{field} names no known code: {text}"),
        }
        assert!(text.starts_with('{'), "a JSON answer");
    }
    assert_eq!(app.count_rows("service_case").await, 3, "the SQL in them ran as nothing but text");
    // Huge numbers are refused with the field named.
    let mut body = crate::helpers::case_body("N-1", "W01", None);
    body["transactions"] = serde_json::json!(1e30);
    let res = app.post_json("/api/v1/cases", &body).await;
    assert_eq!(res.status().as_u16(), 422);
    assert_eq!(res.json::<Value>().await.expect("json")["field"], "transactions");
}
