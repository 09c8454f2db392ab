//! Every rating, from every source (issue 14): case ratings of every channel
//! (`rating`), static-code and kiosk ratings (`place_rating`) and default
//! ratings (`default_rating`), as one list for `/admin/ratings` (newest first)
//! and `GET /api/v1/ratings` (oldest first).
//!
//! One order over the three tables: (`created_at`, source, id), source in
//! [`Source`] order. Paging is by keyset — a [`Cursor`] names the last row
//! shown — never by offset, so a page costs the same at row 10 and at row
//! 10 million, and rows written meanwhile are neither skipped nor repeated
//! (a row is found after a cursor when it is stored at a later instant than
//! the cursor's row: `created_at` is the server's clock at the write).
//!
//! Who reads decides what is listed ([`Reader`]): an administrator's scope
//! (the same rule as the statistics, `crate::stats`), or an API key's cases
//! and granted scope (`crate::keys::granted`). Window staff read nothing here.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::values::mask_phone;
use domain::Level;
use sea_orm::{ColumnTrait, Condition, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait};

use crate::accounts::Actor;
use crate::crypto::DataKey;
use crate::entities::{
    api_client, default_rating, hall, item, place_rating, rating, region, service_case, service_window, staff, unit, work_order,
};
use crate::{Db, Error, Reason, Result};

/// Which table a rating lives in; also its place in the order of rows made
/// at the same instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// A rating of a case (any channel but static codes, kiosks and defaults).
    Case,
    /// A static-code or kiosk rating of a window or hall, without a case.
    Place,
    /// The default rating of a case nobody rated in time.
    Default,
}

impl Source {
    pub fn code(self) -> &'static str {
        match self {
            Source::Case => "case",
            Source::Place => "place",
            Source::Default => "default",
        }
    }

    fn letter(self) -> char {
        match self {
            Source::Case => 'c',
            Source::Place => 'p',
            Source::Default => 'd',
        }
    }

    fn from_letter(c: &str) -> Option<Source> {
        match c {
            "c" => Some(Source::Case),
            "p" => Some(Source::Place),
            "d" => Some(Source::Default),
            _ => None,
        }
    }
}

/// The last row of a page: the next page starts after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    pub source: Source,
    pub id: i32,
}

impl Cursor {
    /// `NANOS.S.ID`: nanoseconds since 1970, the source letter, the row id.
    pub fn encode(&self) -> String {
        let nanos = self.at.timestamp_nanos_opt().unwrap_or_default();
        format!("{nanos}.{}.{}", self.source.letter(), self.id)
    }

    /// A cursor this module encoded; anything else is `None`.
    pub fn decode(s: &str) -> Option<Cursor> {
        let mut parts = s.trim().split('.');
        let nanos: i64 = parts.next()?.parse().ok()?;
        let source = Source::from_letter(parts.next()?)?;
        let id: i32 = parts.next()?.parse().ok().filter(|n| *n >= 0)?;
        if parts.next().is_some() || nanos < 0 {
            return None;
        }
        Some(Cursor {
            at: DateTime::from_timestamp_nanos(nanos),
            source,
            id,
        })
    }

    fn of(line: &Line) -> Cursor {
        Cursor {
            at: line.created_at,
            source: line.source,
            id: line.id,
        }
    }
}

/// The cursor an older `GET /api/v1/ratings` client holds: a case rating's
/// id. It names the same place in the new order (that rating's instant).
pub async fn legacy_cursor(db: &Db, rating_id: i32) -> Result<Cursor> {
    let at: Option<DateTime<Utc>> = rating::Entity::find_by_id(rating_id)
        .select_only()
        .column(rating::Column::CreatedAt)
        .into_tuple()
        .one(db)
        .await?;
    Ok(Cursor {
        at: at.unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
        source: Source::Case,
        id: rating_id,
    })
}

/// Only rows with this mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Static-code and kiosk ratings flagged as repeat or burst (not counted).
    Flagged,
    /// Ratings excluded after an upheld appeal.
    Excluded,
    /// Default ratings.
    Default,
}

impl Mark {
    pub fn parse(s: &str) -> Option<Mark> {
        match s {
            "flagged" => Some(Mark::Flagged),
            "excluded" => Some(Mark::Excluded),
            "default" => Some(Mark::Default),
            _ => None,
        }
    }
}

