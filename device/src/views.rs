//! The header and the five screens: pairing, start, real-name check, rating and thanks.

use app::islands::LevelAndTags;
use app::kiosk::{ELDER_KEY, LANG_KEY};
use domain::TAGS;
use leptos::prelude::*;

use crate::net::post_json;
use crate::state::{Kiosk, Screen};
use crate::storage::save;

// ---------------------------------------------------------------- views

#[component]
pub(crate) fn Header(k: Kiosk) -> impl IntoView {
    let lang = k.lang;
    view! {
        <header class="k-head">
            <div class="k-hall">
                {move || k.setup.get().map(|s| s.hall_name).unwrap_or_else(|| lang.get().t("政务服务“好差评”", "Government service rating").into())}
            </div>
            <div class="k-status" role="status" data-online=move || if k.online.get() { "true" } else { "false" }>
                {move || {
                    let l = lang.get();
                    let net = if k.online.get() { l.t("在线", "Online") } else { l.t("网络中断", "Offline") };
                    match k.pending.get() {
                        0 => net.to_string(),
                        n => format!("{net} · {} {n}", l.t("待发送", "waiting to send:")),
                    }
                }}
            </div>
            <div class="k-switches">
                <button
                    type="button"
                    class="k-toggle"
                    aria-pressed=move || if k.elder.get() { "true" } else { "false" }
                    on:click=move |_| {
                        let on = !k.elder.get_untracked();
                        k.elder.set(on);
                        save(ELDER_KEY, if on { "1" } else { "0" });
                    }
                >
                    {move || lang.get().t("长辈模式", "Large text")}
                </button>
                <button
                    type="button"
                    class="k-toggle"
                    on:click=move |_| {
                        let l = lang.get_untracked().other();
                        lang.set(l);
                        save(LANG_KEY, l.code());
                    }
                >
                    {move || lang.get().other().t("中文", "English")}
                </button>
            </div>
        </header>
    }
}

