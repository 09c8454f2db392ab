//! The administration start page: the sections a role may open.

use leptos::prelude::*;

use super::{Nav, Shell};

/// One section on the administration start page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub href: String,
    pub label: String,
    pub text: String,
}

#[component]
pub fn AdminHome(nav: Nav, scope_text: String, sections: Vec<Section>) -> impl IntoView {
    let lang = nav.lang;
    view! {
        <Shell nav=nav title=lang.t("管理首页", "Administration").to_string()>
            <p class="scope">{scope_text}</p>
            <ul class="sections">
                {sections
                    .into_iter()
                    .map(|s| view! { <li><a href=s.href>{s.label}</a> " " <span class="muted">{s.text}</span></li> })
                    .collect_view()}
            </ul>
        </Shell>
    }
}
