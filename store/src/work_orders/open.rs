//! Opening an order with its bad rating, in the rating's transaction.

use super::*;

pub(super) struct NewOrder<'a> {
    rating_id: Option<i32>,
    place_rating_id: Option<i32>,
    case_id: Option<i32>,
    hall_id: i32,
    /// The hall's region, when the caller read it already.
    region_id: Option<i32>,
    unit_id: Option<i32>,
    level: Level,
    channel: &'a str,
    real_name: bool,
    comment: Option<&'a str>,
    phone_hash: Option<&'a str>,
    opened_by: &'a str,
    /// The transaction already marked `now`'s day stale (the bad rating's own
    /// mark: it was stored at `now`).
    day_marked: bool,
}

/// Up to this many cases of a phone, the repeated-comment check reads their ratings.
pub(crate) const FEW_CASES: u64 = 64;

pub(super) async fn open<C: ConnectionTrait>(conn: &C, n: NewOrder<'_>, now: DateTime<Utc>) -> Result<i32> {
    let region_id = match n.region_id {
        Some(r) => r,
        None => {
            hall::Entity::find_by_id(n.hall_id)
                .one(conn)
                .await?
                .ok_or(Error::NotFound("hall"))?
                .region_id
        }
    };
    let (policy, _) = crate::policies::for_region(conn, region_id).await?;
    let cal = crate::calendar::load(conn).await?;
    let mut flags = Vec::new();
    if n.comment.is_some_and(wo::is_abusive) {
        flags.push("abuse");
    }
    // A plain shared commit read this for its whole batch (`crate::group`).
    let known = match (n.comment.filter(|c| !c.trim().is_empty()), n.phone_hash) {
        (Some(text), Some(phone)) => crate::group::defer(|d| {
            d.stored_repeat(phone, text, now - Duration::days(7))
                .map(|stored| stored || d.said_before(phone, text, now - Duration::days(7), n.rating_id))
        })
        .flatten(),
        _ => None,
    };
    if let Some(repeat) = known {
        if repeat {
            flags.push("duplicate");
        }
    } else if let (Some(text), Some(phone)) = (n.comment.filter(|c| !c.trim().is_empty()), n.phone_hash) {
        // The same phone said the same thing within 7 days (002 rule 5(二) 重复).
        // A citizen's phone has a few cases: look through their ratings. A
        // phone with many (an agent, 代办) would make that a look-up per case:
        // look through the ratings with the same words instead (by the index
        // on the comment's first 200 characters and the time, m0018).
        let cases: Vec<i32> = service_case::Entity::find()
            .select_only()
            .column(service_case::Column::Id)
            .filter(service_case::Column::PhoneHash.eq(phone))
            .limit(FEW_CASES + 1)
            .into_tuple()
            .all(conn)
            .await?;
        let mut same = rating::Entity::find()
            .filter(rating::Column::Comment.eq(text))
            .filter(rating::Column::CreatedAt.gt(now - Duration::days(7)));
        same = if cases.len() as u64 <= FEW_CASES {
            same.filter(rating::Column::CaseId.is_in(cases))
        } else {
            let prefix: String = text.chars().take(200).collect();
            same.filter(Expr::cust(r#"substr("rating"."comment", 1, 200)"#).eq(prefix))
                .filter(Expr::exists(
                    Query::select()
                        .expr(Expr::val(1))
                        .from(service_case::Entity)
                        .and_where(
                            Expr::col((service_case::Entity, service_case::Column::Id)).equals((rating::Entity, rating::Column::CaseId)),
                        )
                        .and_where(Expr::col((service_case::Entity, service_case::Column::PhoneHash)).eq(phone))
                        .to_owned(),
                ))
        };
        if let Some(id) = n.rating_id {
            same = same.filter(rating::Column::Id.ne(id));
        }
        // One is enough: LIMIT 1, not a count over every case of the phone.
        // A plain shared commit's ratings are not written yet: it keeps
        // what they said (`crate::group::Deferred`).
        if same.one(conn).await?.is_some()
            || crate::group::defer(|d| d.said_before(phone, text, now - Duration::days(7), n.rating_id)) == Some(true)
        {
            flags.push("duplicate");
        }
    }
    let row = work_order::ActiveModel {
        rating_id: Set(n.rating_id),
        place_rating_id: Set(n.place_rating_id),
        case_id: Set(n.case_id),
        hall_id: Set(n.hall_id),
        region_id: Set(region_id),
        unit_id: Set(n.unit_id),
        level: Set(n.level.code().into()),
        channel: Set(n.channel.into()),
        real_name: Set(n.real_name),
        state: Set(State::New.code().into()),
        resume_state: Set(None),
        tier: Set(None),
        extended: Set(false),
        rating_excluded: Set(false),
        flags: Set(flags.join(",")),
        opened_at: Set(now),
        first_contact_due: Set(policy.first_contact.due_from(&cal, now)),
        contacted_at: Set(None),
        handle_due: Set(None),
        closed_at: Set(None),
        reply: Set(None),
        result: Set(None),
        revisits: Set(0),
        overdue_days: Set(0),
        notified_at: Set(None),
        escalated_on: Set(None),
        opened_by: Set(n.opened_by.chars().take(64).collect()),
        rerating_token_id: Set(None),
        rerating_id: Set(None),
        ..Default::default()
    };
    // A plain shared commit of ratings writes it with its batch-mates'
    // (`crate::group::Deferred`).
    let deferred = crate::group::defer(|d| {
        let mut m = row.clone();
        m.id = Set(d.next_order);
        let m = sea_orm::TryIntoModel::try_into_model(m)?;
        d.next_order += 1;
        d.orders.push(m.clone());
        Ok::<_, sea_orm::DbErr>(m)
    });
    let order = match deferred {
        Some(m) => m?,
        None => row.insert(conn).await?,
    };
    if !n.day_marked {
        crate::rollup::mark(conn, &[order.opened_at]).await?;
    }
    event(
        conn,
        order.id,
        &EventBy::system(),
        "open",
        State::New,
        State::New,
        Some(json!({ "flags": order.flags })),
        now,
    )
    .await?;
    Ok(order.id)
}

/// Opens the order of a bad case rating (first ratings and follow-ups, every
/// channel), inside the rating's transaction. Good ratings open none.
pub(crate) async fn open_for_rating(
    txn: &DatabaseTransaction,
    case: &service_case::Model,
    r: &rating::Model,
    now: DateTime<Utc>,
) -> Result<Option<i32>> {
    let level = crate::columns::level(&r.level)?;
    if !level.is_bad() {
        return Ok(None);
    }
    // The window's hall and unit, the hall's region, the item's unit: one
    // round trip (this runs in every bad rating's transaction, issue 16), or
    // none when the shared commit already read them.
    let (hall_id, region_id, unit_id) = match crate::group::cached(|c| c.windows.get(&(case.window_id, case.item_id)).copied()) {
        Some(parts) => parts,
        None => {
            let parts = window_parts(txn, case).await?;
            crate::group::remember(|c| {
                c.windows.insert((case.window_id, case.item_id), parts);
            });
            parts
        }
    };
    let id = open(
        txn,
        NewOrder {
            rating_id: Some(r.id),
            place_rating_id: None,
            case_id: Some(case.id),
            hall_id,
            region_id: Some(region_id),
            unit_id: Some(unit_id),
            level,
            channel: &r.channel,
            real_name: case.real_name,
            comment: r.comment.as_deref(),
            phone_hash: case.phone_hash.as_deref(),
            opened_by: "system",
            // Both callers (a first rating, a follow-up) marked the rating's
            // day, stored at `now`, in this transaction.
            day_marked: r.created_at == now,
        },
        now,
    )
    .await?;
    Ok(Some(id))
}

/// Opens the order of a counted bad place rating (static code, kiosk): the
/// window's unit, or the hall's center for a hall-wide rating. A flagged
/// rating (repeat, burst) opens none: it waits on the review list.
pub(crate) async fn open_for_place<C: ConnectionTrait>(
    conn: &C,
    p: &place_rating::Model,
    opened_by: &str,
    now: DateTime<Utc>,
) -> Result<Option<i32>> {
    let level = crate::columns::level(&p.level)?;
    if !level.is_bad() || (!p.counted && opened_by == "system") {
        return Ok(None);
    }
    let unit_id = match p.window_id {
        Some(w) => service_window::Entity::find_by_id(w).one(conn).await?.map(|w| w.unit_id),
        None => None,
    };
    let id = open(
        conn,
        NewOrder {
            rating_id: None,
            place_rating_id: Some(p.id),
            case_id: None,
            hall_id: p.hall_id,
            region_id: None,
            unit_id,
            level,
            channel: &p.channel,
            // A real-name region's static-code rating carries a proven phone.
            real_name: p.phone_hash.is_some(),
            comment: p.comment.as_deref(),
            phone_hash: p.phone_hash.as_deref(),
            opened_by,
            day_marked: false,
        },
        now,
    )
    .await?;
    Ok(Some(id))
}

/// The window's hall, the hall's region, the unit in charge of a case.
async fn window_parts(txn: &DatabaseTransaction, case: &service_case::Model) -> Result<(i32, i32, i32)> {
    let q = Query::select()
        .column((service_window::Entity, service_window::Column::HallId))
        .column((service_window::Entity, service_window::Column::UnitId))
        .column((hall::Entity, hall::Column::RegionId))
        .expr_as(
            Expr::col((item::Entity, item::Column::UnitId)),
            sea_orm::sea_query::Alias::new("item_unit_id"),
        )
        .from(service_window::Entity)
        .inner_join(
            hall::Entity,
            Expr::col((hall::Entity, hall::Column::Id)).equals((service_window::Entity, service_window::Column::HallId)),
        )
        .left_join(item::Entity, Expr::col((item::Entity, item::Column::Id)).eq(case.item_id))
        .and_where(Expr::col((service_window::Entity, service_window::Column::Id)).eq(case.window_id))
        .to_owned();
    let row = txn.query_one(&q).await?.ok_or(Error::NotFound("window"))?;
    let hall_id: i32 = row.try_get("", "hall_id")?;
    let region_id: i32 = row.try_get("", "region_id")?;
    // 谁办理谁负责: the item's unit, else the window's.
    let unit_id: i32 = match row.try_get::<Option<i32>>("", "item_unit_id")? {
        Some(u) => u,
        None => row.try_get("", "unit_id")?,
    };
    Ok((hall_id, region_id, unit_id))
}
