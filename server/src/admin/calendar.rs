//! `/admin/calendar`: the working-day calendar's years, each day for
//! auditing, and loading a new year (system administrators).

use app::pages::admin::{CalendarPage, CalendarYearRow};
use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use leptos::prelude::*;

use crate::web::forms::read_upload;
use crate::web::respond::refusal;
use crate::web::{Ctx, PageError, Signed, System};
use crate::AppState;

async fn page(st: &AppState, ctx: &Ctx, status: StatusCode, notice: Option<String>, error: Option<String>) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let rows = store::calendar::years(&st.db)
        .await?
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
    let nav = ctx.nav();
    Ok(ctx.page(st, status, lang.t("工作日历", "Working-day calendar").into(), move || {
        view! { <CalendarPage nav=nav years=rows notice=notice error=error/> }
    }))
}

/// `GET /admin/calendar`
pub async fn calendar(State(st): State<AppState>, Signed(ctx, _): Signed<System>) -> Result<Response, PageError> {
    page(&st, &ctx, StatusCode::OK, None, None).await
}

/// `GET /admin/calendar/{year}.txt`: every date, `YYYY-MM-DD W|R` (as `haocha calendar days`).
pub async fn days(State(st): State<AppState>, Signed(_ctx, _): Signed<System>, Path(file): Path<String>) -> Result<Response, PageError> {
    let year = file
        .strip_suffix(".txt")
        .and_then(|y| y.parse::<i32>().ok())
        .filter(|y| (1900..=2200).contains(y))
        .ok_or(PageError::NotFound)?;
    let c = store::calendar::load(&st.db).await?;
    let mut text = c.days_of_year(year).join("\n");
    text.push('\n');
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

/// `POST /admin/calendar` (multipart: `year`, `file`): checks the whole file,
/// loads it or nothing.
pub async fn load(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<System>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
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
    let Ok((fields, file)) = read_upload(&mut multipart, "file").await else {
        let m = lang.t(
            "文件过大或上传中断，没有导入。",
            "The file is too large or the upload broke off; nothing was loaded.",
        );
        return page(&st, &ctx, StatusCode::PAYLOAD_TOO_LARGE, None, bad(m)).await;
    };
    ctx.check_csrf(fields.get("_csrf").map(String::as_str)).await?;
    let Some(year) = fields.get("year").and_then(|y| y.trim().parse::<i32>().ok()) else {
        let m = lang.t("请填写四位数年份。", "Enter a four-digit year.");
        return page(&st, &ctx, StatusCode::UNPROCESSABLE_ENTITY, None, bad(m)).await;
    };
    let Some(text) = file.filter(|f| !f.is_empty()).and_then(|f| String::from_utf8(f.to_vec()).ok()) else {
        let m = lang.t("请选择 UTF-8 编码的文本文件。", "Choose a UTF-8 text file.");
        return page(&st, &ctx, StatusCode::UNPROCESSABLE_ENTITY, None, bad(m)).await;
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
        Err(e) => {
            let (status, _, text) = refusal(lang, e)?;
            let m = format!(
                "{}{text}",
                lang.t("文件有错误，没有导入：", "The file has an error; nothing was loaded: ")
            );
            page(&st, &ctx, status, None, Some(m)).await
        }
    }
}
