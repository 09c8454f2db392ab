//! `/admin/stats` (统计): the indicators of the signed-in scope over a period
//! (issue 14, first slice), every rate with its n.

use leptos::prelude::*;

use super::{Nav, Notice, Shell};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatsView {
    /// The period, `YYYY-MM-DD` (to is exclusive).
    pub from: String,
    pub to: String,
    pub error: Option<String>,
    /// (indicator, value, numerator / denominator)
    pub rates: Vec<(String, String, String)>,
    /// (level label, valid count, of which defaults)
    pub levels: Vec<(String, u64, u64)>,
    /// Counted apart: (what, count)
    pub apart: Vec<(String, u64)>,
}

#[component]
pub fn StatsPage(nav: Nav, data: StatsView) -> impl IntoView {
    let lang = nav.lang;
    view! {
        <Shell nav=nav title=lang.t("统计", "Statistics").to_string()>
            <Notice text=data.error problem=true/>
            <form method="get" action="/admin/stats" class="inline">
                <label><span>{lang.t("自", "From")}</span><input type="date" name="from" value=data.from.clone()/></label>
                <label><span>{lang.t("至（不含）", "To (exclusive)")}</span><input type="date" name="to" value=data.to.clone()/></label>
                <button type="submit">{lang.t("查看", "Show")}</button>
            </form>
            <p class="muted">{lang.t(
                "范围：您的管理范围。首次评价计入；默认评价计入并单列；申诉成立被剔除、重复/刷评标记、追加评价、整改后再评价单独列出，不计入各项比率。",
                "Scope: what you administer. First ratings count; defaults count and are shown apart; excluded (upheld appeals), flagged (repeat/burst), follow-ups and re-ratings are listed apart and in no rate.",
            )}</p>
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
            <h2>{lang.t("评价等级分布（有效评价）", "Levels (valid ratings)")}</h2>
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
            <h2>{lang.t("单独统计", "Counted apart")}</h2>
            <table class="list">
                <tbody>
                    {data.apart.into_iter().map(|(name, n)| view! {
                        <tr><th scope="row">{name}</th><td class="num">{n}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </Shell>
    }
}
