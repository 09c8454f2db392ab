//! Background jobs inside `haocha serve`, one tokio task each: default
//! ratings, and SMS (reminders queued, the outbox sent). Each run is idempotent and safe with several servers on
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
    pub reminders: u64,
    pub sms: crate::sms::SendRun,
}

/// One run of every job at the app's clock ("run the jobs now"): default
/// ratings, reminders, and sending what the outbox holds.
pub async fn run_all(st: &AppState) -> Result<JobReport, store::Error> {
    let defaults = run_defaults(st).await?;
    let (reminders, sms) = run_sms(st).await?;
    Ok(JobReport { defaults, reminders, sms })
}

/// Default ratings, one pass at the app's clock.
pub async fn run_defaults(st: &AppState) -> Result<store::defaults::DefaultRun, store::Error> {
    let calendar = store::calendar::load(&st.db).await?;
    store::defaults::run(&st.db, &calendar, st.now()).await
}

/// Reminders queued and the outbox sent, one pass at the app's clock.
pub async fn run_sms(st: &AppState) -> Result<(u64, crate::sms::SendRun), store::Error> {
    let now = st.now();
    let reminders = store::sms::queue_reminders(&st.db, &st.config.data_key, &st.config.public_url, now).await?;
    let sent = crate::sms::send_due(&st.db, &st.config.data_key, st.sms.as_ref(), now).await?;
    Ok((reminders, sent))
}

