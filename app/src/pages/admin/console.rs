//! The staff console: the window's cases completed today.

use leptos::prelude::*;

use super::{Csrf, Nav, Notice, Shell};
use crate::Lang;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleRow {
    pub case_number: String,
    pub item_name: String,
    pub completed_at: String,
    pub rated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleView {
    pub window_code: String,
    pub window_name: String,
    pub hall_name: String,
    pub rows: Vec<ConsoleRow>,
    pub notice: Option<String>,
    /// 差评工单 of this window's cases: (case number, state label). Nothing
    /// about the rater (SPEC §5: staff never see who rated them).
    pub orders: Vec<(String, String)>,
}

#[component]
pub fn ConsolePage(nav: Nav, console: ConsoleView) -> impl IntoView {
    let lang = nav.lang;
    let csrf = nav.csrf.clone();
    let rated = console.rows.iter().filter(|r| r.rated).count();
    let total = console.rows.len();
    let code = console.window_code.clone();
    view! {
        <Shell nav=nav title=lang.t("我的窗口", "My window").to_string()>
            <p class="window-card">
                <strong class="window-name">{console.window_name.clone()}</strong>
                " · " {console.hall_name} " · " <span class="muted">{console.window_code}</span>
            </p>
            <p>
                <a class="button" href=format!("/w/{code}/screen")>{lang.t("打开窗口评价屏", "Open the window screen")}</a>
                " "
                <a class="button secondary" href=format!("/print/window/{code}")>{lang.t("打印窗口评价二维码", "Print the window's rating code")}</a>
            </p>
            <Notice text=console.notice.clone()/>
            <h2>{lang.t("今日办结", "Completed today")}</h2>
            <p class="count">
                {match lang {
                    Lang::Zh => format!("今日办结 {total} 件，已评价 {rated} 件。"),
                    Lang::En => format!("{total} completed today, {rated} rated."),
                }}
            </p>
            <p class="hint">
                {lang.t(
                    "评价内容对工作人员保密：这里只显示是否已评价。",
                    "Ratings are confidential to staff: only whether a case was rated is shown here.",
                )}
            </p>
            <table class="list console">
                <thead>
                    <tr>
                        <th scope="col">{lang.t("办件编号", "Case number")}</th>
                        <th scope="col">{lang.t("事项", "Service item")}</th>
                        <th scope="col">{lang.t("办结时间", "Completed")}</th>
                        <th scope="col">{lang.t("评价", "Rated")}</th>
                        <th scope="col">{lang.t("评价器", "Evaluator")}</th>
                    </tr>
                </thead>
                <tbody>
                    {(total == 0).then(|| view! { <tr><td colspan="5">{lang.t("今天还没有办结的业务。", "No cases completed today yet.")}</td></tr> })}
                    {console
                        .rows
                        .into_iter()
                        .map(|r| {
                            view! {
                                <tr>
                                    <td>{r.case_number.clone()}</td>
                                    <td>{r.item_name}</td>
                                    <td>{r.completed_at}</td>
                                    <td class=if r.rated { "rated yes" } else { "rated no" }>
                                        {if r.rated { lang.t("✓ 已评价", "✓ Rated") } else { lang.t("— 未评价", "— Not yet") }}
                                    </td>
                                    <td>
                                        {(!r.rated).then(|| {
                                            let csrf = csrf.clone();
                                            view! {
                                                <form method="post" action="/staff/invite" class="inline">
                                                    <Csrf token=csrf/>
                                                    <input type="hidden" name="case_number" value=r.case_number.clone()/>
                                                    <button type="submit">{lang.t("邀请评价", "Invite rating")}</button>
                                                </form>
                                            }
                                        })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            {(!console.orders.is_empty()).then(|| view! {
                <h2>{lang.t("本窗口的差评工单", "Work orders of this window's cases")}</h2>
                <p class="muted">{lang.t("差评由单位负责人核实办理；这里只显示办理进度。", "The unit verifies and handles bad ratings; here you see how far each has come.")}</p>
                <table class="list console-orders">
                    <thead><tr>
                        <th scope="col">{lang.t("办件编号", "Case")}</th>
                        <th scope="col">{lang.t("工单状态", "Order state")}</th>
                    </tr></thead>
                    <tbody>
                        {console.orders.into_iter().map(|(case, state)| view! { <tr><td>{case}</td><td>{state}</td></tr> }).collect_view()}
                    </tbody>
                </table>
            })}
        </Shell>
    }
}
