//! Issue 15: pushing the exchange outbox (`store::exchange`) to provincial and
//! national platforms.
//!
//! `HAOCHA_EXCHANGE_URL` is one URL for every region, or entries
//! `CODE=URL` separated by commas or spaces: a row goes to the entry of its
//! region's code or the nearest region above it, else to the plain URL if one
//! is given, else nowhere (kept pending, shown on `/admin/exchange`). Each
//! request is a POST of the profile's JSON body with the headers
//! `appMark`, `time` (Unix milliseconds), `sign` and `X-Record-Id`, where
//! `sign` is the lowercase hex HMAC (SM3 by default, or SHA-256 with
//! `HAOCHA_EXCHANGE_SIGN=hmac-sha256`) keyed with `HAOCHA_EXCHANGE_SECRET`
//! over `appMark + time + body`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use store::exchange::Answer;

/// A platform that may send ratings to `POST /api/v1/exchange/inbound`.
#[derive(Clone, PartialEq, Eq)]
pub struct InboundPlatform {
    pub profile: domain::exchange::Profile,
    /// The region whose cases (and those below) it may rate; `None`: all.
    pub region: Option<String>,
    pub secret: String,
}

impl std::fmt::Debug for InboundPlatform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret is never printed.
        f.debug_struct("InboundPlatform")
            .field("profile", &self.profile)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// How requests are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    /// HMAC with SM3 (国密, GB/T 32905).
    HmacSm3,
    HmacSha256,
}

impl Sign {
    pub fn parse(s: &str) -> Option<Sign> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hmac-sm3" | "sm3" => Some(Sign::HmacSm3),
            "hmac-sha256" | "sha256" => Some(Sign::HmacSha256),
            _ => None,
        }
    }
}

/// The lowercase hex HMAC of `appMark + time + body`.
pub fn signature(sign: Sign, secret: &str, app_mark: &str, time: &str, body: &str) -> String {
    fn mac<M: Mac + hmac::digest::KeyInit>(secret: &str, parts: [&str; 3]) -> String {
        let mut m = <M as hmac::digest::KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
        for p in parts {
            m.update(p.as_bytes());
        }
        hex::encode(m.finalize().into_bytes())
    }
    match sign {
        Sign::HmacSm3 => mac::<Hmac<sm3::Sm3>>(secret, [app_mark, time, body]),
        Sign::HmacSha256 => mac::<Hmac<sha2::Sha256>>(secret, [app_mark, time, body]),
    }
}

/// The configured platforms.
#[derive(Clone)]
pub struct Platforms {
    /// `(region code, url)`; `None`: every region without its own entry.
    routes: Vec<(Option<String>, String)>,
    pub app_mark: String,
    secret: String,
    pub sign: Sign,
    client: reqwest::Client,
}

impl std::fmt::Debug for Platforms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret is never printed.
        f.debug_struct("Platforms")
            .field("routes", &self.routes)
            .field("app_mark", &self.app_mark)
            .field("sign", &self.sign)
            .finish_non_exhaustive()
    }
}

impl Platforms {
    pub fn parse(urls: &str, app_mark: String, secret: String, sign: &str, timeout: Duration) -> Result<Platforms, String> {
        let sign = Sign::parse(sign).ok_or_else(|| format!("HAOCHA_EXCHANGE_SIGN `{sign}`: hmac-sm3 or hmac-sha256"))?;
        let mut routes = Vec::new();
        for entry in urls.split([',', ' ', '\n', ';']).map(str::trim).filter(|e| !e.is_empty()) {
            let (code, url) = match entry.split_once('=') {
                Some((code, url)) if !code.is_empty() && code.chars().all(|c| c.is_ascii_digit()) => (Some(code.to_string()), url),
                _ => (None, entry),
            };
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!("HAOCHA_EXCHANGE_URL `{entry}`: a URL (http:// or https://), or CODE=URL"));
            }
            routes.push((code, url.to_string()));
        }
        if routes.is_empty() {
            return Err("HAOCHA_EXCHANGE_URL is empty".into());
        }
        Ok(Platforms {
            routes,
            app_mark,
            secret,
            sign,
            client: reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(timeout)
                .build()
                .unwrap_or_default(),
        })
    }

    /// The routes as the admin page shows them: `CODE → URL` (no secrets).
    pub fn describe(&self) -> Vec<String> {
        self.routes
            .iter()
            .map(|(code, url)| format!("{} → {url}", code.as_deref().unwrap_or("*")))
            .collect()
    }

    /// The URL for a region, given its code and those above it, nearest first.
    pub fn route(&self, codes: &[String]) -> Option<&str> {
        codes
            .iter()
            .find_map(|c| self.routes.iter().find(|(code, _)| code.as_deref() == Some(c.as_str())))
            .or_else(|| self.routes.iter().find(|(code, _)| code.is_none()))
            .map(|(_, url)| url.as_str())
    }

    async fn post(&self, url: &str, record_id: &str, body: &str, now: DateTime<Utc>) -> Answer {
        let time = now.timestamp_millis().to_string();
        let sign = signature(self.sign, &self.secret, &self.app_mark, &time, body);
        let sent = self
            .client
            .post(url)
            .header("Content-Type", "application/json; charset=utf-8")
            .header("appMark", &self.app_mark)
            .header("time", &time)
            .header("sign", sign)
            .header("X-Record-Id", record_id)
            .body(body.to_string())
            .send()
            .await;
        match sent {
            Err(e) => Answer::Failed(
                None,
                if e.is_timeout() {
                    "timed out".into()
                } else {
                    e.without_url().to_string()
                },
            ),
            Ok(r) => {
                let status = r.status().as_u16();
                let text = r.text().await.unwrap_or_default();
                match status {
                    200..=299 => Answer::Accepted(status),
                    400..=499 => Answer::Refused(status, text),
                    _ => Answer::Failed(Some(status), text),
                }
            }
        }
    }
}

