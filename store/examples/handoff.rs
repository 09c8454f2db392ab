//! Experiment: latency of one statement hand-off to sqlx's SQLite worker.
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement, TransactionTrait};

struct Spin {
    woken: AtomicBool,
    thread: std::thread::Thread,
}
impl Wake for Spin {
    fn wake(self: Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}
fn spin_block_on<F: Future>(f: F, spin: Duration) -> F::Output {
    let s = Arc::new(Spin {
        woken: AtomicBool::new(false),
        thread: std::thread::current(),
    });
    let waker = Waker::from(s.clone());
    let mut cx = Context::from_waker(&waker);
    let mut f = pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        let t = Instant::now();
        while !s.woken.swap(false, Ordering::AcqRel) {
            if t.elapsed() < spin {
                std::hint::spin_loop();
            } else {
                std::thread::park_timeout(Duration::from_millis(1));
            }
        }
    }
}

async fn work(db: &store::Db, n: usize) -> Duration {
    let txn = db.begin_with_options(store::immediate()).await.unwrap();
    let t = Instant::now();
    for i in 0..n {
        txn.execute_raw(Statement::from_sql_and_values(
            sea_orm::DbBackend::Sqlite,
            "INSERT INTO t (v) VALUES (?)",
            [(i as i64).into()],
        ))
        .await
        .unwrap();
        txn.query_one_raw(Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT v FROM t ORDER BY id DESC LIMIT 1",
        ))
        .await
        .unwrap();
    }
    let d = t.elapsed();
    txn.commit().await.unwrap();
    d / (2 * n as u32)
}

fn main() {
    let dir = std::env::temp_dir().join(format!("handoff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/h.db?mode=rwc", dir.display());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(async {
        let db = store::connect(&url).await.unwrap();
        db.execute_unprepared("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
            .await
            .unwrap();
        db
    });
    let stop = Arc::new(AtomicBool::new(false));
    if std::env::var("LOAD").is_ok() {
        for _ in 0..16 {
            let stop = stop.clone();
            rt.spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    while t.elapsed() < Duration::from_micros(100) {
                        std::hint::spin_loop();
                    }
                    tokio::time::sleep(Duration::from_micros(500)).await;
                }
            });
        }
    }
    for _ in 0..3 {
        let d = rt.block_on(work(&db, 2000));
        println!("tokio task (block_on):      {:?} per statement", d);
        let db2 = db.clone();
        let d = rt.block_on(async move { tokio::spawn(async move { work(&db2, 2000).await }).await.unwrap() });
        println!("tokio spawned task:         {:?} per statement", d);
        let db2 = db.clone();
        let h = rt.handle().clone();
        let d = std::thread::spawn(move || {
            let _g = h.enter();
            spin_block_on(work(&db2, 2000), Duration::from_micros(200))
        })
        .join()
        .unwrap();
        println!("own thread, spin 200us:     {:?} per statement", d);
        let db2 = db.clone();
        let h = rt.handle().clone();
        let d = std::thread::spawn(move || {
            let _g = h.enter();
            spin_block_on(work(&db2, 2000), Duration::ZERO)
        })
        .join()
        .unwrap();
        println!("own thread, no spin:        {:?} per statement", d);
    }
    stop.store(true, Ordering::Relaxed);
    std::fs::remove_dir_all(&dir).ok();
}
