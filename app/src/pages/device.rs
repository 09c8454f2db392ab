//! `/device`: the window evaluator (评价器) facing the citizen. Server-rendered;
//! a short inline script follows `/device/events` and swaps the body. The
//! rating itself is the ordinary rating page, shown in a frame, so the evaluator
//! and the phone share one form and one set of rules.

use leptos::prelude::*;

use crate::Lang;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceView {
    Idle,
    Invited {
        rating_path: String,
        item_name: String,
        /// Inline SVG of the case's phone link, for "rate later on my phone".
        phone_qr: Option<String>,
    },
    Thanks,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfoView {
    pub window_code: String,
    pub window_name: String,
    pub hall_name: String,
    pub staff_name: Option<String>,
    pub staff_number: Option<String>,
    pub staff_photo: Option<String>,
    pub view: DeviceView,
}

/// The part that changes; also sent as HTML over the event stream.
#[component]
pub fn DeviceBody(lang: Lang, info: DeviceInfoView) -> impl IntoView {
    match info.view {
        DeviceView::Idle => view! {
            <div class="device-idle" data-state="idle">
                {info.staff_photo.map(|src| view! { <img class="device-photo" src=src alt=lang.t("工作人员照片", "Staff photo")/> })}
                {info.staff_name.map(|n| view! {
                    <p class="device-staff">{n} " · " {lang.t("工号 ", "No. ")} {info.staff_number.unwrap_or_default()}</p>
                })}
                <p class="device-window">{info.window_name} " · " {info.window_code}</p>
                <p class="device-hint">{lang.t("业务办结后，请在此屏幕上评价我们的服务。", "When your business is done, please rate our service on this screen.")}</p>
            </div>
        }
        .into_any(),
        DeviceView::Thanks => view! {
            <div class="device-thanks" data-state="thanks">
                <p class="big">"✓ " {lang.t("感谢您的评价！", "Thank you for your rating!")}</p>
            </div>
        }
        .into_any(),
        DeviceView::Invited { rating_path, item_name, phone_qr } => view! {
            <div class="device-invite" data-state="invite">
                <p class="device-item">{lang.t("办理事项：", "Service: ")} {item_name}</p>
                {phone_qr.map(|svg| view! {
                    <details class="later">
                        <summary>{lang.t("稍后在手机上评价", "Rate later on my phone")}</summary>
                        <div class="qr" inner_html=svg></div>
                        <p>{lang.t("用手机扫描二维码，随时评价。", "Scan this code with your phone and rate when you like.")}</p>
                    </details>
                })}
                <iframe class="device-frame" src=rating_path title=lang.t("服务评价", "Rate the service")></iframe>
            </div>
        }
        .into_any(),
    }
}

/// Follows the event stream; gives up an invitation after 90 s without a touch
/// (never while someone is using the screen) by asking the server to dismiss it.
const SCRIPT: &str = "(function(){if(!window.EventSource)return;var b=document.getElementById('device-body'),t=null;\
function dismiss(){fetch('/device/dismiss',{method:'POST'})}\
function arm(){clearTimeout(t);if(b.querySelector('iframe'))t=setTimeout(dismiss,90000)}\
function watch(){arm();var f=b.querySelector('iframe');if(!f)return;f.addEventListener('load',function(){try{var d=f.contentWindow.document;\
['pointerdown','keydown','input','touchstart'].forEach(function(e){d.addEventListener(e,arm,true)})}catch(_){}})}\
['pointerdown','keydown','touchstart'].forEach(function(e){document.addEventListener(e,arm,true)});\
var s=new EventSource('/device/events');s.onmessage=function(e){b.innerHTML=e.data;watch()};watch();})();";

#[component]
pub fn DevicePage(lang: Lang, info: DeviceInfoView) -> impl IntoView {
    view! {
        <link rel="stylesheet" href=crate::assets::url("/device.css")/>
        <main class="device">
            <header class="device-head">
                <span>{info.hall_name.clone()}</span>
                <span>{lang.t("政务服务“好差评”", "Government service rating")}</span>
            </header>
            <section id="device-body" aria-live="polite">
                <DeviceBody lang=lang info=info/>
            </section>
            <script>{SCRIPT}</script>
        </main>
    }
}

#[component]
pub fn PairPage(lang: Lang, #[prop(optional)] screen: bool, error: Option<String>) -> impl IntoView {
    let title = if screen {
        lang.t("窗口屏配对", "Pair this window screen")
    } else {
        lang.t("评价器配对", "Pair this evaluator")
    };
    view! {
        <link rel="stylesheet" href=crate::assets::url("/device.css")/>
        <main class="page narrow">
            <h1>{title}</h1>
            {screen.then(|| view! {
                <p>{lang.t(
                    "窗口屏显示当前办件的评价二维码，须先与窗口配对，未配对的屏幕不显示任何评价链接。",
                    "A window screen shows the current case's rating code, so it must be paired with its window first; an unpaired screen shows no rating link.",
                )}</p>
            })}
            <p>{lang.t(
                "请管理员在“窗口 → 评价器”中生成配对码，并在此输入（8 位数字，10 分钟内有效）。",
                "An administrator shows a pairing code under Window → Evaluators; enter it here (8 digits, valid 10 minutes).",
            )}</p>
            {error.map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <form method="post" action="/device/pair" class="pair-form">
                {screen.then(|| view! { <input type="hidden" name="for" value="screen"/> })}
                <label>
                    <span>{lang.t("配对码", "Pairing code")}</span>
                    <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{8}" maxlength="8" required autofocus/>
                </label>
                <button type="submit" class="submit">{lang.t("配对", "Pair")}</button>
            </form>
        </main>
    }
}
