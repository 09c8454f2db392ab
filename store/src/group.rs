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
//! A *plain* batch (every link sent once, no re-rating link, no whole bundle,
//! no case with an active default rating — almost every batch) goes faster:
//! no savepoints, its rows are kept in memory and written per table in one
//! statement each before the commit ([`Deferred`]); a submission that fails
//! is undone by forgetting its rows; if the batch's writes fail (a case rated
//! meanwhile through another of its links), the batch is rolled back and run
//! again with savepoints.
//!
//! On PostgreSQL there is no queue: each submission runs in its own transaction
//! from the pool and the server's WAL flush is shared by concurrent commits
//! (`synchronous_commit` stays on).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
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
    /// A plain batch's writes, kept here and written per table in one
    /// statement each before the commit (see [`Deferred`]); `None` when the
    /// batch runs each submission in a savepoint of its own.
    pub deferred: Option<Deferred>,
}

/// The writes of a plain batch (issue 16: one statement per table for the
/// whole batch instead of one per row). A batch is plain when each of its
/// submissions is a token sent once, not a re-rating link, not a whole
/// bundle, of a case without an active default rating (all known from the
/// read-ahead): then a submission's only database writes are these rows, its
/// reads see nothing a batch-mate wrote except through [`Deferred::said`],
/// and a submission that fails is undone by forgetting its rows
/// ([`Deferred::mark`], [`Deferred::undo`]) instead of a savepoint.
///
/// Ids are given here, after the highest ever given (`sqlite_sequence`, the
/// tables are AUTOINCREMENT; the batch holds the one write lock). Anything
/// the per-row path would have refused at the database (a case rated through
/// another of its links, a token used meanwhile) makes the batch's writes
/// fail: the batch is rolled back whole and run again, each submission in a
/// savepoint, where it is refused as before.
#[derive(Default)]
pub(crate) struct Deferred {
    pub next_rating: i32,
    pub next_order: i32,
    pub next_event: i32,
    pub ratings: Vec<crate::entities::rating::Model>,
    /// Of each deferred rating: its id, its case's phone hash, its comment and
    /// time (the repeated-comment check of `work_orders::open` looks here too).
    pub said: Vec<Said>,
    pub records: Vec<crate::entities::exchange_record::ActiveModel>,
    pub orders: Vec<crate::entities::work_order::Model>,
    pub events: Vec<crate::entities::work_order_event::Model>,
    /// Tokens used: (id, when).
    pub tokens: Vec<(i32, DateTime<Utc>)>,
    /// (channel, level) of each deferred rating: counted in the metrics after
    /// the commit.
    pub counted: Vec<(String, String)>,
    /// The repeated-comment check of the batch's bad ratings, read for all of
    /// them in one statement before the first ([`repeats_ahead`]): (phone
    /// hash, words) → the newest stored rating with those words of a case of
    /// that phone after `repeats_since`, if any. Nothing the batch writes is
    /// stored before its end, so this stays exact for the whole batch.
    pub repeats: HashMap<(String, String), Option<DateTime<Utc>>>,
    pub repeats_since: Option<DateTime<Utc>>,
}

/// A deferred rating's id, its case's phone hash, its comment, its time.
pub(crate) type Said = (i32, Option<String>, Option<String>, DateTime<Utc>);

/// How far a [`Deferred`] was before a submission.
#[derive(Clone, Copy)]
pub(crate) struct Mark([usize; 7], [i32; 3]);

impl Deferred {
    pub fn mark(&self) -> Mark {
        Mark(
            [
                self.ratings.len(),
                self.said.len(),
                self.records.len(),
                self.orders.len(),
                self.events.len(),
                self.tokens.len(),
                self.counted.len(),
            ],
            [self.next_rating, self.next_order, self.next_event],
        )
    }

    /// Forgets what was deferred since `m` (a submission that failed).
    pub fn undo(&mut self, m: Mark) {
        let [a, b, c, d, e, f, g] = m.0;
        self.ratings.truncate(a);
        self.said.truncate(b);
        self.records.truncate(c);
        self.orders.truncate(d);
        self.events.truncate(e);
        self.tokens.truncate(f);
        self.counted.truncate(g);
        [self.next_rating, self.next_order, self.next_event] = m.1;
    }

