//! Static QR codes (002 rule 12): every window and hall has a stable code that
//! opens a rating page without a case. Anyone can scan it, so repeats are
//! limited — not by refusing, but by storing the rating flagged for review and
//! leaving it out of the counts (SPEC §8: never silently dropped).

use chrono::{DateTime, Duration, Utc};
use domain::{Channel, RatingInput, Target, CATALOG_VERSION};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set, TransactionTrait};

use crate::crypto::DataKey;
use crate::entities::{hall, place_rating, service_window};
use crate::{immediate, Db, Error, Reason, Result};

/// What a static code names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place<'a> {
    Window(&'a str),
    Hall(&'a str),
}

/// A place as its rating page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceView {
    pub hall_id: i32,
    pub hall_code: String,
    pub hall_name: String,
    pub window_id: Option<i32>,
    pub window_code: Option<String>,
    pub window_name: Option<String>,
    /// The hall's region requires real names (004 第五条): a static-code
    /// rating needs a phone proven by SMS code (`crate::phone_check`).
    pub real_name: bool,
}

async fn real_name(db: &Db, region_id: i32) -> Result<bool> {
    let (policy, _) = crate::policies::for_region(db, region_id).await?;
    Ok(policy.real_name == domain::policy::RealName::Required)
}

pub async fn place(db: &Db, p: Place<'_>) -> Result<PlaceView> {
    match p {
        Place::Window(code) => {
            let w = service_window::Entity::find()
                .filter(service_window::Column::Code.eq(code))
                .filter(service_window::Column::Active.eq(true))
                .one(db)
                .await?
                .ok_or(Error::NotFound("window"))?;
            let h = hall::Entity::find_by_id(w.hall_id).one(db).await?.ok_or(Error::NotFound("hall"))?;
            Ok(PlaceView {
                real_name: real_name(db, h.region_id).await?,
                hall_id: h.id,
                hall_code: h.code,
                hall_name: h.name,
                window_id: Some(w.id),
                window_code: Some(w.code),
                window_name: Some(w.name),
            })
        }
        Place::Hall(code) => {
            let h = hall::Entity::find()
                .filter(hall::Column::Code.eq(code))
                .filter(hall::Column::Active.eq(true))
                .one(db)
                .await?
                .ok_or(Error::NotFound("hall"))?;
            Ok(PlaceView {
                real_name: real_name(db, h.region_id).await?,
                hall_id: h.id,
                hall_code: h.code,
                hall_name: h.name,
                window_id: None,
                window_code: None,
                window_name: None,
            })
        }
    }
}

/// The repeat rules, from configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A second rating of the same place from the same browser within this time is a repeat.
    pub same_browser: Duration,
    /// More than `burst_count` ratings from one address within `burst_window` are a burst.
    pub burst_count: u64,
    pub burst_window: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            same_browser: Duration::minutes(30),
            burst_count: 10,
            burst_window: Duration::minutes(10),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub id: i32,
    /// `same_browser` / `burst` when flagged and not counted.
    pub repeat_reason: Option<String>,
    /// This submission id was already stored: nothing new was written.
    pub resent: bool,
}

pub struct Submission<'a> {
    pub input: &'a RatingInput,
    pub submission_id: &'a str,
    pub rater_id: &'a str,
    pub address: Option<&'a str>,
    /// `static_qr`, or `kiosk` for a paired device.
    pub channel: Channel,
    pub device_id: Option<i32>,
    /// When the citizen rated, if earlier than now (queued offline).
    pub rated_at: Option<DateTime<Utc>>,
    /// A paired device's limit: ratings a minute (by the time of rating)
    /// beyond it are flagged `device_burst` and not counted.
    pub device_per_minute: Option<u32>,
    /// The token of a phone proven by SMS code, where the region requires
    /// real names (static codes and kiosks).
    pub real_name_token: Option<&'a str>,
}

