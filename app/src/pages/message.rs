//! A readable page for every outcome that is not a form: thanks, already rated,
//! expired, not found.

use leptos::prelude::*;

use crate::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Ok,
    Info,
    Problem,
}

/// `link`: an optional next step, `(href, label)` (e.g. 追加评价).
#[component]
pub fn MessagePage(
    lang: Lang,
    tone: Tone,
    title: String,
    text: String,
    path: String,
    #[prop(optional)] link: Option<(String, String)>,
) -> impl IntoView {
    let (class, icon) = match tone {
        Tone::Ok => ("result ok", "✓"),
        Tone::Info => ("result info", "i"),
        Tone::Problem => ("result problem", "!"),
    };
    view! {
        <main class="page narrow">
            <header class="top">
                <span class="brand">{lang.t("政务服务好差评", "Government service rating")}</span>
                <super::LangSwitch lang=lang path=path/>
            </header>
            <div class=class role="status">
                <p class="result-icon" aria-hidden="true">{icon}</p>
                <h1>{title}</h1>
                <p>{text}</p>
                {link.map(|(href, label)| view! { <p><a class="submit action" href=href>{label}</a></p> })}
            </div>
        </main>
    }
}

/// `/s`: where a citizen types the rating code of an SMS reminder sent
/// without a link (issue 15). A plain form: works without JavaScript.
#[component]
pub fn RatingCodePage(lang: Lang, code: String, #[prop(optional)] error: Option<String>) -> impl IntoView {
    let invalid = error.is_some();
    view! {
        <main class="page narrow">
            <header class="top">
                <span class="brand">{lang.t("政务服务好差评", "Government service rating")}</span>
                <super::LangSwitch lang=lang path="/s".to_string()/>
            </header>
            <h1>{lang.t("输入评价码", "Enter your rating code")}</h1>
            <p>{lang.t(
                "请输入短信中的 6 位评价码（不区分大小写），进入本次办事的评价页面。",
                "Type the 6-character code from the SMS (upper or lower case) to rate the service you received.",
            )}</p>
            {error.map(|e| view! { <p class="result problem" role="alert" id="code-error">{e}</p> })}
            <form method="post" action="/s" class="code-form">
                <label for="code">{lang.t("评价码", "Rating code")}</label>
                <input id="code" name="code" value=code required maxlength="12" autocomplete="one-time-code"
                    autocapitalize="characters" spellcheck="false" inputmode="text"
                    aria-invalid=invalid.then_some("true") aria-describedby=invalid.then_some("code-error")/>
                <button type="submit" class="submit">{lang.t("去评价", "Rate")}</button>
            </form>
        </main>
    }
}
