//! API keys of business systems: one per system, stored only as a SHA-256 hash.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use crate::entities::api_client;
use crate::{random_token, Db, Error, Reason, Result};

pub const KEY_PREFIX: &str = "hc_";

fn hash(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates a client and returns `(client id, key)`. The key is shown once.
pub async fn create<C: sea_orm::ConnectionTrait>(db: &C, name: &str, now: DateTime<Utc>) -> Result<(i32, String)> {
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
