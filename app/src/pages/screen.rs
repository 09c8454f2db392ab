//! `/w/{window_code}/screen`: the citizen-facing monitor at a window.

use leptos::prelude::*;

use crate::Lang;

/// What the screen shows under the QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScreenState {
    /// No case yet, or the last one's link has expired.
    Idle,
    /// A case waits for its rating: its QR code as inline SVG.
    Rate {
        qr_svg: String,
        rating_url: String,
        item_name: String,
        staff_name: Option<String>,
        staff_number: Option<String>,
    },
    /// The last case was rated.
    Thanks,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenInfo {
    pub window_code: String,
    pub window_name: String,
    pub hall_name: String,
    pub state: ScreenState,
}

/// The part of the screen that changes; also sent as HTML over the event stream.
#[component]
pub fn ScreenBody(lang: Lang, info: ScreenInfo) -> impl IntoView {
    match info.state {
        ScreenState::Idle => view! {
            <div class="screen-idle">
                <p class="big">{lang.t("欢迎评价我们的服务", "Your rating helps us serve you better")}</p>
                <p>{lang.t("业务办结后，请扫描此处出现的二维码进行评价。", "When your business is done, scan the code that appears here.")}</p>
            </div>
        }
        .into_any(),
        ScreenState::Thanks => view! {
            <div class="screen-thanks">
                <p class="big">"✓ " {lang.t("感谢您的评价！", "Thank you for your rating!")}</p>
            </div>
        }
        .into_any(),
        ScreenState::Rate { qr_svg, rating_url, item_name, staff_name, staff_number } => view! {
            <div class="screen-rate">
                <div class="qr" inner_html=qr_svg data-url=rating_url></div>
                <p class="scan">{lang.t("扫码评价", "Scan to rate")}</p>
                <dl class="screen-facts">
                    <div>
                        <dt>{lang.t("事项", "Service")}</dt>
                        <dd class="item-name">{item_name}</dd>
                    </div>
                    <div>
                        <dt>{lang.t("窗口", "Window")}</dt>
                        <dd>{info.window_name.clone()}</dd>
                    </div>
                    {staff_name.map(|n| view! {
                        <div>
                            <dt>{lang.t("工作人员", "Staff")}</dt>
                            <dd>{n} " " {lang.t("工号 ", "No. ")} {staff_number.unwrap_or_default()}</dd>
                        </div>
                    })}
                </dl>
            </div>
        }
        .into_any(),
    }
}

/// The screen's only script: follow `/w/{code}/events` and swap in each new
/// screen body. A few hundred bytes instead of an island: a monitor at a window
/// needs no wasm, and without JavaScript the page refreshes itself (`<noscript>`).
fn live_script(code: &str) -> String {
    // The code is a window code from the database; JSON-encode it for the script.
    let code = js_string(code);
    format!(
        "(function(){{if(!window.EventSource)return;var l=document.querySelector('.live'),b=document.getElementById('screen-body');\
var s=new EventSource('/w/'+encodeURIComponent({code})+'/events');\
s.onopen=function(){{l.className='live on';l.textContent=l.dataset.on}};\
s.onerror=function(){{l.className='live'}};\
s.onmessage=function(e){{l.className='live on';l.textContent=l.dataset.on;if(b.innerHTML!==e.data)b.innerHTML=e.data}};}})();"
    )
}

/// A JavaScript string literal for `s`, safe inside a `<script>` element.
fn js_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_ascii_alphanumeric() || "-_.".contains(c) => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{:04x}", u));
                }
            }
        }
    }
    out.push('"');
    out
}

#[component]
pub fn ScreenPage(lang: Lang, info: ScreenInfo) -> impl IntoView {
    let code = info.window_code.clone();
    view! {
        <main class="screen">
            <header class="screen-head">
                <h1>{info.window_name.clone()}</h1>
                <p>{info.hall_name.clone()}</p>
            </header>
            <section id="screen-body" aria-live="polite">
                <ScreenBody lang=lang info=info/>
            </section>
            <p class="live" data-on=lang.t("● 实时更新", "● Live")>{lang.t("○ 自动刷新", "○ Auto refresh")}</p>
            <script>{live_script(&code)}</script>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::js_string;

    #[test]
    fn window_codes_become_safe_script_strings() {
        assert_eq!(js_string("W01"), "\"W01\"");
        assert_eq!(js_string("a\"</script>"), "\"a\\\"\\u003c\\u002fscript\\u003e\"");
        assert_eq!(js_string("窗"), "\"\\u7a97\"");
    }
}
