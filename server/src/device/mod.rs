//! Paired devices: the window evaluator (评价器) — pairing, its page and event
//! stream — and, in [`kiosk`], the kiosk's JSON API. The administrators' side
//! (pairing codes, revoking) is `admin::devices`; inviting is `admin::console`.

pub mod kiosk;

use std::convert::Infallible;
use std::time::Duration;

use app::pages::device::{DeviceBody, DeviceInfoView, DevicePage, DeviceView, PairPage};
use app::{render, Lang};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use futures::Stream;
use leptos::prelude::*;
use store::devices::{DeviceScreen, DeviceState};

use crate::web::extract::{device_cookie, paired_device};
use crate::web::{form_field, html, ClientAddr, Language, PageError, PageQuery, Paired};
use crate::{qr, AppState};

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
pub async fn page(State(st): State<AppState>, Language { lang, cookie }: Language, Paired(d): Paired) -> Result<Response, PageError> {
    let s = store::devices::screen(&st.db, &d, st.now()).await?;
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
    Ok(html(StatusCode::OK, doc, cookie))
}

fn pair_page(st: &AppState, lang: Lang, screen: bool, status: StatusCode, error: Option<String>) -> Response {
    let title = if screen {
        lang.t("窗口屏配对", "Pair this window screen")
    } else {
        lang.t("评价器配对", "Pair this evaluator")
    };
    let doc = render::document(&st.leptos, lang, title.into(), false, None, move || {
        view! { <PairPage lang=lang screen=screen error=error/> }
    });
    html(status, doc, None)
}

/// `?for=screen`: the pairing is for a window screen (`/w/{code}/screen`).
#[derive(Debug, Default, serde::Deserialize)]
pub struct PairQuery {
    #[serde(rename = "for")]
    pub for_: Option<String>,
}

/// `GET /device/pair[?for=screen]`
pub async fn pair_form(State(st): State<AppState>, Language { lang, .. }: Language, PageQuery(q): PageQuery<PairQuery>) -> Response {
    pair_page(&st, lang, q.for_.as_deref() == Some("screen"), StatusCode::OK, None)
}

/// `POST /device/pair` (`code`): the device keeps a credential cookie.
pub async fn pair(State(st): State<AppState>, Language { lang, .. }: Language, ClientAddr(address): ClientAddr, body: Bytes) -> Response {
    let code = form_field(&body, "code");
    let screen = form_field(&body, "for") == "screen";
    match store::devices::complete_pairing(&st.db, &code, address.as_deref(), st.now()).await {
        Ok(credential) => {
            // A window screen goes on to its window's screen; an evaluator to its page.
            let to = match store::devices::authenticate(&st.db, &credential).await {
                Ok(d) if screen => format!("/w/{}/screen", crate::web::url_part(&d.window_code)),
                _ => "/device".to_string(),
            };
            let mut res = Redirect::to(&to).into_response();
            if let Some(v) = device_cookie(&credential) {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
        Err(store::Error::Invalid { .. }) => pair_page(
            &st,
            lang,
            screen,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(
                lang.t(
                    "配对码无效或已过期，请让管理员重新生成。",
                    "Unknown or expired code: ask for a new one.",
                )
                .into(),
            ),
        ),
        Err(store::Error::TooManyTries { seconds }) => {
            let m = match lang {
                Lang::Zh => format!("错误次数过多，请 {} 分钟后再试。", (seconds + 59) / 60),
                Lang::En => format!("Too many wrong codes: try again in {} min.", (seconds + 59) / 60),
            };
            pair_page(&st, lang, screen, StatusCode::TOO_MANY_REQUESTS, Some(m))
        }
        Err(e) => PageError::internal(e).into_response(),
    }
}

/// `GET /device/events`: the device's body whenever it changes. Read when its
/// window changed (`changes`: pushed, not polled, across servers on
/// PostgreSQL), every second while an invitation or a "thanks" shows (they
/// end by time), and every few minutes as a safety net.
pub async fn events(
    State(st): State<AppState>,
    Language { lang, .. }: Language,
    ClientAddr(address): ClientAddr,
    headers: axum::http::HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, StatusCode> {
    let d = paired_device(&st, &headers).await.ok_or(StatusCode::UNAUTHORIZED)?;
    // Subscribed before the stream's first read: a change in between is not missed.
    let notices = st.hub.subscribe(d.window_id);
    let guard = st
        .streams
        .enter(address.as_deref(), st.config.max_streams_per_address)
        .ok_or(StatusCode::TOO_MANY_REQUESTS)?;
    let start = (st, d, notices, None::<DeviceScreen>, Duration::ZERO);
    let stream = futures::stream::unfold(start, move |(st, d, mut notices, last, mut due)| async move {
        let mut stop = st.stopping.subscribe();
        loop {
            // The server is shutting down: end the stream; the client reconnects
            // (to another server behind the balancer).
            if *stop.borrow() {
                return None;
            }
            if last.is_some() && !crate::changes::wait(&mut notices, due, &mut stop).await {
                return None;
            }
            st.stream_reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            // A revoked device stops receiving anything.
            if store::devices::authenticate_id(&st.read, d.id).await.is_err() {
                return None;
            }
            let s = match store::devices::screen(&st.read, &d, st.now()).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "device events stopped");
                    return None;
                }
            };
            due = match s.state {
                DeviceState::Idle => crate::changes::safety_read(d.window_id),
                // Ends 30 minutes after it began, or when dismissed or rated (both notified).
                DeviceState::Invited { .. } => Duration::from_secs(10),
                DeviceState::Thanks => Duration::from_secs(1),
            };
            if last.as_ref() != Some(&s) {
                let info = info_view(&st, s.clone());
                let body = render::fragment(move || view! { <DeviceBody lang=lang info=info/> });
                return Some((Ok(Event::default().event("message").data(body)), (st, d, notices, Some(s), due)));
            }
        }
    });
    // The stream's place is freed when the stream ends.
    let stream = futures::StreamExt::map(stream, move |e| {
        let _held = &guard;
        e
    });
    Ok(Sse::new(stream).keep_alive(crate::changes::keep_alive()))
}

/// `POST /device/dismiss`: nobody touched the invitation for a while.
pub async fn dismiss(State(st): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let Some(d) = paired_device(&st, &headers).await else {
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
