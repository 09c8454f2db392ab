//! The integration API for business systems: `/api/v1/*`, JSON, bearer keys.
//! Field names and values here are a contract for integrators.

pub mod docs;
pub mod stats;
pub mod webhooks;
pub mod work_orders;

use stats::__path_stats;
use work_orders::{__path_list_work_orders, __path_work_order};
pub use work_orders::{list_work_orders, work_order};

use axum::extract::{FromRequest, FromRequestParts, Query, Request, State};
use axum::http::{header, request::Parts, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::web::{ApiError, ErrorBody};
use crate::AppState;

/// The business system behind the request's bearer key.
pub struct ApiClient(pub i32);

impl FromRequestParts<AppState> for ApiClient {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .ok_or_else(ApiError::unauthorized)?;
        let client = store::keys::authenticate(&state.db, key).await?;
        Ok(ApiClient(client.id))
    }
}

/// A JSON body whose every rejection is a JSON error naming the problem.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.trim().to_ascii_lowercase().starts_with("application/json"));
        if !json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as `Content-Type: application/json`",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the body is larger than 64 KiB")
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_request", "the body could not be read")
            }
        })?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) => Ok(ApiJson(v)),
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                if inner.is_syntax() || inner.is_eof() || path == "." {
                    let field = missing_field(&inner.to_string());
                    let status = if field.is_some() {
                        StatusCode::UNPROCESSABLE_ENTITY
                    } else {
                        StatusCode::BAD_REQUEST
                    };
                    let err = ApiError::new(
                        status,
                        if field.is_some() { "invalid" } else { "bad_request" },
                        format!("invalid JSON: {inner}"),
                    );
                    return Err(match field {
                        Some(f) => err.field(f),
                        None => err,
                    });
                }
                Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("{path}: {inner}")).field(path))
            }
        }
    }
}

fn missing_field(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// Query parameters whose rejection is a JSON 400.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", e.body_text()))
    }
}

// ---- cases ----

/// A completed case (办件), reported by the business system that handled it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseIn {
    /// 办件编号, 1–50 characters, unique per business system.
    #[schema(example = "SY20261127000123", min_length = 1, max_length = 50)]
    pub case_number: String,
    /// 事项编码 of a known service item.
    #[schema(example = "11210100MB0001-001")]
    pub item_code: String,
    /// Code of the window where the case was handled.
    #[schema(example = "W01")]
    pub window_code: String,
    /// 工号 of the staff member, if one handled it.
    #[schema(example = "S1001")]
    pub staff_number: Option<String>,
    /// Applicant's phone (personal data: stored, never shown unmasked here).
    #[schema(example = "13800131234")]
    pub applicant_phone: Option<String>,
    pub applicant_name: Option<String>,
    /// Whether the applicant is identified (实名).
    #[serde(default)]
    pub real_name: bool,
    /// RFC 3339.
    #[schema(example = "2026-11-27T09:10:00+08:00", format = DateTime)]
    pub accepted_at: Option<String>,
    /// RFC 3339.
    #[schema(example = "2026-11-27T09:30:00+08:00", format = DateTime)]
    pub completed_at: String,
    /// 笔数: transactions in this visit (a batch is rated once). Default 1.
    #[schema(minimum = 1, maximum = 10000)]
    pub transactions: Option<i64>,
    /// 一件事 bundle this case belongs to.
    pub bundle_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseOut {
    pub id: i32,
    pub case_number: String,
    /// The page the applicant rates on (the dynamic QR encodes it).
    pub rating_url: String,
    pub qr_svg_url: String,
    pub qr_png_url: String,
}

/// Report a completed case; get its rating link and QR codes.
///
/// Idempotent: the same case number with the same body answers the same
/// (200); with a different body it is a 409.
#[utoipa::path(
    post, path = "/api/v1/cases", tag = "cases", request_body = CaseIn,
    security(("api_key" = [])),
    responses(
        (status = 201, description = "Case stored", body = CaseOut),
        (status = 200, description = "Identical resend: the stored case", body = CaseOut),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, description = "Unknown item/window/staff, malformed phone or time", body = ErrorBody),
    )
)]
pub async fn create_case(
    State(st): State<AppState>,
    ApiClient(client): ApiClient,
    ApiJson(c): ApiJson<CaseIn>,
) -> Result<Response, ApiError> {
    let input = store::cases::CaseInput {
        case_number: c.case_number,
        item_code: c.item_code,
        window_code: c.window_code,
        staff_number: c.staff_number,
        applicant_phone: c.applicant_phone,
        applicant_name: c.applicant_name,
        real_name: c.real_name,
        accepted_at: c.accepted_at,
        completed_at: c.completed_at,
        transactions: c.transactions,
        bundle_id: c.bundle_id,
    };
    let case_number = input.case_number.trim().to_string();
    let receipt = store::cases::create_case(&st.db, &st.config.data_key, client, &input, st.now(), st.config.token_ttl()).await?;
    let base = &st.config.public_url;
    let out = CaseOut {
        id: receipt.id,
        case_number,
        rating_url: format!("{base}/r/{}", receipt.token),
        qr_svg_url: format!("{base}/r/{}/qr.svg", receipt.token),
        qr_png_url: format!("{base}/r/{}/qr.png", receipt.token),
    };
    let status = if receipt.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(out)).into_response())
}

