//! Account administration: creation, who may manage whom, listing, and actions.

use chrono::{DateTime, Utc};
use domain::access::ScopeKind;
use domain::Role;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde_json::json;

use super::passwords::{first_password, hash_password};
use super::{account_region, resolve_scope, Actor, Scope};
use crate::audit::{self, Entry, Meta, Who};
use crate::entities::{account, attempt_guard, hall, service_window, staff, unit};
use crate::{immediate, Conflict, Db, Error, Reason, Result};

/// Creates an account and returns it with its first password, which must be
/// changed at first sign-in. The job number is what the person signs in with.
pub async fn create(db: &Db, role: Role, scope_code: Option<&str>, job_number: &str, now: DateTime<Utc>) -> Result<(i32, String)> {
    let job_number = job_number.trim();
    if job_number.is_empty() || job_number.len() > 64 || job_number.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid("job_number", Reason::JobNumber));
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
        Err(e) if Error::is_unique_violation(&e) => return Err(Error::Conflict(Conflict::JobNumberTaken(job_number.to_string()))),
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
    /// Until when sign-in under this job number is slowed by failures (an
    /// unlock or a password reset lifts it).
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
        locked_until: None,
        must_change_password: a.must_change_password,
        last_sign_in_at: a.last_sign_in_at,
    })
}

/// Until when sign-in under each job number is slowed, by the account-wide key.
async fn throttled<C: ConnectionTrait>(conn: &C, now: DateTime<Utc>) -> Result<std::collections::HashMap<String, DateTime<Utc>>> {
    let rows = attempt_guard::Entity::find()
        .filter(attempt_guard::Column::Key.starts_with("signin:acct:"))
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|g| {
            let failures = u32::try_from(g.failures).unwrap_or(0);
            let until = g.last_at + chrono::Duration::seconds(domain::access::throttle_wait_seconds(failures));
            (until > now).then(|| (g.key["signin:acct:".len()..].to_string(), until))
        })
        .collect())
}

/// The accounts an actor may manage, filtered by job number or name, a page of them.
pub async fn list_accounts(
    db: &Db,
    actor: &Actor,
    q: Option<&str>,
    offset: u64,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<(Vec<AccountRow>, u64)> {
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
    let slowed = throttled(db, now).await?;
    for r in &mut rows {
        r.locked_until = slowed.get(&r.job_number.to_lowercase()).copied();
    }
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
    let role = crate::columns::role(&a.role)?;
    if a.id == actor.id || !may_manage(conn, actor, role, a.scope_code.as_deref()).await? {
        return Err(Error::Forbidden);
    }
    Ok(a)
}

pub async fn get_account(db: &Db, actor: &Actor, job_number: &str, now: DateTime<Utc>) -> Result<AccountRow> {
    let mut row = row_of(managed(db, actor, job_number).await?).ok_or(Error::NotFound("account"))?;
    row.locked_until = throttled(db, now).await?.get(&row.job_number.to_lowercase()).copied();
    Ok(row)
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

/// Lifts the sign-in throttle of a job number (the account-wide and the
/// per-address counts; an address's own count stays).
pub(crate) async fn unthrottle<C: ConnectionTrait>(conn: &C, job_number: &str) -> Result<()> {
    crate::guard::clear(conn, &super::sign_in::account_key(job_number)).await?;
    crate::guard::clear_prefix(conn, &super::sign_in::pair_prefix(job_number)).await
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
            // A reset ends the account's sessions, like a change (issue 13 item 8).
            am.session_epoch = Set(acc.session_epoch.wrapping_add(1));
            unthrottle(&txn, &acc.job_number).await?;
            password = Some(p);
            "password_reset"
        }
        AccountAction::Unlock => {
            am.failed_attempts = Set(0);
            am.locked_until = Set(None);
            unthrottle(&txn, &acc.job_number).await?;
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