impl<'a> Submission<'a> {
    /// A rating from a static code, made now.
    pub fn static_qr(input: &'a RatingInput, submission_id: &'a str, rater_id: &'a str, address: Option<&'a str>) -> Self {
        Submission {
            input,
            submission_id,
            rater_id,
            address,
            channel: Channel::StaticQr,
            device_id: None,
            rated_at: None,
            device_per_minute: None,
            real_name_token: None,
        }
    }
}

/// Stores one rating of a place, exactly once per submission id. With
/// `limits` (static codes anyone can scan) repeats are flagged instead of
/// refused; a kiosk's ratings come from a paired device and have none.
pub async fn rate(
    db: &Db,
    key: &DataKey,
    p: &PlaceView,
    sub: &Submission<'_>,
    limits: Option<&Limits>,
    now: DateTime<Utc>,
) -> Result<Stored> {
    let valid_id = |s: &str| (16..=64).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric());
    if !valid_id(sub.submission_id) {
        return Err(Error::invalid("submission", Reason::FormIncomplete));
    }
    if !valid_id(sub.rater_id) {
        return Err(Error::invalid("rater", Reason::CookiesNeeded));
    }
    let address_hash = sub.address.map(|a| key.hash(&format!("addr:{a}")));
    let txn = db.begin_with_options(immediate()).await?;
    if let Some(r) = place_rating::Entity::find()
        .filter(place_rating::Column::SubmissionId.eq(sub.submission_id))
        .one(&txn)
        .await?
    {
        txn.rollback().await?;
        return Ok(Stored {
            id: r.id,
            repeat_reason: r.repeat_reason,
            resent: true,
        });
    }
    let repeat = match limits {
        Some(limits) => repeat_reason(&txn, p, sub, address_hash.as_deref(), limits, now).await?,
        None => None,
    };
    let repeat = match (repeat, sub.device_id, sub.device_per_minute) {
        (None, Some(device), Some(per_minute)) => device_burst(&txn, device, sub.rated_at.unwrap_or(now).min(now), per_minute).await?,
        (r, _, _) => r,
    };
    // Where the region requires real names, a static-code rating is given
    // from a phone proven by SMS code, each proof good for one rating.
    let proven = if p.real_name && matches!(sub.channel, Channel::StaticQr | Channel::Kiosk) {
        match crate::phone_check::consume(&txn, key, sub.real_name_token, now).await {
            Ok(proven) => Some(proven),
            Err(e) => {
                txn.rollback().await?;
                return Err(e);
            }
        }
    } else {
        None
    };
    let target = if p.window_id.is_some() { Target::Window } else { Target::Hall };
    let inserted = place_rating::ActiveModel {
        hall_id: Set(p.hall_id),
        window_id: Set(p.window_id),
        target: Set(target.code().to_string()),
        level: Set(sub.input.level.code().to_string()),
        score: Set(sub.input.level.score()),
        channel: Set(sub.channel.code().to_string()),
        tags: Set(crate::columns::tags_text(sub.input)),
        comment: Set(sub.input.comment.as_ref().map(|c| c.as_str().to_string())),
        catalog_version: Set(CATALOG_VERSION),
        submission_id: Set(sub.submission_id.to_string()),
        rater_id: Set(sub.rater_id.to_string()),
        address_hash: Set(address_hash),
        repeat_reason: Set(repeat.map(str::to_string)),
        counted: Set(repeat.is_none()),
        created_at: Set(now),
        device_id: Set(sub.device_id),
        rated_at: Set(sub.rated_at.filter(|t| *t <= now)),
        phone_sealed: Set(proven.as_ref().map(|p| p.phone_sealed.clone())),
        phone_hash: Set(proven.map(|p| p.phone_hash)),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(r) => {
            crate::counters::rating_stored(&r.channel, &r.level);
            crate::rollup::mark(&txn, &[r.created_at]).await?;
            // Issue 15: a counted rating is reported upward; a flagged one is not counted anywhere.
            if r.counted {
                crate::exchange::enqueue(&txn, crate::exchange::Kind::Place, r.id, crate::exchange::At::Hall(r.hall_id), now).await?;
            }
            // A counted bad rating opens its work order; a flagged one waits for review.
            crate::work_orders::open_for_place(&txn, &r, "system", now).await?;
            txn.commit().await?;
            Ok(Stored {
                id: r.id,
                repeat_reason: r.repeat_reason,
                resent: false,
            })
        }
        Err(e) if Error::is_unique_violation(&e) => {
            // A concurrent resend of the same submission won the race.
            txn.rollback().await?;
            let r = place_rating::Entity::find()
                .filter(place_rating::Column::SubmissionId.eq(sub.submission_id))
                .one(db)
                .await?
                .ok_or(Error::NotFound("rating"))?;
            Ok(Stored {
                id: r.id,
                repeat_reason: r.repeat_reason,
                resent: true,
            })
        }
        Err(e) => Err(e.into()),
    }
}

