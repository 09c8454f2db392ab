//! Each unit's and center's 差评处置负责人.

use super::*;

/// A unit's (or a center's) 差评处置负责人 and the mobile number they are told on (masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handler {
    /// A unit's code, or `region:{code}` for a center's.
    pub unit_code: String,
    pub unit_name: String,
    pub job_number: Option<String>,
    pub phone: Option<String>,
}

/// The units `actor` may name a 负责人 for, with the current one.
pub async fn handlers(db: &Db, key: &crate::crypto::DataKey, actor: &Actor) -> Result<Vec<Handler>> {
    let mut q = unit::Entity::find().filter(unit::Column::Active.eq(true));
    q = match &actor.scope {
        Scope::All => q,
        Scope::Regions { ids, .. } => q.filter(unit::Column::RegionId.is_in(ids.clone())),
        Scope::Unit(u) => q.filter(unit::Column::Id.eq(*u)),
        Scope::Window(_) => return Err(Error::Forbidden),
    };
    let units = q.order_by_asc(unit::Column::Code).all(db).await?;
    let mut out = Vec::new();
    // Centers: the regions of a center administrator (all, for the system administrator).
    let regions = match &actor.scope {
        Scope::All => Some(
            crate::entities::region::Entity::find()
                .order_by_asc(crate::entities::region::Column::Code)
                .all(db)
                .await?,
        ),
        Scope::Regions { ids, .. } => Some(
            crate::entities::region::Entity::find()
                .filter(crate::entities::region::Column::Id.is_in(ids.clone()))
                .order_by_asc(crate::entities::region::Column::Code)
                .all(db)
                .await?,
        ),
        _ => None,
    };
    for r in regions.unwrap_or_default() {
        let job_number = match r.handler_account_id {
            Some(a) => account::Entity::find_by_id(a).one(db).await?.map(|a| a.job_number),
            None => None,
        };
        out.push(Handler {
            unit_code: format!("region:{}", r.code),
            unit_name: format!("{} 服务中心", r.name),
            job_number,
            phone: r
                .handler_phone_sealed
                .as_deref()
                .and_then(|s| key.open(s))
                .map(|p| domain::values::mask_phone(&p)),
        });
    }
    for u in units {
        let job_number = match u.handler_account_id {
            Some(a) => account::Entity::find_by_id(a).one(db).await?.map(|a| a.job_number),
            None => None,
        };
        out.push(Handler {
            unit_code: u.code,
            unit_name: u.name,
            job_number,
            phone: u
                .handler_phone_sealed
                .as_deref()
                .and_then(|s| key.open(s))
                .map(|p| domain::values::mask_phone(&p)),
        });
    }
    Ok(out)
}

/// Names a unit's 差评处置负责人: an active account of that unit (or of the
/// center above it) and their mobile number; audited without the number.
pub async fn set_handler(
    db: &Db,
    key: &crate::crypto::DataKey,
    actor: &Actor,
    unit_code: &str,
    job_number: &str,
    phone: &str,
    meta: &Meta,
) -> Result<()> {
    if let Some(region_code) = unit_code.trim().strip_prefix("region:") {
        return set_center_handler(db, key, actor, region_code, job_number, phone, meta).await;
    }
    let u = unit::Entity::find()
        .filter(unit::Column::Code.eq(unit_code.trim()))
        .one(db)
        .await?
        .ok_or(Error::invalid("unit", Reason::Unknown(unit_code.trim().to_string())))?;
    let allowed = match &actor.scope {
        Scope::All => true,
        Scope::Regions { ids, .. } => ids.contains(&u.region_id),
        Scope::Unit(x) => *x == u.id,
        Scope::Window(_) => false,
    };
    if !allowed {
        return Err(Error::Forbidden);
    }
    let (a, phone) = handler_of(db, job_number, phone).await?;
    let txn = db.begin_with_options(immediate()).await?;
    let mut am: unit::ActiveModel = u.clone().into();
    am.handler_account_id = Set(Some(a.id));
    am.handler_phone_sealed = Set(Some(key.seal(phone.expose())));
    am.handler_phone_hash = Set(Some(key.hash(phone.expose())));
    am.update(&txn).await?;
    audit_handler(&txn, actor, ("unit", &u.code, u.region_id), &a, &phone, meta).await?;
    txn.commit().await?;
    Ok(())
}

/// Names a center's 差评处置负责人 for a region in the actor's part (center
/// or system administrators); audited without the number.
pub(super) async fn set_center_handler(
    db: &Db,
    key: &crate::crypto::DataKey,
    actor: &Actor,
    region_code: &str,
    job_number: &str,
    phone: &str,
    meta: &Meta,
) -> Result<()> {
    use crate::entities::region;
    let r = region::Entity::find()
        .filter(region::Column::Code.eq(region_code.trim()))
        .one(db)
        .await?
        .ok_or(Error::invalid("unit", Reason::Unknown(region_code.trim().to_string())))?;
    let allowed = match &actor.scope {
        Scope::All => true,
        Scope::Regions { ids, .. } => ids.contains(&r.id),
        _ => false,
    };
    if !allowed {
        return Err(Error::Forbidden);
    }
    let (a, phone) = handler_of(db, job_number, phone).await?;
    let txn = db.begin_with_options(immediate()).await?;
    let mut am: region::ActiveModel = r.clone().into();
    am.handler_account_id = Set(Some(a.id));
    am.handler_phone_sealed = Set(Some(key.seal(phone.expose())));
    am.handler_phone_hash = Set(Some(key.hash(phone.expose())));
    am.update(&txn).await?;
    audit_handler(&txn, actor, ("region", &r.code, r.id), &a, &phone, meta).await?;
    txn.commit().await?;
    Ok(())
}

/// The nearest region at or above `region_id` that names a center 负责人.
pub(super) async fn center_handler<C: ConnectionTrait>(conn: &C, mut region_id: i32) -> Result<Option<crate::entities::region::Model>> {
    for _ in 0..12 {
        let Some(r) = crate::entities::region::Entity::find_by_id(region_id).one(conn).await? else {
            return Ok(None);
        };
        if r.handler_phone_sealed.is_some() {
            return Ok(Some(r));
        }
        match r.parent_id {
            Some(p) => region_id = p,
            None => return Ok(None),
        }
    }
    Ok(None)
}

/// The account named as 负责人 (active) and their mobile number, checked.
async fn handler_of(db: &Db, job_number: &str, phone: &str) -> Result<(account::Model, domain::Phone)> {
    let phone = domain::Phone::parse(phone).map_err(|e| Error::invalid("phone", Reason::Value(e)))?;
    let a = account::Entity::find()
        .filter(account::Column::JobNumber.eq(job_number.trim()))
        .filter(account::Column::Active.eq(true))
        .one(db)
        .await?
        .ok_or(Error::invalid("job_number", Reason::Unknown(job_number.trim().to_string())))?;
    Ok((a, phone))
}

/// The audit row of a 负责人 named for (kind, code, region): the number masked.
async fn audit_handler(
    txn: &DatabaseTransaction,
    actor: &Actor,
    (kind, code, region_id): (&str, &str, i32),
    a: &account::Model,
    phone: &domain::Phone,
    meta: &Meta,
) -> Result<()> {
    crate::audit::append(
        txn,
        crate::audit::Entry {
            who: &Who::from(actor),
            action: "work_order.handler",
            object_kind: kind,
            object_code: code,
            before: None,
            after: Some(json!({ "handler": a.job_number, "phone": domain::values::mask_phone(phone.expose()) })),
            region_id: Some(region_id),
        },
        meta,
    )
    .await
}
