//! What `/admin/exchange` shows and does: the outbox per day and region in
//! an administrator's regions, and re-pushing refused records (audited).

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait};

use crate::actor::{Actor, Scope};
use crate::audit::{Meta, Who};
use crate::entities::{exchange_record, region};
use crate::{immediate, Db, Result};

/// The regions an administrator's exchange page covers (`None`: all).
fn regions_of(actor: &Actor) -> Option<Vec<i32>> {
    match &actor.scope {
        Scope::All => None,
        Scope::Regions { ids, .. } => Some(ids.clone()),
        Scope::Unit(_) | Scope::Window(_) => Some(Vec::new()),
    }
}

/// Puts refused rows back in the queue (after a mapping fix), with the same
/// record ids; only rows of the administrator's regions. Audited. Returns
/// how many were refused and are pending again.
pub async fn repush(db: &Db, actor: &Actor, ids: &[i32], meta: &Meta) -> Result<u64> {
    let txn = db.begin_with_options(immediate()).await?;
    let mut q = exchange_record::Entity::find()
        .filter(exchange_record::Column::Id.is_in(ids.iter().copied()))
        .filter(exchange_record::Column::State.eq("refused"));
    if let Some(regions) = regions_of(actor) {
        q = q.filter(exchange_record::Column::RegionId.is_in(regions));
    }
    let rows = q.all(&txn).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let r = exchange_record::Entity::update_many()
        .col_expr(exchange_record::Column::State, Expr::value("pending"))
        .col_expr(exchange_record::Column::Attempts, Expr::value(0))
        .col_expr(exchange_record::Column::NextAttemptAt, Expr::value(meta.now))
        .filter(exchange_record::Column::Id.is_in(rows.iter().map(|r| r.id)))
        .filter(exchange_record::Column::State.eq("refused"))
        .exec(&txn)
        .await?;
    for row in &rows {
        crate::audit::append(
            &txn,
            crate::audit::Entry {
                who: &Who::from(actor),
                action: "exchange.repush",
                object_kind: "exchange_record",
                object_code: &row.record_id,
                before: Some(serde_json::json!({ "state": "refused", "status": row.last_status, "answer": row.last_answer })),
                after: Some(serde_json::json!({ "state": "pending" })),
                region_id: Some(row.region_id),
            },
            meta,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(r.rows_affected)
}

/// One line of `/admin/exchange`: a day and region's rows by state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayLine {
    pub day: NaiveDate,
    pub region_code: String,
    pub region_name: String,
    /// Sent at least once, whatever the answer.
    pub pushed: u64,
    pub pending: u64,
    pub accepted: u64,
    pub refused: u64,
}

/// A refused row as `/admin/exchange` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedRow {
    pub id: i32,
    pub record_id: String,
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub last_status: Option<i32>,
    pub last_answer: String,
}

/// Rows created since `since` in the administrator's regions, per Beijing
/// day and region, newest day first; and the refused rows among them.
pub async fn overview(db: &Db, actor: &Actor, since: DateTime<Utc>) -> Result<(Vec<DayLine>, Vec<RefusedRow>)> {
    let regions = regions_of(actor);
    let mut q = exchange_record::Entity::find()
        .select_only()
        .column(exchange_record::Column::Id)
        .column(exchange_record::Column::RegionId)
        .column(exchange_record::Column::State)
        .column(exchange_record::Column::CreatedAt)
        .column(exchange_record::Column::Attempts)
        .filter(exchange_record::Column::CreatedAt.gte(since));
    if let Some(r) = &regions {
        q = q.filter(exchange_record::Column::RegionId.is_in(r.iter().copied()));
    }
    let rows: Vec<(i32, i32, String, DateTime<Utc>, i32)> = q.into_tuple().all(db).await?;
    let mut lines: std::collections::BTreeMap<(NaiveDate, i32), [u64; 4]> = Default::default();
    let mut refused_ids = Vec::new();
    for (id, region, state, at, attempts) in rows {
        let e = lines.entry((domain::calendar::day_of(at), region)).or_default();
        if attempts > 0 || state == "accepted" || state == "refused" {
            e[3] += 1;
        }
        match state.as_str() {
            "accepted" => e[1] += 1,
            "refused" => {
                e[2] += 1;
                refused_ids.push(id);
            }
            _ => e[0] += 1,
        }
    }
    let names: std::collections::HashMap<i32, (String, String)> = region::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, (r.code, r.name)))
        .collect();
    let mut out: Vec<DayLine> = lines
        .into_iter()
        .map(|((day, region), [pending, accepted, refused, pushed])| {
            let (code, name) = names.get(&region).cloned().unwrap_or_default();
            DayLine {
                day,
                region_code: code,
                region_name: name,
                pushed,
                pending,
                accepted,
                refused,
            }
        })
        .collect();
    out.sort_by(|a, b| b.day.cmp(&a.day).then(a.region_code.cmp(&b.region_code)));
    refused_ids.truncate(500);
    let refused = exchange_record::Entity::find()
        .filter(exchange_record::Column::Id.is_in(refused_ids))
        .order_by_desc(exchange_record::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| RefusedRow {
            id: r.id,
            record_id: r.record_id,
            kind: r.kind,
            created_at: r.created_at,
            last_status: r.last_status,
            last_answer: r.last_answer.unwrap_or_default(),
        })
        .collect();
    Ok((out, refused))
}
