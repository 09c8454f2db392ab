//! The kiosk (自助终端): a full-screen touch app for self-service terminals
//! and evaluators, built by Trunk as a Leptos CSR bundle and served at
//! `/device/app/`. A service worker (`sw.js`) keeps the app shell, so it starts
//! without the server; ratings wait in `localStorage` with an idempotency key
//! each until the server has acknowledged them (stored exactly once however
//! often they are resent). The level-and-tags component is `app`'s own.

mod net;
mod shell;
mod state;
mod storage;
mod views;

use shell::KioskApp;

fn main() {
    leptos::mount::mount_to_body(KioskApp);
}
