//! Group commit (issue 16): concurrent rating submissions share commits on
//! SQLite, each in a savepoint of its own, so a failing one never takes its
//! batch-mates down and every stored rating is stored exactly once.

use std::sync::atomic::Ordering;

use crate::helpers::TestApp;
use crate::on_both_databases;

on_both_databases!(
    concurrent_ratings_share_commits_and_a_failing_one_takes_no_other_down,
    a_plain_shared_commit_writes_every_row_of_its_ratings_once_and_a_refused_or_conflicting_one_none,
);

/// A rating written straight into the database (as another channel would
/// have stored it), inside `conn`'s transaction.
async fn rated_by_hand<C: sea_orm::ConnectionTrait>(
    conn: &C,
    case: i32,
    target: &str,
    level: &str,
    comment: Option<&str>,
    at: chrono::DateTime<chrono::Utc>,
) {
    use sea_orm::{ActiveModelTrait, Set};
    store::entities::rating::ActiveModel {
        case_id: Set(case),
        target: Set(target.into()),
        level: Set(level.into()),
        score: Set(domain::Level::parse(level).expect("a level").score()),
        channel: Set(domain::Channel::SmsReply.code().into()),
        tags: Set(String::new()),
        comment: Set(comment.map(str::to_string)),
        rating_count: Set(1),
        catalog_version: Set(domain::CATALOG_VERSION),
        api_client_id: Set(None),
        issuer_client_id: Set(1),
        created_at: Set(at),
        excluded_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await
    .expect("a rating by hand");
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) AS v FROM {sql}"))
        .await
        .expect("a count")
        .parse()
        .expect("a number")
}

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

