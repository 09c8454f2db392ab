//! The kiosk (自助终端): a full-screen touch app for self-service terminals
//! and evaluators, built by Trunk as a Leptos CSR bundle and served at
//! `/device/app/`. A service worker (`sw.js`) keeps the app shell, so it starts
//! without the server; ratings wait in `localStorage` with an idempotency key
//! each until the server has acknowledged them (stored exactly once however
//! often they are resent). The level-and-tags component is `app`'s own.

use std::time::Duration;

use app::islands::LevelAndTags;
use app::kiosk::{
    parse_queue, queue_json, submission_id, KioskSetup, Outcome, QueuedRating, ELDER_KEY, IDLE_SECONDS, LANG_KEY, QUEUE_KEY, REJECTED_KEY,
    RETRY_SECONDS, SETUP_KEY, THANKS_SECONDS,
};
use app::Lang;
use domain::{Level, TAGS};
use leptos::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Screen {
    /// Asking the server who we are.
    Loading,
    /// Not paired (or revoked): the keypad.
    Pair,
    /// Choose a window (or the hall).
    Start,
    /// Rate the chosen place.
    Rate,
    /// Thanks; `queued` when it is kept on the terminal until the network returns.
    Thanks { queued: bool },
}

// ---------------------------------------------------------------- storage

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn load(key: &str) -> Option<String> {
    storage()?.get_item(key).ok()?
}

fn save(key: &str, value: &str) -> bool {
    storage().is_some_and(|s| s.set_item(key, value).is_ok())
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn now_rfc3339() -> String {
    js_sys::Date::new_0().to_iso_string().into()
}

/// The queue as stored; a damaged value is kept aside under its own key, never
/// dropped without trace.
fn load_queue() -> Vec<QueuedRating> {
    let raw = load(QUEUE_KEY);
    match parse_queue(raw.as_deref()) {
        Ok(q) => q,
        Err(_) => {
            if let Some(r) = raw {
                save(&format!("{QUEUE_KEY}.damaged.{}", now_ms() as u64), &r);
            }
            save(QUEUE_KEY, "[]");
            Vec::new()
        }
    }
}

fn random_id() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        // No Web Crypto: time and Math.random still make a unique enough key.
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = ((js_sys::Math::random() * 256.0) as u8) ^ ((now_ms() as u64 >> (i % 8 * 8)) as u8);
        }
    }
    submission_id(&bytes)
}

// ---------------------------------------------------------------- network

async fn post_json<T: serde::Serialize>(url: &str, body: &T) -> Option<(u16, serde_json::Value)> {
    let req = gloo_net::http::Request::post(url)
        .header("Accept", "application/json")
        .json(body)
        .ok()?;
    let res = req.send().await.ok()?;
    let status = res.status();
    let json = res.json::<serde_json::Value>().await.unwrap_or_default();
    Some((status, json))
}

enum SetupReply {
    Ready(KioskSetup),
    Unpaired,
    Offline,
}

async fn fetch_setup() -> SetupReply {
    let Ok(res) = gloo_net::http::Request::get("/device/api/kiosk")
        .header("Accept", "application/json")
        .send()
        .await
    else {
        return SetupReply::Offline;
    };
    match res.status() {
        200 => match res.json::<KioskSetup>().await {
            Ok(s) => SetupReply::Ready(s),
            Err(_) => SetupReply::Offline,
        },
        401 => SetupReply::Unpaired,
        _ => SetupReply::Offline,
    }
}

// ---------------------------------------------------------------- state

#[derive(Clone, Copy)]
struct Kiosk {
    lang: RwSignal<Lang>,
    elder: RwSignal<bool>,
    screen: RwSignal<Screen>,
    setup: RwSignal<Option<KioskSetup>>,
    /// The chosen window's code, `None` for the hall.
    chosen: RwSignal<Option<String>>,
    level: RwSignal<Option<Level>>,
    tags: RwSignal<Vec<String>>,
    comment: RwSignal<String>,
    error: RwSignal<Option<String>>,
    online: RwSignal<bool>,
    pending: RwSignal<usize>,
    rejected: RwSignal<usize>,
    flushing: StoredValue<bool>,
    last_touch: StoredValue<f64>,
    screen_since: StoredValue<f64>,
}

impl Kiosk {
    fn new() -> Kiosk {
        let lang = load(LANG_KEY).as_deref().and_then(Lang::parse).unwrap_or_default();
        let cached = load(SETUP_KEY).and_then(|s| serde_json::from_str::<KioskSetup>(&s).ok());
        let rejected = parse_queue(load(REJECTED_KEY).as_deref()).map(|r| r.len()).unwrap_or(0);
        Kiosk {
            lang: RwSignal::new(lang),
            elder: RwSignal::new(load(ELDER_KEY).as_deref() == Some("1")),
            screen: RwSignal::new(if cached.is_some() { Screen::Start } else { Screen::Loading }),
            setup: RwSignal::new(cached),
            chosen: RwSignal::new(None),
            level: RwSignal::new(None),
            tags: RwSignal::new(Vec::new()),
            comment: RwSignal::new(String::new()),
            error: RwSignal::new(None),
            online: RwSignal::new(true),
            pending: RwSignal::new(load_queue().len()),
            rejected: RwSignal::new(rejected),
            flushing: StoredValue::new(false),
            last_touch: StoredValue::new(now_ms()),
            screen_since: StoredValue::new(now_ms()),
        }
    }

