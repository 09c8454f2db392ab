//! Queuing the reminder SMS of unrated cases (000 rule 7), read by the
//! cases' `reminder_due_at` so that a run costs only what came due.

use chrono::{DateTime, Duration, Utc};
use domain::Target;
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait};

use super::{code, insert, link_path, not_in_quiet_hours, reminder_text, NewMessage};
use crate::crypto::DataKey;
use crate::entities::{hall, rating, service_case, service_window, sms_message};
use crate::{immediate, Db, Result};

/// Of `ids`, the cases with an item rating and those already reminded: looked
/// up per batch by the indexes on `case_id`.
async fn rated_or_reminded<C: ConnectionTrait>(c: &C, ids: &[i32]) -> Result<std::collections::HashSet<i32>> {
    let mut out: std::collections::HashSet<i32> = rating::Entity::find()
        .select_only()
        .column(rating::Column::CaseId)
        .filter(rating::Column::CaseId.is_in(ids.iter().copied()))
        .filter(rating::Column::Target.eq(Target::Item.code()))
        .into_tuple::<i32>()
        .all(c)
        .await?
        .into_iter()
        .collect();
    out.extend(
        sms_message::Entity::find()
            .select_only()
            .column(sms_message::Column::CaseId)
            .filter(sms_message::Column::CaseId.is_in(ids.iter().copied()))
            .filter(sms_message::Column::Kind.eq("reminder"))
            .into_tuple::<Option<i32>>()
            .all(c)
            .await?
            .into_iter()
            .flatten(),
    );
    Ok(out)
}

/// Cases looked at per transaction, and the most one run looks at.
const REMINDER_BATCH: u64 = 500;
const REMINDER_PER_RUN: usize = 20_000;

/// Queues one reminder for each unrated case with a phone whose region's
/// reminder delay has passed (and that is at most 30 days old); never two for
/// a case (unique `reminder:{case}`). Returns how many were queued.
///
/// Reads only the cases that came due (`reminder_due_at`, set when a case
/// with a phone is stored): each is reminded, put off to its region's delay,
/// or let go (rated, reminded, older than 30 days) — cleared, so a run costs
/// what came due since the last one. (It listed every rated case each minute
/// before: 8 s at 11 M ratings, holding SQLite's one connection.)
pub async fn queue_reminders(db: &Db, key: &DataKey, public_url: &str, now: DateTime<Utc>) -> Result<u64> {
    let mut hours_by_hall = std::collections::HashMap::new();
    // Each window's hall, read once per run (was a read per case).
    let mut hall_of: std::collections::HashMap<i32, i32> = std::collections::HashMap::new();
    let (mut queued, mut seen) = (0, 0);
    while seen < REMINDER_PER_RUN {
        let txn = db.begin_with_options(immediate()).await?;
        let mut q = service_case::Entity::find()
            .filter(service_case::Column::ReminderDueAt.lte(now))
            .order_by_asc(service_case::Column::ReminderDueAt)
            .order_by_asc(service_case::Column::Id)
            .limit(REMINDER_BATCH);
        if db.get_database_backend() == DatabaseBackend::Postgres {
            q = q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let cases = q.all(&txn).await?;
        if cases.is_empty() {
            break;
        }
        seen += cases.len();
        let ids: Vec<i32> = cases.iter().map(|c| c.id).collect();
        let settled = rated_or_reminded(&txn, &ids).await?;
        let mut done = Vec::new();
        let mut put_off = Vec::new();
        for c in &cases {
            if settled.contains(&c.id) || c.phone_sealed.is_none() || c.completed_at <= now - Duration::days(30) {
                done.push(c.id);
                continue;
            }
            let hall_id = match hall_of.get(&c.window_id) {
                Some(h) => *h,
                None => {
                    let h = service_window::Entity::find_by_id(c.window_id)
                        .one(&txn)
                        .await?
                        .map(|w| w.hall_id)
                        .unwrap_or_default();
                    hall_of.insert(c.window_id, h);
                    h
                }
            };
            let (hours, by_code) = match hours_by_hall.get(&hall_id) {
                Some(h) => *h,
                None => {
                    let p = match hall::Entity::find_by_id(hall_id).one(&txn).await? {
                        Some(h) => crate::policies::for_region(&txn, h.region_id).await?.0,
                        None => domain::policy::Policy::default(),
                    };
                    let h = (p.reminder_hours, p.sms_rating_code);
                    hours_by_hall.insert(hall_id, h);
                    h
                }
            };
            let due = c.completed_at + Duration::hours(i64::from(hours.max(1)));
            if due > now {
                // Not yet: looked at again when its region's delay has passed
                // (one statement for the batch's cases, below).
                put_off.push((c.id, due));
                continue;
            }
            done.push(c.id);
            let Some(phone) = c.phone_sealed.as_deref().and_then(|s| key.open(s)) else {
                continue;
            };
            // Issue 15: a fixed address and a typed code where the gateway refuses links.
            let text = if by_code {
                code::reminder_text(public_url, &code::issue(&txn, c.id, now).await?)
            } else {
                reminder_text(&format!("{public_url}{}", link_path(key, c.id)))
            };
            insert(
                &txn,
                key,
                NewMessage {
                    kind: "reminder",
                    direction: "out",
                    case_id: Some(c.id),
                    phone: &phone,
                    body: &text,
                    dedupe_key: Some(format!("reminder:{}", c.id)),
                    state: "queued",
                    not_before: not_in_quiet_hours(now),
                },
                now,
            )
            .await?;
            queued += 1;
        }
        crate::cases::set_times(&txn, service_case::Column::ReminderDueAt, &put_off).await?;
        if !done.is_empty() {
            service_case::Entity::update_many()
                .col_expr(service_case::Column::ReminderDueAt, Expr::value(Option::<DateTime<Utc>>::None))
                .filter(service_case::Column::Id.is_in(done))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        if (cases.len() as u64) < REMINDER_BATCH {
            break;
        }
    }
    Ok(queued)
}
