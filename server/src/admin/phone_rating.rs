//! `/admin/phone-rating` (电话邀评): an administrator finds a case in scope
//! (phone masked) and records the rating the rater gave on the phone
//! (`phone_invite`, audited with who entered it). Window staff cannot.

use app::pages::admin::{PhoneCaseView, PhoneRatingPage};
use app::text;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::{Channel, RatingInput};
use leptos::prelude::*;
use serde::Deserialize;

use crate::web::forms::parse_rating_form;
use crate::web::{form_field, url_part, Admin, Ctx, PageError, PageQuery, Signed};
use crate::AppState;

#[derive(Debug, Deserialize, Default)]
pub struct PhoneQuery {
    pub case: Option<String>,
    /// The business system whose case is meant, when a number names several.
    pub system: Option<i32>,
    pub lang: Option<String>,
    pub notice: Option<String>,
}

async fn page(
    st: &AppState,
    ctx: &Ctx,
    number: String,
    system: Option<i32>,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let title = lang.t("电话邀评", "Phone invitation");
    let nav = ctx.nav();
    if number.trim().is_empty() {
        return Ok(ctx.page(st, status, title.into(), move || {
            view! { <PhoneRatingPage nav=nav number=number case=None notice=notice error=error/> }
        }));
    }
    let case = match store::phone::invite_case(&st.db, &st.config.data_key, &ctx.actor, &number, system).await {
        Ok(c) => PhoneCaseView {
            system_id: c.system_id,
            system: c.system,
            completed: c
                .completed_at
                .with_timezone(&store::console::china())
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            phone: c.phone.unwrap_or_else(|| lang.t("（未留电话）", "(none)").into()),
            case_number: c.case_number,
            window_code: c.window_code,
            rated: c.rated,
        },
        Err(store::Error::NotFound(_)) => {
            let e = Some(
                lang.t("没有找到该办件，或不在您的管理范围内。", "No such case in your scope.")
                    .to_string(),
            );
            return Ok(ctx.page(st, StatusCode::NOT_FOUND, title.into(), move || {
                view! { <PhoneRatingPage nav=nav number=number case=None notice=None error=e/> }
            }));
        }
        Err(store::Error::Conflict(store::Conflict::SeveralSystems(_))) => {
            // One number, several business systems: the administrator chooses
            // which system's case is meant (issue 13 item 4).
            let choices = store::phone::systems_of_case(&st.db, &ctx.actor, &number).await?;
            let e = Some(
                lang.t(
                    "该办件编号属于多个业务系统，请选择要录入的办件所属系统。",
                    "This case number belongs to several business systems: choose which system's case you mean.",
                )
                .to_string(),
            );
            return Ok(ctx.page(st, StatusCode::CONFLICT, title.into(), move || {
                view! { <PhoneRatingPage nav=nav number=number case=None choices=choices notice=None error=e/> }
            }));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(ctx.page(st, status, title.into(), move || {
        view! { <PhoneRatingPage nav=nav number=number case=Some(case) notice=notice error=error/> }
    }))
}

/// `GET /admin/phone-rating?case=NUMBER`
pub async fn phone_form(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    PageQuery(q): PageQuery<PhoneQuery>,
) -> Result<Response, PageError> {
    let notice = (q.notice.as_deref() == Some("recorded")).then(|| ctx.lang.t("已如实录入评价。", "The rating is recorded.").to_string());
    page(&st, &ctx, q.case.unwrap_or_default(), q.system, StatusCode::OK, notice, None).await
}

/// `POST /admin/phone-rating` (`case_number`, `level`, `tags`, `comment`)
pub async fn record(State(st): State<AppState>, Signed(ctx, _): Signed<Admin>, body: Bytes) -> Result<Response, PageError> {
    ctx.check_csrf_form(&body).await?;
    let lang = ctx.lang;
    let Some(form) = parse_rating_form(&body) else {
        return page(&st, &ctx, String::new(), None, StatusCode::BAD_REQUEST, None, Some("UTF-8".into())).await;
    };
    let number = form_field(&body, "case_number");
    let system = match form_field(&body, "system").trim() {
        "" => None,
        s => Some(s.parse::<i32>().map_err(|_| PageError::BadRequest)?),
    };
    let input = match RatingInput::parse_on(Channel::PhoneInvite, &form.level, &form.tags, Some(&form.comment)) {
        Ok(i) => i,
        Err(e) => {
            let m = text::rating_error(lang, &e, false).to_string();
            return page(&st, &ctx, number, system, StatusCode::UNPROCESSABLE_ENTITY, None, Some(m)).await;
        }
    };
    match store::phone::record_invite(&st.db, &ctx.actor, &number, system, &input, &ctx.meta).await {
        Ok(_) => {
            let system = system.map(|s| format!("&system={s}")).unwrap_or_default();
            Ok(Redirect::to(&format!("/admin/phone-rating?case={}{system}&notice=recorded", url_part(&number))).into_response())
        }
        Err(store::Error::AlreadyRated) => {
            let m = lang.t("该办件已有评价，没有录入。", "This case is rated already; nothing was recorded.");
            page(&st, &ctx, number, system, StatusCode::CONFLICT, None, Some(m.into())).await
        }
        Err(e) => Err(e.into()),
    }
}
