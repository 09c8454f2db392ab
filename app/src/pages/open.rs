//! `/open` (好差评公开): the results in public (以公开为常态, 004 rules 16–18),
//! without sign-in and without JavaScript, sized for a phone: last month's and
//! this year's indicators of a region, its sub-regions and its halls; the
//! units ranked this year with their n; the trend; and rectified cases,
//! anonymised (no rater data, comments masked).

use leptos::prelude::*;

use crate::Lang;

/// One place (a region or a hall) over one period: the cells in the order of
/// [`OpenView::columns`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpenPlace {
    pub name: String,
    /// A link to the region's own page (none for halls).
    pub href: Option<String>,
    pub last_month: Vec<String>,
    pub this_year: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpenRank {
    pub rank: String,
    pub unit: String,
    pub n: u64,
    pub good_rate: String,
    pub score: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpenCase {
    pub closed_on: String,
    pub place: String,
    pub level: String,
    pub comment: String,
    pub result: String,
    pub staff_number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpenView {
    /// The region shown, if one was chosen.
    pub region: Option<(String, String)>,
    /// Regions to choose from: (code, name).
    pub regions: Vec<(String, String)>,
    pub last_month: String,
    pub this_year: String,
    pub columns: Vec<String>,
    pub places: Vec<OpenPlace>,
    pub ranking: Vec<OpenRank>,
    pub rank_rule: String,
    pub trend_svg: String,
    /// (month, good rate, n)
    pub trend: Vec<(String, String, u64)>,
    pub cases: Vec<OpenCase>,
}

fn table(lang: Lang, columns: &[String], places: &[OpenPlace], period: &str, last_month: bool) -> impl IntoView {
    view! {
        <div class="scroll">
            <table class="open-table">
                <caption>{period.to_string()}</caption>
                <thead><tr>
                    <th scope="col">{lang.t("地区 / 大厅", "Region / hall")}</th>
                    {columns.iter().map(|c| view! { <th scope="col">{c.clone()}</th> }).collect_view()}
                </tr></thead>
                <tbody>
                    {places.iter().map(|p| {
                        let cells = if last_month { p.last_month.clone() } else { p.this_year.clone() };
                        view! {
                            <tr>
                                <th scope="row">{match p.href.clone() {
                                    Some(h) => view! { <a href=h>{p.name.clone()}</a> }.into_any(),
                                    None => view! { <span>{p.name.clone()}</span> }.into_any(),
                                }}</th>
                                {cells.into_iter().map(|c| view! { <td class="num">{c}</td> }).collect_view()}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
pub fn OpenPage(lang: Lang, data: OpenView) -> impl IntoView {
    let path = match &data.region {
        Some((code, _)) => format!("/open?region={code}&"),
        None => "/open?".to_string(),
    };
    let title = match &data.region {
        Some((_, name)) => format!("{name} · {}", lang.t("好差评公开", "Ratings in public")),
        None => lang.t("政务服务好差评公开", "Government service ratings in public").to_string(),
    };
    let current = data.region.as_ref().map(|r| r.0.clone()).unwrap_or_default();
    let chosen = data.region.is_some();
    view! {
        <main class="page open">
            <header class="top">
                <span class="brand">{lang.t("haocha 政务服务好差评", "haocha government service rating")}</span>
                <a class="lang-switch" href=format!("{path}lang={}", lang.other().code()) hreflang=lang.other().html_lang()>
                    {match lang.other() {
                        Lang::Zh => "中文",
                        Lang::En => "English",
                    }}
                </a>
            </header>
            <h1>{title}</h1>
            <form method="get" action="/open" class="choose">
                <label>
                    <span>{lang.t("地区", "Region")}</span>
                    <select name="region">
                        <option value="" selected=current.is_empty()>{lang.t("全部（省级）", "All (provinces)")}</option>
                        {data.regions.into_iter().map(|(code, name)| {
                            let selected = code == current;
                            view! { <option value=code selected=selected>{name}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit">{lang.t("查看", "Show")}</button>
            </form>
            <p class="muted">{lang.t(
                "有效评价为首次评价（含默认评价）；申诉成立被剔除、重复/刷评标记、追加评价不计入比率。每项比率旁为样本数 n。",
                "Valid ratings are first ratings (defaults included); excluded ratings (upheld appeals), flagged repeats and follow-ups are in no rate. n is the number of valid ratings.",
            )}</p>
            <h2>{lang.t("上月", "Last month")}</h2>
            {table(lang, &data.columns, &data.places, &data.last_month, true)}
            <h2>{lang.t("本年", "This year")}</h2>
            {table(lang, &data.columns, &data.places, &data.this_year, false)}
            {chosen.then(|| view! {
                <h2>{lang.t("单位排名（本年）", "Units ranked (this year)")}</h2>
                <p class="muted">{data.rank_rule.clone()}</p>
                <div class="scroll">
                    <table class="open-table ranking">
                        <thead><tr>
                            <th scope="col">{lang.t("名次", "Rank")}</th>
                            <th scope="col">{lang.t("单位", "Unit")}</th>
                            <th scope="col">"n"</th>
                            <th scope="col">{lang.t("好评率", "Good rate")}</th>
                            <th scope="col">{lang.t("综合得分", "Score")}</th>
                        </tr></thead>
                        <tbody>
                            {data.ranking.is_empty().then(|| view! { <tr><td colspan="5" class="muted">{lang.t("本年暂无评价。", "No ratings this year yet.")}</td></tr> })}
                            {data.ranking.into_iter().map(|r| view! {
                                <tr><td class="num">{r.rank}</td><th scope="row">{r.unit}</th><td class="num">{r.n}</td><td class="num">{r.good_rate}</td><td class="num">{r.score}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <h2>{lang.t("好评率趋势（本年，按月）", "Good rate this year, by month")}</h2>
                <figure class="chart" inner_html=data.trend_svg.clone()></figure>
                <div class="scroll">
                    <table class="open-table">
                        <thead><tr>
                            <th scope="col">{lang.t("月份", "Month")}</th>
                            <th scope="col">{lang.t("好评率", "Good rate")}</th>
                            <th scope="col">"n"</th>
                        </tr></thead>
                        <tbody>
                            {data.trend.clone().into_iter().map(|(m, g, n)| view! {
                                <tr><th scope="row">{m}</th><td class="num">{g}</td><td class="num">{n}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <h2>{lang.t("差评整改公开", "Bad ratings rectified")}</h2>
                <ul class="cases">
                    {data.cases.is_empty().then(|| view! { <li class="muted">{lang.t("暂无已整改的差评。", "No rectified bad ratings yet.")}</li> })}
                    {data.cases.clone().into_iter().map(|c| view! {
                        <li>
                            <p class="meta">{c.closed_on} " · " {c.place} " · " {c.level}
                                {c.staff_number.map(|s| view! { " · " {lang.t("工号 ", "Staff No. ")} {s} })}
                            </p>
                            <p><strong>{lang.t("群众反映：", "Said: ")}</strong>{c.comment}</p>
                            <p><strong>{lang.t("整改结果：", "Result: ")}</strong>{c.result}</p>
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </main>
    }
}
