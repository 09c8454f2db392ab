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
