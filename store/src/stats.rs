//! Counting the results (issue 14, first slice): the [`Tally`] of the
//! signed-in administrator's scope over a period, from the stored rows — case
//! ratings of every channel (each target), static-code and kiosk ratings,
//! default ratings not superseded, and the work orders of the period. What
//! the numbers mean is `domain::indicators`; rollup tables for 10 M ratings
//! come later (issue 14).
//!
//! Per period `[from, to)`:
//! - completed: cases whose `completed_at` falls in it; rated: of those, the
//!   cases with a first rating (any target) that is not excluded;
//! - levels: first ratings (`rating_count` 1, any target, not excluded),
//!   counted static/kiosk ratings not excluded, and defaults not superseded,
//!   each by the time it was made;
//! - kept apart: excluded (upheld appeal), flagged (repeat/burst), follow-ups
//!   (`rating_count` 2), re-ratings (3);
//! - work orders opened in it: rectified = closed with the rating not
//!   excluded; real-name bad and those revisited; appeals (requested, upheld);
//!   due = orders whose handling deadline falls in it, on time = closed by then.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use domain::indicators::Tally;
use domain::Level;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, QueryTrait};

use crate::accounts::{Actor, Scope};
use crate::entities::{
    default_rating, hall, item, place_rating, rating, region, service_case, service_window, work_order, work_order_event,
};
use crate::{Db, Error, Result};

/// Which rows an actor's scope covers, as conditions per table.
struct Reach {
    cases: Condition,
    places: Condition,
    orders: Condition,
}

async fn reach<C: ConnectionTrait>(db: &C, actor: &Actor) -> Result<Reach> {
    Ok(match &actor.scope {
        Scope::All => Reach {
            cases: Condition::all(),
            places: Condition::all(),
            orders: Condition::all(),
        },
        Scope::Regions { ids, .. } => {
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
            Reach {
                cases: Condition::all().add(service_case::Column::RegionCode.is_in(codes)),
                places: Condition::all().add(place_rating::Column::HallId.is_in(halls)),
                orders: Condition::all().add(work_order::Column::RegionId.is_in(ids.clone())),
            }
        }
        Scope::Unit(u) => {
            let items: Vec<i32> = item::Entity::find()
                .select_only()
                .column(item::Column::Id)
                .filter(item::Column::UnitId.eq(*u))
                .into_tuple()
                .all(db)
                .await?;
            let windows: Vec<i32> = service_window::Entity::find()
                .select_only()
                .column(service_window::Column::Id)
                .filter(service_window::Column::UnitId.eq(*u))
                .into_tuple()
                .all(db)
                .await?;
            Reach {
                cases: Condition::any()
                    .add(service_case::Column::ItemId.is_in(items))
                    .add(service_case::Column::WindowId.is_in(windows.clone())),
                places: Condition::all().add(place_rating::Column::WindowId.is_in(windows)),
                orders: Condition::all().add(work_order::Column::UnitId.eq(*u)),
            }
        }
        Scope::Window(_) => return Err(Error::Forbidden),
    })
}

fn level(code: &str) -> Result<Level> {
    crate::columns::level(code)
}

