//! The job: new orders told, overdue orders escalated once a day.

use super::*;
use sea_orm::Condition;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoticeRun {
    /// New orders whose unit's 负责人 was told.
    pub told_new: u64,
    /// Orders newly marked overdue today (once a day each).
    pub escalated: u64,
    /// Center 负责人 told today (one digest a day each).
    pub centers_told: u64,
}

pub(super) async fn tell_handler<C: ConnectionTrait>(
    conn: &C,
    unit_id: Option<i32>,
    body: &str,
    dedupe: String,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(u) = unit_id else { return Ok(false) };
    let Some(u) = unit::Entity::find_by_id(u).one(conn).await? else {
        return Ok(false);
    };
    tell_unit(conn, &u, body, dedupe, now).await
}

/// `tell_handler` with the unit already read.
async fn tell_unit<C: ConnectionTrait>(conn: &C, u: &unit::Model, body: &str, dedupe: String, now: DateTime<Utc>) -> Result<bool> {
    let (Some(sealed), Some(hash)) = (u.handler_phone_sealed.clone(), u.handler_phone_hash.clone()) else {
        return Ok(false);
    };
    crate::sms::queue_sealed(
        conn,
        crate::sms::Sealed {
            kind: "work_order",
            case_id: None,
            sealed: &sealed,
            hash: &hash,
            body,
            dedupe_key: Some(dedupe),
        },
        now,
    )
    .await?;
    Ok(true)
}

/// New orders told per transaction, and at most per run (the rest wait for the next run).
const NEW_PER_TXN: u64 = 100;
const NEW_PER_RUN: u64 = 5_000;

/// Each new order claimed (`notified_at`) and its unit's 负责人 told, in
/// transactions of [`NEW_PER_TXN`] orders: one conditional `UPDATE … RETURNING`
/// claims a chunk, so of two servers each order is told by exactly one, and a
/// crash before the commit leaves the chunk for the next run (dedupe keys keep
/// the SMS single). Was one transaction per order (issue 16: at 500 orders a run,
/// 12 s of PostgreSQL time under a 300/s rating load, rating p99 12 → 33–50 ms).
async fn tell_new(db: &Db, now: DateTime<Utc>) -> Result<u64> {
    let mut told = 0;
    let mut after = 0;
    let mut seen = 0;
    while seen < NEW_PER_RUN {
        let ids: Vec<i32> = work_order::Entity::find()
            .select_only()
            .column(work_order::Column::Id)
            .filter(work_order::Column::NotifiedAt.is_null())
            .filter(work_order::Column::Id.gt(after))
            .order_by_asc(work_order::Column::Id)
            .limit(NEW_PER_TXN)
            .into_tuple()
            .all(db)
            .await?;
        let Some(&last) = ids.last() else { break };
        after = last;
        seen += ids.len() as u64;
        let txn = db.begin_with_options(immediate()).await?;
        let mut claimed = work_order::Entity::update_many()
            .col_expr(work_order::Column::NotifiedAt, Expr::value(now))
            .filter(work_order::Column::Id.is_in(ids.iter().copied()))
            .filter(work_order::Column::NotifiedAt.is_null())
            .exec_with_returning(&txn)
            .await?;
        claimed.sort_by_key(|o| o.id);
        let mut unit_ids: Vec<i32> = claimed.iter().filter_map(|o| o.unit_id).collect();
        unit_ids.sort_unstable();
        unit_ids.dedup();
        let units: std::collections::HashMap<i32, unit::Model> = if unit_ids.is_empty() {
            Default::default()
        } else {
            unit::Entity::find()
                .filter(unit::Column::Id.is_in(unit_ids))
                .all(&txn)
                .await?
                .into_iter()
                .map(|u| (u.id, u))
                .collect()
        };
        for o in &claimed {
            let Some(u) = o.unit_id.and_then(|id| units.get(&id)) else {
                continue;
            };
            let body = format!(
                "【好差评】新差评工单{}（{}），请在{}前联系评价人核实。",
                o.id,
                crate::columns::level(&o.level)?.label_zh(),
                o.first_contact_due.with_timezone(&crate::console::china()).format("%m-%d %H:%M")
            );
            if tell_unit(&txn, u, &body, format!("wo-new:{}", o.id), now).await? {
                told += 1;
            }
        }
        txn.commit().await?;
        if (ids.len() as u64) < NEW_PER_TXN {
            break;
        }
    }
    Ok(told)
}

