//! Ratings stored by this process, by channel and level, for `GET /metrics`
//! (issue 16). Counted where a rating row is inserted (case ratings of every
//! channel and target, follow-ups, re-ratings, static-code and kiosk ratings,
//! default ratings); a rating whose transaction is later rolled back may be
//! counted once. The statistics never read these: they count the rows.

use std::sync::atomic::{AtomicU64, Ordering};

use domain::{Channel, Level};

const CHANNELS: usize = Channel::ALL.len();
const LEVELS: usize = Level::ALL.len();

#[allow(clippy::declare_interior_mutable_const)]
const ZERO: AtomicU64 = AtomicU64::new(0);
#[allow(clippy::declare_interior_mutable_const)]
const ROW: [AtomicU64; LEVELS] = [ZERO; LEVELS];
static RATINGS: [[AtomicU64; LEVELS]; CHANNELS] = [ROW; CHANNELS];

/// A rating row with these codes was inserted (unknown codes are not counted).
pub fn rating_stored(channel: &str, level: &str) {
    let c = Channel::ALL.iter().position(|c| c.code() == channel);
    let l = Level::ALL.iter().position(|l| l.code() == level);
    if let (Some(c), Some(l)) = (c, l) {
        RATINGS[c][l].fetch_add(1, Ordering::Relaxed);
    }
}

/// Every (channel, level) with its count so far, zeros included.
pub fn ratings() -> Vec<(Channel, Level, u64)> {
    let mut out = Vec::with_capacity(CHANNELS * LEVELS);
    for (ci, c) in Channel::ALL.iter().enumerate() {
        for (li, l) in Level::ALL.iter().enumerate() {
            out.push((*c, *l, RATINGS[ci][li].load(Ordering::Relaxed)));
        }
    }
    out
}

/// Messages and records waiting to leave: SMS `queued`/`sending`, exchange
/// records `pending`/`sending` (read by their `(state, next_attempt_at)` index).
pub async fn outbox_depth(db: &crate::Db) -> crate::Result<(u64, u64)> {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

    use crate::entities::{exchange_record, sms_message};
    let sms = sms_message::Entity::find()
        .filter(sms_message::Column::State.is_in(["queued", "sending"]))
        .count(db)
        .await?;
    let exchange = exchange_record::Entity::find()
        .filter(exchange_record::Column::State.is_in(["pending", "sending"]))
        .count(db)
        .await?;
    Ok((sms, exchange))
}

/// The database pools' connections: (open, idle, most allowed).
pub fn pool_connections(db: &crate::Db) -> (u32, u32, u32) {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (
                p.size(),
                u32::try_from(p.num_idle()).unwrap_or(u32::MAX),
                p.options().get_max_connections(),
            )
        }
        _ => {
            let p = db.get_sqlite_connection_pool();
            (
                p.size(),
                u32::try_from(p.num_idle()).unwrap_or(u32::MAX),
                p.options().get_max_connections(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_channel_and_level() {
        let get = |c: Channel, l: Level| ratings().into_iter().find(|(a, b, _)| *a == c && *b == l).map(|x| x.2);
        let before = get(Channel::Hotline, Level::Dissatisfied).unwrap_or(0);
        rating_stored(Channel::Hotline.code(), Level::Dissatisfied.code());
        rating_stored("no-such-channel", Level::Dissatisfied.code());
        assert_eq!(get(Channel::Hotline, Level::Dissatisfied), Some(before + 1));
        assert_eq!(ratings().len(), Channel::ALL.len() * Level::ALL.len());
    }
}
