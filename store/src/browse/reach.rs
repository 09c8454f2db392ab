//! Where each source may be read from: the reader's scope, then the filter's codes.

use super::*;

/// Where each source may be read from, after scope and filter.
pub(crate) struct Where {
    /// The reader's cases (for case and default ratings).
    pub(crate) cases: Condition,
    /// The filter's conditions on cases; `None`: no case can match.
    pub(crate) filter: Option<Condition>,
    /// An API key also reads the ratings it pushed, on any case.
    pub(crate) pushed_by: Option<i32>,
    /// The reader sees every case (no scope condition on the raw rows).
    pub(crate) everything: bool,
    /// An API key's granted region or unit, on cases.
    pub(crate) grant: Option<Condition>,
    /// Whether the filter names cases (else no case subquery is needed).
    pub(crate) filtered: bool,
    /// Static-code and kiosk ratings; `None`: none can match.
    pub(crate) places: Option<Condition>,
}

impl Where {
    pub(crate) fn new(cases: Condition, pushed_by: Option<i32>, places: Option<Condition>) -> Where {
        Where {
            cases,
            filter: Some(Condition::all()),
            pushed_by,
            everything: false,
            grant: None,
            filtered: false,
            places,
        }
    }
}

pub(crate) async fn ids_of_unit(db: &Db, unit_id: i32) -> Result<(Vec<i32>, Vec<i32>)> {
    let items: Vec<i32> = item::Entity::find()
        .select_only()
        .column(item::Column::Id)
        .filter(item::Column::UnitId.eq(unit_id))
        .into_tuple()
        .all(db)
        .await?;
    let windows: Vec<i32> = service_window::Entity::find()
        .select_only()
        .column(service_window::Column::Id)
        .filter(service_window::Column::UnitId.eq(unit_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok((items, windows))
}

pub(crate) async fn region_reach(db: &Db, ids: Vec<i32>) -> Result<(Condition, Condition)> {
    let codes: Vec<String> = region::Entity::find()
        .select_only()
        .column(region::Column::Code)
        .filter(region::Column::Id.is_in(ids.clone()))
        .into_tuple()
        .all(db)
        .await?;
    let halls: Vec<i32> = hall::Entity::find()
        .select_only()
        .column(hall::Column::Id)
        .filter(hall::Column::RegionId.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok((
        Condition::all().add(service_case::Column::RegionCode.is_in(codes)),
        Condition::all().add(place_rating::Column::HallId.is_in(halls)),
    ))
}

pub(crate) async fn unit_reach(db: &Db, unit_id: i32) -> Result<(Condition, Condition)> {
    let (items, windows) = ids_of_unit(db, unit_id).await?;
    Ok((
        Condition::any()
            .add(service_case::Column::ItemId.is_in(items))
            .add(service_case::Column::WindowId.is_in(windows.clone())),
        Condition::all().add(place_rating::Column::WindowId.is_in(windows)),
    ))
}

pub(crate) fn unknown(field: &'static str) -> Error {
    Error::invalid(field, Reason::Unknown(field.to_string()))
}

/// The reader's reach.
pub(crate) async fn scope(db: &Db, reader: Reader<'_>) -> Result<Where> {
    use crate::accounts::Scope;
    Ok(match reader {
        Reader::Admin(actor) => {
            if !actor.role.is_admin() {
                return Err(Error::Forbidden);
            }
            match &actor.scope {
                Scope::All => Where {
                    everything: true,
                    ..Where::new(Condition::all(), None, Some(Condition::all()))
                },
                Scope::Regions { ids, .. } => {
                    let (c, p) = region_reach(db, ids.clone()).await?;
                    Where::new(c, None, Some(p))
                }
                Scope::Unit(u) => {
                    let (c, p) = unit_reach(db, *u).await?;
                    Where::new(c, None, Some(p))
                }
                Scope::Window(_) => return Err(Error::Forbidden),
            }
        }
        Reader::Client(client) => {
            let Some(c) = api_client::Entity::find_by_id(client).one(db).await? else {
                return Err(Error::Unauthorized);
            };
            // Its own cases (and, for case ratings, what it pushed); a granted
            // region or unit adds that scope's cases and places.
            let own = Condition::all().add(service_case::Column::ApiClientId.eq(client));
            let (cases, places, grant) = match (c.scope_region_id, c.scope_unit_id) {
                (Some(r), _) => {
                    let ids = crate::accounts::region_subtree(db, r).await?;
                    let (cc, p) = region_reach(db, ids).await?;
                    (Condition::any().add(own).add(cc.clone()), Some(p), Some(cc))
                }
                (None, Some(u)) => {
                    let (cc, p) = unit_reach(db, u).await?;
                    (Condition::any().add(own).add(cc.clone()), Some(p), Some(cc))
                }
                (None, None) => (own, None, None),
            };
            Where {
                grant,
                ..Where::new(cases, Some(client), places)
            }
        }
    })
}

/// Narrows `w` by the filter's codes; an unknown code is a 422 on its field.
pub(crate) async fn narrow(db: &Db, mut w: Where, f: &Filter) -> Result<Where> {
    pub(crate) fn and(c: Option<Condition>, more: Condition) -> Option<Condition> {
        c.map(|c| c.add(more))
    }
    let some = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    if let Some(code) = some(&f.region) {
        let r = region::Entity::find()
            .filter(region::Column::Code.eq(code))
            .one(db)
            .await?
            .ok_or_else(|| unknown("region"))?;
        let ids = crate::accounts::region_subtree(db, r.id).await?;
        let (c, p) = region_reach(db, ids).await?;
        w.filter = and(w.filter, c);
        w.places = and(w.places, p);
    }
    if let Some(code) = some(&f.hall) {
        let h = hall::Entity::find()
            .filter(hall::Column::Code.eq(code))
            .one(db)
            .await?
            .ok_or_else(|| unknown("hall"))?;
        let windows: Vec<i32> = service_window::Entity::find()
            .select_only()
            .column(service_window::Column::Id)
            .filter(service_window::Column::HallId.eq(h.id))
            .into_tuple()
            .all(db)
            .await?;
        w.filter = and(w.filter, Condition::all().add(service_case::Column::WindowId.is_in(windows)));
        w.places = and(w.places, Condition::all().add(place_rating::Column::HallId.eq(h.id)));
    }
    if let Some(code) = some(&f.unit) {
        let u = unit::Entity::find()
            .filter(unit::Column::Code.eq(code))
            .one(db)
            .await?
            .ok_or_else(|| unknown("unit"))?;
        let (c, p) = unit_reach(db, u.id).await?;
        w.filter = and(w.filter, c);
        w.places = and(w.places, p);
    }
    if let Some(code) = some(&f.window) {
        let win = service_window::Entity::find()
            .filter(service_window::Column::Code.eq(code))
            .one(db)
            .await?
            .ok_or_else(|| unknown("window"))?;
        w.filter = and(w.filter, Condition::all().add(service_case::Column::WindowId.eq(win.id)));
        w.places = and(w.places, Condition::all().add(place_rating::Column::WindowId.eq(win.id)));
    }
    if let Some(number) = some(&f.staff) {
        let s = staff::Entity::find()
            .filter(staff::Column::Number.eq(number))
            .one(db)
            .await?
            .ok_or_else(|| unknown("staff"))?;
        w.filter = and(w.filter, Condition::all().add(service_case::Column::StaffId.eq(s.id)));
        w.places = None;
    }
    if let Some(code) = some(&f.item) {
        let i = item::Entity::find()
            .filter(item::Column::Code.eq(code))
            .one(db)
            .await?
            .ok_or_else(|| unknown("item"))?;
        w.filter = and(w.filter, Condition::all().add(service_case::Column::ItemId.eq(i.id)));
        w.places = None;
    }
    w.filtered = [&f.region, &f.hall, &f.unit, &f.window, &f.staff, &f.item, &f.case]
        .iter()
        .any(|v| some(v).is_some());
    if let Some(number) = some(&f.case) {
        w.filter = and(w.filter, Condition::all().add(service_case::Column::CaseNumber.eq(number)));
        w.places = None;
    }
    Ok(w)
}
