//! Pages of signed-in people: sign-in and sign-out, password change, the
//! administration of the organisation tree, CSV import, the audit trail and
//! the window staff console. Handlers are thin: the role-and-scope checks live
//! in `store::admin` (one place), the session checks in [`signed_in`].

use std::collections::BTreeMap;
use std::net::SocketAddr;

use app::pages::admin::{
    AccountPage, AccountView, AdminHome, AuditPage, AuditRow, AuditView, ConsolePage, ConsoleRow, ConsoleView, EditPage, EditView,
    FieldInput, FormField, ImportError, ImportPage, KeyShownPage, ListPage, ListRow, ListView, Nav, Notice, PasswordPage, SecretPage,
    Section, Shell, SignInPage,
};
use app::pages::message::Tone;
use app::{render, Lang};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, Multipart, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::access::IDLE_TIMEOUT_MINUTES;
use domain::Role;
use leptos::prelude::*;
use serde::Deserialize;
use store::accounts::{Actor, PasswordChangeError, Scope, SignInError};
use store::admin::{Input, Kind, Removed};
use store::audit::Meta;
use store::console::china;
use tower_sessions::Session;

use crate::pages::{html, internal, message, pick_lang, LangQuery};
use crate::AppState;

const ACCOUNT: &str = "account";
const CSRF: &str = "csrf";
const SEEN: &str = "seen";
const PER_PAGE: u64 = 50;

