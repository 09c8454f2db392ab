//! `GET /metrics` (issue 16): the server's numbers in the Prometheus
//! (OpenMetrics) text format, written by the `prometheus-client` crate. Off
//! (404) unless `HAOCHA_METRICS_TOKEN` is set; then only
//! `Authorization: Bearer {token}` reads it (401 otherwise).
//!
//! - `haocha_http_request_duration_seconds{route,method,status}`: a histogram
//!   per matched route (the route's pattern, never the path: it may carry a
//!   rating token), until the response's headers leave;
//! - `haocha_ratings_total{channel,level}`: rating rows this process stored;
//! - `haocha_event_streams_open`, `haocha_event_stream_reads_total`: open
//!   window-screen and evaluator streams, and their database reads (pushed,
//!   so they grow with changes, not with time);
//! - `haocha_rating_commits_total`, `haocha_rating_commit_submissions_total`:
//!   SQLite's rating writer (group commit): submissions per commit;
//! - `haocha_job_lag_seconds{loop}`: since each background job loop last
//!   finished a run;
//! - `haocha_outbox_pending{outbox="sms"|"exchange"}`: messages and records
//!   waiting to leave;
//! - `haocha_db_connections{pool,state}`: each pool's connections in use, idle
//!   and its maximum (in use = maximum: requests wait for a connection);
//! - `haocha_db_pool_wait_seconds`: how long each use of a database connection
//!   waited to get one from its pool (every pool of the process; reported by
//!   sqlx, gathered by [`pool_wait_layer`], which `main` installs).

use std::sync::atomic::Ordering;
use std::sync::LazyLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RatingLabels {
    channel: String,
    level: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LoopLabels {
    r#loop: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutboxLabels {
    outbox: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: String,
    state: String,
}

type HistogramFamily = Family<RequestLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms … 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// Waits for a pooled database connection, process-wide (the pools are the
/// process's; every server's registry shows this one histogram).
static POOL_WAITS: LazyLock<Histogram> = LazyLock::new(|| {
    // 50 µs … 1.6 s.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
});

/// The target and field of sqlx's event for each connection taken from a
/// pool (`store::connect` turns it on, at trace level).
const ACQUIRE_TARGET: &str = "sqlx::pool::acquire";
const ACQUIRE_FIELD: &str = "acquired_after_secs";

/// A tracing layer that observes sqlx's pool acquisitions into
/// `haocha_db_pool_wait_seconds`, whatever the log filter prints.
pub fn pool_wait_layer<S>() -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    use tracing_subscriber::Layer;
    PoolWaits.with_filter(tracing_subscriber::filter::filter_fn(|m| m.target() == ACQUIRE_TARGET))
}

struct PoolWaits;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for PoolWaits {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Secs(Option<f64>);
        impl tracing::field::Visit for Secs {
            fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
                if field.name() == ACQUIRE_FIELD {
                    self.0 = Some(value);
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        let mut secs = Secs(None);
        event.record(&mut secs);
        if let Some(s) = secs.0.filter(|s| s.is_finite() && *s >= 0.0) {
            POOL_WAITS.observe(s);
        }
    }
}

/// The registry and its metrics; one per server.
pub struct Metrics {
    registry: Registry,
    requests: HistogramFamily,
    ratings: Family<RatingLabels, Counter>,
    streams_open: Gauge,
    stream_reads: Counter,
    rating_commits: Counter,
    rating_commit_submissions: Counter,
    job_lag: Family<LoopLabels, Gauge>,
    outbox: Family<OutboxLabels, Gauge>,
    pools: Family<PoolLabels, Gauge>,
    /// Serialises scrapes: counters copied from elsewhere grow by their difference.
    scrape: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::default();
        let requests = HistogramFamily::new_with_constructor(latency_histogram);
        registry.register(
            "haocha_http_request_duration_seconds",
            "Time until the response's headers left, by matched route, method and status class",
            requests.clone(),
        );
        let ratings = Family::<RatingLabels, Counter>::default();
        registry.register(
            "haocha_ratings",
            "Rating rows this process stored, by channel and level",
            ratings.clone(),
        );
        let streams_open = Gauge::default();
        registry.register(
            "haocha_event_streams_open",
            "Open event streams (window screens, evaluators)",
            streams_open.clone(),
        );
        let stream_reads = Counter::default();
        registry.register(
            "haocha_event_stream_reads",
            "Database reads by event streams (after a change of their window, a timer or the safety net)",
            stream_reads.clone(),
        );
        let rating_commits = Counter::default();
        registry.register(
            "haocha_rating_commits",
            "SQLite: commits of the rating writer (group commit; several submissions may share one)",
            rating_commits.clone(),
        );
        let rating_commit_submissions = Counter::default();
        registry.register(
            "haocha_rating_commit_submissions",
            "SQLite: rating submissions stored through the writer's commits",
            rating_commit_submissions.clone(),
        );
        let job_lag = Family::<LoopLabels, Gauge>::default();
        registry.register(
            "haocha_job_lag_seconds",
            "Seconds since each background job loop last finished a run",
            job_lag.clone(),
        );
        let outbox = Family::<OutboxLabels, Gauge>::default();
        registry.register(
            "haocha_outbox_pending",
            "SMS messages and exchange records waiting to leave",
            outbox.clone(),
        );
        let pools = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "haocha_db_connections",
            "Database pool connections: in use, idle, and the most allowed",
            pools.clone(),
        );
        registry.register(
            "haocha_db_pool_wait_seconds",
            "Time each use of a database connection waited to get one from its pool (all pools of the process)",
            POOL_WAITS.clone(),
        );
        Metrics {
            registry,
            requests,
            ratings,
            streams_open,
            stream_reads,
            rating_commits,
            rating_commit_submissions,
            job_lag,
            outbox,
            pools,
            scrape: tokio::sync::Mutex::new(()),
        }
    }
}

