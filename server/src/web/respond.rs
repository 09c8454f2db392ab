//! The answers of the web layer: HTML documents and message pages, one
//! [`PageError`] for pages and one [`ApiError`] for JSON, each turned into a
//! response in exactly one place. Database details are logged, never sent.

use std::sync::{Arc, Mutex};

use app::pages::admin::{Nav, Notice, Shell};
use app::pages::message::{MessagePage, Tone};
use app::text::{self, Problem};
use app::{render, Lang};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use leptos::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::Language;
use crate::AppState;

/// A complete HTML answer: never cached (pages show personal or changing data),
/// with the language cookie when `?lang=` chose one.
pub fn html(status: StatusCode, body: String, cookie: Option<HeaderValue>) -> Response {
    let mut res = (status, Html(body)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(c) = cookie {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    res
}

/// A whole document around `body`, without islands.
pub fn document<V: IntoView + 'static>(st: &AppState, lang: Lang, title: String, body: impl FnOnce() -> V) -> String {
    render::document(&st.leptos, lang, title, false, None, body)
}

/// What a message page says and where its language switch and link point.
pub struct Message {
    pub status: StatusCode,
    pub tone: Tone,
    pub title: String,
    pub text: String,
    /// The page's path, for the language switch.
    pub path: String,
    /// One link to the next step: (href, label).
    pub link: Option<(String, String)>,
}

impl Message {
    pub fn new(status: StatusCode, tone: Tone, title: &str, text: &str, path: impl Into<String>) -> Message {
        Message {
            status,
            tone,
            title: title.to_string(),
            text: text.to_string(),
            path: path.into(),
            link: None,
        }
    }

    pub fn link(mut self, href: String, label: &str) -> Message {
        self.link = Some((href, label.to_string()));
        self
    }

    pub fn render(self, st: &AppState, lang: Lang, cookie: Option<HeaderValue>) -> Response {
        let Message {
            status,
            tone,
            title,
            text,
            path,
            link,
        } = self;
        let doc = document(st, lang, title.clone(), move || match link {
            Some(link) => view! { <MessagePage lang=lang tone=tone title=title text=text path=path link=link/> }.into_any(),
            None => view! { <MessagePage lang=lang tone=tone title=title text=text path=path/> }.into_any(),
        });
        html(status, doc, cookie)
    }
}

/// Why a page could not be shown. Handlers return it with `?`; the
/// [`render_page_errors`] layer turns it into a readable page in the request's
/// language (inside the signed-in frame when there is one).
#[derive(Debug)]
pub enum PageError {
    /// Go elsewhere first (sign in, change the password, pair the device).
    Redirect(String),
    NotFound,
    Forbidden,
    /// A forged or expired form: nothing was saved.
    CsrfFailed,
    /// The request could not be read (broken UTF-8, a bad query).
    BadRequest,
    /// A number in the query is out of its range (422).
    OutOfRange,
    /// Logged where it was made; the page says only that nothing was saved.
    Internal,
    /// What became of a rating link, in the link's own words.
    Link(Link),
}

/// The outcomes a rating link can have besides its form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Unknown,
    Expired,
    /// Already rated: thanks, with 200.
    Used,
}

impl PageError {
    /// Logs `e` (never shown) and answers 500.
    pub fn internal(e: impl std::fmt::Display) -> PageError {
        tracing::error!(error = %e, "page failed");
        PageError::Internal
    }
}

impl PageError {
    /// A refusal of a rating link's use case as the link's page says it.
    pub fn link(e: store::Error) -> PageError {
        match e {
            store::Error::NotFound(_) => PageError::Link(Link::Unknown),
            store::Error::Expired => PageError::Link(Link::Expired),
            store::Error::AlreadyRated => PageError::Link(Link::Used),
            other => other.into(),
        }
    }
}

impl From<store::Error> for PageError {
    fn from(e: store::Error) -> PageError {
        match e {
            store::Error::Forbidden => PageError::Forbidden,
            store::Error::NotFound(_) => PageError::NotFound,
            other => PageError::internal(other),
        }
    }
}

/// A refusal a form shows beside a field: its status, the field (empty for a
/// conflict, which the form places itself) and the sentence. Anything else is
/// the error page. The one place pages turn `store::Error` into words.
pub fn refusal(lang: Lang, e: store::Error) -> Result<(StatusCode, &'static str, String), PageError> {
    match e {
        store::Error::Invalid { field, reason } => Ok((StatusCode::UNPROCESSABLE_ENTITY, field, text::reason(lang, &reason))),
        store::Error::Conflict(c) => Ok((StatusCode::CONFLICT, "", text::conflict(lang, &c))),
        other => Err(other.into()),
    }
}

/// The problem a response stands for, left in its extensions for the layer.
#[derive(Debug, Clone, Copy)]
struct Rendered(Shown);

/// The kinds of [`PageError`] that are drawn as a page.
#[derive(Debug, Clone, Copy)]
enum Shown {
    NotFound,
    Forbidden,
    CsrfFailed,
    BadRequest,
    OutOfRange,
    Internal,
    Link(Link),
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, p) = match self {
            PageError::Redirect(to) => return Redirect::to(&to).into_response(),
            PageError::NotFound => (StatusCode::NOT_FOUND, Shown::NotFound),
            PageError::Forbidden => (StatusCode::FORBIDDEN, Shown::Forbidden),
            PageError::CsrfFailed => (StatusCode::FORBIDDEN, Shown::CsrfFailed),
            PageError::BadRequest => (StatusCode::BAD_REQUEST, Shown::BadRequest),
            PageError::OutOfRange => (StatusCode::UNPROCESSABLE_ENTITY, Shown::OutOfRange),
            PageError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, Shown::Internal),
            PageError::Link(l) => (
                match l {
                    Link::Unknown => StatusCode::NOT_FOUND,
                    Link::Expired => StatusCode::GONE,
                    Link::Used => StatusCode::OK,
                },
                Shown::Link(l),
            ),
        };
        let mut res = status.into_response();
        res.extensions_mut().insert(Rendered(p));
        res
    }
}

