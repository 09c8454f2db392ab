//! Reading single objects: lookup by code, references, the edit form's record, and reference choices.

use std::collections::BTreeMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::scope::{allowed, can_list, place_of, unit_region};
use super::{Input, Kind, Obj, Record};
use crate::accounts::{Actor, Scope};
use crate::entities::{api_client, hall, item, region, service_window, staff, unit};
use crate::{Db, Error, Result};

pub(super) async fn fetch<C: ConnectionTrait>(conn: &C, kind: Kind, code: &str) -> Result<Option<Obj>> {
    Ok(match kind {
        Kind::Regions => region::Entity::find()
            .filter(region::Column::Code.eq(code))
            .one(conn)
            .await?
            .map(|r| Obj {
                id: r.id,
                code: r.code,
                name: r.name,
                active: r.active,
                refs: vec![r.parent_id],
                photo_url: None,
                grant: Default::default(),
            }),
        Kind::Units => unit::Entity::find()
            .filter(unit::Column::Code.eq(code))
            .one(conn)
            .await?
            .map(|r| Obj {
                id: r.id,
                code: r.code,
                name: r.name,
                active: r.active,
                refs: vec![Some(r.region_id)],
                photo_url: None,
                grant: Default::default(),
            }),
        Kind::Halls => hall::Entity::find()
            .filter(hall::Column::Code.eq(code))
            .one(conn)
            .await?
            .map(|r| Obj {
                id: r.id,
                code: r.code,
                name: r.name,
                active: r.active,
                refs: vec![Some(r.region_id)],
                photo_url: None,
                grant: Default::default(),
            }),
        Kind::Windows => service_window::Entity::find()
            .filter(service_window::Column::Code.eq(code))
            .one(conn)
            .await?
            .map(|r| Obj {
                id: r.id,
                code: r.code,
                name: r.name,
                active: r.active,
                refs: vec![Some(r.hall_id), Some(r.unit_id)],
                photo_url: None,
                grant: Default::default(),
            }),
        Kind::Staff => staff::Entity::find()
            .filter(staff::Column::Number.eq(code))
            .one(conn)
            .await?
            .map(|r| Obj {
                id: r.id,
                code: r.number,
                name: r.name,
                active: r.active,
                refs: vec![Some(r.unit_id)],
                photo_url: r.photo_url,
                grant: Default::default(),
            }),
        Kind::Items => item::Entity::find()
            .filter(item::Column::Code.eq(code))
            .one(conn)
            .await?
            .map(|r| Obj {
                id: r.id,
                code: r.code,
                name: r.name,
                active: r.active,
                refs: vec![Some(r.unit_id)],
                photo_url: None,
                grant: Default::default(),
            }),
        Kind::Clients => match code.parse::<i32>() {
            Ok(id) => api_client::Entity::find_by_id(id).one(conn).await?.map(|r| Obj {
                id: r.id,
                code: r.id.to_string(),
                name: r.name,
                active: r.revoked_at.is_none(),
                refs: vec![],
                photo_url: None,
                grant: crate::keys::KeyScope {
                    region_id: r.scope_region_id,
                    unit_id: r.scope_unit_id,
                },
            }),
            Err(_) => None,
        },
    })
}

/// Code and name of a referenced object.
pub(super) async fn ref_code<C: ConnectionTrait>(conn: &C, kind: Kind, id: i32) -> Result<Option<(String, String)>> {
    if let Some(hit) = super::memo::code(kind, id) {
        return Ok(hit);
    }
    let found = match kind {
        Kind::Regions => region::Entity::find_by_id(id).one(conn).await?.map(|r| (r.code, r.name)),
        Kind::Units => unit::Entity::find_by_id(id).one(conn).await?.map(|r| (r.code, r.name)),
        Kind::Halls => hall::Entity::find_by_id(id).one(conn).await?.map(|r| (r.code, r.name)),
        _ => None,
    };
    super::memo::keep_code(kind, id, found.clone());
    Ok(found)
}

pub(super) async fn ref_id<C: ConnectionTrait>(conn: &C, kind: Kind, code: &str) -> Result<Option<i32>> {
    if let Some(hit) = super::memo::id(kind, code) {
        return Ok(hit);
    }
    let id = fetch(conn, kind, code).await?.map(|o| o.id);
    super::memo::keep_id(kind, code, id);
    Ok(id)
}

