//! `/admin/import/{windows,staff,items}`: CSV upload (UTF-8 or GBK), checked
//! whole before anything is imported, and its template.

use app::pages::admin::{ImportError, ImportPage};
use app::{text, Lang};
use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use leptos::prelude::*;
use store::admin::Kind;

use crate::web::forms::read_upload;
use crate::web::{Admin, Ctx, PageError, Signed};
use crate::AppState;

fn import_page(st: &AppState, ctx: &Ctx, status: StatusCode, kind: Kind, errors: Vec<ImportError>, result: Option<String>) -> Response {
    let nav = ctx.nav();
    let label = text::kind(ctx.lang, kind);
    let slug = kind.slug().to_string();
    ctx.page(st, status, label.clone(), move || {
        view! { <ImportPage nav=nav slug=slug label=label errors=errors result=result/> }
    })
}

fn importable(slug: &str) -> Result<Kind, PageError> {
    Kind::parse(slug).filter(|k| k.importable()).ok_or(PageError::NotFound)
}

/// `GET /admin/import/{kind}`
pub async fn import_form(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let kind = importable(&slug)?;
    if !store::admin::can_list(&ctx.actor, kind) {
        return Err(PageError::Forbidden);
    }
    Ok(import_page(&st, &ctx, StatusCode::OK, kind, vec![], None))
}

/// `GET /admin/import/{kind}/template.csv`
pub async fn import_template(Signed(_ctx, _): Signed<Admin>, Path(slug): Path<String>) -> Result<Response, PageError> {
    let csv = Kind::parse(&slug)
        .and_then(store::csv_import::template)
        .ok_or(PageError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"haocha-{slug}-template.csv\""),
            ),
        ],
        csv,
    )
        .into_response())
}

/// `POST /admin/import/{kind}` (multipart: `_csrf`, `file`)
pub async fn import(
    State(st): State<AppState>,
    Signed(mut ctx, _): Signed<Admin>,
    Path(slug): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    ctx.set_path(format!("/admin/import/{slug}"));
    let kind = importable(&slug)?;
    let lang = ctx.lang;
    let bad = |m: &str| ImportError {
        line: 0,
        column: String::new(),
        message: m.to_string(),
    };
    let choose = lang.t("请选择一个 CSV 文件上传。", "Choose a CSV file to upload.");
    let Ok(mut multipart) = multipart else {
        return Ok(import_page(&st, &ctx, StatusCode::BAD_REQUEST, kind, vec![bad(choose)], None));
    };
    let Ok((mut fields, file)) = read_upload(&mut multipart, "file").await else {
        let m = lang.t(
            "文件过大或上传中断（上限 8 MB），没有导入任何记录。",
            "The file is too large or the upload broke off (8 MB at most); nothing was imported.",
        );
        return Ok(import_page(&st, &ctx, StatusCode::PAYLOAD_TOO_LARGE, kind, vec![bad(m)], None));
    };
    ctx.check_csrf(fields.remove("_csrf").as_deref()).await?;
    let Some(file) = file.filter(|f| !f.is_empty()) else {
        return Ok(import_page(
            &st,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            kind,
            vec![bad(choose)],
            None,
        ));
    };
    match store::csv_import::import(&st.db, &ctx.actor, kind, &file, &ctx.meta).await? {
        store::csv_import::Outcome::Imported {
            created,
            updated,
            unchanged,
        } => {
            let text = match lang {
                Lang::Zh => format!("导入成功：新增 {created} 条，更新 {updated} 条，未变 {unchanged} 条。"),
                Lang::En => format!("Imported: {created} added, {updated} updated, {unchanged} unchanged."),
            };
            Ok(import_page(&st, &ctx, StatusCode::OK, kind, vec![], Some(text)))
        }
        store::csv_import::Outcome::Rejected(errors) => {
            let errors = errors
                .into_iter()
                .map(|e| ImportError {
                    line: e.line,
                    column: e.column,
                    message: text::import_row(lang, &e.problem),
                })
                .collect();
            Ok(import_page(&st, &ctx, StatusCode::UNPROCESSABLE_ENTITY, kind, errors, None))
        }
    }
}