/// The address a request came from, for the audit trail and the static-code
/// burst rule. Behind a reverse proxy (`HAOCHA_TRUST_FORWARDED=1`) the proxy's
/// `X-Forwarded-For` (its last entry, the one the proxy added) or `X-Real-IP`.
pub struct ClientAddr(pub Option<String>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

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

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

fn url_part(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Form fields; the last value of a repeated name wins. `None` for broken UTF-8.
fn form_map(body: &[u8]) -> Option<BTreeMap<String, String>> {
    let mut m = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(body) {
        if k.contains('\u{FFFD}') || v.contains('\u{FFFD}') {
            return None;
        }
        m.insert(k.into_owned(), v.into_owned());
    }
    Some(m)
}

async fn csrf_token(session: &Session) -> Result<String, tower_sessions::session::Error> {
    if let Some(t) = session.get::<String>(CSRF).await? {
        return Ok(t);
    }
    let t = store::random_token(24);
    session.insert(CSRF, &t).await?;
    Ok(t)
}

/// The form's `_csrf` must equal the session's token.
pub(crate) async fn csrf_ok(session: &Session, sent: Option<&str>) -> bool {
    match (session.get::<String>(CSRF).await.ok().flatten(), sent) {
        (Some(expected), Some(sent)) => {
            // Constant-time comparison: the length is not secret.
            expected.len() == sent.len() && expected.bytes().zip(sent.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
        }
        _ => false,
    }
}

fn role_label(lang: Lang, r: Role) -> String {
    match lang {
        Lang::Zh => r.label_zh().to_string(),
        Lang::En => r.label_en().to_string(),
    }
}

fn kind_label(lang: Lang, k: Kind) -> String {
    lang.t(k.label_zh(), k.label_en()).to_string()
}

/// Everything a signed-in page needs.
pub struct Ctx {
    pub actor: Actor,
    pub lang: Lang,
    pub cookie: Option<HeaderValue>,
    pub csrf: String,
    pub meta: Meta,
    pub path: String,
}

impl Ctx {
    pub(crate) fn nav_pub(&self) -> Nav {
        self.nav()
    }

    pub(crate) fn csrf_failed_pub(&self, st: &AppState) -> Response {
        self.csrf_failed(st)
    }

    fn nav(&self) -> Nav {
        let lang = self.lang;
        let mut links = Vec::new();
        if self.actor.role.is_admin() {
            links.push(("/admin".to_string(), lang.t("首页", "Home").to_string()));
            for k in Kind::ALL {
                if store::admin::can_list(&self.actor, k) {
                    links.push((format!("/admin/{}", k.slug()), kind_label(lang, k)));
                }
            }
            if !store::accounts::grantable(&self.actor).is_empty() {
                links.push(("/admin/accounts".to_string(), lang.t("账号", "Accounts").to_string()));
            }
            if matches!(self.actor.scope, Scope::All | Scope::Regions { .. }) {
                links.push(("/admin/audit".to_string(), lang.t("审计日志", "Audit trail").to_string()));
                links.push(("/admin/outbox".to_string(), lang.t("后台任务", "Jobs").to_string()));
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
            role_label: role_label(lang, self.actor.role),
            csrf: self.csrf.clone(),
            links,
            path: self.path.clone(),
        }
    }

    pub(crate) fn page<V: IntoView + 'static>(
        &self,
        st: &AppState,
        status: StatusCode,
        title: String,
        body: impl FnOnce() -> V,
    ) -> Response {
        let doc = render::document(&st.leptos, self.lang, title, false, None, body);
        html(status, doc, self.cookie.clone())
    }

    /// A readable refusal inside the frame: the role or scope does not cover this.
    pub(crate) fn forbidden(&self, st: &AppState) -> Response {
        let lang = self.lang;
        let nav = self.nav();
        self.page(
            st,
            StatusCode::FORBIDDEN,
            lang.t("无权访问", "Not allowed").to_string(),
            move || {
                view! {
                    <Shell nav=nav title=lang.t("无权访问", "Not allowed").to_string()>
                        <Notice text=Some(lang.t(
                            "您的角色或管理范围不包含此页面或此记录。",
                            "Your role or scope does not cover this page or record.",
                        ).to_string()) problem=true/>
                    </Shell>
                }
            },
        )
    }

    pub(crate) fn not_found(&self, st: &AppState) -> Response {
        let lang = self.lang;
        let nav = self.nav();
        self.page(st, StatusCode::NOT_FOUND, lang.t("未找到", "Not found").to_string(), move || {
            view! {
                <Shell nav=nav title=lang.t("未找到", "Not found").to_string()>
                    <Notice text=Some(lang.t("没有这条记录。", "There is no such record.").to_string()) problem=true/>
                </Shell>
            }
        })
    }

    fn csrf_failed(&self, st: &AppState) -> Response {
        let lang = self.lang;
        let nav = self.nav();
        self.page(
            st,
            StatusCode::FORBIDDEN,
            lang.t("表单已失效", "Form expired").to_string(),
            move || {
                view! {
                    <Shell nav=nav title=lang.t("表单已失效", "Form expired").to_string()>
                        <Notice text=Some(lang.t(
                            "表单已失效或来自其他网站，没有保存任何内容。请返回、刷新页面后重试。",
                            "The form expired or came from another site; nothing was saved. Go back, reload the page and try again.",
                        ).to_string()) problem=true/>
                    </Shell>
                }
            },
        )
    }

    pub(crate) fn store_error(&self, st: &AppState, e: store::Error) -> Response {
        match e {
            store::Error::Forbidden => self.forbidden(st),
            store::Error::NotFound(_) => self.not_found(st),
            other => internal(st, self.lang, other),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    Anyone,
    Admin,
    Staff,
}

/// Checks the session: signed in, not idle too long, account still active,
/// password changed if it must be, and the role fits the page. `Err` is the
/// response to send instead (a redirect or a 403 page).
async fn signed_in(
    st: &AppState,
    session: &Session,
    headers: &HeaderMap,
    q: &LangQuery,
    path: &str,
    addr: ClientAddr,
    need: Need,
) -> Result<Ctx, Response> {
    let (lang, cookie) = pick_lang(q, headers);
    let now = st.now();
    let Ok(Some(account_id)) = session.get::<i32>(ACCOUNT).await else {
        return Err(see_other("/login"));
    };
    let seen = session
        .get::<i64>(SEEN)
        .await
        .ok()
        .flatten()
        .and_then(|t| DateTime::from_timestamp(t, 0));
    if seen.is_none_or(|s| now - s > Duration::minutes(IDLE_TIMEOUT_MINUTES)) {
        let _ = session.flush().await;
        return Err(see_other("/login?expired=1"));
    }
    let actor = match store::accounts::actor(&st.db, account_id).await {
        Ok(Some(a)) => a,
        Ok(None) => {
            let _ = session.flush().await;
            return Err(see_other("/login"));
        }
        Err(e) => return Err(internal(st, lang, e)),
    };
    if session.insert(SEEN, now.timestamp()).await.is_err() {
        return Err(internal(st, lang, "session store failed"));
    }
    let csrf = match csrf_token(session).await {
        Ok(t) => t,
        Err(e) => return Err(internal(st, lang, e)),
    };
    let ctx = Ctx {
        actor,
        lang,
        cookie,
        csrf,
        meta: Meta { now, address: addr.0 },
        path: path.to_string(),
    };
    if ctx.actor.must_change_password && path != "/account/password" {
        return Err(see_other("/account/password"));
    }
    let fits = match need {
        Need::Anyone => true,
        Need::Admin => ctx.actor.role.is_admin(),
        Need::Staff => ctx.actor.role == Role::WindowStaff,
    };
    if !fits {
        return Err(ctx.forbidden(st));
    }
    Ok(ctx)
}

/// A multipart upload form: its `_csrf` field and the named file. `Err` when the
/// body cannot be read (too large for the route's limit, or broken off).
async fn read_upload(multipart: &mut Multipart, file_field: &str) -> Result<(Option<String>, Option<Bytes>), ()> {
    let (mut fields, file) = read_upload_fields(multipart, file_field).await?;
    Ok((fields.remove("_csrf"), file))
}

/// Every text field of a multipart form (first value of each name) and the file.
pub(crate) async fn read_upload_fields(
    multipart: &mut Multipart,
    file_field: &str,
) -> Result<(std::collections::HashMap<String, String>, Option<Bytes>), ()> {
    let (mut fields, mut file) = (std::collections::HashMap::new(), None);
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

/// The `_csrf` field of an url-encoded form body matches the session's token.
pub(crate) async fn csrf_in_form(session: &Session, body: &[u8]) -> bool {
    let sent = form_urlencoded::parse(body)
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.into_owned());
    csrf_ok(session, sent.as_deref()).await
}

/// A signed-in page any role may open (its handler checks the scope).
pub(crate) async fn signed_in_any(
    st: &AppState,
    session: &Session,
    headers: &HeaderMap,
    q: &LangQuery,
    path: &str,
    addr: ClientAddr,
) -> Result<Ctx, Response> {
    signed_in(st, session, headers, q, path, addr, Need::Anyone).await
}

fn home_of(role: Role) -> &'static str {
    if role.is_admin() {
        "/admin"
    } else {
        "/staff"
    }
}

// ---------------------------------------------------------------- sign-in

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    pub lang: Option<String>,
    pub expired: Option<String>,
}

#[allow(clippy::too_many_arguments)] // each is one visible part of the page
fn sign_in_page(
    st: &AppState,
    lang: Lang,
    cookie: Option<HeaderValue>,
    status: StatusCode,
    csrf: String,
    job: String,
    error: Option<String>,
    notice: Option<String>,
) -> Response {
    let doc = render::document(
        &st.leptos,
        lang,
        lang.t("工作人员登录", "Staff sign-in").to_string(),
        false,
        None,
        move || {
            view! { <SignInPage lang=lang csrf=csrf job_number=job error=error notice=notice/> }
        },
    );
    html(status, doc, cookie)
}

/// `GET /login`
pub async fn login_page(State(st): State<AppState>, session: Session, Query(q): Query<LoginQuery>, headers: HeaderMap) -> Response {
    let (lang, cookie) = pick_lang(&LangQuery { lang: q.lang.clone() }, &headers);
    if let Ok(Some(id)) = session.get::<i32>(ACCOUNT).await {
        if let Ok(Some(a)) = store::accounts::actor(&st.db, id).await {
            return see_other(home_of(a.role));
        }
    }
    let csrf = match csrf_token(&session).await {
        Ok(t) => t,
        Err(e) => return internal(&st, lang, e),
    };
    let notice = q.expired.map(|_| {
        lang.t(
            "长时间未操作，已自动退出，请重新登录。",
            "You were signed out after a period without activity. Please sign in again.",
        )
        .to_string()
    });
    sign_in_page(&st, lang, cookie, StatusCode::OK, csrf, String::new(), None, notice)
}

/// `POST /login`
pub async fn login(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (lang, cookie) = pick_lang(&q, &headers);
    let Some(form) = form_map(&body) else {
        return message(
            &st,
            lang,
            StatusCode::BAD_REQUEST,
            Tone::Problem,
            lang.t("无效的提交", "Invalid submission"),
            lang.t("提交内容不是有效的 UTF-8 文本。", "The submission is not valid UTF-8 text."),
            "/login".into(),
            cookie,
        );
    };
    let job = form.get("job_number").cloned().unwrap_or_default();
    if !csrf_ok(&session, form.get("_csrf").map(String::as_str)).await {
        let csrf = csrf_token(&session).await.unwrap_or_default();
        let error = lang.t(
            "登录表单已失效（或浏览器禁用了 Cookie），请重试。",
            "The sign-in form expired (or cookies are off in this browser). Please try again.",
        );
        return sign_in_page(&st, lang, cookie, StatusCode::FORBIDDEN, csrf, job, Some(error.into()), None);
    }
    let meta = Meta {
        now: st.now(),
        address: addr.0,
    };
    let password = form.get("password").cloned().unwrap_or_default();
    match store::accounts::sign_in(&st.db, &job, &password, &meta).await {
        Ok(Ok(account_id)) => {
            // A new session id at sign-in: a planted cookie cannot ride along (fixation).
            if session.cycle_id().await.is_err() {
                return internal(&st, lang, "session store failed");
            }
            let _ = session.insert(ACCOUNT, account_id).await;
            let _ = session.insert(SEEN, meta.now.timestamp()).await;
            let _ = session.insert(CSRF, store::random_token(24)).await;
            match store::accounts::actor(&st.db, account_id).await {
                Ok(Some(a)) if a.must_change_password => see_other("/account/password"),
                Ok(Some(a)) => see_other(home_of(a.role)),
                Ok(None) => see_other("/login"),
                Err(e) => internal(&st, lang, e),
            }
        }
        Ok(Err(e)) => {
            let error = match e {
                SignInError::BadCredentials => lang.t("工号或密码不正确。", "Wrong job number or password.").to_string(),
                SignInError::Locked { until } => {
                    let t = until.with_timezone(&china()).format("%H:%M");
                    match lang {
                        Lang::Zh => format!("密码错误次数过多，账号已锁定，请于 {t} 后再试。"),
                        Lang::En => format!("Too many wrong passwords: the account is locked until {t} (Beijing time)."),
                    }
                }
            };
            let csrf = csrf_token(&session).await.unwrap_or_default();
            sign_in_page(&st, lang, cookie, StatusCode::UNAUTHORIZED, csrf, job, Some(error), None)
        }
        Err(e) => internal(&st, lang, e),
    }
}

/// `POST /logout`
pub async fn logout(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ctx = match signed_in(&st, &session, &headers, &q, "/logout", addr, Need::Anyone).await {
        Ok(c) => c,
        Err(_) => {
            let _ = session.flush().await;
            return see_other("/login");
        }
    };
    let form = form_map(&body).unwrap_or_default();
    if !csrf_ok(&session, form.get("_csrf").map(String::as_str)).await {
        return ctx.csrf_failed(&st);
    }
    if let Err(e) = store::accounts::signed_out(&st.db, &ctx.actor, &ctx.meta).await {
        return internal(&st, ctx.lang, e);
    }
    let _ = session.flush().await;
    see_other("/login")
}

// ---------------------------------------------------------------- password

fn password_page(st: &AppState, ctx: &Ctx, status: StatusCode, error: Option<String>) -> Response {
    let lang = ctx.lang;
    let nav = ctx.nav();
    let forced = ctx.actor.must_change_password;
    ctx.page(st, status, lang.t("修改密码", "Change password").to_string(), move || {
        view! { <PasswordPage nav=nav forced=forced error=error/> }
    })
}

/// `GET /account/password`
pub async fn password_form(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    match signed_in(&st, &session, &headers, &q, "/account/password", addr, Need::Anyone).await {
        Ok(ctx) => password_page(&st, &ctx, StatusCode::OK, None),
        Err(r) => r,
    }
}

/// `POST /account/password`
pub async fn change_password(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ctx = match signed_in(&st, &session, &headers, &q, "/account/password", addr, Need::Anyone).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let form = form_map(&body).unwrap_or_default();
    if !csrf_ok(&session, form.get("_csrf").map(String::as_str)).await {
        return ctx.csrf_failed(&st);
    }
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let lang = ctx.lang;
    match store::accounts::change_password(&st.db, &ctx.actor, &get("current"), &get("new"), &get("repeat"), &ctx.meta).await {
        Ok(Ok(())) => see_other(home_of(ctx.actor.role)),
        Ok(Err(e)) => {
            let msg = match e {
                PasswordChangeError::WrongCurrent => lang.t("当前密码不正确。", "The current password is wrong.").to_string(),
                PasswordChangeError::Mismatch => lang.t("两次输入的新密码不一致。", "The two new passwords differ.").to_string(),
                PasswordChangeError::SameAsOld => lang
                    .t("新密码不能与当前密码相同。", "The new password must differ from the current one.")
                    .to_string(),
                PasswordChangeError::Weak(w) => match lang {
                    Lang::Zh => w.message_zh().to_string(),
                    Lang::En => w.to_string(),
                },
            };
            password_page(&st, &ctx, StatusCode::UNPROCESSABLE_ENTITY, Some(msg))
        }
        Err(e) => internal(&st, lang, e),
    }
}

// ---------------------------------------------------------------- administration

/// `GET /admin`
pub async fn admin_home(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let ctx = match signed_in(&st, &session, &headers, &q, "/admin", addr, Need::Admin).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = ctx.lang;
    let scope_text = match (&ctx.actor.scope, &ctx.actor.scope_code) {
        (Scope::All, _) => lang.t("管理范围：全部", "Scope: everything").to_string(),
        (_, Some(code)) => format!("{}{}", lang.t("管理范围：", "Scope: "), code),
        _ => String::new(),
    };
    let mut sections: Vec<Section> = Kind::ALL
        .into_iter()
        .filter(|k| store::admin::can_list(&ctx.actor, *k))
        .map(|k| Section {
            href: format!("/admin/{}", k.slug()),
            label: kind_label(lang, k),
            text: if k.importable() {
                lang.t("可 CSV 批量导入", "CSV import available").to_string()
            } else {
                String::new()
            },
        })
        .collect();
    sections.push(Section {
        href: "/admin/accounts".into(),
        label: lang.t("账号", "Accounts").into(),
        text: lang
            .t(
                "创建账号、重置密码、解除锁定、停用",
                "Create accounts, reset passwords, unlock, deactivate",
            )
            .into(),
    });
    if matches!(ctx.actor.scope, Scope::All | Scope::Regions { .. }) {
        sections.push(Section {
            href: "/admin/audit".into(),
            label: lang.t("审计日志", "Audit trail").into(),
            text: lang
                .t("按人员、对象、时间查询所有操作", "Every change, by person, object and time")
                .into(),
        });
    }
    let nav = ctx.nav();
    ctx.page(
        &st,
        StatusCode::OK,
        lang.t("管理首页", "Administration").to_string(),
        move || {
            view! { <AdminHome nav=nav scope_text=scope_text sections=sections/> }
        },
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub lang: Option<String>,
    pub q: Option<String>,
    pub status: Option<String>,
    pub page: Option<String>,
    pub notice: Option<String>,
}

fn notice_text(lang: Lang, code: Option<&str>) -> Option<String> {
    Some(
        match code? {
            "saved" => lang.t("已保存。", "Saved."),
            "deleted" => lang.t("已删除。", "Deleted."),
            "deactivated" => lang.t(
                "该记录有历史数据，已停用并保留。",
                "It has history, so it was deactivated and kept.",
            ),
            "revoked" => lang.t("接口密钥已吊销。", "The API key was revoked."),
            "photo" => lang.t("照片已更新。", "The photo was updated."),
            _ => return None,
        }
        .to_string(),
    )
}

/// `GET /admin/{kind}`
pub async fn list(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Path(slug): Path<String>,
    Query(q): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/admin/{slug}");
    let ctx = match signed_in(
        &st,
        &session,
        &headers,
        &LangQuery { lang: q.lang.clone() },
        &path,
        addr,
        Need::Admin,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(kind) = Kind::parse(&slug) else {
        return ctx.not_found(&st);
    };
    let lang = ctx.lang;
    let status = q.status.clone().unwrap_or_else(|| "all".into());
    let active = match status.as_str() {
        "active" => Some(true),
        "inactive" => Some(false),
        _ => None,
    };
    let page = q.page.as_deref().and_then(|p| p.parse::<u64>().ok()).unwrap_or(1).max(1);
    let result = store::admin::list(&st.db, &ctx.actor, kind, q.q.as_deref(), active, (page - 1) * PER_PAGE, PER_PAGE).await;
    let data = match result {
        Ok(d) => d,
        Err(e) => return ctx.store_error(&st, e),
    };
    let list = ListView {
        slug: slug.clone(),
        label: kind_label(lang, kind),
        columns: kind.fields().iter().map(|f| lang.t(f.zh, f.en).to_string()).collect(),
        rows: data
            .rows
            .into_iter()
            .map(|r| ListRow {
                href: format!("/admin/{slug}/{}", url_part(&r.code)),
                cells: r.cells,
                active: r.active,
            })
            .collect(),
        total: data.total,
        q: q.q.clone().unwrap_or_default(),
        status,
        page,
        pages: data.total.div_ceil(PER_PAGE),
        can_create: kind != Kind::Clients || ctx.actor.scope == Scope::All,
        can_import: kind.importable(),
        notice: notice_text(lang, q.notice.as_deref()),
    };
    let nav = ctx.nav();
    ctx.page(
        &st,
        StatusCode::OK,
        list.label.clone(),
        move || view! { <ListPage nav=nav list=list/> },
    )
}

/// Builds the edit form for `kind` from values (stored or as submitted).
async fn edit_view(
    st: &AppState,
    ctx: &Ctx,
    kind: Kind,
    code: Option<&str>,
    values: &BTreeMap<String, String>,
    active: Option<bool>,
    error: Option<(String, String)>,
) -> Result<EditView, store::Error> {
    let lang = ctx.lang;
    let mut fields = Vec::new();
    for f in kind.fields() {
        let input = match f.input {
            Input::Code if code.is_some() => FieldInput::Readonly,
            Input::Code | Input::Name | Input::Url => FieldInput::Text,
            Input::Ref { kind: rk, optional } => FieldInput::Select {
                options: store::admin::options(&st.db, &ctx.actor, rk).await?,
                optional,
            },
        };
        fields.push(FormField {
            name: f.name.to_string(),
            label: lang.t(f.zh, f.en).to_string(),
            value: values.get(f.name).cloned().unwrap_or_default(),
            required: !matches!(f.input, Input::Url | Input::Ref { optional: true, .. }),
            error: error.as_ref().filter(|(field, _)| field == f.name).map(|(_, m)| m.clone()),
            input,
        });
    }
    let base = format!("/admin/{}", kind.slug());
    let general_error = error
        .filter(|(field, _)| !kind.fields().iter().any(|f| f.name == field))
        .map(|(_, m)| m);
    let field_error = fields.iter().any(|f| f.error.is_some());
    Ok(EditView {
        title: match code {
            Some(c) => format!("{} · {}", kind_label(lang, kind), c),
            None => format!("{} · {}", kind_label(lang, kind), lang.t("新增", "Add")),
        },
        action: match code {
            Some(c) => format!("{base}/{}", url_part(c)),
            None => base.clone(),
        },
        fields,
        active: if kind == Kind::Clients { None } else { active },
        error: general_error.or_else(|| {
            field_error.then(|| {
                lang.t(
                    "请改正标出的项目。没有保存任何内容。",
                    "Please correct the marked fields. Nothing was saved.",
                )
                .to_string()
            })
        }),
        notice: None,
        delete_action: code.map(|c| format!("{base}/{}/delete", url_part(c))),
        links: match (kind, code) {
            (Kind::Regions, Some(c)) => vec![(
                format!("/admin/policies/{}", url_part(c)),
                lang.t(
                    "评价政策（默认评价、提醒、追加评价、整改时限）",
                    "Rating policy (defaults, reminders, follow-ups, deadlines)",
                )
                .to_string(),
            )],
            (Kind::Windows, Some(c)) => vec![
                (
                    format!("/print/window/{}", url_part(c)),
                    lang.t("打印评价二维码", "Print rating codes").to_string(),
                ),
                (
                    format!("/admin/devices/{}", url_part(c)),
                    lang.t("评价器", "Evaluators").to_string(),
                ),
            ],
            (Kind::Halls, Some(c)) => vec![(
                format!("/print/hall/{}", url_part(c)),
                lang.t("打印本大厅全部评价二维码", "Print all rating codes of this hall")
                    .to_string(),
            )],
            _ => vec![],
        },
        photo: match (kind, code) {
            (Kind::Staff, Some(c)) => Some((
                format!("/admin/photo/{}", url_part(c)),
                values.get("photo_url").filter(|u| u.starts_with("/staff-photo/")).cloned(),
            )),
            _ => None,
        },
        back: base,
    })
}

fn edit_page(st: &AppState, ctx: &Ctx, status: StatusCode, edit: EditView) -> Response {
    let nav = ctx.nav();
    let title = edit.title.clone();
    ctx.page(st, status, title, move || view! { <EditPage nav=nav edit=edit/> })
}

/// `GET /admin/{kind}/new`
pub async fn new_form(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Path(slug): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let ctx = match signed_in(&st, &session, &headers, &q, &format!("/admin/{slug}/new"), addr, Need::Admin).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(kind) = Kind::parse(&slug) else {
        return ctx.not_found(&st);
    };
    if !store::admin::can_list(&ctx.actor, kind) || (kind == Kind::Clients && ctx.actor.scope != Scope::All) {
        return ctx.forbidden(&st);
    }
    match edit_view(&st, &ctx, kind, None, &BTreeMap::new(), None, None).await {
        Ok(v) => edit_page(&st, &ctx, StatusCode::OK, v),
        Err(e) => ctx.store_error(&st, e),
    }
}

/// `GET /admin/{kind}/{code}`
pub async fn edit_form(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Path((slug, code)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/admin/{slug}/{}", url_part(&code));
    let ctx = match signed_in(
        &st,
        &session,
        &headers,
        &LangQuery { lang: q.lang.clone() },
        &path,
        addr,
        Need::Admin,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(kind) = Kind::parse(&slug) else {
        return ctx.not_found(&st);
    };
    let record = match store::admin::get(&st.db, &ctx.actor, kind, &code).await {
        Ok(r) => r,
        Err(e) => return ctx.store_error(&st, e),
    };
    match edit_view(&st, &ctx, kind, Some(&code), &record.values, Some(record.active), None).await {
        Ok(mut v) => {
            v.notice = notice_text(ctx.lang, q.notice.as_deref());
            edit_page(&st, &ctx, StatusCode::OK, v)
        }
        Err(e) => ctx.store_error(&st, e),
    }
}

#[allow(clippy::too_many_arguments)] // the extractors of the two handlers it serves
async fn save_common(
    st: AppState,
    session: Session,
    addr: ClientAddr,
    slug: String,
    code: Option<String>,
    q: LangQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = match &code {
        Some(c) => format!("/admin/{slug}/{}", url_part(c)),
        None => format!("/admin/{slug}/new"),
    };
    let ctx = match signed_in(&st, &session, &headers, &q, &path, addr, Need::Admin).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(kind) = Kind::parse(&slug) else {
        return ctx.not_found(&st);
    };
    let Some(form) = form_map(&body) else {
        return ctx.csrf_failed(&st);
    };
    if !csrf_ok(&session, form.get("_csrf").map(String::as_str)).await {
        return ctx.csrf_failed(&st);
    }
    let lang = ctx.lang;
    if kind == Kind::Clients && code.is_none() {
        let name = form.get("name").cloned().unwrap_or_default();
        return match store::admin::create_client(&st.db, &ctx.actor, &name, &ctx.meta).await {
            Ok((_, key)) => {
                let nav = ctx.nav();
                let mut res = ctx.page(
                    &st,
                    StatusCode::CREATED,
                    lang.t("接口密钥已创建", "API key created").into(),
                    move || {
                        view! { <KeyShownPage nav=nav name=name key=key/> }
                    },
                );
                res.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                res
            }
            Err(store::Error::Invalid { field, message }) => {
                match edit_view(&st, &ctx, kind, None, &form, None, Some((field.to_string(), message))).await {
                    Ok(v) => edit_page(&st, &ctx, StatusCode::UNPROCESSABLE_ENTITY, v),
                    Err(e) => ctx.store_error(&st, e),
                }
            }
            Err(e) => ctx.store_error(&st, e),
        };
    }
    match store::admin::save(&st.db, &ctx.actor, kind, code.as_deref(), &form, &ctx.meta).await {
        Ok(saved) => see_other(&format!("/admin/{slug}/{}?notice=saved", url_part(&saved))),
        Err(e @ (store::Error::Invalid { .. } | store::Error::Conflict(_))) => {
            let (status, err) = match e {
                store::Error::Invalid { field, message } => {
                    (StatusCode::UNPROCESSABLE_ENTITY, (field.to_string(), field_message(lang, &message)))
                }
                store::Error::Conflict(m) => (StatusCode::CONFLICT, ("code".to_string(), conflict_message(lang, &m))),
                _ => (StatusCode::UNPROCESSABLE_ENTITY, (String::new(), String::new())),
            };
            let active = code.as_ref().map(|_| form.contains_key("active"));
            match edit_view(&st, &ctx, kind, code.as_deref(), &form, active, Some(err)).await {
                Ok(v) => edit_page(&st, &ctx, status, v),
                Err(e) => ctx.store_error(&st, e),
            }
        }
        Err(e) => ctx.store_error(&st, e),
    }
}

fn field_message(lang: Lang, m: &str) -> String {
    match (lang, m) {
        (Lang::Zh, "is required") => "必填".into(),
        (Lang::Zh, m) => format!("无效：{m}"),
        (Lang::En, m) => m.to_string(),
    }
}

fn conflict_message(lang: Lang, m: &str) -> String {
    match lang {
        Lang::Zh => format!("编码已存在：{m}"),
        Lang::En => m.to_string(),
    }
}

/// `POST /admin/{kind}`: create.
pub async fn create(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Path(slug): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    save_common(st, session, addr, slug, None, q, headers, body).await
}

/// `POST /admin/{kind}/{code}`: update.
pub async fn update(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Path((slug, code)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    save_common(st, session, addr, slug, Some(code), q, headers, body).await
}

/// `POST /admin/{kind}/{code}/delete`: delete, or deactivate what has history.
pub async fn remove(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Path((slug, code)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ctx = match signed_in(&st, &session, &headers, &q, &format!("/admin/{slug}"), addr, Need::Admin).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(kind) = Kind::parse(&slug) else {
        return ctx.not_found(&st);
    };
    let form = form_map(&body).unwrap_or_default();
    if !csrf_ok(&session, form.get("_csrf").map(String::as_str)).await {
        return ctx.csrf_failed(&st);
    }
    match store::admin::remove(&st.db, &ctx.actor, kind, &code, &ctx.meta).await {
        Ok(Removed::Deleted) => see_other(&format!("/admin/{slug}?notice=deleted")),
        Ok(Removed::Deactivated) => see_other(&format!("/admin/{slug}/{}?notice=deactivated", url_part(&code))),
        Ok(Removed::Revoked) => see_other(&format!("/admin/{slug}/{}?notice=revoked", url_part(&code))),
        Err(e) => ctx.store_error(&st, e),
    }
}

// ---------------------------------------------------------------- CSV import

fn import_page(st: &AppState, ctx: &Ctx, status: StatusCode, kind: Kind, errors: Vec<ImportError>, result: Option<String>) -> Response {
    let nav = ctx.nav();
    let label = kind_label(ctx.lang, kind);
    let slug = kind.slug().to_string();
    ctx.page(st, status, label.clone(), move || {
        view! { <ImportPage nav=nav slug=slug label=label errors=errors result=result/> }
    })
}

/// `GET /admin/import/{kind}`
pub async fn import_form(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Path(slug): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let ctx = match signed_in(&st, &session, &headers, &q, &format!("/admin/import/{slug}"), addr, Need::Admin).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match Kind::parse(&slug).filter(|k| k.importable()) {
        Some(kind) if store::admin::can_list(&ctx.actor, kind) => import_page(&st, &ctx, StatusCode::OK, kind, vec![], None),
        Some(_) => ctx.forbidden(&st),
        None => ctx.not_found(&st),
    }
}

/// `GET /admin/import/{kind}/template.csv`
pub async fn import_template(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Path(slug): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let ctx = match signed_in(&st, &session, &headers, &q, &format!("/admin/import/{slug}"), addr, Need::Admin).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match Kind::parse(&slug).and_then(store::csv_import::template) {
        Some(csv) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"haocha-{slug}-template.csv\""),
                ),
            ],
            csv,
        )
            .into_response(),
        None => ctx.not_found(&st),
    }
}

/// `POST /admin/import/{kind}` (multipart: `_csrf`, `file`)
pub async fn import(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Path(slug): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let ctx = match signed_in(&st, &session, &headers, &q, &format!("/admin/import/{slug}"), addr, Need::Admin).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(kind) = Kind::parse(&slug).filter(|k| k.importable()) else {
        return ctx.not_found(&st);
    };
    let lang = ctx.lang;
    let bad = |m: &str| ImportError {
        line: 0,
        column: String::new(),
        message: m.to_string(),
    };
    let Ok(mut multipart) = multipart else {
        return import_page(
            &st,
            &ctx,
            StatusCode::BAD_REQUEST,
            kind,
            vec![bad(lang.t("请选择一个 CSV 文件上传。", "Choose a CSV file to upload."))],
            None,
        );
    };
    let Ok((csrf, file)) = read_upload(&mut multipart, "file").await else {
        return import_page(
            &st,
            &ctx,
            StatusCode::PAYLOAD_TOO_LARGE,
            kind,
            vec![bad(lang.t(
                "文件过大或上传中断（上限 8 MB），没有导入任何记录。",
                "The file is too large or the upload broke off (8 MB at most); nothing was imported.",
            ))],
            None,
        );
    };
    if !csrf_ok(&session, csrf.as_deref()).await {
        return ctx.csrf_failed(&st);
    }
    let Some(file) = file.filter(|f| !f.is_empty()) else {
        return import_page(
            &st,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            kind,
            vec![bad(lang.t("请选择一个 CSV 文件上传。", "Choose a CSV file to upload."))],
            None,
        );
    };
    match store::csv_import::import(&st.db, &ctx.actor, kind, &file, &ctx.meta).await {
        Ok(store::csv_import::Outcome::Imported {
            created,
            updated,
            unchanged,
        }) => {
            let text = match lang {
                Lang::Zh => format!("导入成功：新增 {created} 条，更新 {updated} 条，未变 {unchanged} 条。"),
                Lang::En => format!("Imported: {created} added, {updated} updated, {unchanged} unchanged."),
            };
            import_page(&st, &ctx, StatusCode::OK, kind, vec![], Some(text))
        }
        Ok(store::csv_import::Outcome::Rejected(errors)) => {
            let errors = errors
                .into_iter()
                .map(|e| ImportError {
                    line: e.line,
                    column: e.column,
                    message: e.message,
                })
                .collect();
            import_page(&st, &ctx, StatusCode::UNPROCESSABLE_ENTITY, kind, errors, None)
        }
        Err(e) => ctx.store_error(&st, e),
    }
}

// ---------------------------------------------------------------- audit trail

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    pub lang: Option<String>,
    pub person: Option<String>,
    pub object: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: Option<String>,
}

/// The audit action as people read it; the stored code stays stable.
fn action_label(lang: Lang, code: &str) -> String {
    let zh = match code {
        "create" => "新增",
        "update" => "修改",
        "delete" => "删除",
        "deactivate" => "停用",
        "activate" => "启用",
        "revoke" => "吊销",
        "sign_in" => "登录",
        "sign_in_failed" => "登录失败",
        "sign_in_locked" => "锁定期间尝试登录",
        "locked" => "连续失败被锁定",
        "sign_out" => "退出",
        "password_change" => "修改密码",
        "password_reset" => "重置密码",
        "unlock" => "解除锁定",
        "photo" => "上传照片",
        "pair_start" => "生成配对码",
        _ => return code.to_string(),
    };
    match lang {
        Lang::Zh => format!("{zh} ({code})"),
        Lang::En => code.to_string(),
    }
}

fn day(s: Option<&str>) -> Result<Option<DateTime<Utc>>, ()> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => {
            let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| ())?;
            Ok(Some(store::console::day_start(d.and_hms_opt(12, 0, 0).ok_or(())?.and_utc())))
        }
    }
}

/// `GET /admin/audit`
pub async fn audit(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Query(q): Query<AuditQuery>,
    headers: HeaderMap,
) -> Response {
    let ctx = match signed_in(
        &st,
        &session,
        &headers,
        &LangQuery { lang: q.lang.clone() },
        "/admin/audit",
        addr,
        Need::Admin,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = ctx.lang;
    let (from, to) = match (day(q.from.as_deref()), day(q.to.as_deref())) {
        (Ok(f), Ok(t)) => (f, t.map(|t| t + Duration::days(1))),
        _ => (None, None),
    };
    let date_error = (day(q.from.as_deref()).is_err() || day(q.to.as_deref()).is_err())
        .then(|| lang.t("日期格式应为 2026-11-27。", "Dates are written 2026-11-27.").to_string());
    let page = q.page.as_deref().and_then(|p| p.parse::<u64>().ok()).unwrap_or(1).max(1);
    let filter = store::audit::Filter {
        person: q.person.clone(),
        object: q.object.clone(),
        from,
        to,
    };
    let (lines, total) = match store::audit::search(&st.db, &ctx.actor, &filter, (page - 1) * PER_PAGE, PER_PAGE).await {
        Ok(r) => r,
        Err(e) => return ctx.store_error(&st, e),
    };
    let view_data = AuditView {
        person: q.person.clone().unwrap_or_default(),
        object: q.object.clone().unwrap_or_default(),
        from: q.from.clone().unwrap_or_default(),
        to: q.to.clone().unwrap_or_default(),
        rows: lines
            .into_iter()
            .map(|l| AuditRow {
                at: l.at.with_timezone(&china()).format("%Y-%m-%d %H:%M:%S").to_string(),
                actor: l.actor,
                role: Role::parse(&l.role).map(|r| role_label(lang, r)).unwrap_or(l.role),
                action: action_label(lang, &l.action),
                object: format!("{}:{}", l.object_kind, l.object_code),
                before: l.before.unwrap_or_default(),
                after: l.after.unwrap_or_default(),
                address: l.address.unwrap_or_default(),
            })
            .collect(),
        total,
        page,
        pages: total.div_ceil(PER_PAGE),
        error: date_error,
    };
    let nav = ctx.nav();
    ctx.page(&st, StatusCode::OK, lang.t("审计日志", "Audit trail").into(), move || {
        view! { <AuditPage nav=nav audit=view_data/> }
    })
}

// ---------------------------------------------------------------- staff console

/// `GET /staff`
pub async fn console(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Query(cq): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    let q = LangQuery { lang: cq.lang.clone() };
    let ctx = match signed_in(&st, &session, &headers, &q, "/staff", addr, Need::Staff).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let c = match store::console::console(&st.db, &ctx.actor, st.now()).await {
        Ok(c) => c,
        Err(e) => return ctx.store_error(&st, e),
    };
    let data = ConsoleView {
        window_code: c.window_code,
        window_name: c.window_name,
        hall_name: c.hall_name,
        rows: c
            .cases
            .into_iter()
            .map(|k| ConsoleRow {
                case_number: k.case_number,
                item_name: k.item_name,
                completed_at: k.completed_at.with_timezone(&china()).format("%H:%M").to_string(),
                rated: k.rated,
            })
            .collect(),
        notice: match cq.notice.as_deref() {
            Some("invited") => Some(
                ctx.lang
                    .t(
                        "已邀请：评价器正在显示该业务的评价页面。",
                        "Invited: the evaluator shows this case's rating page.",
                    )
                    .to_string(),
            ),
            Some("already") => Some(ctx.lang.t("该业务已评价。", "This case is already rated.").to_string()),
            _ => None,
        },
    };
    let nav = ctx.nav();
    let lang = ctx.lang;
    ctx.page(&st, StatusCode::OK, lang.t("我的窗口", "My window").into(), move || {
        view! { <ConsolePage nav=nav console=data/> }
    })
}

// ---------------------------------------------------------------- accounts

fn scope_text(lang: Lang, role: Role, scope: Option<&str>) -> String {
    match scope {
        Some(s) => s.to_string(),
        None if role == Role::SystemAdmin => lang.t("全部", "Everything").to_string(),
        None => String::new(),
    }
}

fn status_text(lang: Lang, a: &store::accounts::AccountRow, now: DateTime<Utc>) -> String {
    if !a.active {
        return lang.t("停用", "Inactive").to_string();
    }
    if let Some(until) = a.locked_until.filter(|u| *u > now) {
        let t = until.with_timezone(&china()).format("%H:%M");
        return match lang {
            Lang::Zh => format!("锁定至 {t}"),
            Lang::En => format!("Locked until {t}"),
        };
    }
    if a.must_change_password {
        return lang.t("启用（待首次改密）", "Active (first password not changed yet)").to_string();
    }
    lang.t("启用", "Active").to_string()
}

/// `GET /admin/accounts`
pub async fn accounts(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Query(q): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    let ctx = match signed_in(
        &st,
        &session,
        &headers,
        &LangQuery { lang: q.lang.clone() },
        "/admin/accounts",
        addr,
        Need::Admin,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = ctx.lang;
    let page = q.page.as_deref().and_then(|p| p.parse::<u64>().ok()).unwrap_or(1).max(1);
    let (rows, total) = match store::accounts::list_accounts(&st.db, &ctx.actor, q.q.as_deref(), (page - 1) * PER_PAGE, PER_PAGE).await {
        Ok(r) => r,
        Err(e) => return ctx.store_error(&st, e),
    };
    let now = st.now();
    let list = ListView {
        slug: "accounts".into(),
        label: lang.t("账号", "Accounts").into(),
        columns: vec![
            lang.t("工号", "Job number").into(),
            lang.t("姓名", "Name").into(),
            lang.t("角色", "Role").into(),
            lang.t("管理范围", "Scope").into(),
            lang.t("账号状态", "Account status").into(),
        ],
        rows: rows
            .into_iter()
            .map(|a| ListRow {
                href: format!("/admin/accounts/{}", url_part(&a.job_number)),
                cells: vec![
                    a.job_number.clone(),
                    a.name.clone(),
                    role_label(lang, a.role),
                    scope_text(lang, a.role, a.scope_code.as_deref()),
                    status_text(lang, &a, now),
                ],
                active: a.active,
            })
            .collect(),
        total,
        q: q.q.clone().unwrap_or_default(),
        status: "all".into(),
        page,
        pages: total.div_ceil(PER_PAGE),
        can_create: true,
        can_import: false,
        notice: None,
    };
    let nav = ctx.nav();
    ctx.page(
        &st,
        StatusCode::OK,
        list.label.clone(),
        move || view! { <ListPage nav=nav list=list/> },
    )
}

fn account_form(ctx: &Ctx, values: &BTreeMap<String, String>, error: Option<(String, String)>) -> EditView {
    let lang = ctx.lang;
    let field = |name: &str, label: &str, input: FieldInput, required: bool| FormField {
        name: name.to_string(),
        label: label.to_string(),
        value: values.get(name).cloned().unwrap_or_default(),
        input,
        required,
        error: error.as_ref().filter(|(f, _)| f == name).map(|(_, m)| m.clone()),
    };
    let roles = store::accounts::grantable(&ctx.actor)
        .into_iter()
        .map(|r| (r.code().to_string(), role_label(lang, r)))
        .collect();
    let general = error
        .as_ref()
        .filter(|(f, _)| !["job_number", "role", "scope"].contains(&f.as_str()))
        .map(|(_, m)| m.clone());
    EditView {
        title: format!("{} · {}", lang.t("账号", "Accounts"), lang.t("新增", "Add")),
        action: "/admin/accounts".into(),
        fields: vec![
            field("job_number", lang.t("工号", "Job number"), FieldInput::Text, true),
            field(
                "role",
                lang.t("角色", "Role"),
                FieldInput::Select {
                    options: roles,
                    optional: false,
                },
                true,
            ),
            field(
                "scope",
                lang.t(
                    "管理范围编码（中心管理员填区划代码，部门管理员填部门编码，窗口工作人员填窗口编码）",
                    "Scope code (region for center administrators, unit for unit administrators, window for window staff)",
                ),
                FieldInput::Text,
                false,
            ),
        ],
        active: None,
        error: general.or_else(|| {
            error.is_some().then(|| {
                lang.t(
                    "请改正标出的项目。没有保存任何内容。",
                    "Please correct the marked fields. Nothing was saved.",
                )
                .to_string()
            })
        }),
        notice: None,
        delete_action: None,
        links: vec![],
        photo: None,
        back: "/admin/accounts".into(),
    }
}

/// `GET /admin/accounts/new`
pub async fn new_account(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let ctx = match signed_in(&st, &session, &headers, &q, "/admin/accounts/new", addr, Need::Admin).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let v = account_form(&ctx, &BTreeMap::new(), None);
    edit_page(&st, &ctx, StatusCode::OK, v)
}

/// `POST /admin/accounts`: create; shows the first password once.
pub async fn create_account(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ctx = match signed_in(&st, &session, &headers, &q, "/admin/accounts/new", addr, Need::Admin).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(form) = form_map(&body) else {
        return ctx.csrf_failed(&st);
    };
    if !csrf_ok(&session, form.get("_csrf").map(String::as_str)).await {
        return ctx.csrf_failed(&st);
    }
    let lang = ctx.lang;
    let get = |k: &str| form.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let Some(role) = Role::parse(&get("role")) else {
        let v = account_form(&ctx, &form, Some(("role".into(), lang.t("请选择角色", "Choose a role").into())));
        return edit_page(&st, &ctx, StatusCode::UNPROCESSABLE_ENTITY, v);
    };
    let scope = get("scope");
    let job = get("job_number");
    match store::accounts::create_by(
        &st.db,
        &ctx.actor,
        role,
        Some(scope.as_str()).filter(|s| !s.is_empty()),
        &job,
        &ctx.meta,
    )
    .await
    {
        Ok(password) => {
            let nav = ctx.nav();
            let subject = format!("{job} · {}", role_label(lang, role));
            let mut res = ctx.page(&st, StatusCode::CREATED, lang.t("账号已创建", "Account created").into(), move || {
                view! { <SecretPage nav=nav title=lang.t("账号已创建", "Account created").to_string() subject=subject secret=password back="/admin/accounts".to_string()/> }
            });
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(store::Error::Invalid { field, message }) => {
            let v = account_form(&ctx, &form, Some((field.to_string(), field_message(lang, &message))));
            edit_page(&st, &ctx, StatusCode::UNPROCESSABLE_ENTITY, v)
        }
        Err(store::Error::Conflict(m)) => {
            let v = account_form(&ctx, &form, Some(("job_number".into(), conflict_message(lang, &m))));
            edit_page(&st, &ctx, StatusCode::CONFLICT, v)
        }
        Err(e) => ctx.store_error(&st, e),
    }
}

/// `GET /admin/accounts/{job_number}`
pub async fn account(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Path(job): Path<String>,
    Query(q): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/admin/accounts/{}", url_part(&job));
    let ctx = match signed_in(
        &st,
        &session,
        &headers,
        &LangQuery { lang: q.lang.clone() },
        &path,
        addr,
        Need::Admin,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let a = match store::accounts::get_account(&st.db, &ctx.actor, &job).await {
        Ok(a) => a,
        Err(e) => return ctx.store_error(&st, e),
    };
    let lang = ctx.lang;
    let now = st.now();
    let notice = match q.notice.as_deref() {
        Some("unlock") => Some(lang.t("已解除锁定。", "Unlocked.").to_string()),
        Some("deactivate") => Some(
            lang.t("账号已停用，其登录会话立即失效。", "Deactivated; its sessions end at once.")
                .to_string(),
        ),
        Some("activate") => Some(lang.t("账号已启用。", "Activated.").to_string()),
        _ => None,
    };
    let view_data = AccountView {
        job_number: a.job_number.clone(),
        name: a.name.clone(),
        role_label: role_label(lang, a.role),
        scope: scope_text(lang, a.role, a.scope_code.as_deref()),
        status: status_text(lang, &a, now),
        last_sign_in: a
            .last_sign_in_at
            .map(|t| t.with_timezone(&china()).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| lang.t("从未登录", "Never").to_string()),
        active: a.active,
        locked: a.locked_until.is_some_and(|u| u > now),
        notice,
    };
    let nav = ctx.nav();
    ctx.page(
        &st,
        StatusCode::OK,
        format!("{} · {}", lang.t("账号", "Account"), a.job_number),
        move || {
            view! { <AccountPage nav=nav account=view_data/> }
        },
    )
}

/// `POST /admin/accounts/{job_number}/{reset|unlock|deactivate|activate}`
pub async fn account_action(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Path((job, what)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/admin/accounts/{}", url_part(&job));
    let ctx = match signed_in(&st, &session, &headers, &q, &path, addr, Need::Admin).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    use store::accounts::AccountAction as A;
    let action = match what.as_str() {
        "reset" => A::ResetPassword,
        "unlock" => A::Unlock,
        "deactivate" => A::Deactivate,
        "activate" => A::Activate,
        _ => return ctx.not_found(&st),
    };
    let form = form_map(&body).unwrap_or_default();
    if !csrf_ok(&session, form.get("_csrf").map(String::as_str)).await {
        return ctx.csrf_failed(&st);
    }
    match store::accounts::act_on(&st.db, &ctx.actor, &job, action, &ctx.meta).await {
        Ok(Some(password)) => {
            let lang = ctx.lang;
            let nav = ctx.nav();
            let subject = job.clone();
            let mut res = ctx.page(&st, StatusCode::OK, lang.t("密码已重置", "Password reset").into(), move || {
                view! { <SecretPage nav=nav title=lang.t("密码已重置", "Password reset").to_string() subject=subject secret=password back=path/> }
            });
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Ok(None) => see_other(&format!("{path}?notice={what}")),
        Err(e) => ctx.store_error(&st, e),
    }
}

// ---------------------------------------------------------------- staff photos

/// `POST /admin/photo/{job_number}` (multipart: `_csrf`, `photo`)
pub async fn upload_photo(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Path(job): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let path = format!("/admin/staff/{}", url_part(&job));
    let ctx = match signed_in(&st, &session, &headers, &q, &path, addr, Need::Admin).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = ctx.lang;
    let upload = match multipart {
        Ok(mut m) => read_upload(&mut m, "photo").await,
        Err(_) => Err(()),
    };
    let too_big = upload.is_err();
    let (csrf, photo) = upload.unwrap_or_default();
    if !too_big && !csrf_ok(&session, csrf.as_deref()).await {
        return ctx.csrf_failed(&st);
    }
    let result = match photo.filter(|p| !p.is_empty()) {
        _ if too_big => Err(store::Error::invalid("photo", "at most 512 KB")),
        Some(bytes) => store::photos::upload(&st.db, &ctx.actor, &job, &bytes, &ctx.meta).await,
        None => Err(store::Error::invalid("photo", "choose an image file")),
    };
    match result {
        Ok(_) => see_other(&format!("{path}?notice=photo")),
        Err(store::Error::Invalid { message, .. }) => {
            let message = match (lang, message.as_str()) {
                (Lang::Zh, "a JPEG, PNG or WebP image") => "照片须为 JPEG、PNG 或 WebP 图片，没有保存。".to_string(),
                (Lang::Zh, "at most 512 KB") => "照片不能超过 512 KB，没有保存。".to_string(),
                (Lang::Zh, "choose an image file") => "请选择一张照片。".to_string(),
                (_, m) => format!("Photo: {m}. Nothing was saved."),
            };
            let record = match store::admin::get(&st.db, &ctx.actor, Kind::Staff, &job).await {
                Ok(r) => r,
                Err(e) => return ctx.store_error(&st, e),
            };
            match edit_view(
                &st,
                &ctx,
                Kind::Staff,
                Some(&job),
                &record.values,
                Some(record.active),
                Some(("photo".into(), message)),
            )
            .await
            {
                Ok(v) => edit_page(&st, &ctx, StatusCode::UNPROCESSABLE_ENTITY, v),
                Err(e) => ctx.store_error(&st, e),
            }
        }
        Err(e) => ctx.store_error(&st, e),
    }
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
