//! HTML pages: the rating page, the window screen, the start page, API docs.

use std::convert::Infallible;
use std::time::Duration;

use app::islands::FormInit;
use app::pages::message::{MessagePage, Tone};
use app::pages::screen::{ScreenBody, ScreenInfo, ScreenPage, ScreenState};
use app::pages::{home::HomePage, home::WindowLink, rating::RatingPage, CaseInfo};
use app::render;
use app::Lang;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use domain::RatingInput;
use futures::Stream;
use leptos::prelude::*;
use serde::Deserialize;
use store::cases::{TokenState, TokenView};
use store::follow_up::FollowUp;

use crate::{qr, AppState};

#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    pub lang: Option<String>,
}

/// `?lang=` first (and remembered in a cookie), then the cookie, then Accept-Language.
pub fn pick_lang(q: &LangQuery, headers: &HeaderMap) -> (Lang, Option<HeaderValue>) {
    if let Some(l) = q.lang.as_deref().and_then(Lang::parse) {
        let cookie = HeaderValue::from_str(&format!("lang={}; Path=/; Max-Age=31536000; SameSite=Lax", l.code())).ok();
        return (l, cookie);
    }
    let from_cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix("lang=").and_then(Lang::parse));
    if let Some(l) = from_cookie {
        return (l, None);
    }
    (
        Lang::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())),
        None,
    )
}

