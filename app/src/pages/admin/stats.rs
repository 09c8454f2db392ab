//! `/admin/stats` (统计): the indicators of the signed-in scope over a period,
//! every rate with its n; charts (server-rendered SVG, each with the same
//! numbers as a table); a breakdown by unit, item, window, staff, hall,
//! region or channel and by day, week, month, quarter or year, ranked; and
//! 004 rule 19's concentration alerts.

use leptos::prelude::*;

use super::work_orders::select;
use super::{Nav, Notice, Shell};

/// One row of the breakdown, as shown.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BreakdownRow {
    pub rank: String,
    pub key: String,
    pub name: String,
    /// The second dimension: "name (code)", or empty.
    pub second: String,
    pub period: String,
    pub n: u64,
    /// The rates in the order of [`StatsView::columns`].
    pub cells: Vec<String>,
    pub score: String,
    /// Counted apart: defaults / excluded / flagged.
    pub apart: String,
}

/// An item, unit or staff member whose bad ratings are concentrated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlertRow {
    pub what: String,
    pub key: String,
    pub name: String,
    pub bad_30: u64,
    pub baseline: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatsView {
    /// The period, `YYYY-MM-DD`, both days included.
    pub from: String,
    pub to: String,
    pub error: Option<String>,
    /// The breakdown asked for ("" = none) and the period buckets ("" = whole).
    pub dimension: String,
    /// The second breakdown ("" = none).
    pub then: String,
    pub period: String,
    pub dimensions: Vec<(String, String)>,
    pub periods: Vec<(String, String)>,
    /// (indicator, value, numerator / denominator)
    pub rates: Vec<(String, String, String)>,
    /// (level label, valid count, of which defaults)
    pub levels: Vec<(String, u64, u64)>,
    /// Counted apart: (what, count)
    pub apart: Vec<(String, u64)>,
    /// Charts: SVG markup made by the server (plotters), and their tables.
    pub trend_svg: String,
    /// (period, good rate, active good rate, n)
    pub trend: Vec<(String, String, String, u64)>,
    pub levels_svg: String,
    pub channels_svg: String,
    /// (channel, valid ratings)
    pub channels: Vec<(String, u64)>,
    /// Column titles of the breakdown's rates.
    pub columns: Vec<String>,
    pub breakdown: Vec<BreakdownRow>,
    pub alerts: Vec<AlertRow>,
    /// The alert rule in words.
    pub alert_rule: String,
    /// The ranking rule in words.
    pub rank_rule: String,
    /// The query of this view (for the export links).
    pub query: String,
}

