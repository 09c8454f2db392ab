//! The network: JSON requests, the setup query, and sending the queue.

use app::kiosk::{parse_queue, queue_json, KioskSetup, Outcome, QueuedRating, QUEUE_KEY, REJECTED_KEY};
use leptos::prelude::*;

use crate::state::{Kiosk, Screen};
use crate::storage::{load, load_queue, save};

// ---------------------------------------------------------------- network

pub(crate) async fn post_json<T: serde::Serialize>(url: &str, body: &T) -> Option<(u16, serde_json::Value)> {
    let req = gloo_net::http::Request::post(url)
        .header("Accept", "application/json")
        .json(body)
        .ok()?;
    let res = req.send().await.ok()?;
    let status = res.status();
    let json = res.json::<serde_json::Value>().await.unwrap_or_default();
    Some((status, json))
}

pub(crate) enum SetupReply {
    Ready(KioskSetup),
    Unpaired,
    Offline,
}

pub(crate) async fn fetch_setup() -> SetupReply {
    let Ok(res) = gloo_net::http::Request::get("/device/api/kiosk")
        .header("Accept", "application/json")
        .send()
        .await
    else {
        return SetupReply::Offline;
    };
    match res.status() {
        200 => match res.json::<KioskSetup>().await {
            Ok(s) => SetupReply::Ready(s),
            Err(_) => SetupReply::Offline,
        },
        401 => SetupReply::Unpaired,
        _ => SetupReply::Offline,
    }
}

impl Kiosk {
    /// Sends the queue in order until it is empty or the server cannot take more.
    pub(crate) async fn flush(self) {
        if self.flushing.get_value() {
            return;
        }
        self.flushing.set_value(true);
        let mut stored_any = false;
        while let Some(first) = load_queue().into_iter().next() {
            let reply = post_json("/device/api/ratings", &first).await;
            match Outcome::of(reply.as_ref().map(|r| r.0)) {
                Outcome::Stored => {
                    let rest: Vec<QueuedRating> = load_queue()
                        .into_iter()
                        .filter(|q| q.submission_id != first.submission_id)
                        .collect();
                    save(QUEUE_KEY, &queue_json(&rest));
                    self.online.set(true);
                    stored_any = true;
                }
                Outcome::Rejected => {
                    // Kept aside for an administrator, never resent, never lost.
                    let mut rejected = parse_queue(load(REJECTED_KEY).as_deref()).unwrap_or_default();
                    rejected.push(first.clone());
                    if !save(REJECTED_KEY, &queue_json(&rejected)) {
                        break;
                    }
                    let rest: Vec<QueuedRating> = load_queue()
                        .into_iter()
                        .filter(|q| q.submission_id != first.submission_id)
                        .collect();
                    save(QUEUE_KEY, &queue_json(&rest));
                    self.rejected.set(rejected.len());
                }
                Outcome::Unpaired => {
                    self.online.set(true);
                    if !matches!(self.screen.get_untracked(), Screen::Rate) {
                        self.go(Screen::Pair);
                    }
                    break;
                }
                Outcome::RetryLater => {
                    self.online.set(reply.is_some());
                    break;
                }
            }
        }
        self.pending.set(load_queue().len());
        self.flushing.set_value(false);
        if stored_any {
            self.refresh().await;
        }
    }
}
