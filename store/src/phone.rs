//! Ratings given by telephone: the hotline's IVR key press (channel `hotline`,
//! idempotent by call id) and the center's phone invitation (电话邀评, 002 rule
//! 11: staff call raters who did not rate and enter what they said, channel
//! `phone_invite`, who entered it audited).

use chrono::{DateTime, Duration, Utc};
use domain::{Channel, Level, Phone, RatingInput, Target};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};
use serde_json::json;

use crate::accounts::Actor;
use crate::admin::{self, Kind};
use crate::audit::{self, Entry, Meta, Who};
use crate::crypto::DataKey;
use crate::entities::{hall, hotline_call, rating, service_case, service_window};
use crate::{immediate, Db, Error, Reason, Result};

/// A key press from the hotline's IVR.
pub struct KeyPress<'a> {
    pub call_id: &'a str,
    pub phone: &'a str,
    /// 1–5: 5 非常满意 … 1 非常不满意 (as the IVR announces it).
    pub key: u8,
    /// Reason tags for a bad level (the IVR's second menu).
    pub tags: &'a [String],
    /// The case the call is about, when the IVR knows it.
    pub case_number: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HotlineRating {
    pub rating_id: i32,
    pub case_number: String,
    pub level: Level,
    /// The call id was seen before: nothing new was stored.
    pub resent: bool,
}

