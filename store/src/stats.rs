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

/// Which rows a reader's scope covers, as conditions per table.
struct Reach {
    cases: Condition,
    places: Condition,
    orders: Condition,
    /// The regions a region row may be shown for (`None`: any).
    regions: Option<HashSet<i32>>,
    /// The region whose policy ranks (the scope's top), if one.
    top: Option<i32>,
    /// The same scope on `stat_rollup`'s columns.
    rollup: Condition,
    /// Everything (no filter needed on the raw rows).
    all: bool,
}

fn rcol(name: &'static str) -> sea_orm::sea_query::Expr {
    sea_orm::sea_query::Expr::col((sea_orm::sea_query::Alias::new("stat_rollup"), sea_orm::sea_query::Alias::new(name)))
}

fn kind_is(k: &'static str) -> Condition {
    use sea_orm::sea_query::ExprTrait;
    Condition::all().add(rcol("kind").eq(k))
}

async fn region_reach<C: ConnectionTrait>(db: &C, ids: Vec<i32>) -> Result<Reach> {
    let codes: Vec<String> = region::Entity::find()
        .select_only()
        .column(region::Column::Code)
        .filter(region::Column::Id.is_in(ids.clone()))
        .into_tuple()
        .all(db)
        .await?;
    let halls: Vec<i32> = hall::Entity::find()
        .select_only()
        .column(hall::Column::Id)
        .filter(hall::Column::RegionId.is_in(ids.clone()))
        .into_tuple()
        .all(db)
        .await?;
    use sea_orm::sea_query::ExprTrait;
    Ok(Reach {
        cases: Condition::all().add(service_case::Column::RegionCode.is_in(codes)),
        places: Condition::all().add(place_rating::Column::HallId.is_in(halls)),
        orders: Condition::all().add(work_order::Column::RegionId.is_in(ids.clone())),
        top: ids.first().copied(),
        rollup: Condition::all().add(rcol("region_id").is_in(ids.clone())),
        regions: Some(ids.into_iter().collect()),
        all: false,
    })
}

async fn unit_reach<C: ConnectionTrait>(db: &C, u: i32) -> Result<Reach> {
    let items: Vec<i32> = item::Entity::find()
        .select_only()
        .column(item::Column::Id)
        .filter(item::Column::UnitId.eq(u))
        .into_tuple()
        .all(db)
        .await?;
    let windows: Vec<i32> = service_window::Entity::find()
        .select_only()
        .column(service_window::Column::Id)
        .filter(service_window::Column::UnitId.eq(u))
        .into_tuple()
        .all(db)
        .await?;
    let top = unit::Entity::find_by_id(u).one(db).await?.map(|u| u.region_id);
    use sea_orm::sea_query::ExprTrait;
    let rollup = Condition::any()
        .add(
            kind_is("c").add(
                Condition::any()
                    .add(rcol("item_id").is_in(items.clone()))
                    .add(rcol("window_id").is_in(windows.clone())),
            ),
        )
        .add(kind_is("p").add(rcol("window_id").is_in(windows.clone())))
        .add(kind_is("o").add(rcol("owner_unit_id").eq(u)));
    Ok(Reach {
        cases: Condition::any()
            .add(service_case::Column::ItemId.is_in(items))
            .add(service_case::Column::WindowId.is_in(windows.clone())),
        places: Condition::all().add(place_rating::Column::WindowId.is_in(windows)),
        orders: Condition::all().add(work_order::Column::UnitId.eq(u)),
        regions: None,
        top,
        rollup,
        all: false,
    })
}