    fn go(self, s: Screen) {
        if matches!(s, Screen::Start) {
            self.chosen.set(None);
            self.level.set(None);
            self.tags.set(Vec::new());
            self.comment.set(String::new());
            self.error.set(None);
        }
        self.screen_since.set_value(now_ms());
        self.last_touch.set_value(now_ms());
        self.screen.set(s);
    }

    fn touched(self) {
        self.last_touch.set_value(now_ms());
    }

    /// Asks the server who this terminal is; keeps the answer for offline starts.
    async fn refresh(self) {
        match fetch_setup().await {
            SetupReply::Ready(s) => {
                save(SETUP_KEY, &serde_json::to_string(&s).unwrap_or_default());
                self.online.set(true);
                self.setup.set(Some(s));
                if matches!(self.screen.get_untracked(), Screen::Loading | Screen::Pair) {
                    self.go(Screen::Start);
                }
            }
            SetupReply::Unpaired => {
                self.online.set(true);
                self.go(Screen::Pair);
            }
            SetupReply::Offline => {
                self.online.set(false);
                if self.setup.get_untracked().is_none() {
                    self.go(Screen::Pair);
                }
            }
        }
    }

    /// Sends the queue in order until it is empty or the server cannot take more.
    async fn flush(self) {
        if self.flushing.get_value() {
            return;
        }
        self.flushing.set_value(true);
        let mut stored_any = false;
        while let Some(first) = load_queue().into_iter().next() {
            let reply = post_json("/device/api/ratings", &first).await;
            match Outcome::of(reply.as_ref().map(|r| r.0)) {
                Outcome::Stored => {
                    let rest: Vec<QueuedRating> = load_queue()
                        .into_iter()
                        .filter(|q| q.submission_id != first.submission_id)
                        .collect();
                    save(QUEUE_KEY, &queue_json(&rest));
                    self.online.set(true);
                    stored_any = true;
                }
                Outcome::Rejected => {
                    // Kept aside for an administrator, never resent, never lost.
                    let mut rejected = parse_queue(load(REJECTED_KEY).as_deref()).unwrap_or_default();
                    rejected.push(first.clone());
                    if !save(REJECTED_KEY, &queue_json(&rejected)) {
                        break;
                    }
                    let rest: Vec<QueuedRating> = load_queue()
                        .into_iter()
                        .filter(|q| q.submission_id != first.submission_id)
                        .collect();
                    save(QUEUE_KEY, &queue_json(&rest));
                    self.rejected.set(rejected.len());
                }
                Outcome::Unpaired => {
                    self.online.set(true);
                    if !matches!(self.screen.get_untracked(), Screen::Rate) {
                        self.go(Screen::Pair);
                    }
                    break;
                }
                Outcome::RetryLater => {
                    self.online.set(reply.is_some());
                    break;
                }
            }
        }
        self.pending.set(load_queue().len());
        self.flushing.set_value(false);
        if stored_any {
            self.refresh().await;
        }
    }

    /// Keeps the rating on the terminal first, then tries to send it.
    fn submit(self) {
        let lang = self.lang.get_untracked();
        let level = self.level.get_untracked();
        let tags = self.tags.get_untracked();
        let msg = match level {
            None => Some(lang.t("请选择一项评价。", "Please choose a rating.")),
            Some(l) if l.is_bad() && tags.is_empty() => Some(lang.t("差评请至少选择一项原因。", "A bad rating needs at least one reason.")),
            _ => None,
        };
        if let Some(m) = msg {
            self.error.set(Some(m.to_string()));
            return;
        }
        let Some(level) = level else { return };
        let comment = self.comment.get_untracked().trim().to_string();
        if comment.chars().count() > 500 {
            self.error
                .set(Some(lang.t("意见最多 500 字。", "Comments are 500 characters at most.").into()));
            return;
        }
        let item = QueuedRating {
            submission_id: random_id(),
            window_code: self.chosen.get_untracked(),
            level: level.code().to_string(),
            tags,
            comment: Some(comment).filter(|c| !c.is_empty()),
            rated_at: now_rfc3339(),
        };
        let mut queue = load_queue();
        queue.push(item.clone());
        if !save(QUEUE_KEY, &queue_json(&queue)) {
            self.error.set(Some(
                lang.t(
                    "本机存储已满，评价未能保存，请联系工作人员。",
                    "The terminal's storage is full: the rating was not kept. Please tell the staff.",
                )
                .into(),
            ));
            return;
        }
        self.pending.set(queue.len());
        leptos::task::spawn_local(async move {
            self.flush().await;
            let queued = load_queue().iter().any(|q| q.submission_id == item.submission_id);
            self.go(Screen::Thanks { queued });
        });
    }
}

