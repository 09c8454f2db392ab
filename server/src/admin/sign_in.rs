//! Sign-in, sign-out and the password change (`/login`, `/logout`,
//! `/account/password`).

use app::pages::admin::{PasswordPage, SignInPage};
use app::pages::message::Tone;
use app::{render, text, Lang};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::Role;
use leptos::prelude::*;
use serde::Deserialize;
use store::accounts::{PasswordChangeError, SignInError};
use store::audit::Meta;
use tower_sessions::Session;

use crate::web::extract::{csrf_ok, csrf_token, ACCOUNT, CSRF, EPOCH, SEEN};
use crate::web::{form_map, html, Anyone, ClientAddr, Ctx, Language, Message, PageError, PageQuery, Signed};
use crate::AppState;

fn home_of(role: Role) -> &'static str {
    if role.is_admin() {
        "/admin"
    } else {
        "/staff"
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    pub lang: Option<String>,
    pub expired: Option<String>,
}

fn sign_in_page(
    st: &AppState,
    l: Language,
    status: StatusCode,
    csrf: String,
    job: String,
    error: Option<String>,
    notice: Option<String>,
) -> Response {
    let lang = l.lang;
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
    html(status, doc, l.cookie)
}

/// `GET /login`
pub async fn login_page(
    State(st): State<AppState>,
    session: Session,
    l: Language,
    PageQuery(q): PageQuery<LoginQuery>,
) -> Result<Response, PageError> {
    if let Ok(Some(id)) = session.get::<i32>(ACCOUNT).await {
        if let Ok(Some(a)) = store::accounts::actor(&st.db, id).await {
            return Ok(Redirect::to(home_of(a.role)).into_response());
        }
    }
    let csrf = csrf_token(&session).await.map_err(PageError::internal)?;
    let lang = l.lang;
    let notice = q.expired.map(|_| {
        lang.t(
            "长时间未操作，已自动退出，请重新登录。",
            "You were signed out after a period without activity. Please sign in again.",
        )
        .to_string()
    });
    Ok(sign_in_page(&st, l, StatusCode::OK, csrf, String::new(), None, notice))
}

/// `POST /login`
pub async fn login(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    l: Language,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = l.lang;
    let Some(form) = form_map(&body) else {
        let m = Message::new(
            StatusCode::BAD_REQUEST,
            Tone::Problem,
            lang.t("无效的提交", "Invalid submission"),
            text::not_utf8(lang),
            "/login",
        );
        return Ok(m.render(&st, lang, l.cookie));
    };
    let job = form.get("job_number").cloned().unwrap_or_default();
    if !csrf_ok(&session, form.get("_csrf").map(String::as_str)).await {
        let csrf = csrf_token(&session).await.unwrap_or_default();
        let error = lang.t(
            "登录表单已失效（或浏览器禁用了 Cookie），请重试。",
            "The sign-in form expired (or cookies are off in this browser). Please try again.",
        );
        return Ok(sign_in_page(&st, l, StatusCode::FORBIDDEN, csrf, job, Some(error.into()), None));
    }
    let meta = Meta {
        now: st.now(),
        address: addr.0,
    };
    let password = form.get("password").cloned().unwrap_or_default();
    match store::accounts::sign_in(&st.db, &job, &password, &meta).await? {
        Ok(account_id) => {
            // A new session id at sign-in: a planted cookie cannot ride along (fixation).
            session.cycle_id().await.map_err(PageError::internal)?;
            let _ = session.insert(ACCOUNT, account_id).await;
            let _ = session.insert(SEEN, meta.now.timestamp()).await;
            let _ = session.insert(CSRF, store::random_token(24)).await;
            let actor = store::accounts::actor(&st.db, account_id).await?;
            let _ = session.insert(EPOCH, actor.as_ref().map_or(0, |a| a.session_epoch)).await;
            let to = match actor {
                Some(a) if a.must_change_password => "/account/password",
                Some(a) => home_of(a.role),
                None => "/login",
            };
            Ok(Redirect::to(to).into_response())
        }
        Err(e) => {
            let error = match e {
                SignInError::BadCredentials => lang.t("工号或密码不正确。", "Wrong job number or password.").to_string(),
                SignInError::Throttled { seconds } => match lang {
                    Lang::Zh => format!("尝试次数过多，请 {seconds} 秒后再试。"),
                    Lang::En => format!("Too many tries: try again in {seconds} s."),
                },
            };
            let status = match e {
                SignInError::BadCredentials => StatusCode::UNAUTHORIZED,
                SignInError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            };
            let csrf = csrf_token(&session).await.unwrap_or_default();
            Ok(sign_in_page(&st, l, status, csrf, job, Some(error), None))
        }
    }
}

/// `POST /logout`: a stale session is simply ended.
pub async fn logout(
    State(st): State<AppState>,
    session: Session,
    signed: Result<Signed<Anyone>, PageError>,
    body: Bytes,
) -> Result<Response, PageError> {
    let Ok(Signed(ctx, _)) = signed else {
        let _ = session.flush().await;
        return Ok(Redirect::to("/login").into_response());
    };
    ctx.check_csrf_form(&body).await?;
    store::accounts::signed_out(&st.db, &ctx.actor, &ctx.meta).await?;
    let _ = session.flush().await;
    Ok(Redirect::to("/login").into_response())
}

fn password_page(st: &AppState, ctx: &Ctx, status: StatusCode, error: Option<String>) -> Response {
    let nav = ctx.nav();
    let forced = ctx.actor.must_change_password;
    ctx.page(st, status, ctx.lang.t("修改密码", "Change password").to_string(), move || {
        view! { <PasswordPage nav=nav forced=forced error=error/> }
    })
}

/// `GET /account/password`
pub async fn password_form(State(st): State<AppState>, Signed(ctx, _): Signed<Anyone>) -> Response {
    password_page(&st, &ctx, StatusCode::OK, None)
}

/// `POST /account/password`
pub async fn change_password(State(st): State<AppState>, Signed(ctx, _): Signed<Anyone>, body: Bytes) -> Result<Response, PageError> {
    let form = form_map(&body).unwrap_or_default();
    ctx.check_csrf(form.get("_csrf").map(String::as_str)).await?;
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let lang = ctx.lang;
    match store::accounts::change_password(&st.db, &ctx.actor, &get("current"), &get("new"), &get("repeat"), &ctx.meta).await? {
        Ok(epoch) => {
            // This session goes on under the new epoch (and a new id); every
            // other session of the account is ended at its next request.
            ctx.session.cycle_id().await.map_err(PageError::internal)?;
            ctx.session.insert(EPOCH, epoch).await.map_err(PageError::internal)?;
            Ok(Redirect::to(home_of(ctx.actor.role)).into_response())
        }
        Err(e) => {
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
            Ok(password_page(&st, &ctx, StatusCode::UNPROCESSABLE_ENTITY, Some(msg)))
        }
    }
}
