//! Issue 15: ratings citizens gave on a provincial or national platform for
//! our cases (`POST /api/v1/exchange/inbound`). Each is stored once per
//! (case, assessNumber): a first rating as the case's item rating, a
//! follow-up (assessNumber 2) beside it, with the channel the platform
//! names. A bad one opens its work order like any other rating (it is
//! stored through the same path). It is not pushed back: the platform it
//! came from has it (its outbox row is dropped in the same transaction and
//! `exchange_inbound` keeps where it came from).

use chrono::{DateTime, Duration, Utc};
use domain::exchange::{Inbound, Profile};
use domain::{Channel, Comment, Level, RatingInput, Target};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set, TransactionTrait};

use crate::entities::{exchange_inbound, exchange_record, rating, region, service_case};
use crate::{immediate, Conflict, Db, Error, Reason, Result};

/// What became of an inbound rating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub rating_id: i32,
    pub case_number: String,
    pub level: Level,
    pub channel: Channel,
    pub assess_number: u8,
    /// The same rating was received before: nothing new is stored.
    pub resent: bool,
}

/// The profile's name of a field, for refusals the platform can act on.
fn field(profile: Profile, which: &str) -> &'static str {
    match (profile, which) {
        (Profile::Gbt39046, "case") => "办件编号",
        (Profile::Gbt39046, "time") => "评价时间",
        (Profile::Gbt39046, "count") => "评价次数",
        (Profile::Gbt39046, _) => "文字评价",
        (_, "case") => "projectNo",
        (_, "time") => "assessTime",
        (_, "count") => "assessNumber",
        _ => "writingEvaluation",
    }
}

async fn the_case<C: ConnectionTrait>(c: &C, number: &str) -> Result<service_case::Model> {
    let mut found = service_case::Entity::find()
        .filter(service_case::Column::CaseNumber.eq(number))
        .limit(2)
        .all(c)
        .await?;
    match found.len() {
        0 => Err(Error::NotFound("case")),
        1 => Ok(found.remove(0)),
        _ => Err(Error::Conflict(Conflict::SeveralSystems(number.to_string()))),
    }
}

/// The rating stored for (case, assessNumber), if any, and whether it came from a platform.
async fn stored<C: ConnectionTrait>(c: &C, case_id: i32, count: u8) -> Result<Option<(rating::Model, bool)>> {
    let Some(r) = rating::Entity::find()
        .filter(rating::Column::CaseId.eq(case_id))
        .filter(rating::Column::Target.eq(Target::Item.code()))
        .filter(rating::Column::RatingCount.eq(i32::from(count)))
        .one(c)
        .await?
    else {
        return Ok(None);
    };
    let inbound = exchange_inbound::Entity::find()
        .filter(exchange_inbound::Column::RatingId.eq(r.id))
        .one(c)
        .await?
        .is_some();
    Ok(Some((r, inbound)))
}

/// The answer for a rating already stored: the same one from a platform is a
/// resend; anything else is a conflict (the case was rated elsewhere first).
fn already(case: &service_case::Model, rec: &Inbound, r: rating::Model, from_platform: bool) -> Result<Received> {
    let same = from_platform && r.level == rec.level.code() && r.channel == rec.channel.code();
    if !same {
        return Err(Error::Conflict(Conflict::Rated {
            case: case.case_number.clone(),
            target: if rec.assess_number == 2 { "follow_up" } else { "item" },
        }));
    }
    Ok(Received {
        rating_id: r.id,
        case_number: case.case_number.clone(),
        level: rec.level,
        channel: rec.channel,
        assess_number: rec.assess_number,
        resent: true,
    })
}

/// Whether the case lies in the region `code` or below it.
async fn within<C: ConnectionTrait>(c: &C, case: &service_case::Model, code: &str) -> Result<bool> {
    let Some(r) = region::Entity::find()
        .filter(region::Column::Code.eq(case.region_code.as_str()))
        .one(c)
        .await?
    else {
        return Ok(false);
    };
    Ok(crate::policies::chain(c, r.id).await?.iter().any(|r| r.code == code))
}

/// Stores one inbound rating (see the module's doc) from a platform whose
/// reach is `scope` (a region code: its cases and those below; `None`: every
/// case). Unknown case, or one outside the scope: `NotFound("case")`; a time
/// ahead of the clock or before the case was completed, a follow-up before
/// any first rating, a bad comment: `Invalid`.
pub async fn receive(db: &Db, profile: Profile, scope: Option<&str>, rec: &Inbound, now: DateTime<Utc>) -> Result<Received> {
    if rec.rated_at > now + Duration::minutes(5) {
        return Err(Error::invalid(field(profile, "time"), Reason::InFuture));
    }
    let comment = match rec.comment.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(Comment::parse(c).map_err(|e| Error::invalid(field(profile, "comment"), Reason::Value(e)))?),
    };
    // The platform's reasons are its own; a bad rating is taken without ours.
    let input = RatingInput {
        level: rec.level,
        tags: Vec::new(),
        comment,
    };
    let at = rec.rated_at.min(now);
    let txn = db.begin_with_options(immediate()).await?;
    let case = the_case(&txn, &rec.case_number).await?;
    if let Some(code) = scope {
        if !within(&txn, &case, code).await? {
            return Err(Error::NotFound("case"));
        }
    }
    if at < case.completed_at - Duration::minutes(5) {
        return Err(Error::invalid(field(profile, "time"), Reason::NotTime));
    }
    if let Some((r, from_platform)) = stored(&txn, case.id, rec.assess_number).await? {
        txn.rollback().await?;
        return already(&case, rec, r, from_platform);
    }
    let inserted = if rec.assess_number == 2 {
        if stored(&txn, case.id, 1).await?.is_none() {
            return Err(Error::invalid(field(profile, "count"), Reason::RateFirst));
        }
        crate::follow_up::insert(&txn, &case, &input, rec.channel, at).await
    } else {
        crate::ratings::rate_case(&txn, case.id, &input, rec.channel, at).await
    };
    let rating_id = match inserted {
        Ok(id) => id,
        Err(Error::AlreadyRated) => {
            // A twin request won the race: answer as it was answered.
            txn.rollback().await?;
            return match stored(db, case.id, rec.assess_number).await? {
                Some((r, from_platform)) => already(&case, rec, r, from_platform),
                None => Err(Error::AlreadyRated),
            };
        }
        Err(e) => return Err(e),
    };
    // Not pushed back to where it came from.
    exchange_record::Entity::delete_many()
        .filter(exchange_record::Column::Kind.eq(super::Kind::Rating.code()))
        .filter(exchange_record::Column::SourceId.eq(rating_id))
        .exec(&txn)
        .await?;
    exchange_inbound::ActiveModel {
        rating_id: Set(rating_id),
        profile: Set(profile.code().to_string()),
        received_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Received {
        rating_id,
        case_number: case.case_number,
        level: rec.level,
        channel: rec.channel,
        assess_number: rec.assess_number,
        resent: false,
    })
}
