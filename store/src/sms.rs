//! SMS (000 rules 6–7): reminders with a signed link, replies of 1–5, and the
//! outbox every message goes through. A message is a row before anything is
//! sent (outbox pattern); the sender claims due rows (`FOR UPDATE SKIP LOCKED`
//! on PostgreSQL), marks them `sending` with the attempt counted and the next
//! attempt scheduled, and only then calls the gateway: a crash loses nothing,
//! and the retry carries the same message id so the gateway can drop it.
//! Phone numbers are sealed at rest, masked when shown, never logged.

use chrono::{DateTime, Duration, NaiveTime, Timelike, Utc};
use domain::calendar::{cst, day_of, start_of};
use domain::{Channel, Level, Phone, RatingInput, Target};
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};

use crate::crypto::DataKey;
use crate::entities::{rating, service_case, sms_message};
use crate::{immediate, random_token, Db, Error, Reason, Result};

pub mod code;
mod remind;
pub use remind::queue_reminders;

/// Attempts before a message is given up (state `failed`).
pub const MAX_ATTEMPTS: i32 = 6;

/// Waits after the n-th failed attempt: 1 min, 5 min, 30 min, 2 h, 6 h.
pub fn backoff(attempts: i32) -> Duration {
    match attempts {
        ..=1 => Duration::minutes(1),
        2 => Duration::minutes(5),
        3 => Duration::minutes(30),
        4 => Duration::hours(2),
        _ => Duration::hours(6),
    }
}

/// No SMS between 21:00 and 08:00 Beijing time: the earliest moment from `now`.
pub fn not_in_quiet_hours(now: DateTime<Utc>) -> DateTime<Utc> {
    let local = now.with_timezone(&cst());
    let eight = NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN);
    let day = day_of(now);
    if local.hour() >= 21 {
        start_of(day + Duration::days(1)) + Duration::hours(8)
    } else if local.time() < eight {
        start_of(day) + Duration::hours(8)
    } else {
        now
    }
}

// ---------------------------------------------------------------- signed links

/// The path of a case's SMS link: `/s/1/{case}-{signature}` (versioned; the
/// signature is a keyed hash, so case numbers cannot be guessed).
pub fn link_path(key: &DataKey, case_id: i32) -> String {
    format!("/s/1/{case_id}-{}", signature(key, case_id))
}

fn signature(key: &DataKey, case_id: i32) -> String {
    key.hash(&format!("sms-link/1/{case_id}"))[..10].to_string()
}

