//! Server-rendered pages, one per file. They take plain data; the server maps
//! store results into these structs.

pub mod admin;
pub mod device;
pub mod home;
pub mod message;
pub mod open;
pub mod print;
pub mod rating;
pub mod screen;

use leptos::prelude::*;

use crate::Lang;

/// The case as a rater sees it: no applicant data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseInfo {
    pub item_name: String,
    pub window_name: String,
    pub hall_name: String,
    pub staff_name: Option<String>,
    pub staff_number: Option<String>,
    pub transactions: i32,
    /// The other items of its 一件事 bundle: (item name, its own rating link
    /// when it has one, rated).
    pub bundle: Vec<(String, Option<String>, bool)>,
}

/// The visible language switch: the same page in the other language.
#[component]
pub fn LangSwitch(lang: Lang, path: String) -> impl IntoView {
    let other = lang.other();
    let label = match other {
        Lang::Zh => "中文",
        Lang::En => "English",
    };
    view! {
        <a class="lang-switch" href=format!("{path}?lang={}", other.code()) hreflang=other.html_lang()>
            {label}
        </a>
    }
}

#[component]
pub fn CaseCard(lang: Lang, case: CaseInfo) -> impl IntoView {
    let staff = case.staff_name.clone().map(|name| {
        let number = case.staff_number.clone().unwrap_or_default();
        view! {
            <div>
                <dt>{lang.t("工作人员", "Staff")}</dt>
                <dd>{name} " " <span class="job-number">{lang.t("工号 ", "No. ")} {number}</span></dd>
            </div>
        }
    });
    let batch = (case.transactions > 1).then(|| {
        view! {
            <p class="batch">
                {match lang {
                    Lang::Zh => format!("本次评价适用于您办理的全部 {} 笔业务。", case.transactions),
                    Lang::En => format!("This rating covers all {} transactions of your visit.", case.transactions),
                }}
            </p>
        }
    });
    let bundle = (!case.bundle.is_empty()).then(|| {
        view! {
            <div class="bundle">
                <p>{lang.t(
                    "本次为“一件事”联办服务，还包括以下事项。可整体评价（适用于全部事项），也可分别评价：",
                    "This is a bundled service (一件事) that also includes the items below. Rate it as a whole (covering every item), or each item separately:",
                )}</p>
                <ul>
                    {case.bundle.into_iter().map(|(name, href, rated)| view! {
                        <li>
                            {name} " "
                            {match (rated, href) {
                                (true, _) => view! { <span class="muted">{lang.t("（已评价）", "(rated)")}</span> }.into_any(),
                                (false, Some(href)) => view! { <a href=href>{lang.t("单独评价", "Rate separately")}</a> }.into_any(),
                                (false, None) => ().into_any(),
                            }}
                        </li>
                    }).collect_view()}
                </ul>
            </div>
        }
    });
    view! {
        <dl class="case">
            <div>
                <dt>{lang.t("办理事项", "Service")}</dt>
                <dd class="item-name">{case.item_name}</dd>
            </div>
            <div>
                <dt>{lang.t("窗口", "Window")}</dt>
                <dd>{case.window_name} " · " {case.hall_name}</dd>
            </div>
            {staff}
        </dl>
        {batch}
        {bundle}
    }
}
