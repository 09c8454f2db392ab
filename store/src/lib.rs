//! haocha's storage: the only crate that builds queries.
//!
//! Entities and migrations run on SQLite (embedded default) and PostgreSQL. Each
//! use case owns its transaction and returns plain structs or [`Error`]; the web
//! layer maps `Error` to HTTP in one place.

pub mod accounts;
mod actor;
pub mod admin;
pub mod audit;
pub mod browse;
pub mod calendar;
pub mod cases;
pub mod columns;
pub mod console;
pub mod counters;
pub mod crypto;
pub mod csv_import;
pub mod defaults;
pub mod devices;
pub mod directory;
pub mod entities;
pub mod error;
pub mod exchange;
pub mod follow_up;
pub mod group;
pub mod guard;
pub mod keys;
pub mod links;
pub mod migration;
pub mod notice;
pub mod phone;
pub mod phone_check;
pub mod photos;
pub mod place_ratings;
pub mod policies;
pub mod ratings;
pub mod rollup;
pub mod sessions;
pub mod sms;
pub mod stats;
pub mod work_orders;

use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;

pub use sea_orm::DatabaseConnection as Db;
pub use sea_orm::DbErr;

pub use error::{Conflict, Error, Reason, Result};

/// Opens the database named by `url` (`sqlite://path?mode=rwc` or `postgres://…`).
///
/// SQLite runs in WAL mode with foreign keys on and `synchronous=FULL`, so a
/// rating acknowledged with a 2xx survives a crash.
pub async fn connect(url: &str) -> Result<Db, DbErr> {
    let mut opts = ConnectOptions::new(url.to_string());
    // Statements slower than HAOCHA_SLOW_SQL_MS (default 1000) are logged at
    // warn with their SQL text and time; bound values (phones, comments) never are.
    let slow_ms = std::env::var("HAOCHA_SLOW_SQL_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    opts.sqlx_logging(true)
        .sqlx_logging_level(log::LevelFilter::Trace)
        .sqlx_slow_statements_logging_settings(log::LevelFilter::Warn, Duration::from_millis(slow_ms))
        .acquire_timeout(Duration::from_secs(10));
    pool_habits(&mut opts);
    if url.starts_with("sqlite:") {
        if let Some(path) = sqlite_path(url) {
            if let Some(dir) = std::path::Path::new(&path).parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
                }
            }
        }
        // One connection: SQLite allows one writer at a time, and writers that
        // contend through busy_timeout back off for tens of milliseconds (measured:
        // p99 827 ms at 4 connections). Queueing in the pool is fair and cheap.
        opts.max_connections(1).min_connections(1);
        opts.map_sqlx_sqlite_opts(|o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    } else {
        opts.max_connections(16);
    }
    let db = Database::connect(opts).await?;
    if url.starts_with("sqlite:") {
        notice::opened_sqlite(&db).await?;
    }
    Ok(db)
}

/// The pool that pages read from (issue 16): on SQLite, `connections`
/// read-only connections to the writer's WAL file, so a page never queues
/// behind a write on the writer's one connection; on PostgreSQL (and an
/// in-memory SQLite database) the writer's own pool, which serves both.
pub async fn connect_reader(url: &str, writer: &Db, connections: u32) -> Result<Db, DbErr> {
    if !url.starts_with("sqlite:") || sqlite_path(url).is_none() || connections == 0 {
        return Ok(writer.clone());
    }
    let mut opts = ConnectOptions::new(url.to_string());
    let slow_ms = std::env::var("HAOCHA_SLOW_SQL_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    opts.sqlx_logging(true)
        .sqlx_logging_level(log::LevelFilter::Trace)
        .sqlx_slow_statements_logging_settings(log::LevelFilter::Warn, Duration::from_millis(slow_ms))
        .acquire_timeout(Duration::from_secs(10))
        .max_connections(connections)
        .min_connections(1);
    pool_habits(&mut opts);
    opts.map_sqlx_sqlite_opts(|o| {
        // The writer made the file and set WAL (kept in the file); a reader
        // only reads, and a write through it fails instead of taking the lock.
        o.read_only(true)
            .create_if_missing(false)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
    });
    Database::connect(opts).await
}

/// What every pool does (issue 16):
/// - each connection taken from the pool reports how long it waited for it
///   (sqlx's event `sqlx::pool::acquire`, field `acquired_after_secs`, at
///   trace level: never printed by the default filter): `GET /metrics` makes
///   its `haocha_db_pool_wait_seconds` histogram from them;
/// - a connection is pinged before use only after 30 s idle, not on every
///   acquire (sqlx's default: one more round trip per transaction).
fn pool_habits(opts: &mut ConnectOptions) {
    opts.test_before_acquire_if_idle_for(Duration::from_secs(30))
        .map_sqlx_sqlite_pool_opts(|o| o.acquire_time_level(log::LevelFilter::Trace))
        .map_sqlx_postgres_pool_opts(|o| o.acquire_time_level(log::LevelFilter::Trace));
}

fn sqlite_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    if path.is_empty() || path.contains(":memory:") {
        None
    } else {
        Some(path.to_string())
    }
}

/// Applies every pending migration.
pub async fn migrate(db: &Db) -> Result<(), DbErr> {
    migration::Migrator::up(db, None).await
}

/// How many migrations are not applied yet (`/readyz`: a server older than its
/// database's schema, or one started before `haocha migrate` finished).
pub async fn pending_migrations(db: &Db) -> Result<usize, DbErr> {
    Ok(migration::Migrator::get_pending_migrations(db).await?.len())
}

/// Whether the database answers a trivial query.
pub async fn ping(db: &Db) -> Result<(), DbErr> {
    db.ping().await
}

/// Connects and migrates: what `serve` and the tests start with.
pub async fn open(url: &str) -> Result<DatabaseConnection, DbErr> {
    let db = connect(url).await?;
    migrate(&db).await?;
    Ok(db)
}

/// How every writing transaction begins (`BEGIN IMMEDIATE` on SQLite: it takes
/// the write lock at once instead of failing at its first write).
pub fn immediate() -> sea_orm::TransactionOptions {
    sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    }
}

/// A random URL-safe token of `bytes` random bytes (base62, no padding).
pub fn random_token(bytes: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    // log2(62) ≈ 5.95 bits a character.
    let len = (bytes * 8).div_ceil(5);
    let mut rng = rand::rng();
    (0..len).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_are_read_from_urls() {
        assert_eq!(sqlite_path("sqlite://data/haocha.db?mode=rwc").as_deref(), Some("data/haocha.db"));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }

    #[test]
    fn tokens_are_long_random_and_url_safe() {
        let a = random_token(16);
        let b = random_token(16);
        assert_ne!(a, b);
        assert!(a.len() >= 22);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