/// The case a link's last part names, if its signature is right.
pub fn verify_link(key: &DataKey, code: &str) -> Option<i32> {
    let (id, sig) = code.split_once('-')?;
    let id: i32 = id.parse().ok().filter(|i| *i > 0)?;
    // Both sides are hex of equal length: compare without early exit.
    let want = signature(key, id);
    (sig.len() == want.len() && sig.bytes().zip(want.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0).then_some(id)
}

/// The path of a closed work order's one-time re-rating link:
/// `/s/1/re{order}-{signature}` (the SMS link's shape, its own signature).
pub fn rerate_path(key: &DataKey, order_id: i32) -> String {
    format!("/s/1/re{order_id}-{}", rerate_signature(key, order_id))
}

fn rerate_signature(key: &DataKey, order_id: i32) -> String {
    key.hash(&format!("sms-rerate/1/{order_id}"))[..10].to_string()
}

/// The work order a re-rating link names, if its signature is right.
pub fn verify_rerate(key: &DataKey, code: &str) -> Option<i32> {
    let (id, sig) = code.strip_prefix("re")?.split_once('-')?;
    let id: i32 = id.parse().ok().filter(|i| *i > 0)?;
    let want = rerate_signature(key, id);
    (sig.len() == want.len() && sig.bytes().zip(want.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0).then_some(id)
}

/// The reply mapping, stated in every reminder (and used for inbound replies).
pub const REPLY_HINT: &str = "回复5非常满意4满意3基本满意2不满意1非常不满意";

/// A reminder's text: one 70-character segment when the link is short.
pub fn reminder_text(url: &str) -> String {
    format!("【好差评】请评价{url} {REPLY_HINT}")
}

/// Characters as an SMS gateway counts them (one per Chinese character).
pub fn sms_length(s: &str) -> usize {
    s.chars().count()
}

// ---------------------------------------------------------------- outbox

struct NewMessage<'a> {
    kind: &'a str,
    direction: &'a str,
    case_id: Option<i32>,
    phone: &'a str,
    body: &'a str,
    dedupe_key: Option<String>,
    state: &'a str,
    not_before: DateTime<Utc>,
}

async fn insert<C: ConnectionTrait>(conn: &C, key: &DataKey, m: NewMessage<'_>, now: DateTime<Utc>) -> Result<sms_message::Model> {
    Ok(sms_message::ActiveModel {
        message_id: Set(format!("hc{}", random_token(15))),
        dedupe_key: Set(m.dedupe_key),
        direction: Set(m.direction.into()),
        kind: Set(m.kind.into()),
        case_id: Set(m.case_id),
        phone_sealed: Set(key.seal(m.phone)),
        phone_hash: Set(key.hash(m.phone)),
        body: Set(m.body.into()),
        state: Set(m.state.into()),
        attempts: Set(0),
        not_before: Set(m.not_before),
        next_attempt_at: Set(m.not_before),
        last_error: Set(None),
        gateway: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

/// Queues a message the rater is waiting for (a real-name code) to go at
/// once, whatever the hour.
pub(crate) async fn queue_now<C: ConnectionTrait>(
    conn: &C,
    key: &DataKey,
    kind: &str,
    phone: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    insert(
        conn,
        key,
        NewMessage {
            kind,
            direction: "out",
            case_id: None,
            phone,
            body,
            dedupe_key: None,
            state: "queued",
            not_before: now,
        },
        now,
    )
    .await?;
    Ok(())
}

/// A message to a phone stored sealed elsewhere (a case's applicant, a
/// unit's 负责人): copied sealed, never opened.
pub(crate) struct Sealed<'a> {
    pub kind: &'a str,
    pub case_id: Option<i32>,
    pub sealed: &'a str,
    pub hash: &'a str,
    pub body: &'a str,
    pub dedupe_key: Option<String>,
}

/// Queues `m` for sending outside quiet hours; a second message with the
/// same dedupe key is not queued (`false`).
pub(crate) async fn queue_sealed<C: ConnectionTrait>(conn: &C, m: Sealed<'_>, now: DateTime<Utc>) -> Result<bool> {
    if let Some(k) = &m.dedupe_key {
        if sms_message::Entity::find()
            .filter(sms_message::Column::DedupeKey.eq(k.as_str()))
            .one(conn)
            .await?
            .is_some()
        {
            return Ok(false);
        }
    }
    let not_before = not_in_quiet_hours(now);
    sms_message::ActiveModel {
        message_id: Set(format!("hc{}", random_token(15))),
        dedupe_key: Set(m.dedupe_key),
        direction: Set("out".into()),
        kind: Set(m.kind.into()),
        case_id: Set(m.case_id),
        phone_sealed: Set(m.sealed.into()),
        phone_hash: Set(m.hash.into()),
        body: Set(m.body.into()),
        state: Set("queued".into()),
        attempts: Set(0),
        not_before: Set(not_before),
        next_attempt_at: Set(not_before),
        last_error: Set(None),
        gateway: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(true)
}

/// A message the sender has claimed: send it, then report with `sent`/`failed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub id: i32,
    pub message_id: String,
    pub phone: String,
    pub body: String,
    pub attempt: i32,
}

/// Claims up to `limit` due outgoing messages: each is marked `sending`, its
/// attempt counted and its next attempt scheduled *before* it is sent.
/// Reminders of cases rated in the meantime are cancelled instead.
pub async fn claim_due(db: &Db, key: &DataKey, now: DateTime<Utc>, limit: u64) -> Result<Vec<Claimed>> {
    let txn = db.begin_with_options(immediate()).await?;
    let mut q = sms_message::Entity::find()
        .filter(sms_message::Column::Direction.eq("out"))
        .filter(sms_message::Column::State.is_in(["queued", "sending"]))
        .filter(sms_message::Column::NextAttemptAt.lte(now))
        .filter(sms_message::Column::NotBefore.lte(now))
        .order_by_asc(sms_message::Column::NextAttemptAt)
        .limit(limit);
    if db.get_database_backend() == DatabaseBackend::Postgres {
        q = q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let rows = q.all(&txn).await?;
    let mut out = Vec::new();
    for m in rows {
        let rated = match (m.kind.as_str(), m.case_id) {
            ("reminder", Some(case)) => rating::Entity::find()
                .filter(rating::Column::CaseId.eq(case))
                .filter(rating::Column::Target.eq(Target::Item.code()))
                .one(&txn)
                .await?
                .is_some(),
            _ => false,
        };
        let attempt = m.attempts + 1;
        let phone = key.open(&m.phone_sealed);
        let (id, message_id, body) = (m.id, m.message_id.clone(), m.body.clone());
        let mut am: sms_message::ActiveModel = m.into();
        if rated {
            am.state = Set("cancelled".into());
            am.last_error = Set(Some("rated before it was sent".into()));
            am.update(&txn).await?;
            continue;
        }
        let Some(phone) = phone else {
            am.state = Set("failed".into());
            am.last_error = Set(Some("the phone number cannot be opened with this data key".into()));
            am.update(&txn).await?;
            continue;
        };
        am.state = Set("sending".into());
        am.attempts = Set(attempt);
        am.next_attempt_at = Set(now + backoff(attempt));
        am.update(&txn).await?;
        out.push(Claimed {
            id,
            message_id,
            phone,
            body,
            attempt,
        });
    }
    txn.commit().await?;
    Ok(out)
}

pub async fn mark_sent(db: &Db, id: i32, gateway: &str, now: DateTime<Utc>) -> Result<()> {
    sms_message::Entity::update_many()
        .col_expr(sms_message::Column::State, sea_orm::sea_query::Expr::value("sent"))
        .col_expr(sms_message::Column::Gateway, sea_orm::sea_query::Expr::value(gateway))
        .col_expr(sms_message::Column::SentAt, sea_orm::sea_query::Expr::value(now))
        .col_expr(
            sms_message::Column::LastError,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .filter(sms_message::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// A failed attempt: retried at the scheduled time, or given up when the
/// gateway refused it for good or the attempts are used up.
pub async fn mark_failed(db: &Db, id: i32, attempt: i32, error: &str, permanent: bool) -> Result<()> {
    let give_up = permanent || attempt >= MAX_ATTEMPTS;
    let mut update = sms_message::Entity::update_many().col_expr(
        sms_message::Column::LastError,
        sea_orm::sea_query::Expr::value(error.chars().take(500).collect::<String>()),
    );
    if give_up {
        update = update.col_expr(sms_message::Column::State, sea_orm::sea_query::Expr::value("failed"));
    }
    update.filter(sms_message::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

// ---------------------------------------------------------------- inbound

/// What became of an inbound SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// Stored as a rating of this case (channel `sms_reply`); a bad one's
    /// answer carries the case's link to add the reasons.
    Rated { case_id: i32, level: Level },
    /// A digit, but no reminded, unrated case for this phone.
    NoCase,
    /// Not a reply we understand.
    NotUnderstood,
}

fn reply_level(text: &str) -> Option<u8> {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let t = t.trim_end_matches(['。', '.', '!', '！']);
    let digit = match t {
        "1" | "１" => 1,
        "2" | "２" => 2,
        "3" | "３" => 3,
        "4" | "４" => 4,
        "5" | "５" => 5,
        _ => return None,
    };
    Some(digit)
}

/// Records an inbound SMS and, for a reply of 1–5, rates the latest reminded,
/// unrated case of that phone. Returns the outcome and the answer to send back
/// (queued in the outbox as kind `reply`).
pub async fn inbound(db: &Db, key: &DataKey, phone: &str, text: &str, public_url: &str, now: DateTime<Utc>) -> Result<(Inbound, String)> {
    let phone = Phone::parse(phone).map_err(|_| Error::invalid("phone", Reason::Value(domain::ValueError::Phone)))?;
    if text.chars().count() > 500 {
        return Err(Error::invalid("text", Reason::TooLong { max: 500 }));
    }
    let hash = key.hash(phone.expose());
    let txn = db.begin_with_options(immediate()).await?;
    insert(
        &txn,
        key,
        NewMessage {
            kind: "inbound",
            direction: "in",
            case_id: None,
            phone: phone.expose(),
            body: text,
            dedupe_key: None,
            state: "received",
            not_before: now,
        },
        now,
    )
    .await?;
    let outcome = match reply_level(text) {
        None => Inbound::NotUnderstood,
        Some(stars) => {
            let reminders = sms_message::Entity::find()
                .filter(sms_message::Column::PhoneHash.eq(hash.as_str()))
                .filter(sms_message::Column::Kind.eq("reminder"))
                .filter(sms_message::Column::CreatedAt.gt(now - Duration::days(30)))
                .order_by_desc(sms_message::Column::Id)
                .all(&txn)
                .await?;
            let mut found = None;
            for r in reminders {
                let Some(case_id) = r.case_id else { continue };
                let rated = rating::Entity::find()
                    .filter(rating::Column::CaseId.eq(case_id))
                    .filter(rating::Column::Target.eq(Target::Item.code()))
                    .one(&txn)
                    .await?
                    .is_some();
                if !rated {
                    found = Some(case_id);
                    break;
                }
            }
            match (found, Level::from_stars(stars)) {
                // A bad reply is stored like any other (never lost to a default
                // later); the answer asks for the reasons through the link.
                (Some(case_id), Some(level)) => {
                    let input = RatingInput {
                        level,
                        tags: vec![],
                        comment: None,
                    };
                    crate::ratings::rate_case(&txn, case_id, &input, Channel::SmsReply, now).await?;
                    Inbound::Rated { case_id, level }
                }
                _ => Inbound::NoCase,
            }
        }
    };
    let answer = match &outcome {
        Inbound::Rated { case_id, level } if level.is_bad() => format!(
            "【好差评】已收到您的评价：{}。很抱歉让您不满意，请点击说明原因，我们会尽快处理：{public_url}{}",
            level.label_zh(),
            link_path(key, *case_id)
        ),
        Inbound::Rated { level, .. } => format!("【好差评】已收到您的评价：{}。感谢您的评价！", level.label_zh()),
        Inbound::NoCase => "【好差评】没有找到待评价的办件，可能已经评价过。如需帮助请致电12345。".to_string(),
        Inbound::NotUnderstood => format!("【好差评】未能识别您的回复。请回复一个数字：{}", &REPLY_HINT["回复".len()..]),
    };
    insert(
        &txn,
        key,
        NewMessage {
            kind: "reply",
            direction: "out",
            case_id: match &outcome {
                Inbound::Rated { case_id, .. } => Some(*case_id),
                _ => None,
            },
            phone: phone.expose(),
            body: &answer,
            dedupe_key: None,
            state: "queued",
            not_before: now,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok((outcome, answer))
}

// ---------------------------------------------------------------- the outbox page

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub message_id: String,
    pub direction: String,
    pub kind: String,
    /// Masked: 138****1234.
    pub phone: String,
    pub body: String,
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub not_before: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// The latest messages (for system administrators: phones masked).
pub async fn latest(db: &Db, key: &DataKey, limit: u64) -> Result<Vec<OutboxRow>> {
    Ok(sms_message::Entity::find()
        .order_by_desc(sms_message::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|m| OutboxRow {
            phone: key
                .open(&m.phone_sealed)
                .map(|p| domain::values::mask_phone(&p))
                .unwrap_or_else(|| "***".into()),
            message_id: m.message_id,
            direction: m.direction,
            kind: m.kind,
            body: m.body,
            state: m.state,
            attempts: m.attempts,
            last_error: m.last_error,
            created_at: m.created_at,
            not_before: m.not_before,
            sent_at: m.sent_at,
        })
        .collect())
}

/// The rating token behind a case's SMS link: an unused one still valid, or a
/// new one (channel `sms_link`). `NotFound` for an unknown case.
pub async fn link_token(db: &Db, case_id: i32, now: DateTime<Utc>, ttl: Duration) -> Result<String> {
    let txn = db.begin_with_options(immediate()).await?;
    let case = service_case::Entity::find_by_id(case_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("case"))?;
    let token = crate::cases::open_token(&txn, case_id, Channel::SmsLink, now, ttl).await?;
    // The other items of its 一件事 bundle get links of their own now, so that
    // the rating page (a GET) only reads them.
    for sibling in crate::cases::bundle_siblings(&txn, &case).await? {
        crate::cases::open_token(&txn, sibling.id, Channel::SmsLink, now, ttl).await?;
    }
    txn.commit().await?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn quiet_hours_wait_for_eight_in_the_morning_beijing_time() {
        let at = |h: u32, m: u32| Utc.with_ymd_and_hms(2026, 11, 27, h, m, 0).unwrap() - Duration::hours(8);
        assert_eq!(not_in_quiet_hours(at(10, 0)), at(10, 0));
        assert_eq!(not_in_quiet_hours(at(20, 59)), at(20, 59));
        assert_eq!(not_in_quiet_hours(at(21, 0)), at(8, 0) + Duration::days(1));
        assert_eq!(not_in_quiet_hours(at(23, 30)), at(8, 0) + Duration::days(1));
        assert_eq!(not_in_quiet_hours(at(3, 0)), at(8, 0));
        assert_eq!(not_in_quiet_hours(at(8, 0)), at(8, 0));
    }

    #[test]
    fn links_are_signed_and_a_reminder_fits_one_segment_with_a_short_host() {
        let key = DataKey::new([7; 32]);
        let path = link_path(&key, 42);
        let code = path.strip_prefix("/s/1/").unwrap();
        assert_eq!(verify_link(&key, code), Some(42));
        assert_eq!(verify_link(&key, &code.replace("42-", "43-")), None, "another case's signature");
        assert_eq!(verify_link(&DataKey::new([8; 32]), code), None, "another key");
        assert_eq!(verify_link(&key, "42"), None);
        let text = reminder_text(&format!("https://hc.gov.cn{path}"));
        assert!(sms_length(&text) <= 70, "{} chars: {text}", sms_length(&text));
        assert!(text.contains("5非常满意") && text.contains("1非常不满意"));
    }

    #[test]
    fn rerating_links_are_signed_apart_from_case_links() {
        let key = DataKey::from_hex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff").unwrap();
        let path = rerate_path(&key, 42);
        let code = path.strip_prefix("/s/1/").unwrap();
        assert_eq!(verify_rerate(&key, code), Some(42));
        assert_eq!(verify_link(&key, code), None, "not a case link");
        let case_code = link_path(&key, 42);
        assert_eq!(verify_rerate(&key, case_code.strip_prefix("/s/1/").unwrap()), None);
        assert_eq!(verify_rerate(&key, &code.replace("re42", "re43")), None);
    }

    #[test]
    fn replies_are_read_as_one_digit() {
        assert_eq!(reply_level(" 5 "), Some(5));
        assert_eq!(reply_level("４"), Some(4));
        assert_eq!(reply_level("1。"), Some(1));
        assert_eq!(reply_level("6"), None);
        assert_eq!(reply_level("好"), None);
        assert_eq!(reply_level("55"), None);
    }

    #[test]
    fn backoff_grows() {
        assert!(backoff(1) < backoff(2) && backoff(2) < backoff(3) && backoff(4) < backoff(5));
    }
}
