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
    pub lang: Option<String>,
    pub notice: Option<String>,
}

async fn page(
    st: &AppState,
    ctx: &Ctx,
    number: String,
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
    let case = match store::phone::invite_case(&st.db, &st.config.data_key, &ctx.actor, &number).await {
        Ok(c) => PhoneCaseView {
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
    page(&st, &ctx, q.case.unwrap_or_default(), StatusCode::OK, notice, None).await
}

/// `POST /admin/phone-rating` (`case_number`, `level`, `tags`, `comment`)
pub async fn record(State(st): State<AppState>, Signed(ctx, _): Signed<Admin>, body: Bytes) -> Result<Response, PageError> {
    ctx.check_csrf_form(&body).await?;
    let lang = ctx.lang;
    let Some(form) = parse_rating_form(&body) else {
        return page(&st, &ctx, String::new(), StatusCode::BAD_REQUEST, None, Some("UTF-8".into())).await;
    };
    let number = form_field(&body, "case_number");
    let input = match RatingInput::parse_on(Channel::PhoneInvite, &form.level, &form.tags, Some(&form.comment)) {
        Ok(i) => i,
        Err(e) => {
            let m = text::rating_error(lang, &e, false).to_string();
            return page(&st, &ctx, number, StatusCode::UNPROCESSABLE_ENTITY, None, Some(m)).await;
        }
    };
    match store::phone::record_invite(&st.db, &ctx.actor, &number, &input, &ctx.meta).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/phone-rating?case={}&notice=recorded", url_part(&number))).into_response()),
        Err(store::Error::AlreadyRated) => {
            let m = lang.t("该办件已有评价，没有录入。", "This case is rated already; nothing was recorded.");
            page(&st, &ctx, number, StatusCode::CONFLICT, None, Some(m.into())).await
        }
        Err(e) => Err(e.into()),
    }
}
