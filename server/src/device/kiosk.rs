//! The kiosk's JSON API (自助终端, `/device/api/…`), used by the device bundle
//! served at `/device/app/`. The device authenticates with the credential
//! cookie it got at pairing (`hc_device`, shared with the window evaluator).
//! Every refusal is the API's one error body `{error, message, field}`.

use app::text;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::{Channel, RatingInput};
use serde::Deserialize;
use serde_json::json;

use crate::web::extract::device_cookie;
use crate::web::{json, ApiError, ClientAddr, Language, PairedApi};
use crate::AppState;

fn server_error(e: store::Error) -> ApiError {
    ApiError::internal(
        e,
        "服务器暂时出错，评价已保存在本机，稍后自动重发。 A server error: the rating is kept on the terminal and resent later.",
    )
}

/// `GET /device/api/kiosk`: the hall, its windows, and how many ratings this
/// terminal has had stored today.
pub async fn setup(State(st): State<AppState>, PairedApi(d): PairedApi) -> Result<Response, ApiError> {
    let now = st.now();
    let s = store::devices::kiosk_setup(&st.db, &d).await.map_err(server_error)?;
    let today = store::devices::kiosk_rated_today(&st.db, &d, now).await.map_err(server_error)?;
    Ok(json(
        StatusCode::OK,
        json!({
            "hall_code": s.hall_code,
            "hall_name": s.hall_name,
            "window_code": s.window_code,
            "windows": s.windows.into_iter().map(|(code, name)| json!({"code": code, "name": name})).collect::<Vec<_>>(),
            "rated_today": today,
            "real_name": s.real_name,
        }),
    ))
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
    /// Where the region requires real names: from `POST /device/api/real-name`.
    #[serde(default)]
    pub real_name_token: Option<String>,
}

/// `POST /device/api/ratings`: one rating, idempotent by `submission_id`:
/// 201 when stored, 200 `resent` when it already was.
pub async fn rate(
    State(st): State<AppState>,
    Language { lang, .. }: Language,
    PairedApi(d): PairedApi,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: KioskRatingBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("{} ({e})", lang.t("请求不是有效的评价 JSON", "Not a valid rating in JSON"))))?;
    let input = RatingInput::parse_on(Channel::Kiosk, &b.level, &b.tags, b.comment.as_deref())
        .map_err(|e| ApiError::invalid(e.field(), text::rating_error(lang, &e, false)))?;
    let r = store::devices::KioskRating {
        submission_id: b.submission_id.trim(),
        window_code: b.window_code.as_deref(),
        input: &input,
        rated_at: b.rated_at,
        real_name_token: b.real_name_token.as_deref(),
    };
    let s = match store::devices::kiosk_rate(&st.db, &st.config.data_key, &d, &r, st.now()).await {
        Ok(s) => s,
        Err(store::Error::Invalid {
            field: "window_code",
            reason: store::Reason::NotInHall,
        }) => {
            let m = lang.t(
                "所选窗口不属于本大厅或已停用。",
                "The chosen window is not in this hall or no longer in use.",
            );
            return Err(ApiError::invalid("window_code", m));
        }
        Err(store::Error::Invalid {
            field: field @ ("window_code" | "rated_at" | "phone"),
            reason,
        }) => return Err(ApiError::invalid(field, text::reason(lang, &reason))),
        Err(store::Error::Invalid { .. }) => {
            let m = lang.t(
                "评价编号无效（应为 16–64 位字母或数字）。",
                "The submission id must be 16–64 letters or digits.",
            );
            return Err(ApiError::invalid("submission_id", m));
        }
        Err(e) => return Err(server_error(e)),
    };
    let status = if s.resent { StatusCode::OK } else { StatusCode::CREATED };
    Ok(json(
        status,
        json!({
            "ok": true,
            "code": if s.resent { "resent" } else { "rated" },
            "id": s.id,
            "resent": s.resent,
            "message": lang.t("感谢您的评价！", "Thank you for your rating!"),
        }),
    ))
}

#[derive(Debug, Deserialize)]
pub struct PairBody {
    pub code: String,
}

/// `POST /device/api/pair` (`{"code": "12345678"}`): like `/device/pair`, for
/// the kiosk's own keypad; the credential comes back as the `hc_device` cookie.
pub async fn pair(
    State(st): State<AppState>,
    Language { lang, .. }: Language,
    ClientAddr(address): ClientAddr,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b = serde_json::from_slice::<PairBody>(&body)
        .map_err(|_| ApiError::bad_request(lang.t("请求应为 {\"code\": \"8 位数字\"}", "Send {\"code\": \"8 digits\"}")).field("code"))?;
    let credential = match store::devices::complete_pairing(&st.db, &b.code, address.as_deref(), st.now()).await {
        Ok(c) => c,
        Err(store::Error::Invalid {
            field: field @ ("window_code" | "rated_at" | "phone"),
            reason,
        }) => return Err(ApiError::invalid(field, text::reason(lang, &reason))),
        Err(store::Error::Invalid { .. }) => {
            let m = lang.t(
                "配对码无效或已过期，请让管理员重新生成。",
                "Unknown or expired code: ask for a new one.",
            );
            return Err(ApiError::invalid("code", m));
        }
        Err(store::Error::TooManyTries { seconds }) => {
            let m = match lang {
                app::Lang::Zh => format!("错误次数过多，请 {} 分钟后再试。", (seconds + 59) / 60),
                app::Lang::En => format!("Too many wrong codes: try again in {} min.", (seconds + 59) / 60),
            };
            return Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_tries", m).field("code"));
        }
        Err(e) => return Err(server_error(e)),
    };
    let mut res = json(StatusCode::OK, json!({"ok": true, "code": "paired"}));
    if let Some(c) = device_cookie(&credential) {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    Ok(res)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RealNameBody {
    pub phone: String,
    /// Absent: send a code to `phone`; present: check it.
    #[serde(default)]
    pub code: Option<String>,
}

/// `POST /device/api/real-name` (`{"phone"}` → a code by SMS; `{"phone",
/// "code"}` → `{"token"}` for one rating within 30 minutes): a kiosk where the
/// hall's region requires real names (issue 13 item 6).
pub async fn real_name(
    State(st): State<AppState>,
    Language { lang, .. }: Language,
    PairedApi(_d): PairedApi,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: RealNameBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("{} ({e})", lang.t("请求不是有效的 JSON", "Not valid JSON"))))?;
    let refused = |e: store::Error| match e {
        store::Error::Invalid { field, reason } => {
            let status = match reason {
                store::Reason::CodeTooSoon { .. } => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            ApiError::new(status, "invalid", text::reason(lang, &reason)).field(field)
        }
        other => server_error(other),
    };
    match b.code {
        None => {
            store::phone_check::send(&st.db, &st.config.data_key, &b.phone, st.now())
                .await
                .map_err(refused)?;
            Ok(json(
                StatusCode::OK,
                json!({
                    "ok": true,
                    "code": "sent",
                    "message": format!("{}{}", lang.t("验证码已发送至 ", "A code was sent to "), domain::values::Phone::parse(&b.phone)
                        .map(|p| domain::values::mask_phone(p.expose()))
                        .unwrap_or_default()),
                }),
            ))
        }
        Some(code) => {
            let token = store::phone_check::verify(&st.db, &st.config.data_key, &b.phone, &code, st.now())
                .await
                .map_err(refused)?;
            Ok(json(StatusCode::OK, json!({"ok": true, "code": "proven", "token": token})))
        }
    }
}
