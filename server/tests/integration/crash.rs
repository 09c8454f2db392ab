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