pub(crate) fn html(status: StatusCode, body: String, cookie: Option<HeaderValue>) -> Response {
    let mut res = (status, Html(body)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(c) = cookie {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    res
}

#[allow(clippy::too_many_arguments)] // each is one visible part of the page
pub(crate) fn message(
    st: &AppState,
    lang: Lang,
    status: StatusCode,
    tone: Tone,
    title: &str,
    text: &str,
    path: String,
    cookie: Option<HeaderValue>,
) -> Response {
    let (title, text) = (title.to_string(), text.to_string());
    let doc = render::document(&st.leptos, lang, title.clone(), false, None, move || {
        view! { <MessagePage lang=lang tone=tone title=title text=text path=path/> }
    });
    html(status, doc, cookie)
}

/// A message page with one link to the next step.
#[allow(clippy::too_many_arguments)]
pub(crate) fn message_with_link(
    st: &AppState,
    lang: Lang,
    status: StatusCode,
    tone: Tone,
    title: &str,
    text: &str,
    path: String,
    link: (String, String),
) -> Response {
    let (title, text) = (title.to_string(), text.to_string());
    let doc = render::document(&st.leptos, lang, title.clone(), false, None, move || {
        view! { <MessagePage lang=lang tone=tone title=title text=text path=path link=link/> }
    });
    html(status, doc, None)
}

pub(crate) fn internal(st: &AppState, lang: Lang, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "page failed");
    message(
        st,
        lang,
        StatusCode::INTERNAL_SERVER_ERROR,
        Tone::Problem,
        lang.t("系统繁忙", "Something went wrong"),
        lang.t("请稍后再试。您的操作没有被保存。", "Please try again later. Nothing was saved."),
        "/".into(),
        None,
    )
}

/// Pages for the outcomes a rating link can have besides the form.
fn token_outcome(st: &AppState, lang: Lang, err: &store::Error, path: String, cookie: Option<HeaderValue>) -> Response {
    match err {
        store::Error::NotFound(_) => message(
            st,
            lang,
            StatusCode::NOT_FOUND,
            Tone::Problem,
            lang.t("评价链接无效", "This rating link is not valid"),
            lang.t(
                "请检查链接或重新扫描窗口的二维码。",
                "Check the link, or scan the window's QR code again.",
            ),
            path,
            cookie,
        ),
        store::Error::Expired => message(
            st,
            lang,
            StatusCode::GONE,
            Tone::Problem,
            lang.t("评价链接已过期", "This rating link has expired"),
            lang.t(
                "如需评价，请联系办理窗口或通过政务服务网评价。",
                "To rate, please ask at the window or use the online service portal.",
            ),
            path,
            cookie,
        ),
        store::Error::AlreadyRated => message(
            st,
            lang,
            StatusCode::OK,
            Tone::Info,
            lang.t("已评价", "Already rated"),
            lang.t("本次服务已评价，感谢您的参与！", "This service has already been rated. Thank you!"),
            path,
            cookie,
        ),
        other => internal(st, lang, other),
    }
}

fn case_info(t: &TokenView) -> CaseInfo {
    CaseInfo {
        item_name: t.case.item_name.clone(),
        window_name: t.case.window_name.clone(),
        hall_name: t.case.hall_name.clone(),
        staff_name: t.case.staff.as_ref().map(|s| s.name.clone()),
        staff_number: t.case.staff.as_ref().map(|s| s.number.clone()),
        transactions: t.case.transactions,
        bundle: Vec::new(),
    }
}

/// The case as its page shows it, with the other items of its 一件事 bundle.
fn case_with_bundle(t: &TokenView, bundle: Vec<store::cases::BundleItem>) -> CaseInfo {
    CaseInfo {
        bundle: bundle
            .into_iter()
            .map(|b| (b.item_name, format!("/r/{}", b.token), b.rated))
            .collect(),
        ..case_info(t)
    }
}

fn staff_label(lang: Lang, t: &TokenView) -> Option<String> {
    t.case.staff.as_ref().map(|s| match lang {
        Lang::Zh => format!("{}（工号 {}）", s.name, s.number),
        Lang::En => format!("{} (No. {})", s.name, s.number),
    })
}

fn rating_form(st: &AppState, lang: Lang, t: &TokenView, init: FormInit, status: StatusCode, cookie: Option<HeaderValue>) -> Response {
    rating_form_with(st, lang, case_info(t), init, status, cookie)
}

fn rating_form_with(
    st: &AppState,
    lang: Lang,
    case: CaseInfo,
    init: FormInit,
    status: StatusCode,
    cookie: Option<HeaderValue>,
) -> Response {
    let doc = render::document(
        &st.leptos,
        lang,
        lang.t("服务评价", "Rate the service").to_string(),
        true,
        None,
        move || {
            view! { <RatingPage lang=lang case=case init=init/> }
        },
    );
    html(status, doc, cookie)
}

/// `GET /r/{token}`
pub async fn rating_page(
    State(st): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let (lang, cookie) = pick_lang(&q, &headers);
    let path = format!("/r/{token}");
    let view = match store::cases::token_view(&st.db, &token, st.now()).await {
        Ok(v) => v,
        Err(e) => return token_outcome(&st, lang, &e, path, cookie),
    };
    let follow_up = match store::follow_up::status(&st.db, &token, st.now()).await {
        Ok(f) => f,
        Err(e) => return token_outcome(&st, lang, &e, path, cookie),
    };
    if follow_up != FollowUp::NotRated {
        return rated_page(&st, lang, &token, follow_up, path, cookie);
    }
    match view.state {
        TokenState::Used => token_outcome(&st, lang, &store::Error::AlreadyRated, path, cookie),
        TokenState::Expired => token_outcome(&st, lang, &store::Error::Expired, path, cookie),
        TokenState::Open => {
            let bundle = match store::cases::bundle_items(&st.db, &token, st.now(), st.config.token_ttl()).await {
                Ok(b) => b,
                Err(e) => return internal(&st, lang, e),
            };
            let init = FormInit {
                action: format!("/r/{}", view.token),
                lang,
                staff_label: staff_label(lang, &view),
                bundle_whole: bundle.iter().any(|b| !b.rated).then_some(true),
                ..Default::default()
            };
            let case = case_with_bundle(&view, bundle);
            rating_form_with(&st, lang, case, init, StatusCode::OK, cookie)
        }
    }
}

/// A rated case's link: thanks, and the one follow-up while its window is open.
fn rated_page(st: &AppState, lang: Lang, token: &str, f: FollowUp, path: String, cookie: Option<HeaderValue>) -> Response {
    let title = lang.t("已评价", "Already rated");
    match f {
        FollowUp::Open { until } => message_with_link(
            st,
            lang,
            StatusCode::OK,
            Tone::Info,
            title,
            &format!(
                "{}{}{}",
                lang.t(
                    "本次服务已评价，感谢您的参与！如有补充，可在 ",
                    "This service has been rated, thank you! To add something, you may add one follow-up until "
                ),
                until.with_timezone(&store::console::china()).format("%Y-%m-%d %H:%M"),
                lang.t(" 前追加评价一次。", "."),
            ),
            path,
            (format!("/r/{token}/more"), lang.t("追加评价", "Add a follow-up").to_string()),
        ),
        FollowUp::Done => message(
            st,
            lang,
            StatusCode::OK,
            Tone::Info,
            title,
            lang.t(
                "本次服务已评价，并已追加评价一次，不能再次追加。感谢您的参与！",
                "This service has been rated and followed up once; no further follow-up is possible. Thank you!",
            ),
            path,
            cookie,
        ),
        _ => token_outcome(st, lang, &store::Error::AlreadyRated, path, cookie),
    }
}

fn follow_up_form(st: &AppState, lang: Lang, view: &TokenView, init: FormInit, status: StatusCode) -> Response {
    rating_form(st, lang, view, init, status, None)
}

fn follow_up_init(lang: Lang, token: &str) -> FormInit {
    FormInit {
        action: format!("/r/{token}/more"),
        legend: Some(
            lang.t(
                "追加评价（仅可追加一次，不会覆盖原评价）",
                "Follow-up (once only; your first rating stays)",
            )
            .into(),
        ),
        lang,
        ..Default::default()
    }
}

/// `GET /r/{token}/more`: the follow-up form while the window is open.
pub async fn follow_up_page(
    State(st): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let (lang, cookie) = pick_lang(&q, &headers);
    let path = format!("/r/{token}/more");
    let view = match store::cases::token_view(&st.db, &token, st.now()).await {
        Ok(v) => v,
        Err(e) => return token_outcome(&st, lang, &e, path, cookie),
    };
    match store::follow_up::status(&st.db, &token, st.now()).await {
        Ok(FollowUp::Open { .. }) => follow_up_form(&st, lang, &view, follow_up_init(lang, &token), StatusCode::OK),
        Ok(FollowUp::NotRated) => Redirect::to(&format!("/r/{token}")).into_response(),
        Ok(FollowUp::Done) => rated_page(&st, lang, &token, FollowUp::Done, path, cookie),
        Ok(FollowUp::Closed) => follow_up_closed(&st, lang, path),
        Err(e) => token_outcome(&st, lang, &e, path, cookie),
    }
}

fn follow_up_closed(st: &AppState, lang: Lang, path: String) -> Response {
    message(
        st,
        lang,
        StatusCode::GONE,
        Tone::Problem,
        lang.t("追加评价期限已过", "The follow-up period has ended"),
        lang.t(
            "追加评价须在首次评价后的规定期限内进行。如有问题，请拨打 12345 热线反映。",
            "A follow-up must be made within the set period after the first rating. For other concerns, call the 12345 hotline.",
        ),
        path,
        None,
    )
}

/// `POST /r/{token}/more`: stores the one follow-up (rating count 2).
pub async fn submit_follow_up(
    State(st): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (lang, cookie) = pick_lang(&q, &headers);
    let json = wants_json(&headers);
    let path = format!("/r/{token}/more");
    let Ok(form) = parse_form(&body) else {
        let m = lang.t("提交内容不是有效的 UTF-8 文本。", "The submission is not valid UTF-8 text.");
        return json_reply(StatusCode::BAD_REQUEST, false, "bad_request", m, None);
    };
    let input = match RatingInput::parse(&form.level, &form.tags, Some(&form.comment)) {
        Ok(i) => i,
        Err(e) => {
            let msg = submission_message(lang, &e, false);
            if json {
                return json_reply(StatusCode::UNPROCESSABLE_ENTITY, false, "invalid", &msg, Some(e.field()));
            }
            return match store::cases::token_view(&st.db, &token, st.now()).await {
                Ok(view) => {
                    let init = FormInit {
                        level: Some(form.level.clone()).filter(|l| domain::Level::parse(l).is_some()),
                        tags: form.tags.clone(),
                        comment: form.comment.clone(),
                        error: Some(msg),
                        ..follow_up_init(lang, &token)
                    };
                    follow_up_form(&st, lang, &view, init, StatusCode::UNPROCESSABLE_ENTITY)
                }
                Err(e) => token_outcome(&st, lang, &e, path, cookie),
            };
        }
    };
    let thanks = lang.t("您的追加评价已提交，感谢您的补充！", "Your follow-up has been recorded. Thank you!");
    match store::follow_up::add(&st.db, &token, &input, st.now()).await {
        Ok(_) if json => json_reply(StatusCode::CREATED, true, "followed_up", thanks, None),
        Ok(_) => message(
            &st,
            lang,
            StatusCode::CREATED,
            Tone::Ok,
            lang.t("追加评价成功", "Follow-up saved"),
            thanks,
            path,
            cookie,
        ),
        Err(store::Error::AlreadyRated) => {
            let m = lang.t(
                "您已追加评价过一次，不能再次追加。",
                "You have already added a follow-up; only one is possible.",
            );
            if json {
                json_reply(StatusCode::CONFLICT, false, "already_followed_up", m, None)
            } else {
                message(
                    &st,
                    lang,
                    StatusCode::CONFLICT,
                    Tone::Info,
                    lang.t("已追加评价", "Already followed up"),
                    m,
                    path,
                    cookie,
                )
            }
        }
        Err(store::Error::Expired) => {
            if json {
                json_reply(
                    StatusCode::GONE,
                    false,
                    "follow_up_closed",
                    lang.t("追加评价期限已过。", "The follow-up period has ended."),
                    None,
                )
            } else {
                follow_up_closed(&st, lang, path)
            }
        }
        Err(store::Error::Invalid { .. }) => {
            let m = lang.t("请先完成评价，再追加。", "Rate first; a follow-up adds to a rating.");
            if json {
                json_reply(StatusCode::CONFLICT, false, "not_rated", m, None)
            } else {
                Redirect::to(&format!("/r/{token}")).into_response()
            }
        }
        Err(e) => token_outcome(&st, lang, &e, path, cookie),
    }
}

/// The rating form as posted: repeated `tags` / `staff_tags` keys.
#[derive(Debug, Default)]
pub(crate) struct PostedForm {
    pub level: String,
    pub tags: Vec<String>,
    pub comment: String,
    pub staff_level: String,
    pub staff_tags: Vec<String>,
    pub submission: String,
    pub bundle_whole: bool,
}

pub(crate) fn parse_form(body: &[u8]) -> Result<PostedForm, ()> {
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
    // form_urlencoded replaces broken UTF-8 with U+FFFD: refuse instead of storing mojibake.
    let all = [&f.level, &f.comment, &f.staff_level]
        .into_iter()
        .chain(f.tags.iter())
        .chain(f.staff_tags.iter());
    if all.into_iter().any(|s| s.contains('\u{FFFD}')) {
        return Err(());
    }
    Ok(f)
}

pub(crate) fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

pub(crate) fn json_reply(status: StatusCode, ok: bool, code: &str, message: &str, field: Option<&str>) -> Response {
    let mut res = (
        status,
        Json(serde_json::json!({ "ok": ok, "code": code, "message": message, "field": field })),
    )
        .into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub(crate) fn submission_message(lang: Lang, e: &domain::RatingError, staff: bool) -> String {
    use domain::RatingError as E;
    let s = match (e, staff) {
        (E::UnknownLevel(l), false) if l.is_empty() => lang.t("请选择对办理事项的评价。", "Please choose a rating for the service."),
        (E::ReasonRequired, false) => lang.t("差评请至少选择一项原因。", "A bad rating needs at least one reason."),
        (E::ReasonRequired, true) => lang.t(
            "对工作人员的差评请至少选择一项原因。",
            "A bad rating of the staff member needs at least one reason.",
        ),
        (E::Comment(_), _) => lang.t(
            "意见内容过长（最多 500 字）或含有无效字符。",
            "The comment is too long (500 characters at most) or has invalid characters.",
        ),
        _ => lang.t("提交的评价无效，请重新选择。", "The rating could not be read; please choose again."),
    };
    s.to_string()
}

/// `POST /r/{token}`: plain form post (no JavaScript) or the island's fetch
/// (`Accept: application/json`).
pub async fn submit_rating(
    State(st): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (lang, cookie) = pick_lang(&q, &headers);
    let json = wants_json(&headers);
    let path = format!("/r/{token}");
    let Ok(form) = parse_form(&body) else {
        let m = lang.t("提交内容不是有效的 UTF-8 文本。", "The submission is not valid UTF-8 text.");
        return if json {
            json_reply(StatusCode::BAD_REQUEST, false, "bad_request", m, None)
        } else {
            internal(&st, lang, m)
        };
    };
    let item = RatingInput::parse(&form.level, &form.tags, Some(&form.comment)).map_err(|e| (e, false));
    let staff = if form.staff_level.trim().is_empty() {
        Ok(None)
    } else {
        RatingInput::parse(&form.staff_level, &form.staff_tags, None)
            .map(Some)
            .map_err(|e| (e, true))
    };
    let submission = match (item, staff) {
        (Ok(item), Ok(staff)) => store::ratings::PageSubmission {
            item,
            staff,
            bundle_whole: form.bundle_whole,
        },
        (Err((e, is_staff)), _) | (_, Err((e, is_staff))) => {
            let msg = submission_message(lang, &e, is_staff);
            let field = if is_staff { "staff_level" } else { e.field() };
            if json {
                return json_reply(StatusCode::UNPROCESSABLE_ENTITY, false, "invalid", &msg, Some(field));
            }
            // Re-show the form with what was chosen and the reason, nothing stored.
            return match store::cases::token_view(&st.db, &token, st.now()).await {
                Ok(view) if view.state == TokenState::Open => {
                    let bundle = store::cases::bundle_items(&st.db, &token, st.now(), st.config.token_ttl())
                        .await
                        .unwrap_or_default();
                    let init = FormInit {
                        action: format!("/r/{}", view.token),
                        lang,
                        staff_label: staff_label(lang, &view),
                        level: Some(form.level.clone()).filter(|l| domain::Level::parse(l).is_some()),
                        tags: form.tags.clone(),
                        comment: form.comment.clone(),
                        staff_level: Some(form.staff_level.clone()).filter(|l| domain::Level::parse(l).is_some()),
                        staff_tags: form.staff_tags.clone(),
                        error: Some(msg),
                        bundle_whole: bundle.iter().any(|b| !b.rated).then_some(form.bundle_whole),
                        ..Default::default()
                    };
                    let case = case_with_bundle(&view, bundle);
                    rating_form_with(&st, lang, case, init, StatusCode::UNPROCESSABLE_ENTITY, cookie)
                }
                Ok(view) if view.state == TokenState::Used => token_outcome(&st, lang, &store::Error::AlreadyRated, path, cookie),
                Ok(_) => token_outcome(&st, lang, &store::Error::Expired, path, cookie),
                Err(e) => token_outcome(&st, lang, &e, path, cookie),
            };
        }
    };
    match store::ratings::rate_by_token(&st.db, &token, &submission, st.now()).await {
        Ok(_) => {
            let thanks = lang.t(
                "您的评价已提交，我们会认真对待每一条意见。",
                "Your rating has been recorded. Every opinion is followed up.",
            );
            if json {
                json_reply(StatusCode::CREATED, true, "rated", thanks, None)
            } else {
                message(
                    &st,
                    lang,
                    StatusCode::CREATED,
                    Tone::Ok,
                    lang.t("评价成功，感谢您的评价！", "Thank you, your rating is saved."),
                    thanks,
                    path,
                    cookie,
                )
            }
        }
        Err(e) if json => {
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
            json_reply(status, false, code, m, None)
        }
        Err(store::Error::Invalid { .. }) => message(
            &st,
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            Tone::Problem,
            lang.t("提交的评价无效", "The rating could not be read"),
            lang.t("请返回重新选择。", "Please go back and choose again."),
            path,
            cookie,
        ),
        Err(e) => token_outcome(&st, lang, &e, path, cookie),
    }
}

/// `GET /r/{token}/qr.svg` and `/qr.png`: the code of the rating link.
pub async fn qr_image(State(st): State<AppState>, Path((token, file)): Path<(String, String)>) -> Response {
    let view = match store::cases::token_view(&st.db, &token, st.now()).await {
        Ok(v) => v,
        Err(store::Error::NotFound(_)) => return (StatusCode::NOT_FOUND, "unknown rating link").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "qr lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let url = format!("{}/r/{}", st.config.public_url, view.token);
    let res = match file.as_str() {
        "qr.svg" => qr::svg(&url)
            .map(|s| ([(header::CONTENT_TYPE, "image/svg+xml")], s).into_response())
            .map_err(|e| e.to_string()),
        "qr.png" => qr::png(&url, 8).map(|p| ([(header::CONTENT_TYPE, "image/png")], p).into_response()),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    res.unwrap_or_else(|e| {
        tracing::error!(error = %e, "qr render failed");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    })
}

async fn screen_info(st: &AppState, code: &str) -> Result<ScreenInfo, store::Error> {
    let s = store::cases::window_screen(&st.db, code, st.now()).await?;
    let state = match s.current {
        None => ScreenState::Idle,
        Some(t) => match t.state {
            TokenState::Expired => ScreenState::Idle,
            TokenState::Used => ScreenState::Thanks,
            TokenState::Open => {
                let rating_url = format!("{}/r/{}", st.config.public_url, t.token);
                let qr_svg = qr::svg_inline(&rating_url).map_err(|e| store::Error::invalid("qr", e.to_string()))?;
                ScreenState::Rate {
                    qr_svg,
                    rating_url,
                    item_name: t.case.item_name.clone(),
                    staff_name: t.case.staff.as_ref().map(|s| s.name.clone()),
                    staff_number: t.case.staff.as_ref().map(|s| s.number.clone()),
                }
            }
        },
    };
    Ok(ScreenInfo {
        window_code: s.window_code,
        window_name: s.window_name,
        hall_name: s.hall_name,
        state,
    })
}

/// `GET /w/{window_code}/screen`
pub async fn window_screen(
    State(st): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let (lang, cookie) = pick_lang(&q, &headers);
    match screen_info(&st, &code).await {
        Ok(info) => {
            let title = format!("{} · {}", info.window_name, lang.t("扫码评价", "Scan to rate"));
            // No wasm on the screen: a small inline script follows the event stream.
            let doc = render::document(
                &st.leptos,
                lang,
                title,
                false,
                Some(2),
                move || view! { <ScreenPage lang=lang info=info/> },
            );
            html(StatusCode::OK, doc, cookie)
        }
        Err(store::Error::NotFound(_)) => message(
            &st,
            lang,
            StatusCode::NOT_FOUND,
            Tone::Problem,
            lang.t("没有这个窗口", "No such window"),
            lang.t("请检查窗口编码。", "Check the window code."),
            "/".into(),
            cookie,
        ),
        Err(e) => internal(&st, lang, e),
    }
}

/// `GET /w/{window_code}/events`: server-sent events, one per change of the
/// screen, each carrying the new screen body's HTML. Checked every 500 ms, so a
/// new case shows within a second.
pub async fn window_events(
    State(st): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, StatusCode> {
    let (lang, _) = pick_lang(&q, &headers);
    match screen_info(&st, &code).await {
        Ok(_) => {}
        Err(store::Error::NotFound(_)) => return Err(StatusCode::NOT_FOUND),
        Err(_) => return Err(StatusCode::INTERNAL_SERVER_ERROR),
    }
    let stream = futures::stream::unfold((st, code, None::<ScreenInfo>), move |(st, code, last)| async move {
        loop {
            if last.is_some() {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            let info = match screen_info(&st, &code).await {
                Ok(i) => i,
                Err(e) => {
                    tracing::warn!(error = %e, "screen events stopped");
                    return None;
                }
            };
            if last.as_ref() != Some(&info) {
                let i = info.clone();
                let body = render::fragment(move || view! { <ScreenBody lang=lang info=i/> });
                return Some((Ok(Event::default().event("message").data(body)), (st, code, Some(info))));
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// `GET /`
pub async fn home(State(st): State<AppState>, Query(q): Query<LangQuery>, headers: HeaderMap) -> Response {
    let (lang, cookie) = pick_lang(&q, &headers);
    match store::directory::windows(&st.db).await {
        Ok(ws) => {
            let windows: Vec<WindowLink> = ws
                .into_iter()
                .map(|w| WindowLink {
                    code: w.code,
                    name: w.name,
                    hall: w.detail.unwrap_or_default(),
                })
                .collect();
            let doc = render::document(
                &st.leptos,
                lang,
                "haocha".into(),
                false,
                None,
                move || view! { <HomePage lang=lang windows=windows/> },
            );
            html(StatusCode::OK, doc, cookie)
        }
        Err(e) => internal(&st, lang, e),
    }
}

/// Any other path: a readable 404 page.
pub async fn not_found(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let (lang, _) = pick_lang(&LangQuery::default(), &headers);
    message(
        &st,
        lang,
        StatusCode::NOT_FOUND,
        Tone::Problem,
        lang.t("页面不存在", "Page not found"),
        lang.t("请检查地址。", "Check the address."),
        "/".into(),
        None,
    )
}

/// `GET /api/docs`: the OpenAPI document rendered for people, served from
/// this server (no CDN: halls often have no internet).
pub async fn api_docs(State(st): State<AppState>) -> Response {
    use utoipa::OpenApi;
    let doc = crate::api::ApiDoc::openapi();
    let json = doc.to_pretty_json().unwrap_or_default();
    let mut ops: Vec<(String, String, String, String)> = Vec::new();
    for (path, item) in doc.paths.paths.iter() {
        let methods = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
        ];
        for (m, op) in methods {
            if let Some(op) = op {
                ops.push((
                    m.to_string(),
                    path.clone(),
                    op.summary.clone().unwrap_or_default(),
                    op.description.clone().unwrap_or_default(),
                ));
            }
        }
    }
    let page = render::document(&st.leptos, Lang::Zh, "haocha API".into(), false, None, move || {
        view! {
            <main class="page">
                <h1>"haocha 对接接口 · Integration API v1"</h1>
                <p>
                    "认证 / Auth: " <code>"Authorization: Bearer <key>"</code> " · "
                    <a href="/api/v1/openapi.json">"openapi.json"</a>
                </p>
                {ops
                    .into_iter()
                    .map(|(m, p, s, d)| {
                        view! {
                            <section class="op">
                                <h2><code>{m} " " {p}</code></h2>
                                <p><strong>{s}</strong></p>
                                <p class="muted">{d}</p>
                            </section>
                        }
                    })
                    .collect_view()}
                <h2>"OpenAPI document"</h2>
                <pre class="openapi">{json}</pre>
            </main>
        }
    });
    html(StatusCode::OK, page, None)
}