async fn repeat_reason(
    txn: &sea_orm::DatabaseTransaction,
    p: &PlaceView,
    sub: &Submission<'_>,
    address_hash: Option<&str>,
    limits: &Limits,
    now: DateTime<Utc>,
) -> Result<Option<&'static str>> {
    let mut same_place = place_rating::Entity::find()
        .filter(place_rating::Column::RaterId.eq(sub.rater_id))
        .filter(place_rating::Column::HallId.eq(p.hall_id))
        .filter(place_rating::Column::CreatedAt.gt(now - limits.same_browser));
    same_place = match p.window_id {
        Some(w) => same_place.filter(place_rating::Column::WindowId.eq(w)),
        None => same_place.filter(place_rating::Column::WindowId.is_null()),
    };
    if same_place.count(txn).await? > 0 {
        return Ok(Some("same_browser"));
    }
    let Some(h) = address_hash else {
        return Ok(None);
    };
    let recent = place_rating::Entity::find()
        .filter(place_rating::Column::AddressHash.eq(h))
        .filter(place_rating::Column::CreatedAt.gt(now - limits.burst_window))
        .count(txn)
        .await?;
    Ok((recent >= limits.burst_count).then_some("burst"))
}

/// Issue 13 item 2: a paired device gives at most `per_minute` ratings in the
/// minute before `at` (its time of rating — queued ratings keep theirs); the
/// rest are a burst no citizen queue can make, flagged and not counted.
async fn device_burst(txn: &sea_orm::DatabaseTransaction, device: i32, at: DateTime<Utc>, per_minute: u32) -> Result<Option<&'static str>> {
    use sea_orm::Condition;
    let from = at - Duration::seconds(60);
    let within = Condition::any()
        .add(
            Condition::all()
                .add(place_rating::Column::RatedAt.gt(from))
                .add(place_rating::Column::RatedAt.lte(at)),
        )
        .add(
            Condition::all()
                .add(place_rating::Column::RatedAt.is_null())
                .add(place_rating::Column::CreatedAt.gt(from))
                .add(place_rating::Column::CreatedAt.lte(at)),
        );
    let recent = place_rating::Entity::find()
        .filter(place_rating::Column::DeviceId.eq(device))
        .filter(within)
        .count(txn)
        .await?;
    Ok((recent >= u64::from(per_minute)).then_some("device_burst"))
}

/// Halls' windows, for the print pages: `(code, name)` of active windows.
pub async fn hall_windows(db: &Db, hall_id: i32) -> Result<Vec<(String, String)>> {
    use sea_orm::QueryOrder;
    Ok(service_window::Entity::find()
        .filter(service_window::Column::HallId.eq(hall_id))
        .filter(service_window::Column::Active.eq(true))
        .order_by_asc(service_window::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.code, w.name))
        .collect())
}
