//! The calendar page: built-in years, every day for auditing, and a new year
//! loaded by a system administrator — checked whole, nothing half-loaded.
#![allow(clippy::unwrap_used)] // a failing unwrap is a failing test

use domain::Role;

use crate::helpers::{Browser, TestApp};
use crate::on_both_databases;

on_both_databases!(a_system_administrator_loads_a_new_year_checked_whole,);

async fn upload(b: &Browser, year: &str, text: &str) -> (u16, String) {
    let token = b.csrf("/admin/calendar").await;
    let form = reqwest::multipart::Form::new()
        .text("_csrf", token)
        .text("year", year.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(text.as_bytes().to_vec()).file_name("2027.txt"),
        );
    let res = b
        .http
        .post(format!("{}/admin/calendar", b.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn a_system_administrator_loads_a_new_year_checked_whole(app: TestApp) {
    let admin = app.signed_in(Role::SystemAdmin, None, "cal1").await;
    let (status, page) = admin.get("/admin/calendar").await;
    assert_eq!(status, 200);
    assert!(page.contains("2026") && page.contains("内置"), "{page}");
    let (status, days) = admin.get("/admin/calendar/2024.txt").await;
    assert_eq!(status, 200);
    assert_eq!(days.lines().count(), 366);
    assert!(days.contains("2024-02-04 W\n") && days.contains("2024-02-12 R\n"));

    let (status, page) = upload(&admin, "2027", "2027-01-01 R 元旦\n2027-02-30 R 春节\n").await;
    assert_eq!(status, 422);
    assert!(page.contains("没有导入") && page.contains("第 2 行"), "{page}");
    assert!(
        admin.get("/admin/calendar/2027.txt").await.1.contains("2027-01-01 W\n"),
        "nothing half-loaded"
    );
    assert_eq!(app.count_rows("calendar_year").await, 0);

    let (status, page) = upload(
        &admin,
        "2027",
        "2027-01-01 R 元旦\n2027-02-06..2027-02-13 R 春节\n2027-02-14 W 调休\n",
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("2027 年已导入"), "{page}");
    let (_, days) = admin.get("/admin/calendar/2027.txt").await;
    assert!(days.contains("2027-01-01 R\n") && days.contains("2027-02-14 W\n"));
    assert_eq!(
        app.scalar("SELECT action || ' ' || object_code || ' ' || actor AS v FROM audit_log WHERE object_kind = 'calendar'")
            .await
            .as_deref(),
        Some("calendar_load 2027 cal1")
    );

    let center = app.signed_in(Role::CenterAdmin, Some("210100"), "cal2").await;
    assert_eq!(
        center.get("/admin/calendar").await.0,
        403,
        "the calendar is national: system administrators only"
    );
    assert_eq!(center.get("/admin/calendar/2027.txt").await.0, 403);
}
