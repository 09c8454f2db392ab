//! haocha's HTTP server: pages, the integration API and QR images, on one router.

// The web layer every route module shares.
pub mod web;

// Route modules: each imports `web`, `store` and `app`, never another route module.
pub mod admin;
pub mod api;
pub mod charts;
pub mod device;
pub mod open;
pub mod places;
pub mod public;
pub mod rating;
pub mod rating_code;

// The rest: configuration, QR images, the SMS gateway, background jobs.
pub mod assets;
pub mod changes;
pub mod config;
pub mod exchange;
pub mod jobs;
pub mod metrics;
pub mod ops;
pub mod qr;
pub mod serve;
pub mod sms;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use leptos::prelude::LeptosOptions;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub use config::Config;

/// The clock, passed in so that expiry can be tested without sleeping.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

#[derive(Clone)]
pub struct AppState {
    /// The writer (on SQLite its one connection): every write, and reads that must see them in order.
    pub db: store::Db,
    /// Where GET pages read (issue 16): several read-only SQLite connections,
    /// or the same pool as `db` on PostgreSQL.
    pub read: store::Db,
    pub config: Arc<Config>,
    pub leptos: Arc<LeptosOptions>,
    /// Content-hashed names of the site's static files (`assets`).
    pub assets: Arc<assets::Assets>,
    pub clock: Clock,
    pub sms: Arc<dyn sms::SmsGateway>,
    /// Open event streams per client address.
    pub streams: Arc<Streams>,
    /// The background jobs' heartbeat (`/readyz`).
    pub jobs: Arc<ops::JobHealth>,
    /// Set once the server begins to shut down: event streams end (their
    /// clients reconnect, to another server behind the balancer) and `/readyz`
    /// answers 503.
    pub stopping: Arc<tokio::sync::watch::Sender<bool>>,
    /// Notices that a window changed (issue 16), by window, for the event
    /// streams (`changes::Hub`, fed by the relay).
    pub hub: changes::Hub,
    /// How many times event streams read their state (`/metrics`; a test
    /// checks that idle streams do not poll).
    pub stream_reads: Arc<std::sync::atomic::AtomicU64>,
    /// `GET /metrics`.
    pub metrics: Arc<metrics::Metrics>,
    /// Rating submissions, sharing commits on SQLite (issue 16: group commit).
    pub ratings: store::group::Ratings,
}

/// Open event streams (window screens, evaluators) per client address, so one
/// address cannot hold the server's connections open (issue 13 item 11).
#[derive(Debug, Default)]
pub struct Streams(std::sync::Mutex<std::collections::HashMap<String, usize>>);

/// One open stream; dropping it (the stream ends) frees its place.
#[derive(Debug)]
pub struct StreamGuard {
    streams: Arc<Streams>,
    key: String,
}

