//! Failed attempts by key (a job number, an address, both): the throttle of
//! sign-in and of pairing-code guesses (issue 13 items 7 and 10). A failure is
//! counted in the same transaction as the attempt's audit line.

use chrono::{DateTime, Duration, Utc};
use domain::access::Throttle;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entities::attempt_guard;
use crate::Result;

/// Failures under `key` and when the last was, once old ones are forgotten.
pub async fn failures<C: ConnectionTrait>(conn: &C, key: &str, now: DateTime<Utc>, t: Throttle) -> Result<(u32, Option<DateTime<Utc>>)> {
    let row = attempt_guard::Entity::find_by_id(key.to_string()).one(conn).await?;
    Ok(match row {
        Some(r) if now - r.last_at < Duration::seconds(t.forget_seconds) => (u32::try_from(r.failures).unwrap_or(0), Some(r.last_at)),
        _ => (0, None),
    })
}

/// Seconds still to wait under `key`.
pub async fn wait<C: ConnectionTrait>(conn: &C, key: &str, now: DateTime<Utc>, t: Throttle) -> Result<i64> {
    let (n, last) = failures(conn, key, now, t).await?;
    Ok(match last {
        Some(last) => Ord::max((t.wait)(n) - (now - last).num_seconds(), 0),
        None => 0,
    })
}

/// Counts one failure under `key` (a forgotten count starts again at one).
pub async fn fail<C: ConnectionTrait>(conn: &C, key: &str, now: DateTime<Utc>, t: Throttle) -> Result<()> {
    let forgotten = now - Duration::seconds(t.forget_seconds);
    // One statement either way, so two failures at once both count.
    attempt_guard::Entity::insert(attempt_guard::ActiveModel {
        key: Set(key.to_string()),
        failures: Set(1),
        first_at: Set(now),
        last_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(attempt_guard::Column::Key)
            .value(
                attempt_guard::Column::Failures,
                Expr::case(
                    Expr::col((attempt_guard::Entity, attempt_guard::Column::LastAt)).lt(forgotten),
                    Expr::val(1),
                )
                .finally(Expr::col((attempt_guard::Entity, attempt_guard::Column::Failures)).add(1)),
            )
            .value(attempt_guard::Column::LastAt, Expr::val(now))
            .to_owned(),
    )
    .exec(conn)
    .await?;
    Ok(())
}

/// Forgets the failures under `key`.
pub async fn clear<C: ConnectionTrait>(conn: &C, key: &str) -> Result<()> {
    attempt_guard::Entity::delete_by_id(key.to_string()).exec(conn).await?;
    Ok(())
}

/// Forgets the failures under every key starting with `prefix`.
pub async fn clear_prefix<C: ConnectionTrait>(conn: &C, prefix: &str) -> Result<()> {
    attempt_guard::Entity::delete_many()
        .filter(attempt_guard::Column::Key.starts_with(prefix))
        .exec(conn)
        .await?;
    Ok(())
}
