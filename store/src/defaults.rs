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
//! unique index): 1. schedule — compute each unrated case's due time once from
//! its hall's region policy and the calendar; 2. give — insert the defaults due.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use domain::calendar::Calendar;
use domain::policy::Policy;
use sea_orm::sea_query::{LockBehavior, LockType, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use crate::entities::{default_rating, hall, rating, service_case, service_window};
use crate::{immediate, Db, Result};

/// Cases looked at per batch.
pub const BATCH: u64 = 500;

/// Where a case with no default level is parked: never due.
fn never(completed: DateTime<Utc>) -> DateTime<Utc> {
    completed + Duration::days(365 * 100)
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
}

impl Policies<'_> {
    async fn of_window(&mut self, window_id: i32) -> Result<(Policy, String)> {
        let w = service_window::Entity::find_by_id(window_id).one(self.db).await?;
        let hall_id = w.map(|w| w.hall_id).unwrap_or_default();
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

fn unrated() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(rating::Column::CaseId)
        .from(rating::Entity)
        .and_where(rating::Column::Target.eq("item"))
        .to_owned()
}

fn defaulted() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(default_rating::Column::CaseId)
        .from(default_rating::Entity)
        .to_owned()
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

async fn schedule_batch(db: &Db, calendar: &Calendar) -> Result<u64> {
    let txn = db.begin_with_options(immediate()).await?;
    let cases = claim(
        service_case::Entity::find()
            .filter(service_case::Column::DefaultDueAt.is_null())
            .filter(service_case::Column::Id.not_in_subquery(unrated()))
            .order_by_asc(service_case::Column::Id)
            .limit(BATCH),
        db.get_database_backend(),
    )
    .all(&txn)
    .await?;
    let n = cases.len() as u64;
    let mut policies = Policies {
        db: &txn,
        by_hall: HashMap::new(),
    };
    for c in cases {
        let (policy, _) = policies.of_window(c.window_id).await?;
        let due = match policy.default_level {
            Some(_) => policy.default_after.end_after(calendar, c.completed_at),
            None => never(c.completed_at),
        };
        let mut am: service_case::ActiveModel = c.into();
        am.default_due_at = Set(Some(due));
        am.update(&txn).await?;
    }
    txn.commit().await?;
    Ok(n)
}

/// `(cases looked at, defaults given)`.
async fn give_batch(db: &Db, now: DateTime<Utc>) -> Result<(u64, u64)> {
    let txn = db.begin_with_options(immediate()).await?;
    let cases = claim(
        service_case::Entity::find()
            .filter(service_case::Column::DefaultDueAt.lte(now))
            .filter(service_case::Column::Id.not_in_subquery(unrated()))
            .filter(service_case::Column::Id.not_in_subquery(defaulted()))
            .order_by_asc(service_case::Column::DefaultDueAt)
            .limit(BATCH),
        db.get_database_backend(),
    )
    .all(&txn)
    .await?;
    let mut given = 0;
    let mut policies = Policies {
        db: &txn,
        by_hall: HashMap::new(),
    };
    let looked_at = cases.len() as u64;
    for c in cases {
        let (policy, source) = policies.of_window(c.window_id).await?;
        let due = c.default_due_at.unwrap_or(now);
        let Some(level) = policy.default_level else {
            // The policy changed since scheduling: no default any more.
            let completed = c.completed_at;
            let mut am: service_case::ActiveModel = c.into();
            am.default_due_at = Set(Some(never(completed)));
            am.update(&txn).await?;
            continue;
        };
        default_rating::ActiveModel {
            case_id: Set(c.id),
            level: Set(level.code().to_string()),
            score: Set(level.score()),
            policy_region: Set(source),
            due_at: Set(due),
            created_at: Set(now),
            superseded_by: Set(None),
            superseded_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        crate::rollup::mark(&txn, &[now]).await?;
        given += 1;
    }
    txn.commit().await?;
    Ok((looked_at, given))
}

/// An active item rating arrived for a case that already has a default: the
/// default is kept as history, marked superseded (same transaction).
pub async fn supersede(txn: &DatabaseTransaction, case_id: i32, rating_id: i32, now: DateTime<Utc>) -> Result<()> {
    let replaced: Vec<DateTime<Utc>> = default_rating::Entity::find()
        .select_only()
        .column(default_rating::Column::CreatedAt)
        .filter(default_rating::Column::CaseId.eq(case_id))
        .filter(default_rating::Column::SupersededAt.is_null())
        .into_tuple()
        .all(txn)
        .await?;
    crate::rollup::mark(txn, &replaced).await?;
    default_rating::Entity::update_many()
        .col_expr(default_rating::Column::SupersededBy, sea_orm::sea_query::Expr::value(rating_id))
        .col_expr(default_rating::Column::SupersededAt, sea_orm::sea_query::Expr::value(now))
        .filter(default_rating::Column::CaseId.eq(case_id))
        .filter(default_rating::Column::SupersededAt.is_null())
        .exec(txn)
        .await?;
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