async fn reach<C: ConnectionTrait>(db: &C, reader: Reader<'_>) -> Result<Reach> {
    match reader {
        Reader::Admin(actor) => {
            if !actor.role.is_admin() {
                return Err(Error::Forbidden);
            }
            match &actor.scope {
                Scope::All => {
                    let roots: Vec<i32> = region::Entity::find()
                        .select_only()
                        .column(region::Column::Id)
                        .filter(region::Column::ParentId.is_null())
                        .into_tuple()
                        .all(db)
                        .await?;
                    Ok(Reach {
                        cases: Condition::all(),
                        places: Condition::all(),
                        orders: Condition::all(),
                        regions: None,
                        top: (roots.len() == 1).then(|| roots[0]),
                        rollup: Condition::all(),
                        all: true,
                    })
                }
                Scope::Regions { root, ids } => {
                    let mut ids = ids.clone();
                    ids.retain(|i| i != root);
                    ids.insert(0, *root);
                    region_reach(db, ids).await
                }
                Scope::Unit(u) => unit_reach(db, *u).await,
                Scope::Window(_) => Err(Error::Forbidden),
            }
        }
        Reader::Region(r) => region_reach(db, crate::accounts::region_subtree(db, r).await?).await,
        Reader::Client(client) => {
            let c = api_client::Entity::find_by_id(client).one(db).await?.ok_or(Error::Unauthorized)?;
            let own_cases = Condition::all().add(service_case::Column::ApiClientId.eq(client));
            let own_orders = Condition::all().add(
                work_order::Column::CaseId.in_subquery(
                    service_case::Entity::find()
                        .select_only()
                        .column(service_case::Column::Id)
                        .filter(own_cases.clone())
                        .into_query(),
                ),
            );
            let granted = match (c.scope_region_id, c.scope_unit_id) {
                (Some(r), _) => Some(region_reach(db, crate::accounts::region_subtree(db, r).await?).await?),
                (None, Some(u)) => Some(unit_reach(db, u).await?),
                (None, None) => None,
            };
            use sea_orm::sea_query::ExprTrait;
            let own_rollup = Condition::all()
                .add(rcol("kind").is_in(["c", "o"]))
                .add(rcol("client_id").eq(client));
            Ok(match granted {
                Some(g) => Reach {
                    cases: Condition::any().add(own_cases).add(g.cases),
                    places: g.places,
                    orders: Condition::any().add(own_orders).add(g.orders),
                    regions: g.regions,
                    top: g.top,
                    rollup: Condition::any().add(own_rollup).add(g.rollup),
                    all: false,
                },
                None => Reach {
                    cases: own_cases,
                    // Without a grant, no static-code or kiosk rating is its.
                    places: Condition::all().add(place_rating::Column::Id.eq(-1)),
                    orders: own_orders,
                    regions: None,
                    top: None,
                    rollup: own_rollup,
                    all: false,
                },
            })
        }
    }
}

/// The policy that ranks a reader's rows: that of the scope's top region
/// (the defaults where there is none).
pub async fn ranking_policy(db: &Db, reader: Reader<'_>) -> Result<domain::policy::Policy> {
    Ok(match reach(db, reader).await?.top {
        Some(r) => crate::policies::for_region(db, r).await?.0,
        None => domain::policy::Policy::default(),
    })
}

/// The organisation, loaded once per count (a few thousand rows at most).
#[derive(Default)]
struct Org {
    /// id → (code, name, hall, unit)
    windows: HashMap<i32, (String, String, i32, i32)>,
    /// id → (code, name, region)
    halls: HashMap<i32, (String, String, i32)>,
    /// id → (code, name, unit)
    items: HashMap<i32, (String, String, i32)>,
    staff: HashMap<i32, (String, String)>,
    units: HashMap<i32, (String, String)>,
    /// id → (code, name, parent)
    regions: HashMap<i32, (String, String, Option<i32>)>,
    region_by_code: HashMap<String, i32>,
}

