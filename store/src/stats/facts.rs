//! Reading the facts of a period from the raw rows (every source).

use super::*;

/// (case, window, item, staff, region code, completed at, reporting system)
pub(crate) type CaseAt = (i32, i32, i32, Option<i32>, String, DateTime<Utc>, i32);
/// (case, level, rating count, excluded at, channel, created at)
pub(crate) type RatingFact = (i32, String, i32, Option<DateTime<Utc>>, String, DateTime<Utc>);
/// (hall, window, level, counted, excluded at, channel, created at)
pub(crate) type PlaceFact = (i32, Option<i32>, String, bool, Option<DateTime<Utc>>, String, DateTime<Utc>);

/// One fact: what it belongs to, its channel, when it counts, and its counts.
pub(crate) struct Fact {
    pub(crate) a: Attrs,
    pub(crate) channel: Option<String>,
    pub(crate) at: DateTime<Utc>,
    pub(crate) t: Tally,
}

pub(crate) fn push(out: &mut Vec<Fact>, a: &Attrs, channel: Option<&str>, at: DateTime<Utc>, f: impl FnOnce(&mut Tally)) {
    let mut t = Tally::default();
    f(&mut t);
    out.push(Fact {
        a: *a,
        channel: channel.map(str::to_string),
        at,
        t,
    });
}

