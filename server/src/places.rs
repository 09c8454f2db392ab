//! Static QR codes of windows and halls (002 rule 12; SPEC §10: the URL shape
//! `/q/1/w/{code}` and `/q/1/h/{code}` is a contract, printed codes depend on
//! it), their images, and the print pages for posters and table cards.

use app::islands::FormInit;
use app::pages::message::{MessagePage, Tone};
use app::pages::print::{PrintCode, PrintPage};
use app::pages::rating::{PlaceRatingPage, RealNamePage, RealNameStep};
use app::text;
use app::{render, Lang};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::RatingInput;
use leptos::prelude::*;
use store::accounts::Scope;
use store::admin::Kind;
use store::place_ratings::{Place, PlaceView, Submission};

use crate::web::forms::{island_reply as json_reply, parse_rating_form as parse_form, wants_json};
use crate::web::{html, Anyone, ClientAddr, Language, Message, PageError, Signed};
use crate::{qr, AppState};

const RATER_COOKIE: &str = "hc_rater";
/// A phone proven by SMS code where the region requires real names.
const REAL_NAME_COOKIE: &str = "hc_real";

/// The versioned static path of a window (`w`) or hall (`h`).
pub fn static_path(kind: &str, code: &str) -> String {
    format!(
        "/q/1/{kind}/{}",
        form_urlencoded::byte_serialize(code.as_bytes()).collect::<String>()
    )
}

fn place_of<'a>(kind: &str, code: &'a str) -> Option<Place<'a>> {
    match kind {
        "w" => Some(Place::Window(code)),
        "h" => Some(Place::Hall(code)),
        _ => None,
    }
}

fn rater_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix("hc_rater=").map(str::to_string))
        .filter(|v| (16..=64).contains(&v.len()) && v.chars().all(|c| c.is_ascii_alphanumeric()))
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix(name)?.strip_prefix('=').map(str::to_string))
        .filter(|v| (16..=64).contains(&v.len()) && v.chars().all(|c| c.is_ascii_alphanumeric()))
}

fn real_name_cookie(token: &str, max_age: i64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{REAL_NAME_COOKIE}={token}; Path=/q/; Max-Age={max_age}; HttpOnly; SameSite=Lax"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("hc_real=; Path=/q/; Max-Age=0"))
}

fn rater_cookie(id: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("{RATER_COOKIE}={id}; Path=/q/; Max-Age=31536000; HttpOnly; SameSite=Lax"))
        .unwrap_or_else(|_| HeaderValue::from_static("hc_rater=; Path=/q/"))
}

fn not_found(st: &AppState, lang: Lang, path: String) -> Response {
    Message::new(
        StatusCode::NOT_FOUND,
        Tone::Problem,
        lang.t("二维码无效", "This code is not valid"),
        lang.t(
            "该窗口或大厅不存在或已停用。",
            "This window or hall does not exist or is no longer in use.",
        ),
        path,
    )
    .render(st, lang, None)
}

fn legend(lang: Lang, p: &PlaceView) -> String {
    match (lang, p.window_id.is_some()) {
        (Lang::Zh, true) => "对窗口服务的评价".into(),
        (Lang::Zh, false) => "对大厅服务的评价".into(),
        (Lang::En, true) => "Your rating of this window's service".into(),
        (Lang::En, false) => "Your rating of this hall's service".into(),
    }
}

