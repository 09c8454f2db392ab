//! Extractors every route module shares: the client's address, the page
//! language, the signed-in person (`Signed<Need>`), a paired device and an API
//! client. Each yields what the handler needs or the answer to send instead
//! (a redirect, a 403 page, a JSON 401), so handlers never repeat the checks.

use std::convert::Infallible;
use std::marker::PhantomData;
use std::net::SocketAddr;

use app::pages::admin::Nav;
use app::text;
use app::{render, Lang};
use axum::extract::{ConnectInfo, FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Duration};
use domain::access::IDLE_TIMEOUT_MINUTES;
use domain::Role;
use leptos::prelude::IntoView;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use store::accounts::{Actor, Scope};
use store::admin::Kind;
use store::audit::Meta;
use store::devices::DeviceInfo;
use tower_sessions::Session;

use super::respond::{ApiError, NavSlot, PageError};
use crate::AppState;

/// Session keys.
pub const ACCOUNT: &str = "account";
pub const CSRF: &str = "csrf";
pub const SEEN: &str = "seen";
/// The account's session epoch when this session signed in (see `Actor::session_epoch`).
pub const EPOCH: &str = "epoch";

/// The address a request came from, for the audit trail and the static-code
/// burst rule. Behind a reverse proxy (`HAOCHA_TRUST_FORWARDED=1`) the proxy's
/// `X-Forwarded-For` (its last entry, the one the proxy added) or `X-Real-IP`.
pub struct ClientAddr(pub Option<String>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        if st.config.trust_forwarded {
            let forwarded = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .or_else(|| parts.headers.get("x-real-ip").and_then(|v| v.to_str().ok()))
                .map(str::trim)
                .and_then(|v| v.parse::<std::net::IpAddr>().ok());
            if let Some(ip) = forwarded {
                return Ok(ClientAddr(Some(ip.to_string())));
            }
        }
        Ok(ClientAddr(
            parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()),
        ))
    }
}

/// The page language: `?lang=` first (remembered in a cookie, which `cookie`
/// sets), then the `lang` cookie, then Accept-Language; Chinese by default.
#[derive(Clone)]
pub struct Language {
    pub lang: Lang,
    pub cookie: Option<HeaderValue>,
}

impl Language {
    pub fn of(query: Option<&str>, headers: &HeaderMap) -> Language {
        let asked = query.and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "lang")
                .and_then(|(_, v)| Lang::parse(&v))
        });
        if let Some(l) = asked {
            let cookie = HeaderValue::from_str(&format!("lang={}; Path=/; Max-Age=31536000; SameSite=Lax", l.code())).ok();
            return Language { lang: l, cookie };
        }
        let from_cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|kv| kv.trim().strip_prefix("lang=").and_then(Lang::parse));
        let lang =
            from_cookie.unwrap_or_else(|| Lang::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())));
        Language { lang, cookie: None }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Language {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Language::of(parts.uri.query(), &parts.headers))
    }
}

/// Query parameters of a page; a query that does not parse is a readable 400
/// page, never a bare text answer.
pub struct PageQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PageQuery<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, st: &S) -> Result<Self, PageError> {
        Query::<T>::from_request_parts(parts, st)
            .await
            .map(|Query(v)| PageQuery(v))
            .map_err(|_| PageError::BadRequest)
    }
}

/// What a signed-in route needs of the person's role.
pub trait Need: Send + Sync + 'static {
    fn fits(actor: &Actor) -> bool;
}

/// Anyone signed in (the handler checks the scope of the record).
pub struct Anyone;
/// An administrator of any level.
pub struct Admin;
/// Window staff.
pub struct Staff;
/// A system or center administrator (the jobs page).
pub struct CenterOrSystem;
/// A system administrator (the calendar).
pub struct System;

impl Need for Anyone {
    fn fits(_: &Actor) -> bool {
        true
    }
}
impl Need for Admin {
    fn fits(a: &Actor) -> bool {
        a.role.is_admin()
    }
}
impl Need for Staff {
    fn fits(a: &Actor) -> bool {
        a.role == Role::WindowStaff
    }
}
impl Need for System {
    fn fits(a: &Actor) -> bool {
        a.role.is_admin() && matches!(a.scope, Scope::All)
    }
}
impl Need for CenterOrSystem {
    fn fits(a: &Actor) -> bool {
        a.role.is_admin() && matches!(a.scope, Scope::All | Scope::Regions { .. })
    }
}

