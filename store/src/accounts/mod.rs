//! Accounts of people who sign in: creation, sign-in with lockout, password
//! change, and the resolved scope ([`Actor`]) every page and API call checks.

mod manage;
mod passwords;
mod sign_in;

use domain::access::ScopeKind;
use domain::Role;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

// Defined in `actor` so the audit trail can name them without importing this module.
pub use crate::actor::{Actor, Scope};
use crate::entities::{account, hall, region, service_window, unit};
use crate::{Db, Error, Reason, Result};

pub use manage::{act_on, create, create_by, get_account, grantable, list_accounts, may_manage, AccountAction, AccountRow};
pub use passwords::{change_password, reset_from_shell, PasswordChangeError};
pub use sign_in::{sign_in, signed_out, SignInError};

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

/// Whether `region` is `upper` or lies below it in the tree.
pub async fn region_within<C: ConnectionTrait>(conn: &C, region: i32, upper: i32) -> Result<bool> {
    let mut at = Some(region);
    // The tree is a few levels deep; the bound guards against a loop in bad data.
    for _ in 0..32 {
        match at {
            Some(r) if r == upper => return Ok(true),
            Some(r) => {
                at = crate::entities::region::Entity::find_by_id(r)
                    .one(conn)
                    .await?
                    .and_then(|x| x.parent_id)
            }
            None => return Ok(false),
        }
    }
    Ok(false)
}

/// Resolves a role's scope code to ids. `Invalid("scope")` when it names nothing.
async fn resolve_scope<C: ConnectionTrait>(conn: &C, role: Role, code: Option<&str>) -> Result<Scope> {
    let code = code.map(str::trim).filter(|c| !c.is_empty());
    let missing = |_what: &str| Error::invalid("scope", Reason::Unknown(code.unwrap_or("").to_string()));
    Ok(match (role.scope_kind(), code) {
        (ScopeKind::Everything, _) => Scope::All,
        (_, None) => return Err(Error::invalid("scope", Reason::ScopeNeeded)),
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

/// Loads the account behind a session; `None` when it is gone or deactivated.
/// The id of the account with this job number (the demo's own steps).
pub async fn account_id_by_job(db: &Db, job_number: &str) -> Result<i32> {
    Ok(crate::entities::account::Entity::find()
        .filter(crate::entities::account::Column::JobNumber.eq(job_number))
        .one(db)
        .await?
        .ok_or(Error::NotFound("account"))?
        .id)
}

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
        session_epoch: a.session_epoch,
    }))
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
