//! Window evaluators (评价器, SPEC §3/§9): a tablet facing the citizen, paired
//! to one window with a one-time code an administrator shows; it keeps a
//! revocable credential. Staff invite a rating for a case from their console;
//! the tablet shows that case's rating page, then returns to its idle screen.

use chrono::{DateTime, Duration, Utc};
use domain::access::{PAIRING_THROTTLE, PAIRING_TRIES};
use domain::Channel;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::accounts::{Actor, Scope};
use crate::admin::{self, Kind};
use crate::audit::{self, Entry, Meta, Who};
use crate::entities::{device, hall, rating, rating_token, service_case, service_window, staff};
use crate::{immediate, Db, Error, Reason, Result};

/// How long a pairing code can be used.
pub const PAIRING_MINUTES: i64 = 10;
/// How long an invitation stays valid on the server; the tablet itself gives up
/// after 90 s without a touch (see the device page script) and dismisses it.
pub const INVITE_MINUTES: i64 = 30;
/// How long the tablet says thank you before it returns to idle.
pub const THANKS_SECONDS: i64 = 8;

fn hash(credential: &str) -> String {
    hex::encode(Sha256::digest(credential.as_bytes()))
}

async fn window_by_code(db: &Db, code: &str) -> Result<service_window::Model> {
    service_window::Entity::find()
        .filter(service_window::Column::Code.eq(code))
        .one(db)
        .await?
        .ok_or(Error::NotFound("window"))
}

async fn window_region(db: &Db, w: &service_window::Model) -> Result<Option<i32>> {
    Ok(hall::Entity::find_by_id(w.hall_id).one(db).await?.map(|h| h.region_id))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    pub id: i32,
    pub paired_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The pairing code while it can still be used.
    pub pairing_code: Option<String>,
    pub pairing_expires_at: Option<DateTime<Utc>>,
    pub kind: DeviceKind,
}

/// A window's devices, for an administrator whose scope covers the window.
pub async fn list(db: &Db, actor: &Actor, window_code: &str, now: DateTime<Utc>) -> Result<Vec<DeviceRow>> {
    admin::get(db, actor, Kind::Windows, window_code).await?;
    let w = window_by_code(db, window_code).await?;
    Ok(device::Entity::find()
        .filter(device::Column::WindowId.eq(w.id))
        .order_by_desc(device::Column::Id)
        .all(db)
        .await?
        .into_iter()
        // A code voided by wrong guesses is gone from the list like an expired one.
        .filter(|d| d.paired_at.is_some() || (d.pairing_expires_at.is_some_and(|e| e > now) && d.pairing_failures < PAIRING_TRIES as i32))
        .map(|d| DeviceRow {
            id: d.id,
            paired_at: d.paired_at,
            revoked_at: d.revoked_at,
            pairing_code: d.pairing_code.filter(|_| d.paired_at.is_none()),
            pairing_expires_at: d.pairing_expires_at,
            kind: DeviceKind::parse(&d.kind),
        })
        .collect())
}

