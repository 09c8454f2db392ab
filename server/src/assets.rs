//! Content-hashed names for the site's static files (issue 16), computed when
//! the server starts from the files as built: `/admin.css` is also served as
//! `/admin.<hash>.css`, `/pkg/haocha.js` and `/pkg/haocha.wasm` as
//! `/pkg/haocha.<hash>.js|wasm` (one hash for the pair: Leptos' hydration
//! script names both after one `output_name`). Pages link the hashed names
//! (`app::assets`), sent with `Cache-Control: public, max-age=31536000,
//! immutable`; the plain names still answer, revalidated (`no-cache`), for
//! anything that links them directly. The files themselves stay as the build
//! wrote them (with their precompressed `.br`/`.gz`), so a read-only site
//! directory works, and a new build is new names without a cleanup step.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};

/// The header of a hashed name: its content never changes.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

#[derive(Debug, Default)]
pub struct Assets {
    /// `/admin.<hash>.css` → `/admin.css`.
    real: HashMap<String, String>,
    /// `/admin.css` → `/admin.<hash>.css`.
    hashed: HashMap<String, String>,
    /// `haocha.<hash>` when the wasm bundle is there (Leptos' `output_name`).
    pub output_name: Option<String>,
}

fn hex(digest: &[u8]) -> String {
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// `name.ext` → `name.<hash>.ext`.
fn with_hash(path: &str, hash: &str) -> String {
    match path.rsplit_once('.') {
        Some((stem, ext)) if !stem.ends_with('/') => format!("{stem}.{hash}.{ext}"),
        _ => format!("{path}.{hash}"),
    }
}

/// Files worth a hashed name: what pages link (not pages, not the
/// precompressed copies, not TypeScript declarations).
fn hashable(name: &str) -> bool {
    [".css", ".js", ".wasm", ".svg", ".png", ".ico", ".woff2"]
        .iter()
        .any(|e| name.ends_with(e))
}

impl Assets {
    /// Hashes the files at the top of `site_root` and in its `pkg/`.
    pub fn scan(site_root: &Path) -> Assets {
        let mut a = Assets::default();
        for (dir, prefix) in [(site_root.to_path_buf(), "/"), (site_root.join("pkg"), "/pkg/")] {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if !hashable(&name) || !e.file_type().is_ok_and(|t| t.is_file()) {
                    continue;
                }
                if prefix == "/pkg/" && (name == "haocha.js" || name == "haocha.wasm") {
                    continue; // the pair, below
                }
                let Ok(bytes) = std::fs::read(e.path()) else { continue };
                a.add(format!("{prefix}{name}"), &hex(&Sha256::digest(&bytes)));
            }
        }
        let pkg = site_root.join("pkg");
        if let (Ok(js), Ok(wasm)) = (std::fs::read(pkg.join("haocha.js")), std::fs::read(pkg.join("haocha.wasm"))) {
            let mut h = Sha256::new();
            h.update((js.len() as u64).to_le_bytes());
            h.update(&js);
            h.update(&wasm);
            let hash = hex(&h.finalize());
            a.add("/pkg/haocha.js".into(), &hash);
            a.add("/pkg/haocha.wasm".into(), &hash);
            a.output_name = Some(format!("haocha.{hash}"));
        }
        a
    }

    fn add(&mut self, path: String, hash: &str) {
        let hashed = with_hash(&path, hash);
        self.real.insert(hashed.clone(), path.clone());
        self.hashed.insert(path, hashed);
    }

    /// Real path → hashed path, for the pages (`app::assets::set`).
    pub fn names(&self) -> HashMap<String, String> {
        self.hashed.clone()
    }

    /// The file a hashed path names.
    pub fn real(&self, path: &str) -> Option<&str> {
        self.real.get(path).map(String::as_str)
    }
}

/// In front of the site's files: a hashed name is served from its file and
/// cached for a year; any other file is revalidated on use.
pub async fn serve(State(assets): State<Arc<Assets>>, mut req: Request, next: Next) -> Response {
    let real = assets.real(req.uri().path()).map(str::to_string);
    if let Some(real) = &real {
        let mut parts = req.uri().clone().into_parts();
        parts.path_and_query = real.parse().ok();
        if let Ok(uri) = Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
    let mut res = next.run(req).await;
    let ok = res.status() == StatusCode::OK || res.status() == StatusCode::NOT_MODIFIED;
    if ok && !res.headers().contains_key(header::CACHE_CONTROL) {
        let value = if real.is_some() { IMMUTABLE } else { "no-cache" };
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    res
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_content_hash_and_change_with_it() {
        let dir = std::env::temp_dir().join(format!("haocha-assets-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        std::fs::write(dir.join("admin.css"), "a{}").unwrap();
        std::fs::write(dir.join("admin.css.br"), "x").unwrap();
        std::fs::write(dir.join("pkg/haocha.js"), "js").unwrap();
        std::fs::write(dir.join("pkg/haocha.wasm"), "wasm").unwrap();
        std::fs::write(dir.join("pkg/haocha.css"), "b{}").unwrap();
        let a = Assets::scan(&dir);
        let css = a.names()["/admin.css"].clone();
        assert!(
            css.starts_with("/admin.") && css.ends_with(".css") && css.len() == "/admin..css".len() + 16,
            "{css}"
        );
        assert_eq!(a.real(&css), Some("/admin.css"));
        assert!(
            !a.names().contains_key("/admin.css.br"),
            "precompressed copies have no name of their own"
        );
        let name = a.output_name.clone().unwrap();
        assert_eq!(a.names()["/pkg/haocha.js"], format!("/pkg/{name}.js"));
        assert_eq!(a.names()["/pkg/haocha.wasm"], format!("/pkg/{name}.wasm"));
        assert_eq!(a.real("/admin.css"), None);

        std::fs::write(dir.join("pkg/haocha.wasm"), "wasm2").unwrap();
        let b = Assets::scan(&dir);
        assert_ne!(b.output_name.clone().unwrap(), name, "a new build, a new name");
        assert_eq!(b.names()["/admin.css"], css, "an unchanged file keeps its name");
        std::fs::remove_dir_all(&dir).ok();
    }
}
