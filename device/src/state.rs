//! The kiosk's state: its screens, and the `Kiosk` signals with their actions.

use app::kiosk::{parse_queue, queue_json, KioskSetup, QueuedRating, ELDER_KEY, LANG_KEY, QUEUE_KEY, REJECTED_KEY, SETUP_KEY};
use app::Lang;
use domain::Level;
use leptos::prelude::*;

use crate::net::{fetch_setup, SetupReply};
use crate::storage::{load, load_queue, now_ms, now_rfc3339, random_id, save};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Screen {
    /// Asking the server who we are.
    Loading,
    /// Not paired (or revoked): the keypad.
    Pair,
    /// Choose a window (or the hall).
    Start,
    /// Where the region requires real names: prove a phone by SMS code.
    Verify,
    /// Rate the chosen place.
    Rate,
    /// Thanks; `queued` when it is kept on the terminal until the network returns.
    Thanks { queued: bool },
}

// ---------------------------------------------------------------- state

#[derive(Clone, Copy)]
pub(crate) struct Kiosk {
    pub(crate) lang: RwSignal<Lang>,
    pub(crate) elder: RwSignal<bool>,
    pub(crate) screen: RwSignal<Screen>,
    pub(crate) setup: RwSignal<Option<KioskSetup>>,
    /// The chosen window's code, `None` for the hall.
    pub(crate) chosen: RwSignal<Option<String>>,
    pub(crate) level: RwSignal<Option<Level>>,
    pub(crate) tags: RwSignal<Vec<String>>,
    pub(crate) comment: RwSignal<String>,
    /// The token of the phone the citizen just proved (real-name regions).
    pub(crate) proof: RwSignal<Option<String>>,
    pub(crate) error: RwSignal<Option<String>>,
    pub(crate) online: RwSignal<bool>,
    pub(crate) pending: RwSignal<usize>,
    pub(crate) rejected: RwSignal<usize>,
    pub(crate) flushing: StoredValue<bool>,
    pub(crate) last_touch: StoredValue<f64>,
    pub(crate) screen_since: StoredValue<f64>,
}

impl Kiosk {
    pub(crate) fn new() -> Kiosk {
        let lang = load(LANG_KEY).as_deref().and_then(Lang::parse).unwrap_or_default();
        let cached = load(SETUP_KEY).and_then(|s| serde_json::from_str::<KioskSetup>(&s).ok());
        let rejected = parse_queue(load(REJECTED_KEY).as_deref()).map(|r| r.len()).unwrap_or(0);
        Kiosk {
            lang: RwSignal::new(lang),
            elder: RwSignal::new(load(ELDER_KEY).as_deref() == Some("1")),
            screen: RwSignal::new(if cached.is_some() { Screen::Start } else { Screen::Loading }),
            setup: RwSignal::new(cached),
            chosen: RwSignal::new(None),
            level: RwSignal::new(None),
            tags: RwSignal::new(Vec::new()),
            comment: RwSignal::new(String::new()),
            proof: RwSignal::new(None),
            error: RwSignal::new(None),
            online: RwSignal::new(true),
            pending: RwSignal::new(load_queue().len()),
            rejected: RwSignal::new(rejected),
            flushing: StoredValue::new(false),
            last_touch: StoredValue::new(now_ms()),
            screen_since: StoredValue::new(now_ms()),
        }
    }

    pub(crate) fn go(self, s: Screen) {
        if matches!(s, Screen::Start) {
            self.chosen.set(None);
            self.level.set(None);
            self.tags.set(Vec::new());
            self.comment.set(String::new());
            self.proof.set(None);
            self.error.set(None);
        }
        self.screen_since.set_value(now_ms());
        self.last_touch.set_value(now_ms());
        self.screen.set(s);
    }

    pub(crate) fn touched(self) {
        self.last_touch.set_value(now_ms());
    }

    /// Asks the server who this terminal is; keeps the answer for offline starts.
    pub(crate) async fn refresh(self) {
        match fetch_setup().await {
            SetupReply::Ready(s) => {
                save(SETUP_KEY, &serde_json::to_string(&s).unwrap_or_default());
                self.online.set(true);
                self.setup.set(Some(s));
                if matches!(self.screen.get_untracked(), Screen::Loading | Screen::Pair) {
                    self.go(Screen::Start);
                }
            }
            SetupReply::Unpaired => {
                self.online.set(true);
                self.go(Screen::Pair);
            }
            SetupReply::Offline => {
                self.online.set(false);
                if self.setup.get_untracked().is_none() {
                    self.go(Screen::Pair);
                }
            }
        }
    }

    /// Keeps the rating on the terminal first, then tries to send it.
    pub(crate) fn submit(self) {
        let lang = self.lang.get_untracked();
        let level = self.level.get_untracked();
        let tags = self.tags.get_untracked();
        let msg = match level {
            None => Some(lang.t("请选择一项评价。", "Please choose a rating.")),
            Some(l) if l.is_bad() && tags.is_empty() => Some(lang.t("差评请至少选择一项原因。", "A bad rating needs at least one reason.")),
            _ => None,
        };
        if let Some(m) = msg {
            self.error.set(Some(m.to_string()));
            return;
        }
        let Some(level) = level else { return };
        let comment = self.comment.get_untracked().trim().to_string();
        if comment.chars().count() > 500 {
            self.error
                .set(Some(lang.t("意见最多 500 字。", "Comments are 500 characters at most.").into()));
            return;
        }
        let item = QueuedRating {
            submission_id: random_id(),
            window_code: self.chosen.get_untracked(),
            level: level.code().to_string(),
            tags,
            comment: Some(comment).filter(|c| !c.is_empty()),
            rated_at: now_rfc3339(),
            real_name_token: self.proof.get_untracked(),
        };
        let mut queue = load_queue();
        queue.push(item.clone());
        if !save(QUEUE_KEY, &queue_json(&queue)) {
            self.error.set(Some(
                lang.t(
                    "本机存储已满，评价未能保存，请联系工作人员。",
                    "The terminal's storage is full: the rating was not kept. Please tell the staff.",
                )
                .into(),
            ));
            return;
        }
        self.pending.set(queue.len());
        leptos::task::spawn_local(async move {
            self.flush().await;
            let queued = load_queue().iter().any(|q| q.submission_id == item.submission_id);
            self.go(Screen::Thanks { queued });
        });
    }
}