/// A shared commit whose submissions are all plain (links sent once, no
/// re-rating, no bundle, no default rating) defers its rows and writes them
/// per table before its commit (issue 16). Each stored rating has its outbox
/// record, a bad one its order and the order's first event, each row pointing
/// at the right one; a batch-mate's identical words from the same phone are a
/// repeat; a submission refused after its item rating leaves nothing; a case
/// rated meanwhile through another link makes the batch run again with
/// savepoints, where that one alone is refused.
async fn a_plain_shared_commit_writes_every_row_of_its_ratings_once_and_a_refused_or_conflicting_one_none(app: TestApp) {
    use sea_orm::TransactionTrait;
    let mut url = std::collections::HashMap::new();
    for (number, staff) in [
        ("PL-1", Some("S1001")),
        ("PL-2", None),
        ("PL-3", None),
        ("PL-4", None),
        ("PL-5", None),
        ("PL-6", None),
        ("PL-7", None),
        ("PL-8", None),
        ("PL-9", None),
    ] {
        let c = app.report_case(number, "W01", staff).await;
        url.insert(number, c["rating_url"].as_str().expect("url").to_string());
    }
    let sqlite = app.db.get_database_backend() == sea_orm::DbBackend::Sqlite;
    let counts = app.state.ratings.counts.clone();
    let (plain0, retried0) = (counts.plain.load(Ordering::SeqCst), counts.retried.load(Ordering::SeqCst));
    // 窗口没人 / 材料被退回三次 (url-encoded)
    const SAID: &str = "level=dissatisfied&tags=efficiency&comment=%E7%AA%97%E5%8F%A3%E6%B2%A1%E4%BA%BA";
    const OTHER: &str = "level=very_dissatisfied&tags=efficiency&comment=%E6%9D%90%E6%96%99%E8%A2%AB%E9%80%80%E5%9B%9E%E4%B8%89%E6%AC%A1";

    // Round 1: the writer's one connection is held, so the first submission
    // waits alone and the next three queue into one shared commit.
    let hold = app.db.begin().await.expect("hold the writer");
    let first = app.post_form_later(&url["PL-3"], "level=satisfied&tags=attitude");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let one = app.post_form_later(
        &url["PL-1"],
        "level=dissatisfied&tags=efficiency&comment=%E7%AA%97%E5%8F%A3%E6%B2%A1%E4%BA%BA&staff_level=satisfied&staff_tags=attitude",
    );
    // (PostgreSQL has no queue: there PL-1 is stored before PL-2 is sent, as
    // two transactions at once would not see each other's words.)
    let one = if sqlite {
        one
    } else {
        let done = one.await.expect("task");
        tokio::spawn(async move { done })
    };
    let two = app.post_form_later(&url["PL-2"], SAID);
    let four = app.post_form_later(&url["PL-4"], "level=dissatisfied&tags=efficiency&staff_level=satisfied");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    hold.rollback().await.expect("let go");
    assert_eq!(first.await.expect("task").0, 201);
    assert_eq!(one.await.expect("task").0, 201);
    assert_eq!(two.await.expect("task").0, 201);
    assert_eq!(four.await.expect("task").0, 422, "PL-4 has no staff member to rate: refused");
    if sqlite {
        assert_eq!(counts.plain.load(Ordering::SeqCst) - plain0, 1, "the three shared one plain commit");
    }

    // Round 2: while the writer is held, PL-5 is rated through another link
    // (written here, in the holding transaction); its page link then queues
    // with PL-7's into one shared commit.
    let pl5: i32 = app
        .scalar("SELECT CAST(id AS TEXT) AS v FROM service_case WHERE case_number = 'PL-5'")
        .await
        .expect("PL-5")
        .parse()
        .expect("id");
    let hold = app.db.begin().await.expect("hold the writer");
    rated_by_hand(&hold, pl5, "item", "satisfied", None, app.now()).await;
    let first = app.post_form_later(&url["PL-6"], "level=very_satisfied");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let five = app.post_form_later(&url["PL-5"], SAID);
    let seven = app.post_form_later(&url["PL-7"], OTHER);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    hold.commit().await.expect("PL-5's other rating committed");
    assert_eq!(first.await.expect("task").0, 201);
    let (status, html) = five.await.expect("task");
    assert!(status == 200 && html.contains("已评价"), "PL-5 was rated already: {status} {html}");
    assert_eq!(seven.await.expect("task").0, 201, "its batch-mate's conflict takes PL-7 nowhere");
    if sqlite {
        assert_eq!(
            counts.retried.load(Ordering::SeqCst) - retried0,
            1,
            "the plain attempt failed, ran again"
        );
        assert_eq!(counts.plain.load(Ordering::SeqCst) - plain0, 1, "round 2 was not committed plain");
    }

    // Every rating once; none of PL-4's; PL-5 only its other one.
    for (number, item, staff) in [
        ("PL-1", 1, 1),
        ("PL-2", 1, 0),
        ("PL-3", 1, 0),
        ("PL-4", 0, 0),
        ("PL-5", 1, 0),
        ("PL-6", 1, 0),
        ("PL-7", 1, 0),
    ] {
        let of = |target: &str| {
            format!("rating r JOIN service_case c ON c.id = r.case_id WHERE c.case_number = '{number}' AND r.target = '{target}'")
        };
        assert_eq!(
            (count(&app, &of("item")).await, count(&app, &of("staff")).await),
            (item, staff),
            "{number}: item and staff ratings"
        );
    }
    assert_eq!(
        count(
            &app,
            "rating r JOIN service_case c ON c.id = r.case_id WHERE c.case_number = 'PL-5' AND r.channel = 'sms_reply'"
        )
        .await,
        1
    );
    // Each page rating's outbox record names it; PL-5's other rating was written by hand, without one.
    assert_eq!(
        count(
            &app,
            "exchange_record x JOIN rating r ON r.id = x.source_id JOIN service_case c ON c.id = r.case_id \
             WHERE x.kind = 'rating' AND r.target = 'item' AND c.case_number IN ('PL-1', 'PL-2', 'PL-3', 'PL-6', 'PL-7')"
        )
        .await,
        5
    );
    assert_eq!(count(&app, "exchange_record x WHERE x.kind = 'rating'").await, 5, "no other record");
    // The bad ones' orders: each on its own rating, with its one opening event.
    for number in ["PL-1", "PL-2", "PL-7"] {
        let orders = format!(
            "work_order w JOIN rating r ON r.id = w.rating_id AND r.case_id = w.case_id JOIN service_case c ON c.id = r.case_id \
             WHERE c.case_number = '{number}' AND r.target = 'item' AND w.level = r.level"
        );
        assert_eq!(count(&app, &orders).await, 1, "{number}: its order");
        assert_eq!(
            count(
                &app,
                &format!(
                    "work_order_event e JOIN work_order w ON w.id = e.order_id JOIN service_case c ON c.id = w.case_id \
                     WHERE c.case_number = '{number}' AND e.action = 'open'"
                )
            )
            .await,
            1,
            "{number}: its opening event"
        );
    }
    assert_eq!(app.count_rows("work_order").await, 3, "one per bad rating stored");
    // PL-1 and PL-2 said the same, from the same phone, in the same commit: the later is a repeat.
    let flags = |number: &'static str| {
        let app = &app;
        async move {
            app.scalar(&format!(
                "SELECT w.flags AS v FROM work_order w JOIN service_case c ON c.id = w.case_id WHERE c.case_number = '{number}'"
            ))
            .await
            .expect("an order")
        }
    };
    // (Which of the two reached the writer first is up to the network.)
    let (f1, f2) = (flags("PL-1").await, flags("PL-2").await);
    assert!(
        f1.contains("duplicate") != f2.contains("duplicate"),
        "one of PL-1 and PL-2 repeated the other's words: {f1:?} {f2:?}"
    );
    assert!(!flags("PL-7").await.contains("duplicate"), "PL-7 said something else");
    // Tokens: the stored ones used; PL-4's still usable, and a rating after the batch gets a fresh id.
    assert_eq!(
        count(
            &app,
            "rating_token t JOIN service_case c ON c.id = t.case_id WHERE t.used_at IS NOT NULL \
             AND c.case_number IN ('PL-1', 'PL-2', 'PL-3', 'PL-6', 'PL-7')"
        )
        .await,
        5
    );
    assert_eq!(
        count(
            &app,
            "rating_token t JOIN service_case c ON c.id = t.case_id WHERE t.used_at IS NOT NULL AND c.case_number IN ('PL-4', 'PL-5')"
        )
        .await,
        0
    );
    let (status, _) = app.post_form(&url["PL-4"], &[("level", "satisfied")]).await;
    assert_eq!(status, 201, "PL-4's link was left unused");
    assert_eq!(
        count(
            &app,
            "rating r JOIN service_case c ON c.id = r.case_id WHERE c.case_number = 'PL-4'"
        )
        .await,
        1
    );

    // Round 3: a plain batch reads the repeat check of all its bad ratings
    // ahead: PL-8 says again what PL-1 and PL-2 said (this week: a repeat),
    // PL-9 what this phone said 8 days ago (no longer one).
    rated_by_hand(
        &app.db,
        pl5,
        "staff",
        "dissatisfied",
        Some("叫号系统坏了"),
        app.now() - chrono::Duration::days(8),
    )
    .await;
    let plain1 = counts.plain.load(Ordering::SeqCst);
    let hold = app.db.begin().await.expect("hold the writer");
    let first = app.post_form_later(&url["PL-3"], "level=satisfied");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let eight = app.post_form_later(&url["PL-8"], SAID);
    let nine = app.post_form_later(
        &url["PL-9"],
        "level=dissatisfied&tags=efficiency&comment=%E5%8F%AB%E5%8F%B7%E7%B3%BB%E7%BB%9F%E5%9D%8F%E4%BA%86",
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    hold.rollback().await.expect("let go");
    assert_eq!(first.await.expect("task").0, 200, "PL-3 was rated in round 1");
    assert_eq!(eight.await.expect("task").0, 201);
    assert_eq!(nine.await.expect("task").0, 201);
    if sqlite {
        assert_eq!(
            counts.plain.load(Ordering::SeqCst) - plain1,
            1,
            "PL-8 and PL-9 shared one plain commit"
        );
    }
    let (f8, f9) = (flags("PL-8").await, flags("PL-9").await);
    assert!(f8.contains("duplicate"), "PL-8 repeated this week's words: {f8:?}");
    assert!(!f9.contains("duplicate"), "PL-9's words were said 8 days ago: {f9:?}");
}
