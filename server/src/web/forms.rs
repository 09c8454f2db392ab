//! Reading what browsers post: url-encoded forms (the rating form with its
//! repeated tags, the administration forms) and multipart uploads.

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use axum::extract::Multipart;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;

/// A path segment, percent-encoded.
pub fn url_part(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Form fields; the last value of a repeated name wins. `None` for broken UTF-8.
pub fn form_map(body: &[u8]) -> Option<BTreeMap<String, String>> {
    let mut m = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(body) {
        if k.contains('\u{FFFD}') || v.contains('\u{FFFD}') {
            return None;
        }
        m.insert(k.into_owned(), v.into_owned());
    }
    Some(m)
}

/// One field of an url-encoded body ("" when absent).
pub fn form_field(body: &[u8], name: &str) -> String {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Every text field of a multipart form (first value of each name) and the
/// file named `file_field`. `Err` when the body cannot be read (too large for
/// the route's limit, or broken off).
pub async fn read_upload(multipart: &mut Multipart, file_field: &str) -> Result<(HashMap<String, String>, Option<Bytes>), ()> {
    let (mut fields, mut file) = (HashMap::new(), None);
    while let Some(field) = multipart.next_field().await.map_err(|_| ())? {
        match field.name().map(str::to_string) {
            Some(name) if name == file_field => file = Some(field.bytes().await.map_err(|_| ())?),
            Some(name) => {
                if let Ok(v) = field.text().await {
                    fields.entry(name).or_insert(v);
                }
            }
            None => {}
        }
    }
    Ok((fields, file))
}

/// The rating form as posted: repeated `tags` / `staff_tags` keys.
#[derive(Debug, Default)]
pub struct PostedForm {
    pub level: String,
    pub tags: Vec<String>,
    pub comment: String,
    pub staff_level: String,
    pub staff_tags: Vec<String>,
    pub submission: String,
    pub bundle_whole: bool,
}

/// `None` for broken UTF-8: refused instead of storing mojibake.
pub fn parse_rating_form(body: &[u8]) -> Option<PostedForm> {
    let mut f = PostedForm::default();
    for (k, v) in form_urlencoded::parse(body) {
        let v = v.into_owned();
        match k.as_ref() {
            "level" => f.level = v,
            "tags" => f.tags.push(v),
            "comment" => f.comment = v,
            "staff_level" => f.staff_level = v,
            "staff_tags" => f.staff_tags.push(v),
            "submission" => f.submission = v,
            "bundle" => f.bundle_whole = v == "whole",
            _ => {}
        }
    }
    // form_urlencoded replaces broken UTF-8 with U+FFFD.
    let all = [&f.level, &f.comment, &f.staff_level]
        .into_iter()
        .chain(f.tags.iter())
        .chain(f.staff_tags.iter());
    if all.into_iter().any(|s| s.contains('\u{FFFD}')) {
        return None;
    }
    Some(f)
}

/// The island posts with `Accept: application/json`; a plain form does not.
pub fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

/// A refused submission of a rating link, as the island reads it.
pub fn island_error(lang: app::Lang, e: store::Error) -> Response {
    let (status, code, m) = match &e {
        store::Error::AlreadyRated => (
            StatusCode::CONFLICT,
            "already_rated",
            lang.t("本次服务已评价，感谢您的参与！", "This service has already been rated. Thank you!"),
        ),
        store::Error::Expired => (
            StatusCode::GONE,
            "expired",
            lang.t("评价链接已过期。", "This rating link has expired."),
        ),
        store::Error::NotFound(_) => (
            StatusCode::NOT_FOUND,
            "not_found",
            lang.t("评价链接无效。", "This rating link is not valid."),
        ),
        store::Error::Invalid { .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            lang.t("提交的评价无效，请重新选择。", "The rating could not be read; please choose again."),
        ),
        other => {
            tracing::error!(error = %other, "rating submission failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                lang.t(
                    "系统繁忙，评价未保存，请稍后重试。",
                    "Something went wrong; nothing was saved. Please try again.",
                ),
            )
        }
    };
    island_reply(status, false, code, m, None)
}

/// The rating island's answer: `{ok, code, message, field}` (the island
/// shows `message` and marks `field`).
pub fn island_reply(status: StatusCode, ok: bool, code: &str, message: &str, field: Option<&str>) -> Response {
    super::respond::json(
        status,
        serde_json::json!({ "ok": ok, "code": code, "message": message, "field": field }),
    )
}

/// The fields of a form, url-encoded or multipart, and the non-empty files of
/// its `file_field` as (file name, bytes). `Err` when the body cannot be read
/// (too large, broken off, not UTF-8): then nothing may be changed.
pub async fn fields_and_files(
    req: axum::extract::Request,
    st: &crate::AppState,
    file_field: &str,
) -> Result<(HashMap<String, String>, Vec<(String, Vec<u8>)>), ()> {
    use axum::extract::FromRequest;
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let body = Bytes::from_request(req, st).await.map_err(|_| ())?;
        let form = form_map(&body).ok_or(())?;
        return Ok((form.into_iter().collect(), vec![]));
    }
    let mut m = Multipart::from_request(req, st).await.map_err(|_| ())?;
    let (mut fields, mut files) = (HashMap::new(), Vec::new());
    while let Some(field) = m.next_field().await.map_err(|_| ())? {
        let name = field.name().unwrap_or_default().to_string();
        if name == file_field {
            let file_name = field.file_name().unwrap_or_default().to_string();
            let bytes = field.bytes().await.map_err(|_| ())?;
            if !bytes.is_empty() {
                files.push((file_name, bytes.to_vec()));
            }
        } else if let Ok(v) = field.text().await {
            fields.entry(name).or_insert(v);
        }
    }
    Ok((fields, files))
}
