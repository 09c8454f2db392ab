//! The audit trail: every change a person makes, every sign-in and failure,
//! appended in the same transaction as the change. Rows are never updated or
//! deleted (the database refuses it, see migration m0002).

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::Value;

use crate::actor::{Actor, Scope};
use crate::entities::audit_log;
use crate::{Db, Error, Result};

/// Where and when a request came from.
#[derive(Debug, Clone)]
pub struct Meta {
    pub now: DateTime<Utc>,
    pub address: Option<String>,
}

/// Who did it: a signed-in person, or a name tried at sign-in.
#[derive(Debug, Clone)]
pub struct Who {
    pub account_id: Option<i32>,
    pub job_number: String,
    pub role: String,
}

impl From<&Actor> for Who {
    fn from(a: &Actor) -> Who {
        Who {
            account_id: Some(a.id),
            job_number: a.job_number.clone(),
            role: a.role.code().to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub who: &'a Who,
    pub action: &'a str,
    pub object_kind: &'a str,
    pub object_code: &'a str,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub region_id: Option<i32>,
}

pub async fn append<C: ConnectionTrait>(conn: &C, e: Entry<'_>, meta: &Meta) -> Result<()> {
    audit_log::ActiveModel {
        at: Set(meta.now),
        account_id: Set(e.who.account_id),
        actor: Set(e.who.job_number.chars().take(64).collect()),
        role: Set(e.who.role.clone()),
        action: Set(e.action.to_string()),
        object_kind: Set(e.object_kind.to_string()),
        object_code: Set(e.object_code.chars().take(128).collect()),
        before: Set(e.before.map(|v| v.to_string())),
        after: Set(e.after.map(|v| v.to_string())),
        address: Set(meta.address.clone()),
        region_id: Set(e.region_id),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Job number of the person (exact).
    pub person: Option<String>,
    /// Object code, or kind (`windows`), or kind:code.
    pub object: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub object_kind: String,
    pub object_code: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub address: Option<String>,
}

/// Searches the trail, newest first. System administrators see everything;
/// center administrators see what happened inside their region.
pub async fn search(db: &Db, actor: &Actor, f: &Filter, offset: u64, limit: u64) -> Result<(Vec<Line>, u64)> {
    let mut q = audit_log::Entity::find();
    match &actor.scope {
        Scope::All => {}
        Scope::Regions { ids, .. } => q = q.filter(audit_log::Column::RegionId.is_in(ids.clone())),
        _ => return Err(Error::Forbidden),
    }
    if let Some(p) = f.person.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        q = q.filter(audit_log::Column::Actor.eq(p));
    }
    if let Some(o) = f.object.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        q = match o.split_once(':') {
            Some((kind, code)) => q
                .filter(audit_log::Column::ObjectKind.eq(kind))
                .filter(audit_log::Column::ObjectCode.eq(code)),
            None => q.filter(
                sea_orm::Condition::any()
                    .add(audit_log::Column::ObjectCode.eq(o))
                    .add(audit_log::Column::ObjectKind.eq(o)),
            ),
        };
    }
    if let Some(t) = f.from {
        q = q.filter(audit_log::Column::At.gte(t));
    }
    if let Some(t) = f.to {
        q = q.filter(audit_log::Column::At.lt(t));
    }
    let total = q.clone().count(db).await?;
    let rows = q
        .order_by_desc(audit_log::Column::Id)
        .offset(offset)
        .limit(limit.clamp(1, 200))
        .all(db)
        .await?;
    Ok((
        rows.into_iter()
            .map(|r| Line {
                at: r.at,
                actor: r.actor,
                role: r.role,
                action: r.action,
                object_kind: r.object_kind,
                object_code: r.object_code,
                before: r.before,
                after: r.after,
                address: r.address,
            })
            .collect(),
        total,
    ))
}
