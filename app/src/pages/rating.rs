//! `/r/{token}`: the citizen's rating page, complete before any wasm arrives.

use leptos::prelude::*;

use super::{CaseCard, CaseInfo, LangSwitch};
use crate::islands::{FormInit, RatingForm};
use crate::Lang;

#[component]
pub fn RatingPage(lang: Lang, case: CaseInfo, init: FormInit) -> impl IntoView {
    let path = init.action.clone();
    view! {
        <main class="page narrow">
            <header class="top">
                <span class="brand">{lang.t("政务服务好差评", "Government service rating")}</span>
                <LangSwitch lang=lang path=path/>
            </header>
            <h1>{lang.t("请对本次服务进行评价", "Please rate the service you received")}</h1>
            <CaseCard lang=lang case=case/>
            <RatingForm init=init/>
            <p class="privacy">
                {lang.t(
                    "评价自愿、免费。工作人员看不到您的评价内容，您的联系方式不会公开。",
                    "Rating is voluntary and free. Staff cannot see what you chose, and your contact details are never published.",
                )}
            </p>
        </main>
    }
}

/// The window (if any) and hall a static code rates.
#[component]
fn PlaceCard(lang: Lang, hall_name: String, window_name: Option<String>) -> impl IntoView {
    view! {
        <dl class="case">
            {window_name.map(|w| view! {
                <div>
                    <dt>{lang.t("窗口", "Window")}</dt>
                    <dd class="item-name">{w}</dd>
                </div>
            })}
            <div>
                <dt>{lang.t("大厅", "Hall")}</dt>
                <dd>{hall_name}</dd>
            </div>
        </dl>
    }
}

/// `/q/1/w/{code}` and `/q/1/h/{code}`: rating a window or hall from its static
/// code, without a case. The same form; the legend names the place.
#[component]
pub fn PlaceRatingPage(
    lang: Lang,
    hall_name: String,
    window_name: Option<String>,
    init: FormInit,
    /// Where the region rates under real names: the proven phone, masked.
    #[prop(default = None)]
    proven: Option<String>,
) -> impl IntoView {
    let path = init.action.clone();
    view! {
        <main class="page narrow">
            <header class="top">
                <span class="brand">{lang.t("政务服务好差评", "Government service rating")}</span>
                <LangSwitch lang=lang path=path/>
            </header>
            <h1>{lang.t("请对窗口服务进行评价", "Please rate the service at this window")}</h1>
            <PlaceCard lang=lang hall_name=hall_name window_name=window_name/>
            {proven.map(|p| view! {
                <p class="notice ok" role="status">{lang.t("实名评价，已验证手机号：", "Rating under your real name; phone proven: ")}{p}</p>
            })}
            <RatingForm init=init/>
            <p class="privacy">
                {lang.t(
                    "评价自愿、免费。工作人员看不到您的评价内容。",
                    "Rating is voluntary and free. Staff cannot see what you chose.",
                )}
            </p>
        </main>
    }
}

/// What the real-name step shows.
#[derive(Debug, Clone, Default)]
pub struct RealNameStep {
    /// The static code's path; the forms post to `{path}/verify`.
    pub path: String,
    pub phone: String,
    /// A code was sent: ask for it.
    pub sent: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// A static code where the region requires real names (004 第五条): the rater
/// proves a phone with an SMS code before rating. Plain forms: works without
/// JavaScript.
#[component]
pub fn RealNamePage(lang: Lang, hall_name: String, window_name: Option<String>, step: RealNameStep) -> impl IntoView {
    let action = format!("{}/verify?lang={}", step.path, lang.code());
    let path = step.path.clone();
    view! {
        <main class="page narrow">
            <header class="top">
                <span class="brand">{lang.t("政务服务好差评", "Government service rating")}</span>
                <LangSwitch lang=lang path=path/>
            </header>
            <h1>{lang.t("实名评价：请先验证手机号", "Real-name rating: prove your phone first")}</h1>
            <PlaceCard lang=lang hall_name=hall_name window_name=window_name/>
            <p>{lang.t(
                "本地区实行“好差评”实名制，以便核实和回访您的意见。您的手机号只用于核实和回访，不会告诉被评价的工作人员。",
                "This region rates under real names so that your opinion can be checked and followed up. Your phone is used only for that and never shown to the staff you rate.",
            )}</p>
            {step.notice.map(|n| view! { <p class="notice ok" role="status">{n}</p> })}
            {step.error.map(|e| view! { <p class="notice problem" role="alert">{e}</p> })}
            <form method="post" action=action.clone() class="real-name">
                <input type="hidden" name="action" value="send"/>
                <label>
                    <span>{lang.t("手机号", "Mobile number")}</span>
                    <input name="phone" type="tel" inputmode="numeric" autocomplete="tel" maxlength="20" required value=step.phone.clone()/>
                </label>
                <button type="submit">{if step.sent { lang.t("重新获取验证码", "Send a new code") } else { lang.t("获取短信验证码", "Send me a code") }}</button>
            </form>
            {step.sent.then(|| view! {
                <form method="post" action=action class="real-name">
                    <input type="hidden" name="action" value="check"/>
                    <input type="hidden" name="phone" value=step.phone/>
                    <label>
                        <span>{lang.t("6 位短信验证码", "The 6-digit code from the SMS")}</span>
                        <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required/>
                    </label>
                    <button type="submit" class="submit">{lang.t("验证并评价", "Verify and rate")}</button>
                </form>
            })}
        </main>
    }
}
