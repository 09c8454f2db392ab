//! Rollups of the statistics (issue 14: fast at 10 M ratings).
//!
//! `stat_rollup` holds, per Beijing day, the tally of every combination of
//! fact kind, region, hall, window, unit, owning unit, item, staff member,
//! reporting system and channel (`crate::stats` decides what a fact is and
//! where it belongs; this module only stores and sums). Correctness rests on
//! one rule: **every write that changes a day's numbers marks that day in
//! `stat_dirty` in its own transaction** ([`mark`]): a new case (its
//! completion day), a rating (its day, and its case's completion day: rated),
//! a default and its replacement, a static-code or kiosk rating, a work order
//! opened, and every step of one (its opening day, old and new deadlines, and
//! on an upheld appeal the excluded rating's days). Reads ([`plan`]) take
//! clean days from the rollups and dirty days (today, usually) from the raw
//! rows, so a number is never stale. The rollup job ([`run`]) recomputes dirty
//! days from the raw rows and records the version it read (`done`): a day
//! marked again meanwhile stays dirty. Marks are never deleted, so a version
//! never repeats; the day's `stat_dirty` row is locked while its rollup rows
//! are replaced, so two servers never both insert a day.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::indicators::{Dimension, Period, Tally};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};

use crate::migration::m0014::COUNTERS;
use crate::stats::Attrs;
use crate::{Db, Result};

fn t(name: &str) -> Alias {
    Alias::new(name.to_string())
}

/// The Beijing day of an instant, `YYYY-MM-DD`.
pub fn day_of(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&crate::console::china()).date_naive()
}

fn day_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Marks the Beijing days of `times` stale, in the caller's transaction.
pub(crate) async fn mark<C: ConnectionTrait>(c: &C, times: &[DateTime<Utc>]) -> Result<()> {
    let days: BTreeSet<NaiveDate> = times.iter().map(|t| day_of(*t)).collect();
    // In a shared commit of ratings: marked once for the batch, before its commit.
    let mut deferred = false;
    crate::group::remember(|b| {
        b.marks.extend(days.iter().copied());
        deferred = true;
    });
    if deferred {
        return Ok(());
    }
    mark_days(c, days).await
}

/// Rows per day on PostgreSQL: a transaction bumps the row of its
/// connection's shard (`pg_backend_pid() % SHARDS`), so concurrent writers of
/// one day do not queue behind one row lock until each commits (at 300
/// ratings/s every rating waited 27 ms for it). SQLite has one writer: shard 0.
pub const SHARDS: i32 = 32;

/// Marks these days stale (bumping their version when already marked).
pub async fn mark_days<C: ConnectionTrait>(c: &C, days: impl IntoIterator<Item = NaiveDate>) -> Result<()> {
    mark_days_in(c, days, true).await
}

/// `sharded: false` is the table as migration m0014 made it (no `shard`
/// column), for m0014's own marks.
async fn mark_days_in<C: ConnectionTrait>(c: &C, days: impl IntoIterator<Item = NaiveDate>, sharded: bool) -> Result<()> {
    let shard = match c.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => Expr::cust(format!("pg_backend_pid() % {SHARDS}")),
        _ => Expr::val(0),
    };
    // One statement for the days (a rating marks its own day and its case's
    // completion day): one round trip, rows in day order; a long history in
    // chunks, within the backends' limits on bound values.
    let days: Vec<NaiveDate> = days.into_iter().collect::<BTreeSet<_>>().into_iter().collect();
    for chunk in days.chunks(500) {
        let mut stmt = Query::insert();
        stmt.into_table(t("stat_dirty"));
        if sharded {
            stmt.columns([t("day"), t("shard"), t("version")]);
            for d in chunk {
                stmt.values([day_text(*d).into(), shard.clone(), 1i64.into()])
                    .map_err(|e| DbErr::Custom(e.to_string()))?;
            }
            stmt.on_conflict(
                OnConflict::columns([t("day"), t("shard")])
                    .value(t("version"), Expr::col((t("stat_dirty"), t("version"))).add(1))
                    .to_owned(),
            );
        } else {
            stmt.columns([t("day"), t("version")]);
            for d in chunk {
                stmt.values([day_text(*d).into(), 1i64.into()])
                    .map_err(|e| DbErr::Custom(e.to_string()))?;
            }
            stmt.on_conflict(
                OnConflict::column(t("day"))
                    .value(t("version"), Expr::col((t("stat_dirty"), t("version"))).add(1))
                    .to_owned(),
            );
        }
        c.execute(&stmt).await?;
    }
    Ok(())
}

