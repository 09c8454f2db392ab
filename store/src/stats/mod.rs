//! Counting the results (issue 14): [`Tally`]s of a reader's scope over a
//! period, whole ([`tally`]) or broken down by a [`Dimension`] and a
//! [`Period`] ([`grouped`]), from the stored rows — case ratings of every
//! channel (each target), static-code and kiosk ratings, default ratings not
//! superseded, and the work orders. What the numbers mean is
//! `domain::indicators`; rollup tables for 10 M ratings come later (issue 14).
//!
//! Per period `[from, to)` (Beijing days decide the buckets):
//! - completed: cases whose `completed_at` falls in it; rated: of those, the
//!   cases with a first rating (any target) that is not excluded — both by
//!   the day of completion, and not split by channel (a case has none);
//! - levels: first ratings (`rating_count` 1, any target, not excluded),
//!   counted static/kiosk ratings not excluded, and defaults not superseded,
//!   each by the time it was made;
//! - kept apart: excluded (upheld appeal), flagged (repeat/burst), follow-ups
//!   (`rating_count` 2), re-ratings (3);
//! - work orders opened in it: rectified = closed with the rating not
//!   excluded; real-name bad and those revisited; appeals (requested, upheld);
//!   due = orders whose handling deadline falls in it, on time = closed by then.
//!
//! What a fact belongs to: a case's unit is its item's unit (as its work
//! order's), its window, hall and region those of its window; a static-code
//! or kiosk rating has a hall, perhaps a window (and that window's unit), no
//! item and no staff member. A region row holds its sub-regions' facts too.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use domain::indicators::{Dimension, Period, Tally};
use domain::Level;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait};

use crate::accounts::{Actor, Scope};
use crate::entities::{
    api_client, default_rating, hall, item, place_rating, rating, region, service_case, service_window, staff, unit, work_order,
    work_order_event,
};
use crate::{Db, Error, Result};

mod day;
mod facts;
mod org;
mod reach;

pub(crate) use day::*;
pub(crate) use facts::*;
pub(crate) use org::*;
pub use reach::ranking_policy;
use reach::*;

/// Who reads the numbers.
#[derive(Debug, Clone, Copy)]
pub enum Reader<'a> {
    /// An administrator: the scope of the role. Window staff: forbidden.
    Admin(&'a Actor),
    /// An API key: the cases it reported, and its granted region or unit.
    Client(i32),
    /// The public page: one region and every region under it.
    Region(i32),
}

/// One row of a breakdown: its key (a code, a job number, a channel code),
/// its name, its period bucket (empty: the whole period) and its tally.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub key: String,
    pub name: String,
    /// The second dimension's key and name (empty without one).
    pub key2: String,
    pub name2: String,
    pub period: String,
    pub tally: Tally,
    /// Rows are ranked among peers of one period: for regions, the
    /// sub-regions of one region (this is its code); otherwise empty.
    pub peers: String,
    /// The composite score (0–100) and the rank among peers; none for halls
    /// and channels, and below the policy's fewest ratings.
    pub score: Option<f64>,
    pub rank: Option<u32>,
}

/// Scores and ranks `rows` (see [`Row::rank`]) by the policy's weights.
pub fn rank(rows: &mut [Row], dim: Dimension, w: &domain::indicators::Weights) {
    if matches!(dim, Dimension::Hall | Dimension::Channel) {
        return;
    }
    for r in rows.iter_mut() {
        r.score = domain::indicators::composite(&r.tally, w);
    }
    let mut groups: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        groups
            .entry((r.period.clone(), format!("{}{SEP}{}", r.peers, r.key2)))
            .or_default()
            .push(i);
    }
    for idx in groups.into_values() {
        let scores: Vec<Option<f64>> = idx.iter().map(|i| rows[*i].score).collect();
        for (i, rank) in idx.iter().zip(domain::indicators::ranks(&scores)) {
            rows[*i].rank = rank;
        }
    }
}

