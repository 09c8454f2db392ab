//! The records of the organisation tree — regions, units, halls, windows,
//! staff, service items and API clients (`/admin/{kind}`): list, add, edit,
//! delete (or deactivate what has history), and the staff member's photo. One
//! set of handlers serves every kind; what differs by kind (fields, scope,
//! history) is `store::admin::Kind`'s.

use std::collections::BTreeMap;

use app::pages::admin::{EditPage, EditView, FieldInput, FormField, KeyShownPage, ListPage, ListRow, ListView};
use app::{text, Lang};
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use leptos::prelude::*;
use store::accounts::Scope;
use store::admin::{Input, Kind, Removed};

use super::{page_number, ListQuery, PER_PAGE};
use crate::web::forms::read_upload;
use crate::web::respond::refusal;
use crate::web::{form_map, url_part, Admin, Ctx, PageError, PageQuery, Signed};
use crate::AppState;

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

fn kind_of(slug: &str) -> Result<Kind, PageError> {
    Kind::parse(slug).ok_or(PageError::NotFound)
}

/// `GET /admin/{kind}`
pub async fn list(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    Path(slug): Path<String>,
    PageQuery(q): PageQuery<ListQuery>,
) -> Result<Response, PageError> {
    let kind = kind_of(&slug)?;
    let lang = ctx.lang;
    let status = q.status.clone().unwrap_or_else(|| "all".into());
    let active = match status.as_str() {
        "active" => Some(true),
        "inactive" => Some(false),
        _ => None,
    };
    let page = page_number(q.page.as_deref())?;
    let data = store::admin::list(&st.db, &ctx.actor, kind, q.q.as_deref(), active, (page - 1) * PER_PAGE, PER_PAGE).await?;
    let list = ListView {
        slug: slug.clone(),
        label: text::kind(lang, kind),
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
    Ok(ctx.page(
        &st,
        StatusCode::OK,
        list.label.clone(),
        move || view! { <ListPage nav=nav list=list/> },
    ))
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
) -> Result<EditView, PageError> {
    let lang = ctx.lang;
    let mut fields = Vec::new();
    for f in kind.fields() {
        let input = match f.input {
            Input::Code if code.is_some() => FieldInput::Readonly,
            Input::Code | Input::Name | Input::Url | Input::Scope => FieldInput::Text,
            Input::Ref { kind: rk, optional } => FieldInput::Select {
                options: store::admin::options(&st.db, &ctx.actor, rk).await?,
                optional,
            },
        };
        fields.push(FormField {
            name: f.name.to_string(),
            label: lang.t(f.zh, f.en).to_string(),
            value: values.get(f.name).cloned().unwrap_or_default(),
            required: !matches!(f.input, Input::Url | Input::Scope | Input::Ref { optional: true, .. }),
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
            Some(c) => format!("{} · {}", text::kind(lang, kind), c),
            None => format!("{} · {}", text::kind(lang, kind), lang.t("新增", "Add")),
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
pub async fn new_form(State(st): State<AppState>, Signed(ctx, _): Signed<Admin>, Path(slug): Path<String>) -> Result<Response, PageError> {
    let kind = kind_of(&slug)?;
    if !store::admin::can_list(&ctx.actor, kind) || (kind == Kind::Clients && ctx.actor.scope != Scope::All) {
        return Err(PageError::Forbidden);
    }
    let v = edit_view(&st, &ctx, kind, None, &BTreeMap::new(), None, None).await?;
    Ok(edit_page(&st, &ctx, StatusCode::OK, v))
}

/// `GET /admin/{kind}/{code}`
pub async fn edit_form(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    Path((slug, code)): Path<(String, String)>,
    PageQuery(q): PageQuery<ListQuery>,
) -> Result<Response, PageError> {
    let kind = kind_of(&slug)?;
    let record = store::admin::get(&st.db, &ctx.actor, kind, &code).await?;
    let mut v = edit_view(&st, &ctx, kind, Some(&code), &record.values, Some(record.active), None).await?;
    v.notice = notice_text(ctx.lang, q.notice.as_deref());
    Ok(edit_page(&st, &ctx, StatusCode::OK, v))
}

async fn save_common(st: AppState, mut ctx: Ctx, slug: String, code: Option<String>, body: &[u8]) -> Result<Response, PageError> {
    ctx.set_path(match &code {
        Some(c) => format!("/admin/{slug}/{}", url_part(c)),
        None => format!("/admin/{slug}/new"),
    });
    let kind = kind_of(&slug)?;
    let form = form_map(body).ok_or(PageError::CsrfFailed)?;
    ctx.check_csrf(form.get("_csrf").map(String::as_str)).await?;
    let lang = ctx.lang;
    if kind == Kind::Clients && code.is_none() {
        let name = form.get("name").cloned().unwrap_or_default();
        let scope = form.get("scope").cloned().unwrap_or_default();
        return match store::admin::create_client(&st.db, &ctx.actor, &name, &scope, &ctx.meta).await {
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
                Ok(res)
            }
            Err(e) => {
                let (status, field, text) = refusal(lang, e)?;
                let v = edit_view(&st, &ctx, kind, None, &form, None, Some((field.to_string(), text))).await?;
                Ok(edit_page(&st, &ctx, status, v))
            }
        };
    }
    let (status, err) = match store::admin::save(&st.db, &ctx.actor, kind, code.as_deref(), &form, &ctx.meta).await {
        Ok(saved) => return Ok(Redirect::to(&format!("/admin/{slug}/{}?notice=saved", url_part(&saved))).into_response()),
        Err(e) => {
            let (status, field, text) = refusal(lang, e)?;
            (status, (if field.is_empty() { "code" } else { field }.to_string(), text))
        }
    };
    let active = code.as_ref().map(|_| form.contains_key("active"));
    let v = edit_view(&st, &ctx, kind, code.as_deref(), &form, active, Some(err)).await?;
    Ok(edit_page(&st, &ctx, status, v))
}

/// `POST /admin/{kind}`: create.
pub async fn create(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    Path(slug): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    save_common(st, ctx, slug, None, &body).await
}

/// `POST /admin/{kind}/{code}`: update.
pub async fn update(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    Path((slug, code)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    save_common(st, ctx, slug, Some(code), &body).await
}

/// `POST /admin/{kind}/{code}/delete`: delete, or deactivate what has history.
pub async fn remove(
    State(st): State<AppState>,
    Signed(mut ctx, _): Signed<Admin>,
    Path((slug, code)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    ctx.set_path(format!("/admin/{slug}"));
    let kind = kind_of(&slug)?;
    ctx.check_csrf_form(&body).await?;
    let to = match store::admin::remove(&st.db, &ctx.actor, kind, &code, &ctx.meta).await? {
        Removed::Deleted => format!("/admin/{slug}?notice=deleted"),
        Removed::Deactivated => format!("/admin/{slug}/{}?notice=deactivated", url_part(&code)),
        Removed::Revoked => format!("/admin/{slug}/{}?notice=revoked", url_part(&code)),
    };
    Ok(Redirect::to(&to).into_response())
}

/// `POST /admin/photo/{job_number}` (multipart: `_csrf`, `photo`)
pub async fn upload_photo(
    State(st): State<AppState>,
    Signed(mut ctx, _): Signed<Admin>,
    Path(job): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    let path = format!("/admin/staff/{}", url_part(&job));
    ctx.set_path(path.clone());
    let lang = ctx.lang;
    let upload = match multipart {
        Ok(mut m) => read_upload(&mut m, "photo").await,
        Err(_) => Err(()),
    };
    let too_big = upload.is_err();
    let (mut fields, photo) = upload.unwrap_or_default();
    if !too_big {
        ctx.check_csrf(fields.remove("_csrf").as_deref()).await?;
    }
    let kb = store::photos::MAX_BYTES / 1024;
    let result = match photo.filter(|p| !p.is_empty()) {
        _ if too_big => Err(store::Error::invalid("photo", store::Reason::FileTooLarge { kb })),
        Some(bytes) => store::photos::upload(&st.db, &ctx.actor, &job, &bytes, &ctx.meta).await,
        None => Err(store::Error::invalid("photo", store::Reason::Required)),
    };
    let message = match result {
        Ok(_) => return Ok(Redirect::to(&format!("{path}?notice=photo")).into_response()),
        Err(e) => {
            let (_, _, text) = refusal(lang, e)?;
            format!(
                "{}{text}{}",
                lang.t("照片：", "Photo: "),
                lang.t("。没有保存。", ". Nothing was saved.")
            )
        }
    };
    let record = store::admin::get(&st.db, &ctx.actor, Kind::Staff, &job).await?;
    let v = edit_view(
        &st,
        &ctx,
        Kind::Staff,
        Some(&job),
        &record.values,
        Some(record.active),
        Some(("photo".into(), message)),
    )
    .await?;
    Ok(edit_page(&st, &ctx, StatusCode::UNPROCESSABLE_ENTITY, v))
}
