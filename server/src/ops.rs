//! Operations (issue 16): `GET /healthz` — the process answers; `GET /readyz` —
//! the database answers, every migration is applied, the background jobs are
//! not stuck and the server is not shutting down (503 naming what is wrong
//! otherwise). Neither needs a sign-in nor shows personal data; load balancers,
//! systemd and monitoring probe them. They are not part of the business API
//! (not in `/api/v1/openapi.json`).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::AppState;

/// The job loops `jobs::spawn` runs, by index.
pub const JOB_LOOPS: [&str; 2] = ["defaults, work-order notices, rollups", "SMS, exchange"];

/// How long past its interval a job loop may go without finishing a run
/// before `/readyz` calls it stuck (a rollup of 62 stale days at 10 M ratings
/// takes ≈ 45 s; a platform that times out delays the exchange by 10 s a record).
pub const STUCK_AFTER: Duration = Duration::from_secs(15 * 60);

/// The background jobs' heartbeat: when each loop last finished a run.
#[derive(Debug, Default)]
pub struct JobHealth {
    /// Seconds between runs; 0: the jobs do not run in this process.
    every: AtomicI64,
    /// Unix seconds (the app's clock) each loop last finished a run, or started.
    beats: [AtomicI64; 2],
}

impl JobHealth {
    /// The loops start now, one run every `every`.
    pub fn started(&self, every: Duration, now: DateTime<Utc>) {
        self.every
            .store(i64::try_from(every.as_secs()).unwrap_or(i64::MAX), Ordering::Relaxed);
        for b in &self.beats {
            b.store(now.timestamp(), Ordering::Relaxed);
        }
    }

    /// Loop `i` finished a run (successful or not: a failed run is logged and retried).
    pub fn beat(&self, i: usize, now: DateTime<Utc>) {
        if let Some(b) = self.beats.get(i) {
            b.store(now.timestamp(), Ordering::Relaxed);
        }
    }

    /// Each loop with the seconds since it last finished a run (none when the
    /// jobs do not run here).
    pub fn lags(&self, now: DateTime<Utc>) -> Vec<(&'static str, i64)> {
        if self.every.load(Ordering::Relaxed) == 0 {
            return Vec::new();
        }
        self.beats
            .iter()
            .zip(JOB_LOOPS)
            .map(|(b, name)| (name, now.timestamp() - b.load(Ordering::Relaxed)))
            .collect()
    }

    /// `None` when the jobs do not run here; otherwise the loops that have not
    /// finished a run for longer than their interval plus [`STUCK_AFTER`], with
    /// the seconds since their last run.
    pub fn stuck(&self, now: DateTime<Utc>) -> Option<Vec<(&'static str, i64)>> {
        let every = self.every.load(Ordering::Relaxed);
        if every == 0 {
            return None;
        }
        let limit = every.saturating_add(i64::try_from(STUCK_AFTER.as_secs()).unwrap_or(i64::MAX));
        Some(
            self.beats
                .iter()
                .zip(JOB_LOOPS)
                .map(|(b, name)| (name, now.timestamp() - b.load(Ordering::Relaxed)))
                .filter(|(_, since)| *since > limit)
                .collect(),
        )
    }
}

/// `GET /healthz`: the process is up and answering.
pub async fn healthz() -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Json(json!({"status": "ok"}))).into_response()
}

/// `GET /readyz`: 200 when this server should get traffic, else 503; the body
/// names each check (`database`, `migrations`, `jobs`, `shutdown`).
pub async fn readyz(State(st): State<AppState>) -> Response {
    const WAIT: Duration = Duration::from_secs(2);
    let mut ready = true;
    let database = match tokio::time::timeout(WAIT, store::ping(&st.db)).await {
        Ok(Ok(())) => "ok".to_string(),
        Ok(Err(e)) => {
            // The error may name the server; the answer does not.
            tracing::warn!(error = %e, "readyz: the database does not answer");
            ready = false;
            "unreachable".to_string()
        }
        Err(_) => {
            ready = false;
            "no answer within 2 s".to_string()
        }
    };
    let migrations = if !ready {
        "not checked".to_string()
    } else {
        match tokio::time::timeout(WAIT, store::pending_migrations(&st.db)).await {
            Ok(Ok(0)) => "ok".to_string(),
            Ok(Ok(n)) => {
                ready = false;
                format!("{n} pending: run `haocha migrate`")
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "readyz: cannot read the applied migrations");
                ready = false;
                "cannot be read".to_string()
            }
            Err(_) => {
                ready = false;
                "no answer within 2 s".to_string()
            }
        }
    };
    let jobs = match st.jobs.stuck(st.now()) {
        None => "off".to_string(),
        Some(stuck) if stuck.is_empty() => "ok".to_string(),
        Some(stuck) => {
            ready = false;
            let list: Vec<String> = stuck.iter().map(|(n, s)| format!("{n}: no run finished for {s} s")).collect();
            format!("stuck ({})", list.join("; "))
        }
    };
    let shutdown = if st.stopping() {
        ready = false;
        "shutting down"
    } else {
        "no"
    };
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({
            "status": if ready { "ready" } else { "not_ready" },
            "checks": {"database": database, "migrations": migrations, "jobs": jobs, "shutdown": shutdown},
        })),
    )
        .into_response()
}
