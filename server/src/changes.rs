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

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use store::notice::Notice;
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use tokio::sync::watch;

/// A stream with nothing due reads its state again after this long at most
/// (plus up to a minute, so that thousands of screens do not read at once).
pub const SAFETY_READ: Duration = Duration::from_secs(300);

/// The server's broadcast of notices.
pub type Changes = store::notice::Changes;

pub fn channel() -> Changes {
    broadcast::channel(4096).0
}

/// Starts the relay for `db` into `changes`, and the dispatch from `changes`
/// to the streams' windows (`hub`); both end when `stopping` turns true.
pub fn spawn_relay(db: store::Db, changes: Changes, hub: Hub, stopping: watch::Receiver<bool>) {
    let mut rx = changes.subscribe();
    let mut stop = stopping.clone();
    tokio::spawn(store::notice::relay(db, changes, stopping));
    tokio::spawn(async move {
        loop {
            tokio::select! {
                r = rx.recv() => match r {
                    Ok(n) => hub.publish(n),
                    Err(RecvError::Lagged(_)) => hub.publish(Notice::All),
                    Err(RecvError::Closed) => return,
                },
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    });
}

/// The notices fanned out by window: a stream wakes only for its own window
/// (and for `Notice::All`), so a rating wakes the one or two streams of its
/// window, not every open stream of the server (with 5,000 open, one
/// broadcast woke 5,000 tasks a rating: 1 M wake-ups a second at 200/s).
#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

struct HubInner {
    windows: Mutex<HashMap<i32, broadcast::Sender<()>>>,
    all: broadcast::Sender<()>,
}

/// A stream's subscription: its window's notices and the notices for all.
pub struct Subscription {
    window: broadcast::Receiver<()>,
    all: broadcast::Receiver<()>,
}

impl Default for Hub {
    fn default() -> Hub {
        Hub {
            inner: Arc::new(HubInner {
                windows: Mutex::new(HashMap::new()),
                all: broadcast::channel(4).0,
            }),
        }
    }
}

impl Hub {
    pub fn subscribe(&self, window_id: i32) -> Subscription {
        // A window whose streams have all ended leaves the map at its next
        // notice (`publish`): at most one entry per window that had a stream.
        let mut windows = self.inner.windows.lock().unwrap_or_else(|e| e.into_inner());
        let window = windows.entry(window_id).or_insert_with(|| broadcast::channel(4).0).subscribe();
        Subscription {
            window,
            all: self.inner.all.subscribe(),
        }
    }

    pub fn publish(&self, notice: Notice) {
        match notice {
            Notice::Window(w) => {
                let mut windows = self.inner.windows.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(tx) = windows.get(&w) {
                    if tx.send(()).is_err() {
                        windows.remove(&w); // nobody listens any more
                    }
                }
            }
            Notice::All => {
                let _ = self.inner.all.send(());
            }
        }
    }

    /// Windows with a subscription entry (for tests).
    pub fn windows(&self) -> usize {
        self.inner.windows.lock().map(|w| w.len()).unwrap_or(0)
    }
}

/// Waits until a stream should read its state again: a notice for its window
/// or for all (or notices lost), or `due` passed. `false`: the stream ends
/// (the server is shutting down).
pub async fn wait(sub: &mut Subscription, due: Duration, stopping: &mut watch::Receiver<bool>) -> bool {
    let sleep = tokio::time::sleep(due);
    tokio::pin!(sleep);
    let (mut window_gone, mut all_gone) = (false, false);
    loop {
        let (got, from_window) = tokio::select! {
            r = sub.window.recv(), if !window_gone => (r, true),
            r = sub.all.recv(), if !all_gone => (r, false),
            () = &mut sleep => return true,
            _ = stopping.wait_for(|s| *s) => return false,
        };
        match got {
            Ok(()) | Err(RecvError::Lagged(_)) => {
                // One read answers every notice already queued: a stream that
                // fell behind a burst (a client slow to take its events) reads
                // once, not once per notice.
                while !matches!(sub.window.try_recv(), Err(TryRecvError::Empty | TryRecvError::Closed)) {}
                while !matches!(sub.all.try_recv(), Err(TryRecvError::Empty | TryRecvError::Closed)) {}
                return true;
            }
            // No dispatch any more: the timer alone.
            Err(RecvError::Closed) if from_window => window_gone = true,
            Err(RecvError::Closed) => all_gone = true,
        }
    }
}

/// An event stream's keep-alive (a comment line when nothing was sent for a
/// while, so proxies keep the connection): every 12–18 s, the interval drawn
/// per stream. With one fixed 15 s, streams opened together — every screen
/// reconnecting after a server restart, the bench's 5,000 — send theirs in
/// the same second every 15 s for as long as they stay open: thousands of
/// stream tasks woken at once, requests queued behind them (issue 16: seen by
/// hand on PostgreSQL as the bench client's CPU rising every 15 s, in step
/// with the slow 5 s rating runs). Drawn per stream, the periods drift apart.
pub fn keep_alive() -> axum::response::sse::KeepAlive {
    axum::response::sse::KeepAlive::new().interval(keep_alive_interval())
}

fn keep_alive_interval() -> Duration {
    use rand::Rng;
    Duration::from_millis(rand::rng().random_range(12_000..=18_000))
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

    #[test]
    fn streams_opened_together_do_not_keep_alive_in_step() {
        let periods: Vec<Duration> = (0..200).map(|_| keep_alive_interval()).collect();
        assert!(periods
            .iter()
            .all(|p| (Duration::from_secs(12)..=Duration::from_secs(18)).contains(p)));
        // 200 streams: spread over the six seconds, not a handful of values.
        let mut ms: Vec<u128> = periods.iter().map(|p| p.as_millis()).collect();
        ms.sort_unstable();
        ms.dedup();
        assert!(ms.len() > 150, "{} distinct periods", ms.len());
        let early = periods.iter().filter(|p| **p < Duration::from_secs(15)).count();
        assert!((50..150).contains(&early), "{early} of 200 under 15 s");
    }

    #[tokio::test]
    async fn a_stream_wakes_for_its_window_once_per_burst_and_for_all() {
        let hub = Hub::default();
        let mut sub = hub.subscribe(7);
        let mut other = hub.subscribe(8);
        let (_stopping, mut stop) = watch::channel(false);
        for w in 0..100 {
            hub.publish(Notice::Window(7));
            hub.publish(Notice::Window(1000 + w));
        }
        assert!(wait(&mut sub, Duration::from_secs(60), &mut stop).await, "the window's notice");
        // Everything queued was answered by that one read: the next wait lasts until due.
        let started = std::time::Instant::now();
        assert!(wait(&mut sub, Duration::from_millis(200), &mut stop).await);
        assert!(started.elapsed() >= Duration::from_millis(200), "{:?}", started.elapsed());
        // Another window's notices never woke window 8's stream.
        let started = std::time::Instant::now();
        assert!(wait(&mut other, Duration::from_millis(200), &mut stop).await);
        assert!(
            started.elapsed() >= Duration::from_millis(200),
            "window 8 slept: {:?}",
            started.elapsed()
        );
        // A new notice is seen at once; so is a notice for all (a relay reconnect).
        hub.publish(Notice::Window(7));
        let started = std::time::Instant::now();
        assert!(wait(&mut sub, Duration::from_secs(60), &mut stop).await);
        hub.publish(Notice::All);
        assert!(wait(&mut other, Duration::from_secs(60), &mut stop).await);
        assert!(started.elapsed() < Duration::from_secs(1));
        // Windows nobody listens to any more are forgotten.
        drop(other);
        hub.publish(Notice::Window(8));
        assert_eq!(hub.windows(), 1, "only window 7 is left");
    }
}
