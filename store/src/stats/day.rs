//! A range inside one Beijing day (every range the rollups leave raw, and
//! every day the rollup job computes) counted in SQL: the day's case ratings,
//! default ratings and work orders grouped by what a fact belongs to — a few
//! hundred rows instead of every row and its case (sqlx hands SQLite's rows
//! over one by one: 0.35 s for a day of 14 k ratings, as much again for its
//! 22 k defaults and 7 k work orders). Inside one day every period bucket is
//! the same, so each group counts at the range's start.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};

use super::*;

fn al(name: &str) -> Alias {
    Alias::new(name)
}

fn case_col(col: service_case::Column) -> Expr {
    Expr::col((service_case::Entity, col))
}

/// The case columns a group is keyed by (window, item, staff, region code, reporting system).
fn case_keys(q: &mut SelectStatement) {
    q.expr_as(case_col(service_case::Column::WindowId), al("w"))
        .expr_as(case_col(service_case::Column::ItemId), al("i"))
        .expr_as(case_col(service_case::Column::StaffId), al("s"))
        .expr_as(case_col(service_case::Column::RegionCode), al("rc"))
        .expr_as(case_col(service_case::Column::ApiClientId), al("cl"));
}

const CASE_KEYS: [service_case::Column; 5] = [
    service_case::Column::WindowId,
    service_case::Column::ItemId,
    service_case::Column::StaffId,
    service_case::Column::RegionCode,
    service_case::Column::ApiClientId,
];

/// How a day's rows meet their cases. On SQLite a `CROSS JOIN` keeps the
/// day's rows (by their time index) as the outer loop: with an inner join the
/// planner may start from the scope's cases instead — for a key whose system
/// reported 11 M cases, by its `api_client_id` index: 37 s for one day.
/// (`CROSS JOIN` takes no `ON`: the condition goes into `WHERE`.)
fn join_case(db: &Db, q: &mut SelectStatement, on: Expr) {
    match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            q.cross_join(service_case::Entity).and_where(on);
        }
        _ => {
            q.inner_join(service_case::Entity, on);
        }
    }
}

fn count(row: &sea_orm::QueryResult) -> Result<u64> {
    Ok(u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0))
}

fn flag(row: &sea_orm::QueryResult, name: &str) -> Result<bool> {
    Ok(row.try_get::<Option<bool>>("", name)?.unwrap_or(false))
}

/// One group of a day's case ratings: what they belong to and how many.
pub(crate) struct RatingGroup {
    pub(crate) window: i32,
    pub(crate) item: i32,
    pub(crate) staff: Option<i32>,
    pub(crate) region_code: String,
    pub(crate) client: i32,
    pub(crate) level: String,
    pub(crate) count: i32,
    pub(crate) excluded: bool,
    pub(crate) channel: String,
    pub(crate) n: u64,
}

