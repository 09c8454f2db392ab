//! Group commit (issue 16): concurrent rating submissions share commits on
//! SQLite, each in a savepoint of its own, so a failing one never takes its
//! batch-mates down and every stored rating is stored exactly once.

use std::sync::atomic::Ordering;

use crate::helpers::TestApp;
use crate::on_both_databases;

on_both_databases!(concurrent_ratings_share_commits_and_a_failing_one_takes_no_other_down);

async fn concurrent_ratings_share_commits_and_a_failing_one_takes_no_other_down(app: TestApp) {
    let mut good = Vec::new();
    for i in 0..40 {
        let c = app.report_case(&format!("GC-{i:02}"), "W01", Some("S1001")).await;
        good.push(c["rating_url"].as_str().expect("url").to_string());
    }
    // Cases without a staff member: a staff rating fails after the item rating
    // was already written in the submission's savepoint.
    let mut no_staff = Vec::new();
    for i in 0..5 {
        let c = app.report_case(&format!("GN-{i}"), "W02", None).await;
        no_staff.push(c["rating_url"].as_str().expect("url").to_string());
    }
    let before = app.state.ratings.counts.submissions.load(Ordering::SeqCst);

    let mut tasks = tokio::task::JoinSet::new();
    // Every good link twice at once: one rating stored, the other refused.
    for (i, url) in good.iter().chain(good.iter()).enumerate() {
        let (app_http, url) = (app.http.clone(), url.clone());
        tasks.spawn(async move {
            let res = app_http
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("level=satisfied&tags=attitude")
                .send()
                .await
                .expect("submit");
            (url, i, res.status().as_u16())
        });
    }
    for url in &no_staff {
        let (app_http, url) = (app.http.clone(), url.clone());
        tasks.spawn(async move {
            let res = app_http
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("level=satisfied&tags=attitude&staff_level=dissatisfied&staff_tags=attitude")
                .send()
                .await
                .expect("submit");
            (url, usize::MAX, res.status().as_u16())
        });
    }
    let mut by_url: std::collections::HashMap<String, Vec<u16>> = std::collections::HashMap::new();
    while let Some(r) = tasks.join_next().await {
        let (url, _, status) = r.expect("task");
        by_url.entry(url).or_default().push(status);
    }
    for url in &good {
        let mut s = by_url[url].clone();
        s.sort_unstable();
        assert_eq!(s.iter().filter(|&&x| x == 201).count(), 1, "{url}: exactly one stored: {s:?}");
        // The other: "already rated" (a page, 200; or 409 to the island).
        assert!(s.iter().all(|&x| x == 201 || x == 200 || x == 409), "{url}: {s:?}");
    }
    for url in &no_staff {
        assert_eq!(by_url[url], vec![422], "no staff member to rate: refused");
    }
    assert_eq!(
        app.scalar(
            "SELECT CAST(COUNT(*) AS TEXT) AS v FROM rating r JOIN service_case c ON c.id = r.case_id WHERE c.case_number LIKE 'GC-%'"
        )
        .await
        .as_deref(),
        Some("40"),
        "each good rating exactly once"
    );
    assert_eq!(
        app.scalar(
            "SELECT CAST(COUNT(*) AS TEXT) AS v FROM rating r JOIN service_case c ON c.id = r.case_id WHERE c.case_number LIKE 'GN-%'"
        )
        .await
        .as_deref(),
        Some("0"),
        "a refused submission leaves nothing, not even its item rating"
    );
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM rating_token t JOIN service_case c ON c.id = t.case_id WHERE c.case_number LIKE 'GC-%' AND t.used_at IS NOT NULL")
            .await
            .as_deref(),
        Some("40")
    );
    // The refused links still work.
    for url in &no_staff {
        let (status, _) = app.post_form(url, &[("level", "satisfied"), ("tags", "attitude")]).await;
        assert_eq!(status, 201);
    }

    let counts = &app.state.ratings.counts;
    let submitted = counts.submissions.load(Ordering::SeqCst) - before;
    if app.db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        assert!(submitted >= 85, "every submission went through the writer: {submitted}");
        assert!(
            counts.shared.load(Ordering::SeqCst) > 0,
            "85 submissions at once: some commits held several"
        );
    } else {
        assert_eq!(submitted, 0, "PostgreSQL: each in its own transaction from the pool");
    }
}
