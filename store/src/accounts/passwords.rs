//! Password hashing, first passwords, and password change and reset.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use domain::access::{check_new_password, PasswordError};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};

use super::sign_in::audit_sign_in;
use super::{account_region, Actor};
use crate::audit::{self, Entry, Meta, Who};
use crate::entities::account;
use crate::{immediate, Db, Error, Result};

pub(super) fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Db(sea_orm::DbErr::Custom(format!("password hashing failed: {e}"))))
}

pub(super) fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A first password: random, and it meets the complexity rule.
pub(super) fn first_password() -> String {
    format!("Hc-{}", crate::random_token(9))
}

/// argon2id hash of a random string, used to spend the same time on unknown job numbers.
pub(super) const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Kc6h6wH0b2Gk6w2k8S1n2B7m1y0JH3F2qZ8oVb1Kx0s";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordChangeError {
    WrongCurrent,
    Weak(PasswordError),
    Mismatch,
    SameAsOld,
}

/// Changes a password after checking the current one; clears the forced change
/// and raises the session epoch, which ends the account's other sessions
/// (issue 13 item 8). Returns the new epoch for the session that changed it.
pub async fn change_password(
    db: &Db,
    actor: &Actor,
    current: &str,
    new: &str,
    repeat: &str,
    meta: &Meta,
) -> Result<std::result::Result<i32, PasswordChangeError>> {
    if new != repeat {
        return Ok(Err(PasswordChangeError::Mismatch));
    }
    if let Err(e) = check_new_password(&actor.job_number, new) {
        return Ok(Err(PasswordChangeError::Weak(e)));
    }
    if current == new {
        return Ok(Err(PasswordChangeError::SameAsOld));
    }
    let txn = db.begin_with_options(immediate()).await?;
    let acc = account::Entity::find_by_id(actor.id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("account"))?;
    if !verify_password(current, &acc.password_hash) {
        txn.rollback().await?;
        return Ok(Err(PasswordChangeError::WrongCurrent));
    }
    let region = account_region(&txn, &acc).await?;
    let epoch = acc.session_epoch.wrapping_add(1);
    let mut am: account::ActiveModel = acc.into();
    am.password_hash = Set(hash_password(new)?);
    am.must_change_password = Set(false);
    am.session_epoch = Set(epoch);
    am.update(&txn).await?;
    audit_sign_in(&txn, &Who::from(actor), "password_change", region, meta).await?;
    txn.commit().await?;
    Ok(Ok(epoch))
}

/// From the shell (`haocha user reset-password`): a new first password for an
/// account, unlocked and reactivated; the person must change it at sign-in.
pub async fn reset_from_shell(db: &Db, job_number: &str, now: DateTime<Utc>) -> Result<String> {
    let txn = db.begin_with_options(immediate()).await?;
    let acc = account::Entity::find()
        .filter(account::Column::JobNumber.eq(job_number.trim()))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("account"))?;
    let region = account_region(&txn, &acc).await?;
    let password = first_password();
    let job = acc.job_number.clone();
    let acc_epoch = acc.session_epoch;
    let mut am: account::ActiveModel = acc.into();
    am.password_hash = Set(hash_password(&password)?);
    am.must_change_password = Set(true);
    am.failed_attempts = Set(0);
    am.locked_until = Set(None);
    am.active = Set(true);
    am.session_epoch = Set(acc_epoch.wrapping_add(1));
    am.update(&txn).await?;
    super::manage::unthrottle(&txn, &job).await?;
    let who = Who {
        account_id: None,
        job_number: "cli".into(),
        role: "system".into(),
    };
    audit::append(
        &txn,
        Entry {
            who: &who,
            action: "password_reset",
            object_kind: "accounts",
            object_code: &job,
            before: None,
            after: None,
            region_id: region,
        },
        &Meta { now, address: None },
    )
    .await?;
    txn.commit().await?;
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_passwords_meet_the_rule_and_hashes_verify() {
        let p = first_password();
        assert_eq!(check_new_password("S1001", &p), Ok(()));
        let h = hash_password(&p).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&p, &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", DUMMY_HASH));
    }
}
