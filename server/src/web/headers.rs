//! Security headers on every response (issue 13 item 14): a Content Security
//! Policy whose only inline scripts are the ones on the page, each allowed by
//! its SHA-256 hash (Leptos' hydration script, the screen's and the
//! evaluator's live scripts, the kiosk shell's), `frame-ancestors 'none'` but
//! for the rating pages the evaluator frames, `Referrer-Policy: no-referrer`
//! (rating links carry tokens), and HSTS when the public URL is https.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::AppState;

/// The largest HTML page whose scripts are hashed (pages are far smaller).
const MAX_HTML: usize = 4 * 1024 * 1024;

/// The `'sha256-…'` source of every inline `<script>` (one without `src`) of `html`.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<script") {
        let after = &rest[at + "<script".len()..];
        let Some(tag_end) = after.find('>') else { break };
        let attrs = &after[..tag_end];
        let body = &after[tag_end + 1..];
        let Some(close) = body.find("</script") else { break };
        if !attrs.contains("src=") {
            let digest = Sha256::digest(&body.as_bytes()[..close]);
            let h = format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest));
            if !out.contains(&h) {
                out.push(h);
            }
        }
        rest = &body[close..];
    }
    out
}

/// The policy of a page whose inline scripts hash to `hashes`.
pub fn content_security_policy(hashes: &[String], framable: bool) -> String {
    let scripts = if hashes.is_empty() {
        String::new()
    } else {
        format!(" {}", hashes.join(" "))
    };
    let ancestors = if framable { "'self'" } else { "'none'" };
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{scripts}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors {ancestors}"
    )
}

/// The evaluator shows rating pages in its own frame; nothing else is framed.
fn framable(path: &str) -> bool {
    path.starts_with("/r/")
}

pub async fn security_headers(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let framable = framable(req.uri().path());
    let res = next.run(req).await;
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let (mut parts, body) = res.into_parts();
    let body = if is_html {
        match axum::body::to_bytes(body, MAX_HTML).await {
            Ok(bytes) => {
                let hashes = inline_script_hashes(&String::from_utf8_lossy(&bytes));
                if let Ok(v) = HeaderValue::from_str(&content_security_policy(&hashes, framable)) {
                    parts.headers.insert(header::CONTENT_SECURITY_POLICY, v);
                }
                Body::from(bytes)
            }
            Err(e) => {
                tracing::error!(error = %e, "page too large to hash its scripts");
                return Response::from_parts(parts, Body::empty());
            }
        }
    } else {
        // JSON and SVG run nothing, even when opened directly. (Scripts such as
        // the kiosk's service worker keep no policy: it would bind the worker.)
        let inert = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json") || v.starts_with("image/svg+xml"));
        if inert {
            parts.headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; sandbox"),
            );
        }
        body
    };
    let h = &mut parts.headers;
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static(if framable { "SAMEORIGIN" } else { "DENY" }),
    );
    if st.config.public_url.starts_with("https://") {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_inline_scripts_are_hashed() {
        let page = "<head><script type=\"module\" src=\"/pkg/a.js\"></script><script>alert(1)</script>\
                    <script nonce=\"x\">alert(1)</script></head>";
        let h = inline_script_hashes(page);
        // sha256("alert(1)"), once though it appears twice.
        assert_eq!(h, vec!["'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='".to_string()]);
        let csp = content_security_policy(&h, false);
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-") && csp.ends_with("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"));
    }
}
