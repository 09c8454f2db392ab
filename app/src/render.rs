//! Server-side rendering of a whole document (ssr only).

use std::sync::Arc;

use hydration_context::SsrSharedContext;
use leptos::prelude::*;
use leptos::reactive::owner::Owner;

use crate::Lang;

/// Renders `body` into a complete HTML document. `islands` adds the hydration
/// script (only pages with an island need wasm); `refresh` adds a
/// `<noscript>` refresh for pages that keep themselves current.
pub fn document<V: IntoView + 'static>(
    options: &LeptosOptions,
    lang: Lang,
    title: String,
    islands: bool,
    refresh_secs: Option<u32>,
    body: impl FnOnce() -> V,
) -> String {
    let owner = Owner::new_root(Some(Arc::new(SsrSharedContext::new_islands())));
    owner.with(|| {
        let scripts = islands.then(|| view! { <HydrationScripts options=options.clone() islands=true/> });
        let refresh = refresh_secs.map(|s| {
            view! {
                <noscript>
                    <meta http-equiv="refresh" content=s.to_string()/>
                </noscript>
            }
        });
        let doc = view! {
            <!DOCTYPE html>
            <html lang=lang.html_lang()>
                <head>
                    <meta charset="utf-8"/>
                    <meta name="viewport" content="width=device-width, initial-scale=1"/>
                    <title>{title}</title>
                    <link rel="icon" href=crate::assets::url("/favicon.svg") type="image/svg+xml"/>
                    <link rel="stylesheet" href=crate::assets::url(&format!("/{}/haocha.css", options.site_pkg_dir))/>
                    {scripts}
                    {refresh}
                </head>
                <body>{body()}</body>
            </html>
        };
        doc.to_html()
    })
}

/// Renders a fragment (no document), e.g. the screen body sent over SSE.
pub fn fragment<V: IntoView + 'static>(body: impl FnOnce() -> V) -> String {
    let owner = Owner::new_root(Some(Arc::new(SsrSharedContext::new_islands())));
    owner.with(|| body().to_html())
}
