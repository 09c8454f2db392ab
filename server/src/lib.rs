//! haocha's HTTP server: pages, the integration API and QR images, on one router.

pub mod admin;
pub mod api;
pub mod calendar;
pub mod config;
pub mod device;
pub mod error;
pub mod jobs;
pub mod kiosk;
pub mod pages;
pub mod phone;
pub mod places;
pub mod policy;
pub mod qr;
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
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub use config::Config;

/// The clock, passed in so that expiry can be tested without sleeping.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

#[derive(Clone)]
pub struct AppState {
    pub db: store::Db,
    pub config: Arc<Config>,
    pub leptos: Arc<LeptosOptions>,
    pub clock: Clock,
    pub sms: Arc<dyn sms::SmsGateway>,
}

impl AppState {
    pub fn new(db: store::Db, config: Config) -> AppState {
        let leptos = LeptosOptions::builder()
            .output_name("haocha")
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
        AppState {
            db,
            sms,
            config: Arc::new(config),
            leptos: Arc::new(leptos),
            clock: Arc::new(Utc::now),
        }
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

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/cases", post(api::create_case))
        .route("/ratings", post(api::push_rating).get(api::list_ratings))
        .route("/items", get(api::list_items))
        .route("/windows", get(api::list_windows))
        .route("/staff", get(api::list_staff))
        .route("/sms/inbound", post(jobs::sms_inbound))
        .route("/hotline/ratings", post(phone::hotline))
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
        .route("/login", get(admin::login_page).post(admin::login))
        .route("/logout", post(admin::logout))
        .route("/account/password", get(admin::password_form).post(admin::change_password))
        .route("/staff", get(admin::console))
        .route("/staff/invite", post(device::invite))
        .route("/admin/devices/{window}", get(device::admin_devices))
        .route("/admin/devices/{window}/pair", post(device::admin_pair))
        .route("/admin/devices/{window}/revoke/{id}", post(device::admin_revoke))
        .route("/print/{kind}/{code}", get(places::print))
        .route("/admin", get(admin::admin_home))
        .route("/admin/audit", get(admin::audit))
        .route("/admin/outbox", get(jobs::outbox))
        .route("/admin/phone-rating", get(phone::phone_form).post(phone::record))
        .route("/admin/calendar", get(calendar::calendar).post(calendar::load))
        .route("/admin/policies/{code}", get(policy::policy).post(policy::save))
        .route("/admin/calendar/{file}", get(calendar::days))
        .route("/admin/outbox/run", post(jobs::run_now))
        .route("/admin/outbox/reply", post(jobs::simulate_reply))
        .route("/admin/accounts", get(admin::accounts).post(admin::create_account))
        .route("/admin/accounts/new", get(admin::new_account))
        .route("/admin/accounts/{job}", get(admin::account))
        .route("/admin/accounts/{job}/{action}", post(admin::account_action))
        .route(
            "/admin/import/{kind}",
            get(admin::import_form)
                .post(admin::import)
                .route_layer(DefaultBodyLimit::max(store::csv_import::MAX_BYTES + 64 * 1024)),
        )
        .route("/admin/import/{kind}/template.csv", get(admin::import_template))
        .route(
            "/admin/photo/{job}",
            post(admin::upload_photo).route_layer(DefaultBodyLimit::max(store::photos::MAX_BYTES + 64 * 1024)),
        )
        .route("/admin/{kind}", get(admin::list).post(admin::create))
        .route("/admin/{kind}/new", get(admin::new_form))
        .route("/admin/{kind}/{code}", get(admin::edit_form).post(admin::update))
        .route("/admin/{kind}/{code}/delete", post(admin::remove))
        .layer(sessions);
    let static_files = ServeDir::new(&state.config.site_root).fallback(get(pages::not_found).with_state(state.clone()));
    // The kiosk bundle as Trunk built it, revalidated on every load (small; the
    // service worker keeps its own copy for offline starts).
    let device_app = tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .service(ServeDir::new(&state.config.device_dir).fallback(get(pages::not_found).with_state(state.clone())));
    Router::new()
        .route("/", get(pages::home))
        .route("/r/{token}", get(pages::rating_page).post(pages::submit_rating))
        .route("/r/{token}/more", get(pages::follow_up_page).post(pages::submit_follow_up))
        .route("/r/{token}/{file}", get(pages::qr_image))
        .route("/q/1/{kind}/{code}", get(places::page).post(places::submit))
        .route("/s/1/{code}", get(jobs::sms_link))
        .route("/q/1/{kind}/{code}/{file}", get(places::image))
        .route("/staff-photo/{job}", get(admin::staff_photo))
        .route("/device", get(device::page))
        .route("/device/pair", get(device::pair_form).post(device::pair))
        .route("/device/events", get(device::events))
        .route("/device/dismiss", post(device::dismiss))
        .route("/device/api/kiosk", get(kiosk::setup))
        .route("/device/api/ratings", post(kiosk::rate))
        .route("/device/api/pair", post(kiosk::pair))
        .nest_service("/device/app", device_app)
        .route("/w/{code}/screen", get(pages::window_screen))
        .route("/w/{code}/events", get(pages::window_events))
        .route("/api/docs", get(pages::api_docs))
        .nest("/api/v1", api)
        .merge(people)
        .fallback_service(static_files)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(CompressionLayer::new())
        .with_state(state)
}