impl Org {
    async fn load<C: ConnectionTrait>(db: &C) -> Result<Org> {
        let mut o = Org::default();
        for w in service_window::Entity::find().all(db).await? {
            o.windows.insert(w.id, (w.code, w.name, w.hall_id, w.unit_id));
        }
        for h in hall::Entity::find().all(db).await? {
            o.halls.insert(h.id, (h.code, h.name, h.region_id));
        }
        for i in item::Entity::find().all(db).await? {
            o.items.insert(i.id, (i.code, i.name, i.unit_id));
        }
        for s in staff::Entity::find().all(db).await? {
            o.staff.insert(s.id, (s.number, s.name));
        }
        for u in unit::Entity::find().all(db).await? {
            o.units.insert(u.id, (u.code, u.name));
        }
        for r in region::Entity::find().all(db).await? {
            o.region_by_code.insert(r.code.clone(), r.id);
            o.regions.insert(r.id, (r.code, r.name, r.parent_id));
        }
        Ok(o)
    }

    /// What a case belongs to.
    fn case(&self, window: i32, item: i32, staff: Option<i32>, region_code: &str, client: i32) -> Attrs {
        let hall = self.windows.get(&window).map(|w| w.2);
        Attrs {
            kind: b'c',
            owner_unit: None,
            client: Some(client),
            window: Some(window),
            hall,
            region: self
                .region_by_code
                .get(region_code)
                .copied()
                .or_else(|| hall.and_then(|h| self.halls.get(&h)).map(|h| h.2)),
            unit: self
                .items
                .get(&item)
                .map(|i| i.2)
                .or_else(|| self.windows.get(&window).map(|w| w.3)),
            item: Some(item),
            staff,
        }
    }

    /// What a static-code or kiosk rating belongs to.
    fn place(&self, hall: i32, window: Option<i32>) -> Attrs {
        Attrs {
            kind: b'p',
            owner_unit: None,
            client: None,
            window,
            hall: Some(hall),
            region: self.halls.get(&hall).map(|h| h.2),
            unit: window.and_then(|w| self.windows.get(&w)).map(|w| w.3),
            item: None,
            staff: None,
        }
    }

    /// The (key, name) a row of `dim` has, for one id.
    fn named(&self, dim: Dimension, id: i32) -> Option<(String, String)> {
        let pick = |v: Option<(&String, &String)>| v.map(|(c, n)| (c.clone(), n.clone()));
        match dim {
            Dimension::Unit => pick(self.units.get(&id).map(|u| (&u.0, &u.1))),
            Dimension::Item => pick(self.items.get(&id).map(|i| (&i.0, &i.1))),
            Dimension::Window => pick(self.windows.get(&id).map(|w| (&w.0, &w.1))),
            Dimension::Staff => pick(self.staff.get(&id).map(|s| (&s.0, &s.1))),
            Dimension::Hall => pick(self.halls.get(&id).map(|h| (&h.0, &h.1))),
            Dimension::Region => pick(self.regions.get(&id).map(|r| (&r.0, &r.1))),
            Dimension::Channel => None,
        }
    }
}

/// Joins the keys of two dimensions inside a row key.
const SEP: char = '\u{1f}';

/// What one fact belongs to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Attrs {
    /// `c` case facts, `p` static-code/kiosk ratings, `o` work orders.
    pub(crate) kind: u8,
    pub(crate) owner_unit: Option<i32>,
    pub(crate) client: Option<i32>,
    pub(crate) window: Option<i32>,
    pub(crate) hall: Option<i32>,
    pub(crate) region: Option<i32>,
    pub(crate) unit: Option<i32>,
    pub(crate) item: Option<i32>,
    pub(crate) staff: Option<i32>,
}

/// How facts are split: by nothing (one row), or by a dimension.
struct Split<'a> {
    /// None, one, or two dimensions (the second splits each row of the first).
    dims: Vec<Dimension>,
    period: Option<Period>,
    org: &'a Org,
    regions: Option<&'a HashSet<i32>>,
    rows: BTreeMap<(String, String), Tally>,
}

