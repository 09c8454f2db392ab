//! Background jobs inside `haocha serve` (one tokio task): default ratings now,
//! SMS reminders next. Each run is idempotent and safe with several servers on
//! one PostgreSQL database (see `store::defaults`). Administrators can run the
//! jobs at once from `/admin/outbox` (the demo's way to see the whole path).

use std::time::Duration;

use app::pages::admin::{OutboxPage, OutboxView};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use leptos::prelude::*;
use store::accounts::Scope;
use tower_sessions::Session;

use crate::admin::{signed_in_any, ClientAddr, Ctx};
use crate::pages::LangQuery;
use crate::AppState;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobReport {
    pub defaults: store::defaults::DefaultRun,
}

/// One run of every job at the app's clock.
pub async fn run_all(st: &AppState) -> Result<JobReport, store::Error> {
    let calendar = store::calendar::load(&st.db).await?;
    let defaults = store::defaults::run(&st.db, &calendar, st.now()).await?;
    Ok(JobReport { defaults })
}

/// Runs the jobs every `every` until the process ends; errors are logged and
/// the next run tries again.
pub fn spawn(st: AppState, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match run_all(&st).await {
                Ok(r) if r.defaults.given > 0 => tracing::info!(defaults = r.defaults.given, "default ratings given"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "background jobs failed; retrying at the next run"),
            }
        }
    });
}

async fn page(st: &AppState, ctx: &Ctx, result: Option<String>) -> Response {
    let recent = match store::defaults::recent(&st.db, &ctx.actor, 50).await {
        Ok(r) => r,
        Err(e) => return ctx.store_error(st, e),
    };
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&store::console::china()).format("%Y-%m-%d %H:%M").to_string();
    let lang = ctx.lang;
    let view_data = OutboxView {
        result,
        defaults: recent
            .into_iter()
            .map(|d| {
                (
                    d.case_number,
                    domain::Level::parse(&d.level).map(|l| lang.level(l).to_string()).unwrap_or(d.level),
                    d.policy_region,
                    fmt(d.created_at),
                    d.superseded,
                )
            })
            .collect(),
    };
    let nav = ctx.nav_pub();
    ctx.page(st, StatusCode::OK, lang.t("后台任务", "Jobs").to_string(), move || {
        view! { <OutboxPage nav=nav data=view_data/> }
    })
}

fn allowed(ctx: &Ctx) -> bool {
    ctx.actor.role.is_admin() && matches!(ctx.actor.scope, Scope::All | Scope::Regions { .. })
}

/// `GET /admin/outbox`
pub async fn outbox(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Query(q): Query<LangQuery>,
    headers: axum::http::HeaderMap,
) -> Response {
    let ctx = match signed_in_any(&st, &session, &headers, &q, "/admin/outbox", addr).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !allowed(&ctx) {
        return ctx.forbidden(&st);
    }
    page(&st, &ctx, None).await
}

/// `POST /admin/outbox/run`: every job, now.
pub async fn run_now(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Query(q): Query<LangQuery>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let ctx = match signed_in_any(&st, &session, &headers, &q, "/admin/outbox", addr).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !allowed(&ctx) {
        return ctx.forbidden(&st);
    }
    if !crate::admin::csrf_in_form(&session, &body).await {
        return ctx.csrf_failed_pub(&st);
    }
    let lang = ctx.lang;
    let result = match run_all(&st).await {
        Ok(r) => format!(
            "{} {}；{} {}",
            lang.t("已运行。默认评价：新给出", "Done. Default ratings given:"),
            r.defaults.given,
            lang.t("已排期的办件", "cases scheduled:"),
            r.defaults.scheduled
        ),
        Err(e) => return ctx.store_error(&st, e),
    };
    page(&st, &ctx, Some(result)).await
}
