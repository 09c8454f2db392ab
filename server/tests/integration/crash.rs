//! Crash safety: `kill -9` the server while ratings stream in, restart it, and
//! check that every rating acknowledged with a 2xx is there exactly once and
//! nothing is half-written (a rating without its used token, or the reverse).

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{case_body, count as scalar, database_url, Backend};

fn spawn_server(db_url: &str, addr: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_haocha"))
        .arg("serve")
        .env("HAOCHA_DATABASE_URL", db_url)
        .env("HAOCHA_ADDR", addr)
        .env("HAOCHA_PUBLIC_URL", format!("http://{addr}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start haocha serve")
}

async fn wait_until_up(http: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if http.get(format!("{base}/")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server at {base} did not come up");
}

async fn ratings_survive_a_kill_9_exactly_once(backend: Backend) {
    let (db_url, _file) = database_url(backend).await;
    let out = Command::new(env!("CARGO_BIN_EXE_haocha"))
        .arg("demo")
        .env("HAOCHA_DATABASE_URL", &db_url)
        .output()
        .expect("demo");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let base = format!("http://{addr}");
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client");

    let mut server = spawn_server(&db_url, &addr);
    wait_until_up(&http, &base).await;
    let mut urls = Vec::new();
    for i in 0..80 {
        let res = http
            .post(format!("{base}/api/v1/cases"))
            .bearer_auth(&key)
            .json(&case_body(&format!("K-{i:03}"), "W01", Some("S1001")))
            .send()
            .await
            .expect("case");
        assert_eq!(res.status().as_u16(), 201);
        urls.push((
            format!("K-{i:03}"),
            res.json::<Value>().await.expect("json")["rating_url"]
                .as_str()
                .expect("url")
                .to_string(),
        ));
    }

    // Four raters at once; the server dies under them after 20 acknowledgements.
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let queue = Arc::new(Mutex::new(urls.clone()));
    let mut raters = Vec::new();
    for _ in 0..4 {
        let (http, acked, queue) = (http.clone(), acked.clone(), queue.clone());
        raters.push(tokio::spawn(async move {
            loop {
                let Some((number, url)) = queue.lock().expect("queue").pop() else {
                    return;
                };
                let res = http
                    .post(&url)
                    .header("accept", "application/json")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("level=dissatisfied&tags=efficiency&staff_level=satisfied")
                    .send()
                    .await;
                if let Ok(r) = res {
                    if r.status().is_success() {
                        acked.lock().expect("acked").push(number);
                    }
                }
            }
        }));
    }
    while acked.lock().expect("acked").len() < 20 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.kill().expect("kill -9"); // SIGKILL: no shutdown, no flush
    server.wait().expect("reap");
    for r in raters {
        r.await.expect("rater");
    }
    let acked: HashSet<String> = acked.lock().expect("acked").iter().cloned().collect();
    assert!(
        acked.len() >= 20 && acked.len() < urls.len(),
        "the kill came mid-stream: {} acknowledged",
        acked.len()
    );

    let mut server = spawn_server(&db_url, &addr);
    wait_until_up(&http, &base).await;
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let body: Value = http
            .get(format!("{base}/api/v1/ratings?limit=500{after}"))
            .bearer_auth(&key)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        for r in body["ratings"].as_array().expect("ratings") {
            seen.push((
                r["case_number"].as_str().expect("n").to_string(),
                r["target"].as_str().expect("t").to_string(),
            ));
        }
        match body["next"].as_str() {
            Some(n) => after = format!("&after={n}"),
            None => break,
        }
    }
    for number in &acked {
        for target in ["item", "staff"] {
            let n = seen.iter().filter(|(c, t)| c == number && t == target).count();
            assert_eq!(n, 1, "{number} {target} stored exactly once after the crash");
        }
    }
    // Unacknowledged submissions may have committed just before the kill, but
    // only whole: item and staff rating and the used token together.
    let db = store::connect(&db_url).await.expect("connect");
    let half = "SELECT COUNT(*) AS n FROM rating_token t WHERE \
        (t.used_at IS NULL) <> (NOT EXISTS (SELECT 1 FROM rating r WHERE r.case_id = t.case_id))";
    assert_eq!(
        scalar(&db, half).await,
        0,
        "no rating without its used token, no used token without its rating"
    );
    // (The demo's own work-order cases carry an item rating only.)
    let per_case = "SELECT COUNT(*) AS n FROM (SELECT case_id FROM rating WHERE case_id NOT IN \
        (SELECT id FROM service_case WHERE case_number LIKE 'DEMO-%') GROUP BY case_id HAVING COUNT(*) <> 2) x";
    assert_eq!(scalar(&db, per_case).await, 0, "item and staff ratings commit together");
    // A retry of an acknowledged submission stores nothing new.
    let (number, url) = urls.iter().find(|(n, _)| acked.contains(n)).expect("one acked");
    let retry = http
        .post(url)
        .header("accept", "application/json")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("level=dissatisfied&tags=efficiency")
        .send()
        .await
        .expect("retry");
    assert_eq!(retry.status().as_u16(), 409, "{number} retried");
    server.kill().ok();
    server.wait().ok();
    db.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ratings_survive_a_kill_9_exactly_once_on_sqlite() {
    ratings_survive_a_kill_9_exactly_once(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ratings_survive_a_kill_9_exactly_once_on_postgres() {
    ratings_survive_a_kill_9_exactly_once(Backend::Postgres).await
}

/// A request whose client goes away while its transaction's `BEGIN` is on the
/// wire (a phone losing its signal, a load generator stopping) drops the
/// transaction mid-begin. The connection must go back to the pool outside any
/// transaction: otherwise the next borrower's statements run inside the stale
/// one, invisible to every other connection, and vanish when the connection
/// closes (sqlx 0.9.0 on PostgreSQL did this: transact-rs/sqlx#4393; seen in
/// the bench as "there is already a transaction in progress"). The same for a
/// COMMIT dropped on the wire: committed or not, nothing stays open.
async fn a_write_after_a_cancelled_begin_is_seen_by_everyone(backend: Backend) {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    use std::future::Future;
    let (db_url, _file) = database_url(backend).await;
    store::open(&db_url).await.expect("open").close().await.ok();
    // One connection, as haocha's SQLite writer has: the write after each
    // cancelled BEGIN gets the very connection that BEGIN left (with more, a
    // fresh one may answer first and the stale one be cleaned by the next BEGIN).
    let mut opts = sea_orm::ConnectOptions::new(db_url.clone());
    opts.max_connections(1).min_connections(1);
    let db = sea_orm::Database::connect(opts).await.expect("one-connection pool");
    let other = store::connect(&db_url).await.expect("a second pool");
    db.execute_unprepared("CREATE TABLE cancel_probe (n INTEGER NOT NULL)")
        .await
        .expect("create");
    let mut cancelled = 0;
    for round in 0..300u64 {
        // Dropped after its first poll, or after a few: somewhere between
        // taking a connection and reading BEGIN's answer (a timer cannot cut
        // that fine: tokio's have a millisecond's grain, BEGIN takes ~100 µs).
        let polls_before_drop = round % 6;
        let mut begin = Box::pin(db.begin_with_options(store::immediate()));
        let mut polls = 0;
        let begun = std::future::poll_fn(|cx| match begin.as_mut().poll(cx) {
            std::task::Poll::Ready(r) => std::task::Poll::Ready(Some(r)),
            std::task::Poll::Pending if polls >= polls_before_drop => std::task::Poll::Ready(None),
            std::task::Poll::Pending => {
                polls += 1;
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        })
        .await;
        drop(begin);
        match begun {
            None => cancelled += 1,
            // Begun: a write, then its COMMIT dropped the same way.
            Some(txn) => {
                let txn = txn.expect("begin");
                txn.execute_unprepared("INSERT INTO cancel_probe (n) VALUES (-1)")
                    .await
                    .expect("write");
                let mut commit = Box::pin(txn.commit());
                let mut polls = 0;
                std::future::poll_fn(|cx| match commit.as_mut().poll(cx) {
                    std::task::Poll::Ready(r) => {
                        r.expect("commit");
                        std::task::Poll::Ready(())
                    }
                    std::task::Poll::Pending if polls >= polls_before_drop => std::task::Poll::Ready(()),
                    std::task::Poll::Pending => {
                        polls += 1;
                        cx.waker().wake_by_ref();
                        std::task::Poll::Pending
                    }
                })
                .await;
            }
        }
        db.execute_unprepared(&format!("INSERT INTO cancel_probe (n) VALUES ({round})"))
            .await
            .expect("insert");
        let seen = scalar(&other, &format!("SELECT COUNT(*) AS n FROM cancel_probe WHERE n = {round}")).await;
        assert_eq!(
            seen, 1,
            "round {round} ({cancelled} BEGINs cancelled so far): a committed write is not visible to another \
             connection — it ran inside a transaction that a cancelled BEGIN left open"
        );
    }
    assert!(
        cancelled >= 30,
        "only {cancelled} of 300 BEGINs were cancelled: the test did not test"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_after_a_cancelled_begin_is_seen_by_everyone_on_sqlite() {
    a_write_after_a_cancelled_begin_is_seen_by_everyone(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_after_a_cancelled_begin_is_seen_by_everyone_on_postgres() {
    a_write_after_a_cancelled_begin_is_seen_by_everyone(Backend::Postgres).await;
}