/// Marks every day from the earliest stored fact to the latest deadline:
/// what a database that had facts before rollups existed needs once.
pub(crate) async fn mark_history<C: ConnectionTrait>(c: &C) -> Result<()> {
    mark_history_in(c, true).await
}

/// [`mark_history`] on the table as m0014 made it.
pub(crate) async fn mark_history_unsharded<C: ConnectionTrait>(c: &C) -> Result<()> {
    mark_history_in(c, false).await
}

async fn mark_history_in<C: ConnectionTrait>(c: &C, sharded: bool) -> Result<()> {
    let mut first: Option<DateTime<Utc>> = None;
    let mut last: Option<DateTime<Utc>> = None;
    for (table, col) in [
        ("service_case", "completed_at"),
        ("rating", "created_at"),
        ("place_rating", "created_at"),
        ("default_rating", "created_at"),
        ("work_order", "opened_at"),
        ("work_order", "handle_due"),
    ] {
        let q = Query::select()
            .expr_as(Expr::col(t(col)).min(), t("lo"))
            .expr_as(Expr::col(t(col)).max(), t("hi"))
            .from(t(table))
            .to_owned();
        if let Some(row) = c.query_one(&q).await? {
            let lo: Option<DateTime<Utc>> = row.try_get("", "lo").ok().flatten();
            let hi: Option<DateTime<Utc>> = row.try_get("", "hi").ok().flatten();
            first = match (first, lo) {
                (Some(a), Some(b)) => Some(std::cmp::min(a, b)),
                (a, b) => a.or(b),
            };
            last = match (last, hi) {
                (Some(a), Some(b)) => Some(std::cmp::max(a, b)),
                (a, b) => a.or(b),
            };
        }
    }
    if let (Some(a), Some(b)) = (first, last) {
        let (mut d, end) = (day_of(a), day_of(b));
        let mut days = Vec::new();
        // Bounded: 20 years of days at most.
        while d <= end && days.len() < 7400 {
            days.push(d);
            d += Duration::days(1);
        }
        mark_days_in(c, days, sharded).await?;
    }
    Ok(())
}

/// Marks every day with data stale (after rows were loaded with SQL).
pub async fn rebuild(db: &Db) -> Result<()> {
    mark_history(db).await
}

/// Where a read's numbers come from.
pub struct Plan {
    /// Ranges read from the raw rows: dirty days and partial edge days.
    pub raw: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// Whole days from the rollups: `[from_day, to_day)` minus `skip`.
    pub clean: Option<Clean>,
}

pub struct Clean {
    pub from_day: String,
    pub to_day: String,
    pub skip: Vec<String>,
}

/// Splits `[from, to)` into rollup days and raw ranges.
pub async fn plan(db: &Db, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Plan> {
    if to <= from {
        return Ok(Plan {
            raw: Vec::new(),
            clean: None,
        });
    }
    let start = |d: NaiveDate| domain::calendar::start_of(d);
    let mut raw = Vec::new();
    // Whole days inside the range.
    let mut first = day_of(from);
    if start(first) < from {
        first += Duration::days(1);
    }
    // Whole days end where the day `to` falls in begins (`to` is exclusive).
    let last = day_of(to);
    if start(first) >= to || first >= last {
        return Ok(Plan {
            raw: vec![(from, to)],
            clean: None,
        });
    }
    if from < start(first) {
        raw.push((from, start(first)));
    }
    if start(last) < to {
        raw.push((start(last), to));
    }
    let q = Query::select()
        .distinct()
        .column(t("day"))
        .from(t("stat_dirty"))
        .and_where(Expr::col(t("version")).gt(Expr::col(t("done"))))
        .and_where(Expr::col(t("day")).gte(day_text(first)))
        .and_where(Expr::col(t("day")).lt(day_text(last)))
        .order_by(t("day"), Order::Asc)
        .to_owned();
    let rows = db.query_all(&q).await?;
    let mut skip = Vec::new();
    for r in rows {
        let d: String = r.try_get("", "day")?;
        if let Ok(nd) = NaiveDate::parse_from_str(&d, "%Y-%m-%d") {
            raw.push((start(nd), start(nd + Duration::days(1))));
        }
        skip.push(d);
    }
    Ok(Plan {
        raw,
        clean: Some(Clean {
            from_day: day_text(first),
            to_day: day_text(last),
            skip,
        }),
    })
}

fn period_column(p: Period) -> &'static str {
    match p {
        Period::Day => "day",
        Period::Week => "week",
        Period::Month => "month",
        Period::Quarter => "quarter",
        Period::Year => "year",
    }
}

