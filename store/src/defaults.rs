//! Default ratings (SPEC §4, §8; 000 rule 10, 003 §三(三)1): a completed case
//! nobody rated within its region's delay gets the region's default level,
//! channel `default`, kept in its own table and counted apart.
//!
//! The rule for a late active rating (decided here, documented in the README):
//! an active rating that still arrives (the case's link is still valid, or a
//! business system pushes it) is stored as usual and *supersedes* the default;
//! the default row stays, marked `superseded_at`/`superseded_by`, as history.
//!
//! The job runs in two steps, each in batches, safe with several servers on one
//! PostgreSQL database (rows are claimed `FOR UPDATE SKIP LOCKED`; on SQLite
//! the write transaction is exclusive) and idempotent (one default per case,
//! unique index): 1. schedule — compute each new case's due time once from its
//! hall's region policy and the calendar; 2. give — insert the defaults due.
//! Both steps read only by the index on `default_due_at` and *park* every case
//! they are done with ([`parked`]), so a run costs what came due since the last
//! one, not the size of the case table (at 10 M rated cases the earlier
//! `NOT IN (every rated case)` held SQLite's write lock for seconds a minute).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::calendar::Calendar;
use domain::policy::Policy;
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use crate::entities::{default_rating, hall, rating, service_case, service_window};
use crate::{immediate, Db, Result};

/// Cases looked at per batch.
pub const BATCH: u64 = 500;