/// Every fact of `r`'s scope whose time falls in `[from, to)`, from the raw rows.
pub(crate) async fn facts(db: &Db, r: &Reach, org: &Org, from: DateTime<Utc>, to: DateTime<Utc>, out: &mut Vec<Fact>) -> Result<()> {
    // The scope as a correlated EXISTS on the row's case: the period's time
    // index drives the read (an `IN (SELECT id …)` had SQLite list every case
    // of the scope first — 6 s at 11 M cases for an empty period).
    let in_scope = |case_id: sea_orm::sea_query::Expr| {
        use sea_orm::sea_query::{Expr, ExprTrait, Query};
        Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(service_case::Entity)
                .and_where(Expr::col((service_case::Entity, service_case::Column::Id)).eq(case_id))
                .cond_where(r.cases.clone())
                .to_owned(),
        )
    };

    // Cases completed in the period, and which of them are rated.
    let completed: Vec<CaseAt> = service_case::Entity::find()
        .select_only()
        .column(service_case::Column::Id)
        .column(service_case::Column::WindowId)
        .column(service_case::Column::ItemId)
        .column(service_case::Column::StaffId)
        .column(service_case::Column::RegionCode)
        .column(service_case::Column::CompletedAt)
        .column(service_case::Column::ApiClientId)
        .filter(r.cases.clone())
        .filter(service_case::Column::CompletedAt.gte(from))
        .filter(service_case::Column::CompletedAt.lt(to))
        .into_tuple()
        .all(db)
        .await?;
    let completed_q = service_case::Entity::find()
        .select_only()
        .column(service_case::Column::Id)
        .filter(r.cases.clone())
        .filter(service_case::Column::CompletedAt.gte(from))
        .filter(service_case::Column::CompletedAt.lt(to))
        .into_query();
    let rated: HashSet<i32> = rating::Entity::find()
        .select_only()
        .column(rating::Column::CaseId)
        .filter(rating::Column::RatingCount.eq(1))
        .filter(rating::Column::ExcludedAt.is_null())
        .filter(rating::Column::CaseId.in_subquery(completed_q))
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    for (id, w, i, s, region_code, at, client) in completed {
        let a = org.case(w, i, s, &region_code, client);
        let is_rated = rated.contains(&id);
        push(out, &a, None, at, |t| {
            t.completed += 1;
            if is_rated {
                t.rated += 1;
            }
        });
    }

    // Case ratings made in the period. A range inside one Beijing day (every
    // range the rollups leave raw) is counted in SQL, grouped by what a fact
    // belongs to: a few hundred rows instead of every rating and its case
    // (sqlx hands SQLite's rows over one by one: 0.35 s for a day of 14 k).
    let one_day = to > from && domain::calendar::day_of(from) == domain::calendar::day_of(to - chrono::Duration::nanoseconds(1));
    if one_day {
        for g in rating_groups(db, r, from, to).await? {
            let a = org.case(g.window, g.item, g.staff, &g.region_code, g.client);
            let l = level(&g.level)?;
            push(out, &a, Some(&g.channel), from, |t| {
                for _ in 0..g.n {
                    match (g.count, g.excluded) {
                        (_, true) => t.excluded += 1,
                        (1, false) => t.count(l, false),
                        (2, false) => t.follow_ups += 1,
                        _ => t.re_ratings += 1,
                    }
                }
            });
        }
    }
    // Case ratings made in the period.
    let rows: Vec<RatingFact> = if one_day {
        Vec::new()
    } else {
        rating::Entity::find()
            .select_only()
            .column(rating::Column::CaseId)
            .column(rating::Column::Level)
            .column(rating::Column::RatingCount)
            .column(rating::Column::ExcludedAt)
            .column(rating::Column::Channel)
            .column(rating::Column::CreatedAt)
            .filter(rating::Column::CreatedAt.gte(from))
            .filter(rating::Column::CreatedAt.lt(to))
            .apply_if(
                (!r.all).then(|| in_scope(sea_orm::sea_query::Expr::col((rating::Entity, rating::Column::CaseId)))),
                |q, cond| q.filter(cond),
            )
            .into_tuple()
            .all(db)
            .await?
    };
    if one_day {
        for g in default_groups(db, r, from, to).await? {
            let a = org.case(g.window, g.item, g.staff, &g.region_code, g.client);
            let l = level(&g.level)?;
            push(out, &a, Some(domain::Channel::Default.code()), from, |t| {
                for _ in 0..g.n {
                    t.count(l, true);
                }
            });
        }
    }
    // Defaults given in the period and not superseded by an active rating.
    let defaults: Vec<(i32, String, DateTime<Utc>)> = if one_day {
        Vec::new()
    } else {
        default_rating::Entity::find()
            .select_only()
            .column(default_rating::Column::CaseId)
            .column(default_rating::Column::Level)
            .column(default_rating::Column::CreatedAt)
            .filter(default_rating::Column::CreatedAt.gte(from))
            .filter(default_rating::Column::CreatedAt.lt(to))
            .filter(default_rating::Column::SupersededBy.is_null())
            .apply_if(
                (!r.all).then(|| {
                    in_scope(sea_orm::sea_query::Expr::col((
                        default_rating::Entity,
                        default_rating::Column::CaseId,
                    )))
                }),
                |q, cond| q.filter(cond),
            )
            .into_tuple()
            .all(db)
            .await?
    };
    let mut ids: HashSet<i32> = rows.iter().map(|r| r.0).collect();
    ids.extend(defaults.iter().map(|d| d.0));
    let cases = cases_by_id(db, ids).await?;
    let attrs = |case_id: i32| {
        cases
            .get(&case_id)
            .map(|(w, i, s, rc, c)| org.case(*w, *i, *s, rc, *c))
            .unwrap_or_default()
    };
    for (case_id, l, n, excluded, channel, at) in rows {
        let a = attrs(case_id);
        let l = level(&l)?;
        push(out, &a, Some(&channel), at, |t| match (n, excluded) {
            (_, Some(_)) => t.excluded += 1,
            (1, None) => t.count(l, false),
            (2, None) => t.follow_ups += 1,
            _ => t.re_ratings += 1,
        });
    }
    for (case_id, l, at) in defaults {
        let a = attrs(case_id);
        let l = level(&l)?;
        push(out, &a, Some(domain::Channel::Default.code()), at, |t| t.count(l, true));
    }

    // Static-code and kiosk ratings.
    let places: Vec<PlaceFact> = place_rating::Entity::find()
        .select_only()
        .column(place_rating::Column::HallId)
        .column(place_rating::Column::WindowId)
        .column(place_rating::Column::Level)
        .column(place_rating::Column::Counted)
        .column(place_rating::Column::ExcludedAt)
        .column(place_rating::Column::Channel)
        .column(place_rating::Column::CreatedAt)
        .filter(r.places.clone())
        .filter(place_rating::Column::CreatedAt.gte(from))
        .filter(place_rating::Column::CreatedAt.lt(to))
        .into_tuple()
        .all(db)
        .await?;
    for (hall_id, window, l, counted, excluded, channel, at) in places {
        let a = org.place(hall_id, window);
        let l = level(&l)?;
        push(out, &a, Some(&channel), at, |t| match (counted, excluded) {
            (_, Some(_)) => t.excluded += 1,
            (true, None) => t.count(l, false),
            (false, None) => t.flagged += 1,
        });
    }

    // Work orders opened in the period, and those due in it.
    if one_day {
        for g in order_groups(db, r, from, to).await? {
            let place = g.place.then_some(g.place_window);
            let a = order_attrs(org, g.has_case, g.case.as_ref(), place, g.hall, g.unit, g.region);
            push_order(out, &a, &g.channel, (from, from), g.n, &g);
        }
    } else {
        orders_rows(db, r, org, from, to, out).await?;
    }

    Ok(())
}

