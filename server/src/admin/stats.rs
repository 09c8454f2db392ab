//! `/admin/stats?from=YYYY-MM-DD&to=YYYY-MM-DD&dimension=D&period=P` (统计):
//! the indicators of the signed-in administrator's scope, charts, a ranked
//! breakdown and the concentration alerts; `/admin/stats.csv` and
//! `/admin/stats.xlsx` export the same tables. Days are Beijing days, both
//! ends included; the default is this month up to today.

use app::pages::admin::{AlertRow, BreakdownRow, StatsPage, StatsView};
use app::{text, Lang};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use domain::indicators::{Dimension, Period, Rate, Tally};
use domain::Level;
use leptos::prelude::*;
use serde::Deserialize;
use store::stats::{Counter, Reader, Row};

use crate::web::{Admin, Ctx, PageError, PageQuery, Signed};
use crate::AppState;

#[derive(Debug, Deserialize, Default)]
pub struct StatsQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub dimension: Option<String>,
    /// A second dimension splitting each row of the first.
    pub then: Option<String>,
    pub period: Option<String>,
    pub lang: Option<String>,
}

fn start_of(d: NaiveDate) -> DateTime<Utc> {
    domain::calendar::start_of(d)
}

fn rate(r: Rate) -> (String, String) {
    (r.percent(), format!("{} / {}", r.num, r.den))
}

pub fn dimension_label(lang: Lang, d: Dimension) -> &'static str {
    match d {
        Dimension::Unit => lang.t("单位", "Unit"),
        Dimension::Item => lang.t("事项", "Service item"),
        Dimension::Window => lang.t("窗口", "Window"),
        Dimension::Staff => lang.t("工作人员", "Staff member"),
        Dimension::Hall => lang.t("大厅", "Hall"),
        Dimension::Region => lang.t("地区（含下级）", "Region (with sub-regions)"),
        Dimension::Channel => lang.t("渠道", "Channel"),
    }
}

fn period_label(lang: Lang, p: Period) -> &'static str {
    match p {
        Period::Day => lang.t("日", "Day"),
        Period::Week => lang.t("周", "Week"),
        Period::Month => lang.t("月", "Month"),
        Period::Quarter => lang.t("季度", "Quarter"),
        Period::Year => lang.t("年", "Year"),
    }
}

/// The rates of a breakdown row, in column order, with their titles.
pub fn rate_columns(lang: Lang) -> Vec<String> {
    [
        lang.t("好评率", "Good rate"),
        lang.t("主动评价好评率", "Active good rate"),
        lang.t("满意率", "Satisfaction rate"),
        lang.t("差评率", "Bad rate"),
        lang.t("参评率", "Participation"),
        lang.t("差评整改率", "Rectified"),
        lang.t("按期办结率", "On time"),
        lang.t("平均分", "Average score"),
    ]
    .into_iter()
    .map(str::to_string)
    .collect()
}

pub fn rate_cells(t: &Tally) -> Vec<String> {
    let mut cells: Vec<String> = [
        t.good_rate(),
        t.active_good_rate(),
        t.satisfaction_rate(),
        t.bad_rate(),
        t.participation_rate(),
        t.rectification_rate(),
        t.on_time_rate(),
    ]
    .into_iter()
    .map(Rate::percent)
    .collect();
    cells.push(t.average_score().map(|a| format!("{a:.2}")).unwrap_or_else(|| "—".into()));
    cells
}

fn channel_name(lang: Lang, code: &str) -> String {
    domain::Channel::parse(code)
        .map(|c| text::channel(lang, c).to_string())
        .unwrap_or_else(|| code.to_string())
}

/// What the query asks for, read; a part that does not read is named in
/// `error` and replaced by its default.
pub struct Asked {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub dimension: Option<Dimension>,
    pub then: Option<Dimension>,
    pub period: Option<Period>,
    pub error: Option<String>,
}