fn dimension_column(d: Dimension) -> &'static str {
    match d {
        Dimension::Unit => "unit_id",
        Dimension::Item => "item_id",
        Dimension::Window => "window_id",
        Dimension::Staff => "staff_id",
        Dimension::Hall => "hall_id",
        Dimension::Region => "region_id",
        Dimension::Channel => "channel",
    }
}

fn tally_of(row: &sea_orm::QueryResult) -> Result<Tally> {
    let mut v = [0u64; 23];
    for (i, c) in COUNTERS.iter().enumerate() {
        // SUM is NUMERIC on PostgreSQL (cast to BIGINT below), INTEGER on SQLite.
        let n: Option<i64> = row.try_get("", c)?;
        v[i] = u64::try_from(n.unwrap_or(0)).unwrap_or(0);
    }
    Ok(Tally {
        completed: v[0],
        rated: v[1],
        levels: [v[2], v[3], v[4], v[5], v[6]],
        default_levels: [v[7], v[8], v[9], v[10], v[11]],
        excluded: v[12],
        flagged: v[13],
        follow_ups: v[14],
        re_ratings: v[15],
        rectified: v[16],
        due: v[17],
        closed_on_time: v[18],
        real_name_bad: v[19],
        real_name_bad_revisited: v[20],
        appeals: v[21],
        appeals_upheld: v[22],
    })
}

fn counters_of(t: &Tally) -> [i64; 23] {
    let l = t.levels;
    let d = t.default_levels;
    [
        t.completed,
        t.rated,
        l[0],
        l[1],
        l[2],
        l[3],
        l[4],
        d[0],
        d[1],
        d[2],
        d[3],
        d[4],
        t.excluded,
        t.flagged,
        t.follow_ups,
        t.re_ratings,
        t.rectified,
        t.due,
        t.closed_on_time,
        t.real_name_bad,
        t.real_name_bad_revisited,
        t.appeals,
        t.appeals_upheld,
    ]
    .map(|n| n as i64)
}

/// Sums the clean days' rollups in `scope`, grouped by the dimension's
/// column and the period's bucket, and hands each group to `add` as the
/// attributes and channel that carry its key.
pub(crate) async fn sums(
    db: &Db,
    scope: &sea_orm::Condition,
    dims: &[Dimension],
    period: Option<Period>,
    clean: &Clean,
    mut add: impl FnMut(Attrs, Option<&str>, String, Tally),
) -> Result<()> {
    let mut q: SelectStatement = Query::select();
    q.from(t("stat_rollup"))
        .and_where(Expr::col(t("day")).gte(clean.from_day.clone()))
        .and_where(Expr::col(t("day")).lt(clean.to_day.clone()))
        .cond_where(scope.clone());
    if !clean.skip.is_empty() {
        q.and_where(Expr::col(t("day")).is_not_in(clean.skip.clone()));
    }
    for (i, d) in dims.iter().enumerate() {
        q.expr_as(Expr::col(t(dimension_column(*d))), t(&format!("k{i}")))
            .group_by_col(t(dimension_column(*d)));
    }
    if let Some(p) = period {
        q.expr_as(Expr::col(t(period_column(p))), t("b")).group_by_col(t(period_column(p)));
    }
    for c in COUNTERS {
        q.expr_as(Expr::col(t(c)).sum().cast_as(t("BIGINT")), t(c));
    }
    let rows = db.query_all(&q).await?;
    for row in rows {
        let tally = tally_of(&row)?;
        if tally == Tally::default() {
            continue;
        }
        let bucket: String = match period {
            Some(_) => row.try_get("", "b")?,
            None => String::new(),
        };
        let mut a = Attrs::default();
        let mut channel: Option<String> = None;
        for (i, d) in dims.iter().enumerate() {
            let col = format!("k{i}");
            if *d == Dimension::Channel {
                let c: String = row.try_get("", &col)?;
                channel = (!c.is_empty()).then_some(c);
                continue;
            }
            let id: Option<i32> = row.try_get("", &col)?;
            match d {
                Dimension::Unit => a.unit = id,
                Dimension::Item => a.item = id,
                Dimension::Window => a.window = id,
                Dimension::Staff => a.staff = id,
                Dimension::Hall => a.hall = id,
                Dimension::Region => a.region = id,
                Dimension::Channel => {}
            }
        }
        add(a, channel.as_deref(), bucket, tally);
    }
    Ok(())
}

