//! Server-side sessions for tower-sessions, kept in the `web_session` table so
//! they survive restarts and are shared by several server processes.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::entities::web_session;
use crate::Db;

#[derive(Clone)]
pub struct DbSessionStore {
    db: Db,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSessionStore")
    }
}

impl DbSessionStore {
    pub fn new(db: Db) -> DbSessionStore {
        DbSessionStore { db }
    }

    /// Removes expired sessions; returns how many.
    pub async fn delete_expired(&self, now: DateTime<Utc>) -> crate::Result<u64> {
        Ok(web_session::Entity::delete_many()
            .filter(web_session::Column::ExpiresAt.lt(now))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn expiry(r: &Record) -> DateTime<Utc> {
    DateTime::from_timestamp(r.expiry_date.unix_timestamp(), 0).unwrap_or_else(Utc::now)
}

fn row(r: &Record) -> session_store::Result<web_session::ActiveModel> {
    Ok(web_session::ActiveModel {
        id: Set(r.id.to_string()),
        data: Set(serde_json::to_string(&r.data).map_err(|e| session_store::Error::Encode(e.to_string()))?),
        expires_at: Set(expiry(r)),
    })
}

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // 128-bit random ids collide only in theory; draw again if one does.
        for _ in 0..3 {
            match row(record)?.insert(&self.db).await {
                Ok(_) => return Ok(()),
                Err(e) if crate::Error::is_unique_violation(&e) => record.id = Id::default(),
                Err(e) => return Err(backend(e)),
            }
        }
        Err(backend("could not draw a free session id"))
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        web_session::Entity::insert(row(record)?)
            .on_conflict(
                OnConflict::column(web_session::Column::Id)
                    .update_columns([web_session::Column::Data, web_session::Column::ExpiresAt])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(r) = web_session::Entity::find_by_id(id.to_string())
            .one(&self.db)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        if r.expires_at < Utc::now() {
            return Ok(None);
        }
        let data = serde_json::from_str(&r.data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date =
            time::OffsetDateTime::from_unix_timestamp(r.expires_at.timestamp()).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        web_session::Entity::delete_by_id(id.to_string())
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