/// Records a hotline rating once per call id. The case is the one named (its
/// phone must be the caller's when it has one) or the caller's latest unrated
/// case of the last 30 days.
pub async fn hotline(db: &Db, key: &DataKey, k: &KeyPress<'_>, now: DateTime<Utc>) -> Result<HotlineRating> {
    let call_id = k.call_id.trim();
    if call_id.is_empty() || call_id.len() > 64 {
        return Err(Error::invalid("call_id", Reason::CallId));
    }
    let phone = Phone::parse(k.phone).map_err(|_| Error::invalid("phone", Reason::Value(domain::ValueError::Phone)))?;
    let level = Level::from_stars(k.key).ok_or_else(|| Error::invalid("key", Reason::OutOfRange { min: 1, max: 5 }))?;
    let input =
        RatingInput::parse_on(Channel::Hotline, level.code(), k.tags, None).map_err(|e| Error::invalid(e.field(), Reason::Rating(e)))?;
    let hash = key.hash(phone.expose());
    let txn = db.begin_with_options(immediate()).await?;
    if let Some(seen) = hotline_call::Entity::find()
        .filter(hotline_call::Column::CallId.eq(call_id))
        .one(&txn)
        .await?
    {
        let r = rating::Entity::find_by_id(seen.rating_id)
            .one(&txn)
            .await?
            .ok_or(Error::NotFound("rating"))?;
        let c = service_case::Entity::find_by_id(r.case_id)
            .one(&txn)
            .await?
            .ok_or(Error::NotFound("case"))?;
        txn.rollback().await?;
        return Ok(HotlineRating {
            rating_id: r.id,
            case_number: c.case_number,
            level: crate::columns::level(&r.level)?,
            resent: true,
        });
    }
    let case = match k.case_number.map(str::trim).filter(|c| !c.is_empty()) {
        Some(number) => {
            let c = service_case::Entity::find()
                .filter(service_case::Column::CaseNumber.eq(number))
                .order_by_desc(service_case::Column::Id)
                .one(&txn)
                .await?
                .ok_or_else(|| Error::invalid("case_number", Reason::Unknown(number.to_string())))?;
            if c.phone_hash.as_deref().is_some_and(|h| h != hash) {
                return Err(Error::invalid("case_number", Reason::OtherPhone));
            }
            c
        }
        None => {
            let mut found = None;
            for c in service_case::Entity::find()
                .filter(service_case::Column::PhoneHash.eq(hash.as_str()))
                .filter(service_case::Column::CompletedAt.gt(now - Duration::days(30)))
                .order_by_desc(service_case::Column::CompletedAt)
                .all(&txn)
                .await?
            {
                let is_rated = rating::Entity::find()
                    .filter(rating::Column::CaseId.eq(c.id))
                    .filter(rating::Column::Target.eq(Target::Item.code()))
                    .one(&txn)
                    .await?
                    .is_some();
                if !is_rated {
                    found = Some(c);
                    break;
                }
            }
            found.ok_or_else(|| Error::invalid("phone", Reason::NoUnratedCase))?
        }
    };
    let rating_id = crate::ratings::rate_case(&txn, case.id, &input, Channel::Hotline, now).await?;
    hotline_call::ActiveModel {
        call_id: Set(call_id.to_string()),
        rating_id: Set(rating_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(HotlineRating {
        rating_id,
        case_number: case.case_number,
        level,
        resent: false,
    })
}

/// A case an administrator may enter a phone rating for: in their scope, unrated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteCase {
    pub case_number: String,
    /// The business system that reported it (a case number is unique only
    /// within its system): its id and name.
    pub system_id: i32,
    pub system: String,
    pub window_code: String,
    pub completed_at: DateTime<Utc>,
    /// Masked: 138****1234.
    pub phone: Option<String>,
    pub rated: bool,
}

/// The cases in the actor's scope with this number, newest first (one per
/// issuing system).
async fn cases_in_scope(db: &Db, actor: &Actor, number: &str, system: Option<i32>) -> Result<Vec<service_case::Model>> {
    let mut q = service_case::Entity::find().filter(service_case::Column::CaseNumber.eq(number.trim()));
    if let Some(s) = system {
        q = q.filter(service_case::Column::ApiClientId.eq(s));
    }
    let mut out = Vec::new();
    for c in q.order_by_desc(service_case::Column::Id).all(db).await? {
        let w = service_window::Entity::find_by_id(c.window_id)
            .one(db)
            .await?
            .ok_or(Error::NotFound("window"))?;
        // The window's own scope rule decides (system, center, unit administrators);
        // a case out of scope reads as missing, so case numbers cannot be probed.
        match admin::get(db, actor, Kind::Windows, &w.code).await {
            Ok(_) => out.push(c),
            Err(Error::Forbidden) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The one case meant: `Conflict::SeveralSystems` when the number names cases
/// of more than one business system in scope and `system` does not choose.
async fn case_in_scope(db: &Db, actor: &Actor, number: &str, system: Option<i32>) -> Result<service_case::Model> {
    let mut found = cases_in_scope(db, actor, number, system).await?;
    match found.len() {
        0 => Err(Error::NotFound("case")),
        1 => Ok(found.remove(0)),
        _ => Err(Error::Conflict(crate::Conflict::SeveralSystems(number.trim().to_string()))),
    }
}

/// The business systems (id, name) whose case of this number is in scope.
pub async fn systems_of_case(db: &Db, actor: &Actor, number: &str) -> Result<Vec<(i32, String)>> {
    let mut out = Vec::new();
    for c in cases_in_scope(db, actor, number, None).await? {
        out.push((c.api_client_id, system_name(db, c.api_client_id).await?));
    }
    Ok(out)
}

async fn system_name(db: &Db, id: i32) -> Result<String> {
    Ok(crate::entities::api_client::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|c| c.name)
        .unwrap_or_default())
}

/// The case as the phone-invitation form shows it.
pub async fn invite_case(db: &Db, key: &DataKey, actor: &Actor, number: &str, system: Option<i32>) -> Result<InviteCase> {
    if !actor.role.is_admin() {
        return Err(Error::Forbidden);
    }
    let c = case_in_scope(db, actor, number, system).await?;
    let w = service_window::Entity::find_by_id(c.window_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("window"))?;
    let rated = rating::Entity::find()
        .filter(rating::Column::CaseId.eq(c.id))
        .filter(rating::Column::Target.eq(Target::Item.code()))
        .one(db)
        .await?
        .is_some();
    Ok(InviteCase {
        rated,
        system: system_name(db, c.api_client_id).await?,
        system_id: c.api_client_id,
        case_number: c.case_number,
        window_code: w.code,
        completed_at: c.completed_at,
        phone: c
            .phone_sealed
            .as_deref()
            .and_then(|s| key.open(s))
            .map(|p| domain::values::mask_phone(&p)),
    })
}

/// Stores the rating a rater gave on the phone (channel `phone_invite`) and
/// audits who entered it, in one transaction. Only administrators, in scope.
pub async fn record_invite(db: &Db, actor: &Actor, number: &str, system: Option<i32>, input: &RatingInput, meta: &Meta) -> Result<i32> {
    if !actor.role.is_admin() {
        return Err(Error::Forbidden);
    }
    let c = case_in_scope(db, actor, number, system).await?;
    let region = match service_window::Entity::find_by_id(c.window_id).one(db).await? {
        Some(w) => hall::Entity::find_by_id(w.hall_id).one(db).await?.map(|h| h.region_id),
        None => None,
    };
    let txn = db.begin_with_options(immediate()).await?;
    let id = crate::ratings::rate_case(&txn, c.id, input, Channel::PhoneInvite, meta.now).await?;
    audit::append(
        &txn,
        Entry {
            who: &Who::from(actor),
            action: "phone_rating",
            object_kind: "cases",
            object_code: &c.case_number,
            before: None,
            after: Some(json!({
                "system": c.api_client_id,
                "level": input.level.code(),
                "tags": input.tags.iter().map(|t| t.code()).collect::<Vec<_>>(),
                "channel": Channel::PhoneInvite.code(),
            })),
            region_id: region,
        },
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}