impl Streams {
    /// A place for one more stream from `address`, unless it holds `max` already.
    pub fn enter(self: &Arc<Self>, address: Option<&str>, max: usize) -> Option<StreamGuard> {
        let key = address.unwrap_or("unknown").to_string();
        let mut open = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = open.entry(key.clone()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(StreamGuard {
            streams: self.clone(),
            key,
        })
    }

    /// Open streams, from every address.
    pub fn open(&self) -> usize {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).values().sum()
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let mut open = self.streams.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

impl AppState {
    pub fn new(db: store::Db, config: Config) -> AppState {
        // Content-hashed names of the site's files, for the pages to link.
        let assets = assets::Assets::scan(&config.site_root);
        app::assets::set(assets.names());
        let leptos = LeptosOptions::builder()
            .output_name(assets.output_name.clone().unwrap_or_else(|| "haocha".into()))
            .site_root(config.site_root.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .build();
        let sms: Arc<dyn sms::SmsGateway> = match &config.sms_url {
            Some(url) => Arc::new(sms::HttpGateway::new(
                url.clone(),
                config.sms_template.clone(),
                std::time::Duration::from_millis(config.sms_timeout_ms),
            )),
            None => Arc::new(sms::OutboxGateway),
        };
        let stopping = Arc::new(tokio::sync::watch::Sender::new(false));
        let hub = changes::Hub::default();
        // The relay that feeds the streams (not in a command without a runtime).
        if tokio::runtime::Handle::try_current().is_ok() {
            changes::spawn_relay(db.clone(), changes::channel(), hub.clone(), stopping.subscribe());
        }
        let ratings = store::group::Ratings::new(db.clone());
        AppState {
            read: db.clone(),
            db,
            sms,
            config: Arc::new(config),
            leptos: Arc::new(leptos),
            assets: Arc::new(assets),
            clock: Arc::new(Utc::now),
            streams: Arc::new(Streams::default()),
            jobs: Arc::new(ops::JobHealth::default()),
            stopping,
            hub,
            stream_reads: Arc::new(std::sync::atomic::AtomicU64::new(0)),
            metrics: Arc::new(metrics::Metrics::default()),
            ratings,
        }
    }

    /// Begins the shutdown: event streams end, `/readyz` answers 503.
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// Whether the shutdown has begun.
    pub fn stopping(&self) -> bool {
        *self.stopping.borrow()
    }

    /// Pages read from `read` (`store::connect_reader`).
    pub fn with_reader(mut self, read: store::Db) -> AppState {
        self.read = read;
        self
    }

    pub fn with_clock(mut self, clock: Clock) -> AppState {
        self.clock = clock;
        self
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }
}

/// Request bodies above this are refused with 413 (ratings and cases are small).
pub const BODY_LIMIT: usize = 64 * 1024;
/// The largest body any route takes (appeal evidence: five files of 5 MB).
pub const BODY_LIMIT_MAX: usize = 5 * store::work_orders::MAX_EVIDENCE + 256 * 1024;

/// One span per request: method, matched route (never the path itself: it may
/// carry a rating token), then status and latency when the answer is sent.
fn request_trace() -> TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    impl Fn(&axum::extract::Request) -> tracing::Span + Clone,
> {
    TraceLayer::new_for_http()
        .make_span_with(|req: &axum::extract::Request| {
            let route = req
                .extensions()
                .get::<axum::extract::MatchedPath>()
                .map(|m| m.as_str().to_string())
                .unwrap_or_else(|| "(static)".to_string());
            tracing::info_span!("request", method = %req.method(), route = %route)
        })
        .on_response(
            DefaultOnResponse::new()
                .level(tracing::Level::INFO)
                .latency_unit(LatencyUnit::Millis),
        )
}

/// A `.br` or `.gz` beside a file that is newer than it (a build without
/// `scripts/precompress.sh`) would send the old file, and one of an HTML page
/// would keep `security_headers` from hashing the page's inline scripts into
/// its policy (the kiosk's start page would not run): both removed at start.
fn drop_stale_precompressed(dir: &std::path::Path) {
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
                continue;
            };
            if ext != "br" && ext != "gz" {
                continue;
            }
            let original = path.with_extension("");
            let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
            let html = original.extension().is_some_and(|e| e == "html" || e == "htm");
            let stale = html
                || match (modified(&original), modified(&path)) {
                    (Some(o), Some(c)) => o > c,
                    // No original (an operator's own .gz download): left alone.
                    _ => false,
                };
            if stale {
                match std::fs::remove_file(&path) {
                    Ok(()) => tracing::warn!(file = %path.display(), "removed a precompressed file older than its original"),
                    Err(e) => tracing::warn!(file = %path.display(), error = %e, "a stale precompressed file could not be removed"),
                }
            }
        }
    }
}

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/cases", post(api::create_case))
        .route("/ratings", post(api::push_rating).get(api::list_ratings))
        .route("/items", get(api::list_items))
        .route("/windows", get(api::list_windows))
        .route("/staff", get(api::list_staff))
        .route("/work-orders", get(api::list_work_orders))
        .route("/stats", get(api::stats::stats))
        .route("/work-orders/{id}", get(api::work_order))
        .route("/sms/inbound", post(api::webhooks::sms_inbound))
        .route("/hotline/ratings", post(api::webhooks::hotline))
        .route("/exchange/inbound", post(api::webhooks::exchange_inbound))
        .route("/openapi.json", get(api::openapi_json))
        .fallback(api::not_found);
    // Pages of people who sign in: server-side sessions (HttpOnly, SameSite=Lax,
    // Secure behind https), only on these routes so rating pages stay cookie-free.
    let sessions = SessionManagerLayer::new(store::sessions::DbSessionStore::new(state.db.clone()))
        .with_name("haocha_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.public_url.starts_with("https://"))
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(domain::access::IDLE_TIMEOUT_MINUTES)));
    let people = Router::new()
        .route("/login", get(admin::sign_in::login_page).post(admin::sign_in::login))
        .route("/logout", post(admin::sign_in::logout))
        .route(
            "/account/password",
            get(admin::sign_in::password_form).post(admin::sign_in::change_password),
        )
        .route("/staff", get(admin::console::console))
        .route("/staff/invite", post(admin::console::invite))
        .route("/admin/devices/{window}", get(admin::devices::admin_devices))
        .route("/admin/devices/{window}/pair", post(admin::devices::admin_pair))
        .route("/admin/devices/{window}/revoke/{id}", post(admin::devices::admin_revoke))
        .route("/print/{kind}/{code}", get(places::print))
        .route("/admin", get(admin::home::admin_home))
        .route("/admin/audit", get(admin::audit::audit))
        .route("/admin/outbox", get(admin::outbox::outbox))
        .route("/admin/exchange", get(admin::exchange::page))
        .route("/admin/exchange/repush", post(admin::exchange::repush))
        .route(
            "/admin/phone-rating",
            get(admin::phone_rating::phone_form).post(admin::phone_rating::record),
        )
        .route("/admin/calendar", get(admin::calendar::calendar).post(admin::calendar::load))
        .route("/admin/policies/{code}", get(admin::policies::policy).post(admin::policies::save))
        .route("/admin/calendar/{file}", get(admin::calendar::days))
        .route("/admin/outbox/run", post(admin::outbox::run_now))
        .route("/admin/outbox/reply", post(admin::outbox::simulate_reply))
        .route(
            "/admin/accounts",
            get(admin::accounts::accounts).post(admin::accounts::create_account),
        )
        .route("/admin/work-orders", get(admin::work_orders::list))
        .route("/admin/stats", get(admin::stats::stats))
        .route("/admin/reports/monthly", get(admin::reports::monthly))
        .route("/admin/stats.csv", get(admin::stats::stats_csv))
        .route("/admin/stats.xlsx", get(admin::stats::stats_xlsx))
        .route("/admin/ratings", get(admin::ratings::ratings))
        .route("/admin/ratings.csv", get(admin::ratings::ratings_csv))
        .route("/admin/ratings.xlsx", get(admin::ratings::ratings_xlsx))
        .route("/admin/work-orders/handler", post(admin::work_orders::set_handler))
        .route("/admin/work-orders/promote/{rating}", post(admin::work_orders::promote))
        .route("/admin/work-orders/{id}", get(admin::work_orders::order))
        .route(
            "/admin/work-orders/{id}/{action}",
            post(admin::work_orders::step).route_layer(DefaultBodyLimit::max(5 * store::work_orders::MAX_EVIDENCE + 256 * 1024)),
        )
        .route("/admin/work-orders/{id}/files/{file}", get(admin::work_orders::evidence))
        .route("/admin/accounts/new", get(admin::accounts::new_account))
        .route("/admin/accounts/{job}", get(admin::accounts::account))
        .route("/admin/accounts/{job}/{action}", post(admin::accounts::account_action))
        .route(
            "/admin/import/{kind}",
            get(admin::import::import_form)
                .post(admin::import::import)
                .route_layer(DefaultBodyLimit::max(store::csv_import::MAX_BYTES + 64 * 1024)),
        )
        .route("/admin/import/{kind}/template.csv", get(admin::import::import_template))
        .route(
            "/admin/photo/{job}",
            post(admin::records::upload_photo).route_layer(DefaultBodyLimit::max(store::photos::MAX_BYTES + 64 * 1024)),
        )
        .route("/admin/{kind}", get(admin::records::list).post(admin::records::create))
        .route("/admin/{kind}/new", get(admin::records::new_form))
        .route("/admin/{kind}/{code}", get(admin::records::edit_form).post(admin::records::update))
        .route("/admin/{kind}/{code}/delete", post(admin::records::remove))
        .layer(sessions);
    // Precompressed at build time (scripts/precompress.sh): sent as they are.
    drop_stale_precompressed(&state.config.site_root);
    drop_stale_precompressed(&state.config.device_dir);
    // Hashed names cached for a year, the rest revalidated (`assets`).
    let static_files = tower::ServiceBuilder::new()
        .layer(axum::middleware::from_fn_with_state(state.assets.clone(), assets::serve))
        .service(
            ServeDir::new(&state.config.site_root)
                .precompressed_br()
                .precompressed_gzip()
                .fallback(get(public::not_found).with_state(state.clone())),
        );
    // The kiosk bundle as Trunk built it, revalidated on every load (small; the
    // service worker keeps its own copy for offline starts).
    let device_app = tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .service(
            ServeDir::new(&state.config.device_dir)
                .precompressed_br()
                .precompressed_gzip()
                .fallback(get(public::not_found).with_state(state.clone())),
        );
    Router::new()
        .route("/", get(public::home))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(metrics::metrics))
        .route("/open", get(open::open))
        .route("/r/{token}", get(rating::rating_page).post(rating::submit_rating))
        .route("/r/{token}/more", get(rating::follow_up_page).post(rating::submit_follow_up))
        .route("/r/{token}/{file}", get(rating::qr_image))
        .route("/q/1/{kind}/{code}", get(places::page).post(places::submit))
        .route("/s", get(rating_code::form).post(rating_code::submit))
        .route("/s/1/{code}", get(rating::sms_link))
        .route("/q/1/{kind}/{code}/{file}", get(places::image).post(places::verify))
        .route("/staff-photo/{job}", get(public::staff_photo))
        .route("/device", get(device::page))
        .route("/device/pair", get(device::pair_form).post(device::pair))
        .route("/device/events", get(device::events))
        .route("/device/dismiss", post(device::dismiss))
        .route("/device/api/kiosk", get(device::kiosk::setup))
        .route("/device/api/ratings", post(device::kiosk::rate))
        .route("/device/api/pair", post(device::kiosk::pair))
        .route("/device/api/real-name", post(device::kiosk::real_name))
        .nest_service("/device/app", device_app)
        .route("/w/{code}/screen", get(public::window_screen))
        .route("/w/{code}/events", get(public::window_events))
        .route("/api/docs", get(api::docs::api_docs))
        .nest("/api/v1", api)
        .merge(people)
        .fallback_service(static_files)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            web::respond::render_page_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), web::headers::security_headers))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn({
            let limit = state.config.serve_limits.body_timeout;
            move |req, next| serve::body_deadline(limit, req, next)
        }))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(request_trace())
        .with_state(state)
}
