//! Public pages without sign-in: the start page, the window screen with its
//! event stream, and the staff photo shown at the window, and the
//! 404 page.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::time::Duration;

use app::pages::home::{HomePage, WindowLink};
use app::pages::message::Tone;
use app::pages::screen::{ScreenBody, ScreenInfo, ScreenPage, ScreenState};
use app::render;
use app::text::{self, Problem};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use futures::Stream;
use leptos::prelude::*;
use store::cases::TokenState;

use crate::web::extract::paired_device;
use crate::web::{html, ClientAddr, Language, Message, PageError};
use crate::{changes, qr, AppState};

async fn screen_info(st: &AppState, code: &str) -> Result<ScreenInfo, store::Error> {
    Ok(screen_read(st, code).await?.0)
}

/// The screen, its window's id, and when it would change by time alone (the
/// shown link's end).
async fn screen_read(st: &AppState, code: &str) -> Result<(ScreenInfo, i32, Option<DateTime<Utc>>), store::Error> {
    let s = store::cases::window_screen(&st.read, code, st.now()).await?;
    let window_id = s.window_id;
    let due = s.current.as_ref().filter(|t| t.state == TokenState::Open).map(|t| t.expires_at);
    let state = match s.current {
        None => ScreenState::Idle,
        Some(t) => match t.state {
            TokenState::Expired => ScreenState::Idle,
            TokenState::Used => ScreenState::Thanks,
            TokenState::Open => {
                let rating_url = format!("{}/r/{}", st.config.public_url, t.token);
                let qr_svg = qr::svg_inline(&rating_url).map_err(|e| store::Error::Db(store::DbErr::Custom(format!("QR code: {e}"))))?;
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
    let info = ScreenInfo {
        window_code: s.window_code,
        window_name: s.window_name,
        hall_name: s.hall_name,
        state,
    };
    Ok((info, window_id, due))
}

/// Whether the request comes from a device paired to this window (issue 13
/// item 3: the screen shows live rating links, so only its window's screen
/// may read it).
async fn paired_to(st: &AppState, headers: &HeaderMap, code: &str) -> bool {
    paired_device(st, headers).await.is_some_and(|d| d.window_code == code)
}

/// `GET /w/{window_code}/screen`: for a device paired to the window; any
/// other browser is sent to pairing and sees no rating link.
pub async fn window_screen(
    State(st): State<AppState>,
    Path(code): Path<String>,
    Language { lang, cookie }: Language,
    headers: HeaderMap,
) -> Response {
    if !paired_to(&st, &headers, &code).await {
        return Redirect::to("/device/pair?for=screen").into_response();
    }
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
        Err(store::Error::NotFound(_)) => Message::new(
            StatusCode::NOT_FOUND,
            Tone::Problem,
            lang.t("没有这个窗口", "No such window"),
            lang.t("请检查窗口编码。", "Check the window code."),
            "/",
        )
        .render(&st, lang, cookie),
        Err(e) => PageError::internal(e).into_response(),
    }
}

/// `GET /w/{window_code}/events`: server-sent events, one per change of the
/// screen, each carrying the new screen body's HTML. The stream reads the
/// screen when its window changed (`changes`: pushed, not polled), when the
/// shown link ends, and every few minutes as a safety net.
pub async fn window_events(
    State(st): State<AppState>,
    Path(code): Path<String>,
    Language { lang, .. }: Language,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, StatusCode> {
    if !paired_to(&st, &headers, &code).await {
        return Err(StatusCode::UNAUTHORIZED);
    }
    let guard = st
        .streams
        .enter(address.as_deref(), st.config.max_streams_per_address)
        .ok_or(StatusCode::TOO_MANY_REQUESTS)?;
    let window_id = match screen_read(&st, &code).await {
        Ok((_, id, _)) => id,
        Err(store::Error::NotFound(_)) => return Err(StatusCode::NOT_FOUND),
        Err(_) => return Err(StatusCode::INTERNAL_SERVER_ERROR),
    };
    // Subscribed before the stream's first read: a change in between is not missed.
    let notices = st.hub.subscribe(window_id);
    let start = (st, code, notices, None::<ScreenInfo>, Duration::ZERO);
    let stream = futures::stream::unfold(start, move |(st, code, mut notices, last, mut due)| async move {
        let mut stop = st.stopping.subscribe();
        loop {
            // The server is shutting down: end the stream; the client reconnects
            // (to another server behind the balancer).
            if *stop.borrow() {
                return None;
            }
            if last.is_some() && !changes::wait(&mut notices, due, &mut stop).await {
                return None;
            }
            st.stream_reads.fetch_add(1, Ordering::Relaxed);
            let (info, _, until) = match screen_read(&st, &code).await {
                Ok(i) => i,
                Err(e) => {
                    tracing::warn!(error = %e, "screen events stopped");
                    return None;
                }
            };
            due = match until {
                Some(at) => changes::until(window_id, st.now(), at),
                None => changes::safety_read(window_id),
            };
            if last.as_ref() != Some(&info) {
                let i = info.clone();
                let body = render::fragment(move || view! { <ScreenBody lang=lang info=i/> });
                return Some((
                    Ok(Event::default().event("message").data(body)),
                    (st, code, notices, Some(info), due),
                ));
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

/// `GET /`
pub async fn home(State(st): State<AppState>, Language { lang, cookie }: Language) -> Response {
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
        Err(e) => PageError::internal(e).into_response(),
    }
}

/// Any other path: a readable 404 page.
pub async fn not_found(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let lang = Language::of(None, &headers).lang;
    let (title, text) = text::problem(lang, Problem::PageNotFound);
    Message::new(StatusCode::NOT_FOUND, Tone::Problem, title, text, "/").render(&st, lang, None)
}

/// `GET /staff-photo/{job_number}`: the uploaded photo (public, like the job
/// number and name shown at the window).
pub async fn staff_photo(State(st): State<AppState>, Path(job): Path<String>) -> Response {
    match store::photos::photo(&st.db, &job).await {
        Ok((ct, bytes)) => (
            [
                (header::CONTENT_TYPE, ct),
                (header::CACHE_CONTROL, "public, max-age=300".to_string()),
            ],
            bytes,
        )
            .into_response(),
        Err(store::Error::NotFound(_)) => (StatusCode::NOT_FOUND, "no photo").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "photo failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
