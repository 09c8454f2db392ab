//! Rectified cases as the public page (`/open`) shows them (以公开为常态):
//! no rater data; the comment and the result as written, for the page to
//! mask; the staff member's job number only when the caller asks (the
//! region's policy decides).

use super::*;

/// One rectified (closed, not excluded) work order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rectified {
    pub closed_at: DateTime<Utc>,
    pub hall: String,
    pub unit: Option<String>,
    pub item: Option<String>,
    pub level: Level,
    /// As the rater wrote it: mask before showing.
    pub comment: Option<String>,
    /// The unit's result (整改结果): mask before showing.
    pub result: Option<String>,
    pub staff_number: Option<String>,
}

/// The newest `limit` rectified orders of these regions.
pub async fn rectified(db: &Db, regions: Vec<i32>, with_staff: bool, limit: u64) -> Result<Vec<Rectified>> {
    let orders = work_order::Entity::find()
        .filter(work_order::Column::RegionId.is_in(regions))
        .filter(work_order::Column::State.eq(State::Closed.code()))
        .filter(work_order::Column::RatingExcluded.eq(false))
        .filter(work_order::Column::ClosedAt.is_not_null())
        .order_by_desc(work_order::Column::ClosedAt)
        .order_by_desc(work_order::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(orders.len());
    for o in orders {
        let hall = hall::Entity::find_by_id(o.hall_id)
            .one(db)
            .await?
            .map(|h| h.name)
            .unwrap_or_default();
        let unit = match o.unit_id {
            Some(u) => unit::Entity::find_by_id(u).one(db).await?.map(|u| u.name),
            None => None,
        };
        let case = match o.case_id {
            Some(c) => service_case::Entity::find_by_id(c).one(db).await?,
            None => None,
        };
        let item = match &case {
            Some(c) => item::Entity::find_by_id(c.item_id).one(db).await?.map(|i| i.name),
            None => None,
        };
        let staff_number = match (&case, with_staff) {
            (Some(c), true) => match c.staff_id {
                Some(s) => staff::Entity::find_by_id(s).one(db).await?.map(|s| s.number),
                None => None,
            },
            _ => None,
        };
        let comment = match (o.rating_id, o.place_rating_id) {
            (Some(r), _) => rating::Entity::find_by_id(r).one(db).await?.and_then(|r| r.comment),
            (None, Some(p)) => place_rating::Entity::find_by_id(p).one(db).await?.and_then(|p| p.comment),
            _ => None,
        };
        out.push(Rectified {
            closed_at: o.closed_at.unwrap_or(o.opened_at),
            hall,
            unit,
            item,
            level: crate::columns::level(&o.level)?,
            comment,
            result: o.result,
            staff_number,
        });
    }
    Ok(out)
}
