//! Group commit of rating submissions on SQLite (issue 16).
//!
//! A durable SQLite commit (WAL, `synchronous=FULL`) waits for the disk; one
//! commit per rating caps the ratings per second at the disk's flush rate. Here
//! one writer task takes the submissions waiting in its queue (up to
//! [`MAX_BATCH`]) and stores them in **one** transaction, each in a savepoint
//! of its own:
//! - a submission that fails (used token, expired link, bad input, a database
//!   error) rolls back to its savepoint: its batch-mates are not touched;
//! - every submitter is answered only after the batch's commit, so an answer
//!   of "stored" means on disk; a crash before the commit stores none of the
//!   batch and answers none (their tokens stay unused: a retry stores it once);
//! - if the commit itself fails, each submission of the batch is stored again
//!   on its own, in its own transaction, and answered from that.
//!
//! On PostgreSQL there is no queue: each submission runs in its own transaction
//! from the pool and the server's WAL flush is shared by concurrent commits
//! (`synchronous_commit` stays on).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{DbBackend, TransactionTrait};
use tokio::sync::{mpsc, oneshot};

use crate::ratings::PageSubmission;
use crate::{immediate, Db, Result};

/// What the submissions of one shared commit read alike, read once for the
/// batch (issue 16: on SQLite every statement is a round trip to the
/// connection's thread, ≈ 90 µs of the one writer's time under load): a
/// region's policy, the calendar, a region by code, a window's hall, unit and
/// region. Exact, not a guess: the batch's transaction holds SQLite's one
/// write lock, and a rating changes none of these, so nothing can change them
/// while the batch runs. Outside a shared commit (PostgreSQL, a submission
/// alone, every other write) nothing is kept.
#[derive(Default)]
pub(crate) struct BatchCache {
    pub policies: HashMap<i32, (domain::policy::Policy, String)>,
    pub calendar: Option<domain::calendar::Calendar>,
    pub regions: HashMap<String, crate::entities::region::Model>,
    /// (window, item) → (hall, hall's region, unit in charge).
    pub windows: HashMap<(i32, i32), (i32, i32, i32)>,
    /// Days the batch's writes made stale (`crate::rollup::mark`): marked in
    /// one statement just before the commit instead of one per submission. A
    /// submission rolled back to its savepoint leaves its days here: a day
    /// marked stale without need is counted again by the rollup, the same.
    pub marks: std::collections::BTreeSet<chrono::NaiveDate>,
    /// Each of the batch's tokens: whether it is a closed order's re-rating
    /// link (read in one statement before the first submission).
    pub rerating: HashMap<String, bool>,
    /// The batch's tokens that occur once in it, with their cases, as they
    /// were before the first submission (one statement). A token's row is
    /// changed only by its own submission (it is used last); a case's row by
    /// no rating. A token sent twice in one batch is read each time.
    pub tokens: HashMap<String, (crate::entities::rating_token::Model, crate::entities::service_case::Model)>,
    /// The batch's cases (of its tokens): whether one has a default rating
    /// not yet superseded (one statement). A rating never adds one, so a case
    /// without stays without for the batch; a case not here is asked.
    pub defaults: HashMap<i32, bool>,
}

tokio::task_local! {
    static BATCH: RefCell<BatchCache>;
}

/// What the shared commit running on this task has kept, if any.
pub(crate) fn cached<T>(f: impl FnOnce(&BatchCache) -> Option<T>) -> Option<T> {
    BATCH.try_with(|c| f(&c.borrow())).ok().flatten()
}

/// Keeps something for the rest of the shared commit running on this task
/// (nothing outside one).
pub(crate) fn remember(f: impl FnOnce(&mut BatchCache)) {
    let _ = BATCH.try_with(|c| f(&mut c.borrow_mut()));
}

/// The most submissions one transaction holds.
pub const MAX_BATCH: usize = 64;

struct Job {
    token: String,
    sub: PageSubmission,
    now: DateTime<Utc>,
    reply: oneshot::Sender<Result<Vec<i32>>>,
}

/// How the writer has done: commits, and submissions stored through them.
#[derive(Debug, Default)]
pub struct Counts {
    pub commits: AtomicU64,
    pub submissions: AtomicU64,
    /// Commits that held more than one submission.
    pub shared: AtomicU64,
}

/// The rating writer of one server.
#[derive(Clone)]
pub struct Ratings {
    db: Db,
    queue: Option<mpsc::Sender<Job>>,
    pub counts: Arc<Counts>,
}

impl std::fmt::Debug for Ratings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ratings").field("grouped", &self.queue.is_some()).finish()
    }
}

