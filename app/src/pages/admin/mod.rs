//! Pages of signed-in people: sign-in, password change, the administration of
//! the organisation tree, CSV import, the audit trail and the staff console.
//! All server-rendered; every form works without JavaScript.

mod accounts;
mod audit;
mod calendar;
mod console;
mod devices;
mod exchange;
mod home;
mod import;
mod outbox;
mod phone_rating;
mod policies;
mod ratings;
mod records;
mod reports;
mod sign_in;
mod stats;
mod work_orders;

pub use accounts::*;
pub use audit::*;
pub use calendar::*;
pub use console::*;
pub use devices::*;
pub use exchange::*;
pub use home::*;
pub use import::*;
pub use outbox::*;
pub use phone_rating::*;
pub use policies::*;
pub use ratings::*;
pub use records::*;
pub use reports::*;
pub use sign_in::*;
pub use stats::*;
pub use work_orders::*;

use leptos::prelude::*;

use super::LangSwitch;
use crate::Lang;

/// The frame around every signed-in page: who is signed in, what they may open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nav {
    pub lang: Lang,
    pub name: String,
    pub job_number: String,
    pub role_label: String,
    pub csrf: String,
    /// (href, label) of the sections this role may open.
    pub links: Vec<(String, String)>,
    /// The path of this page, for the language switch and the current link.
    pub path: String,
}

/// Styles of signed-in pages (public/admin.css), linked only from them.
const ADMIN_CSS: &str = "/admin.css";

/// The hidden CSRF field every form carries.
#[component]
pub fn Csrf(token: String) -> impl IntoView {
    view! { <input type="hidden" name="_csrf" value=token/> }
}

#[component]
pub fn Shell(nav: Nav, title: String, children: Children) -> impl IntoView {
    let lang = nav.lang;
    let links = nav
        .links
        .iter()
        .map(|(href, label)| {
            // `/admin` is the start page, not a prefix of every section.
            let current = nav.path == *href || (href != "/admin" && nav.path.starts_with(&format!("{href}/")));
            view! {
                <a href=href.clone() aria-current=current.then_some("page")>{label.clone()}</a>
            }
        })
        .collect_view();
    view! {
        <link rel="stylesheet" href=crate::assets::url(ADMIN_CSS)/>
        <div class="admin">
            <header class="admin-top">
                <span class="brand">{lang.t("haocha 好差评管理", "haocha administration")}</span>
                <nav class="admin-nav" aria-label=lang.t("管理导航", "Administration")>{links}</nav>
                <div class="who">
                    <span class="who-name">{nav.name.clone()} " (" {nav.job_number.clone()} ")"</span>
                    " "
                    <span class="who-role">{nav.role_label.clone()}</span>
                    " "
                    <a href="/account/password">{lang.t("修改密码", "Change password")}</a>
                    <form method="post" action="/logout" class="inline">
                        <Csrf token=nav.csrf.clone()/>
                        <button type="submit" class="link-button">{lang.t("退出", "Sign out")}</button>
                    </form>
                    <LangSwitch lang=lang path=nav.path.clone()/>
                </div>
            </header>
            <main class="admin-main">
                <h1>{title}</h1>
                {children()}
            </main>
        </div>
    }
}

#[component]
pub fn Notice(text: Option<String>, #[prop(optional)] problem: bool) -> impl IntoView {
    text.map(|t| {
        let class = if problem { "notice problem" } else { "notice ok" };
        view! { <p class=class role=if problem { "alert" } else { "status" }>{t}</p> }
    })
}

/// Minimal percent-encoding for query values in links.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
