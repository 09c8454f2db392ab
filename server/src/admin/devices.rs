//! `/admin/devices/{window}`: a window's evaluators and kiosks — show a
//! one-time pairing code, list and revoke paired devices.

use app::pages::admin::{DeviceRowView, DevicesPage};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::web::{Anyone, Ctx, PageError, Signed};
use crate::AppState;

async fn devices_page(st: &AppState, ctx: &Ctx, window: &str, code: Option<String>) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let rows = store::devices::list(&st.db, &ctx.actor, window, st.now()).await?;
    let record = store::admin::get(&st.db, &ctx.actor, store::admin::Kind::Windows, window).await?;
    let fmt = |t: DateTime<Utc>| t.with_timezone(&store::console::china()).format("%Y-%m-%d %H:%M").to_string();
    let until = rows
        .iter()
        .find(|r| r.pairing_code.as_ref() == code.as_ref())
        .and_then(|r| r.pairing_expires_at)
        .map(fmt);
    let views = rows
        .iter()
        .map(|r| DeviceRowView {
            label: format!(
                "#{} {}",
                r.id,
                match r.kind {
                    store::devices::DeviceKind::Kiosk => lang.t("自助终端（全大厅）", "Kiosk (whole hall)"),
                    store::devices::DeviceKind::Evaluator => lang.t("评价器 / 窗口屏", "Evaluator / window screen"),
                }
            ),
            status: match (r.revoked_at, r.paired_at) {
                (Some(t), _) => format!("{} {}", lang.t("已吊销", "Revoked"), fmt(t)),
                (None, Some(t)) => format!("{} {}", lang.t("已配对", "Paired"), fmt(t)),
                (None, None) => lang.t("等待配对", "Waiting for pairing").to_string(),
            },
            revoke_action: (r.revoked_at.is_none()).then(|| format!("/admin/devices/{window}/revoke/{}", r.id)),
        })
        .collect();
    let nav = ctx.nav();
    let (wc, wn, public) = (
        window.to_string(),
        record.values.get("name").cloned().unwrap_or_default(),
        st.config.public_url.clone(),
    );
    let code = code.map(|c| (c, until.unwrap_or_default()));
    let may_pair_kiosk = matches!(
        ctx.actor.scope,
        store::accounts::Scope::All | store::accounts::Scope::Regions { .. }
    );
    Ok(ctx.page(st, StatusCode::OK, lang.t("评价器", "Evaluators").into(), move || {
        view! { <DevicesPage nav=nav window_code=wc window_name=wn rows=views code=code public_url=public may_pair_kiosk=may_pair_kiosk/> }
    }))
}

/// `GET /admin/devices/{window}` (the store checks the window's scope).
pub async fn admin_devices(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Anyone>,
    Path(window): Path<String>,
) -> Result<Response, PageError> {
    devices_page(&st, &ctx, &window, None).await
}

/// `POST /admin/devices/{window}/pair`: shows a one-time pairing code.
pub async fn admin_pair(
    State(st): State<AppState>,
    Signed(mut ctx, _): Signed<Anyone>,
    Path(window): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    ctx.set_path(format!("/admin/devices/{window}"));
    ctx.check_csrf_form(&body).await?;
    let kind = store::devices::DeviceKind::parse(&crate::web::form_field(&body, "kind"));
    let code = store::devices::start_pairing(&st.db, &ctx.actor, &window, kind, &ctx.meta).await?;
    devices_page(&st, &ctx, &window, Some(code)).await
}

/// `POST /admin/devices/{window}/revoke/{id}`
pub async fn admin_revoke(
    State(st): State<AppState>,
    Signed(mut ctx, _): Signed<Anyone>,
    Path((window, id)): Path<(String, i32)>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    ctx.set_path(format!("/admin/devices/{window}"));
    ctx.check_csrf_form(&body).await?;
    store::devices::revoke(&st.db, &ctx.actor, &window, id, &ctx.meta).await?;
    Ok(Redirect::to(&format!("/admin/devices/{window}")).into_response())
}
