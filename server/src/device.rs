//! The window evaluator (评价器): pairing, its page and event stream, and the
//! administrators' and staff's sides (pair/revoke, invite a rating).

use std::convert::Infallible;
use std::time::Duration;

use app::pages::admin::{DeviceRowView, DevicesPage};
use app::pages::device::{DeviceBody, DeviceInfoView, DevicePage, DeviceView, PairPage};
use app::{render, Lang};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use futures::Stream;
use leptos::prelude::*;
use store::devices::{DeviceInfo, DeviceScreen, DeviceState};
use tower_sessions::Session;

use crate::admin::{signed_in_any, ClientAddr};
use crate::pages::{html, internal, pick_lang, LangQuery};
use crate::{qr, AppState};

const DEVICE_COOKIE: &str = "hc_device";

fn credential(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix("hc_device=").map(str::to_string))
}

pub(crate) async fn device_of(st: &AppState, headers: &HeaderMap) -> Option<DeviceInfo> {
    let c = credential(headers)?;
    store::devices::authenticate(&st.db, &c).await.ok()
}

/// Ten years: a paired device stays paired until an administrator revokes it.
pub(crate) fn device_cookie(credential: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{DEVICE_COOKIE}={credential}; Path=/; Max-Age=315360000; HttpOnly; SameSite=Strict"
    ))
    .ok()
}

fn info_view(st: &AppState, s: DeviceScreen) -> DeviceInfoView {
    let view = match s.state {
        DeviceState::Idle => DeviceView::Idle,
        DeviceState::Thanks => DeviceView::Thanks,
        DeviceState::Invited {
            token,
            item_name,
            phone_token,
        } => DeviceView::Invited {
            rating_path: format!("/r/{token}"),
            item_name,
            phone_qr: phone_token.and_then(|t| qr::svg_inline(&format!("{}/r/{t}", st.config.public_url)).ok()),
        },
    };
    DeviceInfoView {
        window_code: s.window_code,
        window_name: s.window_name,
        hall_name: s.hall_name,
        staff_name: s.staff_name,
        staff_number: s.staff_number,
        staff_photo: s.staff_photo,
        view,
    }
}

/// `GET /device`: the evaluator's screen; unpaired devices are sent to pairing.
pub async fn page(State(st): State<AppState>, Query(q): Query<LangQuery>, headers: HeaderMap) -> Response {
    let (lang, cookie) = pick_lang(&q, &headers);
    let Some(d) = device_of(&st, &headers).await else {
        return Redirect::to("/device/pair").into_response();
    };
    let s = match store::devices::screen(&st.db, &d, st.now()).await {
        Ok(s) => s,
        Err(e) => return internal(&st, lang, e),
    };
    // Without JavaScript the page refreshes itself: often while idle, rarely while
    // someone may be rating (a refresh would reset the form).
    let refresh = Some(if matches!(s.state, DeviceState::Invited { .. }) { 60 } else { 2 });
    let info = info_view(&st, s);
    let title = info.window_name.clone();
    let doc = render::document(
        &st.leptos,
        lang,
        title,
        false,
        refresh,
        move || view! { <DevicePage lang=lang info=info/> },
    );
    html(StatusCode::OK, doc, cookie)
}

fn pair_page(st: &AppState, lang: Lang, status: StatusCode, error: Option<String>) -> Response {
    let doc = render::document(
        &st.leptos,
        lang,
        lang.t("评价器配对", "Pair this evaluator").into(),
        false,
        None,
        move || {
            view! { <PairPage lang=lang error=error/> }
        },
    );
    html(status, doc, None)
}

/// `GET /device/pair`
pub async fn pair_form(State(st): State<AppState>, Query(q): Query<LangQuery>, headers: HeaderMap) -> Response {
    let (lang, _) = pick_lang(&q, &headers);
    pair_page(&st, lang, StatusCode::OK, None)
}

