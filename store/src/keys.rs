//! API keys of business systems: one per system, stored only as a SHA-256 hash.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use sha2::{Digest, Sha256};

use crate::entities::{api_client, item, region, service_case, service_window, unit};
use crate::{random_token, Db, Error, Reason, Result};

pub const KEY_PREFIX: &str = "hc_";

fn hash(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a key may read and rate besides the cases it reported (issue 13 item 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeyScope {
    pub region_id: Option<i32>,
    pub unit_id: Option<i32>,
}

/// Resolves a scope code: a region code (the region and below) or a unit code;
/// empty for none. `Invalid("scope")` when the code names neither.
pub async fn resolve_scope<C: ConnectionTrait>(conn: &C, code: Option<&str>) -> Result<KeyScope> {
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(KeyScope::default());
    };
    if let Some(r) = region::Entity::find().filter(region::Column::Code.eq(code)).one(conn).await? {
        return Ok(KeyScope {
            region_id: Some(r.id),
            unit_id: None,
        });
    }
    if let Some(u) = unit::Entity::find().filter(unit::Column::Code.eq(code)).one(conn).await? {
        return Ok(KeyScope {
            region_id: None,
            unit_id: Some(u.id),
        });
    }
    Err(Error::invalid("scope", Reason::Unknown(code.to_string())))
}

/// The code a scope names (region code or unit code), empty for none.
pub async fn scope_code<C: ConnectionTrait>(conn: &C, s: KeyScope) -> Result<String> {
    if let Some(id) = s.region_id {
        return Ok(region::Entity::find_by_id(id).one(conn).await?.map(|r| r.code).unwrap_or_default());
    }
    if let Some(id) = s.unit_id {
        return Ok(unit::Entity::find_by_id(id).one(conn).await?.map(|u| u.code).unwrap_or_default());
    }
    Ok(String::new())
}

/// The cases a client may read and rate: those it reported, and those of the
/// region or unit it was granted.
pub async fn case_condition<C: ConnectionTrait>(conn: &C, client_id: i32) -> Result<Condition> {
    let own = Condition::any().add(service_case::Column::ApiClientId.eq(client_id));
    Ok(match granted(conn, client_id).await? {
        Some(g) => own.add(g),
        None => own,
    })
}

/// The cases of the region or unit a client was granted, if any.
pub async fn granted<C: ConnectionTrait>(conn: &C, client_id: i32) -> Result<Option<Condition>> {
    let Some(c) = api_client::Entity::find_by_id(client_id).one(conn).await? else {
        return Ok(None);
    };
    Ok(match (c.scope_region_id, c.scope_unit_id) {
        (Some(r), _) => {
            let ids = crate::accounts::region_subtree(conn, r).await?;
            let codes: Vec<String> = region::Entity::find()
                .filter(region::Column::Id.is_in(ids))
                .all(conn)
                .await?
                .into_iter()
                .map(|r| r.code)
                .collect();
            Some(Condition::all().add(service_case::Column::RegionCode.is_in(codes)))
        }
        (None, Some(u)) => {
            let items: Vec<i32> = item::Entity::find()
                .select_only()
                .column(item::Column::Id)
                .filter(item::Column::UnitId.eq(u))
                .into_tuple()
                .all(conn)
                .await?;
            let windows: Vec<i32> = service_window::Entity::find()
                .select_only()
                .column(service_window::Column::Id)
                .filter(service_window::Column::UnitId.eq(u))
                .into_tuple()
                .all(conn)
                .await?;
            Some(
                Condition::any()
                    .add(service_case::Column::ItemId.is_in(items))
                    .add(service_case::Column::WindowId.is_in(windows)),
            )
        }
        (None, None) => None,
    })
}

/// Creates a client and returns `(client id, key)`. The key is shown once.
pub async fn create<C: sea_orm::ConnectionTrait>(db: &C, name: &str, scope: KeyScope, now: DateTime<Utc>) -> Result<(i32, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(Error::invalid("name", Reason::Printable { max: 100 }));
    }
    // 32 random bytes: a key too long to guess, so a fast hash is enough to store it.
    let key = format!("{KEY_PREFIX}{}", random_token(32));
    let client = api_client::ActiveModel {
        name: Set(name.to_string()),
        key_hash: Set(hash(&key)),
        created_at: Set(now),
        revoked_at: Set(None),
        scope_region_id: Set(scope.region_id),
        scope_unit_id: Set(scope.unit_id),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((client.id, key))
}

/// The client a bearer key belongs to, if the key is known and not revoked.
pub async fn authenticate(db: &Db, key: &str) -> Result<api_client::Model> {
    let client = api_client::Entity::find()
        .filter(api_client::Column::KeyHash.eq(hash(key.trim())))
        .one(db)
        .await?
        .ok_or(Error::Unauthorized)?;
    if client.revoked_at.is_some() {
        return Err(Error::Unauthorized);
    }
    Ok(client)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_hash_is_hex_sha256() {
        assert_eq!(
            super::hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