/// Starts pairing a tablet to a window: a one-time 8-digit code, valid 10 min.
pub async fn start_pairing(db: &Db, actor: &Actor, window_code: &str, kind: DeviceKind, meta: &Meta) -> Result<String> {
    admin::get(db, actor, Kind::Windows, window_code).await?;
    // A kiosk rates the whole hall: only its center (or the system) pairs one.
    if kind == DeviceKind::Kiosk && !matches!(actor.scope, Scope::All | Scope::Regions { .. }) {
        return Err(Error::Forbidden);
    }
    let w = window_by_code(db, window_code).await?;
    let region = window_region(db, &w).await?;
    let txn = db.begin_with_options(immediate()).await?;
    let code = loop {
        use rand::Rng;
        let c = format!("{:08}", rand::rng().random_range(0..100_000_000u32));
        let taken = device::Entity::find()
            .filter(device::Column::PairingCode.eq(c.as_str()))
            .filter(device::Column::PairingExpiresAt.gt(meta.now))
            .one(&txn)
            .await?
            .is_some();
        if !taken {
            break c;
        }
    };
    let d = device::ActiveModel {
        window_id: Set(w.id),
        pairing_code: Set(Some(code.clone())),
        pairing_expires_at: Set(Some(meta.now + Duration::minutes(PAIRING_MINUTES))),
        credential_hash: Set(None),
        paired_at: Set(None),
        revoked_at: Set(None),
        created_by: Set(actor.job_number.clone()),
        created_at: Set(meta.now),
        kind: Set(kind.code().to_string()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::append(
        &txn,
        Entry {
            who: &Who::from(actor),
            action: "pair_start",
            object_kind: "devices",
            object_code: &format!("{}#{}", w.code, d.id),
            before: None,
            after: Some(json!({"window": w.code, "kind": kind.code()})),
            region_id: region,
        },
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(code)
}

/// The tablet enters the code once; it gets a credential to keep (a cookie).
/// Guessing is limited (issue 13 item 10): an address that tried
/// [`PAIRING_TRIES`] wrong codes waits ten minutes, and every wrong code tried
/// counts against each code open at the time — at [`PAIRING_TRIES`] a code is
/// void, so even many addresses get a handful of guesses at 10⁸ codes.
pub async fn complete_pairing(db: &Db, code: &str, address: Option<&str>, now: DateTime<Utc>) -> Result<String> {
    let code = code.trim();
    let invalid = || Error::invalid("code", Reason::PairingCode);
    let addr_key = format!("pair:addr:{}", address.unwrap_or("unknown"));
    let txn = db.begin_with_options(immediate()).await?;
    let seconds = crate::guard::wait(&txn, &addr_key, now, PAIRING_THROTTLE).await?;
    if seconds > 0 {
        txn.rollback().await?;
        return Err(Error::TooManyTries { seconds });
    }
    let found = if code.len() == 8 && code.chars().all(|c| c.is_ascii_digit()) {
        device::Entity::find()
            .filter(device::Column::PairingCode.eq(code))
            .filter(device::Column::PairedAt.is_null())
            .filter(device::Column::RevokedAt.is_null())
            .filter(device::Column::PairingExpiresAt.gt(now))
            .filter(device::Column::PairingFailures.lt(PAIRING_TRIES as i32))
            .one(&txn)
            .await?
    } else {
        None
    };
    let Some(d) = found else {
        crate::guard::fail(&txn, &addr_key, now, PAIRING_THROTTLE).await?;
        device::Entity::update_many()
            .col_expr(
                device::Column::PairingFailures,
                sea_orm::sea_query::ExprTrait::add(sea_orm::sea_query::Expr::col(device::Column::PairingFailures), 1),
            )
            .filter(device::Column::PairingCode.is_not_null())
            .filter(device::Column::PairedAt.is_null())
            .filter(device::Column::PairingExpiresAt.gt(now))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        return Err(invalid());
    };
    let credential = format!("hd_{}", crate::random_token(32));
    let mut am: device::ActiveModel = d.into();
    am.credential_hash = Set(Some(hash(&credential)));
    am.pairing_code = Set(None);
    am.paired_at = Set(Some(now));
    am.update(&txn).await?;
    txn.commit().await?;
    Ok(credential)
}

/// What a paired device may rate (issue 13 item 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    /// A window's evaluator (or screen): its own window only. Any
    /// administrator whose scope covers the window pairs one.
    Evaluator,
    /// A hall's self-service kiosk: any window of the hall, or the hall.
    /// Only a center or system administrator pairs one.
    Kiosk,
}

impl DeviceKind {
    pub fn code(self) -> &'static str {
        match self {
            DeviceKind::Evaluator => "evaluator",
            DeviceKind::Kiosk => "kiosk",
        }
    }

    pub fn parse(s: &str) -> DeviceKind {
        if s == "kiosk" {
            DeviceKind::Kiosk
        } else {
            DeviceKind::Evaluator
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub id: i32,
    pub window_id: i32,
    pub window_code: String,
    pub kind: DeviceKind,
}

/// The device a credential belongs to; `Unauthorized` if unknown or revoked.
pub async fn authenticate(db: &Db, credential: &str) -> Result<DeviceInfo> {
    let d = device::Entity::find()
        .filter(device::Column::CredentialHash.eq(hash(credential.trim())))
        .one(db)
        .await?
        .filter(|d| d.revoked_at.is_none() && d.paired_at.is_some())
        .ok_or(Error::Unauthorized)?;
    let w = service_window::Entity::find_by_id(d.window_id)
        .one(db)
        .await?
        .ok_or(Error::Unauthorized)?;
    Ok(DeviceInfo {
        id: d.id,
        window_id: w.id,
        window_code: w.code,
        kind: DeviceKind::parse(&d.kind),
    })
}

/// Revokes a device of a window in the administrator's scope.
pub async fn revoke(db: &Db, actor: &Actor, window_code: &str, device_id: i32, meta: &Meta) -> Result<()> {
    admin::get(db, actor, Kind::Windows, window_code).await?;
    let w = window_by_code(db, window_code).await?;
    let region = window_region(db, &w).await?;
    let d = device::Entity::find_by_id(device_id)
        .one(db)
        .await?
        .filter(|d| d.window_id == w.id)
        .ok_or(Error::NotFound("device"))?;
    let txn = db.begin_with_options(immediate()).await?;
    let mut am: device::ActiveModel = d.into();
    am.revoked_at = Set(Some(meta.now));
    am.pairing_code = Set(None);
    am.update(&txn).await?;
    // Its open event stream ends at once.
    crate::notice::window_changed(&txn, w.id).await?;
    audit::append(
        &txn,
        Entry {
            who: &Who::from(actor),
            action: "revoke",
            object_kind: "devices",
            object_code: &format!("{}#{device_id}", w.code),
            before: None,
            after: None,
            region_id: region,
        },
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Staff invite a rating of a case completed at their window: the tablet shows
/// its rating page (channel `window_device`).
pub async fn invite(db: &Db, actor: &Actor, case_number: &str, now: DateTime<Utc>) -> Result<()> {
    let Scope::Window(window_id) = actor.scope else {
        return Err(Error::Forbidden);
    };
    let case = service_case::Entity::find()
        .filter(service_case::Column::WindowId.eq(window_id))
        .filter(service_case::Column::CaseNumber.eq(case_number.trim()))
        .order_by_desc(service_case::Column::Id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("case"))?;
    let rated = rating::Entity::find()
        .filter(rating::Column::CaseId.eq(case.id))
        .one(db)
        .await?
        .is_some();
    if rated {
        return Err(Error::AlreadyRated);
    }
    let txn = db.begin_with_options(immediate()).await?;
    let ttl = Duration::minutes(INVITE_MINUTES);
    // The other items of its 一件事 bundle get tablet links first, so that the
    // rating page (a GET, which writes nothing) can offer them, and the invited
    // case's link stays the newest (the one the tablet shows).
    for sibling in crate::cases::bundle_siblings(&txn, &case).await? {
        crate::cases::issue_token(&txn, sibling.id, Channel::WindowDevice, now, ttl).await?;
    }
    crate::cases::issue_token(&txn, case.id, Channel::WindowDevice, now, ttl).await?;
    crate::notice::window_changed(&txn, window_id).await?;
    txn.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceState {
    Idle,
    /// A case waits for its rating on this tablet.
    Invited {
        token: String,
        item_name: String,
        /// The case's dynamic-QR link, for "rate later on my phone".
        phone_token: Option<String>,
    },
    Thanks,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceScreen {
    pub window_code: String,
    pub window_name: String,
    pub hall_name: String,
    pub staff_name: Option<String>,
    pub staff_number: Option<String>,
    pub staff_photo: Option<String>,
    pub state: DeviceState,
}

/// What the tablet shows now. Polled by its event stream, so several server
/// processes on one PostgreSQL database serve it alike.
pub async fn screen(db: &Db, d: &DeviceInfo, now: DateTime<Utc>) -> Result<DeviceScreen> {
    let w = service_window::Entity::find_by_id(d.window_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("window"))?;
    let h = hall::Entity::find_by_id(w.hall_id).one(db).await?;
    let latest_case = service_case::Entity::find()
        .filter(service_case::Column::WindowId.eq(w.id))
        .order_by_desc(service_case::Column::CompletedAt)
        .order_by_desc(service_case::Column::Id)
        .one(db)
        .await?;
    // The latest invitation at this window, if recent.
    let case_ids: Vec<i32> = service_case::Entity::find()
        .filter(service_case::Column::WindowId.eq(w.id))
        .filter(service_case::Column::CompletedAt.gt(now - Duration::days(2)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let invite = rating_token::Entity::find()
        .filter(rating_token::Column::CaseId.is_in(case_ids))
        .filter(rating_token::Column::Channel.eq(Channel::WindowDevice.code()))
        .filter(rating_token::Column::CreatedAt.gt(now - Duration::minutes(INVITE_MINUTES)))
        .order_by_desc(rating_token::Column::Id)
        .one(db)
        .await?;
    let mut staff_case = latest_case.clone();
    let state = match invite {
        None => DeviceState::Idle,
        Some(t) => {
            let case = service_case::Entity::find_by_id(t.case_id)
                .one(db)
                .await?
                .ok_or(Error::NotFound("case"))?;
            let rated = rating::Entity::find().filter(rating::Column::CaseId.eq(case.id)).one(db).await?;
            let state = match (t.used_at, rated) {
                (Some(used), _) if now - used < Duration::seconds(THANKS_SECONDS) => DeviceState::Thanks,
                (None, Some(r)) if now - r.created_at < Duration::seconds(THANKS_SECONDS) => DeviceState::Thanks,
                (None, None) if now < t.expires_at => {
                    let phone = rating_token::Entity::find()
                        .filter(rating_token::Column::CaseId.eq(case.id))
                        .filter(rating_token::Column::Channel.eq(Channel::DynamicQr.code()))
                        .filter(rating_token::Column::UsedAt.is_null())
                        .filter(rating_token::Column::ExpiresAt.gt(now))
                        .order_by_desc(rating_token::Column::Id)
                        .one(db)
                        .await?;
                    let item_name = crate::entities::item::Entity::find_by_id(case.item_id)
                        .one(db)
                        .await?
                        .map(|i| i.name)
                        .unwrap_or_default();
                    DeviceState::Invited {
                        token: t.token,
                        item_name,
                        phone_token: phone.map(|p| p.token),
                    }
                }
                _ => DeviceState::Idle,
            };
            staff_case = Some(case);
            state
        }
    };
    let s = match staff_case.and_then(|c| c.staff_id) {
        Some(id) => staff::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    Ok(DeviceScreen {
        window_code: w.code,
        window_name: w.name,
        hall_name: h.map(|h| h.name).unwrap_or_default(),
        staff_name: s.as_ref().map(|s| s.name.clone()),
        staff_number: s.as_ref().map(|s| s.number.clone()),
        // Only this server's own photos reach a device (an older record may hold another address).
        staff_photo: s.and_then(|s| s.photo_url).filter(|u| crate::photos::is_own_photo(u)),
        state,
    })
}

/// The tablet gave up waiting (nobody touched it): the invitation ends.
pub async fn dismiss(db: &Db, d: &DeviceInfo, now: DateTime<Utc>) -> Result<u64> {
    let case_ids: Vec<i32> = service_case::Entity::find()
        .filter(service_case::Column::WindowId.eq(d.window_id))
        .filter(service_case::Column::CompletedAt.gt(now - Duration::days(2)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let ended = rating_token::Entity::update_many()
        .col_expr(rating_token::Column::ExpiresAt, sea_orm::sea_query::Expr::value(now))
        .filter(rating_token::Column::CaseId.is_in(case_ids))
        .filter(rating_token::Column::Channel.eq(Channel::WindowDevice.code()))
        .filter(rating_token::Column::UsedAt.is_null())
        .filter(rating_token::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?
        .rows_affected;
    if ended > 0 {
        crate::notice::window_changed(db, d.window_id).await?;
    }
    Ok(ended)
}

/// Whether a device is still paired and not revoked.
pub async fn authenticate_id(db: &Db, id: i32) -> Result<()> {
    device::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|d| d.revoked_at.is_none() && d.paired_at.is_some())
        .map(|_| ())
        .ok_or(Error::Unauthorized)
}

// ---------------------------------------------------------------- kiosk mode

/// What a kiosk (自助终端) needs to show its start screen: the hall of the
/// window it is paired to, and the hall's windows to choose from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskSetup {
    pub hall_code: String,
    pub hall_name: String,
    /// The window the device is paired to.
    pub window_code: String,
    /// Active windows of the hall, `(code, name)` in code order.
    pub windows: Vec<(String, String)>,
    /// The hall's region requires real names: a phone proven by SMS code
    /// before each rating (issue 13 item 6).
    pub real_name: bool,
}

pub async fn kiosk_setup(db: &Db, d: &DeviceInfo) -> Result<KioskSetup> {
    let w = service_window::Entity::find_by_id(d.window_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("window"))?;
    let h = hall::Entity::find_by_id(w.hall_id).one(db).await?.ok_or(Error::NotFound("hall"))?;
    let (policy, _) = crate::policies::for_region(db, h.region_id).await?;
    Ok(KioskSetup {
        real_name: policy.real_name == domain::policy::RealName::Required,
        // An evaluator in kiosk mode offers its own window only.
        windows: match d.kind {
            DeviceKind::Kiosk => crate::place_ratings::hall_windows(db, h.id).await?,
            DeviceKind::Evaluator => vec![(w.code.clone(), w.name.clone())],
        },
        hall_code: h.code,
        hall_name: h.name,
        window_code: w.code,
    })
}

/// One rating made on a kiosk, possibly queued there while offline.
pub struct KioskRating<'a> {
    /// The kiosk's idempotency key: resending it stores nothing new.
    pub submission_id: &'a str,
    /// A window of the kiosk's hall, or none for the hall as a whole.
    pub window_code: Option<&'a str>,
    pub input: &'a domain::RatingInput,
    /// When the citizen rated, by the kiosk's clock.
    pub rated_at: Option<DateTime<Utc>>,
    /// Where the region requires real names: the token of a phone proven
    /// by SMS code at the kiosk.
    pub real_name_token: Option<&'a str>,
}

/// Stores a kiosk rating exactly once per submission id (channel `kiosk`).
/// The window must be an active window of the kiosk's hall.
pub async fn kiosk_rate(
    db: &Db,
    key: &crate::crypto::DataKey,
    d: &DeviceInfo,
    r: &KioskRating<'_>,
    now: DateTime<Utc>,
) -> Result<crate::place_ratings::Stored> {
    use crate::place_ratings::{place, Place, Submission};
    let own = service_window::Entity::find_by_id(d.window_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("window"))?;
    let hall = hall::Entity::find_by_id(own.hall_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("hall"))?;
    let p = match r.window_code.map(str::trim).filter(|c| !c.is_empty()) {
        None => place(db, Place::Hall(&hall.code)).await,
        Some(code) => place(db, Place::Window(code)).await,
    };
    // An evaluator rates its own window only; a kiosk any window of its hall.
    if d.kind == DeviceKind::Evaluator && r.window_code.map(str::trim) != Some(own.code.as_str()) {
        return Err(Error::invalid("window_code", Reason::OwnWindowOnly));
    }
    let p = match p {
        Ok(p) if p.hall_id == hall.id => p,
        Ok(_) | Err(Error::NotFound(_)) => return Err(Error::invalid("window_code", Reason::NotInHall)),
        Err(e) => return Err(e),
    };
    let rater = format!("kiosk{:011}", d.id);
    // The hall's policy bounds what a device may claim (issue 13 item 2): a
    // time of rating within its offline-queue horizon and not in the future,
    // and a rate a citizen queue can reach.
    let (policy, _) = crate::policies::for_region(db, hall.region_id).await?;
    if let Some(t) = r.rated_at {
        if t > now + Duration::minutes(5) {
            return Err(Error::invalid("rated_at", Reason::InFuture));
        }
        if t < now - Duration::hours(i64::from(policy.device_queue_hours)) {
            return Err(Error::invalid(
                "rated_at",
                Reason::QueuedTooLong {
                    hours: policy.device_queue_hours,
                },
            ));
        }
    }
    let rated_at = r.rated_at.map(|t| t.min(now));
    let sub = Submission {
        input: r.input,
        submission_id: r.submission_id,
        rater_id: &rater,
        address: None,
        channel: Channel::Kiosk,
        device_id: Some(d.id),
        rated_at,
        device_per_minute: Some(policy.device_per_minute),
        real_name_token: r.real_name_token,
    };
    crate::place_ratings::rate(db, key, &p, &sub, None, now).await
}

/// Ratings this device sent that were stored today (Beijing day).
pub async fn kiosk_rated_today(db: &Db, d: &DeviceInfo, now: DateTime<Utc>) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    let start = crate::console::day_start(now);
    Ok(crate::entities::place_rating::Entity::find()
        .filter(crate::entities::place_rating::Column::DeviceId.eq(d.id))
        .filter(crate::entities::place_rating::Column::CreatedAt.gte(start))
        .count(db)
        .await?)
}