/// Recomputes up to `max_days` dirty days (oldest first) before `before`
/// (all when `None`) from the raw rows; returns how many it brought up to date.
///
/// The server's job passes today: today changes with every rating and is read
/// from the raw rows anyway, so recomputing it would only compete with the
/// writes (on SQLite, for the one connection); it is rolled up once it is over.
pub async fn run(db: &Db, max_days: u64, before: Option<NaiveDate>) -> Result<usize> {
    let mut q = Query::select()
        .distinct()
        .column(t("day"))
        .from(t("stat_dirty"))
        .and_where(Expr::col(t("version")).gt(Expr::col(t("done"))))
        .order_by(t("day"), Order::Asc)
        .limit(max_days)
        .to_owned();
    if let Some(b) = before {
        q.and_where(Expr::col(t("day")).lt(day_text(b)));
    }
    let dirty = db.query_all(&q).await?;
    let mut done = 0;
    for row in dirty {
        let day: String = row.try_get("", "day")?;
        let Ok(d) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") else {
            continue;
        };
        // The versions of the day's shards, read before its facts: a mark
        // made after this read leaves its shard (so the day) stale.
        let versions_q = Query::select()
            .columns([t("shard"), t("version")])
            .from(t("stat_dirty"))
            .and_where(Expr::col(t("day")).eq(day.clone()))
            .to_owned();
        let mut versions = Vec::new();
        for r in db.query_all(&versions_q).await? {
            versions.push((r.try_get::<i32>("", "shard")?, r.try_get::<i64>("", "version")?));
        }
        let (from, to) = (domain::calendar::start_of(d), domain::calendar::start_of(d + Duration::days(1)));
        let mut groups: BTreeMap<(Attrs, String), Tally> = BTreeMap::new();
        for f in crate::stats::all_facts(db, from, to).await? {
            *groups.entry((f.a, f.channel.unwrap_or_default())).or_default() += f.t;
        }
        let periods = [Period::Week, Period::Month, Period::Quarter, Period::Year].map(|p| p.bucket(d));
        let txn = db.begin().await?;
        // One server at a time replaces a day (writers wait only for this).
        let lock = Query::select()
            .column(t("version"))
            .from(t("stat_dirty"))
            .and_where(Expr::col(t("day")).eq(day.clone()))
            .lock(sea_orm::sea_query::LockType::Update)
            .to_owned();
        txn.query_all(&lock).await?;
        let del = Query::delete()
            .from_table(t("stat_rollup"))
            .and_where(Expr::col(t("day")).eq(day.clone()))
            .to_owned();
        txn.execute(&del).await?;
        let mut columns = vec![
            "day",
            "week",
            "month",
            "quarter",
            "year",
            "kind",
            "region_id",
            "hall_id",
            "window_id",
            "unit_id",
            "owner_unit_id",
            "item_id",
            "staff_id",
            "client_id",
            "channel",
        ];
        columns.extend(COUNTERS);
        let entries: Vec<_> = groups.into_iter().collect();
        for chunk in entries.chunks(200) {
            let mut ins = Query::insert();
            ins.into_table(t("stat_rollup")).columns(columns.iter().map(|c| t(c)));
            for ((a, channel), tally) in chunk {
                let mut values: Vec<sea_orm::sea_query::SimpleExpr> = vec![
                    day.clone().into(),
                    periods[0].clone().into(),
                    periods[1].clone().into(),
                    periods[2].clone().into(),
                    periods[3].clone().into(),
                    (a.kind as char).to_string().into(),
                    a.region.into(),
                    a.hall.into(),
                    a.window.into(),
                    a.unit.into(),
                    a.owner_unit.into(),
                    a.item.into(),
                    a.staff.into(),
                    a.client.into(),
                    channel.clone().into(),
                ];
                values.extend(counters_of(tally).map(|n| n.into()));
                ins.values(values).map_err(|e| DbErr::Custom(e.to_string()))?;
            }
            txn.execute(&ins).await?;
        }
        let mut cleared = true;
        for (shard, version) in versions {
            let clear = Query::update()
                .table(t("stat_dirty"))
                .value(t("done"), version)
                .and_where(Expr::col(t("day")).eq(day.clone()))
                .and_where(Expr::col(t("shard")).eq(shard))
                .and_where(Expr::col(t("version")).eq(version))
                .to_owned();
            cleared &= txn.execute(&clear).await?.rows_affected() == 1;
        }
        txn.commit().await?;
        // A day marked again meanwhile stays stale for the next run.
        if cleared {
            done += 1;
        }
    }
    Ok(done)
}
