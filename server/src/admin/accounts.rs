//! `/admin/accounts`: accounts below one's own level inside one's scope —
//! create (first password shown once), reset password, unlock, deactivate,
//! activate.

use std::collections::BTreeMap;

use app::pages::admin::{AccountPage, AccountView, EditPage, EditView, FieldInput, FormField, ListPage, ListRow, ListView, SecretPage};
use app::{text, Lang};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use domain::Role;
use leptos::prelude::*;
use store::console::china;

use super::{page_number, ListQuery, PER_PAGE};
use crate::web::respond::refusal;
use crate::web::{form_map, url_part, Admin, Ctx, PageError, PageQuery, Signed};
use crate::AppState;

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
        let t = until.with_timezone(&china()).format("%H:%M:%S");
        return match lang {
            Lang::Zh => format!("登录受限至 {t}（错误次数过多）"),
            Lang::En => format!("Sign-in slowed until {t} (too many failures)"),
        };
    }
    if a.must_change_password {
        return lang.t("启用（待首次改密）", "Active (first password not changed yet)").to_string();
    }
    lang.t("启用", "Active").to_string()
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `GET /admin/accounts`
pub async fn accounts(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    PageQuery(q): PageQuery<ListQuery>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let page = page_number(q.page.as_deref())?;
    let (rows, total) =
        store::accounts::list_accounts(&st.db, &ctx.actor, q.q.as_deref(), (page - 1) * PER_PAGE, PER_PAGE, ctx.meta.now).await?;
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
                    text::role(lang, a.role),
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
    Ok(ctx.page(
        &st,
        StatusCode::OK,
        list.label.clone(),
        move || view! { <ListPage nav=nav list=list/> },
    ))
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
        .map(|r| (r.code().to_string(), text::role(lang, r)))
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

fn form_page(st: &AppState, ctx: &Ctx, status: StatusCode, v: EditView) -> Response {
    let nav = ctx.nav();
    let title = v.title.clone();
    ctx.page(st, status, title, move || view! { <EditPage nav=nav edit=v/> })
}

/// `GET /admin/accounts/new`
pub async fn new_account(State(st): State<AppState>, Signed(ctx, _): Signed<Admin>) -> Response {
    let v = account_form(&ctx, &BTreeMap::new(), None);
    form_page(&st, &ctx, StatusCode::OK, v)
}

/// `POST /admin/accounts`: create; shows the first password once.
pub async fn create_account(
    State(st): State<AppState>,
    Signed(mut ctx, _): Signed<Admin>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    ctx.set_path("/admin/accounts/new");
    let form = form_map(&body).ok_or(PageError::CsrfFailed)?;
    ctx.check_csrf(form.get("_csrf").map(String::as_str)).await?;
    let lang = ctx.lang;
    let get = |k: &str| form.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let Some(role) = Role::parse(&get("role")) else {
        let v = account_form(&ctx, &form, Some(("role".into(), lang.t("请选择角色", "Choose a role").into())));
        return Ok(form_page(&st, &ctx, StatusCode::UNPROCESSABLE_ENTITY, v));
    };
    let scope = get("scope");
    let job = get("job_number");
    let created = store::accounts::create_by(
        &st.db,
        &ctx.actor,
        role,
        Some(scope.as_str()).filter(|s| !s.is_empty()),
        &job,
        &ctx.meta,
    )
    .await;
    let (status, error) = match created {
        Ok(password) => {
            let nav = ctx.nav();
            let subject = format!("{job} · {}", text::role(lang, role));
            let title = lang.t("账号已创建", "Account created");
            return Ok(no_store(ctx.page(&st, StatusCode::CREATED, title.into(), move || {
                view! { <SecretPage nav=nav title=title.to_string() subject=subject secret=password back="/admin/accounts".to_string()/> }
            })));
        }
        Err(e) => {
            let (status, field, text) = refusal(lang, e)?;
            (status, (if field.is_empty() { "job_number" } else { field }.to_string(), text))
        }
    };
    let v = account_form(&ctx, &form, Some(error));
    Ok(form_page(&st, &ctx, status, v))
}

/// `GET /admin/accounts/{job_number}`
pub async fn account(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    Path(job): Path<String>,
    PageQuery(q): PageQuery<ListQuery>,
) -> Result<Response, PageError> {
    let a = store::accounts::get_account(&st.db, &ctx.actor, &job, ctx.meta.now).await?;
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
        role_label: text::role(lang, a.role),
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
    let title = format!("{} · {}", lang.t("账号", "Account"), a.job_number);
    Ok(ctx.page(
        &st,
        StatusCode::OK,
        title,
        move || view! { <AccountPage nav=nav account=view_data/> },
    ))
}

/// `POST /admin/accounts/{job_number}/{reset|unlock|deactivate|activate}`
pub async fn account_action(
    State(st): State<AppState>,
    Signed(mut ctx, _): Signed<Admin>,
    Path((job, what)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let path = format!("/admin/accounts/{}", url_part(&job));
    ctx.set_path(path.clone());
    use store::accounts::AccountAction as A;
    let action = match what.as_str() {
        "reset" => A::ResetPassword,
        "unlock" => A::Unlock,
        "deactivate" => A::Deactivate,
        "activate" => A::Activate,
        _ => return Err(PageError::NotFound),
    };
    ctx.check_csrf_form(&body).await?;
    match store::accounts::act_on(&st.db, &ctx.actor, &job, action, &ctx.meta).await? {
        Some(password) => {
            let lang = ctx.lang;
            let nav = ctx.nav();
            let subject = job.clone();
            let title = lang.t("密码已重置", "Password reset");
            Ok(no_store(ctx.page(&st, StatusCode::OK, title.into(), move || {
                view! { <SecretPage nav=nav title=title.to_string() subject=subject secret=password back=path/> }
            })))
        }
        None => Ok(Redirect::to(&format!("{path}?notice={what}")).into_response()),
    }
}