impl Split<'_> {
    /// The row keys of a fact (none: the fact has no such thing, e.g. a
    /// static-code rating has no item).
    fn keys(&self, a: &Attrs, channel: Option<&str>) -> Vec<String> {
        let mut out = vec![String::new()];
        for (i, d) in self.dims.iter().enumerate() {
            let mine = self.keys_of(*d, a, channel);
            out = out
                .iter()
                .flat_map(|k| mine.iter().map(move |m| if i == 0 { m.clone() } else { format!("{k}{SEP}{m}") }))
                .collect();
        }
        out
    }

    /// The keys of one dimension (none: the fact has no such thing, e.g. a
    /// static-code rating has no item).
    fn keys_of(&self, dim: Dimension, a: &Attrs, channel: Option<&str>) -> Vec<String> {
        let one = |id: Option<i32>| id.map(|i| vec![i.to_string()]).unwrap_or_default();
        match dim {
            Dimension::Unit => one(a.unit),
            Dimension::Item => one(a.item),
            Dimension::Window => one(a.window),
            Dimension::Staff => one(a.staff),
            Dimension::Hall => one(a.hall),
            Dimension::Channel => channel.map(|c| vec![c.to_string()]).unwrap_or_default(),
            Dimension::Region => {
                // The region and every region above it (within the reader's scope).
                let mut out = Vec::new();
                let mut at = a.region;
                for _ in 0..32 {
                    let Some(r) = at else { break };
                    if self.regions.is_none_or(|s| s.contains(&r)) {
                        out.push(r.to_string());
                    }
                    at = self.org.regions.get(&r).and_then(|x| x.2);
                }
                out
            }
        }
    }

    fn bucket(&self, at: DateTime<Utc>) -> String {
        match self.period {
            None => String::new(),
            Some(p) => p.bucket(day_of(at)),
        }
    }

    /// Adds one fact to every row it belongs to.
    fn add(&mut self, a: &Attrs, channel: Option<&str>, at: DateTime<Utc>, f: impl Fn(&mut Tally)) {
        let bucket = self.bucket(at);
        for k in self.keys(a, channel) {
            f(self.rows.entry((k, bucket.clone())).or_default());
        }
    }

    /// Adds counts already bucketed (from the rollups).
    fn add_bucket(&mut self, a: &Attrs, channel: Option<&str>, bucket: String, t: Tally) {
        for k in self.keys(a, channel) {
            *self.rows.entry((k, bucket.clone())).or_default() += t;
        }
    }
}

fn day_of(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&crate::console::china()).date_naive()
}

fn level(code: &str) -> Result<Level> {
    crate::columns::level(code)
}

/// Cases by id, in chunks (the attributes of the facts that name them).
/// (window, item, staff, region code, reporting system) of a case.
type CaseAttrs = (i32, i32, Option<i32>, String, i32);

async fn cases_by_id<C: ConnectionTrait>(db: &C, ids: HashSet<i32>) -> Result<HashMap<i32, CaseAttrs>> {
    let ids: Vec<i32> = ids.into_iter().collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i32, i32, i32, Option<i32>, String, i32)> = service_case::Entity::find()
            .select_only()
            .column(service_case::Column::Id)
            .column(service_case::Column::WindowId)
            .column(service_case::Column::ItemId)
            .column(service_case::Column::StaffId)
            .column(service_case::Column::RegionCode)
            .column(service_case::Column::ApiClientId)
            .filter(service_case::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        for (id, w, i, s, r, c) in rows {
            out.insert(id, (w, i, s, r, c));
        }
    }
    Ok(out)
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
    let rows = count(db, reader, &[], None, from, to).await?;
    Ok(rows.into_iter().map(|r| r.tally).fold(Tally::default(), |mut a, t| {
        a += t;
        a
    }))
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
    count(db, reader, &[dim], period, from, to).await
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
    count(db, reader, dims, period, from, to).await
}

/// The whole scope by `period` buckets (a trend): one row per bucket.
pub async fn grouped_whole(db: &Db, reader: Reader<'_>, period: Period, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Row>> {
    count(db, reader, &[], Some(period), from, to).await
}

