//! Regional policies: each region may set parts of its policy; the rest comes
//! from the regions above it (SPEC §4).

use domain::policy::{resolve, Policy, PolicyOverride};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde_json::json;

use crate::audit::{self, Entry, Meta, Who};
use crate::entities::{region, region_policy};
use crate::{immediate, Db, Error, Reason, Result};

/// The region and the regions above it, nearest first.
pub(crate) async fn chain<C: ConnectionTrait>(db: &C, region_id: i32) -> Result<Vec<region::Model>> {
    let mut out = Vec::new();
    let mut next = Some(region_id);
    while let Some(id) = next {
        if out.len() > 16 || out.iter().any(|r: &region::Model| r.id == id) {
            break; // a cycle would be a data error; stop rather than loop
        }
        let Some(r) = region::Entity::find_by_id(id).one(db).await? else {
            break;
        };
        next = r.parent_id;
        out.push(r);
    }
    Ok(out)
}

/// A region's own settings, if it has any.
pub async fn own<C: ConnectionTrait>(db: &C, region_id: i32) -> Result<Option<PolicyOverride>> {
    let Some(row) = region_policy::Entity::find_by_id(region_id).one(db).await? else {
        return Ok(None);
    };
    serde_json::from_str(&row.body).map(Some).map_err(|e| {
        Error::Db(sea_orm::DbErr::Custom(format!(
            "stored policy of region {region_id} does not read: {e}"
        )))
    })
}

/// The policy in force for a region, and the code of the nearest region that
/// sets a default rating (for the record of a default).
///
/// One statement: the region and the regions above it (a recursive query,
/// at most 17 deep, like [`chain`]) with their own settings. It runs in every
/// bad rating's transaction (its work order's deadlines): one round trip,
/// not one per region and one per region's settings (issue 16).
pub async fn for_region<C: ConnectionTrait>(db: &C, region_id: i32) -> Result<(Policy, String)> {
    if let Some(hit) = crate::group::cached(|c| c.policies.get(&region_id).cloned()) {
        return Ok(hit);
    }
    let found = read_for_region(db, region_id).await?;
    crate::group::remember(|c| {
        c.policies.insert(region_id, found.clone());
    });
    Ok(found)
}

async fn read_for_region<C: ConnectionTrait>(db: &C, region_id: i32) -> Result<(Policy, String)> {
    let backend = db.get_database_backend();
    let param = if backend == sea_orm::DbBackend::Postgres { "$1" } else { "?" };
    let sql = format!(
        "WITH RECURSIVE up (id, code, parent_id, depth) AS ( \
           SELECT id, code, parent_id, 0 FROM region WHERE id = {param} \
           UNION ALL \
           SELECT r.id, r.code, r.parent_id, up.depth + 1 FROM region r JOIN up ON r.id = up.parent_id WHERE up.depth < 16 \
         ) \
         SELECT up.id, up.code, up.depth, region_policy.body FROM up \
         LEFT JOIN region_policy ON region_policy.region_id = up.id ORDER BY up.depth"
    );
    let rows = db
        .query_all_raw(sea_orm::Statement::from_sql_and_values(backend, sql, [region_id.into()]))
        .await?;
    let mut overrides = Vec::new();
    let mut source = None;
    let mut found_default = false;
    let mut seen = Vec::new();
    for row in rows {
        let id: i32 = row.try_get("", "id")?;
        if seen.contains(&id) {
            break; // a cycle would be a data error; stop rather than repeat
        }
        seen.push(id);
        let code: String = row.try_get("", "code")?;
        if source.is_none() {
            source = Some(code.clone());
        }
        let body: Option<String> = row.try_get("", "body")?;
        if let Some(body) = body {
            let o: PolicyOverride = serde_json::from_str(&body)
                .map_err(|e| Error::Db(sea_orm::DbErr::Custom(format!("stored policy of region {id} does not read: {e}"))))?;
            if !found_default && o.default_level.is_some() {
                source = Some(code);
                found_default = true;
            }
            overrides.push(o);
        }
    }
    overrides.reverse(); // root first
    Ok((resolve(overrides.iter()), source.unwrap_or_default()))
}

pub async fn for_region_code(db: &Db, code: &str) -> Result<(Policy, String)> {
    let r = region::Entity::find()
        .filter(region::Column::Code.eq(code))
        .one(db)
        .await?
        .ok_or(Error::NotFound("region"))?;
    for_region(db, r.id).await
}

/// Sets what a region decides (replacing its earlier settings); audited.
pub async fn set(db: &Db, who: &Who, region_code: &str, o: &PolicyOverride, meta: &Meta) -> Result<()> {
    o.check().map_err(|e| Error::invalid("policy", Reason::Policy(e)))?;
    let r = region::Entity::find()
        .filter(region::Column::Code.eq(region_code))
        .one(db)
        .await?
        .ok_or(Error::NotFound("region"))?;
    let body = serde_json::to_string(o).map_err(|e| Error::Db(sea_orm::DbErr::Custom(format!("policy does not serialise: {e}"))))?;
    let txn = db.begin_with_options(immediate()).await?;
    let before = region_policy::Entity::find_by_id(r.id).one(&txn).await?;
    let am = region_policy::ActiveModel {
        region_id: Set(r.id),
        body: Set(body.clone()),
        updated_by: Set(who.job_number.clone()),
        updated_at: Set(meta.now),
    };
    let before_json = before
        .as_ref()
        .and_then(|b| serde_json::from_str::<serde_json::Value>(&b.body).ok());
    if before.is_some() {
        am.update(&txn).await?;
    } else {
        am.insert(&txn).await?;
    }
    audit::append(
        &txn,
        Entry {
            who,
            action: "policy_set",
            object_kind: "regions",
            object_code: &r.code,
            before: before_json,
            after: serde_json::from_str(&body).ok().or(Some(json!({}))),
            region_id: Some(r.id),
        },
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// For the policy page: a region's own settings and the policy in force, if
/// the administrator's scope covers the region.
/// The region, if a system administrator or a center administrator whose
/// regions include it asks (a center sets its own region's policy too).
async fn region_for(db: &Db, actor: &crate::accounts::Actor, code: &str) -> Result<region::Model> {
    // Policies are for system and center administrators (a role rule: 403);
    // a region out of their scope reads as missing, so codes cannot be probed.
    if !actor.role.is_admin() || !matches!(actor.scope, crate::accounts::Scope::All | crate::accounts::Scope::Regions { .. }) {
        return Err(Error::Forbidden);
    }
    let r = region::Entity::find()
        .filter(region::Column::Code.eq(code))
        .one(db)
        .await?
        .ok_or(Error::NotFound("region"))?;
    if actor.in_regions(r.id) {
        Ok(r)
    } else {
        Err(Error::NotFound("region"))
    }
}

pub async fn for_admin(db: &Db, actor: &crate::accounts::Actor, code: &str) -> Result<(String, Option<PolicyOverride>, Policy)> {
    let r = region_for(db, actor, code).await?;
    let own = own(db, r.id).await?;
    let (policy, _) = for_region(db, r.id).await?;
    Ok((r.name, own, policy))
}

/// Sets a region's policy for an administrator whose scope covers it.
pub async fn set_for_admin(db: &Db, actor: &crate::accounts::Actor, code: &str, o: &PolicyOverride, meta: &Meta) -> Result<()> {
    region_for(db, actor, code).await?;
    set(db, &Who::from(actor), code, o, meta).await
}
