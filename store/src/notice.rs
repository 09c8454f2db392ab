//! Change notices (issue 16): a write that changes what a window's screen or
//! evaluator shows (a new case, an invitation, a rating, a dismissed
//! invitation, a revoked device) says so here, inside its own transaction, so
//! that open event streams read the database only when their window changed
//! instead of polling it.
//!
//! - PostgreSQL: `pg_notify('haocha_changes', '<window id>')` in the writing
//!   transaction. PostgreSQL delivers it after the commit, to every server
//!   listening on the database (one `LISTEN` connection per server), and drops
//!   it on a rollback. Identical notices of one transaction arrive once.
//! - SQLite (one server): the notice goes to this process's broadcast at once,
//!   while the writer still holds its one connection; the server's relay
//!   waits for that connection (the transaction has then ended) before it
//!   passes the notice on, so a stream never reads the state from before the
//!   commit.

use std::sync::{Arc, OnceLock};

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::collections::HashSet;
use std::time::Duration;

use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use tokio::sync::watch;

use crate::{Db, Result};

/// A server's broadcast of notices.
pub type Changes = broadcast::Sender<Notice>;

/// The PostgreSQL channel the notices travel on.
pub const CHANNEL: &str = "haocha_changes";

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Notice {
    /// What this window's screen and devices show (`service_window.id`).
    Window(i32),
    /// Anything may have changed (a listener reconnected, notices were lost):
    /// every stream reads its state again.
    All,
}

impl Notice {
    /// The notice a `pg_notify` payload carries.
    pub fn parse(payload: &str) -> Notice {
        payload.parse().map(Notice::Window).unwrap_or(Notice::All)
    }
}

/// A SQLite notice: the database file it was written to, and what changed.
pub type LocalNotice = (Arc<str>, Notice);

static LOCAL: OnceLock<broadcast::Sender<LocalNotice>> = OnceLock::new();

fn local() -> &'static broadcast::Sender<LocalNotice> {
    LOCAL.get_or_init(|| broadcast::channel(4096).0)
}

/// The notices written through this process's SQLite connections, as they are
/// written (before their commit: see the module's text), each with its
/// database file (`database_file`): a process may hold several databases
/// (the tests do), and a server passes on only its own.
pub fn subscribe_local() -> broadcast::Receiver<LocalNotice> {
    local().subscribe()
}

/// The SQLite databases this process opened for writing (`crate::connect`),
/// each named as `pragma_database_list` names it.
static OPENED: std::sync::Mutex<Vec<Arc<str>>> = std::sync::Mutex::new(Vec::new());

/// Notes a SQLite database opened for writing by this process.
pub(crate) async fn opened_sqlite(db: &Db) -> std::result::Result<(), sea_orm::DbErr> {
    let file = query_database_file(db)
        .await
        .map_err(|e| sea_orm::DbErr::Custom(format!("cannot name the database file: {e}")))?;
    let mut opened = OPENED.lock().unwrap_or_else(|e| e.into_inner());
    if !opened.contains(&file) {
        opened.push(file);
    }
    Ok(())
}

/// The file of a SQLite connection's main database (empty in memory). A
/// process that opened one database (a server) knows it without asking: one
/// statement less on the writer per notice, i.e. per rating (issue 16).
pub async fn database_file<C: ConnectionTrait>(conn: &C) -> Result<Arc<str>> {
    {
        let opened = OPENED.lock().unwrap_or_else(|e| e.into_inner());
        if let [only] = opened.as_slice() {
            return Ok(only.clone());
        }
    }
    query_database_file(conn).await
}

async fn query_database_file<C: ConnectionTrait>(conn: &C) -> Result<Arc<str>> {
    let row = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT file FROM pragma_database_list WHERE name = 'main'",
        ))
        .await?;
    let file: String = match row {
        Some(r) => r.try_get("", "file")?,
        None => String::new(),
    };
    Ok(file.into())
}