/// Middleware: one observation per request, by matched route.
pub async fn track(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "(static)".to_string());
    let method = req.method().as_str().to_string();
    let started = Instant::now();
    let res = next.run(req).await;
    let status = format!("{}xx", res.status().as_u16() / 100);
    st.metrics
        .requests
        .get_or_create(&RequestLabels { route, method, status })
        .observe(started.elapsed().as_secs_f64());
    res
}

/// `GET /metrics`.
pub async fn metrics(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = st.config.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !same(given.trim().as_bytes(), token.as_bytes()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "metrics need the token of HAOCHA_METRICS_TOKEN\n",
        )
            .into_response();
    }
    let m = &st.metrics;
    let _one = m.scrape.lock().await;
    for (channel, level, n) in store::counters::ratings() {
        let c = m.ratings.get_or_create(&RatingLabels {
            channel: channel.code().to_string(),
            level: level.code().to_string(),
        });
        let seen = c.get();
        if n > seen {
            c.inc_by(n - seen);
        }
    }
    m.streams_open.set(i64::try_from(st.streams.open()).unwrap_or(i64::MAX));
    let copies = [
        (&m.stream_reads, st.stream_reads.load(Ordering::Relaxed)),
        (&m.rating_commits, st.ratings.counts.commits.load(Ordering::Relaxed)),
        (&m.rating_commit_submissions, st.ratings.counts.submissions.load(Ordering::Relaxed)),
    ];
    for (counter, now) in copies {
        let seen = counter.get();
        if now > seen {
            counter.inc_by(now - seen);
        }
    }
    for (name, lag) in st.jobs.lags(st.now()) {
        m.job_lag.get_or_create(&LoopLabels { r#loop: name.to_string() }).set(lag);
    }
    match store::counters::outbox_depth(&st.read).await {
        Ok((sms, exchange)) => {
            for (name, n) in [("sms", sms), ("exchange", exchange)] {
                m.outbox
                    .get_or_create(&OutboxLabels { outbox: name.to_string() })
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot count the outboxes"),
    }
    let mut pools = vec![("writer", &st.db)];
    // SQLite's read-only pool beside the writer (PostgreSQL: one pool for both).
    if st.config.database_url.starts_with("sqlite:") && st.config.read_connections > 0 {
        pools.push(("reader", &st.read));
    }
    for (pool, db) in pools {
        let (open, idle, max) = store::counters::pool_connections(db);
        for (state, n) in [("in_use", open.saturating_sub(idle)), ("idle", idle), ("max", max)] {
            m.pools
                .get_or_create(&PoolLabels {
                    pool: pool.to_string(),
                    state: state.to_string(),
                })
                .set(i64::from(n));
        }
    }
    let mut body = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut body, &m.registry) {
        tracing::warn!(error = %e, "metrics: cannot encode");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// Equal, in a time that does not depend on where they differ.
fn same(got: &[u8], want: &[u8]) -> bool {
    got.len() == want.len() && got.iter().zip(want).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    /// The `_count` of `haocha_db_pool_wait_seconds` in a scrape of `m`.
    fn waits(m: &Metrics) -> u64 {
        let mut body = String::new();
        prometheus_client::encoding::text::encode(&mut body, &m.registry).expect("encodes");
        body.lines()
            .find_map(|l| l.strip_prefix("haocha_db_pool_wait_seconds_count "))
            .and_then(|n| n.trim().parse().ok())
            .expect("the histogram is in the scrape")
    }

    /// Every statement on a real pool (a SQLite file) is one more wait
    /// observed, through the layer `main` installs; without the layer none is.
    #[tokio::test]
    async fn pool_waits_are_observed_from_sqlx_acquisitions() {
        use sea_orm::ConnectionTrait;
        let dir = std::env::temp_dir().join(format!("haocha-poolwait-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let url = format!("sqlite://{}/w.db?mode=rwc", dir.display());
        let m = Metrics::default();
        let db = store::connect(&url).await.expect("connects");
        // No layer: nothing observed.
        let before = waits(&m);
        db.execute_unprepared("SELECT 1").await.expect("runs");
        assert_eq!(waits(&m), before);
        let subscriber = tracing_subscriber::registry().with(pool_wait_layer());
        let _guard = tracing::subscriber::set_default(subscriber);
        for _ in 0..5 {
            db.execute_unprepared("SELECT 1").await.expect("runs");
        }
        // Other tests of this binary may use pools at the same time (the histogram is the process's).
        assert!(waits(&m) >= before + 5, "{} waits after 5 statements", waits(&m) - before);
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
