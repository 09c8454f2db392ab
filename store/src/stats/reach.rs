//! Which rows a reader's scope covers: conditions per table and on the rollups.

use super::*;

/// Which rows a reader's scope covers, as conditions per table.
pub(crate) struct Reach {
    pub(crate) cases: Condition,
    pub(crate) places: Condition,
    pub(crate) orders: Condition,
    /// The regions a region row may be shown for (`None`: any).
    pub(crate) regions: Option<HashSet<i32>>,
    /// The region whose policy ranks (the scope's top), if one.
    pub(crate) top: Option<i32>,
    /// The same scope on `stat_rollup`'s columns.
    pub(crate) rollup: Condition,
    /// Everything (no filter needed on the raw rows).
    pub(crate) all: bool,
}

pub(crate) fn rcol(name: &'static str) -> sea_orm::sea_query::Expr {
    sea_orm::sea_query::Expr::col((sea_orm::sea_query::Alias::new("stat_rollup"), sea_orm::sea_query::Alias::new(name)))
}

pub(crate) fn kind_is(k: &'static str) -> Condition {
    use sea_orm::sea_query::ExprTrait;
    Condition::all().add(rcol("kind").eq(k))
}

pub(crate) async fn region_reach<C: ConnectionTrait>(db: &C, ids: Vec<i32>) -> Result<Reach> {
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
        .filter(hall::Column::RegionId.is_in(ids.clone()))
        .into_tuple()
        .all(db)
        .await?;
    use sea_orm::sea_query::ExprTrait;
    Ok(Reach {
        cases: Condition::all().add(service_case::Column::RegionCode.is_in(codes)),
        places: Condition::all().add(place_rating::Column::HallId.is_in(halls)),
        orders: Condition::all().add(work_order::Column::RegionId.is_in(ids.clone())),
        top: ids.first().copied(),
        rollup: Condition::all().add(rcol("region_id").is_in(ids.clone())),
        regions: Some(ids.into_iter().collect()),
        all: false,
    })
}

pub(crate) async fn unit_reach<C: ConnectionTrait>(db: &C, u: i32) -> Result<Reach> {
    let items: Vec<i32> = item::Entity::find()
        .select_only()
        .column(item::Column::Id)
        .filter(item::Column::UnitId.eq(u))
        .into_tuple()
        .all(db)
        .await?;
    let windows: Vec<i32> = service_window::Entity::find()
        .select_only()
        .column(service_window::Column::Id)
        .filter(service_window::Column::UnitId.eq(u))
        .into_tuple()
        .all(db)
        .await?;
    let top = unit::Entity::find_by_id(u).one(db).await?.map(|u| u.region_id);
    use sea_orm::sea_query::ExprTrait;
    let rollup = Condition::any()
        .add(
            kind_is("c").add(
                Condition::any()
                    .add(rcol("item_id").is_in(items.clone()))
                    .add(rcol("window_id").is_in(windows.clone())),
            ),
        )
        .add(kind_is("p").add(rcol("window_id").is_in(windows.clone())))
        .add(kind_is("o").add(rcol("owner_unit_id").eq(u)));
    Ok(Reach {
        cases: Condition::any()
            .add(service_case::Column::ItemId.is_in(items))
            .add(service_case::Column::WindowId.is_in(windows.clone())),
        places: Condition::all().add(place_rating::Column::WindowId.is_in(windows)),
        orders: Condition::all().add(work_order::Column::UnitId.eq(u)),
        regions: None,
        top,
        rollup,
        all: false,
    })
}

pub(crate) async fn reach<C: ConnectionTrait>(db: &C, reader: Reader<'_>) -> Result<Reach> {
    match reader {
        Reader::Admin(actor) => {
            if !actor.role.is_admin() {
                return Err(Error::Forbidden);
            }
            match &actor.scope {
                Scope::All => {
                    let roots: Vec<i32> = region::Entity::find()
                        .select_only()
                        .column(region::Column::Id)
                        .filter(region::Column::ParentId.is_null())
                        .into_tuple()
                        .all(db)
                        .await?;
                    Ok(Reach {
                        cases: Condition::all(),
                        places: Condition::all(),
                        orders: Condition::all(),
                        regions: None,
                        top: (roots.len() == 1).then(|| roots[0]),
                        rollup: Condition::all(),
                        all: true,
                    })
                }
                Scope::Regions { root, ids } => {
                    let mut ids = ids.clone();
                    ids.retain(|i| i != root);
                    ids.insert(0, *root);
                    region_reach(db, ids).await
                }
                Scope::Unit(u) => unit_reach(db, *u).await,
                Scope::Window(_) => Err(Error::Forbidden),
            }
        }
        Reader::Region(r) => region_reach(db, crate::accounts::region_subtree(db, r).await?).await,
        Reader::Client(client) => {
            let c = api_client::Entity::find_by_id(client).one(db).await?.ok_or(Error::Unauthorized)?;
            let own_cases = Condition::all().add(service_case::Column::ApiClientId.eq(client));
            // A correlated EXISTS: the orders' own time index drives the read
            // (an IN listed every case of the key first: 2.6 s at 11 M cases).
            let own_orders = {
                use sea_orm::sea_query::{Expr, ExprTrait, Query};
                Condition::all().add(Expr::exists(
                    Query::select()
                        .expr(Expr::val(1))
                        .from(service_case::Entity)
                        .and_where(
                            Expr::col((service_case::Entity, service_case::Column::Id))
                                .eq(Expr::col((work_order::Entity, work_order::Column::CaseId))),
                        )
                        .cond_where(own_cases.clone())
                        .to_owned(),
                ))
            };
            let granted = match (c.scope_region_id, c.scope_unit_id) {
                (Some(r), _) => Some(region_reach(db, crate::accounts::region_subtree(db, r).await?).await?),
                (None, Some(u)) => Some(unit_reach(db, u).await?),
                (None, None) => None,
            };
            use sea_orm::sea_query::ExprTrait;
            let own_rollup = Condition::all()
                .add(rcol("kind").is_in(["c", "o"]))
                .add(rcol("client_id").eq(client));
            Ok(match granted {
                Some(g) => Reach {
                    cases: Condition::any().add(own_cases).add(g.cases),
                    places: g.places,
                    orders: Condition::any().add(own_orders).add(g.orders),
                    regions: g.regions,
                    top: g.top,
                    rollup: Condition::any().add(own_rollup).add(g.rollup),
                    all: false,
                },
                None => Reach {
                    cases: own_cases,
                    // Without a grant, no static-code or kiosk rating is its.
                    places: Condition::all().add(place_rating::Column::Id.eq(-1)),
                    orders: own_orders,
                    regions: None,
                    top: None,
                    rollup: own_rollup,
                    all: false,
                },
            })
        }
    }
}

/// The policy that ranks a reader's rows: that of the scope's top region
/// (the defaults where there is none).
pub async fn ranking_policy(db: &Db, reader: Reader<'_>) -> Result<domain::policy::Policy> {
    Ok(match reach(db, reader).await?.top {
        Some(r) => crate::policies::for_region(db, r).await?.0,
        None => domain::policy::Policy::default(),
    })
}