/// What one run of the sender did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PushRun {
    pub accepted: u64,
    pub refused: u64,
    pub failed: u64,
}

/// Rows per claim, and the most one run sends (the next run goes on).
const BATCH: u64 = 50;
const PER_RUN: u64 = 5_000;

/// Sends what is due. Without a configured platform nothing is claimed.
pub async fn push_due(
    db: &store::Db,
    dk: &store::crypto::DataKey,
    platforms: Option<&Platforms>,
    now: DateTime<Utc>,
) -> Result<PushRun, store::Error> {
    let mut run = PushRun::default();
    let Some(p) = platforms else {
        return Ok(run);
    };
    let mut done = 0;
    while done < PER_RUN {
        let claimed = store::exchange::claim_due(db, dk, now, BATCH).await?;
        if claimed.is_empty() {
            break;
        }
        done += claimed.len() as u64;
        for c in claimed {
            let answer = match p.route(&c.region_codes) {
                None => Answer::NoRoute,
                Some(url) => p.post(url, &c.record_id, &c.body, now).await,
            };
            match &answer {
                Answer::Accepted(_) => run.accepted += 1,
                Answer::Refused(status, _) => {
                    tracing::warn!(record = %c.record_id, status, "exchange record refused by the platform");
                    run.refused += 1;
                }
                Answer::Failed(..) | Answer::NoRoute => run.failed += 1,
            }
            store::exchange::report(db, c.id, &answer, now).await?;
        }
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platforms(urls: &str) -> Platforms {
        Platforms::parse(urls, "hc".into(), "k".into(), "hmac-sm3", Duration::from_secs(1)).unwrap()
    }

    #[test]
    fn a_region_goes_to_its_own_platform_or_the_nearest_above_it() {
        let p = platforms("210000=http://ln.example/a, 530000=http://yn.example/b http://all.example/c");
        let codes = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(p.route(&codes(&["210102", "210100", "210000"])), Some("http://ln.example/a"));
        assert_eq!(p.route(&codes(&["533100", "530000"])), Some("http://yn.example/b"));
        assert_eq!(p.route(&codes(&["140100"])), Some("http://all.example/c"));
        assert_eq!(platforms("210000=http://ln.example/a").route(&codes(&["140100"])), None);
        assert!(Platforms::parse("ftp://x", "a".into(), "k".into(), "hmac-sm3", Duration::from_secs(1)).is_err());
        assert!(Platforms::parse("http://x", "a".into(), "k".into(), "md5", Duration::from_secs(1)).is_err());
    }

    #[test]
    fn signatures_are_hmac_over_app_mark_time_and_body() {
        // HMAC-SHA256 of "abc" under key "key", computed independently (RFC 2104, `openssl dgst -sha256 -hmac key`).
        assert_eq!(
            signature(Sign::HmacSha256, "key", "a", "b", "c"),
            "9c196e32dc0175f86f4b1cb89289d6619de6bee699e4c378e68309ed97a1a6ab"
        );
        // HMAC-SM3 of "abc" under "key", computed with OpenSSL's SM3 (Python hmac + hashlib.new("sm3")).
        let sm3 = signature(Sign::HmacSm3, "key", "a", "b", "c");
        assert_eq!(sm3, "28e63256e7c5a087b1f073265dc53092163f7b82729735d06f28f10af9d52393");
        assert_ne!(sm3, signature(Sign::HmacSm3, "key", "a", "b", "d"));
        assert_ne!(sm3, signature(Sign::HmacSm3, "kez", "a", "b", "c"));
    }
}