// ---- ratings ----

/// A rating collected by a business system itself (online platform, mobile app).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingIn {
    pub case_number: String,
    /// `very_satisfied`, `satisfied`, `basically_satisfied`, `dissatisfied`, `very_dissatisfied`.
    #[schema(example = "satisfied")]
    pub level: String,
    /// `item`, `staff`, `window`, `hall` or `platform`.
    #[schema(example = "item")]
    pub target: String,
    /// Tag codes; a bad level needs at least one.
    #[serde(default)]
    pub tags: Vec<String>,
    pub comment: Option<String>,
    /// `online` or `mobile`.
    #[schema(example = "online")]
    pub channel: String,
}

/// One rating. Case ratings (every channel), static-code and kiosk ratings
/// (`source` `place`: no case, `case_number` null) and default ratings
/// (`source` `default`, `channel` `default`) all have this shape.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingOut {
    /// Unique within its `source`.
    pub id: i32,
    /// `case`, `place` (static QR code or kiosk, no case) or `default`.
    #[schema(example = "case")]
    pub source: String,
    /// Null for static-code and kiosk ratings (they have no case).
    pub case_number: Option<String>,
    pub item_code: Option<String>,
    pub window_code: Option<String>,
    pub hall_code: Option<String>,
    pub staff_number: Option<String>,
    /// 行政区划代码 of the case (of the hall, without a case).
    pub region_code: String,
    pub level: String,
    /// 10, 8, 6, 3 or 0.
    pub score: i32,
    /// How it was given: `dynamic_qr`, `window_device`, `static_qr`, `kiosk`, `online`, `mobile`, `sms_link`, `sms_reply`, `hotline`, `phone_invite` or `default`.
    pub channel: String,
    pub target: String,
    pub tags: Vec<String>,
    pub comment: Option<String>,
    /// GB/T 39046 评价次数: 1 first rating, 2 follow-up; 3 a re-rating after a work order closed (haocha's own, counted apart).
    pub rating_count: i32,
    /// Null for default ratings.
    pub catalog_version: Option<i32>,
    /// Masked: 138****1234.
    pub applicant_phone: Option<String>,
    pub real_name: bool,
    /// 笔数 of the case; null without a case.
    pub transactions: Option<i32>,
    /// Null without a case.
    pub completed_at: Option<String>,
    pub rated_at: String,
    /// `same_browser`, `burst` or `device_burst`: kept but not counted (static codes and kiosks).
    pub flagged: Option<String>,
    /// Excluded from the statistics after an upheld appeal.
    pub excluded: bool,
    /// A default rating that a later active rating replaced.
    pub superseded: bool,
}

impl From<store::ratings::RatingRecord> for RatingOut {
    fn from(r: store::ratings::RatingRecord) -> RatingOut {
        RatingOut {
            id: r.id,
            source: "case".into(),
            case_number: Some(r.case_number),
            item_code: Some(r.item_code),
            window_code: Some(r.window_code),
            hall_code: Some(r.hall_code),
            staff_number: r.staff_number,
            region_code: r.region_code,
            level: r.level.code().to_string(),
            score: r.score,
            channel: r.channel,
            target: r.target,
            tags: r.tags,
            comment: r.comment,
            rating_count: r.rating_count,
            catalog_version: Some(r.catalog_version),
            applicant_phone: r.applicant_phone_masked,
            real_name: r.real_name,
            transactions: Some(r.transactions),
            completed_at: Some(r.completed_at.to_rfc3339()),
            rated_at: r.rated_at.to_rfc3339(),
            flagged: None,
            excluded: false,
            superseded: false,
        }
    }
}

impl From<store::browse::Line> for RatingOut {
    fn from(r: store::browse::Line) -> RatingOut {
        RatingOut {
            id: r.id,
            source: r.source.code().to_string(),
            case_number: r.case_number,
            item_code: r.item.map(|i| i.0),
            window_code: r.window.map(|w| w.0),
            hall_code: r.hall.map(|h| h.0),
            staff_number: r.staff.map(|s| s.0),
            region_code: r.region_code,
            level: r.level.code().to_string(),
            score: r.score,
            channel: r.channel,
            target: r.target,
            tags: r.tags,
            comment: r.comment,
            rating_count: r.rating_count,
            catalog_version: r.catalog_version,
            applicant_phone: r.phone_masked,
            real_name: r.real_name,
            transactions: r.transactions,
            completed_at: r.completed_at.map(|t| t.to_rfc3339()),
            rated_at: r.rated_at.to_rfc3339(),
            flagged: r.flagged,
            excluded: r.excluded,
            superseded: r.superseded,
        }
    }
}

