//! Accounts of people who sign in: creation, sign-in with lockout, password
//! change, and the resolved scope ([`Actor`]) every page and API call checks.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Duration, Utc};
use domain::access::{check_new_password, PasswordError, ScopeKind, LOCKOUT_MINUTES, MAX_FAILED_SIGN_INS};
use domain::Role;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde_json::json;

// Defined in `actor` so the audit trail can name them without importing this module.
pub use crate::actor::{Actor, Scope};
use crate::audit::{self, Entry, Meta, Who};
use crate::entities::{account, hall, region, service_window, staff, unit};
use crate::{immediate, Db, Error, Result};

/// Every region id at or under `root`.
pub async fn region_subtree<C: ConnectionTrait>(conn: &C, root: i32) -> Result<Vec<i32>> {
    let all: Vec<(i32, Option<i32>)> = region::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r.parent_id))
        .collect();
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i];
        out.extend(all.iter().filter(|(_, p)| *p == Some(parent)).map(|(id, _)| *id));
        i += 1;
    }
    Ok(out)
}

/// Resolves a role's scope code to ids. `Invalid("scope")` when it names nothing.
async fn resolve_scope<C: ConnectionTrait>(conn: &C, role: Role, code: Option<&str>) -> Result<Scope> {
    let code = code.map(str::trim).filter(|c| !c.is_empty());
    let missing = |what: &str| Error::invalid("scope", format!("no {what} with code `{}`", code.unwrap_or("")));
    Ok(match (role.scope_kind(), code) {
        (ScopeKind::Everything, _) => Scope::All,
        (_, None) => return Err(Error::invalid("scope", format!("role {} needs a scope code", role.code()))),
        (ScopeKind::Region, Some(c)) => {
            let r = region::Entity::find()
                .filter(region::Column::Code.eq(c))
                .one(conn)
                .await?
                .ok_or_else(|| missing("region"))?;
            Scope::Regions {
                root: r.id,
                ids: region_subtree(conn, r.id).await?,
            }
        }
        (ScopeKind::Unit, Some(c)) => Scope::Unit(
            unit::Entity::find()
                .filter(unit::Column::Code.eq(c))
                .one(conn)
                .await?
                .ok_or_else(|| missing("unit"))?
                .id,
        ),
        (ScopeKind::Window, Some(c)) => Scope::Window(
            service_window::Entity::find()
                .filter(service_window::Column::Code.eq(c))
                .one(conn)
                .await?
                .ok_or_else(|| missing("window"))?
                .id,
        ),
    })
}

fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::invalid("password", e.to_string()))
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A first password: random, and it meets the complexity rule.
fn first_password() -> String {
    format!("Hc-{}", crate::random_token(9))
}

/// Creates an account and returns it with its first password, which must be
/// changed at first sign-in. The job number is what the person signs in with.
pub async fn create(db: &Db, role: Role, scope_code: Option<&str>, job_number: &str, now: DateTime<Utc>) -> Result<(i32, String)> {
    let job_number = job_number.trim();
    if job_number.is_empty() || job_number.len() > 64 || job_number.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid("job_number", "1–64 characters without spaces"));
    }
    let txn = db.begin_with_options(immediate()).await?;
    resolve_scope(&txn, role, scope_code).await?;
    let name = staff::Entity::find()
        .filter(staff::Column::Number.eq(job_number))
        .one(&txn)
        .await?
        .map(|s| s.name)
        .unwrap_or_else(|| job_number.to_string());
    let password = first_password();
    let inserted = account::ActiveModel {
        job_number: Set(job_number.to_string()),
        name: Set(name),
        role: Set(role.code().to_string()),
        scope_code: Set(match role.scope_kind() {
            ScopeKind::Everything => None,
            _ => scope_code.map(|s| s.trim().to_string()),
        }),
        password_hash: Set(hash_password(&password)?),
        must_change_password: Set(true),
        failed_attempts: Set(0),
        locked_until: Set(None),
        active: Set(true),
        created_at: Set(now),
        last_sign_in_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let acc = match inserted {
        Ok(a) => a,
        Err(e) if Error::is_unique_violation(&e) => {
            return Err(Error::Conflict(format!("an account with job number `{job_number}` already exists")))
        }
        Err(e) => return Err(e.into()),
    };
    let who = Who {
        account_id: None,
        job_number: "cli".into(),
        role: "system".into(),
    };
    audit::append(
        &txn,
        Entry {
            who: &who,
            action: "create",
            object_kind: "accounts",
            object_code: job_number,
            before: None,
            after: Some(json!({"role": role.code(), "scope": scope_code})),
            region_id: None,
        },
        &Meta { now, address: None },
    )
    .await?;
    txn.commit().await?;
    Ok((acc.id, password))
}

