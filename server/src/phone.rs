//! Ratings by telephone: the hotline IVR's webhook and the center's phone
//! invitation page (电话邀评).

use app::pages::admin::{PhoneCaseView, PhoneRatingPage};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use domain::RatingInput;
use leptos::prelude::*;
use serde::Deserialize;
use tower_sessions::Session;

use crate::admin::{signed_in_any, ClientAddr, Ctx};
use crate::error::ApiError;
use crate::jobs::secret_ok;
use crate::pages::{pick_lang, submission_message, LangQuery};
use crate::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotlineBody {
    pub call_id: String,
    pub phone: String,
    /// The key pressed: 5 非常满意 … 1 非常不满意.
    pub key: u8,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub case_number: Option<String>,
}

/// `POST /api/v1/hotline/ratings` (header `X-Haocha-Secret`): one rating per
/// call id (channel `hotline`): 201, or 200 with `resent` for a repeat.
pub async fn hotline(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    match secret_ok(&headers, &st.config.hotline_secret) {
        None => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "the hotline webhook is not configured (HAOCHA_HOTLINE_SECRET)",
            ))
        }
        Some(false) => return Err(ApiError::unauthorized()),
        Some(true) => {}
    }
    let b: HotlineBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("expected {{\"call_id\", \"phone\", \"key\": 1–5, \"tags\"?, \"case_number\"?}}: {e}"),
        )
    })?;
    let k = store::phone::KeyPress {
        call_id: &b.call_id,
        phone: &b.phone,
        key: b.key,
        tags: &b.tags,
        case_number: b.case_number.as_deref(),
    };
    let r = store::phone::hotline(&st.db, &st.config.data_key, &k, st.now()).await?;
    let status = if r.resent { StatusCode::OK } else { StatusCode::CREATED };
    Ok((
        status,
        Json(serde_json::json!({
            "rating_id": r.rating_id,
            "case_number": r.case_number,
            "level": r.level.code(),
            "channel": "hotline",
            "resent": r.resent,
        })),
    )
        .into_response())
}

#[derive(Debug, Deserialize, Default)]
pub struct PhoneQuery {
    pub case: Option<String>,
    pub lang: Option<String>,
    pub notice: Option<String>,
}

async fn page(st: &AppState, ctx: &Ctx, number: String, status: StatusCode, notice: Option<String>, error: Option<String>) -> Response {
    let lang = ctx.lang;
    let case = if number.trim().is_empty() {
        None
    } else {
        match store::phone::invite_case(&st.db, &st.config.data_key, &ctx.actor, &number).await {
            Ok(c) => Some(PhoneCaseView {
                completed: c
                    .completed_at
                    .with_timezone(&store::console::china())
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
                phone: c.phone.unwrap_or_else(|| lang.t("（未留电话）", "(none)").into()),
                case_number: c.case_number,
                window_code: c.window_code,
                rated: c.rated,
            }),
            Err(store::Error::NotFound(_)) => {
                let nav = ctx.nav_pub();
                let e = Some(
                    lang.t("没有找到该办件，或不在您的管理范围内。", "No such case in your scope.")
                        .to_string(),
                );
                return ctx.page(
                    st,
                    StatusCode::NOT_FOUND,
                    lang.t("电话邀评", "Phone invitation").into(),
                    move || {
                        view! { <PhoneRatingPage nav=nav number=number case=None notice=None error=e/> }
                    },
                );
            }
            Err(e) => return ctx.store_error(st, e),
        }
    };
    let nav = ctx.nav_pub();
    ctx.page(st, status, lang.t("电话邀评", "Phone invitation").into(), move || {
        view! { <PhoneRatingPage nav=nav number=number case=case notice=notice error=error/> }
    })
}

/// `GET /admin/phone-rating?case=NUMBER`
pub async fn phone_form(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Query(q): Query<PhoneQuery>,
    headers: HeaderMap,
) -> Response {
    let lq = LangQuery { lang: q.lang.clone() };
    let ctx = match signed_in_any(&st, &session, &headers, &lq, "/admin/phone-rating", addr).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !ctx.actor.role.is_admin() {
        return ctx.forbidden(&st);
    }
    let notice = (q.notice.as_deref() == Some("recorded")).then(|| ctx.lang.t("已如实录入评价。", "The rating is recorded.").to_string());
    page(&st, &ctx, q.case.unwrap_or_default(), StatusCode::OK, notice, None).await
}

/// `POST /admin/phone-rating` (`case_number`, `level`, `tags`, `comment`)
pub async fn record(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ctx = match signed_in_any(&st, &session, &headers, &q, "/admin/phone-rating", addr).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !ctx.actor.role.is_admin() {
        return ctx.forbidden(&st);
    }
    if !crate::admin::csrf_in_form(&session, &body).await {
        return ctx.csrf_failed_pub(&st);
    }
    let (lang, _) = pick_lang(&q, &headers);
    let Ok(form) = crate::pages::parse_form(&body) else {
        return page(&st, &ctx, String::new(), StatusCode::BAD_REQUEST, None, Some("UTF-8".into())).await;
    };
    let number = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "case_number")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let input = match RatingInput::parse(&form.level, &form.tags, Some(&form.comment)) {
        Ok(i) => i,
        Err(e) => {
            let m = submission_message(lang, &e, false);
            return page(&st, &ctx, number, StatusCode::UNPROCESSABLE_ENTITY, None, Some(m)).await;
        }
    };
    match store::phone::record_invite(&st.db, &ctx.actor, &number, &input, &ctx.meta).await {
        Ok(_) => Redirect::to(&format!(
            "/admin/phone-rating?case={}&notice=recorded",
            form_urlencoded::byte_serialize(number.as_bytes()).collect::<String>()
        ))
        .into_response(),
        Err(store::Error::AlreadyRated) => {
            let m = lang.t("该办件已有评价，没有录入。", "This case is rated already; nothing was recorded.");
            page(&st, &ctx, number, StatusCode::CONFLICT, None, Some(m.into())).await
        }
        Err(e) => ctx.store_error(&st, e),
    }
}
