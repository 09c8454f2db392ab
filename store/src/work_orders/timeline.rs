//! The order's timeline: who, when, what.

use super::*;

pub(super) struct EventBy {
    pub(super) account_id: Option<i32>,
    pub(super) actor: String,
    pub(super) role: String,
}

impl EventBy {
    pub(super) fn system() -> EventBy {
        EventBy {
            account_id: None,
            actor: "system".into(),
            role: "system".into(),
        }
    }

    pub(super) fn of(a: &Actor) -> EventBy {
        EventBy {
            account_id: Some(a.id),
            actor: a.job_number.clone(),
            role: a.role.code().into(),
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn event<C: ConnectionTrait>(
    conn: &C,
    order_id: i32,
    by: &EventBy,
    action: &str,
    from: State,
    to: State,
    detail: Option<serde_json::Value>,
    now: DateTime<Utc>,
) -> Result<i32> {
    let row = work_order_event::ActiveModel {
        order_id: Set(order_id),
        at: Set(now),
        account_id: Set(by.account_id),
        actor: Set(by.actor.chars().take(64).collect()),
        role: Set(by.role.clone()),
        action: Set(action.into()),
        from_state: Set(from.code().into()),
        to_state: Set(to.code().into()),
        detail: Set(detail.map(|d| d.to_string())),
        ..Default::default()
    };
    // A plain shared commit of ratings writes it with its batch-mates'
    // (`crate::group::Deferred`).
    let deferred = crate::group::defer(|d| {
        let mut m = row.clone();
        m.id = Set(d.next_event);
        let m = sea_orm::TryIntoModel::try_into_model(m)?;
        d.next_event += 1;
        d.events.push(m.clone());
        Ok::<_, sea_orm::DbErr>(m.id)
    });
    match deferred {
        Some(id) => Ok(id?),
        None => Ok(row.insert(conn).await?.id),
    }
}
