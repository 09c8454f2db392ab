//! Push without polling (issue 16): the event streams of window screens and
//! evaluators wait here for a notice that their window changed
//! (`store::notice`), and read the database only then.
//!
//! One relay task per server feeds the server's broadcast:
//! - on PostgreSQL, one `LISTEN haocha_changes` connection: notices of every
//!   server on the database, after their commit; when the connection is lost
//!   and made again, every stream reads its state again (`Notice::All`);
//! - on SQLite (one server), the notices this process writes, passed on once
//!   the writer's transaction that sent them has ended.
//!
//! A stream also reads again when its state would change by time alone (an
//! invitation's or a link's end) and, as a safety net, every few minutes.

use std::time::Duration;

use store::notice::Notice;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;

/// A stream with nothing due reads its state again after this long at most
/// (plus up to a minute, so that thousands of screens do not read at once).
pub const SAFETY_READ: Duration = Duration::from_secs(300);

/// The server's broadcast of notices.
pub type Changes = store::notice::Changes;

pub fn channel() -> Changes {
    broadcast::channel(4096).0
}

/// Starts the relay for `db` into `changes`; it ends when `stopping` turns true.
pub fn spawn_relay(db: store::Db, changes: Changes, stopping: watch::Receiver<bool>) {
    tokio::spawn(store::notice::relay(db, changes, stopping));
}

/// Waits until a stream on `window_id` should read its state again: a notice
/// for its window (or for all, or notices lost), or `due` passed. `false`: the
/// stream ends (the server is shutting down).
pub async fn wait(rx: &mut broadcast::Receiver<Notice>, window_id: i32, due: Duration, stopping: &mut watch::Receiver<bool>) -> bool {
    let sleep = tokio::time::sleep(due);
    tokio::pin!(sleep);
    let mut relay_gone = false;
    loop {
        let got = tokio::select! {
            r = rx.recv(), if !relay_gone => Some(r),
            () = &mut sleep => return true,
            _ = stopping.wait_for(|s| *s) => return false,
        };
        match got {
            Some(Ok(Notice::Window(w))) if w != window_id => {}
            Some(Ok(_) | Err(RecvError::Lagged(_))) => {
                // One read answers every notice already queued: a stream that
                // fell behind a burst (a client slow to take its events) reads
                // once, not once per notice.
                while !matches!(
                    rx.try_recv(),
                    Err(broadcast::error::TryRecvError::Empty | broadcast::error::TryRecvError::Closed)
                ) {}
                return true;
            }
            // No relay any more: the timer alone.
            Some(Err(RecvError::Closed)) | None => relay_gone = true,
        }
    }
}

/// The safety-net interval of a window's streams, spread over a minute by window.
pub fn safety_read(window_id: i32) -> Duration {
    SAFETY_READ + Duration::from_millis(u64::from(window_id.unsigned_abs()).wrapping_mul(7919) % 60_000)
}

/// How long until `at` (100 ms after it, at most the safety net).
pub fn until(window_id: i32, now: chrono::DateTime<chrono::Utc>, at: chrono::DateTime<chrono::Utc>) -> Duration {
    let d = (at - now).to_std().unwrap_or_default() + Duration::from_millis(100);
    d.min(safety_read(window_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stream_behind_a_burst_of_notices_reads_once() {
        let tx = channel();
        let mut rx = tx.subscribe();
        let (_stopping, mut stop) = watch::channel(false);
        for w in 0..100 {
            tx.send(Notice::Window(7)).ok();
            tx.send(Notice::Window(1000 + w)).ok();
        }
        assert!(wait(&mut rx, 7, Duration::from_secs(60), &mut stop).await, "the window's notice");
        // Everything queued was answered by that one read: the next wait lasts until due.
        let started = std::time::Instant::now();
        assert!(wait(&mut rx, 7, Duration::from_millis(200), &mut stop).await);
        assert!(started.elapsed() >= Duration::from_millis(200), "{:?}", started.elapsed());
        // A new notice is still seen at once.
        tx.send(Notice::Window(7)).ok();
        let started = std::time::Instant::now();
        assert!(wait(&mut rx, 7, Duration::from_secs(60), &mut stop).await);
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
