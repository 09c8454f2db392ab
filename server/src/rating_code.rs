//! `/s` (issue 15): the fixed address an SMS reminder without a link names;
//! the citizen types the reminder's 6-character rating code and goes on to
//! the case's rating page. Five wrong codes from one address in ten minutes
//! wait ten minutes.

use app::pages::message::RatingCodePage;
use app::Lang;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use leptos::prelude::*;

use crate::web::extract::ClientAddr;
use crate::web::{html, Language, PageError};
use crate::AppState;

fn page(st: &AppState, lang: Lang, status: StatusCode, code: String, error: Option<String>) -> Response {
    let title = lang.t("输入评价码", "Enter your rating code").to_string();
    let doc = crate::web::respond::document(st, lang, title, move || match error {
        Some(e) => view! { <RatingCodePage lang=lang code=code error=e/> }.into_any(),
        None => view! { <RatingCodePage lang=lang code=code/> }.into_any(),
    });
    html(status, doc, None)
}

/// `GET /s`
pub async fn form(State(st): State<AppState>, Language { lang, .. }: Language) -> Response {
    page(&st, lang, StatusCode::OK, String::new(), None)
}

/// `POST /s` (`code`): 303 to the case's rating page, or the form again with why.
pub async fn submit(State(st): State<AppState>, Language { lang, .. }: Language, ClientAddr(address): ClientAddr, body: Bytes) -> Response {
    let typed = crate::web::forms::form_field(&body, "code");
    let shown: String = typed.chars().take(12).collect();
    let case = match store::sms::code::case_of(&st.db, &typed, address.as_deref(), st.now()).await {
        Ok(case) => case,
        Err(store::Error::NotFound(_)) => {
            let m = lang.t(
                "评价码不正确或已过期，请核对短信后重新输入（6 位，不含数字 0、1 和字母 O、I）。",
                "Unknown or expired code: check the SMS and type it again (6 characters, never 0, 1, O or I).",
            );
            return page(&st, lang, StatusCode::NOT_FOUND, shown, Some(m.into()));
        }
        Err(store::Error::TooManyTries { seconds }) => {
            let m = match lang {
                Lang::Zh => format!("错误次数过多，请 {} 分钟后再试。", (seconds + 59) / 60),
                Lang::En => format!("Too many wrong codes: try again in {} min.", (seconds + 59) / 60),
            };
            return page(&st, lang, StatusCode::TOO_MANY_REQUESTS, shown, Some(m));
        }
        Err(e) => return PageError::internal(e).into_response(),
    };
    match store::sms::link_token(&st.db, case, st.now(), st.config.token_ttl()).await {
        Ok(token) => Redirect::to(&format!("/r/{token}")).into_response(),
        Err(store::Error::NotFound(_)) => page(&st, lang, StatusCode::NOT_FOUND, shown, None),
        Err(e) => PageError::internal(e).into_response(),
    }
}
