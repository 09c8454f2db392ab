//! 差评工单 pages: the list (overdue first, in red, with working days late),
//! the review list of flagged bad ratings, each unit's 差评处置负责人, and one
//! order with its rating, deadlines, timeline and only the steps allowed now.
//! Every form works without JavaScript.

use leptos::prelude::*;

use super::{Csrf, Nav, Notice, Shell};
use crate::Lang;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkOrderLine {
    pub id: i32,
    /// The case number, or the hall / window of a static-code or kiosk rating.
    pub subject: String,
    pub unit: String,
    pub level: String,
    pub channel: String,
    pub state: String,
    pub flags: String,
    pub opened: String,
    /// The deadline running now and the time left (or "—").
    pub due: String,
    pub overdue_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FlaggedLine {
    pub place_rating_id: i32,
    pub place: String,
    pub level: String,
    pub reason: String,
    pub comment: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HandlerLine {
    pub unit_code: String,
    pub unit_name: String,
    pub job_number: String,
    pub phone: String,
}

/// The list's filter as typed (echoed back into the form).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkOrderFilter {
    pub state: String,
    pub overdue: bool,
    pub unit: String,
    pub level: String,
    pub channel: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkOrdersView {
    pub notice: Option<String>,
    pub problem: Option<String>,
    pub filter: WorkOrderFilter,
    /// (code, label) choices of the filter.
    pub states: Vec<(String, String)>,
    pub levels: Vec<(String, String)>,
    pub channels: Vec<(String, String)>,
    pub lines: Vec<WorkOrderLine>,
    /// None: not a center (no review list).
    pub flagged: Option<Vec<FlaggedLine>>,
    pub handlers: Vec<HandlerLine>,
}

pub(super) fn select(name: &'static str, label: String, any: String, choices: Vec<(String, String)>, current: String) -> impl IntoView {
    view! {
        <label><span>{label}</span>
            <select name=name>
                <option value="">{any}</option>
                {choices.into_iter().map(|(code, text)| {
                    let selected = code == current;
                    view! { <option value=code selected=selected>{text}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}

/// `/admin/work-orders`
#[component]
pub fn WorkOrdersPage(nav: Nav, data: WorkOrdersView) -> impl IntoView {
    let lang = nav.lang;
    let csrf = nav.csrf.clone();
    let f = data.filter.clone();
    let any = lang.t("全部", "Any").to_string();
    let csrf2 = csrf.clone();
    view! {
        <Shell nav=nav title=lang.t("差评工单", "Work orders").to_string()>
            <Notice text=data.notice/>
            <Notice text=data.problem problem=true/>
            <form method="get" action="/admin/work-orders" class="filters">
                {select("state", lang.t("状态", "State").into(), any.clone(), data.states, f.state)}
                {select("level", lang.t("评价等级", "Level").into(), any.clone(), data.levels, f.level)}
                {select("channel", lang.t("渠道", "Channel").into(), any.clone(), data.channels, f.channel)}
                <label><span>{lang.t("单位编码", "Unit code")}</span><input name="unit" value=f.unit size="12"/></label>
                <label><span>{lang.t("开始日期", "From")}</span><input type="date" name="from" value=f.from/></label>
                <label><span>{lang.t("结束日期", "To")}</span><input type="date" name="to" value=f.to/></label>
                <label class="check"><input type="checkbox" name="overdue" value="1" checked=f.overdue/>{lang.t("仅逾期", "Overdue only")}</label>
                <button type="submit">{lang.t("筛选", "Filter")}</button>
            </form>
            <p class="muted">{lang.t(
                "逾期工单排在最前（红色），显示逾期的工作日数；期限按本地区政策和工作日历计算。",
                "Overdue orders come first (in red) with working days late; deadlines follow the region's policy and the working-day calendar.",
            )}</p>
            <table class="list work-orders">
                <thead>
                    <tr>
                        <th scope="col">{lang.t("工单", "Order")}</th>
                        <th scope="col">{lang.t("办件 / 地点", "Case / place")}</th>
                        <th scope="col">{lang.t("责任单位", "Unit")}</th>
                        <th scope="col">{lang.t("等级", "Level")}</th>
                        <th scope="col">{lang.t("渠道", "Channel")}</th>
                        <th scope="col">{lang.t("状态", "State")}</th>
                        <th scope="col">{lang.t("期限", "Deadline")}</th>
                        <th scope="col">{lang.t("生成时间", "Opened")}</th>
                    </tr>
                </thead>
                <tbody>
                    {data.lines.is_empty().then(|| view! { <tr><td colspan="8" class="muted">{lang.t("没有符合条件的工单。", "No work orders match.")}</td></tr> })}
                    {data.lines.into_iter().map(|l| {
                        let class = if l.overdue_days > 0 { "overdue" } else { "" };
                        let href = format!("/admin/work-orders/{}", l.id);
                        view! {
                            <tr class=class>
                                <td><a href=href>{format!("#{}", l.id)}</a></td>
                                <td>{l.subject}</td>
                                <td>{l.unit}</td>
                                <td>{l.level}</td>
                                <td>{l.channel}</td>
                                <td>{l.state} {(!l.flags.is_empty()).then(|| view! { <br/><span class="flag">{l.flags}</span> })}</td>
                                <td>{l.due}</td>
                                <td>{l.opened}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {data.flagged.map(|rows| view! {
                <h2>{lang.t("待审核的疑似重复/刷评差评", "Flagged bad ratings to review")}</h2>
                <p class="muted">{lang.t(
                    "同一浏览器重复评价或短时间大量评价的差评不会自动生成工单，也不计入统计；核实为真实诉求后可转为工单。",
                    "Bad ratings flagged as repeats or bursts open no order and are not counted; promote one when it is a real complaint.",
                )}</p>
                <table class="list flagged">
                    <thead><tr>
                        <th scope="col">{lang.t("地点", "Place")}</th>
                        <th scope="col">{lang.t("等级", "Level")}</th>
                        <th scope="col">{lang.t("标记原因", "Flag")}</th>
                        <th scope="col">{lang.t("评价内容", "Comment")}</th>
                        <th scope="col">{lang.t("时间", "At")}</th>
                        <th scope="col"></th>
                    </tr></thead>
                    <tbody>
                        {rows.is_empty().then(|| view! { <tr><td colspan="6" class="muted">{lang.t("暂无待审核的差评。", "Nothing to review.")}</td></tr> })}
                        {rows.into_iter().map(|r| {
                            let action = format!("/admin/work-orders/promote/{}", r.place_rating_id);
                            view! {
                                <tr>
                                    <td>{r.place}</td><td>{r.level}</td><td>{r.reason}</td><td>{r.comment}</td><td>{r.at}</td>
                                    <td><form method="post" action=action class="inline">
                                        <Csrf token=csrf.clone()/>
                                        <button type="submit">{lang.t("转为工单", "Promote to an order")}</button>
                                    </form></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            <h2>{lang.t("差评处置负责人", "Who handles bad ratings (差评处置负责人)")}</h2>
            <p class="muted">{lang.t(
                "新工单和逾期工单会以短信通知本单位负责人（08:00–21:00 发送）。",
                "The unit's handler is told of new and overdue orders by SMS (sent 08:00–21:00).",
            )}</p>
            <table class="list handlers">
                <thead><tr>
                    <th scope="col">{lang.t("单位", "Unit")}</th>
                    <th scope="col">{lang.t("负责人工号", "Job number")}</th>
                    <th scope="col">{lang.t("手机号", "Mobile")}</th>
                </tr></thead>
                <tbody>
                    {data.handlers.iter().cloned().map(|h| view! {
                        <tr><td>{h.unit_name} " (" {h.unit_code} ")"</td><td>{h.job_number}</td><td>{h.phone}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            {(!data.handlers.is_empty()).then(|| view! {
                <form method="post" action="/admin/work-orders/handler" class="inline">
                    <Csrf token=csrf2.clone()/>
                    <label><span>{lang.t("单位编码", "Unit code")}</span>
                        <select name="unit">
                            {data.handlers.into_iter().map(|h| {
                                let label = format!("{} ({})", h.unit_name, h.unit_code);
                                view! { <option value=h.unit_code>{label}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <label><span>{lang.t("负责人工号", "Job number")}</span><input name="job_number" required maxlength="64"/></label>
                    <label><span>{lang.t("手机号", "Mobile")}</span><input name="phone" inputmode="tel" required maxlength="20"/></label>
                    <button type="submit">{lang.t("保存负责人", "Save the handler")}</button>
                </form>
            })}
        </Shell>
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TimelineLine {
    pub at: String,
    pub who: String,
    pub action: String,
    pub change: String,
    pub detail: Vec<(String, String)>,
    /// (href, name, size)
    pub files: Vec<(String, String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkOrderView {
    pub id: i32,
    pub state: String,
    pub overdue_days: u32,
    pub notice: Option<String>,
    /// (field, sentence) of a refused step.
    pub problem: Option<(String, String)>,
    /// The rating and the case: (label, value).
    pub facts: Vec<(String, String)>,
    /// Deadlines with time left: (label, value).
    pub deadlines: Vec<(String, String)>,
    pub reply: Vec<(String, String)>,
    pub timeline: Vec<TimelineLine>,
    /// Step codes allowed now for this person.
    pub actions: Vec<String>,
    pub max_extension: u32,
    /// Where the policy lets the unit set the handling deadline: its maximum.
    pub unit_deadline_max: Option<u32>,
    /// The values typed into a refused form (name, value).
    pub typed: Vec<(String, String)>,
}

fn area(name: &'static str, label: String, typed: &[(String, String)], invalid: bool) -> impl IntoView {
    let value = typed.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    view! {
        <label class="block"><span>{label}</span>
            <textarea name=name rows="3" maxlength="2000" required aria-invalid=invalid.then_some("true")>{value}</textarea>
        </label>
    }
}

fn area_optional(name: &'static str, label: String, typed: &[(String, String)], invalid: bool) -> impl IntoView {
    let value = typed.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    view! {
        <label class="block"><span>{label}</span>
            <textarea name=name rows="2" maxlength="2000" aria-invalid=invalid.then_some("true")>{value}</textarea>
        </label>
    }
}

fn contact_select(lang: Lang) -> impl IntoView {
    view! {
        <label><span>{lang.t("方式", "How")}</span>
            <select name="how">
                <option value="phone">{crate::text::wo_word(lang, "phone")}</option>
                <option value="sms">{crate::text::wo_word(lang, "sms")}</option>
                <option value="visit">{crate::text::wo_word(lang, "visit")}</option>
            </select>
        </label>
    }
}

/// `/admin/work-orders/{id}`
#[component]
pub fn WorkOrderPage(nav: Nav, data: WorkOrderView) -> impl IntoView {
    let lang = nav.lang;
    let csrf = nav.csrf.clone();
    let id = data.id;
    let title = format!("{} #{}", lang.t("差评工单", "Work order"), id);
    let bad_field = data.problem.as_ref().map(|(f, _)| f.clone()).unwrap_or_default();
    let typed = data.typed.clone();
    let forms = data
        .actions
        .iter()
        .map(|a| {
            let action = format!("/admin/work-orders/{id}/{a}");
            let label = crate::text::wo_action(lang, a).to_string();
            let csrf = csrf.clone();
            let inv = |f: &str| bad_field == f;
            let body = match a.as_str() {
                "verify" => view! {
                    {contact_select(lang)}
                    {area("said", crate::text::wo_word(lang, "said").into(), &typed, inv("said"))}
                    <fieldset><legend>{lang.t("办理类型（决定办理期限）", "Tier (sets the handling deadline)")}</legend>
                        <label class="check"><input type="radio" name="tier" value="simple"/>{crate::text::wo_tier(lang, domain::work_order::Tier::Simple)}</label>
                        <label class="check"><input type="radio" name="tier" value="general" checked/>{crate::text::wo_tier(lang, domain::work_order::Tier::General)}</label>
                        <label class="check"><input type="radio" name="tier" value="complex"/>{crate::text::wo_tier(lang, domain::work_order::Tier::Complex)}</label>
                    </fieldset>
                    {data.unit_deadline_max.map(|max| view! {
                        <label><span>{format!("{}（0–{max}，{}）", lang.t("本单位确定的办理期限（工作日）", "Handling deadline set by the unit (working days)"), lang.t("留空按办理类型", "empty: by tier"))}</span>
                            <input type="number" name="days" min="0" max=max.to_string() aria-invalid=inv("days").then_some("true")/>
                        </label>
                        {area_optional("why", crate::text::wo_word(lang, "why").into(), &typed, inv("why"))}
                    })}
                }
                .into_any(),
                "reply" => view! {
                    {area("investigation", crate::text::wo_word(lang, "investigation").into(), &typed, inv("investigation"))}
                    {area("process", crate::text::wo_word(lang, "process").into(), &typed, inv("process"))}
                    {area("measures", crate::text::wo_word(lang, "measures").into(), &typed, inv("measures"))}
                    {area("result", crate::text::wo_word(lang, "result").into(), &typed, inv("result"))}
                    <label><span>{crate::text::wo_word(lang, "signed_by")}</span>
                        <input name="signed_by" required maxlength="64" aria-invalid=inv("signed_by").then_some("true")
                            value=typed.iter().find(|(k, _)| k == "signed_by").map(|(_, v)| v.clone()).unwrap_or_default()/>
                    </label>
                }
                .into_any(),
                "qc_return" | "refuse_extension" => view! { {area("reason", crate::text::wo_word(lang, "reason").into(), &typed, inv("reason"))} }.into_any(),
                "uphold_appeal" | "reject_appeal" => view! { {area("note", crate::text::wo_word(lang, "note").into(), &typed, inv("note"))} }.into_any(),
                "request_extension" => view! {
                    <label><span>{format!("{}（1–{}）", lang.t("延长工作日", "Extra working days"), data.max_extension)}</span>
                        <input type="number" name="days" min="1" max=data.max_extension.to_string() required aria-invalid=inv("days").then_some("true")/>
                    </label>
                    {area("reason", crate::text::wo_word(lang, "reason").into(), &typed, inv("reason"))}
                }
                .into_any(),
                "appeal" => view! {
                    <label><span>{crate::text::wo_word(lang, "kind")}</span>
                        <select name="kind">
                            {["mistaken", "malicious", "not_ours", "duplicate"].into_iter().map(|k| view! { <option value=k>{crate::text::wo_word(lang, k)}</option> }).collect_view()}
                        </select>
                    </label>
                    {area("reason", crate::text::wo_word(lang, "reason").into(), &typed, inv("reason"))}
                    <label><span>{lang.t("证据材料（PDF/JPEG/PNG，每个不超过 5 MB，最多 5 个）", "Evidence (PDF/JPEG/PNG, up to 5 MB each, at most 5)")}</span>
                        <input type="file" name="evidence" multiple accept="application/pdf,image/jpeg,image/png" aria-invalid=inv("evidence").then_some("true")/>
                    </label>
                }
                .into_any(),
                "revisit" => view! {
                    {contact_select(lang)}
                    {area("outcome", crate::text::wo_word(lang, "outcome").into(), &typed, inv("outcome"))}
                    <fieldset><legend>{crate::text::wo_word(lang, "satisfied")}</legend>
                        <label class="check"><input type="radio" name="satisfied" value="yes"/>{lang.t("满意", "Yes")}</label>
                        <label class="check"><input type="radio" name="satisfied" value="no"/>{lang.t("不满意", "No")}</label>
                        <label class="check"><input type="radio" name="satisfied" value="" checked/>{lang.t("未表态 / 未联系上", "Not said / not reached")}</label>
                    </fieldset>
                }
                .into_any(),
                _ => ().into_any(),
            };
            let enctype = if a == "appeal" { "multipart/form-data" } else { "application/x-www-form-urlencoded" };
            let class = format!("step step-{a}");
            view! {
                <form method="post" action=action enctype=enctype class=class>
                    <h3>{label.clone()}</h3>
                    <Csrf token=csrf/>
                    {body}
                    <button type="submit">{label}</button>
                </form>
            }
        })
        .collect_view();
    let problem = data.problem.map(|(_, t)| t);
    let state_class = if data.overdue_days > 0 { "state overdue" } else { "state" };
    view! {
        <Shell nav=nav title=title>
            <Notice text=data.notice/>
            <Notice text=problem problem=true/>
            <p class=state_class>{lang.t("状态：", "State: ")} <strong class="wo-state">{data.state}</strong>
                {(data.overdue_days > 0).then(|| view! { " " <span class="flag">{format!("{} {} {}", lang.t("逾期", "overdue by"), data.overdue_days, lang.t("个工作日", "working days"))}</span> })}
            </p>
            <dl class="facts wo-facts">
                {data.facts.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
            </dl>
            <h2>{lang.t("期限", "Deadlines")}</h2>
            <dl class="facts wo-facts deadlines">
                {data.deadlines.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
            </dl>
            {(!data.reply.is_empty()).then(|| view! {
                <h2>{lang.t("办理回复", "Reply")}</h2>
                <dl class="facts wo-facts reply">
                    {data.reply.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                </dl>
            })}
            <h2>{lang.t("可执行的操作", "Steps allowed now")}</h2>
            {if data.actions.is_empty() {
                view! { <p class="muted">{lang.t("当前没有您可以执行的操作。", "There is nothing for you to do on this order now.")}</p> }.into_any()
            } else {
                view! { <div class="steps">{forms}</div> }.into_any()
            }}
            <h2>{lang.t("办理过程", "Timeline")}</h2>
            <ol class="timeline">
                {data.timeline.into_iter().map(|t| view! {
                    <li>
                        <span class="when">{t.at}</span> " · " <strong>{t.action}</strong> " · " {t.who}
                        {(!t.change.is_empty()).then(|| view! { " · " <span class="muted">{t.change}</span> })}
                        {(!t.detail.is_empty()).then(|| view! {
                            <dl class="detail">{t.detail.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}</dl>
                        })}
                        {(!t.files.is_empty()).then(|| view! {
                            <ul class="files">{t.files.into_iter().map(|(href, name, size)| view! { <li><a href=href>{name}</a> " (" {size} ")"</li> }).collect_view()}</ul>
                        })}
                    </li>
                }).collect_view()}
            </ol>
            <p><a href="/admin/work-orders">{lang.t("返回工单列表", "Back to the work orders")}</a></p>
        </Shell>
    }
}
