//! `/admin/exchange` (数据上报): the exchange outbox per day and region in the
//! administrator's regions, refused records with the platform's answer, and
//! re-pushing them (audited).

use app::pages::admin::{ExchangeDay, ExchangePage, ExchangeRefused, ExchangeView};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use leptos::prelude::*;

use crate::web::{CenterOrSystem, Ctx, PageError, Signed};
use crate::AppState;

async fn show(st: &AppState, ctx: &Ctx, result: Option<String>) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let fmt = |t: DateTime<Utc>| t.with_timezone(&store::console::china()).format("%Y-%m-%d %H:%M").to_string();
    let (days, refused) = store::exchange::overview(&st.db, &ctx.actor, st.now() - Duration::days(30)).await?;
    let data = ExchangeView {
        result,
        platforms: st.config.exchange.as_ref().map(|p| p.describe()).unwrap_or_default(),
        days: days
            .into_iter()
            .map(|d| ExchangeDay {
                day: d.day.to_string(),
                region: format!("{} {}", d.region_code, d.region_name),
                pushed: d.pushed,
                pending: d.pending,
                accepted: d.accepted,
                refused: d.refused,
            })
            .collect(),
        refused: refused
            .into_iter()
            .map(|r| ExchangeRefused {
                id: r.id,
                record_id: r.record_id,
                kind: r.kind,
                created: fmt(r.created_at),
                status: r.last_status.map(|s| s.to_string()).unwrap_or_default(),
                answer: r.last_answer,
            })
            .collect(),
    };
    let nav = ctx.nav();
    Ok(ctx.page(
        st,
        StatusCode::OK,
        lang.t("数据上报", "Platform exchange").to_string(),
        move || {
            view! { <ExchangePage nav=nav data=data/> }
        },
    ))
}

/// `GET /admin/exchange`
pub async fn page(State(st): State<AppState>, Signed(ctx, _): Signed<CenterOrSystem>) -> Result<Response, PageError> {
    show(&st, &ctx, None).await
}

/// `POST /admin/exchange/repush` (`id`, repeated): refused records back in the queue.
pub async fn repush(State(st): State<AppState>, Signed(mut ctx, _): Signed<CenterOrSystem>, body: Bytes) -> Result<Response, PageError> {
    ctx.set_path("/admin/exchange");
    ctx.check_csrf_form(&body).await?;
    let lang = ctx.lang;
    let ids: Vec<i32> = form_urlencoded::parse(&body)
        .filter(|(k, _)| k == "id")
        .filter_map(|(_, v)| v.trim().parse().ok())
        .take(500)
        .collect();
    let result = if ids.is_empty() {
        lang.t("请先选择要重新推送的记录。", "Select the records to push again first.")
            .to_string()
    } else {
        let n = store::exchange::repush(&st.db, &ctx.actor, &ids, &ctx.meta).await?;
        format!("{} {n}", lang.t("已重新排队推送：", "Queued again:"))
    };
    show(&st, &ctx, Some(result)).await
}
