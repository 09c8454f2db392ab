//! Webhooks of the SMS gateway (a citizen's reply) and the hotline's IVR (a
//! key pressed after a call), each behind its own shared secret sent as
//! `X-Haocha-Secret`; unset, the webhook is off (404).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use crate::web::ApiError;
use crate::AppState;

fn same(got: &str, want: &str) -> bool {
    got.len() == want.len() && got.bytes().zip(want.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0
}

fn secret_of(headers: &axum::http::HeaderMap) -> &str {
    headers.get("x-haocha-secret").and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn secret_ok(headers: &axum::http::HeaderMap, want: &Option<String>) -> Option<bool> {
    Some(same(secret_of(headers), want.as_deref()?))
}

#[derive(Debug, Deserialize)]
pub struct InboundSms {
    pub phone: String,
    pub text: String,
}

/// `POST /api/v1/sms/inbound` (header `X-Haocha-Secret`): a reply from a
/// citizen, from the SMS gateway. A reply of 1–5 rates the latest reminded,
/// unrated case of that phone (channel `sms_reply`); the answer is queued.
pub async fn sms_inbound(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Json<serde_json::Value>, ApiError> {
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
        store::sms::Inbound::NoCase => "no_case",
        store::sms::Inbound::NotUnderstood => "not_understood",
    };
    Ok(Json(serde_json::json!({ "result": result, "reply": answer })))
}

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

/// `POST /api/v1/exchange/inbound` (header `X-Haocha-Secret`: the secret of
/// one platform in `HAOCHA_EXCHANGE_INBOUND`, which names its profile and
/// the region whose cases it may rate; others are 404 to it): one
/// rating a citizen gave on that platform for one of our cases, as a JSON
/// object in the profile's shape. Stored once per (case, assessNumber) with
/// the channel mapped back: 201, or 200 with `resent` for the same rating
/// again; 404 for an unknown case, 409 when the case was rated otherwise
/// first, 422 naming the field for a bad code.
pub async fn exchange_inbound(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    if st.config.exchange_inbound.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "receiving from platforms is not configured (HAOCHA_EXCHANGE_INBOUND)",
        ));
    }
    let got = secret_of(&headers);
    let platform = st
        .config
        .exchange_inbound
        .iter()
        .fold(None, |found, p| if same(got, &p.secret) { Some(p) } else { found })
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "send the platform's secret as `X-Haocha-Secret`",
            )
        })?;
    let profile = platform.profile;
    let v: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("expected one JSON object in the {} shape: {e}", profile.code())))?;
    if !v.is_object() {
        return Err(ApiError::bad_request(format!(
            "expected one JSON object in the {} shape",
            profile.code()
        )));
    }
    let rec = profile.inbound(&v).map_err(|e| ApiError::invalid(e.field, e.message))?;
    let r = store::exchange::receive(&st.db, profile, platform.region.as_deref(), &rec, st.now()).await?;
    let status = if r.resent { StatusCode::OK } else { StatusCode::CREATED };
    Ok((
        status,
        Json(serde_json::json!({
            "rating_id": r.rating_id,
            "case_number": r.case_number,
            "level": r.level.code(),
            "channel": r.channel.code(),
            "assess_number": r.assess_number,
            "profile": profile.code(),
            "resent": r.resent,
        })),
    )
        .into_response())
}
