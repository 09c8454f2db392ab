//! `GET /admin/reports/monthly?month=YYYY-MM` (月度报告): one month of the
//! signed-in administrator's scope, printable on A4 (admin.css print rules):
//! indicators, the work-order summary, rankings of units, items, windows and
//! staff (the region policy's weights and fewest ratings), the units ranked
//! last this month and the month before (004 rule 18), and the concentration
//! alerts of the 30 days to the month's end (004 rule 19). Default: last month.

use app::pages::admin::{MonthlyPage, MonthlyView, RankTable};
use app::Lang;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, Duration, Months, NaiveDate};
use domain::indicators::{Dimension, Tally};
use leptos::prelude::*;
use serde::Deserialize;
use store::stats::{Counter, Reader, Row};

use super::stats::{alerts, dimension_label};
use crate::web::{Admin, PageError, PageQuery, Signed};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct MonthQuery {
    pub month: Option<String>,
    pub lang: Option<String>,
}

fn rates(lang: Lang, t: &Tally) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = [
        (lang.t("参评率", "Participation"), t.participation_rate()),
        (lang.t("好评率", "Good rate"), t.good_rate()),
        (lang.t("主动评价好评率", "Active good rate"), t.active_good_rate()),
        (lang.t("满意率", "Satisfaction rate"), t.satisfaction_rate()),
        (lang.t("差评率", "Bad rate"), t.bad_rate()),
        (lang.t("差评整改率", "Bad ratings rectified"), t.rectification_rate()),
        (lang.t("按期办结率", "Work orders closed on time"), t.on_time_rate()),
        (lang.t("实名差评回访率", "Real-name bad ratings revisited"), t.revisit_rate()),
    ]
    .into_iter()
    .map(|(k, r)| (k.to_string(), r.percent(), format!("{} / {}", r.num, r.den)))
    .collect();
    out.push((
        lang.t("平均分", "Average score").to_string(),
        t.average_score().map(|a| format!("{a:.2}")).unwrap_or_else(|| "—".into()),
        t.valid().to_string(),
    ));
    out
}

/// The ranked rows of one dimension over one month.
async fn ranked(
    st: &AppState,
    counter: &mut Counter<'_>,
    reader: Reader<'_>,
    dim: Dimension,
    month: NaiveDate,
) -> Result<Vec<Row>, PageError> {
    let next = month.checked_add_months(Months::new(1)).unwrap_or(month);
    let mut rows = counter
        .grouped(&[dim], None, domain::calendar::start_of(month), domain::calendar::start_of(next))
        .await?;
    let policy = store::stats::ranking_policy(&st.read, reader).await?;
    store::stats::rank(&mut rows, dim, &policy.weights());
    rows.retain(|r| r.tally.valid() > 0);
    rows.sort_by(|a, b| {
        a.rank
            .unwrap_or(u32::MAX)
            .cmp(&b.rank.unwrap_or(u32::MAX))
            .then(b.tally.valid().cmp(&a.tally.valid()))
            .then(a.key.cmp(&b.key))
    });
    Ok(rows)
}

/// The keys ranked last (the highest rank given) among ranked rows.
fn last(rows: &[Row]) -> Vec<String> {
    let worst = rows.iter().filter_map(|r| r.rank).max();
    match worst {
        // One ranked row alone is not "last" of anything.
        Some(w) if rows.iter().filter(|r| r.rank.is_some()).count() > 1 => {
            rows.iter().filter(|r| r.rank == Some(w)).map(|r| r.key.clone()).collect()
        }
        _ => Vec::new(),
    }
}

