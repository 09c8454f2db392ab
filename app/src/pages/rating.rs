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

/// `/q/1/w/{code}` and `/q/1/h/{code}`: rating a window or hall from its static
/// code, without a case. The same form; the legend names the place.
#[component]
pub fn PlaceRatingPage(lang: Lang, hall_name: String, window_name: Option<String>, init: FormInit) -> impl IntoView {
    let path = init.action.clone();
    view! {
        <main class="page narrow">
            <header class="top">
                <span class="brand">{lang.t("政务服务好差评", "Government service rating")}</span>
                <LangSwitch lang=lang path=path/>
            </header>
            <h1>{lang.t("请对窗口服务进行评价", "Please rate the service at this window")}</h1>
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
