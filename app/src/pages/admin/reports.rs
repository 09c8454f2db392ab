//! `/admin/reports/monthly?month=YYYY-MM` (月度报告): the month of the
//! signed-in scope on A4 — indicators, rankings, concentration alerts, the
//! work-order summary, and the units ranked last two months running (004
//! rule 18: 限期整改).

use leptos::prelude::*;

use super::{AlertRow, Nav, Notice, Shell};

/// A ranking table: (rank, code, name, n, good rate, score).
pub type RankTable = Vec<(String, String, String, u64, String, String)>;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MonthlyView {
    pub month: String,
    pub error: Option<String>,
    /// (indicator, value, n)
    pub rates: Vec<(String, String, String)>,
    /// (what, count)
    pub orders: Vec<(String, String)>,
    /// (title, table)
    pub rankings: Vec<(String, RankTable)>,
    pub rank_rule: String,
    pub alerts: Vec<AlertRow>,
    pub alert_rule: String,
    /// Units ranked last this month and the month before: (code, name).
    pub last_twice: Vec<(String, String)>,
}

#[component]
pub fn MonthlyPage(nav: Nav, data: MonthlyView) -> impl IntoView {
    let lang = nav.lang;
    let title = format!("{} {}", data.month, lang.t("月度报告", "monthly report"));
    view! {
        <Shell nav=nav title=title>
            <Notice text=data.error problem=true/>
            <form method="get" action="/admin/reports/monthly" class="filters">
                <label><span>{lang.t("月份", "Month")}</span><input type="month" name="month" value=data.month.clone()/></label>
                <button type="submit">{lang.t("查看", "Show")}</button>
                <span class="muted">{lang.t("用浏览器打印即为 A4 报告。", "Print from the browser for an A4 report.")}</span>
            </form>
            <section class="report">
                <h2>{lang.t("一、主要指标", "1. Indicators")}</h2>
                <table class="list">
                    <thead><tr>
                        <th scope="col">{lang.t("指标", "Indicator")}</th>
                        <th scope="col">{lang.t("数值", "Value")}</th>
                        <th scope="col">"n"</th>
                    </tr></thead>
                    <tbody>
                        {data.rates.into_iter().map(|(k, v, n)| view! { <tr><th scope="row">{k}</th><td class="num">{v}</td><td class="num">{n}</td></tr> }).collect_view()}
                    </tbody>
                </table>
                <h2>{lang.t("二、差评工单", "2. Work orders")}</h2>
                <table class="list">
                    <tbody>
                        {data.orders.into_iter().map(|(k, v)| view! { <tr><th scope="row">{k}</th><td class="num">{v}</td></tr> }).collect_view()}
                    </tbody>
                </table>
                <h2>{lang.t("三、排名", "3. Rankings")}</h2>
                <p class="muted">{data.rank_rule}</p>
                {data.rankings.into_iter().map(|(name, rows)| view! {
                    <h3>{name}</h3>
                    <table class="list ranking">
                        <thead><tr>
                            <th scope="col">{lang.t("名次", "Rank")}</th>
                            <th scope="col">{lang.t("编码", "Code")}</th>
                            <th scope="col">{lang.t("名称", "Name")}</th>
                            <th scope="col">"n"</th>
                            <th scope="col">{lang.t("好评率", "Good rate")}</th>
                            <th scope="col">{lang.t("综合得分", "Score")}</th>
                        </tr></thead>
                        <tbody>
                            {rows.is_empty().then(|| view! { <tr><td colspan="6" class="muted">{lang.t("本月没有评价。", "No ratings this month.")}</td></tr> })}
                            {rows.into_iter().map(|(rank, code, name, n, good, score)| view! {
                                <tr><td class="num">{rank}</td><th scope="row">{code}</th><td>{name}</td><td class="num">{n}</td><td class="num">{good}</td><td class="num">{score}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }).collect_view()}
                <h2>{lang.t("四、限期整改（连续两个月排名末位的单位）", "4. To rectify within a deadline (units ranked last two months running)")}</h2>
                <ul class="last-twice">
                    {data.last_twice.is_empty().then(|| view! { <li class="muted">{lang.t("无。", "None.")}</li> })}
                    {data.last_twice.into_iter().map(|(code, name)| view! { <li>{name} " (" {code} ")"</li> }).collect_view()}
                </ul>
                <h2>{lang.t("五、差评集中预警（截至月末的 30 天）", "5. Concentrated bad ratings (30 days to the month's end)")}</h2>
                <p class="muted">{data.alert_rule}</p>
                <table class="list alerts">
                    <thead><tr>
                        <th scope="col">{lang.t("类别", "Kind")}</th>
                        <th scope="col">{lang.t("编码", "Code")}</th>
                        <th scope="col">{lang.t("名称", "Name")}</th>
                        <th scope="col">{lang.t("30 天差评", "Bad in 30 days")}</th>
                        <th scope="col">{lang.t("此前 90 天月均", "Usual")}</th>
                    </tr></thead>
                    <tbody>
                        {data.alerts.is_empty().then(|| view! { <tr><td colspan="5" class="muted">{lang.t("没有预警。", "No alerts.")}</td></tr> })}
                        {data.alerts.into_iter().map(|a| view! {
                            <tr><td>{a.what}</td><th scope="row">{a.key}</th><td>{a.name}</td><td class="num">{a.bad_30}</td><td class="num">{a.baseline}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        </Shell>
    }
}
