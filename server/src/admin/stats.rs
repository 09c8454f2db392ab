//! `/admin/stats?from=YYYY-MM-DD&to=YYYY-MM-DD` (统计): the indicators of the
//! signed-in administrator's scope (issue 14, first slice). Days are Beijing
//! days; `to` is exclusive; the default is the current month.

use app::pages::admin::{StatsPage, StatsView};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};
use domain::indicators::Rate;
use domain::Level;
use leptos::prelude::*;
use serde::Deserialize;

use crate::web::{Admin, PageError, PageQuery, Signed};
use crate::AppState;

#[derive(Debug, Deserialize, Default)]
pub struct StatsQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub lang: Option<String>,
}

fn start_of(d: NaiveDate) -> DateTime<Utc> {
    let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    store::console::china()
        .from_local_datetime(&midnight)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn rate(r: Rate) -> (String, String) {
    (r.percent(), format!("{} / {}", r.num, r.den))
}

/// `GET /admin/stats`
pub async fn stats(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    PageQuery(q): PageQuery<StatsQuery>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let today = st.now().with_timezone(&store::console::china()).date_naive();
    let month = today.with_day(1).unwrap_or(today);
    let next = month.checked_add_months(Months::new(1)).unwrap_or(month);
    let day = |s: Option<&str>, default: NaiveDate| match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(default),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
    };
    let (from, to, error) = match (day(q.from.as_deref(), month), day(q.to.as_deref(), next)) {
        (Some(f), Some(t)) if f < t => (f, t, None),
        _ => (
            month,
            next,
            Some(lang.t(
                "日期无效（格式 YYYY-MM-DD，起始日须早于截止日），已显示本月。",
                "Invalid dates (YYYY-MM-DD, from before to): showing this month.",
            )),
        ),
    };
    let t = store::stats::tally(&st.db, &ctx.actor, start_of(from), start_of(to)).await?;
    let mut rates = Vec::new();
    for (name, r) in [
        (lang.t("参评率", "Participation"), t.participation_rate()),
        (lang.t("未评价率", "Unrated"), t.unrated_rate()),
        (lang.t("好评率", "Good rate"), t.good_rate()),
        (lang.t("主动评价好评率", "Active good rate"), t.active_good_rate()),
        (lang.t("满意率", "Satisfaction rate"), t.satisfaction_rate()),
        (lang.t("差评率", "Bad rate"), t.bad_rate()),
        (lang.t("差评整改率", "Bad ratings rectified"), t.rectification_rate()),
        (lang.t("按期办结率", "Work orders closed on time"), t.on_time_rate()),
        (lang.t("实名差评回访率", "Real-name bad ratings revisited"), t.revisit_rate()),
    ] {
        let (value, n) = rate(r);
        rates.push((name.to_string(), value, n));
    }
    rates.push((
        lang.t("平均分", "Average score").to_string(),
        t.average_score().map(|a| format!("{a:.2}")).unwrap_or_else(|| "—".into()),
        t.valid().to_string(),
    ));
    let levels = Level::ALL
        .into_iter()
        .enumerate()
        .map(|(i, l)| (lang.level(l).to_string(), t.levels[i], t.default_levels[i]))
        .collect();
    let apart = vec![
        (lang.t("办结办件", "Cases completed").to_string(), t.completed),
        (lang.t("默认评价", "Default ratings").to_string(), t.defaults()),
        (lang.t("申诉成立剔除", "Excluded (appeal upheld)").to_string(), t.excluded),
        (lang.t("重复/刷评标记", "Flagged (repeat/burst)").to_string(), t.flagged),
        (lang.t("追加评价", "Follow-ups").to_string(), t.follow_ups),
        (lang.t("整改后再评价", "Re-ratings").to_string(), t.re_ratings),
        (lang.t("申诉", "Appeals").to_string(), t.appeals),
        (lang.t("申诉成立", "Appeals upheld").to_string(), t.appeals_upheld),
    ];
    let data = StatsView {
        from: from.format("%Y-%m-%d").to_string(),
        to: to.format("%Y-%m-%d").to_string(),
        error: error.map(str::to_string),
        rates,
        levels,
        apart,
    };
    let status = if data.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let nav = ctx.nav();
    Ok(ctx.page(&st, status, lang.t("统计", "Statistics").to_string(), move || {
        view! { <StatsPage nav=nav data=data/> }
    }))
}
