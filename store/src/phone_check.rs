//! Real-name checks (issue 13 item 6; 004 第五条 实名制): where a region's
//! policy requires real names, a static-code rating counts only from a phone
//! proven by a 6-digit SMS code — one code per phone per minute, valid 10
//! minutes, void after 5 wrong tries. A proven phone gives the browser a token
//! (kept only as a keyed hash) good for one rating within 30 minutes.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};

use crate::crypto::DataKey;
use crate::entities::phone_check;
use crate::{immediate, random_token, Db, Error, Reason, Result};

pub const CODE_MINUTES: i64 = 10;
pub const TRIES: i32 = 5;
pub const RESEND_SECONDS: i64 = 60;
pub const PROVEN_MINUTES: i64 = 30;

fn phone(s: &str) -> Result<String> {
    domain::values::Phone::parse(s)
        .map(|p| p.expose().to_string())
        .map_err(|e| Error::invalid("phone", Reason::Value(e)))
}

fn six_digits() -> String {
    use rand::Rng;
    format!("{:06}", rand::rng().random_range(0..1_000_000))
}

/// Sends a code to `phone` (SMS outbox, at once: quiet hours do not apply to a
/// code the rater is waiting for).
pub async fn send(db: &Db, key: &DataKey, phone_text: &str, now: DateTime<Utc>) -> Result<()> {
    let phone = phone(phone_text)?;
    let hash = key.hash(&phone);
    let txn = db.begin_with_options(immediate()).await?;
    if let Some(last) = phone_check::Entity::find()
        .filter(phone_check::Column::PhoneHash.eq(hash.as_str()))
        .order_by_desc(phone_check::Column::CreatedAt)
        .one(&txn)
        .await?
    {
        let wait = RESEND_SECONDS - (now - last.created_at).num_seconds();
        if wait > 0 {
            txn.rollback().await?;
            return Err(Error::invalid("phone", Reason::CodeTooSoon { seconds: wait }));
        }
    }
    let code = six_digits();
    phone_check::ActiveModel {
        phone_hash: Set(hash),
        phone_sealed: Set(key.seal(&phone)),
        code_hash: Set(key.hash(&format!("code:{code}"))),
        tries: Set(0),
        created_at: Set(now),
        expires_at: Set(now + Duration::minutes(CODE_MINUTES)),
        verified_at: Set(None),
        token_hash: Set(None),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let body = format!("【政务服务好差评】您的评价验证码为 {code}，{CODE_MINUTES} 分钟内有效。如非本人操作请忽略。");
    crate::sms::queue_now(&txn, key, "real_name_code", &phone, &body, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Checks `code` against the phone's live code; right → a token for one
/// rating within [`PROVEN_MINUTES`].
pub async fn verify(db: &Db, key: &DataKey, phone_text: &str, code: &str, now: DateTime<Utc>) -> Result<String> {
    let phone = phone(phone_text)?;
    let code = code.trim();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::invalid("sms_code", Reason::Code));
    }
    let txn = db.begin_with_options(immediate()).await?;
    let live = phone_check::Entity::find()
        .filter(phone_check::Column::PhoneHash.eq(key.hash(&phone)))
        .filter(phone_check::Column::VerifiedAt.is_null())
        .filter(phone_check::Column::ExpiresAt.gt(now))
        .filter(phone_check::Column::Tries.lt(TRIES))
        .order_by_desc(phone_check::Column::CreatedAt)
        .one(&txn)
        .await?;
    let Some(c) = live else {
        txn.rollback().await?;
        return Err(Error::invalid("sms_code", Reason::NoLiveCode));
    };
    if c.code_hash != key.hash(&format!("code:{code}")) {
        let tries = c.tries + 1;
        let mut am: phone_check::ActiveModel = c.into();
        am.tries = Set(tries);
        am.update(&txn).await?;
        txn.commit().await?;
        return Err(Error::invalid(
            "sms_code",
            if tries >= TRIES {
                Reason::NoLiveCode
            } else {
                Reason::WrongCode { left: TRIES - tries }
            },
        ));
    }
    let token = random_token(24);
    let mut am: phone_check::ActiveModel = c.into();
    am.verified_at = Set(Some(now));
    am.token_hash = Set(Some(key.hash(&format!("token:{token}"))));
    am.update(&txn).await?;
    txn.commit().await?;
    Ok(token)
}

/// A proven phone, as a rating keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proven {
    pub phone_sealed: String,
    pub phone_hash: String,
}

/// The masked phone a live token proves (for the page), if any.
pub async fn proven_phone(db: &Db, key: &DataKey, token: &str, now: DateTime<Utc>) -> Result<Option<String>> {
    Ok(live_token(db, key, token, now)
        .await?
        .and_then(|c| key.open(&c.phone_sealed))
        .map(|p| domain::values::mask_phone(&p)))
}

async fn live_token<C: ConnectionTrait>(conn: &C, key: &DataKey, token: &str, now: DateTime<Utc>) -> Result<Option<phone_check::Model>> {
    if token.is_empty() {
        return Ok(None);
    }
    Ok(phone_check::Entity::find()
        .filter(phone_check::Column::TokenHash.eq(key.hash(&format!("token:{token}"))))
        .filter(phone_check::Column::UsedAt.is_null())
        .filter(phone_check::Column::VerifiedAt.gt(now - Duration::minutes(PROVEN_MINUTES)))
        .one(conn)
        .await?)
}

/// Uses a token for one rating, inside the rating's transaction.
pub(crate) async fn consume<C: ConnectionTrait>(conn: &C, key: &DataKey, token: Option<&str>, now: DateTime<Utc>) -> Result<Proven> {
    let Some(c) = live_token(conn, key, token.unwrap_or(""), now).await? else {
        return Err(Error::invalid("phone", Reason::RealNameNeeded));
    };
    // Used once: of two ratings racing with one token, one wins.
    let used = phone_check::Entity::update_many()
        .col_expr(phone_check::Column::UsedAt, sea_orm::sea_query::Expr::value(now))
        .filter(phone_check::Column::Id.eq(c.id))
        .filter(phone_check::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    if used.rows_affected != 1 {
        return Err(Error::invalid("phone", Reason::RealNameNeeded));
    }
    Ok(Proven {
        phone_sealed: c.phone_sealed,
        phone_hash: c.phone_hash,
    })
}