/// What to list; every field narrows. Codes are the organisation's codes
/// (`staff` is a job number, `case` a case number).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub region: Option<String>,
    pub hall: Option<String>,
    pub unit: Option<String>,
    pub window: Option<String>,
    pub staff: Option<String>,
    pub item: Option<String>,
    pub case: Option<String>,
    pub channel: Option<domain::Channel>,
    pub level: Option<Level>,
    pub mark: Option<Mark>,
}

/// Who reads.
#[derive(Debug, Clone, Copy)]
pub enum Reader<'a> {
    Admin(&'a Actor),
    Client(i32),
}

/// Newest first (pages) or oldest first (the API, for polling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    NewestFirst,
    OldestFirst,
}

/// One rating, whatever its source.
#[derive(Debug, Clone)]
pub struct Line {
    pub source: Source,
    pub id: i32,
    pub case_number: Option<String>,
    pub region_code: String,
    /// (code, name)
    pub hall: Option<(String, String)>,
    pub window: Option<(String, String)>,
    pub unit: Option<(String, String)>,
    pub item: Option<(String, String)>,
    /// (job number, name)
    pub staff: Option<(String, String)>,
    pub level: Level,
    pub score: i32,
    pub channel: String,
    pub target: String,
    pub tags: Vec<String>,
    /// As the rater wrote it: mask it (`domain::values::mask_personal`)
    /// wherever it is shown outside its work order.
    pub comment: Option<String>,
    pub rating_count: i32,
    pub catalog_version: Option<i32>,
    pub phone_masked: Option<String>,
    pub real_name: bool,
    pub transactions: Option<i32>,
    pub completed_at: Option<DateTime<Utc>>,
    /// When the citizen rated (a kiosk's queued time, else when stored).
    pub rated_at: DateTime<Utc>,
    /// When it was stored: the order of the list.
    pub created_at: DateTime<Utc>,
    /// `same_browser`, `burst` or `device_burst`: kept, not counted.
    pub flagged: Option<String>,
    /// Excluded after an upheld appeal.
    pub excluded: bool,
    /// A default rating an active rating replaced.
    pub superseded: bool,
    pub work_order_id: Option<i32>,
}

/// Where each source may be read from, after scope and filter.
struct Where {
    /// The reader's cases (for case and default ratings).
    cases: Condition,
    /// The filter's conditions on cases; `None`: no case can match.
    filter: Option<Condition>,
    /// An API key also reads the ratings it pushed, on any case.
    pushed_by: Option<i32>,
    /// The reader sees every case (no scope condition on the raw rows).
    everything: bool,
    /// An API key's granted region or unit, on cases.
    grant: Option<Condition>,
    /// Whether the filter names cases (else no case subquery is needed).
    filtered: bool,
    /// Static-code and kiosk ratings; `None`: none can match.
    places: Option<Condition>,
}

impl Where {
    fn new(cases: Condition, pushed_by: Option<i32>, places: Option<Condition>) -> Where {
        Where {
            cases,
            filter: Some(Condition::all()),
            pushed_by,
            everything: false,
            grant: None,
            filtered: false,
            places,
        }
    }
}

