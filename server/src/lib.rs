//! haocha's HTTP server: pages, the integration API and QR images, on one router.

pub mod api;
pub mod config;
pub mod error;
pub mod pages;
pub mod qr;

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

pub use config::Config;

/// The clock, passed in so that expiry can be tested without sleeping.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

#[derive(Clone)]
pub struct AppState {
    pub db: store::Db,
    pub config: Arc<Config>,
    pub leptos: Arc<LeptosOptions>,
    pub clock: Clock,
}

impl AppState {
    pub fn new(db: store::Db, config: Config) -> AppState {
        let leptos = LeptosOptions::builder()
            .output_name("haocha")
            .site_root(config.site_root.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .build();
        AppState {
            db,
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
        .route("/openapi.json", get(api::openapi_json))
        .fallback(api::not_found);
    let static_files = ServeDir::new(&state.config.site_root).fallback(get(pages::not_found).with_state(state.clone()));
    Router::new()
        .route("/", get(pages::home))
        .route("/r/{token}", get(pages::rating_page).post(pages::submit_rating))
        .route("/r/{token}/{file}", get(pages::qr_image))
        .route("/w/{code}/screen", get(pages::window_screen))
        .route("/w/{code}/events", get(pages::window_events))
        .route("/api/docs", get(pages::api_docs))
        .nest("/api/v1", api)
        .fallback_service(static_files)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(CompressionLayer::new())
        .with_state(state)
}
