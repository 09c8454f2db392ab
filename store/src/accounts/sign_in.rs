//! Sign-in with lockout, its audit lines, and sign-out.

use chrono::{DateTime, Duration, Utc};
use domain::access::{LOCKOUT_MINUTES, MAX_FAILED_SIGN_INS};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait};

use super::account_region;
use super::passwords::{verify_password, DUMMY_HASH};
use super::Actor;
use crate::audit::{self, Entry, Meta, Who};
use crate::entities::account;
use crate::{immediate, Db, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInError {
    /// Unknown job number or wrong password: the page does not say which.
    BadCredentials,
    Locked {
        until: DateTime<Utc>,
    },
}

/// 等保 L3: five failures in a row lock the account for 15 minutes. Every
/// attempt is audited, successful or not.
pub async fn sign_in(db: &Db, job_number: &str, password: &str, meta: &Meta) -> Result<std::result::Result<i32, SignInError>> {
    let job_number = job_number.trim();
    let txn = db.begin_with_options(immediate()).await?;
    let found = account::Entity::find()
        .filter(account::Column::JobNumber.eq(job_number))
        .one(&txn)
        .await?;
    let Some(acc) = found.filter(|a| a.active) else {
        // Same work as a real check, so timing does not tell which job numbers exist.
        let _ = verify_password(password, DUMMY_HASH);
        let who = Who {
            account_id: None,
            job_number: job_number.to_string(),
            role: String::new(),
        };
        audit_sign_in(&txn, &who, "sign_in_failed", None, meta).await?;
        txn.commit().await?;
        return Ok(Err(SignInError::BadCredentials));
    };
    let who = Who {
        account_id: Some(acc.id),
        job_number: acc.job_number.clone(),
        role: acc.role.clone(),
    };
    let region = account_region(&txn, &acc).await?;
    if let Some(until) = acc.locked_until.filter(|u| *u > meta.now) {
        audit_sign_in(&txn, &who, "sign_in_locked", region, meta).await?;
        txn.commit().await?;
        return Ok(Err(SignInError::Locked { until }));
    }
    let ok = verify_password(password, &acc.password_hash);
    let failed = acc.failed_attempts;
    let mut am: account::ActiveModel = acc.into();
    if ok {
        am.failed_attempts = Set(0);
        am.locked_until = Set(None);
        am.last_sign_in_at = Set(Some(meta.now));
        let a = am.update(&txn).await?;
        audit_sign_in(&txn, &who, "sign_in", region, meta).await?;
        txn.commit().await?;
        return Ok(Ok(a.id));
    }
    let failed = failed + 1;
    let result = if failed >= MAX_FAILED_SIGN_INS {
        let until = meta.now + Duration::minutes(LOCKOUT_MINUTES);
        am.failed_attempts = Set(0);
        am.locked_until = Set(Some(until));
        am.update(&txn).await?;
        audit_sign_in(&txn, &who, "locked", region, meta).await?;
        Err(SignInError::Locked { until })
    } else {
        am.failed_attempts = Set(failed);
        am.update(&txn).await?;
        audit_sign_in(&txn, &who, "sign_in_failed", region, meta).await?;
        Err(SignInError::BadCredentials)
    };
    txn.commit().await?;
    Ok(result)
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