fn form_page(
    st: &AppState,
    lang: Lang,
    p: PlaceView,
    init: FormInit,
    status: StatusCode,
    cookies: Vec<HeaderValue>,
    proven: Option<String>,
) -> Response {
    let (hall, window) = (p.hall_name.clone(), p.window_name.clone());
    let doc = render::document(
        &st.leptos,
        lang,
        lang.t("服务评价", "Rate the service").to_string(),
        true,
        None,
        move || {
            view! { <PlaceRatingPage lang=lang hall_name=hall window_name=window init=init proven=proven/> }
        },
    );
    let mut res = html(status, doc, None);
    for c in cookies {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// `GET /q/1/{w|h}/{code}`
pub async fn page(
    State(st): State<AppState>,
    Path((kind, code)): Path<(String, String)>,
    Language { lang, cookie: lang_cookie }: Language,
    headers: HeaderMap,
) -> Response {
    let path = static_path(&kind, &code);
    let Some(place) = place_of(&kind, &code) else {
        return not_found(&st, lang, path);
    };
    let p = match store::place_ratings::place(&st.db, place).await {
        Ok(p) => p,
        Err(store::Error::NotFound(_)) => return not_found(&st, lang, path),
        Err(e) => return PageError::internal(e).into_response(),
    };
    let mut cookies: Vec<HeaderValue> = lang_cookie.into_iter().collect();
    if rater_id(&headers).is_none() {
        cookies.push(rater_cookie(&store::random_token(16)));
    }
    let proven = if p.real_name {
        let token = cookie_value(&headers, REAL_NAME_COOKIE).unwrap_or_default();
        match store::phone_check::proven_phone(&st.db, &st.config.data_key, &token, st.now()).await {
            Ok(Some(masked)) => Some(masked),
            Ok(None) => {
                let step = RealNameStep {
                    path,
                    ..Default::default()
                };
                return real_name_page(&st, lang, p, step, StatusCode::OK, cookies);
            }
            Err(e) => return PageError::internal(e).into_response(),
        }
    } else {
        None
    };
    let init = FormInit {
        action: path,
        submission: Some(store::random_token(16)),
        legend: Some(legend(lang, &p)),
        lang,
        ..Default::default()
    };
    form_page(&st, lang, p, init, StatusCode::OK, cookies, proven)
}

fn real_name_page(st: &AppState, lang: Lang, p: PlaceView, step: RealNameStep, status: StatusCode, cookies: Vec<HeaderValue>) -> Response {
    let (hall, window) = (p.hall_name.clone(), p.window_name.clone());
    let doc = render::document(
        &st.leptos,
        lang,
        lang.t("实名评价", "Real-name rating").to_string(),
        false,
        None,
        move || {
            view! { <RealNamePage lang=lang hall_name=hall window_name=window step=step/> }
        },
    );
    let mut res = html(status, doc, None);
    for c in cookies {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// `POST /q/1/{w|h}/{code}/verify` (`action` = `send` with `phone`, or
/// `check` with `phone` and `code`): the real-name step of a static code
/// where the region requires real names (issue 13 item 6).
pub async fn verify(
    State(st): State<AppState>,
    Path((kind, code, file)): Path<(String, String, String)>,
    Language { lang, .. }: Language,
    body: Bytes,
) -> Response {
    let path = static_path(&kind, &code);
    let place = match place_of(&kind, &code) {
        Some(place) if file == "verify" => place,
        _ => return not_found(&st, lang, path),
    };
    let p = match store::place_ratings::place(&st.db, place).await {
        Ok(p) if p.real_name => p,
        Ok(_) | Err(store::Error::NotFound(_)) => return not_found(&st, lang, path),
        Err(e) => return PageError::internal(e).into_response(),
    };
    let field = |name: &str| crate::web::form_field(&body, name);
    let phone = field("phone").trim().to_string();
    let mut step = RealNameStep {
        path: path.clone(),
        phone: phone.clone(),
        ..Default::default()
    };
    let refused = |e: &store::Error| match e {
        store::Error::Invalid { reason, .. } => {
            let status = match reason {
                store::Reason::CodeTooSoon { .. } => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            Some((status, text::reason(lang, reason)))
        }
        _ => None,
    };
    if field("action") == "check" {
        return match store::phone_check::verify(&st.db, &st.config.data_key, &phone, &field("code"), st.now()).await {
            Ok(token) => {
                let mut res = axum::response::Redirect::to(&format!("{path}?lang={}", lang.code())).into_response();
                let max_age = store::phone_check::PROVEN_MINUTES * 60;
                res.headers_mut().append(header::SET_COOKIE, real_name_cookie(&token, max_age));
                res
            }
            Err(e) => match refused(&e) {
                Some((status, m)) => {
                    step.sent = true;
                    step.error = Some(m);
                    real_name_page(&st, lang, p, step, status, vec![])
                }
                None => PageError::internal(e).into_response(),
            },
        };
    }
    match store::phone_check::send(&st.db, &st.config.data_key, &phone, st.now()).await {
        Ok(()) => {
            step.sent = true;
            step.notice = Some(format!(
                "{}{}",
                lang.t("验证码已发送至 ", "A code was sent to "),
                domain::values::mask_phone(&phone)
            ));
            real_name_page(&st, lang, p, step, StatusCode::OK, vec![])
        }
        Err(e) => match refused(&e) {
            Some((status, m)) => {
                // Asked again within the minute: the code sent before still works.
                step.sent = status == StatusCode::TOO_MANY_REQUESTS;
                step.error = Some(m);
                real_name_page(&st, lang, p, step, status, vec![])
            }
            None => PageError::internal(e).into_response(),
        },
    }
}

/// `POST /q/1/{w|h}/{code}`: plain form or the island's fetch.
pub async fn submit(
    State(st): State<AppState>,
    Path((kind, code)): Path<(String, String)>,
    Language { lang, .. }: Language,
    addr: ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let json = wants_json(&headers);
    let path = static_path(&kind, &code);
    let Some(place) = place_of(&kind, &code) else {
        return not_found(&st, lang, path);
    };
    let p = match store::place_ratings::place(&st.db, place).await {
        Ok(p) => p,
        Err(store::Error::NotFound(_)) if json => {
            return json_reply(StatusCode::NOT_FOUND, false, "not_found", "unknown window or hall", None)
        }
        Err(store::Error::NotFound(_)) => return not_found(&st, lang, path),
        Err(e) => return PageError::internal(e).into_response(),
    };
    let Some(form) = parse_form(&body) else {
        return json_reply(StatusCode::BAD_REQUEST, false, "bad_request", text::not_utf8(lang), None);
    };
    let input = match RatingInput::parse(&form.level, &form.tags, Some(&form.comment)) {
        Ok(i) => i,
        Err(e) => {
            let msg = text::rating_error(lang, &e, false).to_string();
            if json {
                return json_reply(StatusCode::UNPROCESSABLE_ENTITY, false, "invalid", &msg, Some(e.field()));
            }
            let init = FormInit {
                action: path,
                submission: Some(form.submission.clone())
                    .filter(|s| !s.is_empty())
                    .or_else(|| Some(store::random_token(16))),
                legend: Some(legend(lang, &p)),
                lang,
                level: Some(form.level.clone()).filter(|l| domain::Level::parse(l).is_some()),
                tags: form.tags.clone(),
                comment: form.comment.clone(),
                error: Some(msg),
                ..Default::default()
            };
            return form_page(&st, lang, p, init, StatusCode::UNPROCESSABLE_ENTITY, vec![], None);
        }
    };
    // Without the cookie (first visit with cookies off) the burst rule still applies.
    let (rater, new_cookie) = match rater_id(&headers) {
        Some(r) => (r, None),
        None => {
            let r = store::random_token(16);
            let c = rater_cookie(&r);
            (r, Some(c))
        }
    };
    let token = cookie_value(&headers, REAL_NAME_COOKIE);
    let mut sub = Submission::static_qr(&input, form.submission.trim(), &rater, addr.0.as_deref());
    sub.real_name_token = token.as_deref();
    let stored = match store::place_ratings::rate(&st.db, &st.config.data_key, &p, &sub, Some(&st.config.static_limits), st.now()).await {
        Ok(s) => s,
        Err(store::Error::Invalid {
            field: "phone",
            reason: reason @ store::Reason::RealNameNeeded,
        }) => {
            // No proven phone (or its proof was used): the real-name step again.
            let m = text::reason(lang, &reason);
            if json {
                return json_reply(StatusCode::UNPROCESSABLE_ENTITY, false, "real_name", &m, Some("phone"));
            }
            let step = RealNameStep {
                path,
                error: Some(m),
                ..Default::default()
            };
            return real_name_page(&st, lang, p, step, StatusCode::UNPROCESSABLE_ENTITY, vec![]);
        }
        Err(store::Error::Invalid { field, .. }) => {
            let m = lang.t(
                "表单不完整，请刷新页面后重新评价。",
                "The form is incomplete; reload the page and rate again.",
            );
            return if json {
                json_reply(StatusCode::UNPROCESSABLE_ENTITY, false, "invalid", m, Some(field))
            } else {
                Message::new(StatusCode::UNPROCESSABLE_ENTITY, Tone::Problem, m, m, path).render(&st, lang, None)
            };
        }
        Err(e) => return PageError::internal(e).into_response(),
    };
    let text = if stored.repeat_reason.is_some() {
        lang.t(
            "您刚刚已评价过这里。本次评价已记录，供核查，但不重复计入统计。",
            "You rated this place a moment ago. This rating is kept for review but not counted twice.",
        )
    } else {
        lang.t(
            "您的评价已提交，我们会认真对待每一条意见。",
            "Your rating has been recorded. Every opinion is followed up.",
        )
    };
    let status = if stored.resent { StatusCode::OK } else { StatusCode::CREATED };
    let mut res = if json {
        json_reply(
            status,
            true,
            if stored.repeat_reason.is_some() { "repeat" } else { "rated" },
            text,
            None,
        )
    } else {
        let title = lang.t("感谢您的评价", "Thank you").to_string();
        let text = text.to_string();
        let doc = render::document(&st.leptos, lang, title.clone(), false, None, move || {
            view! { <MessagePage lang=lang tone=Tone::Ok title=title text=text path=path/> }
        });
        html(status, doc, None)
    };
    if let Some(c) = new_cookie {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    if token.is_some() && p.real_name {
        // The proof was good for this one rating.
        res.headers_mut().append(header::SET_COOKIE, real_name_cookie("", 0));
    }
    res
}

/// `GET /q/1/{w|h}/{code}/{qr.svg|qr.png}`: the static code as an image; the
/// PNG is at least 1200 px wide, for print.
pub async fn image(State(st): State<AppState>, Path((kind, code, file)): Path<(String, String, String)>) -> Response {
    let Some(place) = place_of(&kind, &code) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match store::place_ratings::place(&st.db, place).await {
        Ok(_) => {}
        Err(store::Error::NotFound(_)) => return (StatusCode::NOT_FOUND, "unknown window or hall").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "static qr lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    let url = format!("{}{}", st.config.public_url, static_path(&kind, &code));
    let disposition = format!(
        "inline; filename=\"haocha-{kind}-{code}.{}\"",
        if file == "qr.png" { "png" } else { "svg" }
    );
    let res = match file.as_str() {
        "qr.svg" => qr::svg(&url)
            .map(|s| s.into_bytes())
            .map_err(|e| e.to_string())
            .map(|b| ("image/svg+xml", b)),
        "qr.png" => qr::png_at_least(&url, 1200).map(|b| ("image/png", b)),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match res {
        Ok((ct, bytes)) => {
            let mut r = ([(header::CONTENT_TYPE, ct)], bytes).into_response();
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "qr render failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn print_code(st: &AppState, kind: &str, code: &str, title: String, subtitle: String) -> Result<PrintCode, String> {
    let path = static_path(kind, code);
    let url = format!("{}{path}", st.config.public_url);
    Ok(PrintCode {
        svg: qr::svg_inline(&url).map_err(|e| e.to_string())?,
        svg_href: format!("{path}/qr.svg"),
        png_href: format!("{path}/qr.png"),
        url,
        title,
        subtitle,
    })
}

/// `GET /print/{window|hall}/{code}`: an A4 poster and table cards, for staff
/// (their own window) and administrators (inside their scope).
pub async fn print(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Anyone>,
    Path((kind, code)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let place = match kind.as_str() {
        "window" => Place::Window(&code),
        "hall" => Place::Hall(&code),
        _ => return Err(PageError::NotFound),
    };
    let p = store::place_ratings::place(&st.db, place).await?;
    // Staff print their own window; administrators what their scope covers.
    let allowed = match (&ctx.actor.scope, p.window_id) {
        (Scope::Window(w), Some(id)) => *w == id,
        (Scope::Window(_), None) => false,
        (_, Some(_)) => store::admin::get(&st.db, &ctx.actor, Kind::Windows, &code).await.is_ok(),
        (_, None) => store::admin::get(&st.db, &ctx.actor, Kind::Halls, &code).await.is_ok(),
    };
    if !allowed {
        return Err(PageError::Forbidden);
    }
    let mut codes = Vec::new();
    let result = (|| -> Result<(), String> {
        match &p.window_code {
            Some(w) => codes.push(print_code(
                &st,
                "w",
                w,
                p.window_name.clone().unwrap_or_default(),
                p.hall_name.clone(),
            )?),
            None => codes.push(print_code(
                &st,
                "h",
                &p.hall_code,
                p.hall_name.clone(),
                lang.t("大厅服务评价", "Rate this hall").to_string(),
            )?),
        }
        Ok(())
    })();
    result.map_err(PageError::internal)?;
    if p.window_id.is_none() {
        for (wc, wn) in store::place_ratings::hall_windows(&st.db, p.hall_id).await? {
            codes.push(print_code(&st, "w", &wc, wn, p.hall_name.clone()).map_err(PageError::internal)?);
        }
    }
    let title = match &p.window_name {
        Some(w) => format!("{} · {w}", lang.t("打印评价二维码", "Print rating codes")),
        None => format!("{} · {}", lang.t("打印评价二维码", "Print rating codes"), p.hall_name),
    };
    let back = if ctx.actor.role.is_admin() { "/admin" } else { "/staff" }.to_string();
    let doc = render::document(&st.leptos, lang, title.clone(), false, None, move || {
        view! { <PrintPage lang=lang title=title codes=codes back=back/> }
    });
    Ok(html(StatusCode::OK, doc, ctx.cookie.clone()))
}