/// Window `window_id`'s screen may show something else once `conn`'s
/// transaction commits.
pub async fn window_changed<C: ConnectionTrait>(conn: &C, window_id: i32) -> Result<()> {
    match conn.get_database_backend() {
        DbBackend::Postgres => {
            conn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [CHANNEL.into(), window_id.to_string().into()],
            ))
            .await?;
        }
        _ => {
            // No receiver (no server in this process) is fine.
            if local().receiver_count() > 0 {
                let file = database_file(conn).await?;
                let _ = local().send((file, Notice::Window(window_id)));
            }
        }
    }
    Ok(())
}

/// The server's relay (run as a task): feeds `changes` with the notices of
/// `db` (see the module's text) until `stopping` turns true.
pub async fn relay(db: Db, changes: Changes, stopping: watch::Receiver<bool>) {
    match db.get_database_backend() {
        DbBackend::Postgres => relay_postgres(db, changes, stopping).await,
        _ => relay_sqlite(db, changes, stopping).await,
    }
}

async fn relay_sqlite(db: Db, changes: Changes, mut stopping: watch::Receiver<bool>) {
    let mut rx = subscribe_local();
    let own = match database_file(&db).await {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(error = %e, "change relay: cannot name the database; streams fall back on their timers");
            return;
        }
    };
    let mine = |(file, n): LocalNotice| (file == own).then_some(n);
    loop {
        let first = tokio::select! {
            r = rx.recv() => r,
            _ = stopping.wait_for(|s| *s) => return,
        };
        let mut batch = HashSet::new();
        match first {
            Ok(n) => batch.extend(mine(n)),
            Err(RecvError::Lagged(_)) => {
                batch.insert(Notice::All);
            }
            Err(RecvError::Closed) => return,
        }
        loop {
            match rx.try_recv() {
                Ok(n) => batch.extend(mine(n)),
                Err(TryRecvError::Lagged(_)) => {
                    batch.insert(Notice::All);
                }
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
        if batch.is_empty() {
            continue;
        }
        // The notices were sent inside a transaction on the writer's one
        // connection: once that connection is free, the transaction has ended.
        if let Err(e) = crate::ping(&db).await {
            tracing::debug!(error = %e, "change relay: writer not reachable");
        }
        publish(&changes, batch);
    }
}

fn publish(changes: &Changes, batch: HashSet<Notice>) {
    if batch.contains(&Notice::All) {
        let _ = changes.send(Notice::All);
    } else {
        for n in batch {
            let _ = changes.send(n);
        }
    }
}

async fn relay_postgres(db: Db, changes: Changes, mut stopping: watch::Receiver<bool>) {
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        let listener = async {
            let mut l = PgListener::connect_with(db.get_postgres_connection_pool()).await?;
            l.listen(CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(l)
        };
        let made = tokio::select! {
            l = listener => l,
            _ = stopping.wait_for(|s| *s) => return,
        };
        let mut listener = match made {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "change relay: cannot LISTEN; trying again in 1 s");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    _ = stopping.wait_for(|s| *s) => return,
                }
            }
        };
        // Listening (again): whatever was missed meanwhile is read again.
        let _ = changes.send(Notice::All);
        loop {
            tokio::select! {
                r = listener.try_recv() => match r {
                    Ok(Some(n)) => {
                        let _ = changes.send(Notice::parse(n.payload()));
                    }
                    // The connection was lost; the next call connects and
                    // listens again. Notices may have been missed meanwhile.
                    Ok(None) => {
                        let _ = changes.send(Notice::All);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "change relay: listening failed; connecting again");
                        break;
                    }
                },
                _ = stopping.wait_for(|s| *s) => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads() {
        assert_eq!(Notice::parse("42"), Notice::Window(42));
        assert_eq!(Notice::parse(""), Notice::All);
        assert_eq!(Notice::parse("x"), Notice::All);
    }
}