/// Everything a signed-in page needs.
pub struct Ctx {
    pub actor: Actor,
    pub lang: Lang,
    /// Set-Cookie for a language chosen with `?lang=`.
    pub cookie: Option<HeaderValue>,
    pub csrf: String,
    pub meta: Meta,
    /// The page's own path, for the language switch.
    pub path: String,
    pub session: Session,
    /// Where an error page of this request finds the frame's menu.
    slot: Option<NavSlot>,
    /// Open 差评工单 in the person's scope (shown in the menu).
    pub open_orders: u64,
}

/// The signed-in person, checked: signed in, not idle too long, account still
/// active, password changed if it must be, and the role fits `N`. Otherwise the
/// request is answered with a redirect (sign-in, password change) or a 403 page.
pub struct Signed<N: Need>(pub Ctx, pub PhantomData<N>);

impl<N: Need> FromRequestParts<AppState> for Signed<N> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, PageError> {
        let session = Session::from_request_parts(parts, st)
            .await
            .map_err(|(_, m)| PageError::internal(m))?;
        let Language { lang, cookie } = Language::of(parts.uri.query(), &parts.headers);
        let ClientAddr(address) = match ClientAddr::from_request_parts(parts, st).await {
            Ok(a) => a,
            Err(never) => match never {},
        };
        let now = st.now();
        let Ok(Some(account_id)) = session.get::<i32>(ACCOUNT).await else {
            return Err(PageError::Redirect("/login".into()));
        };
        let seen = session
            .get::<i64>(SEEN)
            .await
            .ok()
            .flatten()
            .and_then(|t| DateTime::from_timestamp(t, 0));
        if seen.is_none_or(|s| now - s > Duration::minutes(IDLE_TIMEOUT_MINUTES)) {
            let _ = session.flush().await;
            return Err(PageError::Redirect("/login?expired=1".into()));
        }
        let Some(actor) = store::accounts::actor(&st.db, account_id).await? else {
            let _ = session.flush().await;
            return Err(PageError::Redirect("/login".into()));
        };
        // A password change or reset since this session signed in ends it.
        let epoch = session.get::<i32>(EPOCH).await.ok().flatten().unwrap_or(0);
        if epoch != actor.session_epoch {
            let _ = session.flush().await;
            return Err(PageError::Redirect("/login?expired=1".into()));
        }
        session.insert(SEEN, now.timestamp()).await.map_err(PageError::internal)?;
        let csrf = csrf_token(&session).await.map_err(PageError::internal)?;
        let path = parts.uri.path().to_string();
        let slot = parts.extensions.get::<NavSlot>().cloned();
        // The menu's count of open work orders (one indexed COUNT per page).
        let open_orders = if actor.role.is_admin() {
            store::work_orders::open_count(&st.db, &actor).await?
        } else {
            0
        };
        let ctx = Ctx {
            actor,
            lang,
            cookie,
            csrf,
            meta: Meta { now, address },
            path,
            session,
            slot,
            open_orders,
        };
        if let Some(slot) = &ctx.slot {
            slot.fill(ctx.nav());
        }
        if ctx.actor.must_change_password && parts.uri.path() != "/account/password" {
            return Err(PageError::Redirect("/account/password".into()));
        }
        if !N::fits(&ctx.actor) {
            return Err(PageError::Forbidden);
        }
        Ok(Signed(ctx, PhantomData))
    }
}

/// The session's CSRF token, made on first use.
pub async fn csrf_token(session: &Session) -> Result<String, tower_sessions::session::Error> {
    if let Some(t) = session.get::<String>(CSRF).await? {
        return Ok(t);
    }
    let t = store::random_token(24);
    session.insert(CSRF, &t).await?;
    Ok(t)
}

