//! Batch and bundle (000 rule 7): a batch of transactions is rated once and
//! the rating covers them all; the cases of a 一件事 bundle share one rating
//! page where the rater rates the bundle as a whole (every item gets the
//! rating) or each item separately through its own link.
#![allow(clippy::unwrap_used)] // a failing unwrap is a failing test

use serde_json::{json, Value};

use crate::helpers::{case_body, TestApp};
use crate::on_both_databases;

on_both_databases!(a_bundle_is_rated_as_a_whole_or_item_by_item_and_a_batch_once,);

async fn bundled(app: &TestApp, number: &str, item: &str, bundle: &str) -> Value {
    let mut body = case_body(number, "W01", None);
    body["item_code"] = json!(item);
    body["bundle_id"] = json!(bundle);
    let res = app.post_json("/api/v1/cases", &body).await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

async fn levels_of(app: &TestApp, numbers: &[&str]) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for n in numbers {
        out.push(
            app.scalar(&format!(
                "SELECT r.level AS v FROM rating r JOIN service_case c ON c.id = r.case_id WHERE c.case_number = '{n}' AND r.target = 'item'"
            ))
            .await,
        );
    }
    out
}

async fn a_bundle_is_rated_as_a_whole_or_item_by_item_and_a_batch_once(app: TestApp) {
    // Bundle 1: three items, rated as a whole from the first one's page.
    let first = bundled(&app, "BU-1", "11210100MB0001-001", "YJS-001").await;
    bundled(&app, "BU-2", "11210100MB0001-002", "YJS-001").await;
    bundled(&app, "BU-3", "11210100MB0002-001", "YJS-001").await;
    let url = first["rating_url"].as_str().unwrap();
    let tokens = app.count_rows("rating_token").await;
    let (status, page) = app.get_page(url).await;
    assert_eq!(status, 200);
    assert_eq!(
        app.count_rows("rating_token").await,
        tokens,
        "opening the page writes nothing: the other items' links exist already"
    );
    assert!(
        page.contains("一件事") && page.contains("个体工商户注册登记") && page.contains("职工基本养老保险参保登记"),
        "{page}"
    );
    assert!(page.contains("name=\"bundle\"") && page.contains("单独评价"), "{page}");
    let (status, _) = app.post_form(url, &[("level", "satisfied"), ("bundle", "whole")]).await;
    assert_eq!(status, 201);
    assert_eq!(
        levels_of(&app, &["BU-1", "BU-2", "BU-3"]).await,
        vec![Some("satisfied".into()); 3],
        "the whole-bundle rating applies to every item"
    );

    // Bundle 2: the rater rates each item separately.
    let a = bundled(&app, "BV-1", "11210100MB0001-001", "YJS-002").await;
    bundled(&app, "BV-2", "11210100MB0003-001", "YJS-002").await;
    let url = a["rating_url"].as_str().unwrap();
    let (_, page) = app.get_page(url).await;
    let at = page.find("单独评价").unwrap();
    let href_start = page[..at].rfind("href=\"").unwrap() + 6;
    let other = app.url(page[href_start..].split('"').next().unwrap());
    let (status, _) = app.post_form(url, &[("level", "very_satisfied")]).await;
    assert_eq!(status, 201, "without `bundle=whole` only this item is rated");
    assert_eq!(levels_of(&app, &["BV-1", "BV-2"]).await, vec![Some("very_satisfied".into()), None]);
    let (status, page) = app.get_page(&other).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("住房公积金提取") && page.contains("（已评价）"),
        "the first item shows as rated: {page}"
    );
    let (status, _) = app.post_form(&other, &[("level", "dissatisfied"), ("tags", "efficiency")]).await;
    assert_eq!(status, 201);
    assert_eq!(
        levels_of(&app, &["BV-1", "BV-2"]).await,
        vec![Some("very_satisfied".into()), Some("dissatisfied".into())]
    );

    // A batch of three transactions: one rating covers all three.
    let mut body = case_body("BATCH-1", "W01", None);
    body["transactions"] = json!(3);
    let res = app.post_json("/api/v1/cases", &body).await;
    assert_eq!(res.status(), 201);
    let batch: Value = res.json().await.unwrap();
    let url = batch["rating_url"].as_str().unwrap();
    let (_, page) = app.get_page(url).await;
    assert!(page.contains("全部 3 笔业务"), "{page}");
    assert_eq!(app.post_form(url, &[("level", "satisfied")]).await.0, 201);
    assert_eq!(
        app.post_form(url, &[("level", "satisfied")]).await.0,
        200,
        "once: the second submit is 'already rated'"
    );
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) || ' ' || CAST(MAX(c.transactions) AS TEXT) AS v FROM rating r JOIN service_case c ON c.id = r.case_id WHERE c.case_number = 'BATCH-1'")
            .await
            .as_deref(),
        Some("1 3"),
        "one rating, three transactions"
    );
}
