//! Sign-in, throttled rather than locked, its audit lines, and sign-out.

use domain::access::{ACCOUNT_THROTTLE, ADDRESS_THROTTLE};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait};

use super::account_region;
use super::passwords::{verify_password, DUMMY_HASH};
use super::Actor;
use crate::audit::{self, Entry, Meta, Who};
use crate::entities::account;
use crate::{guard, immediate, Db, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInError {
    /// Unknown job number or wrong password: the page does not say which.
    BadCredentials,
    /// Too many failures: try again after this many seconds. Said the same for
    /// unknown job numbers, so it tells nothing about which ones exist.
    Throttled { seconds: i64 },
}

/// The throttle keys of a job number (as typed, any case).
pub(crate) fn account_key(job_number: &str) -> String {
    format!("signin:acct:{}", job_number.trim().to_lowercase())
}

fn address_key(address: &str) -> String {
    format!("signin:addr:{address}")
}

fn pair_key(job_number: &str, address: &str) -> String {
    format!("signin:pair:{}|{address}", job_number.trim().to_lowercase())
}

/// The prefix of every pair key of a job number (cleared by an unlock).
pub(crate) fn pair_prefix(job_number: &str) -> String {
    format!("signin:pair:{}|", job_number.trim().to_lowercase())
}

/// 等保 L3 / ASVS 6.3: every attempt is audited. Failures are counted per job
/// number, per address and per (job number, address); the next try waits by
/// `domain::access::throttle_wait_seconds` — the address's own (gentler) count always, the account's
/// count only from an address that has failed on this account, so a guesser
/// cannot lock the real owner out. Unknown job numbers are counted and
/// answered exactly like known ones.
pub async fn sign_in(db: &Db, job_number: &str, password: &str, meta: &Meta) -> Result<std::result::Result<i32, SignInError>> {
    let job_number = job_number.trim();
    let address = meta.address.as_deref().unwrap_or("unknown");
    let txn = db.begin_with_options(immediate()).await?;
    let found = account::Entity::find()
        .filter(account::Column::JobNumber.eq(job_number))
        .one(&txn)
        .await?
        .filter(|a| a.active);
    let who = match &found {
        Some(acc) => Who {
            account_id: Some(acc.id),
            job_number: acc.job_number.clone(),
            role: acc.role.clone(),
        },
        None => Who {
            account_id: None,
            job_number: job_number.to_string(),
            role: String::new(),
        },
    };
    let region = match &found {
        Some(acc) => account_region(&txn, acc).await?,
        None => None,
    };
    let mut seconds = guard::wait(&txn, &address_key(address), meta.now, ADDRESS_THROTTLE).await?;
    let (pair_failures, _) = guard::failures(&txn, &pair_key(job_number, address), meta.now, ACCOUNT_THROTTLE).await?;
    if pair_failures > 0 {
        seconds = seconds.max(guard::wait(&txn, &account_key(job_number), meta.now, ACCOUNT_THROTTLE).await?);
    }
    if seconds > 0 {
        // No password is checked while throttled.
        audit_sign_in(&txn, &who, "sign_in_throttled", region, meta).await?;
        txn.commit().await?;
        return Ok(Err(SignInError::Throttled { seconds }));
    }
    // Same work for unknown job numbers, so timing does not tell which exist.
    let ok = match &found {
        Some(acc) => verify_password(password, &acc.password_hash),
        None => {
            let _ = verify_password(password, DUMMY_HASH);
            false
        }
    };
    if let (true, Some(acc)) = (ok, found) {
        // Only this address's count on the account is forgiven: the owner
        // signing in elsewhere must not reset a guesser's wait.
        guard::clear(&txn, &pair_key(job_number, address)).await?;
        let mut am: account::ActiveModel = acc.into();
        am.last_sign_in_at = Set(Some(meta.now));
        let a = am.update(&txn).await?;
        audit_sign_in(&txn, &who, "sign_in", region, meta).await?;
        txn.commit().await?;
        return Ok(Ok(a.id));
    }
    guard::fail(&txn, &account_key(job_number), meta.now, ACCOUNT_THROTTLE).await?;
    guard::fail(&txn, &pair_key(job_number, address), meta.now, ACCOUNT_THROTTLE).await?;
    guard::fail(&txn, &address_key(address), meta.now, ADDRESS_THROTTLE).await?;
    audit_sign_in(&txn, &who, "sign_in_failed", region, meta).await?;
    txn.commit().await?;
    Ok(Err(SignInError::BadCredentials))
}

pub(super) async fn audit_sign_in<C: ConnectionTrait>(
    conn: &C,
    who: &Who,
    action: &str,
    region_id: Option<i32>,
    meta: &Meta,
) -> Result<()> {
    audit::append(
        conn,
        Entry {
            who,
            action,
            object_kind: "accounts",
            object_code: &who.job_number,
            before: None,
            after: None,
            region_id,
        },
        meta,
    )
    .await
}

/// Audits a sign-out.
pub async fn signed_out(db: &Db, actor: &Actor, meta: &Meta) -> Result<()> {
    let acc = account::Entity::find_by_id(actor.id).one(db).await?;
    let region = match &acc {
        Some(a) => account_region(db, a).await?,
        None => None,
    };
    audit_sign_in(db, &Who::from(actor), "sign_out", region, meta).await
}
