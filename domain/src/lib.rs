//! The seeds' rules as pure Rust: no IO, no async, builds for wasm32 too.
//!
//! Everything that the server, the store and the pages must agree on lives here:
//! the five levels and their scores, channels, targets, the versioned tag catalog,
//! the values a case carries (phone, case number) and the exchange-code mappings.

pub mod access;
pub mod calendar;
pub mod catalog;
pub mod exchange;
pub mod indicators;
pub mod level;
pub mod policy;
pub mod values;
pub mod work_order;

pub use access::Role;
pub use catalog::{Polarity, Tag, CATALOG_VERSION, TAGS};
pub use level::{Channel, Level, Target};
pub use values::{CaseNumber, Comment, Phone, ValueError};

/// One rating as a rater submits it, before it is bound to a case.
///
/// `RatingInput::parse` is the single place where the rules for a submission
/// are checked, so the page, the JSON API and later channels cannot drift apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingInput {
    pub level: Level,
    pub tags: Vec<Tag>,
    pub comment: Option<Comment>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatingError {
    #[error("unknown level `{0}`")]
    UnknownLevel(String),
    #[error("unknown tag `{0}`")]
    UnknownTag(String),
    /// SPEC §2: on a form, a bad rating asks for at least one reason.
    #[error("a bad rating needs at least one reason tag")]
    ReasonRequired,
    #[error(transparent)]
    Comment(#[from] ValueError),
}

impl RatingError {
    /// The input field the error is about, for API error bodies and form messages.
    pub fn field(&self) -> &'static str {
        match self {
            RatingError::UnknownLevel(_) => "level",
            RatingError::UnknownTag(_) | RatingError::ReasonRequired => "tags",
            RatingError::Comment(_) => "comment",
        }
    }
}

impl RatingInput {
    /// Parses wire values: a level code, tag codes and an optional comment.
    /// Duplicate tags are kept once, in catalog order.
    pub fn parse(level: &str, tags: &[String], comment: Option<&str>) -> Result<Self, RatingError> {
        RatingInput::parse_on(Channel::DynamicQr, level, tags, comment)
    }

    /// As [`RatingInput::parse`], for a channel: where the rater cannot tick a
    /// reason ([`Channel::asks_reasons`]), a bad rating is taken without one.
    pub fn parse_on(channel: Channel, level: &str, tags: &[String], comment: Option<&str>) -> Result<Self, RatingError> {
        let level = Level::parse(level).ok_or_else(|| RatingError::UnknownLevel(level.to_string()))?;
        let mut parsed = Vec::new();
        for t in tags {
            let tag = Tag::parse(t).ok_or_else(|| RatingError::UnknownTag(t.clone()))?;
            if !parsed.contains(&tag) {
                parsed.push(tag);
            }
        }
        parsed.sort_by_key(|t| TAGS.iter().position(|x| x == t));
        if level.is_bad() && parsed.is_empty() && channel.asks_reasons() {
            return Err(RatingError::ReasonRequired);
        }
        let comment = match comment.map(str::trim) {
            None | Some("") => None,
            Some(c) => Some(Comment::parse(c)?),
        };
        Ok(RatingInput {
            level,
            tags: parsed,
            comment,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_rating_from_a_channel_without_reasons_is_taken_without_one() {
        for c in [Channel::SmsReply, Channel::Hotline, Channel::PhoneInvite, Channel::Kiosk] {
            let r = RatingInput::parse_on(c, "very_dissatisfied", &[], None).expect("taken");
            assert!(r.level.is_bad() && r.tags.is_empty(), "{c:?}");
        }
        for c in [
            Channel::DynamicQr,
            Channel::StaticQr,
            Channel::WindowDevice,
            Channel::Online,
            Channel::Mobile,
            Channel::SmsLink,
        ] {
            assert_eq!(
                RatingInput::parse_on(c, "dissatisfied", &[], None),
                Err(RatingError::ReasonRequired),
                "{c:?} is a form: it asks"
            );
        }
    }

    #[test]
    fn a_bad_rating_without_a_reason_is_refused() {
        assert_eq!(RatingInput::parse("dissatisfied", &[], None), Err(RatingError::ReasonRequired));
        assert_eq!(
            RatingInput::parse("very_dissatisfied", &[], Some("slow")),
            Err(RatingError::ReasonRequired)
        );
    }

    #[test]
    fn a_bad_rating_with_a_reason_is_accepted() {
        let r = RatingInput::parse("very_dissatisfied", &["attitude".into()], Some("  rude  ")).unwrap();
        assert_eq!(r.level, Level::VeryDissatisfied);
        assert_eq!(r.tags, vec![Tag::Attitude]);
        assert_eq!(r.comment.unwrap().as_str(), "rude");
    }

    #[test]
    fn a_good_rating_needs_no_tag_and_keeps_tags_once_in_catalog_order() {
        let r = RatingInput::parse("satisfied", &["efficiency".into(), "process".into(), "efficiency".into()], None).unwrap();
        assert_eq!(r.tags, vec![Tag::Process, Tag::Efficiency]);
        assert!(RatingInput::parse("very_satisfied", &[], Some("")).unwrap().comment.is_none());
    }

    #[test]
    fn unknown_levels_and_tags_name_their_field() {
        let e = RatingInput::parse("great", &[], None).unwrap_err();
        assert_eq!(e.field(), "level");
        let e = RatingInput::parse("satisfied", &["speed".into()], None).unwrap_err();
        assert_eq!(e.field(), "tags");
    }
}
