//! `/admin/calendar`: the working-day calendar's years, each day for
//! auditing, and loading a new year (system administrators).

use app::pages::admin::{CalendarPage, CalendarYearRow};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use leptos::prelude::*;
use store::accounts::Scope;
use tower_sessions::Session;

use crate::admin::{read_upload_fields, signed_in_any, ClientAddr, Ctx};
use crate::pages::LangQuery;
use crate::AppState;

async fn guard(st: &AppState, session: &Session, headers: &HeaderMap, q: &LangQuery, addr: ClientAddr) -> Result<Ctx, Response> {
    let ctx = signed_in_any(st, session, headers, q, "/admin/calendar", addr).await?;
    if !(ctx.actor.role.is_admin() && matches!(ctx.actor.scope, Scope::All)) {
        return Err(ctx.forbidden(st));
    }
    Ok(ctx)
}

async fn page(st: &AppState, ctx: &Ctx, status: StatusCode, notice: Option<String>, error: Option<String>) -> Response {
    let lang = ctx.lang;
    let years = match store::calendar::years(&st.db).await {
        Ok(y) => y,
        Err(e) => return ctx.store_error(st, e),
    };
    let rows = years
        .into_iter()
        .map(|y| CalendarYearRow {
            year: y.year,
            source: match (y.loaded_by, y.loaded_at) {
                (Some(by), Some(at)) => format!(
                    "{} {by} · {}",
                    lang.t("上传：", "Loaded by"),
                    at.with_timezone(&store::console::china()).format("%Y-%m-%d %H:%M")
                ),
                _ => lang.t("内置（国务院办公厅通知）", "Built in (State Council notice)").to_string(),
            },
            holidays: y.holidays,
            working_weekends: y.working_weekends,
        })
        .collect();
    let nav = ctx.nav_pub();
    ctx.page(st, status, lang.t("工作日历", "Working-day calendar").into(), move || {
        view! { <CalendarPage nav=nav years=rows notice=notice error=error/> }
    })
}

/// `GET /admin/calendar`
pub async fn calendar(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    match guard(&st, &session, &headers, &q, addr).await {
        Ok(ctx) => page(&st, &ctx, StatusCode::OK, None, None).await,
        Err(r) => r,
    }
}

/// `GET /admin/calendar/{year}.txt`: every date, `YYYY-MM-DD W|R` (as `haocha calendar days`).
pub async fn days(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Path(file): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let ctx = match guard(&st, &session, &headers, &q, addr).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(year) = file
        .strip_suffix(".txt")
        .and_then(|y| y.parse::<i32>().ok())
        .filter(|y| (1900..=2200).contains(y))
    else {
        return ctx.not_found(&st);
    };
    let c = match store::calendar::load(&st.db).await {
        Ok(c) => c,
        Err(e) => return ctx.store_error(&st, e),
    };
    let mut text = c.days_of_year(year).join("\n");
    text.push('\n');
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

/// `POST /admin/calendar` (multipart: `year`, `file`): checks the whole file,
/// loads it or nothing.
pub async fn load(
    State(st): State<AppState>,
    session: Session,
    addr: ClientAddr,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let ctx = match guard(&st, &session, &headers, &q, addr).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = ctx.lang;
    let bad = |m: &str| Some(m.to_string());
    let Ok(mut multipart) = multipart else {
        return page(
            &st,
            &ctx,
            StatusCode::BAD_REQUEST,
            None,
            bad(lang.t("请选择文件上传。", "Choose a file to upload.")),
        )
        .await;
    };
    let Ok((fields, file)) = read_upload_fields(&mut multipart, "file").await else {
        return page(
            &st,
            &ctx,
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            bad(lang.t(
                "文件过大或上传中断，没有导入。",
                "The file is too large or the upload broke off; nothing was loaded.",
            )),
        )
        .await;
    };
    if !crate::admin::csrf_ok(&session, fields.get("_csrf").map(String::as_str)).await {
        return ctx.csrf_failed_pub(&st);
    }
    let Some(year) = fields.get("year").and_then(|y| y.trim().parse::<i32>().ok()) else {
        return page(
            &st,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            bad(lang.t("请填写四位数年份。", "Enter a four-digit year.")),
        )
        .await;
    };
    let Some(text) = file.filter(|f| !f.is_empty()).and_then(|f| String::from_utf8(f.to_vec()).ok()) else {
        return page(
            &st,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            bad(lang.t("请选择 UTF-8 编码的文本文件。", "Choose a UTF-8 text file.")),
        )
        .await;
    };
    let who = store::audit::Who::from(&ctx.actor);
    match store::calendar::save_year(&st.db, &who, year, &text, &ctx.meta).await {
        Ok(days) => {
            let m = format!(
                "{year} {} {days}",
                lang.t("年已导入，与平常周历不同的天数：", "loaded; days that differ from the week:")
            );
            page(&st, &ctx, StatusCode::OK, Some(m), None).await
        }
        Err(store::Error::Invalid { message, .. }) => {
            let m = format!(
                "{}{message}",
                lang.t("文件有错误，没有导入：", "The file has an error; nothing was loaded: ")
            );
            page(&st, &ctx, StatusCode::UNPROCESSABLE_ENTITY, None, Some(m)).await
        }
        Err(e) => ctx.store_error(&st, e),
    }
}