/// Loads the account behind a session; `None` when it is gone or deactivated.
pub async fn actor(db: &Db, account_id: i32) -> Result<Option<Actor>> {
    let Some(a) = account::Entity::find_by_id(account_id).one(db).await? else {
        return Ok(None);
    };
    if !a.active {
        return Ok(None);
    }
    let Some(role) = Role::parse(&a.role) else { return Ok(None) };
    let scope = match resolve_scope(db, role, a.scope_code.as_deref()).await {
        Ok(s) => s,
        // The scope's object was removed: the account can no longer act.
        Err(Error::Invalid { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(Some(Actor {
        id: a.id,
        job_number: a.job_number,
        name: a.name,
        role,
        scope_code: a.scope_code,
        scope,
        must_change_password: a.must_change_password,
    }))
}

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

/// argon2id hash of a random string, used to spend the same time on unknown job numbers.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Kc6h6wH0b2Gk6w2k8S1n2B7m1y0JH3F2qZ8oVb1Kx0s";

async fn audit_sign_in<C: ConnectionTrait>(conn: &C, who: &Who, action: &str, region_id: Option<i32>, meta: &Meta) -> Result<()> {
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

/// The region an account's scope lies in, so center administrators see its audit lines.
async fn account_region<C: ConnectionTrait>(conn: &C, acc: &account::Model) -> Result<Option<i32>> {
    let Some(role) = Role::parse(&acc.role) else { return Ok(None) };
    Ok(match resolve_scope(conn, role, acc.scope_code.as_deref()).await {
        Ok(Scope::Regions { root, .. }) => Some(root),
        Ok(Scope::Unit(u)) => unit::Entity::find_by_id(u).one(conn).await?.map(|u| u.region_id),
        Ok(Scope::Window(w)) => match service_window::Entity::find_by_id(w).one(conn).await? {
            Some(w) => hall::Entity::find_by_id(w.hall_id).one(conn).await?.map(|h| h.region_id),
            None => None,
        },
        _ => None,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordChangeError {
    WrongCurrent,
    Weak(PasswordError),
    Mismatch,
    SameAsOld,
}

/// Changes a password after checking the current one; clears the forced change.
pub async fn change_password(
    db: &Db,
    actor: &Actor,
    current: &str,
    new: &str,
    repeat: &str,
    meta: &Meta,
) -> Result<std::result::Result<(), PasswordChangeError>> {
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
    let mut am: account::ActiveModel = acc.into();
    am.password_hash = Set(hash_password(new)?);
    am.must_change_password = Set(false);
    am.update(&txn).await?;
    audit_sign_in(&txn, &Who::from(actor), "password_change", region, meta).await?;
    txn.commit().await?;
    Ok(Ok(()))
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

// ------------------------------------------------------------ account administration

/// Where an account's scope lies in the tree: the regions it touches and its unit.
async fn account_place<C: ConnectionTrait>(conn: &C, role: Role, scope_code: Option<&str>) -> Result<(Vec<i32>, Option<i32>)> {
    Ok(match resolve_scope(conn, role, scope_code).await? {
        Scope::All => (vec![], None),
        Scope::Regions { root, .. } => (vec![root], None),
        Scope::Unit(u) => (
            unit::Entity::find_by_id(u)
                .one(conn)
                .await?
                .map(|u| u.region_id)
                .into_iter()
                .collect(),
            Some(u),
        ),
        Scope::Window(w) => match service_window::Entity::find_by_id(w).one(conn).await? {
            Some(w) => {
                let hall_region = hall::Entity::find_by_id(w.hall_id).one(conn).await?.map(|h| h.region_id);
                let unit_region = unit::Entity::find_by_id(w.unit_id).one(conn).await?.map(|u| u.region_id);
                (hall_region.into_iter().chain(unit_region).collect(), Some(w.unit_id))
            }
            None => (vec![], None),
        },
    })
}

/// Who may manage whose account: the system administrator everyone; a center
/// administrator the accounts inside their region below their own level (center
/// administrators of sub-regions, unit administrators, window staff); a unit
/// administrator the window staff of the unit's windows. Nobody else.
pub async fn may_manage<C: ConnectionTrait>(conn: &C, actor: &Actor, role: Role, scope_code: Option<&str>) -> Result<bool> {
    let (regions, unit) = match account_place(conn, role, scope_code).await {
        Ok(p) => p,
        Err(Error::Invalid { .. }) => return Ok(matches!(actor.scope, Scope::All)),
        Err(e) => return Err(e),
    };
    Ok(match &actor.scope {
        Scope::All => true,
        Scope::Regions { root, ids } => {
            role != Role::SystemAdmin
                && !regions.is_empty()
                && regions.iter().all(|r| ids.contains(r))
                && !(role == Role::CenterAdmin && regions.contains(root))
        }
        Scope::Unit(u) => role == Role::WindowStaff && unit == Some(*u),
        Scope::Window(_) => false,
    })
}

/// Roles an actor may hand out.
pub fn grantable(actor: &Actor) -> Vec<Role> {
    match actor.scope {
        Scope::All => Role::ALL.to_vec(),
        Scope::Regions { .. } => vec![Role::CenterAdmin, Role::UnitAdmin, Role::WindowStaff],
        Scope::Unit(_) => vec![Role::WindowStaff],
        Scope::Window(_) => vec![],
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub job_number: String,
    pub name: String,
    pub role: Role,
    pub scope_code: Option<String>,
    pub active: bool,
    pub locked_until: Option<DateTime<Utc>>,
    pub must_change_password: bool,
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

fn row_of(a: account::Model) -> Option<AccountRow> {
    Some(AccountRow {
        role: Role::parse(&a.role)?,
        job_number: a.job_number,
        name: a.name,
        scope_code: a.scope_code,
        active: a.active,
        locked_until: a.locked_until,
        must_change_password: a.must_change_password,
        last_sign_in_at: a.last_sign_in_at,
    })
}

/// The accounts an actor may manage, filtered by job number or name, a page of them.
pub async fn list_accounts(db: &Db, actor: &Actor, q: Option<&str>, offset: u64, limit: u64) -> Result<(Vec<AccountRow>, u64)> {
    if grantable(actor).is_empty() {
        return Err(Error::Forbidden);
    }
    let q = q.map(str::trim).filter(|s| !s.is_empty());
    let mut rows = Vec::new();
    // Accounts number in the thousands at most: the scope rule runs in Rust,
    // the same function as for writes.
    for a in account::Entity::find().all(db).await? {
        if q.is_some_and(|q| !a.job_number.contains(q) && !a.name.contains(q)) {
            continue;
        }
        let Some(role) = Role::parse(&a.role) else { continue };
        if a.id != actor.id && may_manage(db, actor, role, a.scope_code.as_deref()).await? {
            rows.extend(row_of(a));
        }
    }
    rows.sort_by(|a, b| a.job_number.cmp(&b.job_number));
    let total = rows.len() as u64;
    Ok((
        rows.into_iter().skip(offset as usize).take(limit.clamp(1, 200) as usize).collect(),
        total,
    ))
}

async fn managed<C: ConnectionTrait>(conn: &C, actor: &Actor, job_number: &str) -> Result<account::Model> {
    let a = account::Entity::find()
        .filter(account::Column::JobNumber.eq(job_number))
        .one(conn)
        .await?
        .ok_or(Error::NotFound("account"))?;
    let role = Role::parse(&a.role).ok_or(Error::NotFound("account"))?;
    if a.id == actor.id || !may_manage(conn, actor, role, a.scope_code.as_deref()).await? {
        return Err(Error::Forbidden);
    }
    Ok(a)
}

pub async fn get_account(db: &Db, actor: &Actor, job_number: &str) -> Result<AccountRow> {
    row_of(managed(db, actor, job_number).await?).ok_or(Error::NotFound("account"))
}

/// An administrator creates an account inside their scope; returns the first password.
pub async fn create_by(db: &Db, actor: &Actor, role: Role, scope_code: Option<&str>, job_number: &str, meta: &Meta) -> Result<String> {
    if !grantable(actor).contains(&role) {
        return Err(Error::Forbidden);
    }
    if role != Role::SystemAdmin {
        // Checks the code names something, with a field-level message.
        resolve_scope(db, role, scope_code).await?;
    }
    if !may_manage(db, actor, role, scope_code).await? {
        return Err(Error::Forbidden);
    }
    let (id, password) = create(db, role, scope_code, job_number, meta.now).await?;
    let acc = account::Entity::find_by_id(id).one(db).await?.ok_or(Error::NotFound("account"))?;
    let region = account_region(db, &acc).await?;
    audit::append(
        db,
        Entry {
            who: &Who::from(actor),
            action: "create",
            object_kind: "accounts",
            object_code: &acc.job_number,
            before: None,
            after: Some(json!({"role": role.code(), "scope": acc.scope_code, "name": acc.name})),
            region_id: region,
        },
        meta,
    )
    .await?;
    Ok(password)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    /// A new first password (shown once), forced change, lock lifted.
    ResetPassword,
    Unlock,
    Deactivate,
    Activate,
}

/// Applies an administrator's action to an account in their scope. Returns the
/// new first password for a reset.
pub async fn act_on(db: &Db, actor: &Actor, job_number: &str, action: AccountAction, meta: &Meta) -> Result<Option<String>> {
    let txn = db.begin_with_options(immediate()).await?;
    let acc = match managed(&txn, actor, job_number).await {
        Ok(a) => a,
        Err(e) => {
            txn.rollback().await?;
            return Err(e);
        }
    };
    let region = account_region(&txn, &acc).await?;
    let before = json!({"active": acc.active, "locked_until": acc.locked_until, "must_change_password": acc.must_change_password});
    let mut am: account::ActiveModel = acc.clone().into();
    let mut password = None;
    let name = match action {
        AccountAction::ResetPassword => {
            let p = first_password();
            am.password_hash = Set(hash_password(&p)?);
            am.must_change_password = Set(true);
            am.failed_attempts = Set(0);
            am.locked_until = Set(None);
            password = Some(p);
            "password_reset"
        }
        AccountAction::Unlock => {
            am.failed_attempts = Set(0);
            am.locked_until = Set(None);
            "unlock"
        }
        AccountAction::Deactivate => {
            am.active = Set(false);
            "deactivate"
        }
        AccountAction::Activate => {
            am.active = Set(true);
            "activate"
        }
    };
    let a = am.update(&txn).await?;
    audit::append(
        &txn,
        Entry {
            who: &Who::from(actor),
            action: name,
            object_kind: "accounts",
            object_code: &a.job_number,
            before: Some(before),
            after: Some(json!({"active": a.active, "locked_until": a.locked_until, "must_change_password": a.must_change_password})),
            region_id: region,
        },
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(password)
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
    let mut am: account::ActiveModel = acc.into();
    am.password_hash = Set(hash_password(&password)?);
    am.must_change_password = Set(true);
    am.failed_attempts = Set(0);
    am.locked_until = Set(None);
    am.active = Set(true);
    am.update(&txn).await?;
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
