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

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{DbBackend, TransactionTrait};
use tokio::sync::{mpsc, oneshot};

use crate::ratings::PageSubmission;
use crate::{immediate, Db, Result};

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
    let shared = async {
        let txn = db.begin_with_options(immediate()).await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for j in &batch {
            // A savepoint each: a failure rolls back only its own writes.
            outcomes.push(crate::ratings::rate_by_token(&txn, &j.token, &j.sub, j.now).await);
        }
        txn.commit().await?;
        Ok::<_, crate::Error>(outcomes)
    }
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