#[component]
pub fn StatsPage(nav: Nav, data: StatsView) -> impl IntoView {
    let lang = nav.lang;
    let whole = lang.t("不分组", "No breakdown").to_string();
    let whole_period = lang.t("整段时间", "Whole period").to_string();
    let csv = format!("/admin/stats.csv?{}", data.query);
    let xlsx = format!("/admin/stats.xlsx?{}", data.query);
    let has_breakdown = !data.dimension.is_empty();
    let has_second = !data.then.is_empty();
    let none_second = lang.t("无", "None").to_string();
    let columns = data.columns.clone();
    view! {
        <Shell nav=nav title=lang.t("统计", "Statistics").to_string()>
            <Notice text=data.error problem=true/>
            <form method="get" action="/admin/stats" class="filters">
                <label><span>{lang.t("自", "From")}</span><input type="date" name="from" value=data.from.clone()/></label>
                <label><span>{lang.t("至（含）", "To (included)")}</span><input type="date" name="to" value=data.to.clone()/></label>
                {select("dimension", lang.t("分组", "Break down by").into(), whole, data.dimensions.clone(), data.dimension.clone())}
                {select("then", lang.t("再按", "Then by").into(), none_second, data.dimensions.clone(), data.then.clone())}
                {select("period", lang.t("周期", "Period").into(), whole_period, data.periods, data.period.clone())}
                <button type="submit">{lang.t("查看", "Show")}</button>
            </form>
            <p class="muted">{lang.t(
                "范围：您的管理范围。首次评价计入；默认评价计入并单列；申诉成立被剔除、重复/刷评标记、追加评价、整改后再评价单独列出，不计入各项比率。",
                "Scope: what you administer. First ratings count; defaults count and are shown apart; excluded (upheld appeals), flagged (repeat/burst), follow-ups and re-ratings are listed apart and in no rate.",
            )}</p>
            <p class="exports">
                {lang.t("导出：", "Export: ")}
                <a href=csv.clone()>"CSV"</a>" · "<a href=xlsx.clone()>"Excel (XLSX)"</a>
            </p>
            <h2>{lang.t("指标", "Indicators")}</h2>
            <table class="list">
                <thead><tr>
                    <th scope="col">{lang.t("指标", "Indicator")}</th>
                    <th scope="col">{lang.t("数值", "Value")}</th>
                    <th scope="col">"n"</th>
                </tr></thead>
                <tbody>
                    {data.rates.into_iter().map(|(name, value, n)| view! {
                        <tr><th scope="row">{name}</th><td class="num">{value}</td><td class="num">{n}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h2>{lang.t("趋势", "Trend")}</h2>
            <figure class="chart" inner_html=data.trend_svg></figure>
            <table class="list">
                <thead><tr>
                    <th scope="col">{lang.t("周期", "Period")}</th>
                    <th scope="col">{lang.t("好评率", "Good rate")}</th>
                    <th scope="col">{lang.t("主动评价好评率", "Active good rate")}</th>
                    <th scope="col">"n"</th>
                </tr></thead>
                <tbody>
                    {data.trend.into_iter().map(|(p, g, a, n)| view! {
                        <tr><th scope="row">{p}</th><td class="num">{g}</td><td class="num">{a}</td><td class="num">{n}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h2>{lang.t("评价等级分布（有效评价）", "Levels (valid ratings)")}</h2>
            <figure class="chart" inner_html=data.levels_svg></figure>
            <table class="list">
                <thead><tr>
                    <th scope="col">{lang.t("等级", "Level")}</th>
                    <th scope="col">{lang.t("条数", "Count")}</th>
                    <th scope="col">{lang.t("其中默认评价", "Of which defaults")}</th>
                </tr></thead>
                <tbody>
                    {data.levels.into_iter().map(|(name, n, d)| view! {
                        <tr><th scope="row">{name}</th><td class="num">{n}</td><td class="num">{d}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h2>{lang.t("渠道构成（有效评价）", "Channels (valid ratings)")}</h2>
            <figure class="chart" inner_html=data.channels_svg></figure>
            <table class="list">
                <thead><tr>
                    <th scope="col">{lang.t("渠道", "Channel")}</th>
                    <th scope="col">{lang.t("条数", "Count")}</th>
                </tr></thead>
                <tbody>
                    {data.channels.into_iter().map(|(name, n)| view! {
                        <tr><th scope="row">{name}</th><td class="num">{n}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h2>{lang.t("单独统计", "Counted apart")}</h2>
            <table class="list">
                <tbody>
                    {data.apart.into_iter().map(|(name, n)| view! {
                        <tr><th scope="row">{name}</th><td class="num">{n}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            {has_breakdown.then(|| view! {
                <h2>{lang.t("分组与排名", "Breakdown and ranking")}</h2>
                <p class="muted">{data.rank_rule.clone()}</p>
                <table class="list breakdown">
                    <thead><tr>
                        <th scope="col">{lang.t("名次", "Rank")}</th>
                        <th scope="col">{lang.t("编码", "Code")}</th>
                        <th scope="col">{lang.t("名称", "Name")}</th>
                        {has_second.then(|| view! { <th scope="col">{lang.t("再按", "Then by")}</th> })}
                        <th scope="col">{lang.t("周期", "Period")}</th>
                        <th scope="col">"n"</th>
                        {columns.iter().map(|c| view! { <th scope="col">{c.clone()}</th> }).collect_view()}
                        <th scope="col">{lang.t("综合得分", "Score")}</th>
                        <th scope="col">{lang.t("默认/剔除/标记", "Defaults / excluded / flagged")}</th>
                    </tr></thead>
                    <tbody>
                        {data.breakdown.is_empty().then(|| view! { <tr><td colspan="16" class="muted">{lang.t("该时段没有数据。", "Nothing in this period.")}</td></tr> })}
                        {data.breakdown.into_iter().map(|r| view! {
                            <tr>
                                <td class="num">{r.rank}</td>
                                <th scope="row">{r.key}</th>
                                <td>{r.name}</td>
                                {has_second.then(|| view! { <td>{r.second.clone()}</td> })}
                                <td>{r.period}</td>
                                <td class="num">{r.n}</td>
                                {r.cells.into_iter().map(|c| view! { <td class="num">{c}</td> }).collect_view()}
                                <td class="num">{r.score}</td>
                                <td class="num">{r.apart}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            <h2>{lang.t("差评集中预警（近 30 天）", "Concentrated bad ratings (last 30 days)")}</h2>
            <p class="muted">{data.alert_rule.clone()}</p>
            <table class="list alerts">
                <thead><tr>
                    <th scope="col">{lang.t("类别", "Kind")}</th>
                    <th scope="col">{lang.t("编码", "Code")}</th>
                    <th scope="col">{lang.t("名称", "Name")}</th>
                    <th scope="col">{lang.t("近 30 天差评", "Bad, last 30 days")}</th>
                    <th scope="col">{lang.t("此前 90 天月均", "Usual (30-day average of the 90 before)")}</th>
                </tr></thead>
                <tbody>
                    {data.alerts.is_empty().then(|| view! { <tr><td colspan="5" class="muted">{lang.t("没有预警。", "No alerts.")}</td></tr> })}
                    {data.alerts.into_iter().map(|a| view! {
                        <tr class="bad"><td>{a.what}</td><th scope="row">{a.key}</th><td>{a.name}</td><td class="num">{a.bad_30}</td><td class="num">{a.baseline}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </Shell>
    }
}
