//! Push without polling (issue 16): an open window screen reads the database
//! only when its window changed, and a change written through one server
//! reaches a screen held by another server on the same PostgreSQL database.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use domain::Role;
use futures::StreamExt;

use crate::helpers::{Backend, Browser, TestApp};
use crate::on_both_databases;

on_both_databases!(a_screen_reads_the_database_only_when_its_window_changes,);

/// Reads the event stream until `want` arrives, at most `within`.
pub(crate) async fn next_with(
    stream: &mut (impl futures::Stream<Item = reqwest::Result<axum::body::Bytes>> + Unpin),
    want: &str,
    within: Duration,
) {
    let deadline = Instant::now() + within;
    let mut seen = String::new();
    while !seen.contains(want) {
        let chunk = tokio::time::timeout_at(deadline.into(), stream.next())
            .await
            .unwrap_or_else(|_| panic!("`{want}` within {within:?}; got {seen}"))
            .expect("the stream is open")
            .expect("bytes");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
}

async fn paired_screen(app: &TestApp, window: &str, who: &str) -> Browser {
    let admin = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), who).await;
    let code = crate::devices::pairing_code(&admin, window).await;
    let screen = Browser::new(&app.base);
    assert_eq!(screen.post_raw("/device/pair", &[("code", &code), ("for", "screen")]).await.0, 303);
    screen
}

async fn a_screen_reads_the_database_only_when_its_window_changes(app: TestApp) {
    let screen = paired_screen(&app, "W01", "push1").await;
    let res = screen.http.get(app.url("/w/W01/events")).send().await.expect("events");
    assert_eq!(res.status(), 200);
    let mut stream = res.bytes_stream();
    next_with(&mut stream, "data:", Duration::from_secs(5)).await;
    let reads = || app.state.stream_reads.load(Ordering::SeqCst);
    let idle = reads();

    // Polling every 500 ms read three times here; a pushed stream reads nothing.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(reads(), idle, "an idle screen does not read the database");

    // Another window's new case is not this screen's business.
    app.report_case("PUSH-2", "W02", Some("S1002")).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(reads(), idle, "another window's change is not read by this screen");

    // Its own window's new case: shown within a second, after one read.
    let case = app.report_case("PUSH-1", "W01", Some("S1001")).await;
    let started = Instant::now();
    let url = case["rating_url"].as_str().expect("rating url").to_string();
    next_with(&mut stream, &url, Duration::from_secs(1)).await;
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!(reads(), idle + 1, "one change, one read");

    // The citizen rates on the phone: the screen thanks at once.
    let (status, _) = app.post_form(&url, &[("level", "satisfied"), ("tags", "attitude")]).await;
    assert_eq!(status, 201);
    next_with(&mut stream, "感谢您的评价", Duration::from_secs(1)).await;
}

/// Two servers on one PostgreSQL database: a screen's stream held by the
/// second server shows a case posted to the first within a second (the notice
/// travels by LISTEN/NOTIFY, not by polling).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_posted_to_one_server_shows_on_a_screen_held_by_another() {
    let app = TestApp::start(Backend::Postgres).await;
    let screen = paired_screen(&app, "W01", "push2").await;

    // The second server: its own pools, its own LISTEN connection, same database.
    let config = (*app.state.config).clone();
    let db = store::connect(&config.database_url).await.expect("second server's pool");
    let other = server::AppState::new(db, config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let other_base = format!("http://{}", listener.local_addr().expect("addr"));
    let served = other.clone();
    tokio::spawn(async move {
        server::serve::serve(
            listener,
            server::router(served),
            server::serve::Limits::default(),
            std::future::pending(),
        )
        .await
    });

    // The screen's cookie, sent to the second server.
    let res = screen
        .http
        .get(format!("{other_base}/w/W01/events"))
        .send()
        .await
        .expect("events from the second server");
    assert_eq!(res.status(), 200);
    let mut stream = res.bytes_stream();
    next_with(&mut stream, "data:", Duration::from_secs(5)).await;
    // Give the second server's LISTEN connection its moment to start.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle = other.stream_reads.load(Ordering::SeqCst);

    let case = app.report_case("PUSH-X1", "W01", Some("S1001")).await;
    let started = Instant::now();
    next_with(&mut stream, case["rating_url"].as_str().expect("url"), Duration::from_secs(1)).await;
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    assert!(
        other.stream_reads.load(Ordering::SeqCst) <= idle + 2,
        "read on the notice, not by polling"
    );
    other.stop();
}

/// PostgreSQL (issue 16): a writing transaction's notice leaves only after
/// its commit, however long the transaction runs (a stream woken earlier
/// would read the state from before it, and then wait minutes for its
/// safety-net read); a rolled-back transaction's never does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_notice_leaves_after_its_commit_and_never_after_a_rollback() {
    use sea_orm::sqlx::postgres::PgListener;
    use sea_orm::TransactionTrait;

    let app = TestApp::start(Backend::Postgres).await;
    let db = app.state.db.clone();
    let mut listener = PgListener::connect_with(db.get_postgres_connection_pool())
        .await
        .expect("listen connection");
    listener.listen(store::notice::CHANNEL).await.expect("LISTEN");

    // Committed half a second after the notice was noted: sent after the commit.
    let txn = db.begin().await.expect("begin");
    store::notice::window_changed(&txn, 4242).await.expect("notice");
    assert!(quiet(&mut listener, 500).await, "nothing is sent while the transaction runs");
    txn.commit().await.expect("commit");
    let n = tokio::time::timeout(Duration::from_secs(1), listener.recv())
        .await
        .expect("the notice within a second of the commit")
        .expect("notification");
    assert_eq!(n.payload(), "4242");
    assert!(quiet(&mut listener, 300).await, "sent once");

    // Rolled back: never sent.
    let txn = db.begin().await.expect("begin");
    store::notice::window_changed(&txn, 4343).await.expect("notice");
    txn.rollback().await.expect("rollback");
    assert!(quiet(&mut listener, 500).await, "a rolled-back change is not announced");

    // Outside a transaction: sent.
    store::notice::window_changed(&db, 4444).await.expect("notice");
    let n = tokio::time::timeout(Duration::from_secs(1), listener.recv())
        .await
        .expect("the notice within a second")
        .expect("notification");
    assert_eq!(n.payload(), "4444");
    app.state.stop();
}

/// Nothing arrives on `l` within `ms`.
async fn quiet(l: &mut sea_orm::sqlx::postgres::PgListener, ms: u64) -> bool {
    tokio::time::timeout(Duration::from_millis(ms), l.recv()).await.is_err()
}