/// Where a case is parked once the job is done with it (rated, defaulted, or
/// no default level): never due again, so each run reads only the cases that
/// came due since the last one, whatever the size of the table.
pub fn parked() -> DateTime<Utc> {
    DateTime::<Utc>::from_naive_utc_and_offset(
        chrono::NaiveDate::from_ymd_opt(9999, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default(),
        Utc,
    )
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DefaultRun {
    /// Cases whose due time was computed.
    pub scheduled: u64,
    /// Default ratings given.
    pub given: u64,
}

struct Policies<'a> {
    db: &'a DatabaseTransaction,
    by_hall: HashMap<i32, (Policy, String)>,
    /// Each window's hall, read once per batch (was a read per case).
    hall_of: HashMap<i32, i32>,
}

impl<'a> Policies<'a> {
    fn new(db: &'a DatabaseTransaction) -> Self {
        Policies {
            db,
            by_hall: HashMap::new(),
            hall_of: HashMap::new(),
        }
    }

    async fn of_window(&mut self, window_id: i32) -> Result<(Policy, String)> {
        let hall_id = match self.hall_of.get(&window_id) {
            Some(h) => *h,
            None => {
                let w = service_window::Entity::find_by_id(window_id).one(self.db).await?;
                let h = w.map(|w| w.hall_id).unwrap_or_default();
                self.hall_of.insert(window_id, h);
                h
            }
        };
        if let Some(p) = self.by_hall.get(&hall_id) {
            return Ok(p.clone());
        }
        let p = match hall::Entity::find_by_id(hall_id).one(self.db).await? {
            Some(h) => crate::policies::for_region(self.db, h.region_id).await?,
            None => (Policy::default(), String::new()),
        };
        self.by_hall.insert(hall_id, p.clone());
        Ok(p)
    }
}

/// Of `ids`, the cases that have an item rating or a default: looked up by
/// the unique indexes on `(case_id, …)`, one query each per batch.
async fn settled(txn: &DatabaseTransaction, ids: &[i32]) -> Result<std::collections::HashSet<i32>> {
    let mut out: std::collections::HashSet<i32> = rating::Entity::find()
        .select_only()
        .column(rating::Column::CaseId)
        .filter(rating::Column::CaseId.is_in(ids.iter().copied()))
        .filter(rating::Column::Target.eq("item"))
        .into_tuple::<i32>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    out.extend(
        default_rating::Entity::find()
            .select_only()
            .column(default_rating::Column::CaseId)
            .filter(default_rating::Column::CaseId.is_in(ids.iter().copied()))
            .into_tuple::<i32>()
            .all(txn)
            .await?,
    );
    Ok(out)
}

async fn park(txn: &DatabaseTransaction, ids: &[i32]) -> Result<()> {
    if !ids.is_empty() {
        service_case::Entity::update_many()
            .col_expr(service_case::Column::DefaultDueAt, sea_orm::sea_query::Expr::value(parked()))
            .filter(service_case::Column::Id.is_in(ids.iter().copied()))
            .exec(txn)
            .await?;
    }
    Ok(())
}

fn claim<S: QuerySelect>(q: S, backend: DatabaseBackend) -> S {
    if backend == DatabaseBackend::Postgres {
        q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
    } else {
        q
    }
}

/// One pass of both steps, each until nothing is left (in batches).
pub async fn run(db: &Db, calendar: &Calendar, now: DateTime<Utc>) -> Result<DefaultRun> {
    let mut total = DefaultRun::default();
    loop {
        let n = schedule_batch(db, calendar).await?;
        total.scheduled += n;
        if n < BATCH {
            break;
        }
    }
    loop {
        let (looked_at, given) = give_batch(db, now).await?;
        total.given += given;
        if looked_at < BATCH {
            break;
        }
    }
    Ok(total)
}

/// Computes the due time of up to [`BATCH`] cases that have none yet (new
/// cases: read by the index on `default_due_at`); a case already rated is
/// parked at once.
async fn schedule_batch(db: &Db, calendar: &Calendar) -> Result<u64> {
    let txn = db.begin_with_options(immediate()).await?;
    let cases = claim(
        service_case::Entity::find()
            .filter(service_case::Column::DefaultDueAt.is_null())
            .order_by_asc(service_case::Column::Id)
            .limit(BATCH),
        db.get_database_backend(),
    )
    .all(&txn)
    .await?;
    let n = cases.len() as u64;
    let ids: Vec<i32> = cases.iter().map(|c| c.id).collect();
    let done = settled(&txn, &ids).await?;
    let mut policies = Policies::new(&txn);
    let mut to_park = Vec::new();
    let mut due_at = Vec::new();
    for c in cases {
        if done.contains(&c.id) {
            to_park.push(c.id);
            continue;
        }
        let (policy, _) = policies.of_window(c.window_id).await?;
        if policy.default_level.is_none() {
            to_park.push(c.id);
            continue;
        }
        due_at.push((c.id, policy.default_after.end_after(calendar, c.completed_at)));
    }
    // Each case its own due time, one statement for the batch.
    crate::cases::set_times(&txn, service_case::Column::DefaultDueAt, &due_at).await?;
    park(&txn, &to_park).await?;
    txn.commit().await?;
    Ok(n)
}

/// Looks at up to [`BATCH`] cases come due: an unrated one gets its default;
/// every one looked at is parked. `(cases looked at, defaults given)`.
async fn give_batch(db: &Db, now: DateTime<Utc>) -> Result<(u64, u64)> {
    let txn = db.begin_with_options(immediate()).await?;
    let cases = claim(
        service_case::Entity::find()
            .filter(service_case::Column::DefaultDueAt.lte(now))
            .order_by_asc(service_case::Column::DefaultDueAt)
            .limit(BATCH),
        db.get_database_backend(),
    )
    .all(&txn)
    .await?;
    let ids: Vec<i32> = cases.iter().map(|c| c.id).collect();
    let done = settled(&txn, &ids).await?;
    let mut given = 0;
    let mut policies = Policies::new(&txn);
    let looked_at = cases.len() as u64;
    for c in cases.into_iter().filter(|c| !done.contains(&c.id)) {
        let (policy, source) = policies.of_window(c.window_id).await?;
        // None: the policy changed since scheduling, no default any more.
        let Some(level) = policy.default_level else {
            continue;
        };
        let d = default_rating::ActiveModel {
            case_id: Set(c.id),
            level: Set(level.code().to_string()),
            score: Set(level.score()),
            policy_region: Set(source),
            due_at: Set(c.default_due_at.unwrap_or(now)),
            created_at: Set(now),
            superseded_by: Set(None),
            superseded_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        crate::counters::rating_stored(domain::Channel::Default.code(), &d.level);
        crate::exchange::enqueue(
            &txn,
            crate::exchange::Kind::Default,
            d.id,
            crate::exchange::At::Code(&c.region_code),
            now,
        )
        .await?;
        given += 1;
    }
    if given > 0 {
        crate::rollup::mark(&txn, &[now]).await?;
    }
    park(&txn, &ids).await?;
    txn.commit().await?;
    Ok((looked_at, given))
}

/// An active item rating arrived for a case that already has a default: the
/// default is kept as history, marked superseded (same transaction).
pub async fn supersede(txn: &DatabaseTransaction, case_id: i32, rating_id: i32, now: DateTime<Utc>) -> Result<()> {
    // A shared commit knows which of its cases have one (`crate::group`).
    if crate::group::cached(|c| c.defaults.get(&case_id).copied()) == Some(false) {
        return Ok(());
    }
    // One statement (UPDATE … RETURNING): this runs for every item rating.
    let replaced: Vec<DateTime<Utc>> = default_rating::Entity::update_many()
        .col_expr(default_rating::Column::SupersededBy, sea_orm::sea_query::Expr::value(rating_id))
        .col_expr(default_rating::Column::SupersededAt, sea_orm::sea_query::Expr::value(now))
        .filter(default_rating::Column::CaseId.eq(case_id))
        .filter(default_rating::Column::SupersededAt.is_null())
        .exec_with_returning(txn)
        .await?
        .into_iter()
        .map(|d| d.created_at)
        .collect();
    // The days the defaults counted in are stale.
    crate::rollup::mark(txn, &replaced).await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultView {
    pub level: domain::Level,
    pub policy_region: String,
    pub created_at: DateTime<Utc>,
    pub superseded: bool,
}

/// A case's default rating, if it got one.
pub async fn of_case<C: ConnectionTrait>(db: &C, case_id: i32) -> Result<Option<DefaultView>> {
    let Some(d) = default_rating::Entity::find()
        .filter(default_rating::Column::CaseId.eq(case_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(DefaultView {
        level: crate::columns::level(&d.level)?,
        policy_region: d.policy_region,
        created_at: d.created_at,
        superseded: d.superseded_at.is_some(),
    }))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentDefault {
    pub case_number: String,
    pub level: domain::Level,
    pub policy_region: String,
    pub created_at: DateTime<Utc>,
    pub superseded: bool,
}

/// The latest default ratings an administrator's scope covers (all, or the
/// regions of a center).
pub async fn recent(db: &Db, actor: &crate::accounts::Actor, limit: u64) -> Result<Vec<RecentDefault>> {
    let rows = default_rating::Entity::find()
        .order_by_desc(default_rating::Column::Id)
        .limit(limit * 4)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for d in rows {
        let Some(c) = service_case::Entity::find_by_id(d.case_id).one(db).await? else {
            continue;
        };
        let region = match service_window::Entity::find_by_id(c.window_id).one(db).await? {
            Some(w) => hall::Entity::find_by_id(w.hall_id).one(db).await?.map(|h| h.region_id),
            None => None,
        };
        if !region.is_some_and(|r| actor.in_regions(r)) {
            continue;
        }
        out.push(RecentDefault {
            case_number: c.case_number,
            level: crate::columns::level(&d.level)?,
            policy_region: d.policy_region,
            created_at: d.created_at,
            superseded: d.superseded_at.is_some(),
        });
        if out.len() as u64 >= limit {
            break;
        }
    }
    Ok(out)
}

/// Which of `case_ids` have a default rating not yet superseded (one statement).
pub(crate) async fn with_active_default<C: ConnectionTrait>(conn: &C, case_ids: &[i32]) -> Result<std::collections::HashSet<i32>> {
    if case_ids.is_empty() {
        return Ok(Default::default());
    }
    let ids: Vec<i32> = default_rating::Entity::find()
        .select_only()
        .column(default_rating::Column::CaseId)
        .filter(default_rating::Column::CaseId.is_in(case_ids.iter().copied()))
        .filter(default_rating::Column::SupersededAt.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.into_iter().collect())
}
