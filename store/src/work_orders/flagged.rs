//! Flagged bad ratings (repeat, burst) waiting for the center's review.

use super::*;

/// A bad place rating held back as a repeat or burst: no order until the
/// center promotes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flagged {
    pub place_rating_id: i32,
    pub hall: String,
    pub window: Option<String>,
    pub level: Level,
    pub channel: String,
    pub reason: String,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub(super) fn center_regions(actor: &Actor) -> Result<Option<Vec<i32>>> {
    match &actor.scope {
        Scope::All => Ok(None),
        Scope::Regions { ids, .. } => Ok(Some(ids.clone())),
        _ => Err(Error::Forbidden),
    }
}

/// The review list: flagged bad ratings in the center's regions without an order.
pub async fn flagged(db: &Db, actor: &Actor, limit: u64) -> Result<Vec<Flagged>> {
    let regions = center_regions(actor)?;
    let with_order = Query::select()
        .column(work_order::Column::PlaceRatingId)
        .from(work_order::Entity)
        .and_where(Expr::col(work_order::Column::PlaceRatingId).is_not_null())
        .to_owned();
    let mut q = place_rating::Entity::find()
        .filter(place_rating::Column::Counted.eq(false))
        .filter(place_rating::Column::Level.is_in([Level::Dissatisfied.code(), Level::VeryDissatisfied.code()]))
        .filter(place_rating::Column::Id.not_in_subquery(with_order));
    if let Some(ids) = regions {
        let halls = Query::select()
            .column(hall::Column::Id)
            .from(hall::Entity)
            .and_where(Expr::col(hall::Column::RegionId).is_in(ids))
            .to_owned();
        q = q.filter(place_rating::Column::HallId.in_subquery(halls));
    }
    let rows = q.order_by_desc(place_rating::Column::Id).limit(limit).all(db).await?;
    let mut out = Vec::new();
    for p in rows {
        let hall = hall::Entity::find_by_id(p.hall_id)
            .one(db)
            .await?
            .map(|h| h.name)
            .unwrap_or_default();
        let window = match p.window_id {
            Some(w) => service_window::Entity::find_by_id(w).one(db).await?.map(|w| w.name),
            None => None,
        };
        out.push(Flagged {
            place_rating_id: p.id,
            hall,
            window,
            level: crate::columns::level(&p.level)?,
            channel: p.channel,
            reason: p.repeat_reason.unwrap_or_default(),
            comment: p.comment.map(|c| domain::values::mask_personal(&c)),
            created_at: p.created_at,
        });
    }
    Ok(out)
}

/// The center promotes a flagged bad rating to an order (audited); the
/// rating stays flagged for statistics.
pub async fn promote(db: &Db, actor: &Actor, place_rating_id: i32, meta: &Meta) -> Result<i32> {
    let regions = center_regions(actor)?;
    let txn = db.begin_with_options(immediate()).await?;
    let p = place_rating::Entity::find_by_id(place_rating_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("rating"))?;
    let h = hall::Entity::find_by_id(p.hall_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("hall"))?;
    if regions.is_some_and(|ids| !ids.contains(&h.region_id)) {
        return Err(Error::Forbidden);
    }
    let exists = work_order::Entity::find()
        .filter(work_order::Column::PlaceRatingId.eq(p.id))
        .one(&txn)
        .await?;
    if let Some(o) = exists {
        return Ok(o.id);
    }
    let id = open_for_place(&txn, &p, &actor.job_number, meta.now)
        .await?
        .ok_or(Error::invalid("rating", Reason::NotBad))?;
    crate::audit::append(
        &txn,
        crate::audit::Entry {
            who: &Who::from(actor),
            action: "work_order.promote",
            object_kind: "work_order",
            object_code: &id.to_string(),
            before: None,
            after: Some(json!({ "place_rating": p.id, "repeat_reason": p.repeat_reason })),
            region_id: Some(h.region_id),
        },
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}