impl Ratings {
    /// On SQLite inside a Tokio runtime: starts the writer task (it ends when
    /// the last `Ratings` is dropped). Otherwise: each submission on its own.
    pub fn new(db: Db) -> Ratings {
        let counts = Arc::new(Counts::default());
        let grouped = db.get_database_backend() == DbBackend::Sqlite && tokio::runtime::Handle::try_current().is_ok();
        let queue = grouped.then(|| {
            let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
            tokio::spawn(writer(db.clone(), rx, counts.clone()));
            tx
        });
        Ratings { db, queue, counts }
    }

    /// `POST /r/{token}` ([`crate::ratings::rate_by_token`]), through the
    /// writer's shared commits where there is one.
    pub async fn rate_by_token(&self, token: &str, sub: &PageSubmission, now: DateTime<Utc>) -> Result<Vec<i32>> {
        let Some(queue) = &self.queue else {
            return crate::ratings::rate_by_token(&self.db, token, sub, now).await;
        };
        let (reply, answer) = oneshot::channel();
        let job = Job {
            token: token.to_string(),
            sub: sub.clone(),
            now,
            reply,
        };
        if queue.send(job).await.is_err() {
            // The writer is gone (shutting down): on its own.
            return crate::ratings::rate_by_token(&self.db, token, sub, now).await;
        }
        match answer.await {
            Ok(r) => r,
            // The writer stopped before answering: nothing of this submission
            // was committed by it (it answers after its commit).
            Err(_) => crate::ratings::rate_by_token(&self.db, token, sub, now).await,
        }
    }
}

async fn writer(db: Db, mut rx: mpsc::Receiver<Job>, counts: Arc<Counts>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        store_batch(&db, batch, &counts).await;
    }
}

async fn store_batch(db: &Db, batch: Vec<Job>, counts: &Counts) {
    if batch.len() == 1 {
        for j in batch {
            let r = crate::ratings::rate_by_token(db, &j.token, &j.sub, j.now).await;
            counts.commits.fetch_add(1, Ordering::Relaxed);
            counts.submissions.fetch_add(1, Ordering::Relaxed);
            let _ = j.reply.send(r);
        }
        return;
    }
    let shared = BATCH
        .scope(RefCell::new(BatchCache::default()), async {
            let txn = db.begin_with_options(immediate()).await?;
            read_ahead(&txn, &batch).await?;
            let mut outcomes = Vec::with_capacity(batch.len());
            for j in &batch {
                // A savepoint each: a failure rolls back only its own writes.
                outcomes.push(crate::ratings::rate_by_token(&txn, &j.token, &j.sub, j.now).await);
            }
            let marks = BATCH.with(|c| std::mem::take(&mut c.borrow_mut().marks));
            crate::rollup::mark_days(&txn, marks).await?;
            txn.commit().await?;
            Ok::<_, crate::Error>(outcomes)
        })
        .await;
    match shared {
        Ok(outcomes) => {
            counts.commits.fetch_add(1, Ordering::Relaxed);
            counts.shared.fetch_add(1, Ordering::Relaxed);
            counts.submissions.fetch_add(batch.len() as u64, Ordering::Relaxed);
            for (j, r) in batch.into_iter().zip(outcomes) {
                let _ = j.reply.send(r);
            }
        }
        Err(e) => {
            // Nothing of the batch was committed: each on its own.
            tracing::warn!(error = %e, n = batch.len(), "a shared rating commit failed; storing each alone");
            for j in batch {
                let r = crate::ratings::rate_by_token(db, &j.token, &j.sub, j.now).await;
                counts.commits.fetch_add(1, Ordering::Relaxed);
                counts.submissions.fetch_add(1, Ordering::Relaxed);
                let _ = j.reply.send(r);
            }
        }
    }
}

/// What the batch's submissions will each ask, read in three statements for
/// the batch (see [`BatchCache`]).
async fn read_ahead(txn: &sea_orm::DatabaseTransaction, batch: &[Job]) -> Result<()> {
    let mut times: HashMap<&str, usize> = HashMap::new();
    for j in batch {
        *times.entry(j.token.as_str()).or_default() += 1;
    }
    let tokens: Vec<&str> = times.keys().copied().collect();
    let links = crate::work_orders::rerating_links(txn, &tokens).await?;
    let found = crate::cases::tokens_cases(txn, &tokens).await?;
    let case_ids: Vec<i32> = found.iter().map(|(_, c)| c.id).collect();
    let with_default = crate::defaults::with_active_default(txn, &case_ids).await?;
    BATCH.with(|c| {
        let mut c = c.borrow_mut();
        c.rerating = tokens.iter().map(|t| (t.to_string(), links.contains(*t))).collect();
        c.defaults = case_ids.iter().map(|id| (*id, with_default.contains(id))).collect();
        c.tokens = found
            .into_iter()
            .filter(|(t, _)| times.get(t.token.as_str()) == Some(&1))
            .map(|(t, case)| (t.token.clone(), (t, case)))
            .collect();
    });
    Ok(())
}