async fn ids_of_unit(db: &Db, unit_id: i32) -> Result<(Vec<i32>, Vec<i32>)> {
    let items: Vec<i32> = item::Entity::find()
        .select_only()
        .column(item::Column::Id)
        .filter(item::Column::UnitId.eq(unit_id))
        .into_tuple()
        .all(db)
        .await?;
    let windows: Vec<i32> = service_window::Entity::find()
        .select_only()
        .column(service_window::Column::Id)
        .filter(service_window::Column::UnitId.eq(unit_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok((items, windows))
}

async fn region_reach(db: &Db, ids: Vec<i32>) -> Result<(Condition, Condition)> {
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
        .filter(hall::Column::RegionId.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok((
        Condition::all().add(service_case::Column::RegionCode.is_in(codes)),
        Condition::all().add(place_rating::Column::HallId.is_in(halls)),
    ))
}

async fn unit_reach(db: &Db, unit_id: i32) -> Result<(Condition, Condition)> {
    let (items, windows) = ids_of_unit(db, unit_id).await?;
    Ok((
        Condition::any()
            .add(service_case::Column::ItemId.is_in(items))
            .add(service_case::Column::WindowId.is_in(windows.clone())),
        Condition::all().add(place_rating::Column::WindowId.is_in(windows)),
    ))
}

fn unknown(field: &'static str) -> Error {
    Error::invalid(field, Reason::Unknown(field.to_string()))
}

/// The reader's reach.
async fn scope(db: &Db, reader: Reader<'_>) -> Result<Where> {
    use crate::accounts::Scope;
    Ok(match reader {
        Reader::Admin(actor) => {
            if !actor.role.is_admin() {
                return Err(Error::Forbidden);
            }
            match &actor.scope {
                Scope::All => Where {
                    everything: true,
                    ..Where::new(Condition::all(), None, Some(Condition::all()))
                },
                Scope::Regions { ids, .. } => {
                    let (c, p) = region_reach(db, ids.clone()).await?;
                    Where::new(c, None, Some(p))
                }
                Scope::Unit(u) => {
                    let (c, p) = unit_reach(db, *u).await?;
                    Where::new(c, None, Some(p))
                }
                Scope::Window(_) => return Err(Error::Forbidden),
            }
        }
        Reader::Client(client) => {
            let Some(c) = api_client::Entity::find_by_id(client).one(db).await? else {
                return Err(Error::Unauthorized);
            };
            // Its own cases (and, for case ratings, what it pushed); a granted
            // region or unit adds that scope's cases and places.
            let own = Condition::all().add(service_case::Column::ApiClientId.eq(client));
            let (cases, places, grant) = match (c.scope_region_id, c.scope_unit_id) {
                (Some(r), _) => {
                    let ids = crate::accounts::region_subtree(db, r).await?;
                    let (cc, p) = region_reach(db, ids).await?;
                    (Condition::any().add(own).add(cc.clone()), Some(p), Some(cc))
                }
                (None, Some(u)) => {
                    let (cc, p) = unit_reach(db, u).await?;
                    (Condition::any().add(own).add(cc.clone()), Some(p), Some(cc))
                }
                (None, None) => (own, None, None),
            };
            Where {
                grant,
                ..Where::new(cases, Some(client), places)
            }
        }
    })
}

/// Narrows `w` by the filter's codes; an unknown code is a 422 on its field.
async fn narrow(db: &Db, mut w: Where, f: &Filter) -> Result<Where> {
    fn and(c: Option<Condition>, more: Condition) -> Option<Condition> {
        c.map(|c| c.add(more))
    }
    let some = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    if let Some(code) = some(&f.region) {
        let r = region::Entity::find()
            .filter(region::Column::Code.eq(code))
            .one(db)
            .await?
            .ok_or_else(|| unknown("region"))?;
        let ids = crate::accounts::region_subtree(db, r.id).await?;
        let (c, p) = region_reach(db, ids).await?;
        w.filter = and(w.filter, c);
        w.places = and(w.places, p);
    }
    if let Some(code) = some(&f.hall) {
        let h = hall::Entity::find()
            .filter(hall::Column::Code.eq(code))
            .one(db)
            .await?
            .ok_or_else(|| unknown("hall"))?;
        let windows: Vec<i32> = service_window::Entity::find()
            .select_only()
            .column(service_window::Column::Id)
            .filter(service_window::Column::HallId.eq(h.id))
            .into_tuple()
            .all(db)
            .await?;
        w.filter = and(w.filter, Condition::all().add(service_case::Column::WindowId.is_in(windows)));
        w.places = and(w.places, Condition::all().add(place_rating::Column::HallId.eq(h.id)));
    }
    if let Some(code) = some(&f.unit) {
        let u = unit::Entity::find()
            .filter(unit::Column::Code.eq(code))
            .one(db)
            .await?
            .ok_or_else(|| unknown("unit"))?;
        let (c, p) = unit_reach(db, u.id).await?;
        w.filter = and(w.filter, c);
        w.places = and(w.places, p);
    }
    if let Some(code) = some(&f.window) {
        let win = service_window::Entity::find()
            .filter(service_window::Column::Code.eq(code))
            .one(db)
            .await?
            .ok_or_else(|| unknown("window"))?;
        w.filter = and(w.filter, Condition::all().add(service_case::Column::WindowId.eq(win.id)));
        w.places = and(w.places, Condition::all().add(place_rating::Column::WindowId.eq(win.id)));
    }
    if let Some(number) = some(&f.staff) {
        let s = staff::Entity::find()
            .filter(staff::Column::Number.eq(number))
            .one(db)
            .await?
            .ok_or_else(|| unknown("staff"))?;
        w.filter = and(w.filter, Condition::all().add(service_case::Column::StaffId.eq(s.id)));
        w.places = None;
    }
    if let Some(code) = some(&f.item) {
        let i = item::Entity::find()
            .filter(item::Column::Code.eq(code))
            .one(db)
            .await?
            .ok_or_else(|| unknown("item"))?;
        w.filter = and(w.filter, Condition::all().add(service_case::Column::ItemId.eq(i.id)));
        w.places = None;
    }
    w.filtered = [&f.region, &f.hall, &f.unit, &f.window, &f.staff, &f.item, &f.case]
        .iter()
        .any(|v| some(v).is_some());
    if let Some(number) = some(&f.case) {
        w.filter = and(w.filter, Condition::all().add(service_case::Column::CaseNumber.eq(number)));
        w.places = None;
    }
    Ok(w)
}

/// Rows after `cursor` in `dir`, for a source of rank `source` whose time
/// and id columns are given.
fn after<C: ColumnTrait>(at: C, id: C, source: Source, cursor: Option<Cursor>, dir: Direction) -> Condition {
    let Some(c) = cursor else {
        return Condition::all();
    };
    let newest = dir == Direction::NewestFirst;
    let time_beyond = if newest { at.lt(c.at) } else { at.gt(c.at) };
    let ahead = if newest { source < c.source } else { source > c.source };
    if source == c.source {
        let id_beyond = if newest { id.lt(c.id) } else { id.gt(c.id) };
        Condition::any()
            .add(time_beyond)
            .add(Condition::all().add(at.eq(c.at)).add(id_beyond))
    } else if ahead {
        Condition::all().add(if newest { at.lte(c.at) } else { at.gte(c.at) })
    } else {
        Condition::all().add(time_beyond)
    }
}

fn order(dir: Direction) -> Order {
    match dir {
        Direction::NewestFirst => Order::Desc,
        Direction::OldestFirst => Order::Asc,
    }
}

/// One page of `limit` (1–500) ratings after `cursor`, and the cursor of the
/// next page if there is one.
pub async fn list(
    db: &Db,
    dk: &DataKey,
    reader: Reader<'_>,
    filter: &Filter,
    cursor: Option<Cursor>,
    dir: Direction,
    limit: u64,
) -> Result<(Vec<Line>, Option<Cursor>)> {
    let limit = limit.clamp(1, 500);
    let w = narrow(db, scope(db, reader).await?, filter).await?;
    fn period<C: ColumnTrait>(at: C, filter: &Filter) -> Condition {
        let mut c = Condition::all();
        if let Some(from) = filter.from {
            c = c.add(at.gte(from));
        }
        if let Some(until) = filter.until {
            c = c.add(at.lt(until));
        }
        c
    }
    let channel = filter.channel.map(|c| c.code());
    let wants = |s: Source| match (filter.mark, channel) {
        (Some(Mark::Default), _) => s == Source::Default,
        (Some(Mark::Flagged), _) => s == Source::Place,
        (Some(Mark::Excluded), _) => s != Source::Default,
        (None, Some("default")) => s == Source::Default,
        (None, Some(_)) => s != Source::Default,
        (None, None) => true,
    };

    let mut lines = Vec::new();
    let case_ids = |cond: Condition| {
        service_case::Entity::find()
            .select_only()
            .column(service_case::Column::Id)
            .filter(cond)
            .into_query()
    };
    if let (true, Some(filter_cases)) = (wants(Source::Case), &w.filter) {
        // The reader's scope, on the rating row itself where it can be (an
        // API key's own cases and pushes are columns of `rating`, indexed), and
        // the filter's cases only when the filter names any.
        let mut reach = Condition::all();
        if let Some(client) = w.pushed_by {
            let mut mine = Condition::any()
                .add(rating::Column::IssuerClientId.eq(client))
                .add(rating::Column::ApiClientId.eq(client));
            if let Some(g) = &w.grant {
                mine = mine.add(rating::Column::CaseId.in_subquery(case_ids(g.clone())));
            }
            reach = reach.add(mine);
        } else if !w.everything {
            reach = reach.add(rating::Column::CaseId.in_subquery(case_ids(w.cases.clone())));
        }
        if w.filtered {
            reach = reach.add(rating::Column::CaseId.in_subquery(case_ids(filter_cases.clone())));
        }
        let mut q = rating::Entity::find()
            .filter(reach)
            .filter(period(rating::Column::CreatedAt, filter))
            .filter(after(rating::Column::CreatedAt, rating::Column::Id, Source::Case, cursor, dir))
            .order_by(rating::Column::CreatedAt, order(dir))
            .order_by(rating::Column::Id, order(dir))
            .limit(limit + 1);
        if let Some(ch) = channel {
            q = q.filter(rating::Column::Channel.eq(ch));
        }
        if let Some(l) = filter.level {
            q = q.filter(rating::Column::Level.eq(l.code()));
        }
        if filter.mark == Some(Mark::Excluded) {
            q = q.filter(rating::Column::ExcludedAt.is_not_null());
        }
        let rows = q.all(db).await?;
        lines.extend(case_lines(db, dk, rows).await?);
    }
    if let (true, Some(places)) = (wants(Source::Place), &w.places) {
        let mut q = place_rating::Entity::find()
            .filter(places.clone())
            .filter(period(place_rating::Column::CreatedAt, filter))
            .filter(after(
                place_rating::Column::CreatedAt,
                place_rating::Column::Id,
                Source::Place,
                cursor,
                dir,
            ))
            .order_by(place_rating::Column::CreatedAt, order(dir))
            .order_by(place_rating::Column::Id, order(dir))
            .limit(limit + 1);
        if let Some(ch) = channel {
            q = q.filter(place_rating::Column::Channel.eq(ch));
        }
        if let Some(l) = filter.level {
            q = q.filter(place_rating::Column::Level.eq(l.code()));
        }
        match filter.mark {
            Some(Mark::Excluded) => q = q.filter(place_rating::Column::ExcludedAt.is_not_null()),
            Some(Mark::Flagged) => q = q.filter(place_rating::Column::Counted.eq(false)),
            _ => {}
        }
        let rows = q.all(db).await?;
        lines.extend(place_lines(db, dk, rows).await?);
    }
    if let (true, Some(filter_cases)) = (wants(Source::Default), &w.filter) {
        let mut q = default_rating::Entity::find()
            .filter(period(default_rating::Column::CreatedAt, filter))
            .filter(after(
                default_rating::Column::CreatedAt,
                default_rating::Column::Id,
                Source::Default,
                cursor,
                dir,
            ))
            .order_by(default_rating::Column::CreatedAt, order(dir))
            .order_by(default_rating::Column::Id, order(dir))
            .limit(limit + 1);
        if let Some(l) = filter.level {
            q = q.filter(default_rating::Column::Level.eq(l.code()));
        }
        if !w.everything || w.filtered {
            let mut cases = Condition::all();
            if !w.everything {
                cases = cases.add(w.cases.clone());
            }
            if w.filtered {
                cases = cases.add(filter_cases.clone());
            }
            q = q.filter(default_rating::Column::CaseId.in_subquery(case_ids(cases)));
        }
        let rows = q.all(db).await?;
        lines.extend(default_lines(db, rows).await?);
    }
    lines.sort_by(|a, b| {
        let ka = (a.created_at, a.source, a.id);
        let kb = (b.created_at, b.source, b.id);
        match dir {
            Direction::NewestFirst => kb.cmp(&ka),
            Direction::OldestFirst => ka.cmp(&kb),
        }
    });
    let more = lines.len() as u64 > limit;
    lines.truncate(limit as usize);
    let next = if more { lines.last().map(Cursor::of) } else { None };
    Ok((lines, next))
}

/// Names of the organisation's records, fetched once per page.
#[derive(Default)]
struct Names {
    halls: HashMap<i32, (String, String, i32)>,
    windows: HashMap<i32, (String, String, i32, i32)>,
    units: HashMap<i32, (String, String)>,
    items: HashMap<i32, (String, String, i32)>,
    staff: HashMap<i32, (String, String)>,
    regions: HashMap<i32, String>,
}

impl Names {
    async fn load(db: &Db, windows: Vec<i32>, halls: Vec<i32>, items: Vec<i32>, staff_ids: Vec<i32>) -> Result<Names> {
        let mut n = Names::default();
        for w in service_window::Entity::find()
            .filter(service_window::Column::Id.is_in(windows))
            .all(db)
            .await?
        {
            n.windows.insert(w.id, (w.code, w.name, w.hall_id, w.unit_id));
        }
        let mut hall_ids = halls;
        hall_ids.extend(n.windows.values().map(|w| w.2));
        for h in hall::Entity::find().filter(hall::Column::Id.is_in(hall_ids)).all(db).await? {
            n.halls.insert(h.id, (h.code, h.name, h.region_id));
        }
        for i in item::Entity::find().filter(item::Column::Id.is_in(items)).all(db).await? {
            n.items.insert(i.id, (i.code, i.name, i.unit_id));
        }
        let mut unit_ids: Vec<i32> = n.windows.values().map(|w| w.3).collect();
        unit_ids.extend(n.items.values().map(|i| i.2));
        for u in unit::Entity::find().filter(unit::Column::Id.is_in(unit_ids)).all(db).await? {
            n.units.insert(u.id, (u.code, u.name));
        }
        for s in staff::Entity::find().filter(staff::Column::Id.is_in(staff_ids)).all(db).await? {
            n.staff.insert(s.id, (s.number, s.name));
        }
        let region_ids: Vec<i32> = n.halls.values().map(|h| h.2).collect();
        for r in region::Entity::find().filter(region::Column::Id.is_in(region_ids)).all(db).await? {
            n.regions.insert(r.id, r.code);
        }
        Ok(n)
    }

    fn window(&self, id: i32) -> Option<(String, String)> {
        self.windows.get(&id).map(|w| (w.0.clone(), w.1.clone()))
    }

    fn hall_of_window(&self, id: i32) -> Option<(String, String)> {
        let w = self.windows.get(&id)?;
        self.halls.get(&w.2).map(|h| (h.0.clone(), h.1.clone()))
    }

    fn unit(&self, id: i32) -> Option<(String, String)> {
        self.units.get(&id).cloned()
    }
}

async fn cases_of(db: &Db, ids: Vec<i32>) -> Result<HashMap<i32, service_case::Model>> {
    Ok(service_case::Entity::find()
        .filter(service_case::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect())
}

fn phone(dk: &DataKey, sealed: Option<&str>) -> Option<String> {
    sealed.map(|s| dk.open(s).map(|p| mask_phone(&p)).unwrap_or_else(|| "***".into()))
}

fn case_place(names: &Names, case: &service_case::Model) -> [Option<(String, String)>; 5] {
    let unit_id = names.items.get(&case.item_id).map(|i| i.2);
    [
        names.hall_of_window(case.window_id),
        names.window(case.window_id),
        unit_id.and_then(|u| names.unit(u)),
        names.items.get(&case.item_id).map(|i| (i.0.clone(), i.1.clone())),
        case.staff_id.and_then(|s| names.staff.get(&s).cloned()),
    ]
}

async fn case_lines(db: &Db, dk: &DataKey, rows: Vec<rating::Model>) -> Result<Vec<Line>> {
    let cases = cases_of(db, rows.iter().map(|r| r.case_id).collect()).await?;
    let names = Names::load(
        db,
        cases.values().map(|c| c.window_id).collect(),
        Vec::new(),
        cases.values().map(|c| c.item_id).collect(),
        cases.values().filter_map(|c| c.staff_id).collect(),
    )
    .await?;
    let orders: HashMap<i32, i32> = work_order::Entity::find()
        .select_only()
        .column(work_order::Column::RatingId)
        .column(work_order::Column::Id)
        .filter(work_order::Column::RatingId.is_in(rows.iter().map(|r| r.id).collect::<Vec<_>>()))
        .into_tuple::<(Option<i32>, i32)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(r, o)| r.map(|r| (r, o)))
        .collect();
    rows.into_iter()
        .map(|r| {
            let case = cases.get(&r.case_id).ok_or(Error::NotFound("case"))?;
            let [hall, window, unit, item, staff] = case_place(&names, case);
            Ok(Line {
                source: Source::Case,
                id: r.id,
                case_number: Some(case.case_number.clone()),
                region_code: case.region_code.clone(),
                hall,
                window,
                unit,
                item,
                staff,
                level: crate::columns::level(&r.level)?,
                score: r.score,
                channel: r.channel,
                target: r.target,
                tags: crate::columns::tags_list(&r.tags),
                comment: r.comment,
                rating_count: r.rating_count,
                catalog_version: Some(r.catalog_version),
                phone_masked: phone(dk, case.phone_sealed.as_deref()),
                real_name: case.real_name,
                transactions: Some(case.transactions),
                completed_at: Some(case.completed_at),
                rated_at: r.created_at,
                created_at: r.created_at,
                flagged: None,
                excluded: r.excluded_at.is_some(),
                superseded: false,
                work_order_id: orders.get(&r.id).copied(),
            })
        })
        .collect()
}

async fn place_lines(db: &Db, dk: &DataKey, rows: Vec<place_rating::Model>) -> Result<Vec<Line>> {
    let names = Names::load(
        db,
        rows.iter().filter_map(|r| r.window_id).collect(),
        rows.iter().map(|r| r.hall_id).collect(),
        Vec::new(),
        Vec::new(),
    )
    .await?;
    let orders: HashMap<i32, i32> = work_order::Entity::find()
        .select_only()
        .column(work_order::Column::PlaceRatingId)
        .column(work_order::Column::Id)
        .filter(work_order::Column::PlaceRatingId.is_in(rows.iter().map(|r| r.id).collect::<Vec<_>>()))
        .into_tuple::<(Option<i32>, i32)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(r, o)| r.map(|r| (r, o)))
        .collect();
    rows.into_iter()
        .map(|r| {
            let hall = names.halls.get(&r.hall_id);
            let unit = r.window_id.and_then(|w| names.windows.get(&w)).and_then(|w| names.unit(w.3));
            Ok(Line {
                source: Source::Place,
                id: r.id,
                case_number: None,
                region_code: hall.and_then(|h| names.regions.get(&h.2)).cloned().unwrap_or_default(),
                hall: hall.map(|h| (h.0.clone(), h.1.clone())),
                window: r.window_id.and_then(|w| names.window(w)),
                unit,
                item: None,
                staff: None,
                level: crate::columns::level(&r.level)?,
                score: r.score,
                channel: r.channel,
                target: r.target,
                tags: crate::columns::tags_list(&r.tags),
                comment: r.comment,
                rating_count: 1,
                catalog_version: Some(r.catalog_version),
                phone_masked: phone(dk, r.phone_sealed.as_deref()),
                real_name: r.phone_sealed.is_some(),
                transactions: None,
                completed_at: None,
                rated_at: r.rated_at.unwrap_or(r.created_at),
                created_at: r.created_at,
                flagged: if r.counted {
                    None
                } else {
                    r.repeat_reason.clone().or(Some("repeat".into()))
                },
                excluded: r.excluded_at.is_some(),
                superseded: false,
                work_order_id: orders.get(&r.id).copied(),
            })
        })
        .collect()
}

async fn default_lines(db: &Db, rows: Vec<default_rating::Model>) -> Result<Vec<Line>> {
    let cases = cases_of(db, rows.iter().map(|r| r.case_id).collect()).await?;
    let names = Names::load(
        db,
        cases.values().map(|c| c.window_id).collect(),
        Vec::new(),
        cases.values().map(|c| c.item_id).collect(),
        cases.values().filter_map(|c| c.staff_id).collect(),
    )
    .await?;
    rows.into_iter()
        .map(|r| {
            let case = cases.get(&r.case_id).ok_or(Error::NotFound("case"))?;
            let [hall, window, unit, item, staff] = case_place(&names, case);
            Ok(Line {
                source: Source::Default,
                id: r.id,
                case_number: Some(case.case_number.clone()),
                region_code: case.region_code.clone(),
                hall,
                window,
                unit,
                item,
                staff,
                level: crate::columns::level(&r.level)?,
                score: r.score,
                channel: domain::Channel::Default.code().to_string(),
                target: domain::Target::Item.code().to_string(),
                tags: Vec::new(),
                comment: None,
                rating_count: 1,
                catalog_version: None,
                phone_masked: None,
                real_name: case.real_name,
                transactions: Some(case.transactions),
                completed_at: Some(case.completed_at),
                rated_at: r.created_at,
                created_at: r.created_at,
                flagged: None,
                excluded: false,
                superseded: r.superseded_by.is_some(),
                work_order_id: None,
            })
        })
        .collect()
}
