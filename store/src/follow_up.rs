//! Follow-up ratings (追加评价, GB/T 39046 评价次数 2): after rating, the case's
//! link offers one addition within the region's window. It is stored beside
//! the first rating (rating_count 2), never over it; a second one is refused.

use chrono::{DateTime, Utc};
use domain::{RatingInput, Target, CATALOG_VERSION};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait};

use crate::entities::{hall, rating, service_case, service_window};
use crate::{immediate, Db, Error, Reason, Result};

/// What a case's link can do about a follow-up now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    /// Not rated yet: the link rates first.
    NotRated,
    /// One addition may be made until this moment.
    Open { until: DateTime<Utc> },
    /// The one addition was made.
    Done,
    /// The window has passed.
    Closed,
}

pub(crate) async fn status_of<C: ConnectionTrait>(conn: &C, case: &service_case::Model, now: DateTime<Utc>) -> Result<FollowUp> {
    let ratings = rating::Entity::find()
        .filter(rating::Column::CaseId.eq(case.id))
        .filter(rating::Column::Target.eq(Target::Item.code()))
        .all(conn)
        .await?;
    let Some(first) = ratings.iter().find(|r| r.rating_count == 1) else {
        return Ok(FollowUp::NotRated);
    };
    if ratings.iter().any(|r| r.rating_count == 2) {
        return Ok(FollowUp::Done);
    }
    let region = match service_window::Entity::find_by_id(case.window_id).one(conn).await? {
        Some(w) => hall::Entity::find_by_id(w.hall_id).one(conn).await?.map(|h| h.region_id),
        None => None,
    };
    let policy = match region {
        Some(r) => crate::policies::for_region(conn, r).await?.0,
        None => domain::policy::Policy::default(),
    };
    let calendar = crate::calendar::load(conn).await?;
    let until = policy.follow_up_within.end_after(&calendar, first.created_at);
    Ok(if now < until { FollowUp::Open { until } } else { FollowUp::Closed })
}

/// Adds the one follow-up. `Invalid{follow_up}` when the case is not rated
/// yet, `Expired` when the window has passed, `AlreadyRated` for a second one.
pub async fn add(db: &Db, token: &str, input: &RatingInput, now: DateTime<Utc>) -> Result<i32> {
    let txn = db.begin_with_options(immediate()).await?;
    let (t, case) = crate::cases::token_case(&txn, token).await?;
    match status_of(&txn, &case, now).await? {
        FollowUp::NotRated => return Err(Error::invalid("follow_up", Reason::RateFirst)),
        FollowUp::Done => return Err(Error::AlreadyRated),
        FollowUp::Closed => return Err(Error::Expired),
        FollowUp::Open { .. } => {}
    }
    let id = insert(&txn, &case, input, crate::columns::channel(&t.channel)?, now).await?;
    txn.commit().await?;
    Ok(id)
}

/// Stores a case's follow-up (rating count 2) in the caller's transaction,
/// with its outbox row and, for a bad one, its work order. `AlreadyRated`
/// when the case has one.
pub(crate) async fn insert(
    txn: &sea_orm::DatabaseTransaction,
    case: &service_case::Model,
    input: &RatingInput,
    channel: domain::Channel,
    now: DateTime<Utc>,
) -> Result<i32> {
    let res = rating::ActiveModel {
        case_id: Set(case.id),
        target: Set(Target::Item.code().to_string()),
        level: Set(input.level.code().to_string()),
        score: Set(input.level.score()),
        channel: Set(channel.code().to_string()),
        tags: Set(crate::columns::tags_text(input)),
        comment: Set(input.comment.as_ref().map(|c| c.as_str().to_string())),
        rating_count: Set(2),
        catalog_version: Set(CATALOG_VERSION),
        api_client_id: Set(None),
        issuer_client_id: Set(case.api_client_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await;
    match res {
        Ok(r) => {
            crate::counters::rating_stored(&r.channel, &r.level);
            crate::rollup::mark(txn, &[r.created_at]).await?;
            crate::exchange::rating_stored(txn, case, &r, now).await?;
            Ok(r.id)
        }
        Err(e) if Error::is_unique_violation(&e) => Err(Error::AlreadyRated),
        Err(e) => Err(e.into()),
    }
}
