//! The background jobs page: the SMS outbox and the default ratings.

use leptos::prelude::*;

use super::{Csrf, Nav, Notice, Shell};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutboxMessage {
    pub message_id: String,
    pub kind: String,
    /// Masked.
    pub phone: String,
    pub body: String,
    pub state: String,
    pub attempts: i32,
    pub error: String,
    pub created: String,
    pub not_before: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutboxView {
    pub result: Option<String>,
    /// Demo gateway: offer a form that plays a citizen's SMS reply.
    pub simulate_reply: bool,
    pub messages: Vec<OutboxMessage>,
    /// (case number, level label, policy region, given at, superseded)
    pub defaults: Vec<(String, String, String, String, bool)>,
}

/// `/admin/outbox`: the background jobs, run at once on demand.
#[component]
pub fn OutboxPage(nav: Nav, data: OutboxView) -> impl IntoView {
    let lang = nav.lang;
    let csrf = nav.csrf.clone();
    view! {
        <Shell nav=nav title=lang.t("后台任务", "Jobs").to_string()>
            <Notice text=data.result/>
            <p>{lang.t(
                "后台任务每分钟自动运行：办结 24 小时后仍未评价、留有手机号的办件发送一条提醒短信（含评价链接和回复说明；21:00–08:00 不发送，次日 8 点再发；每件只发一次）；超过本地区规定期限仍未评价的办件给予默认评价（单独统计，之后的主动评价会取代它并保留记录）。演示时可立即运行：",
                "The jobs run every minute by themselves: an unrated case with a phone gets one reminder SMS 24 hours after completion (with its link and the reply digits; never between 21:00 and 08:00, never twice); a case left unrated past its region's delay gets the default rating (counted apart; a later active rating supersedes it and the default stays on record). Run them now:",
            )}</p>
            <form method="post" action="/admin/outbox/run" class="inline">
                <Csrf token=csrf.clone()/>
                <button type="submit">{lang.t("立即运行后台任务", "Run the jobs now")}</button>
            </form>
            {data.simulate_reply.then(|| view! {
                <h2>{lang.t("模拟市民回复短信（演示）", "Play a citizen's SMS reply (demo)")}</h2>
                <p>{lang.t(
                    "未配置短信网关时，短信只保存在发件箱中。可在此模拟市民用手机回复提醒短信（如回复“5”）。",
                    "Without an SMS gateway messages stay in this outbox. Play a citizen replying to a reminder here (e.g. \"5\").",
                )}</p>
                <form method="post" action="/admin/outbox/reply" class="inline">
                    <Csrf token=csrf.clone()/>
                    <label><span>{lang.t("手机号", "Phone")}</span><input name="phone" inputmode="tel" required/></label>
                    <label><span>{lang.t("回复内容", "Reply")}</span><input name="text" required maxlength="70"/></label>
                    <button type="submit">{lang.t("模拟回复", "Play the reply")}</button>
                </form>
            })}
            <h2>{lang.t("短信发件箱", "SMS outbox")}</h2>
            <table class="list sms">
                <thead>
                    <tr>
                        <th scope="col">{lang.t("类型", "Kind")}</th>
                        <th scope="col">{lang.t("手机号", "Phone")}</th>
                        <th scope="col">{lang.t("内容", "Text")}</th>
                        <th scope="col">{lang.t("状态", "State")}</th>
                        <th scope="col">{lang.t("尝试次数", "Attempts")}</th>
                        <th scope="col">{lang.t("生成 / 最早发送", "Created / not before")}</th>
                        <th scope="col">{lang.t("消息编号", "Message id")}</th>
                    </tr>
                </thead>
                <tbody>
                    {data.messages.into_iter().map(|m| {
                        let row_class = format!("sms-{}", m.state);
                        view! {
                        <tr class=row_class>
                            <td>{m.kind}</td>
                            <td>{m.phone}</td>
                            <td class="sms-body">{m.body}</td>
                            <td>{m.state} {(!m.error.is_empty()).then(|| view! { <br/><span class="muted">{m.error}</span> })}</td>
                            <td>{m.attempts}</td>
                            <td>{m.created} " / " {m.not_before}</td>
                            <td><code>{m.message_id}</code></td>
                        </tr>
                    }}).collect_view()}
                </tbody>
            </table>
            <h2>{lang.t("默认评价", "Default ratings")}</h2>
            <table class="list defaults">
                <thead>
                    <tr>
                        <th scope="col">{lang.t("办件编号", "Case")}</th>
                        <th scope="col">{lang.t("默认等级", "Default level")}</th>
                        <th scope="col">{lang.t("依据地区", "Policy of region")}</th>
                        <th scope="col">{lang.t("给出时间", "Given at")}</th>
                        <th scope="col">{lang.t("状态", "Status")}</th>
                    </tr>
                </thead>
                <tbody>
                    {data.defaults.into_iter().map(|(case, level, region, at, superseded)| view! {
                        <tr>
                            <td>{case}</td>
                            <td>{level} " " <span class="muted">{lang.t("（默认）", "(default)")}</span></td>
                            <td>{region}</td>
                            <td>{at}</td>
                            <td>{if superseded { lang.t("已被主动评价取代", "Superseded by an active rating") } else { lang.t("有效", "In force") }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </Shell>
    }
}
