//! The kiosk's (自助终端) rules that do not need a browser: its offline queue
//! and what each answer of the server means for a queued rating. The browser
//! glue is the device bundle (`device/`, built by Trunk); this part is tested
//! natively with the rest of `app`.

use serde::{Deserialize, Serialize};

/// `localStorage` keys of the device bundle.
pub const QUEUE_KEY: &str = "haocha.kiosk.queue";
pub const REJECTED_KEY: &str = "haocha.kiosk.rejected";
pub const SETUP_KEY: &str = "haocha.kiosk.setup";
pub const ELDER_KEY: &str = "haocha.kiosk.elder";
pub const LANG_KEY: &str = "haocha.kiosk.lang";

/// Back to the start screen after this long without a touch.
pub const IDLE_SECONDS: u32 = 60;
/// The thank-you screen shows this long.
pub const THANKS_SECONDS: u32 = 6;
/// The queue is retried this often while anything is in it.
pub const RETRY_SECONDS: u32 = 10;

/// One rating as the kiosk keeps it until the server has acknowledged it: the
/// body of `POST /device/api/ratings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedRating {
    /// The idempotency key: the server stores a rating once per id.
    pub submission_id: String,
    pub window_code: Option<String>,
    pub level: String,
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// RFC 3339, the kiosk's clock when the citizen rated.
    pub rated_at: String,
    /// Where the region requires real names: the token of the phone the
    /// citizen proved by SMS code just before rating.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real_name_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KioskWindow {
    pub code: String,
    pub name: String,
}

/// `GET /device/api/kiosk`, kept in `localStorage` so the kiosk starts offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KioskSetup {
    pub hall_code: String,
    pub hall_name: String,
    pub window_code: String,
    pub windows: Vec<KioskWindow>,
    #[serde(default)]
    pub rated_today: u64,
    /// The hall's region requires real names: prove a phone before rating.
    #[serde(default)]
    pub real_name: bool,
}

/// What to do with a queued rating after the server answered `status`, or
/// after no answer at all (`None`: offline, timeout, connection refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Stored (201) or already stored (200): drop it from the queue.
    Stored,
    /// The server will never take it (bad request, 4xx): move it aside, keep it.
    Rejected,
    /// The terminal was revoked or not paired (401): keep it, ask for pairing.
    Unpaired,
    /// Network down, server error, busy: keep it and stop for now.
    RetryLater,
}

impl Outcome {
    pub fn of(status: Option<u16>) -> Outcome {
        match status {
            Some(200..=299) => Outcome::Stored,
            Some(401) => Outcome::Unpaired,
            // Timeouts, rate limits and conflicts may pass; the body may be fine later.
            Some(408 | 409 | 425 | 429) => Outcome::RetryLater,
            Some(400..=499) => Outcome::Rejected,
            _ => Outcome::RetryLater,
        }
    }
}

/// Reads a stored queue; a damaged value is not thrown away silently: the
/// caller keeps the raw text aside (see the device bundle).
pub fn parse_queue(raw: Option<&str>) -> Result<Vec<QueuedRating>, String> {
    match raw.map(str::trim) {
        None | Some("") => Ok(Vec::new()),
        Some(text) => serde_json::from_str(text).map_err(|e| e.to_string()),
    }
}

pub fn queue_json(q: &[QueuedRating]) -> String {
    serde_json::to_string(q).unwrap_or_else(|_| "[]".into())
}

/// A new idempotency key from 16 random bytes: 32 hex digits (the server takes
/// 16–64 letters or digits).
pub fn submission_id(random: &[u8; 16]) -> String {
    random.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: &str) -> QueuedRating {
        QueuedRating {
            submission_id: id.into(),
            window_code: Some("W01".into()),
            level: "satisfied".into(),
            tags: vec![],
            comment: None,
            rated_at: "2026-11-27T08:00:00Z".into(),
            real_name_token: None,
        }
    }

    #[test]
    fn only_an_acknowledgement_takes_a_rating_off_the_queue() {
        assert_eq!(Outcome::of(Some(201)), Outcome::Stored);
        assert_eq!(Outcome::of(Some(200)), Outcome::Stored, "a resend the server already had");
        assert_eq!(Outcome::of(None), Outcome::RetryLater, "offline");
        assert_eq!(Outcome::of(Some(500)), Outcome::RetryLater);
        assert_eq!(Outcome::of(Some(503)), Outcome::RetryLater);
        assert_eq!(Outcome::of(Some(429)), Outcome::RetryLater);
        assert_eq!(Outcome::of(Some(401)), Outcome::Unpaired);
        assert_eq!(Outcome::of(Some(422)), Outcome::Rejected);
        assert_eq!(Outcome::of(Some(400)), Outcome::Rejected);
    }

    #[test]
    fn a_queue_survives_a_round_trip_through_storage() {
        let queue = vec![q("a1b2c3d4e5f6a7b8a1b2c3d4e5f6a7b8"), q("ffffffffffffffff0000000000000000")];
        assert_eq!(parse_queue(Some(&queue_json(&queue))).unwrap(), queue);
        assert_eq!(parse_queue(None).unwrap(), vec![]);
        assert!(parse_queue(Some("{not json")).is_err(), "damage is reported, not read as empty");
    }

    #[test]
    fn submission_ids_are_what_the_server_accepts() {
        let id = submission_id(&[0xab; 16]);
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(submission_id(&[1; 16]), submission_id(&[2; 16]));
    }
}