/// `GET /admin/reports/monthly`
pub async fn monthly(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    PageQuery(q): PageQuery<MonthQuery>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let today = st.now().with_timezone(&store::console::china()).date_naive();
    let this_month = today.with_day(1).unwrap_or(today);
    let default = this_month.checked_sub_months(Months::new(1)).unwrap_or(this_month);
    let (month, error) = match q.month.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        None => (default, None),
        Some(m) => match NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d") {
            Ok(d) => (d, None),
            Err(_) => (
                default,
                Some(
                    lang.t("月份应为 YYYY-MM，已显示上月。", "Month: YYYY-MM; showing last month.")
                        .to_string(),
                ),
            ),
        },
    };
    let reader = Reader::Admin(&ctx.actor);
    let next = month.checked_add_months(Months::new(1)).unwrap_or(month);
    let mut counter = Counter::new(&st.read, reader).await?;
    let t = counter
        .whole(domain::calendar::start_of(month), domain::calendar::start_of(next))
        .await?;
    let orders = vec![
        (
            lang.t("有效差评（生成工单）", "Valid bad ratings (orders opened)").to_string(),
            t.bad().to_string(),
        ),
        (lang.t("已整改办结", "Rectified and closed").to_string(), t.rectified.to_string()),
        (
            lang.t("本月到期 / 按期办结", "Due this month / closed on time").to_string(),
            format!("{} / {}", t.due, t.closed_on_time),
        ),
        (
            lang.t("实名差评 / 已回访", "Real-name bad / revisited").to_string(),
            format!("{} / {}", t.real_name_bad, t.real_name_bad_revisited),
        ),
        (
            lang.t("申诉 / 申诉成立", "Appeals / upheld").to_string(),
            format!("{} / {}", t.appeals, t.appeals_upheld),
        ),
    ];
    let mut rankings = Vec::new();
    for dim in [Dimension::Unit, Dimension::Item, Dimension::Window, Dimension::Staff] {
        let rows = ranked(&st, &mut counter, reader, dim, month).await?;
        let table: RankTable = rows
            .iter()
            .map(|r| {
                (
                    r.rank.map(|k| k.to_string()).unwrap_or_else(|| "—".into()),
                    r.key.clone(),
                    r.name.clone(),
                    r.tally.valid(),
                    r.tally.good_rate().percent(),
                    r.score.map(|s| format!("{s:.1}")).unwrap_or_else(|| "—".into()),
                )
            })
            .collect();
        rankings.push((dimension_label(lang, dim).to_string(), table));
    }
    let this = ranked(&st, &mut counter, reader, Dimension::Unit, month).await?;
    let before = ranked(
        &st,
        &mut counter,
        reader,
        Dimension::Unit,
        month.checked_sub_months(Months::new(1)).unwrap_or(month),
    )
    .await?;
    let before_last = last(&before);
    let last_twice = last(&this)
        .into_iter()
        .filter(|k| before_last.contains(k))
        .map(|k| {
            let name = this.iter().find(|r| r.key == k).map(|r| r.name.clone()).unwrap_or_default();
            (k, name)
        })
        .collect();
    let policy = store::stats::ranking_policy(&st.read, reader).await?;
    let rank_rule = match lang {
        Lang::Zh => format!(
            "综合得分按本地区政策的权重（好评率/差评整改率/按期办结率/参评率 {}）计算，各率取 95% 置信下限；有效评价少于 {} 条不排名（—）。",
            policy.rank_weights.map(|w| w.to_string()).join("/"),
            policy.rank_min_n
        ),
        Lang::En => format!(
            "Scores weigh good / rectified / on time / participation {} (the region's policy), each at its 95% lower bound; fewer than {} valid ratings: not ranked (—).",
            policy.rank_weights.map(|w| w.to_string()).join("/"),
            policy.rank_min_n
        ),
    };
    let end = next - Duration::days(1);
    let (alerts, alert_rule) = alerts(&st, &ctx, &mut counter, end.min(today)).await?;
    let data = MonthlyView {
        month: month.format("%Y-%m").to_string(),
        error,
        rates: rates(lang, &t),
        orders,
        rankings,
        rank_rule,
        alerts,
        alert_rule,
        last_twice,
    };
    let status = if data.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let title = format!("{} {}", data.month, lang.t("月度报告", "monthly report"));
    let nav = ctx.nav();
    Ok(ctx.page(&st, status, title, move || view! { <MonthlyPage nav=nav data=data/> }))
}