/// Where the signed-in extractor leaves the frame's menu, so that an error
/// page of a signed-in request is drawn inside it.
#[derive(Clone, Default)]
pub struct NavSlot(Arc<Mutex<Option<Nav>>>);

impl NavSlot {
    pub fn fill(&self, nav: Nav) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(nav);
        }
    }

    fn take(&self) -> Option<Nav> {
        self.0.lock().ok().and_then(|mut s| s.take())
    }
}

/// The layer that draws every [`PageError`]: in the request's language, inside
/// the signed-in frame when the request had one.
pub async fn render_page_errors(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let lang = Language::of(req.uri().query(), req.headers()).lang;
    let path = req.uri().path().to_string();
    let slot = NavSlot::default();
    req.extensions_mut().insert(slot.clone());
    let res = next.run(req).await;
    let Some(Rendered(p)) = res.extensions().get::<Rendered>().copied() else {
        return res;
    };
    let status = res.status();
    let nav = slot.take();
    let problem = match (p, nav.is_some()) {
        (Shown::NotFound, true) => Problem::RecordNotFound,
        (Shown::NotFound, false) => Problem::PageNotFound,
        (Shown::Forbidden, _) => Problem::Forbidden,
        (Shown::CsrfFailed, _) => Problem::FormExpired,
        (Shown::BadRequest, _) => Problem::BadRequest,
        (Shown::OutOfRange, _) => Problem::OutOfRange,
        (Shown::Internal, _) => Problem::Internal,
        (Shown::Link(Link::Unknown), _) => Problem::LinkUnknown,
        (Shown::Link(Link::Expired), _) => Problem::LinkExpired,
        (Shown::Link(Link::Used), _) => Problem::LinkUsed,
    };
    let (title, text) = text::problem(lang, problem);
    match nav {
        Some(nav)
            if !matches!(
                problem,
                Problem::Internal | Problem::LinkUnknown | Problem::LinkExpired | Problem::LinkUsed
            ) =>
        {
            let doc = document(&st, lang, title.to_string(), move || {
                view! {
                    <Shell nav=nav title=title.to_string()>
                        <Notice text=Some(text.to_string()) problem=true/>
                    </Shell>
                }
            });
            html(status, doc, None)
        }
        _ => {
            let path = if problem == Problem::Internal { "/".to_string() } else { path };
            let tone = if problem == Problem::LinkUsed { Tone::Info } else { Tone::Problem };
            Message::new(status, tone, title, text, path).render(&st, lang, None)
        }
    }
}

// ---------------------------------------------------------------- JSON

/// The body of every refusal of `/api/v1`, `/device/api` and the webhooks.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable code: `invalid`, `not_found`, `conflict`, `already_rated`,
    /// `expired`, `unauthorized`, `unpaired`, `forbidden`, `bad_request`,
    /// `unsupported_media_type`, `payload_too_large`, `internal`.
    pub error: &'static str,
    /// A sentence for people.
    pub message: String,
    /// The input field the error is about, or null.
    pub field: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                error,
                message: message.into(),
                field: None,
            },
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> ApiError {
        self.body.field = Some(field.into());
        self
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send a valid API key as `Authorization: Bearer <key>`",
        )
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message).field(field)
    }

    /// Logs `e` (never sent) and answers 500 with `message`.
    pub fn internal(e: impl std::fmt::Display, message: impl Into<String>) -> ApiError {
        tracing::error!(error = %e, "request failed");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl From<store::Error> for ApiError {
    fn from(e: store::Error) -> ApiError {
        use store::Error as E;
        match e {
            E::NotFound(what) => ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found")),
            E::Invalid { field, reason } => {
                // The API keeps the domain's exact words for a refused rating
                // (`unknown tag `x``); other reasons as `app::text` words them.
                let said = match &reason {
                    store::Reason::Rating(e) => e.to_string(),
                    r => text::reason(Lang::En, r),
                };
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("{field}: {said}")).field(field)
            }
            E::Conflict(c) => ApiError::new(StatusCode::CONFLICT, "conflict", text::conflict(Lang::En, &c)),
            E::AlreadyRated => ApiError::new(StatusCode::CONFLICT, "already_rated", "this has already been rated"),
            E::Expired => ApiError::new(StatusCode::GONE, "expired", "the rating link has expired"),
            E::Unauthorized => ApiError::unauthorized(),
            E::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "forbidden", "your role or scope does not cover this"),
            E::TooManyTries { seconds } => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_tries",
                format!("too many wrong tries from this address; try again in {seconds} s"),
            ),
            E::Db(db) => ApiError::internal(db, "internal error; it has been logged"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let unauthorized = self.body.error == "unauthorized";
        let mut res = (self.status, Json(self.body)).into_response();
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if unauthorized {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// A JSON answer that is not an error, never cached.
pub fn json<T: Serialize>(status: StatusCode, body: T) -> Response {
    let mut res = (status, Json(body)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
