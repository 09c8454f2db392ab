//! `GET /api/docs`: the OpenAPI document rendered for people.

use app::{render, Lang};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use leptos::prelude::*;
use utoipa::OpenApi;

use crate::web::html;
use crate::AppState;

/// `GET /api/docs`: the OpenAPI document rendered for people, served from
/// this server (no CDN: halls often have no internet).
pub async fn api_docs(State(st): State<AppState>) -> Response {
    let doc = super::ApiDoc::openapi();
    let json = doc.to_pretty_json().unwrap_or_default();
    let mut ops: Vec<(String, String, String, String)> = Vec::new();
    for (path, item) in doc.paths.paths.iter() {
        let methods = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
        ];
        for (m, op) in methods {
            if let Some(op) = op {
                ops.push((
                    m.to_string(),
                    path.clone(),
                    op.summary.clone().unwrap_or_default(),
                    op.description.clone().unwrap_or_default(),
                ));
            }
        }
    }
    let page = render::document(&st.leptos, Lang::Zh, "haocha API".into(), false, None, move || {
        view! {
            <main class="page">
                <h1>"haocha 对接接口 · Integration API v1"</h1>
                <p>
                    "认证 / Auth: " <code>"Authorization: Bearer <key>"</code> " · "
                    <a href="/api/v1/openapi.json">"openapi.json"</a>
                </p>
                {ops
                    .into_iter()
                    .map(|(m, p, s, d)| {
                        view! {
                            <section class="op">
                                <h2><code>{m} " " {p}</code></h2>
                                <p><strong>{s}</strong></p>
                                <p class="muted">{d}</p>
                            </section>
                        }
                    })
                    .collect_view()}
                <h2>"OpenAPI document"</h2>
                <pre class="openapi">{json}</pre>
            </main>
        }
    });
    html(StatusCode::OK, page, None)
}