/// One pass: tell each unit's 负责人 of new orders, and once a day mark the
/// orders past a deadline (working days late, a timeline step) and tell the
/// 负责人 again. Idempotent (dedupe keys, conditional updates).
pub async fn notices(db: &Db, now: DateTime<Utc>) -> Result<NoticeRun> {
    let mut run = NoticeRun::default();
    let cal = crate::calendar::load(db).await?;
    run.told_new = tell_new(db, now).await?;
    let today = now.with_timezone(&crate::console::china()).format("%Y-%m-%d").to_string();
    // Only the orders whose current deadline has passed and that were not
    // escalated today: every open order was read here before, on SQLite on the
    // one writer connection (8,658 open orders: 78 ms, ratings waiting behind).
    // `current_due` and `overdue_days` still decide: this is the same set,
    // narrowed by the database (an order is late only once `now` reaches its due).
    let waiting = [State::Contacted, State::InProgress, State::Returned, State::ExtensionRequested].map(State::code);
    let open = work_order::Entity::find()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(work_order::Column::State.eq(State::New.code()))
                        .add(work_order::Column::FirstContactDue.lte(now)),
                )
                .add(
                    Condition::all()
                        .add(work_order::Column::State.is_in(waiting))
                        .add(work_order::Column::HandleDue.lte(now)),
                ),
        )
        .filter(
            Condition::any()
                .add(work_order::Column::EscalatedOn.is_null())
                .add(work_order::Column::EscalatedOn.ne(today.as_str())),
        )
        .all(db)
        .await?;
    let mut late_regions = Vec::new();
    for o in open {
        let Some(due) = current_due(&o) else { continue };
        let Some(days) = wo::overdue_days(&cal, due, now) else { continue };
        if o.escalated_on.as_deref() == Some(today.as_str()) {
            continue;
        }
        let txn = db.begin_with_options(immediate()).await?;
        let mut q = work_order::Entity::update_many()
            .col_expr(work_order::Column::EscalatedOn, Expr::value(today.clone()))
            .col_expr(work_order::Column::OverdueDays, Expr::value(days as i32))
            .filter(work_order::Column::Id.eq(o.id));
        q = match &o.escalated_on {
            Some(d) => q.filter(work_order::Column::EscalatedOn.eq(d.clone())),
            None => q.filter(work_order::Column::EscalatedOn.is_null()),
        };
        if q.exec(&txn).await?.rows_affected == 1 {
            let state = State::parse(&o.state).unwrap_or(State::New);
            event(
                &txn,
                o.id,
                &EventBy::system(),
                "escalate",
                state,
                state,
                Some(json!({ "overdue_days": days, "due": due.to_rfc3339() })),
                now,
            )
            .await?;
            let body = format!("【好差评】差评工单{}已逾期{}个工作日，请立即处理。", o.id, days);
            tell_handler(&txn, o.unit_id, &body, format!("wo-late:{}:{today}", o.id), now).await?;
            run.escalated += 1;
            late_regions.push(o.region_id);
        }
        txn.commit().await?;
    }
    // The center: one digest a day per center 负责人 (the nearest region above that names one).
    let mut by_center: Vec<(crate::entities::region::Model, u64)> = Vec::new();
    for region_id in late_regions {
        if let Some(r) = center_handler(db, region_id).await? {
            match by_center.iter_mut().find(|(c, _)| c.id == r.id) {
                Some((_, n)) => *n += 1,
                None => by_center.push((r, 1)),
            }
        }
    }
    for (r, n) in by_center {
        let (Some(sealed), Some(hash)) = (&r.handler_phone_sealed, &r.handler_phone_hash) else {
            continue;
        };
        let body = format!("【好差评】{}今日新增逾期差评工单{n}件，请督办。", r.name);
        let queued = crate::sms::queue_sealed(
            db,
            crate::sms::Sealed {
                kind: "work_order",
                case_id: None,
                sealed,
                hash,
                body: &body,
                dedupe_key: Some(format!("wo-late-center:{}:{today}", r.id)),
            },
            now,
        )
        .await?;
        if queued {
            run.centers_told += 1;
        }
    }
    Ok(run)
}

/// The order of a case's rating (the demo, tests).
pub async fn order_of_case(db: &Db, case_id: i32) -> Result<i32> {
    Ok(work_order::Entity::find()
        .filter(work_order::Column::CaseId.eq(case_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("work order"))?
        .id)
}

/// Demo: a unit's 负责人 with a demo number.
pub async fn demo_handler(db: &Db, key: &crate::crypto::DataKey, unit_code: &str, job_number: &str, phone: &str) -> Result<()> {
    let Some(u) = unit::Entity::find().filter(unit::Column::Code.eq(unit_code)).one(db).await? else {
        return Ok(());
    };
    let Some(a) = account::Entity::find()
        .filter(account::Column::JobNumber.eq(job_number))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let mut am: unit::ActiveModel = u.into();
    am.handler_account_id = Set(Some(a.id));
    am.handler_phone_sealed = Set(Some(key.seal(phone)));
    am.handler_phone_hash = Set(Some(key.hash(phone)));
    am.update(db).await?;
    Ok(())
}