/// Push a rating the business system collected itself.
///
/// The same rules as the rating page: a bad level needs a reason tag, and a
/// case is rated once per target. Send an `Idempotency-Key`; a repeat with the
/// same key and body returns the first answer. A key rates the cases it
/// reported, and those of the region or unit it was granted; any other case
/// number is unknown to it.
#[utoipa::path(
    post, path = "/api/v1/ratings", tag = "ratings", request_body = RatingIn,
    security(("api_key" = [])),
    params(("Idempotency-Key" = String, Header, description = "Unique per logical submission, 1–255 visible ASCII characters")),
    responses(
        (status = 201, description = "Rating stored (or the first answer for this key)", body = RatingOut),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 409, description = "Already rated, or the number names cases of several systems in the key's scope", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
pub async fn push_rating(
    State(st): State<AppState>,
    ApiClient(client): ApiClient,
    headers: HeaderMap,
    ApiJson(r): ApiJson<RatingIn>,
) -> Result<Response, ApiError> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let input = store::ratings::ApiRatingInput {
        case_number: r.case_number,
        level: r.level,
        target: r.target,
        tags: r.tags,
        comment: r.comment,
        channel: r.channel,
    };
    let rec = store::ratings::rate_by_api(&st.db, &st.config.data_key, client, &key, &input, st.now()).await?;
    Ok((StatusCode::CREATED, Json(RatingOut::from(rec))).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct RatingsQuery {
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// 1–500, default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RatingsPage {
    pub ratings: Vec<RatingOut>,
    /// Pass as `after` for the next page; null at the end.
    pub next: Option<String>,
}

/// Read ratings, oldest first: of your cases and those you pushed; with a key
/// granted a region or unit (`haocha api-key create NAME --scope CODE`), every
/// rating of that scope too — case ratings of every channel, static-code and
/// kiosk ratings (`source` `place`, `case_number` null) and default ratings
/// (`channel` `default`). Poll with `after` = the last page's `next`.
#[utoipa::path(
    get, path = "/api/v1/ratings", tag = "ratings", params(RatingsQuery),
    security(("api_key" = [])),
    responses((status = 200, body = RatingsPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn list_ratings(
    State(st): State<AppState>,
    ApiClient(client): ApiClient,
    ApiQuery(q): ApiQuery<RatingsQuery>,
) -> Result<Json<RatingsPage>, ApiError> {
    let after = match q.after.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => match store::browse::Cursor::decode(a) {
            Some(c) => Some(c),
            // A cursor of the earlier API: a case rating's id.
            None => match cursor(Some(a))? {
                Some(id) => Some(store::browse::legacy_cursor(&st.read, id).await?),
                None => None,
            },
        },
    };
    let limit = page_limit(q.limit, 500)?;
    let (rows, next) = store::browse::list(
        &st.read,
        &st.config.data_key,
        store::browse::Reader::Client(client),
        &store::browse::Filter::default(),
        after,
        store::browse::Direction::OldestFirst,
        limit,
    )
    .await?;
    Ok(Json(RatingsPage {
        ratings: rows.into_iter().map(RatingOut::from).collect(),
        next: next.map(|n| n.encode()),
    }))
}

/// A paging cursor (`after`) as this API returns it.
pub(crate) fn cursor(after: Option<&str>) -> Result<Option<i32>, ApiError> {
    match after.map(str::trim) {
        None | Some("") => Ok(None),
        Some(a) => Ok(Some(a.parse::<i32>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "after: not a cursor returned by this API",
            )
            .field("after")
        })?)),
    }
}

/// A page size: 1–`max`, default 100.
pub(crate) fn page_limit(limit: Option<u64>, max: u64) -> Result<u64, ApiError> {
    match limit {
        None => Ok(100.min(max)),
        Some(l) if (1..=max).contains(&l) => Ok(l),
        Some(_) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!("limit: must be between 1 and {max}"),
        )
        .field("limit")),
    }
}

// ---- code lists ----

