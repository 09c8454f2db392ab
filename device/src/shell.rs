//! The root component: start-up, network and idle timers, and the screen switch.

use std::time::Duration;

use app::kiosk::{IDLE_SECONDS, RETRY_SECONDS, THANKS_SECONDS};
use leptos::prelude::*;

use crate::state::{Kiosk, Screen};
use crate::storage::now_ms;
use crate::views::{Header, PairScreen, RateScreen, StartScreen, ThanksScreen, VerifyScreen};

#[component]
pub(crate) fn KioskApp() -> impl IntoView {
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
                Screen::Rate | Screen::Verify if now - k.last_touch.get_value() > f64::from(IDLE_SECONDS) * 1000.0 => k.go(Screen::Start),
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
                Screen::Verify => "verify",
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
                        Screen::Verify => view! { <VerifyScreen k=k/> }.into_any(),
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
