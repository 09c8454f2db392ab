//! `/admin/outbox` (后台任务): the SMS outbox (phones masked, system
//! administrators only), the latest default ratings in scope, "run the jobs
//! now", and — with the demo gateway — playing a citizen's SMS reply.

use app::pages::admin::{OutboxMessage, OutboxPage, OutboxView};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use store::accounts::Scope;

use crate::web::{form_field, CenterOrSystem, Ctx, PageError, Signed, System};
use crate::AppState;

async fn page(st: &AppState, ctx: &Ctx, result: Option<String>) -> Result<Response, PageError> {
    let recent = store::defaults::recent(&st.db, &ctx.actor, 50).await?;
    let fmt = |t: DateTime<Utc>| t.with_timezone(&store::console::china()).format("%Y-%m-%d %H:%M").to_string();
    let messages = store::sms::latest(&st.db, &st.config.data_key, 100).await?;
    let lang = ctx.lang;
    let system = matches!(ctx.actor.scope, Scope::All);
    let view_data = OutboxView {
        result,
        simulate_reply: st.sms.name() == "outbox" && system,
        // Phones are masked; only system administrators see the messages.
        messages: if system {
            messages
                .into_iter()
                .map(|m| OutboxMessage {
                    message_id: m.message_id,
                    kind: m.kind,
                    phone: m.phone,
                    body: m.body,
                    state: m.state,
                    attempts: m.attempts,
                    error: m.last_error.unwrap_or_default(),
                    created: fmt(m.created_at),
                    not_before: fmt(m.not_before),
                })
                .collect()
        } else {
            Vec::new()
        },
        defaults: recent
            .into_iter()
            .map(|d| {
                (
                    d.case_number,
                    lang.level(d.level).to_string(),
                    d.policy_region,
                    fmt(d.created_at),
                    d.superseded,
                )
            })
            .collect(),
    };
    let nav = ctx.nav();
    Ok(ctx.page(st, StatusCode::OK, lang.t("后台任务", "Jobs").to_string(), move || {
        view! { <OutboxPage nav=nav data=view_data/> }
    }))
}

/// `GET /admin/outbox`
pub async fn outbox(State(st): State<AppState>, Signed(ctx, _): Signed<CenterOrSystem>) -> Result<Response, PageError> {
    page(&st, &ctx, None).await
}

/// `POST /admin/outbox/run`: every job, now.
pub async fn run_now(State(st): State<AppState>, Signed(mut ctx, _): Signed<CenterOrSystem>, body: Bytes) -> Result<Response, PageError> {
    ctx.set_path("/admin/outbox");
    ctx.check_csrf_form(&body).await?;
    let lang = ctx.lang;
    let r = crate::jobs::run_all(&st).await?;
    let result = format!(
        "{} {}；{} {}；{} {}；{} {}，{} {}",
        lang.t("已运行。默认评价：新给出", "Done. Default ratings given:"),
        r.defaults.given,
        lang.t("已排期的办件", "cases scheduled:"),
        r.defaults.scheduled,
        lang.t("新排队的提醒短信", "reminders queued:"),
        r.reminders,
        lang.t("短信发送成功", "SMS sent:"),
        r.sms.sent,
        lang.t("失败", "failed:"),
        r.sms.failed
    );
    let result = format!(
        "{result}；{} {}，{} {}",
        lang.t("差评工单新通知", "work-order notices:"),
        r.work_orders.told_new,
        lang.t("逾期督办", "escalated:"),
        r.work_orders.escalated
    );
    let result = format!(
        "{result}；{} {}，{} {}，{} {}",
        lang.t("上报平台：已接收", "exchange: accepted"),
        r.exchange.accepted,
        lang.t("被拒收", "refused"),
        r.exchange.refused,
        lang.t("待重试", "to retry"),
        r.exchange.failed
    );
    page(&st, &ctx, Some(result)).await
}

/// `POST /admin/outbox/reply` (`phone`, `text`): with the demo gateway, a
/// system administrator plays a citizen's SMS reply (as the webhook would get it).
pub async fn simulate_reply(State(st): State<AppState>, Signed(mut ctx, _): Signed<System>, body: Bytes) -> Result<Response, PageError> {
    if st.sms.name() != "outbox" {
        return Err(PageError::Forbidden);
    }
    ctx.set_path("/admin/outbox");
    ctx.check_csrf_form(&body).await?;
    let lang = ctx.lang;
    let reply = store::sms::inbound(
        &st.db,
        &st.config.data_key,
        &form_field(&body, "phone"),
        &form_field(&body, "text"),
        &st.config.public_url,
        st.now(),
    )
    .await;
    let result = match reply {
        Ok((_, answer)) => format!("{}{answer}", lang.t("已收到。系统回复：", "Received. The answer: ")),
        Err(store::Error::Invalid { .. }) => lang
            .t("手机号或内容无效。", "Not a phone number, or the text is too long.")
            .to_string(),
        Err(e) => return Err(e.into()),
    };
    page(&st, &ctx, Some(result)).await
}