/// The form's `_csrf` equals the session's token (compared in constant time).
pub async fn csrf_ok(session: &Session, sent: Option<&str>) -> bool {
    match (session.get::<String>(CSRF).await.ok().flatten(), sent) {
        (Some(expected), Some(sent)) => {
            expected.len() == sent.len() && expected.bytes().zip(sent.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
        }
        _ => false,
    }
}

impl Ctx {
    /// The page a POST stands for (its form's page), for the language switch
    /// of what it shows — also of an error page drawn for it.
    pub fn set_path(&mut self, path: impl Into<String>) {
        self.path = path.into();
        if let Some(slot) = &self.slot {
            slot.fill(self.nav());
        }
    }

    /// A signed-in page: a whole document, never cached, with the language
    /// cookie when `?lang=` chose one.
    pub fn page<V: IntoView + 'static>(&self, st: &AppState, status: StatusCode, title: String, body: impl FnOnce() -> V) -> Response {
        let doc = render::document(&st.leptos, self.lang, title, false, None, body);
        super::respond::html(status, doc, self.cookie.clone())
    }

    /// `Err(PageError::CsrfFailed)` unless `sent` is the session's token:
    /// nothing is saved from a forged or expired form.
    pub async fn check_csrf(&self, sent: Option<&str>) -> Result<(), PageError> {
        if csrf_ok(&self.session, sent).await {
            Ok(())
        } else {
            Err(PageError::CsrfFailed)
        }
    }

    /// The same for an url-encoded form body.
    pub async fn check_csrf_form(&self, body: &[u8]) -> Result<(), PageError> {
        let sent = form_urlencoded::parse(body)
            .find(|(k, _)| k == "_csrf")
            .map(|(_, v)| v.into_owned());
        self.check_csrf(sent.as_deref()).await
    }

    /// The menu of the signed-in frame, by role and scope.
    pub fn nav(&self) -> Nav {
        let lang = self.lang;
        let mut links = Vec::new();
        if self.actor.role.is_admin() {
            links.push(("/admin".to_string(), lang.t("首页", "Home").to_string()));
            for k in Kind::ALL {
                if store::admin::can_list(&self.actor, k) {
                    links.push((format!("/admin/{}", k.slug()), text::kind(lang, k)));
                }
            }
            let orders = lang.t("差评工单", "Work orders");
            links.push((
                "/admin/work-orders".to_string(),
                if self.open_orders > 0 {
                    format!("{orders} ({})", self.open_orders)
                } else {
                    orders.to_string()
                },
            ));
            links.push(("/admin/ratings".to_string(), lang.t("评价记录", "Ratings").to_string()));
            links.push(("/admin/stats".to_string(), lang.t("统计", "Statistics").to_string()));
            links.push((
                "/admin/reports/monthly".to_string(),
                lang.t("月度报告", "Monthly report").to_string(),
            ));
            if !store::accounts::grantable(&self.actor).is_empty() {
                links.push(("/admin/accounts".to_string(), lang.t("账号", "Accounts").to_string()));
            }
            if CenterOrSystem::fits(&self.actor) {
                links.push(("/admin/audit".to_string(), lang.t("审计日志", "Audit trail").to_string()));
                links.push(("/admin/outbox".to_string(), lang.t("后台任务", "Jobs").to_string()));
                links.push(("/admin/exchange".to_string(), lang.t("数据上报", "Exchange").to_string()));
            }
            links.push((
                "/admin/phone-rating".to_string(),
                lang.t("电话邀评", "Phone invitation").to_string(),
            ));
        } else {
            links.push(("/staff".to_string(), lang.t("我的窗口", "My window").to_string()));
        }
        Nav {
            lang,
            name: self.actor.name.clone(),
            job_number: self.actor.job_number.clone(),
            role_label: text::role(lang, self.actor.role),
            csrf: self.csrf.clone(),
            links,
            path: self.path.clone(),
        }
    }
}

/// The device behind the `hc_device` credential cookie (a paired evaluator or
/// kiosk). Pages send unpaired devices to pairing; the JSON API answers 401.
pub struct Paired(pub DeviceInfo);

pub const DEVICE_COOKIE: &str = "hc_device";

/// Ten years: a paired device stays paired until an administrator revokes it.
pub fn device_cookie(credential: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{DEVICE_COOKIE}={credential}; Path=/; Max-Age=315360000; HttpOnly; SameSite=Strict"
    ))
    .ok()
}

pub async fn paired_device(st: &AppState, headers: &HeaderMap) -> Option<DeviceInfo> {
    let credential = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix("hc_device=").map(str::to_string))?;
    store::devices::authenticate(&st.db, &credential).await.ok()
}

/// A paired device, or the JSON 401 `unpaired` (the kiosk's API).
pub struct PairedApi(pub DeviceInfo);

impl FromRequestParts<AppState> for PairedApi {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        let lang = Language::of(parts.uri.query(), &parts.headers).lang;
        match paired_device(st, &parts.headers).await {
            Some(d) => Ok(PairedApi(d)),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unpaired",
                lang.t(
                    "本终端尚未配对或已被吊销，请联系管理员。",
                    "This terminal is not paired, or was revoked: ask an administrator.",
                ),
            )),
        }
    }
}

/// A paired device, or a redirect to the pairing page (the evaluator's pages).
impl FromRequestParts<AppState> for Paired {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, PageError> {
        match paired_device(st, &parts.headers).await {
            Some(d) => Ok(Paired(d)),
            None => Err(PageError::Redirect("/device/pair".into())),
        }
    }
}

/// The `?lang=` parameter alone, for handlers that read no other query.
#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    pub lang: Option<String>,
}
