//! Issue 15: rating codes, for SMS gateways that refuse templates whose
//! variables carry links. Where the region's policy says so
//! (`sms_rating_code`), the reminder names a fixed registered address
//! (`{PUBLIC_URL}/s`) and a 6-character code (no 0/O/1/I) that the citizen
//! types there; the code opens the same rating page as the signed link.
//! Guessing is limited per address: five wrong tries in ten minutes, then
//! ten minutes' wait ([`domain::access::RATING_CODE_THROTTLE`]).

use chrono::{DateTime, Duration, Utc};
use domain::access::RATING_CODE_THROTTLE;
use domain::values::{parse_rating_code, RATING_CODE_ALPHABET, RATING_CODE_LEN};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait};

use crate::entities::rating_code;
use crate::{immediate, Db, Error, Result};

/// How long a code opens its case's rating page.
pub const VALID_DAYS: i64 = 30;

fn random_code() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..RATING_CODE_LEN)
        .map(|_| RATING_CODE_ALPHABET[rng.random_range(0..RATING_CODE_ALPHABET.len())] as char)
        .collect()
}

/// The case's code, made (in the caller's transaction) if it has none.
pub(crate) async fn issue<C: ConnectionTrait>(c: &C, case_id: i32, now: DateTime<Utc>) -> Result<String> {
    for _ in 0..16 {
        if let Some(r) = rating_code::Entity::find()
            .filter(rating_code::Column::CaseId.eq(case_id))
            .one(c)
            .await?
        {
            return Ok(r.code);
        }
        let code = random_code();
        // A code taken by another case (about one in 30 million per code
        // issued while a million are live) is drawn again.
        let inserted = rating_code::Entity::insert(rating_code::ActiveModel {
            code: Set(code.clone()),
            case_id: Set(case_id),
            created_at: Set(now),
            expires_at: Set(now + Duration::days(VALID_DAYS)),
            ..Default::default()
        })
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(c)
        .await?;
        if inserted == 1 {
            return Ok(code);
        }
    }
    Err(Error::NotFound("free rating code"))
}

/// The reminder's text with a code instead of a link: one 70-character segment.
pub fn reminder_text(public_url: &str, code: &str) -> String {
    format!("【好差评】请访问{public_url}/s 输入评价码{code} {}", super::REPLY_HINT)
}

/// The case a typed code opens. A wrong code counts against `address`;
/// after five in ten minutes: `TooManyTries` (also for a right one).
pub async fn case_of(db: &Db, typed: &str, address: Option<&str>, now: DateTime<Utc>) -> Result<i32> {
    let key = format!("rating-code:{}", address.unwrap_or("unknown"));
    let txn = db.begin_with_options(immediate()).await?;
    let seconds = crate::guard::wait(&txn, &key, now, RATING_CODE_THROTTLE).await?;
    if seconds > 0 {
        txn.rollback().await?;
        return Err(Error::TooManyTries { seconds });
    }
    let found = match parse_rating_code(typed) {
        Some(code) => {
            rating_code::Entity::find()
                .filter(rating_code::Column::Code.eq(code))
                .filter(rating_code::Column::ExpiresAt.gt(now))
                .one(&txn)
                .await?
        }
        None => None,
    };
    match found {
        Some(r) => {
            txn.rollback().await?;
            Ok(r.case_id)
        }
        None => {
            crate::guard::fail(&txn, &key, now, RATING_CODE_THROTTLE).await?;
            txn.commit().await?;
            Err(Error::NotFound("rating code"))
        }
    }
}
