//! `/`: what haocha is, and the ways in for a person trying it.

use leptos::prelude::*;

use super::LangSwitch;
use crate::Lang;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowLink {
    pub code: String,
    pub name: String,
    pub hall: String,
}

#[component]
pub fn HomePage(lang: Lang, windows: Vec<WindowLink>) -> impl IntoView {
    let empty = windows.is_empty();
    view! {
        <main class="page">
            <header class="top">
                <span class="brand">{lang.t("haocha 政务服务好差评", "haocha government service rating")}</span>
                <LangSwitch lang=lang path="/".to_string()/>
            </header>
            <h1>{lang.t("窗口评价屏", "Window screens")}</h1>
            <p>
                {lang.t(
                    "每个窗口的评价屏显示最近办结业务的二维码，群众扫码即可评价。",
                    "Each window's screen shows the QR code of its most recent completed case; citizens scan it to rate.",
                )}
            </p>
            {empty.then(|| view! {
                <p class="hint">{lang.t("还没有窗口：运行 `haocha demo` 载入演示数据。", "No windows yet: run `haocha demo` to load demo data.")}</p>
            })}
            <ul class="windows">
                {windows
                    .into_iter()
                    .map(|w| {
                        view! {
                            <li>
                                <a href=format!("/w/{}/screen", w.code)>{w.name}</a>
                                " "
                                <span class="muted">{w.code} " · " {w.hall}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <h2>{lang.t("工作人员", "Staff")}</h2>
            <p>
                <a href="/login">{lang.t("工作人员登录（管理后台、窗口工作台）", "Staff sign-in (administration, window console)")}</a>
            </p>
            <h2>{lang.t("接口", "Integration API")}</h2>
            <p>
                <a href="/api/docs">{lang.t("接口文档 /api/docs", "API documentation /api/docs")}</a>
                " · "
                <a href="/api/v1/openapi.json">"OpenAPI"</a>
            </p>
        </main>
    }
}