/// (case, window, item, staff, region code, completed at, reporting system)
type CaseAt = (i32, i32, i32, Option<i32>, String, DateTime<Utc>, i32);
/// (case, level, rating count, excluded at, channel, created at)
type RatingFact = (i32, String, i32, Option<DateTime<Utc>>, String, DateTime<Utc>);
/// (hall, window, level, counted, excluded at, channel, created at)
type PlaceFact = (i32, Option<i32>, String, bool, Option<DateTime<Utc>>, String, DateTime<Utc>);

/// One fact: what it belongs to, its channel, when it counts, and its counts.
pub(crate) struct Fact {
    pub(crate) a: Attrs,
    pub(crate) channel: Option<String>,
    pub(crate) at: DateTime<Utc>,
    pub(crate) t: Tally,
}

fn push(out: &mut Vec<Fact>, a: &Attrs, channel: Option<&str>, at: DateTime<Utc>, f: impl FnOnce(&mut Tally)) {
    let mut t = Tally::default();
    f(&mut t);
    out.push(Fact {
        a: *a,
        channel: channel.map(str::to_string),
        at,
        t,
    });
}

/// Every fact of `r`'s scope whose time falls in `[from, to)`, from the raw rows.
async fn facts(db: &Db, r: &Reach, org: &Org, from: DateTime<Utc>, to: DateTime<Utc>, out: &mut Vec<Fact>) -> Result<()> {
    let in_scope = || {
        service_case::Entity::find()
            .select_only()
            .column(service_case::Column::Id)
            .filter(r.cases.clone())
            .into_query()
    };

    // Cases completed in the period, and which of them are rated.
    let completed: Vec<CaseAt> = service_case::Entity::find()
        .select_only()
        .column(service_case::Column::Id)
        .column(service_case::Column::WindowId)
        .column(service_case::Column::ItemId)
        .column(service_case::Column::StaffId)
        .column(service_case::Column::RegionCode)
        .column(service_case::Column::CompletedAt)
        .column(service_case::Column::ApiClientId)
        .filter(r.cases.clone())
        .filter(service_case::Column::CompletedAt.gte(from))
        .filter(service_case::Column::CompletedAt.lt(to))
        .into_tuple()
        .all(db)
        .await?;
    let completed_q = service_case::Entity::find()
        .select_only()
        .column(service_case::Column::Id)
        .filter(r.cases.clone())
        .filter(service_case::Column::CompletedAt.gte(from))
        .filter(service_case::Column::CompletedAt.lt(to))
        .into_query();
    let rated: HashSet<i32> = rating::Entity::find()
        .select_only()
        .column(rating::Column::CaseId)
        .filter(rating::Column::RatingCount.eq(1))
        .filter(rating::Column::ExcludedAt.is_null())
        .filter(rating::Column::CaseId.in_subquery(completed_q))
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    for (id, w, i, s, region_code, at, client) in completed {
        let a = org.case(w, i, s, &region_code, client);
        let is_rated = rated.contains(&id);
        push(out, &a, None, at, |t| {
            t.completed += 1;
            if is_rated {
                t.rated += 1;
            }
        });
    }

    // Case ratings made in the period.
    let rows: Vec<RatingFact> = rating::Entity::find()
        .select_only()
        .column(rating::Column::CaseId)
        .column(rating::Column::Level)
        .column(rating::Column::RatingCount)
        .column(rating::Column::ExcludedAt)
        .column(rating::Column::Channel)
        .column(rating::Column::CreatedAt)
        .filter(rating::Column::CreatedAt.gte(from))
        .filter(rating::Column::CreatedAt.lt(to))
        .apply_if((!r.all).then(in_scope), |q, sub| q.filter(rating::Column::CaseId.in_subquery(sub)))
        .into_tuple()
        .all(db)
        .await?;
    // Defaults given in the period and not superseded by an active rating.
    let defaults: Vec<(i32, String, DateTime<Utc>)> = default_rating::Entity::find()
        .select_only()
        .column(default_rating::Column::CaseId)
        .column(default_rating::Column::Level)
        .column(default_rating::Column::CreatedAt)
        .filter(default_rating::Column::CreatedAt.gte(from))
        .filter(default_rating::Column::CreatedAt.lt(to))
        .filter(default_rating::Column::SupersededBy.is_null())
        .apply_if((!r.all).then(in_scope), |q, sub| {
            q.filter(default_rating::Column::CaseId.in_subquery(sub))
        })
        .into_tuple()
        .all(db)
        .await?;
    let mut ids: HashSet<i32> = rows.iter().map(|r| r.0).collect();
    ids.extend(defaults.iter().map(|d| d.0));
    let cases = cases_by_id(db, ids).await?;
    let attrs = |case_id: i32| {
        cases
            .get(&case_id)
            .map(|(w, i, s, rc, c)| org.case(*w, *i, *s, rc, *c))
            .unwrap_or_default()
    };
    for (case_id, l, n, excluded, channel, at) in rows {
        let a = attrs(case_id);
        let l = level(&l)?;
        push(out, &a, Some(&channel), at, |t| match (n, excluded) {
            (_, Some(_)) => t.excluded += 1,
            (1, None) => t.count(l, false),
            (2, None) => t.follow_ups += 1,
            _ => t.re_ratings += 1,
        });
    }
    for (case_id, l, at) in defaults {
        let a = attrs(case_id);
        let l = level(&l)?;
        push(out, &a, Some(domain::Channel::Default.code()), at, |t| t.count(l, true));
    }

    // Static-code and kiosk ratings.
    let places: Vec<PlaceFact> = place_rating::Entity::find()
        .select_only()
        .column(place_rating::Column::HallId)
        .column(place_rating::Column::WindowId)
        .column(place_rating::Column::Level)
        .column(place_rating::Column::Counted)
        .column(place_rating::Column::ExcludedAt)
        .column(place_rating::Column::Channel)
        .column(place_rating::Column::CreatedAt)
        .filter(r.places.clone())
        .filter(place_rating::Column::CreatedAt.gte(from))
        .filter(place_rating::Column::CreatedAt.lt(to))
        .into_tuple()
        .all(db)
        .await?;
    for (hall_id, window, l, counted, excluded, channel, at) in places {
        let a = org.place(hall_id, window);
        let l = level(&l)?;
        push(out, &a, Some(&channel), at, |t| match (counted, excluded) {
            (_, Some(_)) => t.excluded += 1,
            (true, None) => t.count(l, false),
            (false, None) => t.flagged += 1,
        });
    }

    // Work orders opened in the period, and those due in it.
    let orders = work_order::Entity::find()
        .filter(r.orders.clone())
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(work_order::Column::OpenedAt.gte(from))
                        .add(work_order::Column::OpenedAt.lt(to)),
                )
                .add(
                    Condition::all()
                        .add(work_order::Column::HandleDue.gte(from))
                        .add(work_order::Column::HandleDue.lt(to)),
                ),
        )
        .all(db)
        .await?;
    let order_cases = cases_by_id(db, orders.iter().filter_map(|o| o.case_id).collect()).await?;
    let place_ids: Vec<i32> = orders.iter().filter_map(|o| o.place_rating_id).collect();
    let mut place_windows: HashMap<i32, Option<i32>> = HashMap::new();
    for chunk in place_ids.chunks(500) {
        let rows: Vec<(i32, Option<i32>)> = place_rating::Entity::find()
            .select_only()
            .column(place_rating::Column::Id)
            .column(place_rating::Column::WindowId)
            .filter(place_rating::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        place_windows.extend(rows);
    }
    let opened_ids: Vec<i32> = orders
        .iter()
        .filter(|o| o.opened_at >= from && o.opened_at < to)
        .map(|o| o.id)
        .collect();
    let mut appealed = HashSet::new();
    for chunk in opened_ids.chunks(500) {
        let rows: Vec<i32> = work_order_event::Entity::find()
            .select_only()
            .column(work_order_event::Column::OrderId)
            .filter(work_order_event::Column::OrderId.is_in(chunk.to_vec()))
            .filter(work_order_event::Column::ToState.eq(domain::work_order::State::AppealRequested.code()))
            .into_tuple()
            .all(db)
            .await?;
        appealed.extend(rows);
    }
    let closed = domain::work_order::State::Closed.code();
    for o in &orders {
        let mut a = match (o.case_id, o.place_rating_id) {
            (Some(c), _) => order_cases
                .get(&c)
                .map(|(w, i, s, rc, c)| org.case(*w, *i, *s, rc, *c))
                .unwrap_or_default(),
            (None, Some(p)) => org.place(o.hall_id, place_windows.get(&p).copied().flatten()),
            (None, None) => org.place(o.hall_id, None),
        };
        a.unit = o.unit_id.or(a.unit);
        // An order belongs to its own region, hall and owning unit (its scope).
        a.kind = b'o';
        a.owner_unit = o.unit_id;
        a.region = Some(o.region_id);
        a.hall = Some(o.hall_id);
        if o.case_id.is_none() {
            a.client = None;
        }
        if o.opened_at >= from && o.opened_at < to {
            let appeal = appealed.contains(&o.id);
            push(out, &a, Some(&o.channel), o.opened_at, |t| {
                if appeal {
                    t.appeals += 1;
                }
                if o.rating_excluded {
                    t.appeals_upheld += 1;
                    return;
                }
                if o.state == closed {
                    t.rectified += 1;
                }
                if o.real_name {
                    t.real_name_bad += 1;
                    if o.revisits > 0 {
                        t.real_name_bad_revisited += 1;
                    }
                }
            });
        }
        if let Some(due) = o.handle_due.filter(|d| *d >= from && *d < to && !o.rating_excluded) {
            let on_time = o.closed_at.is_some_and(|c| c <= due);
            push(out, &a, Some(&o.channel), due, |t| {
                t.due += 1;
                if on_time {
                    t.closed_on_time += 1;
                }
            });
        }
    }

    Ok(())
}

