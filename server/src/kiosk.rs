//! The kiosk's JSON API (自助终端, `/device/api/…`), used by the device bundle
//! served at `/device/app/`. The device authenticates with the credential
//! cookie it got at pairing (`hc_device`, shared with the window evaluator).

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use domain::RatingInput;
use serde::Deserialize;
use serde_json::json;

use crate::device::{device_cookie, device_of};
use crate::pages::{json_reply, pick_lang, submission_message, LangQuery};
use crate::AppState;

fn unpaired(lang: app::Lang) -> Response {
    json_reply(
        StatusCode::UNAUTHORIZED,
        false,
        "unpaired",
        lang.t(
            "本终端尚未配对或已被吊销，请联系管理员。",
            "This terminal is not paired, or was revoked: ask an administrator.",
        ),
        None,
    )
}

fn internal(e: store::Error) -> Response {
    tracing::error!(error = %e, "kiosk request failed");
    json_reply(
        StatusCode::INTERNAL_SERVER_ERROR,
        false,
        "internal",
        "服务器暂时出错，评价已保存在本机，稍后自动重发。 A server error: the rating is kept on the terminal and resent later.",
        None,
    )
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `GET /device/api/kiosk`: the hall, its windows, and how many ratings this
/// terminal has had stored today.
pub async fn setup(State(st): State<AppState>, Query(q): Query<LangQuery>, headers: HeaderMap) -> Response {
    let (lang, _) = pick_lang(&q, &headers);
    let Some(d) = device_of(&st, &headers).await else {
        return unpaired(lang);
    };
    let now = st.now();
    let (s, today) = match (
        store::devices::kiosk_setup(&st.db, &d).await,
        store::devices::kiosk_rated_today(&st.db, &d, now).await,
    ) {
        (Ok(s), Ok(t)) => (s, t),
        (Err(e), _) | (_, Err(e)) => return internal(e),
    };
    no_store(
        Json(json!({
            "hall_code": s.hall_code,
            "hall_name": s.hall_name,
            "window_code": s.window_code,
            "windows": s.windows.into_iter().map(|(code, name)| json!({"code": code, "name": name})).collect::<Vec<_>>(),
            "rated_today": today,
        }))
        .into_response(),
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KioskRatingBody {
    pub submission_id: String,
    #[serde(default)]
    pub window_code: Option<String>,
    pub level: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub comment: Option<String>,
    /// RFC 3339, when the citizen rated (the kiosk's clock).
    #[serde(default)]
    pub rated_at: Option<DateTime<Utc>>,
}

/// `POST /device/api/ratings`: one rating, idempotent by `submission_id`:
/// 201 when stored, 200 `resent` when it already was.
pub async fn rate(State(st): State<AppState>, Query(q): Query<LangQuery>, headers: HeaderMap, body: Bytes) -> Response {
    let (lang, _) = pick_lang(&q, &headers);
    let Some(d) = device_of(&st, &headers).await else {
        return unpaired(lang);
    };
    let b: KioskRatingBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return json_reply(
                StatusCode::BAD_REQUEST,
                false,
                "bad_request",
                &format!("{} ({e})", lang.t("请求不是有效的评价 JSON", "Not a valid rating in JSON")),
                None,
            )
        }
    };
    let input = match RatingInput::parse(&b.level, &b.tags, b.comment.as_deref()) {
        Ok(i) => i,
        Err(e) => {
            let msg = submission_message(lang, &e, false);
            return json_reply(StatusCode::UNPROCESSABLE_ENTITY, false, "invalid", &msg, Some(e.field()));
        }
    };
    let r = store::devices::KioskRating {
        submission_id: b.submission_id.trim(),
        window_code: b.window_code.as_deref(),
        input: &input,
        rated_at: b.rated_at,
    };
    match store::devices::kiosk_rate(&st.db, &st.config.data_key, &d, &r, st.now()).await {
        Ok(s) => {
            let status = if s.resent { StatusCode::OK } else { StatusCode::CREATED };
            no_store(
                (
                    status,
                    Json(json!({
                        "ok": true,
                        "code": if s.resent { "resent" } else { "rated" },
                        "id": s.id,
                        "resent": s.resent,
                        "message": lang.t("感谢您的评价！", "Thank you for your rating!"),
                    })),
                )
                    .into_response(),
            )
        }
        Err(store::Error::Invalid { field, .. }) => {
            let msg = match field {
                "window_code" => lang.t(
                    "所选窗口不属于本大厅或已停用。",
                    "The chosen window is not in this hall or no longer in use.",
                ),
                _ => lang.t(
                    "评价编号无效（应为 16–64 位字母或数字）。",
                    "The submission id must be 16–64 letters or digits.",
                ),
            };
            let field = if field == "submission" { "submission_id" } else { field };
            json_reply(StatusCode::UNPROCESSABLE_ENTITY, false, "invalid", msg, Some(field))
        }
        Err(e) => internal(e),
    }
}

#[derive(Debug, Deserialize)]
pub struct PairBody {
    pub code: String,
}

/// `POST /device/api/pair` (`{"code": "12345678"}`): like `/device/pair`, for
/// the kiosk's own keypad; the credential comes back as the `hc_device` cookie.
pub async fn pair(State(st): State<AppState>, Query(q): Query<LangQuery>, headers: HeaderMap, body: Bytes) -> Response {
    let (lang, _) = pick_lang(&q, &headers);
    let Ok(b) = serde_json::from_slice::<PairBody>(&body) else {
        return json_reply(
            StatusCode::BAD_REQUEST,
            false,
            "bad_request",
            lang.t("请求应为 {\"code\": \"8 位数字\"}", "Send {\"code\": \"8 digits\"}"),
            Some("code"),
        );
    };
    match store::devices::complete_pairing(&st.db, &b.code, st.now()).await {
        Ok(credential) => {
            let mut res = no_store(Json(json!({"ok": true, "code": "paired"})).into_response());
            if let Some(c) = device_cookie(&credential) {
                res.headers_mut().insert(header::SET_COOKIE, c);
            }
            res
        }
        Err(store::Error::Invalid { .. }) => json_reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            false,
            "invalid",
            lang.t(
                "配对码无效或已过期，请让管理员重新生成。",
                "Unknown or expired code: ask for a new one.",
            ),
            Some("code"),
        ),
        Err(e) => internal(e),
    }
}
