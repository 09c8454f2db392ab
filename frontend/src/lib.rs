//! The browser entry: hydrates only the islands of a server-rendered page.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Importing app registers its #[island] hydration functions.
    app::register();
    leptos::mount::hydrate_islands();
}
