//! Scope checks: which objects an actor may see and change, and where in the tree an object sits.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{Kind, Obj};
use crate::accounts::{Actor, Scope};
use crate::entities::{hall, unit};
use crate::{Db, Result};

/// May this actor see lists of this kind at all?
pub fn can_list(actor: &Actor, kind: Kind) -> bool {
    match actor.scope {
        Scope::All => true,
        Scope::Regions { .. } => kind != Kind::Clients,
        Scope::Unit(_) => matches!(kind, Kind::Windows | Kind::Staff | Kind::Items),
        Scope::Window(_) => false,
    }
}

/// The places in the tree an object touches: it is in scope only if all are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Place {
    pub(super) regions: Vec<i32>,
    pub(super) unit: Option<i32>,
}

/// The one scope rule for reading one object and for writing it.
pub(super) fn allowed(actor: &Actor, kind: Kind, place: &Place) -> bool {
    match &actor.scope {
        Scope::All => true,
        Scope::Regions { ids, .. } => kind != Kind::Clients && !place.regions.is_empty() && place.regions.iter().all(|r| ids.contains(r)),
        Scope::Unit(u) => matches!(kind, Kind::Windows | Kind::Staff | Kind::Items) && place.unit == Some(*u),
        Scope::Window(_) => false,
    }
}

pub(super) async fn unit_region<C: ConnectionTrait>(conn: &C, unit_id: i32) -> Result<Option<i32>> {
    if let Some(hit) = super::memo::region(Kind::Units, unit_id) {
        return Ok(hit);
    }
    let r = unit::Entity::find_by_id(unit_id).one(conn).await?.map(|u| u.region_id);
    super::memo::keep_region(Kind::Units, unit_id, r);
    Ok(r)
}

async fn hall_region<C: ConnectionTrait>(conn: &C, hall_id: i32) -> Result<Option<i32>> {
    if let Some(hit) = super::memo::region(Kind::Halls, hall_id) {
        return Ok(hit);
    }
    let r = hall::Entity::find_by_id(hall_id).one(conn).await?.map(|h| h.region_id);
    super::memo::keep_region(Kind::Halls, hall_id, r);
    Ok(r)
}

pub(super) async fn place_of<C: ConnectionTrait>(conn: &C, kind: Kind, o: &Obj) -> Result<Place> {
    let r0 = o.refs.first().copied().flatten();
    Ok(match kind {
        Kind::Regions => Place {
            regions: r0.into_iter().collect(),
            unit: None,
        },
        Kind::Units | Kind::Halls => Place {
            regions: r0.into_iter().collect(),
            unit: (kind == Kind::Units).then_some(o.id),
        },
        Kind::Windows => {
            let hall_region = match r0 {
                Some(h) => hall_region(conn, h).await?,
                None => None,
            };
            let unit = o.refs.get(1).copied().flatten();
            let unit_region = match unit {
                Some(u) => unit_region(conn, u).await?,
                None => None,
            };
            Place {
                regions: hall_region.into_iter().chain(unit_region).collect(),
                unit,
            }
        }
        Kind::Staff | Kind::Items => Place {
            regions: match r0 {
                Some(u) => unit_region(conn, u).await?.into_iter().collect(),
                None => vec![],
            },
            unit: r0,
        },
        Kind::Clients => Place::default(),
    })
}

/// Ids of halls / units inside a set of regions.
pub(super) async fn halls_in(db: &Db, regions: &[i32]) -> Result<Vec<i32>> {
    Ok(hall::Entity::find()
        .filter(hall::Column::RegionId.is_in(regions.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|h| h.id)
        .collect())
}

pub(super) async fn units_in(db: &Db, regions: &[i32]) -> Result<Vec<i32>> {
    Ok(unit::Entity::find()
        .filter(unit::Column::RegionId.is_in(regions.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect())
}