#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// Entries to skip, default 0.
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub offset: Option<u64>,
    /// 1–500, default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CodeEntry {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WindowEntry {
    pub code: String,
    pub name: String,
    pub hall: Option<String>,
    /// The window's static rating page (a stable, versioned URL for printed codes).
    pub static_url: String,
    /// Its QR code as SVG.
    pub static_qr_svg_url: String,
    /// Its QR code as PNG, at least 1200 px wide.
    pub static_qr_png_url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffEntry {
    /// 工号
    pub number: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemsPage {
    pub items: Vec<CodeEntry>,
    pub total: u64,
    /// Offset of the next page; null at the end.
    pub next_offset: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WindowsPage {
    pub windows: Vec<WindowEntry>,
    pub total: u64,
    pub next_offset: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffPage {
    pub staff: Vec<StaffEntry>,
    pub total: u64,
    pub next_offset: Option<u64>,
}

/// The largest `offset` a code list accepts (a database takes at most a signed 64-bit one).
const MAX_OFFSET: u64 = 1_000_000_000;

fn page_bounds(q: &PageQuery) -> Result<(u64, u64), ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "limit: must be between 1 and 500").field("limit"));
    }
    let offset = q.offset.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!("offset: must be between 0 and {MAX_OFFSET}"),
        )
        .field("offset"));
    }
    Ok((offset, limit))
}

fn next_offset(offset: u64, len: usize, total: u64) -> Option<u64> {
    let end = offset + len as u64;
    (len > 0 && end < total).then_some(end)
}

async fn page(st: &AppState, kind: store::directory::Kind, q: &PageQuery) -> Result<(store::directory::Page, Option<u64>), ApiError> {
    let (offset, limit) = page_bounds(q)?;
    let p = store::directory::list(&st.db, kind, offset, limit).await?;
    let next = next_offset(offset, p.entries.len(), p.total);
    Ok((p, next))
}

/// Service items (事项) by code.
#[utoipa::path(get, path = "/api/v1/items", tag = "codes", params(PageQuery), security(("api_key" = [])),
    responses((status = 200, body = ItemsPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_items(State(st): State<AppState>, _c: ApiClient, ApiQuery(q): ApiQuery<PageQuery>) -> Result<Json<ItemsPage>, ApiError> {
    let (p, next_offset) = page(&st, store::directory::Kind::Items, &q).await?;
    Ok(Json(ItemsPage {
        items: p
            .entries
            .into_iter()
            .map(|e| CodeEntry {
                code: e.code,
                name: e.name,
            })
            .collect(),
        total: p.total,
        next_offset,
    }))
}

/// Windows by code.
#[utoipa::path(get, path = "/api/v1/windows", tag = "codes", params(PageQuery), security(("api_key" = [])),
    responses((status = 200, body = WindowsPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_windows(
    State(st): State<AppState>,
    _c: ApiClient,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<WindowsPage>, ApiError> {
    let (p, next_offset) = page(&st, store::directory::Kind::Windows, &q).await?;
    Ok(Json(WindowsPage {
        windows: p
            .entries
            .into_iter()
            .map(|e| {
                let url = format!("{}{}", st.config.public_url, crate::places::static_path("w", &e.code));
                WindowEntry {
                    static_qr_svg_url: format!("{url}/qr.svg"),
                    static_qr_png_url: format!("{url}/qr.png"),
                    static_url: url,
                    code: e.code,
                    name: e.name,
                    hall: e.detail,
                }
            })
            .collect(),
        total: p.total,
        next_offset,
    }))
}

/// Staff by job number (工号).
#[utoipa::path(get, path = "/api/v1/staff", tag = "codes", params(PageQuery), security(("api_key" = [])),
    responses((status = 200, body = StaffPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_staff(State(st): State<AppState>, _c: ApiClient, ApiQuery(q): ApiQuery<PageQuery>) -> Result<Json<StaffPage>, ApiError> {
    let (p, next_offset) = page(&st, store::directory::Kind::Staff, &q).await?;
    Ok(Json(StaffPage {
        staff: p
            .entries
            .into_iter()
            .map(|e| StaffEntry {
                number: e.code,
                name: e.name,
            })
            .collect(),
        total: p.total,
        next_offset,
    }))
}

// ---- the document ----

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "haocha integration API",
        version = "1",
        description = "Cases in, ratings out. 政务服务好差评系统对接接口。\n\nEvery refusal — of `/api/v1`, of the kiosk's `/device/api` and of the SMS and hotline webhooks — has one JSON body, `ErrorBody`: `{\"error\": CODE, \"message\": TEXT, \"field\": NAME | null}`. `error` is a stable code, `message` a sentence for people, `field` the input field the refusal is about."
    ),
    paths(create_case, push_rating, list_ratings, list_items, list_windows, list_staff, list_work_orders, work_order, stats, openapi_json),
    modifiers(&BearerScheme)
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", responses((status = 200, description = "OpenAPI 3.1 document")))]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such API path; see /api/v1/openapi.json")
}