/// Which of these codes an importable kind already has (whoever may see
/// them), in one query per 500 codes.
pub async fn existing<C: ConnectionTrait>(conn: &C, kind: Kind, codes: &[String]) -> Result<std::collections::HashSet<String>> {
    use sea_orm::QuerySelect;
    let mut out = std::collections::HashSet::new();
    for chunk in codes.chunks(500) {
        let found: Vec<String> = match kind {
            Kind::Windows => {
                service_window::Entity::find()
                    .select_only()
                    .column(service_window::Column::Code)
                    .filter(service_window::Column::Code.is_in(chunk.iter().cloned()))
                    .into_tuple()
                    .all(conn)
                    .await?
            }
            Kind::Staff => {
                staff::Entity::find()
                    .select_only()
                    .column(staff::Column::Number)
                    .filter(staff::Column::Number.is_in(chunk.iter().cloned()))
                    .into_tuple()
                    .all(conn)
                    .await?
            }
            Kind::Items => {
                item::Entity::find()
                    .select_only()
                    .column(item::Column::Code)
                    .filter(item::Column::Code.is_in(chunk.iter().cloned()))
                    .into_tuple()
                    .all(conn)
                    .await?
            }
            _ => {
                let mut v = Vec::new();
                for c in chunk {
                    if fetch(conn, kind, c).await?.is_some() {
                        v.push(c.clone());
                    }
                }
                v
            }
        };
        out.extend(found);
    }
    Ok(out)
}

pub(super) async fn record_of<C: ConnectionTrait>(conn: &C, kind: Kind, o: &Obj) -> Result<Record> {
    let mut values = BTreeMap::new();
    let mut refs = o.refs.iter();
    for field in kind.fields() {
        let v = match field.input {
            Input::Code => o.code.clone(),
            Input::Name => o.name.clone(),
            Input::Url => o.photo_url.clone().unwrap_or_default(),
            Input::Scope => crate::keys::scope_code(conn, o.grant).await?,
            Input::Ref { kind: rk, .. } => match refs.next().copied().flatten() {
                Some(id) => ref_code(conn, rk, id).await?.map(|(c, _)| c).unwrap_or_default(),
                None => String::new(),
            },
        };
        values.insert(field.name.to_string(), v);
    }
    Ok(Record {
        code: o.code.clone(),
        values,
        active: o.active,
    })
}

/// One object for its edit form, if the actor's scope covers it.
pub async fn get<C: ConnectionTrait>(db: &C, actor: &Actor, kind: Kind, code: &str) -> Result<Record> {
    if !can_list(actor, kind) {
        return Err(Error::Forbidden);
    }
    let o = fetch(db, kind, code).await?.ok_or(Error::NotFound("object"))?;
    if !allowed(actor, kind, &place_of(db, kind, &o).await?) {
        return Err(Error::Forbidden);
    }
    record_of(db, kind, &o).await
}

/// Choices for a reference field: active objects of `kind` the actor may use.
pub async fn options(db: &Db, actor: &Actor, kind: Kind) -> Result<Vec<(String, String)>> {
    let pairs = |v: Vec<(String, String, bool)>| v.into_iter().filter(|x| x.2).map(|x| (x.0, x.1)).collect::<Vec<_>>();
    Ok(match (&actor.scope, kind) {
        (Scope::All, Kind::Regions) => pairs(
            region::Entity::find()
                .order_by_asc(region::Column::Code)
                .all(db)
                .await?
                .into_iter()
                .map(|r| (r.code, r.name, r.active))
                .collect(),
        ),
        (Scope::Regions { ids, .. }, Kind::Regions) => pairs(
            region::Entity::find()
                .filter(region::Column::Id.is_in(ids.clone()))
                .order_by_asc(region::Column::Code)
                .all(db)
                .await?
                .into_iter()
                .map(|r| (r.code, r.name, r.active))
                .collect(),
        ),
        (scope, Kind::Units) => {
            let mut q = unit::Entity::find().order_by_asc(unit::Column::Code);
            match scope {
                Scope::All => {}
                Scope::Regions { ids, .. } => q = q.filter(unit::Column::RegionId.is_in(ids.clone())),
                Scope::Unit(u) => q = q.filter(unit::Column::Id.eq(*u)),
                Scope::Window(_) => return Ok(vec![]),
            }
            pairs(q.all(db).await?.into_iter().map(|r| (r.code, r.name, r.active)).collect())
        }
        (scope, Kind::Halls) => {
            let mut q = hall::Entity::find().order_by_asc(hall::Column::Code);
            match scope {
                Scope::All => {}
                Scope::Regions { ids, .. } => q = q.filter(hall::Column::RegionId.is_in(ids.clone())),
                // A unit's windows sit in halls of the unit's region.
                Scope::Unit(u) => match unit_region(db, *u).await? {
                    Some(r) => q = q.filter(hall::Column::RegionId.eq(r)),
                    None => return Ok(vec![]),
                },
                Scope::Window(_) => return Ok(vec![]),
            }
            pairs(q.all(db).await?.into_iter().map(|r| (r.code, r.name, r.active)).collect())
        }
        _ => vec![],
    })
}
