//! `/admin/exchange` (数据上报): what was pushed to the provincial and
//! national platforms per day and region, what they refused and why, and
//! re-pushing refused records after a mapping fix.

use leptos::prelude::*;

use super::{Csrf, Nav, Notice, Shell};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExchangeDay {
    pub day: String,
    pub region: String,
    /// Sent at least once (whatever the answer).
    pub pushed: u64,
    pub pending: u64,
    pub accepted: u64,
    pub refused: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExchangeRefused {
    pub id: i32,
    pub record_id: String,
    pub kind: String,
    pub created: String,
    pub status: String,
    pub answer: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExchangeView {
    pub result: Option<String>,
    /// Where records go (`HAOCHA_EXCHANGE_URL` routes, no secrets); empty: not configured.
    pub platforms: Vec<String>,
    pub days: Vec<ExchangeDay>,
    pub refused: Vec<ExchangeRefused>,
}

#[component]
pub fn ExchangePage(nav: Nav, data: ExchangeView) -> impl IntoView {
    let lang = nav.lang;
    let csrf = nav.csrf.clone();
    let configured = !data.platforms.is_empty();
    let has_refused = !data.refused.is_empty();
    view! {
        <Shell nav=nav title=lang.t("数据上报", "Platform exchange").to_string()>
            <Notice text=data.result/>
            <p>{lang.t(
                "每条评价（含追评、默认评价、静态码和评价器评价）、申诉成立后的作废和差评整改结果，都在写入的同一事务中生成一条上报记录，按地区政策的格式（GB/T 39046 或省平台格式）推送到省级或国家平台；失败按 1 分钟至 6 小时退避重试，编号始终不变；被平台拒收（4xx）的记录在此列出，修正映射后可重新推送。",
                "Every rating (follow-ups, defaults, static-code and evaluator ratings included), every exclusion after an upheld appeal and every rectification becomes an exchange record in the transaction that writes it, pushed in the region policy's shape (GB/T 39046 or a provincial shape) to the provincial or national platform; failures are retried from 1 minute to 6 hours with the same record id; records the platform refused (4xx) are listed here and can be pushed again after a mapping fix.",
            )}</p>
            <p>
                {if configured {
                    view! { <span>{lang.t("推送地址：", "Pushed to: ")} {data.platforms.join("；")}</span> }.into_any()
                } else {
                    view! { <strong>{lang.t(
                        "未配置上报地址（HAOCHA_EXCHANGE_URL）：记录全部保存待推送，也可用 haocha exchange export 导出文件。",
                        "No platform configured (HAOCHA_EXCHANGE_URL): every record is kept pending; haocha exchange export writes them to a file.",
                    )}</strong> }.into_any()
                }}
            </p>
            <h2>{lang.t("近 30 天（按日、地区）", "Last 30 days (by day and region)")}</h2>
            <table class="list exchange-days">
                <thead>
                    <tr>
                        <th scope="col">{lang.t("日期", "Day")}</th>
                        <th scope="col">{lang.t("地区", "Region")}</th>
                        <th scope="col" class="num">{lang.t("已推送", "Pushed")}</th>
                        <th scope="col" class="num">{lang.t("已接收", "Accepted")}</th>
                        <th scope="col" class="num">{lang.t("被拒收", "Refused")}</th>
                        <th scope="col" class="num">{lang.t("待推送", "Pending")}</th>
                    </tr>
                </thead>
                <tbody>
                    {data.days.into_iter().map(|d| view! {
                        <tr>
                            <td>{d.day}</td>
                            <td>{d.region}</td>
                            <td class="num">{d.pushed}</td>
                            <td class="num">{d.accepted}</td>
                            <td class="num">{d.refused}</td>
                            <td class="num">{d.pending}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h2>{lang.t("被拒收的记录", "Refused records")}</h2>
            {if has_refused {
                view! {
                    <form method="post" action="/admin/exchange/repush">
                        <Csrf token=csrf.clone()/>
                        <table class="list exchange-refused">
                            <thead>
                                <tr>
                                    <th scope="col">{lang.t("选择", "Select")}</th>
                                    <th scope="col">{lang.t("记录编号", "Record id")}</th>
                                    <th scope="col">{lang.t("类型", "Kind")}</th>
                                    <th scope="col">{lang.t("生成时间", "Created")}</th>
                                    <th scope="col">{lang.t("平台答复", "Platform's answer")}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {data.refused.into_iter().map(|r| {
                                    let label = format!("{} {}", lang.t("重新推送", "Push again"), r.record_id);
                                    view! {
                                    <tr>
                                        <td><input type="checkbox" name="id" value=r.id.to_string() aria-label=label/></td>
                                        <td><code>{r.record_id}</code></td>
                                        <td>{r.kind}</td>
                                        <td>{r.created}</td>
                                        <td>{r.status} " " <span class="muted">{r.answer}</span></td>
                                    </tr>
                                }}).collect_view()}
                            </tbody>
                        </table>
                        <button type="submit">{lang.t("重新推送所选记录", "Push the selected records again")}</button>
                    </form>
                }.into_any()
            } else {
                view! { <p class="muted">{lang.t("没有被拒收的记录。", "No refused records.")}</p> }.into_any()
            }}
        </Shell>
    }
}
