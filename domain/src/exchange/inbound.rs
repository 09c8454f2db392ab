//! Issue 15: a rating a citizen gave on the national or a provincial platform
//! for one of our cases, read from that platform's shape.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

use super::{gbt39046_channel, level_from_gbt39046, Profile, ProvinceProfile};
use crate::{Channel, Level};

/// An inbound rating, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    pub case_number: String,
    pub level: Level,
    pub channel: Channel,
    /// 1 first, 2 follow-up.
    pub assess_number: u8,
    pub rated_at: DateTime<Utc>,
    pub comment: Option<String>,
}

/// Why an inbound record was refused: the field and a message for the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundError {
    pub field: &'static str,
    pub message: String,
}

fn err(field: &'static str, message: impl Into<String>) -> InboundError {
    InboundError {
        field,
        message: message.into(),
    }
}

/// A field as text: strings trimmed, numbers as written; empty is absent.
fn text(v: &Value, field: &'static str) -> Option<String> {
    match v.get(field)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn required(v: &Value, field: &'static str) -> Result<String, InboundError> {
    text(v, field).ok_or_else(|| err(field, format!("{field}: required")))
}

fn small(v: &Value, field: &'static str) -> Result<Option<u8>, InboundError> {
    match text(v, field) {
        None => Ok(None),
        Some(s) => s
            .parse::<u8>()
            .map(Some)
            .map_err(|_| err(field, format!("{field}: not a code: {s}"))),
    }
}

fn beijing(v: &Value, field: &'static str, format: &str, shape: &str) -> Result<DateTime<Utc>, InboundError> {
    let s = required(v, field)?;
    let naive = NaiveDateTime::parse_from_str(&s, format).map_err(|_| err(field, format!("{field}: expected {shape}, got {s}")))?;
    crate::calendar::cst()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| err(field, format!("{field}: not a time: {s}")))
}

fn assess_number(n: Option<u8>, field: &'static str) -> Result<u8, InboundError> {
    match n.unwrap_or(1) {
        n @ (1 | 2) => Ok(n),
        n => Err(err(field, format!("{field}: 1 (first) or 2 (follow-up), got {n}"))),
    }
}

/// The channel a provincial `pf` code names. A system default rating (A's 7)
/// is refused: it is not a rating a citizen gave.
pub fn channel_from_pf(p: ProvinceProfile, pf: u8) -> Option<Channel> {
    match (p, pf) {
        (_, 1) => Some(Channel::Online),
        (_, 2) => Some(Channel::Mobile),
        (_, 3) => Some(Channel::DynamicQr),
        (_, 4) => Some(Channel::WindowDevice),
        (_, 5) => Some(Channel::Kiosk),
        (ProvinceProfile::A, 6) => Some(Channel::SmsLink),
        (ProvinceProfile::B, 6) => Some(Channel::Hotline),
        (ProvinceProfile::B, 7) => Some(Channel::SmsLink),
        _ => None,
    }
}

/// The channel a GB/T 39046 评价渠道 name names (the first of ours that maps to it).
pub fn channel_from_gbt39046(name: &str) -> Option<Channel> {
    Channel::ALL
        .into_iter()
        .filter(|c| *c != Channel::Default)
        .find(|c| gbt39046_channel(*c) == name)
}

impl Profile {
    /// Reads one inbound rating in this profile's shape.
    pub fn inbound(self, v: &Value) -> Result<Inbound, InboundError> {
        if !v.is_object() {
            return Err(err("body", "a JSON object is expected"));
        }
        // A system default rating is not a rating a citizen gave: never taken in.
        for (field, yes) in [("isDefault", "1"), ("默认评价", "是")] {
            if text(v, field).as_deref() == Some(yes) {
                return Err(err(field, format!("{field}: a system default rating is not taken in")));
            }
        }
        match self.province() {
            Some(p) => {
                let case_number = required(v, "projectNo")?;
                let pf = small(v, "pf")?.ok_or_else(|| err("pf", "pf: required"))?;
                let channel =
                    channel_from_pf(p, pf).ok_or_else(|| err("pf", format!("pf: {pf} is not a rating channel of {}", self.code())))?;
                let s = small(v, "satisfaction")?.ok_or_else(|| err("satisfaction", "satisfaction: required"))?;
                let level = (1..=5)
                    .contains(&s)
                    .then(|| p.level(s))
                    .flatten()
                    .ok_or_else(|| err("satisfaction", format!("satisfaction: 1 (非常不满意) to 5 (非常满意), got {s}")))?;
                Ok(Inbound {
                    case_number,
                    level,
                    channel,
                    assess_number: assess_number(small(v, "assessNumber")?, "assessNumber")?,
                    rated_at: beijing(v, "assessTime", "%Y-%m-%d %H:%M:%S", "yyyy-MM-dd HH:mm:ss")?,
                    comment: text(v, "writingEvaluation"),
                })
            }
            None => {
                let case_number = required(v, "办件编号")?;
                let name = required(v, "评价渠道")?;
                let channel = channel_from_gbt39046(&name).ok_or_else(|| err("评价渠道", format!("评价渠道: unknown channel {name}")))?;
                let code = small(v, "满意度代码")?.ok_or_else(|| err("满意度代码", "满意度代码: required"))?;
                let level = level_from_gbt39046(code)
                    .ok_or_else(|| err("满意度代码", format!("满意度代码: 1 (非常满意) to 5 (非常不满意), got {code}")))?;
                Ok(Inbound {
                    case_number,
                    level,
                    channel,
                    assess_number: assess_number(small(v, "评价次数")?, "评价次数")?,
                    rated_at: beijing(v, "评价时间", "%Y%m%dT%H%M%S", "YYYYMMDDThhmmss")?,
                    comment: text(v, "文字评价"),
                })
            }
        }
    }
}
