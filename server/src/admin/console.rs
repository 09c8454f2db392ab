//! `/staff`: the window staff console — today's completed cases and whether
//! each was rated (never the level or comment), and inviting a rating on the
//! window's evaluator.

use app::pages::admin::{ConsolePage, ConsoleRow, ConsoleView};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use leptos::prelude::*;
use store::console::china;

use super::ListQuery;
use crate::web::{form_field, Anyone, PageError, PageQuery, Signed, Staff};
use crate::AppState;

/// `GET /staff`
pub async fn console(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Staff>,
    PageQuery(cq): PageQuery<ListQuery>,
) -> Result<Response, PageError> {
    let c = store::console::console(&st.db, &ctx.actor, st.now()).await?;
    let lang = ctx.lang;
    let orders = match ctx.actor.scope {
        store::accounts::Scope::Window(w) => store::work_orders::for_window(&st.db, w, 50)
            .await?
            .into_iter()
            .map(|(case, state)| (case, app::text::wo_state(lang, state).to_string()))
            .collect(),
        _ => Vec::new(),
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
                lang.t(
                    "已邀请：评价器正在显示该业务的评价页面。",
                    "Invited: the evaluator shows this case's rating page.",
                )
                .to_string(),
            ),
            Some("already") => Some(lang.t("该业务已评价。", "This case is already rated.").to_string()),
            _ => None,
        },
        orders,
    };
    let nav = ctx.nav();
    Ok(ctx.page(&st, StatusCode::OK, lang.t("我的窗口", "My window").into(), move || {
        view! { <ConsolePage nav=nav console=data/> }
    }))
}

/// `POST /staff/invite` (`case_number`): the window's evaluator shows the case's
/// rating page. The store checks that the case is the staff member's window's.
pub async fn invite(
    State(st): State<AppState>,
    Signed(mut ctx, _): Signed<Anyone>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    ctx.set_path("/staff");
    ctx.check_csrf_form(&body).await?;
    let number = form_field(&body, "case_number");
    let to = match store::devices::invite(&st.db, &ctx.actor, &number, st.now()).await {
        Ok(()) => "/staff?notice=invited",
        Err(store::Error::AlreadyRated) => "/staff?notice=already",
        Err(e) => return Err(e.into()),
    };
    Ok(Redirect::to(to).into_response())
}