pub fn asked(lang: Lang, q: &StatsQuery, today: NaiveDate) -> Asked {
    let month = today.with_day(1).unwrap_or(today);
    let some = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let day = |s: Option<String>, default: NaiveDate| match s {
        None => Some(default),
        Some(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok(),
    };
    let mut problems = Vec::new();
    let (from, to) = match (day(some(&q.from), month), day(some(&q.to), today)) {
        (Some(f), Some(t)) if f <= t && (t - f).num_days() <= 3660 => (f, t),
        _ => {
            problems.push(lang.t(
                "日期无效（格式 YYYY-MM-DD，起始日不晚于截止日，至多 10 年），已显示本月。",
                "Invalid dates (YYYY-MM-DD, from not after to, at most 10 years): showing this month.",
            ));
            (month, today)
        }
    };
    let dimension = some(&q.dimension).and_then(|d| {
        Dimension::parse(&d).or_else(|| {
            problems.push(lang.t("未知的分组。", "Unknown breakdown."));
            None
        })
    });
    let then = some(&q.then).and_then(|d| match Dimension::parse(&d) {
        Some(t) if dimension.is_some_and(|d| d != t) => Some(t),
        Some(_) if dimension.is_none() => None,
        _ => {
            problems.push(lang.t(
                "第二分组无效（须与第一分组不同）。",
                "Second breakdown: another dimension than the first.",
            ));
            None
        }
    });
    let mut period = some(&q.period).and_then(|p| {
        Period::parse(&p).or_else(|| {
            problems.push(lang.t("未知的周期。", "Unknown period."));
            None
        })
    });
    if period == Some(Period::Day) && (to - from).num_days() > 366 {
        problems.push(lang.t("按日分组时至多 366 天，已按月分组。", "By day: at most 366 days; shown by month."));
        period = Some(Period::Month);
    }
    Asked {
        from,
        to,
        dimension,
        then,
        period,
        error: (!problems.is_empty()).then(|| problems.join(" ")),
    }
}

/// The breakdown rows of `a`, ranked, in period then rank order.
pub async fn breakdown(st: &AppState, counter: &mut Counter<'_>, reader: Reader<'_>, a: &Asked) -> Result<Vec<Row>, PageError> {
    let Some(dim) = a.dimension else {
        return Ok(Vec::new());
    };
    let dims: Vec<Dimension> = std::iter::once(dim).chain(a.then).collect();
    let mut rows = counter
        .grouped(&dims, a.period, start_of(a.from), start_of(a.to + Duration::days(1)))
        .await?;
    let policy = store::stats::ranking_policy(&st.read, reader).await?;
    store::stats::rank(&mut rows, dim, &policy.weights());
    rows.sort_by(|x, y| {
        x.period
            .cmp(&y.period)
            .then(x.key2.cmp(&y.key2))
            .then(x.peers.cmp(&y.peers))
            .then(x.rank.unwrap_or(u32::MAX).cmp(&y.rank.unwrap_or(u32::MAX)))
            .then(y.tally.valid().cmp(&x.tally.valid()))
            .then(x.key.cmp(&y.key))
    });
    Ok(rows)
}

/// The name a breakdown row is shown with.
pub fn row_name(lang: Lang, dim: Option<Dimension>, r: &Row) -> String {
    match dim {
        Some(Dimension::Channel) => channel_name(lang, &r.key),
        _ => r.name.clone(),
    }
}

/// The second dimension's key and name of a row, as shown ("" without one).
pub fn second(lang: Lang, then: Option<Dimension>, r: &Row) -> (String, String) {
    match then {
        None => (String::new(), String::new()),
        Some(Dimension::Channel) => (r.key2.clone(), channel_name(lang, &r.key2)),
        Some(_) => (r.key2.clone(), r.name2.clone()),
    }
}

pub async fn alerts(st: &AppState, ctx: &Ctx, counter: &mut Counter<'_>, today: NaiveDate) -> Result<(Vec<AlertRow>, String), PageError> {
    let lang = ctx.lang;
    let reader = Reader::Admin(&ctx.actor);
    let policy = store::stats::ranking_policy(&st.read, reader).await?;
    let threshold = u64::from(policy.alert_bad_30d);
    let end = start_of(today + Duration::days(1));
    let start = start_of(today - Duration::days(119));
    let mut out = Vec::new();
    for dim in [Dimension::Item, Dimension::Unit, Dimension::Staff] {
        let rows = counter.grouped(&[dim], Some(Period::Day), start, end).await?;
        let split_day = Period::Day.bucket(today - Duration::days(29));
        let mut per: std::collections::BTreeMap<String, (String, u64, u64)> = Default::default();
        for r in rows {
            let e = per.entry(r.key.clone()).or_insert((r.name.clone(), 0, 0));
            if r.period >= split_day {
                e.1 += r.tally.bad();
            } else {
                e.2 += r.tally.bad();
            }
        }
        for (key, (name, recent, before)) in per {
            if domain::indicators::concentrated(recent, before, threshold) {
                out.push(AlertRow {
                    what: dimension_label(lang, dim).to_string(),
                    key,
                    name,
                    bad_30: recent,
                    baseline: format!("{:.1}", before as f64 / 3.0),
                });
            }
        }
    }
    let rule = match lang {
        Lang::Zh => format!(
            "规则（本地区政策，004 第十九条）：近 30 天差评超过 {threshold} 条，且超过此前 90 天月均的两倍。"
        ),
        Lang::En => format!(
            "Rule (the region's policy; 004 rule 19): more than {threshold} bad ratings in the last 30 days, and more than twice the 30-day average of the 90 days before."
        ),
    };
    Ok((out, rule))
}

/// `GET /admin/stats`
pub async fn stats(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    PageQuery(q): PageQuery<StatsQuery>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let today = st.now().with_timezone(&store::console::china()).date_naive();
    let a = asked(lang, &q, today);
    let reader = Reader::Admin(&ctx.actor);
    let (from, until) = (start_of(a.from), start_of(a.to + Duration::days(1)));
    let mut counter = Counter::new(&st.read, reader).await?;
    let t = counter.whole(from, until).await?;
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
    let levels: Vec<(String, u64, u64)> = Level::ALL
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

    // Trend: by the period asked, else by month (by day within a month).
    let trend_period = a.period.unwrap_or(if (a.to - a.from).num_days() <= 31 {
        Period::Day
    } else {
        Period::Month
    });
    let trend_rows = counter.grouped(&[], Some(trend_period), from, until).await?;
    let labels: Vec<String> = trend_rows.iter().map(|r| r.period.clone()).collect();
    let good_name = lang.t("好评率", "Good rate").to_string();
    let active_name = lang.t("主动评价好评率", "Active good rate").to_string();
    let trend_svg = crate::charts::trend(
        &format!("{}：{} – {}", lang.t("好评率趋势", "Good rate trend"), a.from, a.to),
        &labels,
        &[
            (good_name, trend_rows.iter().map(|r| r.tally.good_rate().value()).collect()),
            (active_name, trend_rows.iter().map(|r| r.tally.active_good_rate().value()).collect()),
        ],
    );
    let trend = trend_rows
        .iter()
        .map(|r| {
            (
                r.period.clone(),
                r.tally.good_rate().percent(),
                r.tally.active_good_rate().percent(),
                r.tally.valid(),
            )
        })
        .collect();
    let levels_svg = crate::charts::bars(
        lang.t("评价等级分布（有效评价）", "Levels (valid ratings)"),
        &levels.iter().map(|(n, c, _)| (n.clone(), *c)).collect::<Vec<_>>(),
    );
    let channel_rows = counter.grouped(&[Dimension::Channel], None, from, until).await?;
    let channels: Vec<(String, u64)> = channel_rows
        .iter()
        .filter(|r| r.tally.valid() > 0)
        .map(|r| (channel_name(lang, &r.key), r.tally.valid()))
        .collect();
    let channels_svg = crate::charts::bars(lang.t("渠道构成（有效评价）", "Channels (valid ratings)"), &channels);

    let rows = breakdown(&st, &mut counter, reader, &a).await?;
    let breakdown = rows
        .iter()
        .map(|r| BreakdownRow {
            rank: r.rank.map(|k| k.to_string()).unwrap_or_else(|| "—".into()),
            key: r.key.clone(),
            name: row_name(lang, a.dimension, r),
            second: {
                let (k, n) = second(lang, a.then, r);
                if k.is_empty() {
                    String::new()
                } else {
                    format!("{n} ({k})")
                }
            },
            period: if r.period.is_empty() {
                format!("{} – {}", a.from, a.to)
            } else {
                r.period.clone()
            },
            n: r.tally.valid(),
            cells: rate_cells(&r.tally),
            score: r.score.map(|s| format!("{s:.1}")).unwrap_or_else(|| "—".into()),
            apart: format!("{} / {} / {}", r.tally.defaults(), r.tally.excluded, r.tally.flagged),
        })
        .collect();
    let policy = store::stats::ranking_policy(&st.read, reader).await?;
    let [wg, wr, wo, wp] = policy.rank_weights;
    let rank_rule = match lang {
        Lang::Zh => format!(
            "综合得分 = 好评率 {wg}%、差评整改率 {wr}%、按期办结率 {wo}%、参评率 {wp}% 加权（各率取 95% 置信下限，样本小则得分低）；有效评价少于 {} 条不排名（—）。",
            policy.rank_min_n
        ),
        Lang::En => format!(
            "Score = good rate {wg}%, rectified {wr}%, on time {wo}%, participation {wp}%, each at its 95% lower bound (small samples score lower); fewer than {} valid ratings: not ranked (—).",
            policy.rank_min_n
        ),
    };
    let (alerts, alert_rule) = alerts(&st, &ctx, &mut counter, today).await?;
    let query = format!(
        "from={}&to={}&dimension={}&then={}&period={}",
        a.from,
        a.to,
        a.dimension.map(|d| d.code()).unwrap_or(""),
        a.then.map(|d| d.code()).unwrap_or(""),
        a.period.map(|p| p.code()).unwrap_or("")
    );
    let data = StatsView {
        from: a.from.format("%Y-%m-%d").to_string(),
        to: a.to.format("%Y-%m-%d").to_string(),
        error: a.error.clone(),
        dimension: a.dimension.map(|d| d.code().to_string()).unwrap_or_default(),
        then: a.then.map(|d| d.code().to_string()).unwrap_or_default(),
        period: a.period.map(|p| p.code().to_string()).unwrap_or_default(),
        dimensions: Dimension::ALL
            .into_iter()
            .map(|d| (d.code().to_string(), dimension_label(lang, d).to_string()))
            .collect(),
        periods: Period::ALL
            .into_iter()
            .map(|p| (p.code().to_string(), period_label(lang, p).to_string()))
            .collect(),
        rates,
        levels,
        apart,
        trend_svg,
        trend,
        levels_svg,
        channels_svg,
        channels,
        columns: rate_columns(lang),
        breakdown,
        alerts,
        alert_rule,
        rank_rule,
        query,
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

use crate::web::exports::Table;

async fn export_tables(st: &AppState, ctx: &Ctx, q: &StatsQuery) -> Result<Vec<Table>, PageError> {
    let lang = ctx.lang;
    let today = st.now().with_timezone(&store::console::china()).date_naive();
    let a = asked(lang, q, today);
    if a.error.is_some() {
        return Err(PageError::OutOfRange);
    }
    let reader = Reader::Admin(&ctx.actor);
    let mut header = vec![
        lang.t("编码", "Code").to_string(),
        lang.t("名称", "Name").to_string(),
        lang.t("周期", "Period").to_string(),
        lang.t("第二分组编码", "Second code").to_string(),
        lang.t("第二分组名称", "Second name").to_string(),
        lang.t("名次", "Rank").to_string(),
        "n".to_string(),
    ];
    header.extend(rate_columns(lang));
    header.extend(
        [
            lang.t("综合得分", "Score"),
            lang.t("办结办件", "Cases completed"),
            lang.t("已评办件", "Cases rated"),
            lang.t("默认评价", "Default ratings"),
            lang.t("申诉成立剔除", "Excluded"),
            lang.t("重复/刷评标记", "Flagged"),
            lang.t("追加评价", "Follow-ups"),
            lang.t("整改后再评价", "Re-ratings"),
        ]
        .map(str::to_string),
    );
    header.extend(Level::ALL.map(|l| lang.level(l).to_string()));
    let line = |key: String, name: String, period: String, r: Option<&Row>, t: &Tally| {
        let (key2, name2) = r.map(|r| second(lang, a.then, r)).unwrap_or_default();
        let mut cells = vec![
            key,
            name,
            period,
            key2,
            name2,
            r.and_then(|r| r.rank).map(|k| k.to_string()).unwrap_or_default(),
            t.valid().to_string(),
        ];
        cells.extend(rate_cells(t));
        cells.push(r.and_then(|r| r.score).map(|s| format!("{s:.2}")).unwrap_or_default());
        cells.extend(
            [
                t.completed,
                t.rated,
                t.defaults(),
                t.excluded,
                t.flagged,
                t.follow_ups,
                t.re_ratings,
            ]
            .map(|n| n.to_string()),
        );
        cells.extend(Level::ALL.map(|l| t.of_level(l).to_string()));
        cells
    };
    let whole = format!("{} – {}", a.from, a.to);
    let mut counter = Counter::new(&st.read, reader).await?;
    let t = counter.whole(start_of(a.from), start_of(a.to + Duration::days(1))).await?;
    let mut tables = vec![(
        lang.t("总体", "Overall").to_string(),
        header.clone(),
        vec![line(
            String::new(),
            lang.t("管理范围合计", "Your scope").to_string(),
            whole.clone(),
            None,
            &t,
        )],
    )];
    if let Some(dim) = a.dimension {
        let rows = breakdown(st, &mut counter, reader, &a).await?;
        let lines = rows
            .iter()
            .map(|r| {
                let period = if r.period.is_empty() { whole.clone() } else { r.period.clone() };
                line(r.key.clone(), row_name(lang, a.dimension, r), period, Some(r), &r.tally)
            })
            .collect();
        tables.push((dimension_label(lang, dim).to_string(), header, lines));
    }
    Ok(tables)
}

/// `GET /admin/stats.csv`: the indicator tables as CSV (UTF-8 with BOM).
pub async fn stats_csv(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    PageQuery(q): PageQuery<StatsQuery>,
) -> Result<Response, PageError> {
    let tables = export_tables(&st, &ctx, &q).await?;
    let mut out = Vec::new();
    for (i, (name, header, rows)) in tables.iter().enumerate() {
        if i > 0 {
            out.push(Vec::new());
        }
        out.push(vec![name.clone()]);
        out.push(header.clone());
        out.extend(rows.iter().cloned());
    }
    Ok(crate::web::exports::csv_response("haocha-stats.csv", &out))
}

/// `GET /admin/stats.xlsx`: the indicator tables as an Excel workbook, one sheet each.
pub async fn stats_xlsx(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    PageQuery(q): PageQuery<StatsQuery>,
) -> Result<Response, PageError> {
    let tables = export_tables(&st, &ctx, &q).await?;
    crate::web::exports::xlsx_response("haocha-stats.xlsx", &tables, 5).map_err(PageError::internal)
}