/// Every fact whose time falls in `[from, to)`, whatever its scope (for the rollup job).
pub(crate) async fn all_facts(db: &Db, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Fact>> {
    let org = Org::load(db).await?;
    let r = Reach {
        cases: Condition::all(),
        places: Condition::all(),
        orders: Condition::all(),
        regions: None,
        top: None,
        rollup: Condition::all(),
        all: true,
    };
    let mut out = Vec::new();
    facts(db, &r, &org, from, to, &mut out).await?;
    Ok(out)
}

/// What a work order belongs to: its own region, hall and owning unit (its
/// scope), its case's window, item and staff, or its static/kiosk rating's window.
fn order_attrs(
    org: &Org,
    has_case: bool,
    case: Option<&CaseAttrs>,
    place: Option<Option<i32>>,
    hall: i32,
    unit: Option<i32>,
    region: i32,
) -> Attrs {
    let mut a = match (has_case, place) {
        (true, _) => case.map(|(w, i, s, rc, c)| org.case(*w, *i, *s, rc, *c)).unwrap_or_default(),
        (false, Some(window)) => org.place(hall, window),
        (false, None) => org.place(hall, None),
    };
    a.unit = unit.or(a.unit);
    a.kind = b'o';
    a.owner_unit = unit;
    a.region = Some(region);
    a.hall = Some(hall);
    if !has_case {
        a.client = None;
    }
    a
}

/// Counts `n` work orders alike, opened and/or due in the range.
fn push_order(out: &mut Vec<Fact>, a: &Attrs, channel: &str, (opened_at, due_at): (DateTime<Utc>, DateTime<Utc>), n: u64, g: &OrderGroup) {
    if g.opened {
        push(out, a, Some(channel), opened_at, |t| {
            for _ in 0..n {
                if g.appealed {
                    t.appeals += 1;
                }
                if g.excluded {
                    t.appeals_upheld += 1;
                    continue;
                }
                if g.closed {
                    t.rectified += 1;
                }
                if g.real_name {
                    t.real_name_bad += 1;
                    if g.revisited {
                        t.real_name_bad_revisited += 1;
                    }
                }
            }
        });
    }
    if g.due {
        push(out, a, Some(channel), due_at, |t| {
            t.due += n;
            if g.on_time {
                t.closed_on_time += n;
            }
        });
    }
}

/// The work orders of a range of several days, row by row (each counts at its own time).
async fn orders_rows(db: &Db, r: &Reach, org: &Org, from: DateTime<Utc>, to: DateTime<Utc>, out: &mut Vec<Fact>) -> Result<()> {
    let orders = work_order::Entity::find()
        .filter(r.orders.clone())
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(work_order::Column::OpenedAt.gte(from))
                        .add(work_order::Column::OpenedAt.lt(to)),
                )
                .add(
                    Condition::all()
                        .add(work_order::Column::HandleDue.gte(from))
                        .add(work_order::Column::HandleDue.lt(to)),
                ),
        )
        .all(db)
        .await?;
    let order_cases = cases_by_id(db, orders.iter().filter_map(|o| o.case_id).collect()).await?;
    let place_ids: Vec<i32> = orders.iter().filter_map(|o| o.place_rating_id).collect();
    let mut place_windows: HashMap<i32, Option<i32>> = HashMap::new();
    for chunk in place_ids.chunks(500) {
        let rows: Vec<(i32, Option<i32>)> = place_rating::Entity::find()
            .select_only()
            .column(place_rating::Column::Id)
            .column(place_rating::Column::WindowId)
            .filter(place_rating::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        place_windows.extend(rows);
    }
    let opened_ids: Vec<i32> = orders
        .iter()
        .filter(|o| o.opened_at >= from && o.opened_at < to)
        .map(|o| o.id)
        .collect();
    let mut appealed = HashSet::new();
    for chunk in opened_ids.chunks(500) {
        let rows: Vec<i32> = work_order_event::Entity::find()
            .select_only()
            .column(work_order_event::Column::OrderId)
            .filter(work_order_event::Column::OrderId.is_in(chunk.to_vec()))
            .filter(work_order_event::Column::ToState.eq(domain::work_order::State::AppealRequested.code()))
            .into_tuple()
            .all(db)
            .await?;
        appealed.extend(rows);
    }
    let closed = domain::work_order::State::Closed.code();
    for o in &orders {
        let case = o.case_id.and_then(|c| order_cases.get(&c));
        let place = o.place_rating_id.map(|p| place_windows.get(&p).copied().flatten());
        let a = order_attrs(org, o.case_id.is_some(), case, place, o.hall_id, o.unit_id, o.region_id);
        let due = o.handle_due.filter(|d| *d >= from && *d < to && !o.rating_excluded);
        let g = OrderGroup {
            has_case: o.case_id.is_some(),
            case: None,
            place: o.place_rating_id.is_some(),
            place_window: None,
            hall: o.hall_id,
            unit: o.unit_id,
            region: o.region_id,
            channel: String::new(),
            opened: o.opened_at >= from && o.opened_at < to,
            due: due.is_some(),
            on_time: due.is_some_and(|d| o.closed_at.is_some_and(|c| c <= d)),
            excluded: o.rating_excluded,
            closed: o.state == closed,
            real_name: o.real_name,
            revisited: o.revisits > 0,
            appealed: appealed.contains(&o.id),
            n: 1,
        };
        push_order(out, &a, &o.channel, (o.opened_at, due.unwrap_or(o.opened_at)), 1, &g);
    }
    Ok(())
}
