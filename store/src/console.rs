//! The window staff console: their window and today's completed cases there,
//! with whether each was rated — never the level or comment (SPEC §9; 002 rule
//! 10: the rated person does not see who rated what).

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::accounts::{Actor, Scope};
use crate::entities::{hall, item, rating, service_case, service_window};
use crate::{Db, Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleCase {
    pub case_number: String,
    pub item_name: String,
    pub completed_at: DateTime<Utc>,
    pub rated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Console {
    pub window_code: String,
    pub window_name: String,
    pub hall_name: String,
    pub cases: Vec<ConsoleCase>,
}

/// China Standard Time: the day of a service hall.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC offset"))
}

/// Start of the hall's calendar day containing `now`, in UTC.
pub fn day_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let local = now.with_timezone(&china()).date_naive();
    let midnight = local.and_hms_opt(0, 0, 0).unwrap_or_default();
    china()
        .from_local_datetime(&midnight)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now)
}

pub async fn console(db: &Db, actor: &Actor, now: DateTime<Utc>) -> Result<Console> {
    let Scope::Window(window_id) = actor.scope else {
        return Err(Error::Forbidden);
    };
    let w = service_window::Entity::find_by_id(window_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("window"))?;
    let h = hall::Entity::find_by_id(w.hall_id).one(db).await?;
    let start = day_start(now);
    let cases = service_case::Entity::find()
        .filter(service_case::Column::WindowId.eq(window_id))
        .filter(service_case::Column::CompletedAt.gte(start))
        .filter(service_case::Column::CompletedAt.lt(start + Duration::days(1)))
        .order_by_desc(service_case::Column::CompletedAt)
        .all(db)
        .await?;
    let ids: Vec<i32> = cases.iter().map(|c| c.id).collect();
    // Only which cases have a rating: the level and comment are not even read.
    let rated: std::collections::HashSet<i32> = rating::Entity::find()
        .filter(rating::Column::CaseId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.case_id)
        .collect();
    let item_ids: Vec<i32> = cases.iter().map(|c| c.item_id).collect();
    let items: std::collections::HashMap<i32, String> = item::Entity::find()
        .filter(item::Column::Id.is_in(item_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i.name))
        .collect();
    Ok(Console {
        window_code: w.code,
        window_name: w.name,
        hall_name: h.map(|h| h.name).unwrap_or_default(),
        cases: cases
            .into_iter()
            .map(|c| ConsoleCase {
                rated: rated.contains(&c.id),
                item_name: items.get(&c.item_id).cloned().unwrap_or_default(),
                case_number: c.case_number,
                completed_at: c.completed_at,
            })
            .collect(),
    })
}
