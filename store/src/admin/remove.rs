//! Removing objects: delete without history, otherwise deactivate or revoke.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set, TransactionTrait};

use super::read::{fetch, record_of};
use super::scope::{allowed, can_list, place_of};
use super::write::{audit_json, audit_region, write};
use super::{Kind, Removed};
use crate::accounts::Actor;
use crate::audit::{self, Entry, Meta, Who};
use crate::entities::{api_client, hall, item, region, service_case, service_window, staff, unit};
use crate::{immediate, Db, Error, Result};

async fn has_history<C: ConnectionTrait>(conn: &C, kind: Kind, id: i32) -> Result<bool> {
    Ok(match kind {
        Kind::Regions => {
            region::Entity::find().filter(region::Column::ParentId.eq(id)).count(conn).await?
                + unit::Entity::find().filter(unit::Column::RegionId.eq(id)).count(conn).await?
                + hall::Entity::find().filter(hall::Column::RegionId.eq(id)).count(conn).await?
                > 0
        }
        Kind::Units => {
            service_window::Entity::find()
                .filter(service_window::Column::UnitId.eq(id))
                .count(conn)
                .await?
                + staff::Entity::find().filter(staff::Column::UnitId.eq(id)).count(conn).await?
                + item::Entity::find().filter(item::Column::UnitId.eq(id)).count(conn).await?
                > 0
        }
        Kind::Halls => {
            service_window::Entity::find()
                .filter(service_window::Column::HallId.eq(id))
                .count(conn)
                .await?
                > 0
        }
        Kind::Windows => {
            service_case::Entity::find()
                .filter(service_case::Column::WindowId.eq(id))
                .count(conn)
                .await?
                > 0
        }
        Kind::Staff => {
            service_case::Entity::find()
                .filter(service_case::Column::StaffId.eq(id))
                .count(conn)
                .await?
                > 0
        }
        Kind::Items => {
            service_case::Entity::find()
                .filter(service_case::Column::ItemId.eq(id))
                .count(conn)
                .await?
                > 0
        }
        Kind::Clients => true,
    })
}

/// Deletes an object without history; deactivates (or, for API keys, revokes)
/// one with history, so nothing that ratings refer to is ever lost.
pub async fn remove(db: &Db, actor: &Actor, kind: Kind, code: &str, meta: &Meta) -> Result<Removed> {
    if !can_list(actor, kind) {
        return Err(Error::Forbidden);
    }
    let txn = db.begin_with_options(immediate()).await?;
    let o = fetch(&txn, kind, code).await?.ok_or(Error::NotFound("object"))?;
    let place = place_of(&txn, kind, &o).await?;
    if !allowed(actor, kind, &place) {
        txn.rollback().await?;
        return Err(Error::Forbidden);
    }
    let before = audit_json(&record_of(&txn, kind, &o).await?);
    let outcome = if kind == Kind::Clients {
        api_client::ActiveModel {
            id: Set(o.id),
            revoked_at: Set(Some(meta.now)),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        Removed::Revoked
    } else if has_history(&txn, kind, o.id).await? {
        let mut off = o.clone();
        off.active = false;
        write(&txn, kind, &off, meta.now).await?;
        Removed::Deactivated
    } else {
        let res = match kind {
            Kind::Regions => region::Entity::delete_by_id(o.id).exec(&txn).await,
            Kind::Units => unit::Entity::delete_by_id(o.id).exec(&txn).await,
            Kind::Halls => hall::Entity::delete_by_id(o.id).exec(&txn).await,
            Kind::Windows => service_window::Entity::delete_by_id(o.id).exec(&txn).await,
            Kind::Staff => {
                crate::entities::staff_photo::Entity::delete_by_id(o.id).exec(&txn).await?;
                staff::Entity::delete_by_id(o.id).exec(&txn).await
            }
            Kind::Items => item::Entity::delete_by_id(o.id).exec(&txn).await,
            Kind::Clients => return Err(Error::Forbidden),
        };
        res?;
        Removed::Deleted
    };
    let action = match outcome {
        Removed::Deleted => "delete",
        Removed::Deactivated => "deactivate",
        Removed::Revoked => "revoke",
    };
    audit::append(
        &txn,
        Entry {
            who: &Who::from(actor),
            action,
            object_kind: kind.slug(),
            object_code: &o.code,
            before: Some(before),
            after: None,
            region_id: audit_region(kind, &o, &place),
        },
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(outcome)
}
