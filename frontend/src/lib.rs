//! The browser entry: hydrates only the islands of a server-rendered page.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // No console_error_panic_hook: release wasm aborts on panic anyway, and the
    // hook's formatting machinery costs ≈ 5 KB brotli on the rating page.
    // Importing app registers its #[island] hydration functions.
    app::register();
    leptos::mount::hydrate_islands();
}
