//! The working-day calendar in use: the built-in years (2020–2026, from the
//! State Council notices) with the years an administrator loaded on top.

use chrono::{DateTime, Utc};
use domain::calendar::{Calendar, Year};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, Set, TransactionTrait};
use serde_json::json;

use crate::audit::{self, Entry, Meta, Who};
use crate::entities::calendar_year;
use crate::{immediate, Db, Error, Reason, Result};

/// The calendar: built-in years, then loaded ones (which override).
pub async fn load<C: ConnectionTrait>(db: &C) -> Result<Calendar> {
    if let Some(hit) = crate::group::cached(|c| c.calendar.clone()) {
        return Ok(hit);
    }
    let c = read(db).await?;
    crate::group::remember(|k| k.calendar = Some(c.clone()));
    Ok(c)
}

async fn read<C: ConnectionTrait>(db: &C) -> Result<Calendar> {
    let mut c = Calendar::builtin();
    for row in calendar_year::Entity::find().all(db).await? {
        // Rows were checked when loaded; a row that no longer parses (an older
        // format) is reported, and the built-in year stays in use.
        match Year::parse(row.year, &row.body) {
            Ok(y) => c.set(y),
            Err(e) => tracing::error!(year = row.year, error = %e, "a loaded calendar year does not parse"),
        }
    }
    Ok(c)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedYear {
    pub year: i32,
    pub builtin: bool,
    pub loaded_by: Option<String>,
    pub loaded_at: Option<DateTime<Utc>>,
    pub holidays: usize,
    pub working_weekends: usize,
}

/// Every year the calendar knows, with where it came from.
pub async fn years(db: &Db) -> Result<Vec<LoadedYear>> {
    let c = load(db).await?;
    let rows = calendar_year::Entity::find()
        .order_by_asc(calendar_year::Column::Year)
        .all(db)
        .await?;
    Ok(c.years()
        .into_iter()
        .map(|y| {
            let row = rows.iter().find(|r| r.year == y);
            let (mut rest, mut work) = (0, 0);
            let mut d = chrono::NaiveDate::from_ymd_opt(y, 1, 1);
            while let Some(day) = d.filter(|d| chrono::Datelike::year(d) == y) {
                match c.rule(day) {
                    Some((domain::calendar::DayKind::Rest, _)) => rest += 1,
                    Some((domain::calendar::DayKind::Work, _)) => work += 1,
                    None => {}
                }
                d = day.succ_opt();
            }
            LoadedYear {
                year: y,
                builtin: row.is_none(),
                loaded_by: row.map(|r| r.loaded_by.clone()),
                loaded_at: row.map(|r| r.loaded_at),
                holidays: rest,
                working_weekends: work,
            }
        })
        .collect())
}

/// Loads (or replaces) a year from its text after checking every line; a bad
/// file changes nothing. `who` is the administrator, or the shell.
pub async fn save_year(db: &Db, who: &Who, year: i32, text: &str, meta: &Meta) -> Result<usize> {
    if !(2000..=2100).contains(&year) {
        return Err(Error::invalid("year", Reason::Year));
    }
    if text.len() > 64 * 1024 {
        return Err(Error::invalid("file", Reason::FileTooLarge { kb: 64 }));
    }
    let parsed = Year::parse(year, text).map_err(|e| Error::invalid("file", Reason::Calendar(e)))?;
    let txn = db.begin_with_options(immediate()).await?;
    let before = calendar_year::Entity::find_by_id(year).one(&txn).await?;
    let am = calendar_year::ActiveModel {
        year: Set(year),
        body: Set(text.to_string()),
        loaded_by: Set(who.job_number.clone()),
        loaded_at: Set(meta.now),
    };
    if before.is_some() {
        am.update(&txn).await?;
    } else {
        am.insert(&txn).await?;
    }
    audit::append(
        &txn,
        Entry {
            who,
            action: if before.is_some() { "calendar_replace" } else { "calendar_load" },
            object_kind: "calendar",
            object_code: &year.to_string(),
            before: before.map(|b| json!({"loaded_by": b.loaded_by, "loaded_at": b.loaded_at})),
            after: Some(json!({"days": parsed.days.len()})),
            region_id: None,
        },
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(parsed.days.len())
}