// ---------------------------------------------------------------- views

#[component]
fn Header(k: Kiosk) -> impl IntoView {
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
fn PairScreen(k: Kiosk) -> impl IntoView {
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
fn StartScreen(k: Kiosk) -> impl IntoView {
    let lang = k.lang.get_untracked();
    let choose = move |code: Option<String>| {
        k.chosen.set(code);
        k.go(Screen::Rate);
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

#[component]
fn RateScreen(k: Kiosk) -> impl IntoView {
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
fn ThanksScreen(k: Kiosk, queued: bool) -> impl IntoView {
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

#[component]
fn KioskApp() -> impl IntoView {
    let k = Kiosk::new();

    // Start: who are we, and send what waited while the terminal was off.
    leptos::task::spawn_local(async move {
        k.refresh().await;
        k.flush().await;
    });
    // The network returns: send at once; and retry every few seconds anyway
    // (the browser's online event is not reliable on every kiosk).
    let on_online = window_event_listener(leptos::ev::online, move |_| {
        k.online.set(true);
        leptos::task::spawn_local(k.flush());
    });
    let on_offline = window_event_listener(leptos::ev::offline, move |_| k.online.set(false));
    let retry = set_interval_with_handle(
        move || {
            if k.pending.get_untracked() > 0 || !k.online.get_untracked() {
                leptos::task::spawn_local(async move {
                    k.flush().await;
                    if k.pending.get_untracked() == 0 && !k.online.get_untracked() {
                        k.refresh().await;
                    }
                });
            }
        },
        Duration::from_secs(RETRY_SECONDS.into()),
    )
    .ok();
    // Idle reset: back to the start screen after a minute without a touch, and
    // from the thank-you screen after a few seconds. Never while someone touches it.
    let idle = set_interval_with_handle(
        move || {
            let now = now_ms();
            match k.screen.get_untracked() {
                Screen::Rate if now - k.last_touch.get_value() > f64::from(IDLE_SECONDS) * 1000.0 => k.go(Screen::Start),
                Screen::Thanks { .. }
                    if now - k.screen_since.get_value() > f64::from(THANKS_SECONDS) * 1000.0 && now - k.last_touch.get_value() > 3000.0 =>
                {
                    k.go(Screen::Start)
                }
                _ => {}
            }
        },
        Duration::from_secs(1),
    )
    .ok();
    on_cleanup(move || {
        on_online.remove();
        on_offline.remove();
        if let Some(h) = retry {
            h.clear();
        }
        if let Some(h) = idle {
            h.clear();
        }
    });
    // The document's language follows the switch.
    Effect::new(move |_| {
        let l = k.lang.get();
        if let Some(html) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
            let _ = html.set_attribute("lang", l.html_lang());
        }
    });

    view! {
        <div
            class="kiosk"
            class:elder=move || k.elder.get()
            on:pointerdown=move |_| k.touched()
            on:keydown=move |_| k.touched()
            on:input=move |_| k.touched()
        >
            <Header k=k/>
            <main class="k-main" data-screen=move || match k.screen.get() {
                Screen::Loading => "loading",
                Screen::Pair => "pair",
                Screen::Start => "start",
                Screen::Rate => "rate",
                Screen::Thanks { .. } => "thanks",
            }>
                {move || {
                    // Rebuilt when the screen or the language changes.
                    let _ = k.lang.get();
                    match k.screen.get() {
                        Screen::Loading => view! { <p class="k-lead">"…"</p> }.into_any(),
                        Screen::Pair => view! { <PairScreen k=k/> }.into_any(),
                        Screen::Start => view! { <StartScreen k=k/> }.into_any(),
                        Screen::Rate => view! { <RateScreen k=k/> }.into_any(),
                        Screen::Thanks { queued } => view! { <ThanksScreen k=k queued=queued/> }.into_any(),
                    }
                }}
            </main>
            <footer class="k-foot">
                {move || {
                    let l = k.lang.get();
                    let today = k.setup.get().map(|s| s.rated_today).unwrap_or(0);
                    let mut s = format!("{} {today} {}", l.t("本机今日已评价", "Ratings from this terminal today:"), l.t("条", ""));
                    let r = k.rejected.get();
                    if r > 0 {
                        s.push_str(&format!(" · {} {r}", l.t("未被接受、已留存待核查：", "refused by the server, kept for review:")));
                    }
                    s
                }}
            </footer>
        </div>
    }
}

fn main() {
    leptos::mount::mount_to_body(KioskApp);
}
