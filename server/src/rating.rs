//! Rating links: the rating page of a case (`/r/{token}`, the dynamic QR code
//! and the SMS link `/s/1/…` lead here), its submission with or without
//! JavaScript, the one follow-up (`/r/{token}/more`) and the link's QR image.

use app::islands::FormInit;
use app::pages::message::Tone;
use app::pages::{rating::RatingPage, CaseInfo};
use app::{render, text, Lang};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::RatingInput;
use leptos::prelude::*;
use store::cases::{TokenState, TokenView};
use store::follow_up::FollowUp;

use crate::web::forms::{island_error, island_reply, parse_rating_form, wants_json};
use crate::web::respond::Link;
use crate::web::{html, Language, Message, PageError};
use crate::{qr, AppState};

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
fn case_with_bundle(t: &TokenView, bundle: Vec<store::links::BundleItem>) -> CaseInfo {
    CaseInfo {
        bundle: bundle
            .into_iter()
            .map(|b| (b.item_name, b.token.map(|t| format!("/r/{t}")), b.rated))
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

/// `GET /r/{token}`: one read of the link, its case, follow-up state and
/// bundle; nothing is written.
pub async fn rating_page(State(st): State<AppState>, Path(token): Path<String>, Language { lang, cookie }: Language) -> Response {
    let path = format!("/r/{token}");
    let link = match store::links::rating_link(&st.read, &token, st.now()).await {
        Ok(l) => l,
        Err(e) => return PageError::link(e).into_response(),
    };
    if link.follow_up != FollowUp::NotRated {
        return rated_page(&st, lang, &token, link.follow_up, path, cookie);
    }
    let view = link.view;
    match view.state {
        TokenState::Used => PageError::Link(Link::Used).into_response(),
        TokenState::Expired => PageError::Link(Link::Expired).into_response(),
        TokenState::Open => {
            let init = FormInit {
                action: format!("/r/{}", view.token),
                lang,
                staff_label: staff_label(lang, &view),
                bundle_whole: link.bundle.iter().any(|b| !b.rated).then_some(true),
                ..Default::default()
            };
            let case = case_with_bundle(&view, link.bundle);
            rating_form_with(&st, lang, case, init, StatusCode::OK, cookie)
        }
    }
}

/// A rated case's link: thanks, and the one follow-up while its window is open.
fn rated_page(st: &AppState, lang: Lang, token: &str, f: FollowUp, path: String, cookie: Option<HeaderValue>) -> Response {
    let title = lang.t("已评价", "Already rated");
    match f {
        FollowUp::Open { until } => Message::new(
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
        )
        .link(format!("/r/{token}/more"), lang.t("追加评价", "Add a follow-up"))
        .render(st, lang, None),
        FollowUp::Done => Message::new(
            StatusCode::OK,
            Tone::Info,
            title,
            lang.t(
                "本次服务已评价，并已追加评价一次，不能再次追加。感谢您的参与！",
                "This service has been rated and followed up once; no further follow-up is possible. Thank you!",
            ),
            path,
        )
        .render(st, lang, cookie),
        _ => PageError::Link(Link::Used).into_response(),
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
pub async fn follow_up_page(State(st): State<AppState>, Path(token): Path<String>, Language { lang, cookie }: Language) -> Response {
    let path = format!("/r/{token}/more");
    let link = match store::links::rating_link(&st.db, &token, st.now()).await {
        Ok(l) => l,
        Err(e) => return PageError::link(e).into_response(),
    };
    match link.follow_up {
        FollowUp::Open { .. } => follow_up_form(&st, lang, &link.view, follow_up_init(lang, &token), StatusCode::OK),
        FollowUp::NotRated => Redirect::to(&format!("/r/{token}")).into_response(),
        FollowUp::Done => rated_page(&st, lang, &token, FollowUp::Done, path, cookie),
        FollowUp::Closed => follow_up_closed(&st, lang, path),
    }
}

fn follow_up_closed(st: &AppState, lang: Lang, path: String) -> Response {
    Message::new(
        StatusCode::GONE,
        Tone::Problem,
        lang.t("追加评价期限已过", "The follow-up period has ended"),
        lang.t(
            "追加评价须在首次评价后的规定期限内进行。如有问题，请拨打 12345 热线反映。",
            "A follow-up must be made within the set period after the first rating. For other concerns, call the 12345 hotline.",
        ),
        path,
    )
    .render(st, lang, None)
}

/// `POST /r/{token}/more`: stores the one follow-up (rating count 2).
pub async fn submit_follow_up(
    State(st): State<AppState>,
    Path(token): Path<String>,
    Language { lang, cookie }: Language,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let json = wants_json(&headers);
    let path = format!("/r/{token}/more");
    let Some(form) = parse_rating_form(&body) else {
        let m = text::not_utf8(lang);
        return island_reply(StatusCode::BAD_REQUEST, false, "bad_request", m, None);
    };
    let input = match RatingInput::parse(&form.level, &form.tags, Some(&form.comment)) {
        Ok(i) => i,
        Err(e) => {
            let msg = text::rating_error(lang, &e, false).to_string();
            if json {
                return island_reply(StatusCode::UNPROCESSABLE_ENTITY, false, "invalid", &msg, Some(e.field()));
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
                Err(e) => PageError::link(e).into_response(),
            };
        }
    };
    let thanks = lang.t("您的追加评价已提交，感谢您的补充！", "Your follow-up has been recorded. Thank you!");
    match store::follow_up::add(&st.db, &token, &input, st.now()).await {
        Ok(_) if json => island_reply(StatusCode::CREATED, true, "followed_up", thanks, None),
        Ok(_) => Message::new(
            StatusCode::CREATED,
            Tone::Ok,
            lang.t("追加评价成功", "Follow-up saved"),
            thanks,
            path,
        )
        .render(&st, lang, cookie),
        Err(store::Error::AlreadyRated) => {
            let m = lang.t(
                "您已追加评价过一次，不能再次追加。",
                "You have already added a follow-up; only one is possible.",
            );
            if json {
                island_reply(StatusCode::CONFLICT, false, "already_followed_up", m, None)
            } else {
                Message::new(
                    StatusCode::CONFLICT,
                    Tone::Info,
                    lang.t("已追加评价", "Already followed up"),
                    m,
                    path,
                )
                .render(&st, lang, cookie)
            }
        }
        Err(store::Error::Expired) => {
            if json {
                island_reply(
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
                island_reply(StatusCode::CONFLICT, false, "not_rated", m, None)
            } else {
                Redirect::to(&format!("/r/{token}")).into_response()
            }
        }
        Err(e) => PageError::link(e).into_response(),
    }
}

/// `POST /r/{token}`: plain form post (no JavaScript) or the island's fetch
/// (`Accept: application/json`).
pub async fn submit_rating(
    State(st): State<AppState>,
    Path(token): Path<String>,
    Language { lang, cookie }: Language,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let json = wants_json(&headers);
    let path = format!("/r/{token}");
    let Some(form) = parse_rating_form(&body) else {
        let m = text::not_utf8(lang);
        return if json {
            island_reply(StatusCode::BAD_REQUEST, false, "bad_request", m, None)
        } else {
            PageError::internal(m).into_response()
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
            let msg = text::rating_error(lang, &e, is_staff).to_string();
            let field = if is_staff { "staff_level" } else { e.field() };
            if json {
                return island_reply(StatusCode::UNPROCESSABLE_ENTITY, false, "invalid", &msg, Some(field));
            }
            // Re-show the form with what was chosen and the reason, nothing stored.
            return match store::links::rating_link(&st.db, &token, st.now()).await {
                Ok(store::links::RatingLink { view, bundle, .. }) if view.state == TokenState::Open => {
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
                Ok(link) if link.view.state == TokenState::Used => PageError::Link(Link::Used).into_response(),
                Ok(_) => PageError::Link(Link::Expired).into_response(),
                Err(e) => PageError::link(e).into_response(),
            };
        }
    };
    match st.ratings.rate_by_token(&token, &submission, st.now()).await {
        Ok(_) => {
            let thanks = lang.t(
                "您的评价已提交，我们会认真对待每一条意见。",
                "Your rating has been recorded. Every opinion is followed up.",
            );
            if json {
                island_reply(StatusCode::CREATED, true, "rated", thanks, None)
            } else {
                Message::new(
                    StatusCode::CREATED,
                    Tone::Ok,
                    lang.t("评价成功，感谢您的评价！", "Thank you, your rating is saved."),
                    thanks,
                    path,
                )
                .render(&st, lang, cookie)
            }
        }
        Err(e) if json => island_error(lang, e),
        Err(store::Error::Invalid { .. }) => Message::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Tone::Problem,
            lang.t("提交的评价无效", "The rating could not be read"),
            lang.t("请返回重新选择。", "Please go back and choose again."),
            path,
        )
        .render(&st, lang, cookie),
        Err(e) => PageError::link(e).into_response(),
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

/// `GET /s/1/{case}-{signature}`: the SMS link opens the case's rating page.
pub async fn sms_link(State(st): State<AppState>, Path(code): Path<String>, Language { lang, .. }: Language) -> Response {
    let bad = |st: &AppState| {
        Message::new(
            StatusCode::NOT_FOUND,
            Tone::Problem,
            lang.t("链接无效", "This link is not valid"),
            lang.t(
                "短信中的评价链接不完整或已失效，请检查后重试，或在办事大厅扫码评价。",
                "The link in the SMS is incomplete or no longer valid: check it, or scan the code in the hall.",
            ),
            format!("/s/1/{code}"),
        )
        .render(st, lang, None)
    };
    // A closed work order's one-time re-rating link.
    if let Some(order) = store::sms::verify_rerate(&st.config.data_key, &code) {
        return match store::work_orders::rerating_token(&st.db, order).await {
            Ok(token) => Redirect::to(&format!("/r/{token}")).into_response(),
            Err(store::Error::NotFound(_)) => bad(&st),
            Err(e) => PageError::internal(e).into_response(),
        };
    }
    let Some(case_id) = store::sms::verify_link(&st.config.data_key, &code) else {
        return bad(&st);
    };
    match store::sms::link_token(&st.db, case_id, st.now(), st.config.token_ttl()).await {
        Ok(token) => Redirect::to(&format!("/r/{token}")).into_response(),
        Err(store::Error::NotFound(_)) => bad(&st),
        Err(e) => PageError::internal(e).into_response(),
    }
}
