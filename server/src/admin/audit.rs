//! `/admin/audit`: the audit trail, searched by person, object and dates
//! (system administrators everything, center administrators their region).

use app::pages::admin::{AuditPage, AuditRow, AuditView};
use app::text;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::Role;
use leptos::prelude::*;
use serde::Deserialize;
use store::console::china;

use super::{page_number, PER_PAGE};
use crate::web::{Admin, PageError, PageQuery, Signed};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    pub lang: Option<String>,
    pub person: Option<String>,
    pub object: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: Option<String>,
}

fn day(s: Option<&str>) -> Result<Option<DateTime<Utc>>, ()> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => {
            let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| ())?;
            Ok(Some(store::console::day_start(d.and_hms_opt(12, 0, 0).ok_or(())?.and_utc())))
        }
    }
}

/// `GET /admin/audit`
pub async fn audit(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    PageQuery(q): PageQuery<AuditQuery>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let (from, to) = match (day(q.from.as_deref()), day(q.to.as_deref())) {
        (Ok(f), Ok(t)) => (f, t.map(|t| t + Duration::days(1))),
        _ => (None, None),
    };
    let date_error = (day(q.from.as_deref()).is_err() || day(q.to.as_deref()).is_err())
        .then(|| lang.t("日期格式应为 2026-11-27。", "Dates are written 2026-11-27.").to_string());
    let page = page_number(q.page.as_deref())?;
    let filter = store::audit::Filter {
        person: q.person.clone(),
        object: q.object.clone(),
        from,
        to,
    };
    let (lines, total) = store::audit::search(&st.db, &ctx.actor, &filter, (page - 1) * PER_PAGE, PER_PAGE).await?;
    let view_data = AuditView {
        person: q.person.clone().unwrap_or_default(),
        object: q.object.clone().unwrap_or_default(),
        from: q.from.clone().unwrap_or_default(),
        to: q.to.clone().unwrap_or_default(),
        rows: lines
            .into_iter()
            .map(|l| AuditRow {
                at: l.at.with_timezone(&china()).format("%Y-%m-%d %H:%M:%S").to_string(),
                actor: l.actor,
                role: Role::parse(&l.role).map(|r| text::role(lang, r)).unwrap_or(l.role),
                action: text::audit_action(lang, &l.action),
                object: format!("{}:{}", l.object_kind, l.object_code),
                before: l.before.unwrap_or_default(),
                after: l.after.unwrap_or_default(),
                address: l.address.unwrap_or_default(),
            })
            .collect(),
        total,
        page,
        pages: total.div_ceil(PER_PAGE),
        error: date_error,
    };
    let nav = ctx.nav();
    Ok(ctx.page(&st, StatusCode::OK, lang.t("审计日志", "Audit trail").into(), move || {
        view! { <AuditPage nav=nav audit=view_data/> }
    }))
}
