//! haocha's pages and islands.
//!
//! Pages are rendered on the server to complete HTML that works with JavaScript
//! off. Only the `#[island]` components ship to the browser as wasm (Leptos
//! islands), which keeps the rating page small on cheap phones.

pub mod assets;
pub mod i18n;
pub mod islands;
pub mod kiosk;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod render;
pub mod text;

pub use i18n::Lang;

/// Called by the wasm entry so that the islands of this crate are linked in.
pub fn register() {
    islands::linked();
}
