//! `/admin/ratings` (评价记录): every rating of the signed-in scope, newest
//! first — case ratings of every channel, static-code and kiosk ratings, and
//! default ratings — with filters, comments masked, links to the case's
//! ratings and to the work order, and paging by keyset (“下一页”).

use leptos::prelude::*;

use super::work_orders::select;
use super::{Nav, Notice, Shell};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RatingLineView {
    pub at: String,
    pub channel: String,
    pub level: String,
    pub bad: bool,
    pub target: String,
    /// Hall · window.
    pub place: String,
    pub unit: String,
    pub item: String,
    pub staff: String,
    pub case_number: Option<String>,
    /// Comment with phone and ID numbers masked.
    pub comment: String,
    /// Marks: default, flagged (why), excluded, follow-up, superseded.
    pub marks: String,
    pub work_order: Option<i32>,
}

/// The filter as typed (echoed back into the form and the paging links).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RatingsFilter {
    pub from: String,
    pub to: String,
    pub region: String,
    pub hall: String,
    pub unit: String,
    pub window: String,
    pub staff: String,
    pub item: String,
    pub case: String,
    pub channel: String,
    pub level: String,
    pub mark: String,
}

impl RatingsFilter {
    /// The filter as a query string (without `?`), empty fields left out.
    pub fn query(&self) -> String {
        [
            ("from", &self.from),
            ("to", &self.to),
            ("region", &self.region),
            ("hall", &self.hall),
            ("unit", &self.unit),
            ("window", &self.window),
            ("staff", &self.staff),
            ("item", &self.item),
            ("case", &self.case),
            ("channel", &self.channel),
            ("level", &self.level),
            ("mark", &self.mark),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", super::encode(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RatingsView {
    pub problem: Option<String>,
    pub filter: RatingsFilter,
    /// (code, label) choices of the filter.
    pub channels: Vec<(String, String)>,
    pub levels: Vec<(String, String)>,
    pub marks: Vec<(String, String)>,
    pub lines: Vec<RatingLineView>,
    /// The cursor of the next page, if there is one.
    pub next: Option<String>,
    /// Whether this is a later page (a link back to the first).
    pub paged: bool,
}

#[component]
pub fn RatingsPage(nav: Nav, data: RatingsView) -> impl IntoView {
    let lang = nav.lang;
    let f = data.filter.clone();
    let any = lang.t("全部", "Any").to_string();
    let query = f.query();
    let join = |extra: String| {
        let q = [query.clone(), extra]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("&");
        if q.is_empty() {
            "/admin/ratings".to_string()
        } else {
            format!("/admin/ratings?{q}")
        }
    };
    let next = data.next.map(|c| join(format!("after={}", super::encode(&c))));
    let first = data.paged.then(|| join(String::new()));
    let export = |ext: &str| {
        if query.is_empty() {
            format!("/admin/ratings.{ext}")
        } else {
            format!("/admin/ratings.{ext}?{query}")
        }
    };
    let (csv, xlsx) = (export("csv"), export("xlsx"));
    view! {
        <Shell nav=nav title=lang.t("评价记录", "Ratings").to_string()>
            <Notice text=data.problem problem=true/>
            <form method="get" action="/admin/ratings" class="filters">
                <label><span>{lang.t("开始日期", "From")}</span><input type="date" name="from" value=f.from/></label>
                <label><span>{lang.t("结束日期", "To")}</span><input type="date" name="to" value=f.to/></label>
                {select("channel", lang.t("渠道", "Channel").into(), any.clone(), data.channels, f.channel)}
                {select("level", lang.t("评价等级", "Level").into(), any.clone(), data.levels, f.level)}
                {select("mark", lang.t("标记", "Mark").into(), any.clone(), data.marks, f.mark)}
                <label><span>{lang.t("区划代码", "Region code")}</span><input name="region" value=f.region size="12"/></label>
                <label><span>{lang.t("大厅编码", "Hall code")}</span><input name="hall" value=f.hall size="10"/></label>
                <label><span>{lang.t("单位编码", "Unit code")}</span><input name="unit" value=f.unit size="10"/></label>
                <label><span>{lang.t("窗口编码", "Window code")}</span><input name="window" value=f.window size="10"/></label>
                <label><span>{lang.t("工号", "Job number")}</span><input name="staff" value=f.staff size="10"/></label>
                <label><span>{lang.t("事项编码", "Item code")}</span><input name="item" value=f.item size="12"/></label>
                <label><span>{lang.t("办件编号", "Case number")}</span><input name="case" value=f.case size="14"/></label>
                <button type="submit">{lang.t("筛选", "Filter")}</button>
            </form>
            <p class="muted">{lang.t(
                "全部来源的评价，最新在前：办件评价（各渠道）、静态二维码与自助终端评价、默认评价。评价内容中的手机号和身份证号已遮蔽。",
                "Ratings from every source, newest first: case ratings (every channel), static-code and kiosk ratings, default ratings. Phone and ID numbers in comments are masked.",
            )}</p>
            <p class="exports">
                {lang.t("导出（当前筛选，至多 100,000 条）：", "Export (this filter, up to 100,000): ")}
                <a href=csv>"CSV"</a>" · "<a href=xlsx>"Excel (XLSX)"</a>
            </p>
            <table class="list ratings">
                <thead>
                    <tr>
                        <th scope="col">{lang.t("时间", "At")}</th>
                        <th scope="col">{lang.t("等级", "Level")}</th>
                        <th scope="col">{lang.t("渠道", "Channel")}</th>
                        <th scope="col">{lang.t("评价对象", "Rated")}</th>
                        <th scope="col">{lang.t("大厅 · 窗口", "Hall · window")}</th>
                        <th scope="col">{lang.t("单位", "Unit")}</th>
                        <th scope="col">{lang.t("事项", "Item")}</th>
                        <th scope="col">{lang.t("工作人员", "Staff")}</th>
                        <th scope="col">{lang.t("办件", "Case")}</th>
                        <th scope="col">{lang.t("评价内容", "Comment")}</th>
                        <th scope="col">{lang.t("标记", "Marks")}</th>
                        <th scope="col">{lang.t("工单", "Order")}</th>
                    </tr>
                </thead>
                <tbody>
                    {data.lines.is_empty().then(|| view! { <tr><td colspan="12" class="muted">{lang.t("没有符合条件的评价。", "No ratings match.")}</td></tr> })}
                    {data.lines.into_iter().map(|l| {
                        let class = if l.bad { "bad" } else { "" };
                        view! {
                            <tr class=class>
                                <td>{l.at}</td>
                                <td>{l.level}</td>
                                <td>{l.channel}</td>
                                <td>{l.target}</td>
                                <td>{l.place}</td>
                                <td>{l.unit}</td>
                                <td>{l.item}</td>
                                <td>{l.staff}</td>
                                <td>{l.case_number.map(|n| {
                                    let href = format!("/admin/ratings?case={}", super::encode(&n));
                                    view! { <a href=href>{n}</a> }
                                })}</td>
                                <td>{l.comment}</td>
                                <td>{l.marks}</td>
                                <td>{l.work_order.map(|id| {
                                    let href = format!("/admin/work-orders/{id}");
                                    view! { <a href=href>{format!("#{id}")}</a> }
                                })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <nav class="pager" aria-label=lang.t("翻页", "Pages")>
                {first.map(|href| view! { <a href=href>{lang.t("« 最新", "« Newest")}</a> })}
                " "
                {next.map(|href| view! { <a href=href rel="next">{lang.t("下一页 »", "Next page »")}</a> })}
            </nav>
        </Shell>
    }
}
