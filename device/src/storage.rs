//! `localStorage`: kept settings, the rating queue and its persistence, and submission ids.

use app::kiosk::{parse_queue, submission_id, QueuedRating, QUEUE_KEY};

// ---------------------------------------------------------------- storage

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

pub(crate) fn load(key: &str) -> Option<String> {
    storage()?.get_item(key).ok()?
}

pub(crate) fn save(key: &str, value: &str) -> bool {
    storage().is_some_and(|s| s.set_item(key, value).is_ok())
}

pub(crate) fn now_ms() -> f64 {
    js_sys::Date::now()
}

pub(crate) fn now_rfc3339() -> String {
    js_sys::Date::new_0().to_iso_string().into()
}

/// The queue as stored; a damaged value is kept aside under its own key, never
/// dropped without trace.
pub(crate) fn load_queue() -> Vec<QueuedRating> {
    let raw = load(QUEUE_KEY);
    match parse_queue(raw.as_deref()) {
        Ok(q) => q,
        Err(_) => {
            if let Some(r) = raw {
                save(&format!("{QUEUE_KEY}.damaged.{}", now_ms() as u64), &r);
            }
            save(QUEUE_KEY, "[]");
            Vec::new()
        }
    }
}

pub(crate) fn random_id() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        // No Web Crypto: time and Math.random still make a unique enough key.
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = ((js_sys::Math::random() * 256.0) as u8) ^ ((now_ms() as u64 >> (i % 8 * 8)) as u8);
        }
    }
    submission_id(&bytes)
}