/// The tally of `reader`'s scope over `[from, to)`.
pub async fn tally(db: &Db, actor: &Actor, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Tally> {
    whole(db, Reader::Admin(actor), from, to).await
}

/// The tally of `reader`'s scope over `[from, to)`.
pub async fn whole(db: &Db, reader: Reader<'_>, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Tally> {
    Counter::new(db, reader).await?.whole(from, to).await
}

/// The breakdown of `reader`'s scope over `[from, to)` by `dim` and, when
/// given, `period` buckets; rows in key then period order.
pub async fn grouped(
    db: &Db,
    reader: Reader<'_>,
    dim: Dimension,
    period: Option<Period>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Row>> {
    Counter::new(db, reader).await?.grouped(&[dim], period, from, to).await
}

/// The breakdown by two dimensions (each row of `dims[0]` split by
/// `dims[1]`), by `period` buckets when given.
pub async fn grouped_by(
    db: &Db,
    reader: Reader<'_>,
    dims: &[Dimension],
    period: Option<Period>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Row>> {
    Counter::new(db, reader).await?.grouped(dims, period, from, to).await
}

/// The whole scope by `period` buckets (a trend): one row per bucket.
pub async fn grouped_whole(db: &Db, reader: Reader<'_>, period: Period, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Row>> {
    Counter::new(db, reader).await?.grouped(&[], Some(period), from, to).await
}

/// The breakdown from the raw rows only, never the rollups (what the rollups
/// must always equal; the tests compare the two).
pub async fn grouped_raw(
    db: &Db,
    reader: Reader<'_>,
    dims: &[Dimension],
    period: Option<Period>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Row>> {
    Counter::new(db, reader).await?.count(dims, period, from, to, false).await
}

/// One reader's counting for one page: its scope and the organisation read
/// once, and each raw range (today, a dirty day) read once however many
/// tables, charts and alerts the page draws from it (a statistics page asks
/// 5–10 questions of one period; each used to re-read today's rows).
pub struct Counter<'a> {
    db: &'a Db,
    reach: Reach,
    org: Org,
    raw: HashMap<(DateTime<Utc>, DateTime<Utc>), Vec<Fact>>,
}

impl<'a> Counter<'a> {
    /// The counter of `reader`'s scope (forbidden to window staff).
    pub async fn new(db: &'a Db, reader: Reader<'_>) -> Result<Counter<'a>> {
        Ok(Counter {
            db,
            reach: reach(db, reader).await?,
            org: Org::load(db).await?,
            raw: HashMap::new(),
        })
    }

    /// The tally of the scope over `[from, to)`.
    pub async fn whole(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Tally> {
        let rows = self.count(&[], None, from, to, true).await?;
        Ok(rows.into_iter().map(|r| r.tally).fold(Tally::default(), |mut a, t| {
            a += t;
            a
        }))
    }

    /// The breakdown of the scope over `[from, to)` by none, one or two
    /// dimensions (the second splits each row of the first) and, when given,
    /// `period` buckets; rows in key then period order.
    pub async fn grouped(
        &mut self,
        dims: &[Dimension],
        period: Option<Period>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Row>> {
        self.count(dims, period, from, to, true).await
    }

    async fn count(
        &mut self,
        dims: &[Dimension],
        period: Option<Period>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        rollups: bool,
    ) -> Result<Vec<Row>> {
        let db = self.db;
        let plan = if rollups {
            crate::rollup::plan(db, from, to).await?
        } else {
            crate::rollup::Plan {
                raw: vec![(from, to)],
                clean: None,
            }
        };
        for range in &plan.raw {
            if !self.raw.contains_key(range) {
                let mut out = Vec::new();
                facts(db, &self.reach, &self.org, range.0, range.1, &mut out).await?;
                self.raw.insert(*range, out);
            }
        }
        let (r, org) = (&self.reach, &self.org);
        let mut split = Split {
            dims: dims.to_vec(),
            period,
            org,
            regions: r.regions.as_ref(),
            rows: BTreeMap::new(),
        };
        for range in &plan.raw {
            for f in self.raw.get(range).into_iter().flatten() {
                split.add(&f.a, f.channel.as_deref(), f.at, |t| *t += f.t);
            }
        }
        if let Some(clean) = &plan.clean {
            crate::rollup::sums(db, &r.rollup, dims, period, clean, |a, channel, bucket, t| {
                split.add_bucket(&a, channel, bucket, t)
            })
            .await?;
        }
        let rows = std::mem::take(&mut split.rows);
        Ok(rows
            .into_iter()
            .map(|((key, period), tally)| named_row(org, dims, key, period, tally))
            .collect())
    }
}

/// A split's row with its keys turned to codes and names.
fn named_row(org: &Org, dims: &[Dimension], key: String, period: String, tally: Tally) -> Row {
    let mut parts = key.split(SEP);
    let (k1, k2) = (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("").to_string());
    let dim = dims.first().copied();
    let peers = match dim {
        Some(Dimension::Region) => k1
            .parse::<i32>()
            .ok()
            .and_then(|id| org.regions.get(&id))
            .and_then(|r| r.2)
            .and_then(|p| org.regions.get(&p))
            .map(|p| p.0.clone())
            .unwrap_or_default(),
        _ => String::new(),
    };
    let named = |d: Option<Dimension>, k: String| match d {
        None => (String::new(), String::new()),
        Some(Dimension::Channel) => (k.clone(), k),
        Some(d) => k.parse::<i32>().ok().and_then(|id| org.named(d, id)).unwrap_or((k, String::new())),
    };
    let (key, name) = named(dim, k1);
    let (key2, name2) = named(dims.get(1).copied(), k2);
    Row {
        key,
        name,
        key2,
        name2,
        period,
        tally,
        peers,
        score: None,
        rank: None,
    }
}

/// A region as the public page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionInfo {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub parent: Option<i32>,
}

/// Every active region, by code.
pub async fn regions(db: &Db) -> Result<Vec<RegionInfo>> {
    use sea_orm::QueryOrder;
    Ok(region::Entity::find()
        .filter(region::Column::Active.eq(true))
        .order_by_asc(region::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(|r| RegionInfo {
            id: r.id,
            code: r.code,
            name: r.name,
            parent: r.parent_id,
        })
        .collect())
}