/// Every fact whose time falls in `[from, to)`, whatever its scope (for the rollup job).
pub(crate) async fn all_facts(db: &Db, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Fact>> {
    let org = Org::load(db).await?;
    let r = Reach {
        cases: Condition::all(),
        places: Condition::all(),
        orders: Condition::all(),
        regions: None,
        top: None,
        rollup: Condition::all(),
        all: true,
    };
    let mut out = Vec::new();
    facts(db, &r, &org, from, to, &mut out).await?;
    Ok(out)
}

async fn count(
    db: &Db,
    reader: Reader<'_>,
    dims: &[Dimension],
    period: Option<Period>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Row>> {
    count_with(db, reader, dims, period, from, to, true).await
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
    count_with(db, reader, dims, period, from, to, false).await
}

async fn count_with(
    db: &Db,
    reader: Reader<'_>,
    dims: &[Dimension],
    period: Option<Period>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    rollups: bool,
) -> Result<Vec<Row>> {
    let r = reach(db, reader).await?;
    let org = Org::load(db).await?;
    let mut split = Split {
        dims: dims.to_vec(),
        period,
        org: &org,
        regions: r.regions.as_ref(),
        rows: BTreeMap::new(),
    };
    let plan = if rollups {
        crate::rollup::plan(db, from, to).await?
    } else {
        crate::rollup::Plan {
            raw: vec![(from, to)],
            clean: None,
        }
    };
    for (a, b) in &plan.raw {
        let mut out = Vec::new();
        facts(db, &r, &org, *a, *b, &mut out).await?;
        for f in out {
            split.add(&f.a, f.channel.as_deref(), f.at, |t| *t += f.t);
        }
    }
    if let Some(clean) = &plan.clean {
        crate::rollup::sums(db, &r.rollup, dims, period, clean, |a, channel, bucket, t| {
            split.add_bucket(&a, channel, bucket, t)
        })
        .await?;
    }

    // Keys to codes and names.
    let rows = std::mem::take(&mut split.rows);
    Ok(rows
        .into_iter()
        .map(|((key, period), tally)| {
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
        })
        .collect())
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
