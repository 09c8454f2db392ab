//! Paged, searchable lists of objects inside the actor's scope.

use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use super::read::ref_code;
use super::scope::{can_list, halls_in, units_in};
use super::{Input, Kind, Obj, Page, Row};
use crate::accounts::{Actor, Scope};
use crate::entities::{api_client, hall, item, region, service_window, staff, unit};
use crate::{Db, Error, Result};

macro_rules! list_kind {
    ($db:expr, $q:expr, $filter:expr, $scope:expr, $entity:ident, $code:ident, $offset:expr, $limit:expr, $map:expr) => {{
        let mut query = $entity::Entity::find();
        if let Some(cond) = $scope {
            query = query.filter(cond);
        }
        if let Some(text) = $q {
            query = query.filter(
                Condition::any()
                    .add($entity::Column::$code.contains(text))
                    .add($entity::Column::Name.contains(text)),
            );
        }
        if let Some(cond) = $filter {
            query = query.filter(cond);
        }
        let total = query.clone().count($db).await?;
        let rows = query
            .order_by_asc($entity::Column::$code)
            .offset($offset)
            .limit($limit)
            .all($db)
            .await?;
        let mut objs = Vec::new();
        for r in rows {
            objs.push($map(r));
        }
        (objs, total)
    }};
}

/// A page of objects of `kind` inside the actor's scope, filtered by `q`
/// (code or name contains) and, if given, by active flag.
pub async fn list(db: &Db, actor: &Actor, kind: Kind, q: Option<&str>, active: Option<bool>, offset: u64, limit: u64) -> Result<Page> {
    if !can_list(actor, kind) {
        return Err(Error::Forbidden);
    }
    let q = q.map(str::trim).filter(|s| !s.is_empty());
    let limit = limit.clamp(1, 200);
    let region_ids = match &actor.scope {
        Scope::Regions { ids, .. } => Some(ids.clone()),
        _ => None,
    };
    let unit_id = match actor.scope {
        Scope::Unit(u) => Some(u),
        _ => None,
    };
    let (objs, total): (Vec<Obj>, u64) = match kind {
        Kind::Regions => list_kind!(
            db,
            q,
            active.map(|a| region::Column::Active.eq(a)),
            region_ids.map(|ids| region::Column::Id.is_in(ids)),
            region,
            Code,
            offset,
            limit,
            |r: region::Model| Obj {
                id: r.id,
                code: r.code,
                name: r.name,
                active: r.active,
                refs: vec![r.parent_id],
                photo_url: None,
                grant: Default::default()
            }
        ),
        Kind::Units => list_kind!(
            db,
            q,
            active.map(|a| unit::Column::Active.eq(a)),
            region_ids.map(|ids| unit::Column::RegionId.is_in(ids)),
            unit,
            Code,
            offset,
            limit,
            |r: unit::Model| Obj {
                id: r.id,
                code: r.code,
                name: r.name,
                active: r.active,
                refs: vec![Some(r.region_id)],
                photo_url: None,
                grant: Default::default()
            }
        ),
        Kind::Halls => list_kind!(
            db,
            q,
            active.map(|a| hall::Column::Active.eq(a)),
            region_ids.map(|ids| hall::Column::RegionId.is_in(ids)),
            hall,
            Code,
            offset,
            limit,
            |r: hall::Model| Obj {
                id: r.id,
                code: r.code,
                name: r.name,
                active: r.active,
                refs: vec![Some(r.region_id)],
                photo_url: None,
                grant: Default::default()
            }
        ),
        Kind::Windows => {
            let scope = match (&region_ids, unit_id) {
                (Some(ids), _) => Some(service_window::Column::HallId.is_in(halls_in(db, ids).await?)),
                (_, Some(u)) => Some(service_window::Column::UnitId.eq(u)),
                _ => None,
            };
            list_kind!(
                db,
                q,
                active.map(|a| service_window::Column::Active.eq(a)),
                scope,
                service_window,
                Code,
                offset,
                limit,
                |r: service_window::Model| Obj {
                    id: r.id,
                    code: r.code,
                    name: r.name,
                    active: r.active,
                    refs: vec![Some(r.hall_id), Some(r.unit_id)],
                    photo_url: None,
                    grant: Default::default()
                }
            )
        }
        Kind::Staff => {
            let scope = match (&region_ids, unit_id) {
                (Some(ids), _) => Some(staff::Column::UnitId.is_in(units_in(db, ids).await?)),
                (_, Some(u)) => Some(staff::Column::UnitId.eq(u)),
                _ => None,
            };
            list_kind!(
                db,
                q,
                active.map(|a| staff::Column::Active.eq(a)),
                scope,
                staff,
                Number,
                offset,
                limit,
                |r: staff::Model| Obj {
                    id: r.id,
                    code: r.number,
                    name: r.name,
                    active: r.active,
                    refs: vec![Some(r.unit_id)],
                    photo_url: r.photo_url,
                    grant: Default::default()
                }
            )
        }
        Kind::Items => {
            let scope = match (&region_ids, unit_id) {
                (Some(ids), _) => Some(item::Column::UnitId.is_in(units_in(db, ids).await?)),
                (_, Some(u)) => Some(item::Column::UnitId.eq(u)),
                _ => None,
            };
            list_kind!(
                db,
                q,
                active.map(|a| item::Column::Active.eq(a)),
                scope,
                item,
                Code,
                offset,
                limit,
                |r: item::Model| Obj {
                    id: r.id,
                    code: r.code,
                    name: r.name,
                    active: r.active,
                    refs: vec![Some(r.unit_id)],
                    photo_url: None,
                    grant: Default::default()
                }
            )
        }
        Kind::Clients => {
            let mut query = api_client::Entity::find();
            if let Some(text) = q {
                query = query.filter(api_client::Column::Name.contains(text));
            }
            if let Some(a) = active {
                query = query.filter(if a {
                    api_client::Column::RevokedAt.is_null()
                } else {
                    api_client::Column::RevokedAt.is_not_null()
                });
            }
            let total = query.clone().count(db).await?;
            let rows = query
                .order_by_asc(api_client::Column::Id)
                .offset(offset)
                .limit(limit)
                .all(db)
                .await?;
            (
                rows.into_iter()
                    .map(|r| Obj {
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
                    })
                    .collect(),
                total,
            )
        }
    };
    let mut rows = Vec::with_capacity(objs.len());
    for o in objs {
        let mut cells = Vec::new();
        let mut refs = o.refs.iter();
        for field in kind.fields() {
            cells.push(match field.input {
                Input::Code => o.code.clone(),
                Input::Name => o.name.clone(),
                Input::Url => o.photo_url.clone().unwrap_or_default(),
                Input::Scope => match crate::keys::scope_code(db, o.grant).await?.as_str() {
                    "" => "仅本系统报送 · own cases only".to_string(),
                    c => c.to_string(),
                },
                Input::Ref { kind: rk, .. } => match refs.next().copied().flatten() {
                    Some(id) => ref_code(db, rk, id).await?.map(|(c, n)| format!("{n} ({c})")).unwrap_or_default(),
                    None => String::new(),
                },
            });
        }
        rows.push(Row {
            code: o.code,
            cells,
            active: o.active,
        });
    }
    Ok(Page { rows, total })
}