/// Runs each job in its own tokio task every `every` until the process ends;
/// an error is logged and the next run tries again.
pub fn spawn(st: AppState, every: Duration) {
    let defaults = st.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match run_defaults(&defaults).await {
                Ok(r) if r.given > 0 => tracing::info!(defaults = r.given, "default ratings given"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "default-rating job failed; retrying at the next run"),
            }
        }
    });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match run_sms(&st).await {
                Ok((queued, sent)) if queued + sent.sent + sent.failed > 0 => {
                    tracing::info!(reminders = queued, sms_sent = sent.sent, sms_failed = sent.failed, "SMS job")
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "SMS job failed; retrying at the next run"),
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
    let messages = match store::sms::latest(&st.db, &st.config.data_key, 100).await {
        Ok(m) => m,
        Err(e) => return ctx.store_error(st, e),
    };
    let lang = ctx.lang;
    let view_data = OutboxView {
        result,
        simulate_reply: st.sms.name() == "outbox" && matches!(ctx.actor.scope, Scope::All),
        // Phones are masked; only system administrators see the messages.
        messages: if matches!(ctx.actor.scope, Scope::All) {
            messages
                .into_iter()
                .map(|m| app::pages::admin::OutboxMessage {
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

/// Signed in, allowed by `may`, and (for a form) the CSRF token right.
async fn guard(
    st: &AppState,
    session: &Session,
    headers: &axum::http::HeaderMap,
    q: &LangQuery,
    addr: ClientAddr,
    form: Option<&[u8]>,
    may: impl Fn(&Ctx) -> bool,
) -> Result<Ctx, Response> {
    let ctx = signed_in_any(st, session, headers, q, "/admin/outbox", addr).await?;
    if !may(&ctx) {
        return Err(ctx.forbidden(st));
    }
    if let Some(body) = form {
        if !crate::admin::csrf_in_form(session, body).await {
            return Err(ctx.csrf_failed_pub(st));
        }
    }
    Ok(ctx)
}

/// `GET /admin/outbox`
pub async fn outbox(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Query(q): Query<LangQuery>,
    headers: axum::http::HeaderMap,
) -> Response {
    match guard(&st, &session, &headers, &q, addr, None, allowed).await {
        Ok(ctx) => page(&st, &ctx, None).await,
        Err(r) => r,
    }
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
    let ctx = match guard(&st, &session, &headers, &q, addr, Some(&body), allowed).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = ctx.lang;
    let result = match run_all(&st).await {
        Ok(r) => format!(
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
        ),
        Err(e) => return ctx.store_error(&st, e),
    };
    page(&st, &ctx, Some(result)).await
}

/// `POST /admin/outbox/reply` (`phone`, `text`): with the demo gateway, a
/// system administrator plays a citizen's SMS reply (as the webhook would get it).
pub async fn simulate_reply(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Query(q): Query<LangQuery>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let demo = st.sms.name() == "outbox";
    let may = |ctx: &Ctx| demo && ctx.actor.role.is_admin() && matches!(ctx.actor.scope, Scope::All);
    let ctx = match guard(&st, &session, &headers, &q, addr, Some(&body), may).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let field = |k: &str| {
        form_urlencoded::parse(&body)
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let lang = ctx.lang;
    let result = match store::sms::inbound(
        &st.db,
        &st.config.data_key,
        &field("phone"),
        &field("text"),
        &st.config.public_url,
        st.now(),
    )
    .await
    {
        Ok((_, answer)) => format!("{}{answer}", lang.t("已收到。系统回复：", "Received. The answer: ")),
        Err(store::Error::Invalid { .. }) => lang
            .t("手机号或内容无效。", "Not a phone number, or the text is too long.")
            .to_string(),
        Err(e) => return ctx.store_error(&st, e),
    };
    page(&st, &ctx, Some(result)).await
}

/// `GET /s/1/{case}-{signature}`: the SMS link opens the case's rating page.
pub async fn sms_link(
    State(st): State<AppState>,
    axum::extract::Path(code): axum::extract::Path<String>,
    Query(q): Query<LangQuery>,
    headers: axum::http::HeaderMap,
) -> Response {
    use axum::response::IntoResponse;
    let (lang, _) = crate::pages::pick_lang(&q, &headers);
    let bad = |st: &AppState| {
        crate::pages::message(
            st,
            lang,
            StatusCode::NOT_FOUND,
            app::pages::message::Tone::Problem,
            lang.t("链接无效", "This link is not valid"),
            lang.t(
                "短信中的评价链接不完整或已失效，请检查后重试，或在办事大厅扫码评价。",
                "The link in the SMS is incomplete or no longer valid: check it, or scan the code in the hall.",
            ),
            format!("/s/1/{code}"),
            None,
        )
    };
    let Some(case_id) = store::sms::verify_link(&st.config.data_key, &code) else {
        return bad(&st);
    };
    match store::sms::link_token(&st.db, case_id, st.now(), st.config.token_ttl()).await {
        Ok(token) => axum::response::Redirect::to(&format!("/r/{token}")).into_response(),
        Err(store::Error::NotFound(_)) => bad(&st),
        Err(e) => crate::pages::internal(&st, lang, e),
    }
}

pub(crate) fn secret_ok(headers: &axum::http::HeaderMap, want: &Option<String>) -> Option<bool> {
    let want = want.as_deref()?;
    let got = headers.get("x-haocha-secret").and_then(|v| v.to_str().ok()).unwrap_or("");
    Some(got.len() == want.len() && got.bytes().zip(want.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0)
}

#[derive(Debug, serde::Deserialize)]
pub struct InboundSms {
    pub phone: String,
    pub text: String,
}

/// `POST /api/v1/sms/inbound` (header `X-Haocha-Secret`): a reply from a
/// citizen, from the SMS gateway. A reply of 1–5 rates the latest reminded,
/// unrated case of that phone (channel `sms_reply`); the answer is queued.
pub async fn sms_inbound(
    State(st): State<AppState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<axum::Json<serde_json::Value>, crate::error::ApiError> {
    use crate::error::ApiError;
    match secret_ok(&headers, &st.config.sms_inbound_secret) {
        None => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "the SMS webhook is not configured (HAOCHA_SMS_INBOUND_SECRET)",
            ))
        }
        Some(false) => return Err(ApiError::unauthorized()),
        Some(true) => {}
    }
    let m: InboundSms = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("expected {{\"phone\", \"text\"}}: {e}"),
        )
    })?;
    let (outcome, answer) = store::sms::inbound(&st.db, &st.config.data_key, &m.phone, &m.text, &st.config.public_url, st.now()).await?;
    let result = match outcome {
        store::sms::Inbound::Rated { .. } => "rated",
        store::sms::Inbound::NeedsReasons { .. } => "needs_reasons",
        store::sms::Inbound::NoCase => "no_case",
        store::sms::Inbound::NotUnderstood => "not_understood",
    };
    Ok(axum::Json(serde_json::json!({ "result": result, "reply": answer })))
}