#[component]
pub(crate) fn PairScreen(k: Kiosk) -> impl IntoView {
    let lang = k.lang.get_untracked();
    let digits = RwSignal::new(String::new());
    let message = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let press = move |d: char| {
        digits.update(|s| {
            if s.len() < 8 {
                s.push(d)
            }
        })
    };
    let send = move |_| {
        let code = digits.get_untracked();
        if code.len() != 8 {
            message.set(Some(lang.t("请输入 8 位配对码。", "Enter the 8-digit code.").into()));
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            match post_json("/device/api/pair", &serde_json::json!({ "code": code })).await {
                Some((200, _)) => {
                    message.set(None);
                    k.refresh().await;
                }
                Some((_, body)) => {
                    digits.set(String::new());
                    message.set(body["message"].as_str().map(str::to_string));
                }
                None => message.set(Some(
                    lang.t(
                        "网络不可用，请检查网络后重试。首次使用需要连接服务器。",
                        "No network: the first start needs the server.",
                    )
                    .into(),
                )),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="k-pair">
            <h1>{lang.t("终端配对", "Pair this terminal")}</h1>
            <p>{lang.t(
                "请管理员在“窗口 → 评价器”中生成配对码，并在此输入。",
                "An administrator shows a pairing code under Window → Evaluators; enter it here.",
            )}</p>
            <output class="k-digits" aria-label=lang.t("配对码", "Pairing code")>
                {move || {
                    let d = digits.get();
                    format!("{d}{}", "·".repeat(8 - d.len()))
                }}
            </output>
            <p class="error" role="alert">{move || message.get()}</p>
            <div class="k-keypad">
                {"123456789".chars().map(|c| view! {
                    <button type="button" class="k-key" on:click=move |_| press(c)>{c.to_string()}</button>
                }).collect_view()}
                <button type="button" class="k-key" on:click=move |_| digits.set(String::new())>{lang.t("清除", "Clear")}</button>
                <button type="button" class="k-key" on:click=move |_| press('0')>"0"</button>
                <button type="button" class="k-key" aria-label=lang.t("删除", "Delete") on:click=move |_| digits.update(|s| { s.pop(); })>"⌫"</button>
            </div>
            <button type="button" class="submit" disabled=move || busy.get() on:click=send>{lang.t("配对", "Pair")}</button>
        </section>
    }
}

#[component]
pub(crate) fn StartScreen(k: Kiosk) -> impl IntoView {
    let lang = k.lang.get_untracked();
    let choose = move |code: Option<String>| {
        k.chosen.set(code);
        let real_name = k.setup.get_untracked().is_some_and(|s| s.real_name);
        k.go(if real_name { Screen::Verify } else { Screen::Rate });
    };
    view! {
        <section class="k-start">
            <h1>{lang.t("请评价我们的服务", "Please rate our service")}</h1>
            <p class="k-lead">{lang.t("请选择您办理业务的窗口", "Choose the window that served you")}</p>
            <div class="k-choices">
                {move || k.setup.get().map(|s| s.windows).unwrap_or_default().into_iter().map(|w| {
                    let code = w.code.clone();
                    view! {
                        <button type="button" class="k-choice" on:click=move |_| choose(Some(code.clone()))>
                            <span class="k-name">{w.name}</span>
                            <span class="k-code">{w.code}</span>
                        </button>
                    }
                }).collect_view()}
                <button type="button" class="k-choice k-hall-choice" on:click=move |_| choose(None)>
                    <span class="k-name">{lang.t("对大厅整体评价", "The hall as a whole")}</span>
                </button>
            </div>
        </section>
    }
}

/// Where the hall's region requires real names (004 第五条): the citizen proves
/// a phone with an SMS code before rating. Needs the network.
#[component]
pub(crate) fn VerifyScreen(k: Kiosk) -> impl IntoView {
    let lang = k.lang.get_untracked();
    let phone = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let sent = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let offline = lang.t(
        "网络不可用：实名评价需要联网接收短信验证码，请稍后再试或咨询工作人员。",
        "No network: a real-name rating needs the SMS code. Try again later or ask the staff.",
    );
    let send = move |_| {
        busy.set(true);
        let body = serde_json::json!({ "phone": phone.get_untracked() });
        leptos::task::spawn_local(async move {
            match post_json("/device/api/real-name", &body).await {
                Some((200, body)) => {
                    sent.set(true);
                    message.set(body["message"].as_str().map(str::to_string));
                }
                Some((429, body)) => {
                    sent.set(true);
                    message.set(body["message"].as_str().map(str::to_string));
                }
                Some((_, body)) => message.set(body["message"].as_str().map(str::to_string)),
                None => message.set(Some(offline.into())),
            }
            busy.set(false);
        });
    };
    let check = move |_| {
        busy.set(true);
        let body = serde_json::json!({ "phone": phone.get_untracked(), "code": code.get_untracked() });
        leptos::task::spawn_local(async move {
            match post_json("/device/api/real-name", &body).await {
                Some((200, body)) => {
                    k.proof.set(body["token"].as_str().map(str::to_string));
                    k.go(Screen::Rate);
                }
                Some((_, body)) => {
                    code.set(String::new());
                    message.set(body["message"].as_str().map(str::to_string));
                }
                None => message.set(Some(offline.into())),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="k-verify">
            <h1>{lang.t("实名评价：请验证手机号", "Real-name rating: prove your phone")}</h1>
            <p class="k-lead">{lang.t(
                "本地区实行实名评价，以便核实和回访您的意见。手机号不会告诉被评价的工作人员。",
                "This region rates under real names so your opinion can be followed up. Your phone is never shown to the staff.",
            )}</p>
            <label>
                <span>{lang.t("手机号", "Mobile number")}</span>
                <input
                    name="phone"
                    type="tel"
                    inputmode="numeric"
                    maxlength="20"
                    prop:value=move || phone.get()
                    on:input=move |ev| phone.set(event_target_value(&ev))
                />
            </label>
            <button type="button" class="k-back" disabled=move || busy.get() on:click=send>
                {move || if sent.get() { lang.t("重新获取验证码", "Send a new code") } else { lang.t("获取短信验证码", "Send me a code") }}
            </button>
            <label hidden=move || !sent.get()>
                <span>{lang.t("6 位短信验证码", "The 6-digit code from the SMS")}</span>
                <input
                    name="code"
                    inputmode="numeric"
                    maxlength="6"
                    prop:value=move || code.get()
                    on:input=move |ev| code.set(event_target_value(&ev))
                />
            </label>
            <p class="error" role="alert">{move || message.get()}</p>
            <div class="k-actions">
                <button type="button" class="k-back" on:click=move |_| k.go(Screen::Start)>{lang.t("返回", "Back")}</button>
                <button type="button" class="submit" disabled=move || busy.get() || !sent.get() on:click=check>
                    {lang.t("验证并评价", "Verify and rate")}
                </button>
            </div>
        </section>
    }
}

#[component]
pub(crate) fn RateScreen(k: Kiosk) -> impl IntoView {
    let lang = k.lang.get_untracked();
    let place = move || {
        let chosen = k.chosen.get();
        let setup = k.setup.get();
        match chosen {
            None => setup.map(|s| s.hall_name).unwrap_or_default(),
            Some(c) => setup
                .and_then(|s| s.windows.into_iter().find(|w| w.code == c))
                .map(|w| format!("{} · {}", w.name, w.code))
                .unwrap_or(c),
        }
    };
    let sending = RwSignal::new(false);
    view! {
        <section class="k-rate">
            <h1>{place}</h1>
            <fieldset>
                <legend>{lang.t("您对本次服务的评价", "Your rating of this service")}</legend>
                <LevelAndTags
                    lang=lang
                    name="level"
                    tag_name="tags"
                    tags_offered=TAGS.to_vec()
                    level=k.level
                    tags=k.tags
                    required=false
                />
                <details class="k-comment">
                    <summary>{lang.t("写意见或建议（选填）", "Write a comment (optional)")}</summary>
                    <textarea
                        name="comment"
                        maxlength="500"
                        rows="3"
                        prop:value=move || k.comment.get()
                        on:input=move |ev| k.comment.set(event_target_value(&ev))
                    ></textarea>
                </details>
            </fieldset>
            <p class="error" role="alert">{move || k.error.get()}</p>
            <div class="k-actions">
                <button type="button" class="k-back" on:click=move |_| k.go(Screen::Start)>{lang.t("返回", "Back")}</button>
                <button
                    type="button"
                    class="submit"
                    disabled=move || sending.get()
                    on:click=move |_| {
                        sending.set(true);
                        k.submit();
                        sending.set(false);
                    }
                >
                    {lang.t("提交评价", "Submit rating")}
                </button>
            </div>
        </section>
    }
}

#[component]
pub(crate) fn ThanksScreen(k: Kiosk, queued: bool) -> impl IntoView {
    let lang = k.lang.get_untracked();
    view! {
        <section class="k-thanks" data-queued=queued.then_some("true")>
            <p class="result-icon" aria-hidden="true">"✓"</p>
            <h1>{lang.t("感谢您的评价！", "Thank you for your rating!")}</h1>
            <p class="k-lead">
                {if queued {
                    lang.t(
                        "网络暂时中断，评价已保存在本机，恢复后自动提交。",
                        "The network is down: your rating is kept on this terminal and sent when it returns.",
                    )
                } else {
                    lang.t("您的评价已提交，我们会认真对待每一条意见。", "Your rating has been recorded. Every opinion is followed up.")
                }}
            </p>
            <button type="button" class="submit" on:click=move |_| k.go(Screen::Start)>{lang.t("完成", "Done")}</button>
        </section>
    }
}