/// The tally of `actor`'s scope over `[from, to)`. Window staff: forbidden.
pub async fn tally(db: &Db, actor: &Actor, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Tally> {
    if !actor.role.is_admin() {
        return Err(Error::Forbidden);
    }
    let r = reach(db, actor).await?;
    let mut t = Tally::default();
    let in_scope = || {
        service_case::Entity::find()
            .select_only()
            .column(service_case::Column::Id)
            .filter(r.cases.clone())
            .into_query()
    };

    // Cases completed in the period, and which of them are rated.
    let completed = || {
        service_case::Entity::find()
            .filter(r.cases.clone())
            .filter(service_case::Column::CompletedAt.gte(from))
            .filter(service_case::Column::CompletedAt.lt(to))
    };
    t.completed = completed().count(db).await?;
    let completed_q = completed().select_only().column(service_case::Column::Id).into_query();
    let rated: Vec<i32> = rating::Entity::find()
        .select_only()
        .column(rating::Column::CaseId)
        .filter(rating::Column::RatingCount.eq(1))
        .filter(rating::Column::ExcludedAt.is_null())
        .filter(rating::Column::CaseId.in_subquery(completed_q))
        .into_tuple()
        .all(db)
        .await?;
    t.rated = rated.into_iter().collect::<HashSet<_>>().len() as u64;

    // Case ratings made in the period.
    let rows: Vec<(String, i32, Option<DateTime<Utc>>)> = rating::Entity::find()
        .select_only()
        .column(rating::Column::Level)
        .column(rating::Column::RatingCount)
        .column(rating::Column::ExcludedAt)
        .filter(rating::Column::CreatedAt.gte(from))
        .filter(rating::Column::CreatedAt.lt(to))
        .filter(rating::Column::CaseId.in_subquery(in_scope()))
        .into_tuple()
        .all(db)
        .await?;
    for (l, count, excluded) in rows {
        match (count, excluded) {
            (_, Some(_)) => t.excluded += 1,
            (1, None) => t.count(level(&l)?, false),
            (2, None) => t.follow_ups += 1,
            _ => t.re_ratings += 1,
        }
    }
    // Defaults given in the period and not superseded by an active rating.
    let defaults: Vec<String> = default_rating::Entity::find()
        .select_only()
        .column(default_rating::Column::Level)
        .filter(default_rating::Column::CreatedAt.gte(from))
        .filter(default_rating::Column::CreatedAt.lt(to))
        .filter(default_rating::Column::SupersededBy.is_null())
        .filter(default_rating::Column::CaseId.in_subquery(in_scope()))
        .into_tuple()
        .all(db)
        .await?;
    for l in defaults {
        t.count(level(&l)?, true);
    }
    // Static-code and kiosk ratings.
    let places: Vec<(String, bool, Option<DateTime<Utc>>)> = place_rating::Entity::find()
        .select_only()
        .column(place_rating::Column::Level)
        .column(place_rating::Column::Counted)
        .column(place_rating::Column::ExcludedAt)
        .filter(r.places.clone())
        .filter(place_rating::Column::CreatedAt.gte(from))
        .filter(place_rating::Column::CreatedAt.lt(to))
        .into_tuple()
        .all(db)
        .await?;
    for (l, counted, excluded) in places {
        match (counted, excluded) {
            (_, Some(_)) => t.excluded += 1,
            (true, None) => t.count(level(&l)?, false),
            (false, None) => t.flagged += 1,
        }
    }

    // Work orders opened in the period.
    let orders = work_order::Entity::find()
        .filter(r.orders.clone())
        .filter(work_order::Column::OpenedAt.gte(from))
        .filter(work_order::Column::OpenedAt.lt(to))
        .all(db)
        .await?;
    let ids: Vec<i32> = orders.iter().map(|o| o.id).collect();
    for o in &orders {
        if o.rating_excluded {
            t.appeals_upheld += 1;
            continue;
        }
        if o.state == domain::work_order::State::Closed.code() {
            t.rectified += 1;
        }
        if o.real_name {
            t.real_name_bad += 1;
            if o.revisits > 0 {
                t.real_name_bad_revisited += 1;
            }
        }
    }
    let mut appealed = HashSet::new();
    for chunk in ids.chunks(500) {
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
    t.appeals = appealed.len() as u64;
    // Orders whose handling deadline falls in the period.
    let due: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = work_order::Entity::find()
        .select_only()
        .column(work_order::Column::HandleDue)
        .column(work_order::Column::ClosedAt)
        .filter(r.orders)
        .filter(work_order::Column::RatingExcluded.eq(false))
        .filter(work_order::Column::HandleDue.gte(from))
        .filter(work_order::Column::HandleDue.lt(to))
        .into_tuple()
        .all(db)
        .await?;
    t.due = due.len() as u64;
    t.closed_on_time = due.iter().filter(|(d, c)| c.is_some_and(|c| c <= *d)).count() as u64;
    Ok(t)
}
