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
use sea_orm::{ColumnTrait, Condition, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect};

use crate::accounts::Actor;
use crate::crypto::DataKey;
use crate::entities::{
    api_client, default_rating, hall, item, place_rating, rating, region, service_case, service_window, staff, unit, work_order,
};
use crate::{Db, Error, Reason, Result};

mod lines;
mod reach;

use lines::*;
use reach::*;

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
        // The plain bound first, so that an index on (…, time, id) is read
        // from the cursor on rather than from its start.
        Condition::all().add(if newest { at.lte(c.at) } else { at.gte(c.at) }).add(
            Condition::any()
                .add(time_beyond)
                .add(Condition::all().add(at.eq(c.at)).add(id_beyond)),
        )
    } else if ahead {
        Condition::all().add(if newest { at.lte(c.at) } else { at.gte(c.at) })
    } else {
        Condition::all().add(time_beyond)
    }
}

/// `case_id` names a case of `cases`, as a correlated EXISTS: the outer
/// query's own index (time, client) drives the read, where `IN (SELECT id …)`
/// listed every case of the scope first.
fn case_in<C: ColumnTrait>(case_id: C, cases: Condition) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(service_case::Entity)
            .and_where(Expr::col((service_case::Entity, service_case::Column::Id)).eq(case_id.into_expr()))
            .cond_where(cases)
            .to_owned(),
    )
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
    if let (true, Some(filter_cases)) = (wants(Source::Case), &w.filter) {
        // The reader's scope, on the rating row itself where it can be (an
        // API key's own cases and pushes are columns of `rating`, indexed), and
        // the filter's cases only when the filter names any. A key's arms are
        // read one by one, each by its (client, created_at, id) index, and
        // merged below: their OR had SQLite sort every rating of the key
        // (17 s a page at 11 M ratings).
        let mut arms = Vec::new();
        if let Some(client) = w.pushed_by {
            arms.push(Condition::all().add(rating::Column::IssuerClientId.eq(client)));
            arms.push(Condition::all().add(rating::Column::ApiClientId.eq(client)));
            if let Some(g) = &w.grant {
                arms.push(Condition::all().add(case_in(rating::Column::CaseId, g.clone())));
            }
        } else if !w.everything {
            arms.push(Condition::all().add(case_in(rating::Column::CaseId, w.cases.clone())));
        } else {
            arms.push(Condition::all());
        }
        let mut rows = Vec::new();
        for mut reach in arms {
            if w.filtered {
                reach = reach.add(case_in(rating::Column::CaseId, filter_cases.clone()));
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
            rows.extend(q.all(db).await?);
        }
        // A rating in two arms (its own case, pushed by the same key) once.
        rows.sort_by_key(|r: &rating::Model| r.id);
        rows.dedup_by_key(|r| r.id);
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
            q = q.filter(case_in(default_rating::Column::CaseId, cases));
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