/// `POST /device/pair` (`code`): the device keeps a credential cookie.
pub async fn pair(State(st): State<AppState>, Query(q): Query<LangQuery>, headers: HeaderMap, body: Bytes) -> Response {
    let (lang, _) = pick_lang(&q, &headers);
    let code = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    match store::devices::complete_pairing(&st.db, &code, st.now()).await {
        Ok(credential) => {
            let mut res = Redirect::to("/device").into_response();
            if let Some(v) = device_cookie(&credential) {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
        Err(store::Error::Invalid { .. }) => pair_page(
            &st,
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(
                lang.t(
                    "配对码无效或已过期，请让管理员重新生成。",
                    "Unknown or expired code: ask for a new one.",
                )
                .into(),
            ),
        ),
        Err(e) => internal(&st, lang, e),
    }
}

/// `GET /device/events`: the device's body whenever it changes (polled from the
/// database every 500 ms, so it works with several server processes).
pub async fn events(
    State(st): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, StatusCode> {
    let (lang, _) = pick_lang(&q, &headers);
    let d = device_of(&st, &headers).await.ok_or(StatusCode::UNAUTHORIZED)?;
    let stream = futures::stream::unfold((st, d, None::<DeviceScreen>), move |(st, d, last)| async move {
        loop {
            if last.is_some() {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            // A revoked device stops receiving anything.
            if store::devices::authenticate_id(&st.db, d.id).await.is_err() {
                return None;
            }
            let s = match store::devices::screen(&st.db, &d, st.now()).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "device events stopped");
                    return None;
                }
            };
            if last.as_ref() != Some(&s) {
                let info = info_view(&st, s.clone());
                let body = render::fragment(move || view! { <DeviceBody lang=lang info=info/> });
                return Some((Ok(Event::default().event("message").data(body)), (st, d, Some(s))));
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// `POST /device/dismiss`: nobody touched the invitation for a while.
pub async fn dismiss(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let Some(d) = device_of(&st, &headers).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match store::devices::dismiss(&st.db, &d, st.now()).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "dismiss failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

// ---------------------------------------------------------------- administrators

async fn devices_page(st: &AppState, ctx: &crate::admin::Ctx, window: &str, code: Option<String>) -> Response {
    let lang = ctx.lang;
    let now = st.now();
    let rows = match store::devices::list(&st.db, &ctx.actor, window, now).await {
        Ok(r) => r,
        Err(e) => return ctx.store_error(st, e),
    };
    let record = match store::admin::get(&st.db, &ctx.actor, store::admin::Kind::Windows, window).await {
        Ok(r) => r,
        Err(e) => return ctx.store_error(st, e),
    };
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&store::console::china()).format("%Y-%m-%d %H:%M").to_string();
    let until = rows
        .iter()
        .find(|r| r.pairing_code.as_ref() == code.as_ref())
        .and_then(|r| r.pairing_expires_at)
        .map(fmt);
    let views = rows
        .iter()
        .map(|r| DeviceRowView {
            label: format!("#{}", r.id),
            status: match (r.revoked_at, r.paired_at) {
                (Some(t), _) => format!("{} {}", lang.t("已吊销", "Revoked"), fmt(t)),
                (None, Some(t)) => format!("{} {}", lang.t("已配对", "Paired"), fmt(t)),
                (None, None) => lang.t("等待配对", "Waiting for pairing").to_string(),
            },
            revoke_action: (r.revoked_at.is_none()).then(|| format!("/admin/devices/{window}/revoke/{}", r.id)),
        })
        .collect();
    let nav = ctx.nav_pub();
    let (wc, wn, public) = (
        window.to_string(),
        record.values.get("name").cloned().unwrap_or_default(),
        st.config.public_url.clone(),
    );
    let code = code.map(|c| (c, until.unwrap_or_default()));
    let doc = render::document(&st.leptos, lang, lang.t("评价器", "Evaluators").into(), false, None, move || {
        view! { <DevicesPage nav=nav window_code=wc window_name=wn rows=views code=code public_url=public/> }
    });
    let mut res = html(StatusCode::OK, doc, ctx.cookie.clone());
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `GET /admin/devices/{window}`
pub async fn admin_devices(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Path(window): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let ctx = match signed_in_any(&st, &session, &headers, &q, &format!("/admin/devices/{window}"), addr).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    devices_page(&st, &ctx, &window, None).await
}

/// `POST /admin/devices/{window}/pair`: shows a one-time pairing code.
pub async fn admin_pair(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Path(window): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ctx = match signed_in_any(&st, &session, &headers, &q, &format!("/admin/devices/{window}"), addr).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !crate::admin::csrf_in_form(&session, &body).await {
        return ctx.csrf_failed_pub(&st);
    }
    match store::devices::start_pairing(&st.db, &ctx.actor, &window, &ctx.meta).await {
        Ok(code) => devices_page(&st, &ctx, &window, Some(code)).await,
        Err(e) => ctx.store_error(&st, e),
    }
}

/// `POST /admin/devices/{window}/revoke/{id}`
pub async fn admin_revoke(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Path((window, id)): Path<(String, i32)>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ctx = match signed_in_any(&st, &session, &headers, &q, &format!("/admin/devices/{window}"), addr).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !crate::admin::csrf_in_form(&session, &body).await {
        return ctx.csrf_failed_pub(&st);
    }
    match store::devices::revoke(&st.db, &ctx.actor, &window, id, &ctx.meta).await {
        Ok(()) => Redirect::to(&format!("/admin/devices/{window}")).into_response(),
        Err(e) => ctx.store_error(&st, e),
    }
}

/// `POST /staff/invite` (`case_number`): the window's evaluator shows the case's rating page.
pub async fn invite(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ctx = match signed_in_any(&st, &session, &headers, &q, "/staff", addr).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !crate::admin::csrf_in_form(&session, &body).await {
        return ctx.csrf_failed_pub(&st);
    }
    let number = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "case_number")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    match store::devices::invite(&st.db, &ctx.actor, &number, st.now()).await {
        Ok(()) => Redirect::to("/staff?notice=invited").into_response(),
        Err(store::Error::AlreadyRated) => Redirect::to("/staff?notice=already").into_response(),
        Err(e) => ctx.store_error(&st, e),
    }
}
