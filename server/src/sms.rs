//! SMS gateways: the outbox gateway (demo and tests: messages stay on the
//! `/admin/outbox` page) and an HTTP adapter configured by URL and a body
//! template. The sender claims due messages from the store's outbox, calls the
//! gateway, and records the result; retries and backoff are the store's.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Why a message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub message: String,
    /// The gateway refused it for good (a 4xx): no retry.
    pub permanent: bool,
}

#[async_trait]
pub trait SmsGateway: Send + Sync {
    /// A short name recorded with each sent message.
    fn name(&self) -> &'static str;
    /// Sends one message; `message_id` is the same on every attempt.
    async fn send(&self, message_id: &str, phone: &str, text: &str) -> Result<(), SendError>;
}

/// Keeps messages in the outbox only (the demo, and development).
pub struct OutboxGateway;

#[async_trait]
impl SmsGateway for OutboxGateway {
    fn name(&self) -> &'static str {
        "outbox"
    }

    async fn send(&self, _: &str, _: &str, _: &str) -> Result<(), SendError> {
        Ok(())
    }
}

/// POSTs each message to `url` with a body made from `template`, where
/// `{{id}}`, `{{phone}}` and `{{text}}` are replaced by JSON-escaped values
/// (without quotes). 2xx: sent; 4xx: refused for good; anything else,
/// a timeout or no connection: tried again later.
pub struct HttpGateway {
    pub url: String,
    pub template: String,
    pub content_type: String,
    pub client: reqwest::Client,
}

pub const DEFAULT_TEMPLATE: &str = r#"{"id":"{{id}}","phone":"{{phone}}","text":"{{text}}"}"#;

fn json_inner(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    quoted[1..quoted.len() - 1].to_string()
}

impl HttpGateway {
    pub fn new(url: String, template: String, timeout: Duration) -> HttpGateway {
        let content_type = if template.trim_start().starts_with('{') {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        };
        HttpGateway {
            url,
            template,
            content_type: content_type.into(),
            client: reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(timeout)
                .build()
                .unwrap_or_default(),
        }
    }

    pub fn body(&self, message_id: &str, phone: &str, text: &str) -> String {
        self.template
            .replace("{{id}}", &json_inner(message_id))
            .replace("{{phone}}", &json_inner(phone))
            .replace("{{text}}", &json_inner(text))
    }
}

#[async_trait]
impl SmsGateway for HttpGateway {
    fn name(&self) -> &'static str {
        "http"
    }

    async fn send(&self, message_id: &str, phone: &str, text: &str) -> Result<(), SendError> {
        let res = self
            .client
            .post(&self.url)
            .header("content-type", &self.content_type)
            .header("idempotency-key", message_id)
            .body(self.body(message_id, phone, text))
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(SendError {
                message: format!("gateway answered {}", r.status()),
                permanent: r.status().is_client_error() && r.status().as_u16() != 429 && r.status().as_u16() != 408,
            }),
            // Never the URL with its query (it may hold credentials), never the phone.
            Err(e) if e.is_timeout() => Err(SendError {
                message: "gateway timed out".into(),
                permanent: false,
            }),
            Err(_) => Err(SendError {
                message: "gateway unreachable".into(),
                permanent: false,
            }),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendRun {
    pub sent: u64,
    pub failed: u64,
}

/// Sends what is due, in batches of 100, until nothing due is left.
pub async fn send_due(
    db: &store::Db,
    key: &store::crypto::DataKey,
    gateway: &dyn SmsGateway,
    now: DateTime<Utc>,
) -> Result<SendRun, store::Error> {
    let mut run = SendRun::default();
    loop {
        let batch = store::sms::claim_due(db, key, now, 100).await?;
        let n = batch.len();
        for m in batch {
            match gateway.send(&m.message_id, &m.phone, &m.body).await {
                Ok(()) => {
                    store::sms::mark_sent(db, m.id, gateway.name(), now).await?;
                    run.sent += 1;
                }
                Err(e) => {
                    tracing::warn!(message_id = %m.message_id, attempt = m.attempt, error = %e.message, "SMS not sent");
                    store::sms::mark_failed(db, m.id, m.attempt, &e.message, e.permanent).await?;
                    run.failed += 1;
                }
            }
        }
        if n < 100 {
            return Ok(run);
        }
    }
}
