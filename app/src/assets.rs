//! Content-hashed asset names (issue 16): the server hashes the site's static
//! files when it starts (`server::assets`) and tells the pages here which name
//! each file goes by, e.g. `/admin.css` → `/admin.3f2a…c1.css`. A hashed name
//! is cached for a year (`immutable`); a new build has new names, so a browser
//! never keeps a stale stylesheet or script. Without a table (the browser's
//! islands, a unit test) a path stays as it is.

use std::collections::HashMap;
use std::sync::OnceLock;

static NAMES: OnceLock<HashMap<String, String>> = OnceLock::new();

/// Sets the table of names, once per process (the site is fixed while it runs).
pub fn set(names: HashMap<String, String>) {
    let _ = NAMES.set(names);
}

/// The name the file at `path` goes by: its hashed name, or `path` itself.
pub fn url(path: &str) -> String {
    NAMES
        .get()
        .and_then(|names| names.get(path))
        .cloned()
        .unwrap_or_else(|| path.to_string())
}
