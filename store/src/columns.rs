//! The one typed layer for columns that hold a domain code — level, channel,
//! target, role, tags: written from the domain enums with their `code()`, read
//! back here. A stored value that no longer parses is a data error (logged,
//! 500), never silently replaced by a default that would change what a
//! rating says.

use domain::{Channel, Level, RatingInput, Role, Target};

use crate::{DbErr, Error, Result};

fn corrupt(what: &str, v: &str) -> Error {
    Error::Db(DbErr::Custom(format!("stored {what} `{v}` is not a known code")))
}

pub fn level(v: &str) -> Result<Level> {
    Level::parse(v).ok_or_else(|| corrupt("level", v))
}

pub fn channel(v: &str) -> Result<Channel> {
    Channel::parse(v).ok_or_else(|| corrupt("channel", v))
}

pub fn target(v: &str) -> Result<Target> {
    Target::parse(v).ok_or_else(|| corrupt("target", v))
}

pub fn role(v: &str) -> Result<Role> {
    Role::parse(v).ok_or_else(|| corrupt("role", v))
}

/// A rating's reason tags as stored: codes joined by commas, in catalog order.
pub fn tags_text(input: &RatingInput) -> String {
    input.tags.iter().map(|t| t.code()).collect::<Vec<_>>().join(",")
}

/// The stored tag codes as a list (codes of an older catalog version are kept
/// as they were stored).
pub fn tags_list(v: &str) -> Vec<String> {
    v.split(',').filter(|t| !t.is_empty()).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_codes_read_back_and_unknown_ones_are_errors_not_defaults() {
        assert_eq!(channel("dynamic_qr").ok(), Some(Channel::DynamicQr));
        assert!(channel("carrier_pigeon").is_err(), "no silent fallback");
        assert!(level("").is_err());
        assert_eq!(target("staff").ok(), Some(Target::Staff));
        assert_eq!(role("unit_admin").ok(), Some(Role::UnitAdmin));
        let input = RatingInput::parse("dissatisfied", &["efficiency".into(), "attitude".into()], None).expect("valid");
        let text = tags_text(&input);
        assert_eq!(tags_list(&text).len(), 2);
        assert_eq!(tags_list(""), Vec::<String>::new());
    }
}