    /// Whether a stored rating of a case of this phone said `text` after
    /// `since`, if the read-ahead knows (`None`: ask the database).
    pub fn stored_repeat(&self, phone: &str, text: &str, since: DateTime<Utc>) -> Option<bool> {
        if self.repeats_since.is_none_or(|read| since < read) {
            return None;
        }
        let newest = self.repeats.get(&(phone.to_string(), text.to_string()))?;
        Some(newest.is_some_and(|at| at > since))
    }

    /// Whether a deferred rating other than `except`, of a case of this
    /// phone, said `text` after `since`.
    pub fn said_before(&self, phone: &str, text: &str, since: DateTime<Utc>, except: Option<i32>) -> bool {
        self.said
            .iter()
            .any(|(id, p, c, at)| Some(*id) != except && p.as_deref() == Some(phone) && c.as_deref() == Some(text) && *at > since)
    }
}

/// Runs `f` on the running batch's deferred writes; `None` (nothing done)
/// when writes are not deferred here.
pub(crate) fn defer<T>(f: impl FnOnce(&mut Deferred) -> T) -> Option<T> {
    BATCH.try_with(|c| c.borrow_mut().deferred.as_mut().map(f)).ok().flatten()
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
    /// Shared commits whose writes were deferred and written per table
    /// ([`Deferred`]).
    pub plain: AtomicU64,
    /// Plain shared commits whose writes failed, run again with savepoints.
    pub retried: AtomicU64,
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
    let shared = match shared_commit(db, &batch, true).await {
        Ok((outcomes, plain)) => {
            if plain {
                counts.plain.fetch_add(1, Ordering::Relaxed);
            }
            Ok(outcomes)
        }
        Err(e) => {
            counts.retried.fetch_add(1, Ordering::Relaxed);
            // The plain batch's writes failed (a case rated through another
            // of its links, say): nothing was committed; again, each
            // submission in a savepoint, where the failing one is refused.
            tracing::info!(error = %e, n = batch.len(), "a plain shared commit failed; again with savepoints");
            shared_commit(db, &batch, false).await.map(|(o, _)| o)
        }
    };
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

/// One transaction for the whole batch: its writes deferred and written per
/// table when the batch is plain and `allow_plain` (see [`Deferred`]),
/// otherwise each submission in a savepoint of its own. An error means
/// nothing of the batch was committed; `.1`: whether it was plain.
async fn shared_commit(db: &Db, batch: &[Job], allow_plain: bool) -> Result<(Vec<Result<Vec<i32>>>, bool)> {
    BATCH
        .scope(RefCell::new(BatchCache::default()), async {
            let txn = db.begin_with_options(immediate()).await?;
            match in_shared_commit(&txn, batch, allow_plain).await {
                Ok((outcomes, counted, plain)) => {
                    txn.commit().await?;
                    for (channel, level) in counted {
                        crate::counters::rating_stored(&channel, &level);
                    }
                    Ok((outcomes, plain))
                }
                Err(e) => {
                    txn.rollback().await?;
                    Err(e)
                }
            }
        })
        .await
}

type Counted = Vec<(String, String)>;

async fn in_shared_commit(
    txn: &sea_orm::DatabaseTransaction,
    batch: &[Job],
    allow_plain: bool,
) -> Result<(Vec<Result<Vec<i32>>>, Counted, bool)> {
    read_ahead(txn, batch).await?;
    let plain = allow_plain && BATCH.with(|c| is_plain(&c.borrow(), batch));
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut counted = Vec::new();
    if plain {
        let mut d = next_ids(txn).await?;
        repeats_ahead(txn, batch, &mut d).await?;
        BATCH.with(|c| c.borrow_mut().deferred = Some(d));
        for j in batch {
            let before = defer(|d| d.mark());
            let r = crate::ratings::rate_in(txn, &j.token, &j.sub, j.now).await;
            if let (Err(_), Some(m)) = (&r, before) {
                defer(|d| d.undo(m));
            }
            outcomes.push(r);
        }
        if let Some(d) = BATCH.with(|c| c.borrow_mut().deferred.take()) {
            write_deferred(txn, &d).await?;
            counted = d.counted;
        }
    } else {
        for j in batch {
            // A savepoint each: a failure rolls back only its own writes.
            outcomes.push(crate::ratings::rate_by_token(txn, &j.token, &j.sub, j.now).await);
        }
    }
    let marks = BATCH.with(|c| std::mem::take(&mut c.borrow_mut().marks));
    crate::rollup::mark_days(txn, marks).await?;
    Ok((outcomes, counted, plain))
}

/// Whether the batch's writes can be deferred (see [`Deferred`]). A token
/// not found is refused before anything is written.
fn is_plain(c: &BatchCache, batch: &[Job]) -> bool {
    let mut seen = std::collections::HashSet::new();
    batch.iter().all(|j| {
        seen.insert(j.token.as_str())
            && !j.sub.bundle_whole
            && c.rerating.get(&j.token) == Some(&false)
            && match c.tokens.get(&j.token) {
                Some((_, case)) => c.defaults.get(&case.id) == Some(&false),
                None => true,
            }
    })
}

/// The next ids of the tables a plain batch writes (one statement).
async fn next_ids(txn: &sea_orm::DatabaseTransaction) -> Result<Deferred> {
    let part = |t: &str| {
        format!("MAX((SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = '{t}'), (SELECT COALESCE(MAX(id), 0) FROM \"{t}\")) AS \"{t}\"")
    };
    let sql = format!("SELECT {}, {}, {}", part("rating"), part("work_order"), part("work_order_event"));
    let row = txn
        .query_one_raw(sea_orm::Statement::from_string(DbBackend::Sqlite, sql))
        .await?
        .ok_or_else(|| crate::Error::Db(sea_orm::DbErr::RecordNotFound("sqlite_sequence".into())))?;
    let next = |t: &str| -> Result<i32> {
        let last: i64 = row.try_get("", t)?;
        i32::try_from(last + 1).map_err(|_| crate::Error::Db(sea_orm::DbErr::Custom(format!("{t}: ids exhausted"))))
    };
    Ok(Deferred {
        next_rating: next("rating")?,
        next_order: next("work_order")?,
        next_event: next("work_order_event")?,
        ..Default::default()
    })
}

/// The repeated-comment check (`work_orders::open`, 002 rule 5(二)) of every
/// bad rating of a plain batch that has words and a phone, in one statement:
/// per (phone, words), the newest stored rating with those words of a case of
/// that phone in the 7 days before the batch's earliest submission, looked up
/// as `open` does (through the phone's cases when it has few, through the
/// words' index otherwise).
async fn repeats_ahead(txn: &sea_orm::DatabaseTransaction, batch: &[Job], d: &mut Deferred) -> Result<()> {
    let Some(earliest) = batch.iter().map(|j| j.now).min() else {
        return Ok(());
    };
    let since = earliest - chrono::Duration::days(7);
    let mut pairs: Vec<(String, String)> = Vec::new();
    BATCH.with(|c| {
        let c = c.borrow();
        for j in batch {
            let Some((_, case)) = c.tokens.get(&j.token) else { continue };
            let Some(phone) = &case.phone_hash else { continue };
            for input in std::iter::once(&j.sub.item).chain(j.sub.staff.as_ref()) {
                let words = input.comment.as_ref().map(|w| w.as_str()).filter(|w| !w.trim().is_empty());
                if let (true, Some(words)) = (input.level.is_bad(), words) {
                    let pair = (phone.clone(), words.to_string());
                    if !pairs.contains(&pair) {
                        pairs.push(pair);
                    }
                }
            }
        }
    });
    if pairs.is_empty() {
        return Ok(());
    }
    let few = crate::work_orders::FEW_CASES;
    let mut sql = String::from("WITH p(i, phone, words, prefix, since) AS (VALUES ");
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(pairs.len() * 5);
    for (i, (phone, words)) in pairs.iter().enumerate() {
        sql.push_str(if i == 0 { "(?, ?, ?, ?, ?)" } else { ", (?, ?, ?, ?, ?)" });
        values.push((i as i32).into());
        values.push(phone.clone().into());
        values.push(words.clone().into());
        values.push(words.chars().take(200).collect::<String>().into());
        values.push(since.into());
    }
    sql.push_str(&format!(
        ") SELECT p.i AS i, CASE WHEN (SELECT COUNT(*) FROM (SELECT 1 FROM service_case WHERE phone_hash = p.phone LIMIT {over})) <= {few} \
         THEN (SELECT MAX(r.created_at) FROM rating r WHERE r.case_id IN (SELECT id FROM service_case WHERE phone_hash = p.phone) \
               AND r.comment = p.words AND r.created_at > p.since) \
         ELSE (SELECT r.created_at FROM rating r WHERE substr(r.comment, 1, 200) = p.prefix AND r.comment = p.words AND r.created_at > p.since \
               AND EXISTS (SELECT 1 FROM service_case c WHERE c.id = r.case_id AND c.phone_hash = p.phone) \
               ORDER BY r.created_at DESC LIMIT 1) END AS newest FROM p",
        over = few + 1
    ));
    let rows = txn
        .query_all_raw(sea_orm::Statement::from_sql_and_values(DbBackend::Sqlite, sql, values))
        .await?;
    for row in rows {
        let i: i32 = row.try_get("", "i")?;
        let newest: Option<DateTime<Utc>> = row.try_get("", "newest")?;
        if let Some(pair) = usize::try_from(i).ok().and_then(|i| pairs.get(i)) {
            d.repeats.insert(pair.clone(), newest);
        }
    }
    d.repeats_since = Some(since);
    Ok(())
}

/// Rows per multi-row statement.
const ROWS: usize = 200;

/// Inserts a plain batch's rows of one table, with their ids; every one, or
/// an error.
async fn insert_all<M>(txn: &sea_orm::DatabaseTransaction, rows: &[M], what: &str) -> Result<()>
where
    M: sea_orm::ModelTrait + sea_orm::IntoActiveModel<<M::Entity as sea_orm::EntityTrait>::ActiveModel> + Clone,
    <M::Entity as sea_orm::EntityTrait>::ActiveModel: sea_orm::ActiveModelTrait<Entity = M::Entity>,
{
    use sea_orm::EntityTrait;
    for chunk in rows.chunks(ROWS) {
        let n = M::Entity::insert_many(chunk.iter().cloned().map(sea_orm::IntoActiveModel::into_active_model))
            .exec_without_returning(txn)
            .await?;
        if n != chunk.len() as u64 {
            return Err(crate::Error::Db(sea_orm::DbErr::Custom(format!(
                "a plain batch's {what} were not all written"
            ))));
        }
    }
    Ok(())
}

/// Writes a plain batch's rows, one statement per table (in the order their
/// foreign keys need), and uses up its tokens in one. Any row refused fails
/// the whole: the batch is then run again with savepoints.
async fn write_deferred(txn: &sea_orm::DatabaseTransaction, d: &Deferred) -> Result<()> {
    use crate::entities::exchange_record;
    use sea_orm::EntityTrait;
    insert_all(txn, &d.ratings, "ratings").await?;
    for rows in d.records.chunks(ROWS) {
        // As `exchange::enqueue`: a record already there is kept.
        exchange_record::Entity::insert_many(rows.iter().cloned())
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(exchange_record::Column::RecordId)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    insert_all(txn, &d.orders, "work orders").await?;
    insert_all(txn, &d.events, "order events").await?;
    for rows in d.tokens.chunks(ROWS) {
        // Each token its own time of use; only a token still unused.
        let mut sql = String::from("UPDATE rating_token SET used_at = CASE id");
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(rows.len() * 3);
        for (id, at) in rows {
            sql.push_str(" WHEN ? THEN ?");
            values.push((*id).into());
            values.push((*at).into());
        }
        sql.push_str(" END WHERE used_at IS NULL AND id IN (");
        for (i, (id, _)) in rows.iter().enumerate() {
            sql.push_str(if i == 0 { "?" } else { ", ?" });
            values.push((*id).into());
        }
        sql.push(')');
        let r = txn
            .execute_raw(sea_orm::Statement::from_sql_and_values(DbBackend::Sqlite, sql, values))
            .await?;
        if r.rows_affected() != rows.len() as u64 {
            return Err(crate::Error::AlreadyRated);
        }
    }
    Ok(())
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