/// The case ratings made in `[from, to)` within `r`'s scope, counted by
/// window, item, staff, region, reporting system, level, rating count,
/// exclusion and channel.
pub(crate) async fn rating_groups(db: &Db, r: &Reach, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<RatingGroup>> {
    let rt = |col: rating::Column| Expr::col((rating::Entity, col));
    let mut q = Query::select();
    case_keys(&mut q);
    q.expr_as(rt(rating::Column::Level), al("lv"))
        .expr_as(rt(rating::Column::RatingCount), al("rn"))
        .expr_as(rt(rating::Column::ExcludedAt).is_not_null(), al("ex"))
        .expr_as(rt(rating::Column::Channel), al("ch"))
        .expr_as(rt(rating::Column::Id).count(), al("n"))
        .from(rating::Entity);
    join_case(db, &mut q, case_col(service_case::Column::Id).eq(rt(rating::Column::CaseId)));
    q.and_where(rt(rating::Column::CreatedAt).gte(from))
        .and_where(rt(rating::Column::CreatedAt).lt(to));
    if !r.all {
        q.cond_where(r.cases.clone());
    }
    q.group_by_columns(CASE_KEYS.map(|c| (service_case::Entity, c)))
        .group_by_columns([
            (rating::Entity, rating::Column::Level),
            (rating::Entity, rating::Column::RatingCount),
            (rating::Entity, rating::Column::Channel),
        ])
        .add_group_by([rt(rating::Column::ExcludedAt).is_not_null()]);
    let mut out = Vec::new();
    for row in db.query_all(&q).await? {
        out.push(RatingGroup {
            window: row.try_get("", "w")?,
            item: row.try_get("", "i")?,
            staff: row.try_get("", "s")?,
            region_code: row.try_get("", "rc")?,
            client: row.try_get("", "cl")?,
            level: row.try_get("", "lv")?,
            count: row.try_get("", "rn")?,
            excluded: row.try_get("", "ex")?,
            channel: row.try_get("", "ch")?,
            n: count(&row)?,
        });
    }
    Ok(out)
}

/// One group of a day's default ratings (not superseded).
pub(crate) struct DefaultGroup {
    pub(crate) window: i32,
    pub(crate) item: i32,
    pub(crate) staff: Option<i32>,
    pub(crate) region_code: String,
    pub(crate) client: i32,
    pub(crate) level: String,
    pub(crate) n: u64,
}

/// The default ratings given in `[from, to)` within `r`'s scope and not
/// superseded, counted by what their case belongs to and level.
pub(crate) async fn default_groups(db: &Db, r: &Reach, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<DefaultGroup>> {
    let d = |col: default_rating::Column| Expr::col((default_rating::Entity, col));
    let mut q = Query::select();
    case_keys(&mut q);
    q.expr_as(d(default_rating::Column::Level), al("lv"))
        .expr_as(d(default_rating::Column::Id).count(), al("n"))
        .from(default_rating::Entity);
    join_case(db, &mut q, case_col(service_case::Column::Id).eq(d(default_rating::Column::CaseId)));
    q.and_where(d(default_rating::Column::CreatedAt).gte(from))
        .and_where(d(default_rating::Column::CreatedAt).lt(to))
        .and_where(d(default_rating::Column::SupersededBy).is_null());
    if !r.all {
        q.cond_where(r.cases.clone());
    }
    q.group_by_columns(CASE_KEYS.map(|c| (service_case::Entity, c)))
        .group_by_col((default_rating::Entity, default_rating::Column::Level));
    let mut out = Vec::new();
    for row in db.query_all(&q).await? {
        out.push(DefaultGroup {
            window: row.try_get("", "w")?,
            item: row.try_get("", "i")?,
            staff: row.try_get("", "s")?,
            region_code: row.try_get("", "rc")?,
            client: row.try_get("", "cl")?,
            level: row.try_get("", "lv")?,
            n: count(&row)?,
        });
    }
    Ok(out)
}

/// One group of the work orders opened or due in a day.
pub(crate) struct OrderGroup {
    /// Whether the order is a case rating's, and its case's keys (when found).
    pub(crate) has_case: bool,
    pub(crate) case: Option<CaseAttrs>,
    /// Whether the order is a static-code/kiosk rating's, and that rating's window.
    pub(crate) place: bool,
    pub(crate) place_window: Option<i32>,
    pub(crate) hall: i32,
    pub(crate) unit: Option<i32>,
    pub(crate) region: i32,
    pub(crate) channel: String,
    /// Opened in the range; due in the range (and not excluded); closed by its due time.
    pub(crate) opened: bool,
    pub(crate) due: bool,
    pub(crate) on_time: bool,
    pub(crate) excluded: bool,
    pub(crate) closed: bool,
    pub(crate) real_name: bool,
    pub(crate) revisited: bool,
    /// An appeal was requested.
    pub(crate) appealed: bool,
    pub(crate) n: u64,
}

/// The work orders within `r`'s scope opened in `[from, to)` or whose
/// handling deadline falls in it, counted by what they belong to and by
/// every flag the tally reads.
pub(crate) async fn order_groups(db: &Db, r: &Reach, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<OrderGroup>> {
    let o = |col: work_order::Column| Expr::col((work_order::Entity, col));
    let in_range = |col: work_order::Column| o(col).gte(from).and(o(col).lt(to));
    let appeal = Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(work_order_event::Entity)
            .and_where(Expr::col((work_order_event::Entity, work_order_event::Column::OrderId)).eq(o(work_order::Column::Id)))
            .and_where(
                Expr::col((work_order_event::Entity, work_order_event::Column::ToState))
                    .eq(domain::work_order::State::AppealRequested.code()),
            )
            .to_owned(),
    );
    let mut inner = Query::select();
    case_keys(&mut inner);
    inner
        .expr_as(o(work_order::Column::CaseId).is_not_null(), al("hc"))
        .expr_as(o(work_order::Column::PlaceRatingId).is_not_null(), al("hp"))
        .expr_as(Expr::col((place_rating::Entity, place_rating::Column::WindowId)), al("pw"))
        .expr_as(o(work_order::Column::HallId), al("h"))
        .expr_as(o(work_order::Column::UnitId), al("u"))
        .expr_as(o(work_order::Column::RegionId), al("rg"))
        .expr_as(o(work_order::Column::Channel), al("ch"))
        .expr_as(in_range(work_order::Column::OpenedAt), al("op"))
        .expr_as(
            in_range(work_order::Column::HandleDue).and(o(work_order::Column::RatingExcluded).eq(false)),
            al("du"),
        )
        .expr_as(o(work_order::Column::ClosedAt).lte(o(work_order::Column::HandleDue)), al("ot"))
        .expr_as(o(work_order::Column::RatingExcluded), al("ex"))
        .expr_as(o(work_order::Column::State).eq(domain::work_order::State::Closed.code()), al("cd"))
        .expr_as(o(work_order::Column::RealName), al("rn"))
        .expr_as(o(work_order::Column::Revisits).gt(0), al("rv"))
        .expr_as(appeal, al("ap"))
        .from(work_order::Entity)
        .left_join(
            service_case::Entity,
            case_col(service_case::Column::Id).eq(o(work_order::Column::CaseId)),
        )
        .left_join(
            place_rating::Entity,
            Expr::col((place_rating::Entity, place_rating::Column::Id)).eq(o(work_order::Column::PlaceRatingId)),
        )
        .cond_where(r.orders.clone())
        .and_where(in_range(work_order::Column::OpenedAt).or(in_range(work_order::Column::HandleDue)));
    const KEYS: [&str; 20] = [
        "w", "i", "s", "rc", "cl", "hc", "hp", "pw", "h", "u", "rg", "ch", "op", "du", "ot", "ex", "cd", "rn", "rv", "ap",
    ];
    let mut q = Query::select();
    for k in KEYS {
        q.expr(Expr::col(al(k)));
    }
    q.expr_as(Expr::cust("COUNT(*)"), al("n"))
        .from_subquery(inner, al("o"))
        .group_by_columns(KEYS.map(al));
    let mut out = Vec::new();
    for row in db.query_all(&q).await? {
        let window: Option<i32> = row.try_get("", "w")?;
        let has_case = flag(&row, "hc")?;
        let case = match (has_case, window) {
            (true, Some(w)) => Some((
                w,
                row.try_get::<Option<i32>>("", "i")?.unwrap_or_default(),
                row.try_get("", "s")?,
                row.try_get::<Option<String>>("", "rc")?.unwrap_or_default(),
                row.try_get::<Option<i32>>("", "cl")?.unwrap_or_default(),
            )),
            _ => None,
        };
        out.push(OrderGroup {
            has_case,
            case,
            place: flag(&row, "hp")?,
            place_window: row.try_get("", "pw")?,
            hall: row.try_get("", "h")?,
            unit: row.try_get("", "u")?,
            region: row.try_get("", "rg")?,
            channel: row.try_get("", "ch")?,
            opened: flag(&row, "op")?,
            due: flag(&row, "du")?,
            on_time: flag(&row, "ot")?,
            excluded: flag(&row, "ex")?,
            closed: flag(&row, "cd")?,
            real_name: flag(&row, "rn")?,
            revisited: flag(&row, "rv")?,
            appealed: flag(&row, "ap")?,
            n: count(&row)?,
        });
    }
    Ok(out)
}
