//! Values that cannot hold bad data: parse once at the edge, trust afterwards.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("phone number must be 11 digits starting with 1 (mainland mobile) or a 7–12 digit landline")]
    Phone,
    #[error("case number must be 1–50 printable characters")]
    CaseNumber,
    #[error("comment must be at most {max} characters")]
    CommentTooLong { max: usize },
    #[error("text must not contain control characters")]
    ControlCharacters,
}

/// A rater's phone number: personal data (SPEC §2 privacy).
///
/// `Display` and `Debug` both print the masked form, so a phone can be logged or
/// formatted by accident without leaking; the full digits need `expose()`.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// Accepts mainland mobile numbers (11 digits, leading 1) and landlines
    /// (7–12 digits, optionally with an area code and a hyphen). Spaces and
    /// a leading +86 are dropped.
    pub fn parse(s: &str) -> Result<Phone, ValueError> {
        let mut digits: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(rest) = digits.strip_prefix("+86") {
            digits = rest.to_string();
        }
        let plain: String = digits.chars().filter(|c| *c != '-').collect();
        if plain.is_empty() || !plain.chars().all(|c| c.is_ascii_digit()) || digits.matches('-').count() > 1 {
            return Err(ValueError::Phone);
        }
        let mobile = plain.len() == 11 && plain.starts_with('1') && !digits.contains('-');
        let landline = (7..=12).contains(&plain.len()) && !plain.starts_with('1');
        if mobile || landline {
            Ok(Phone(plain))
        } else {
            Err(ValueError::Phone)
        }
    }

    /// The full number, for the roles that must revisit and for storage.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// 138****1234: the first three and the last four digits stay.
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

/// Masks any stored phone string the same way `Phone` does.
pub fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// A comment as it may be shown outside its work order (002 rule 5): runs of
/// digits that look like a mainland mobile number (11 digits from 1) or a
/// resident ID number (18 characters, the last may be X) are masked like a
/// phone (`138****5678`, `110***********1234`); everything else is kept.
pub fn mask_personal(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() || (i > 0 && chars[i - 1].is_ascii_alphanumeric()) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && chars[j].is_ascii_digit() {
            j += 1;
        }
        // An ID number may end in X.
        if j - i == 17 && j < chars.len() && matches!(chars[j], 'X' | 'x') {
            j += 1;
        }
        let run: String = chars[i..j].iter().collect();
        let ends_clean = j == chars.len() || !chars[j].is_ascii_alphanumeric();
        let personal = ends_clean && ((run.len() == 11 && run.starts_with('1')) || run.len() == 18);
        if personal {
            out.push_str(&mask_phone(&run));
        } else {
            out.push_str(&run);
        }
        i = j;
    }
    out
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

/// 办件编号: GB/T 39046 an..50.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseNumber(String);

impl CaseNumber {
    pub fn parse(s: &str) -> Result<CaseNumber, ValueError> {
        let s = s.trim();
        if s.is_empty() || s.chars().count() > 50 || s.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(ValueError::CaseNumber);
        }
        Ok(CaseNumber(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A rater's free text: bounded, no control characters (newlines and tabs allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment(String);

impl Comment {
    pub const MAX_CHARS: usize = 500;

    pub fn parse(s: &str) -> Result<Comment, ValueError> {
        if s.chars().count() > Self::MAX_CHARS {
            return Err(ValueError::CommentTooLong { max: Self::MAX_CHARS });
        }
        if s.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
            return Err(ValueError::ControlCharacters);
        }
        Ok(Comment(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Issue 15: the characters of an SMS rating code (no 0/O/1/I, which are
/// mistaken for each other), and its length.
pub const RATING_CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
pub const RATING_CODE_LEN: usize = 6;

/// A rating code as a citizen types it at `/s`: case-insensitive, spaces
/// and dashes ignored. `None` when it cannot be a code.
pub fn parse_rating_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == RATING_CODE_LEN && code.bytes().all(|b| RATING_CODE_ALPHABET.contains(&b))).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_and_id_numbers_in_a_comment_are_masked_and_other_numbers_kept() {
        assert_eq!(
            mask_personal("请回电13812345678，身份证110101199003071234，谢谢"),
            "请回电138****5678，身份证110***********1234，谢谢"
        );
        assert_eq!(mask_personal("ID 11010119900307123X ok"), "ID 110***********123X ok");
        assert_eq!(
            mask_personal("等了 45 分钟，办件号 20261127000123，窗口 W01"),
            "等了 45 分钟，办件号 20261127000123，窗口 W01",
            "a 14-digit case number and small numbers stay"
        );
        assert_eq!(mask_personal("23812345678"), "23812345678", "11 digits not from 1: not a mobile");
        assert_eq!(mask_personal("A13812345678"), "A13812345678", "part of a code");
        assert_eq!(mask_personal(""), "");
    }

    #[test]
    fn a_mobile_number_is_masked_in_display_and_debug() {
        let p = Phone::parse("138 0013 1234").unwrap();
        assert_eq!(p.to_string(), "138****1234");
        assert_eq!(format!("{p:?}"), "Phone(138****1234)");
        assert_eq!(p.expose(), "13800131234");
        assert_eq!(Phone::parse("+8613800131234").unwrap().expose(), "13800131234");
    }

    #[test]
    fn landlines_are_accepted_and_masked() {
        let p = Phone::parse("0531-88886666").unwrap();
        assert_eq!(p.expose(), "053188886666");
        assert_eq!(p.masked(), "053*****6666");
    }

    #[test]
    fn malformed_phones_are_refused() {
        for bad in ["", "1380013123", "138001312345", "abc", "138-0013-1234", "23800131234x", "1234567"] {
            assert_eq!(Phone::parse(bad), Err(ValueError::Phone), "{bad}");
        }
    }

    #[test]
    fn case_numbers_are_one_to_fifty_printable_characters() {
        assert!(CaseNumber::parse("SD-2026-000001").is_ok());
        assert!(CaseNumber::parse(&"办".repeat(50)).is_ok());
        assert!(CaseNumber::parse(&"x".repeat(51)).is_err());
        assert!(CaseNumber::parse("  ").is_err());
        assert!(CaseNumber::parse("a b").is_err());
    }

    #[test]
    fn comments_are_bounded_and_free_of_control_characters() {
        assert!(Comment::parse("第一行\n第二行").is_ok());
        assert!(Comment::parse(&"好".repeat(500)).is_ok());
        assert_eq!(Comment::parse(&"好".repeat(501)), Err(ValueError::CommentTooLong { max: 500 }));
        assert_eq!(Comment::parse("a\u{0}b"), Err(ValueError::ControlCharacters));
    }

    #[test]
    fn rating_codes_are_read_case_insensitively_without_confusable_characters() {
        assert_eq!(parse_rating_code(" ab3-k9z "), Some("AB3K9Z".into()));
        assert_eq!(parse_rating_code("AB3K9Z"), Some("AB3K9Z".into()));
        for bad in ["AB3K9", "AB3K9ZZ", "AB0K9Z", "ABOK9Z", "AB1K9Z", "ABIK9Z", "AB3K9Ω", ""] {
            assert_eq!(parse_rating_code(bad), None, "{bad}");
        }
        assert_eq!(RATING_CODE_ALPHABET.len(), 32);
        for c in b"0O1I" {
            assert!(!RATING_CODE_ALPHABET.contains(c));
        }
    }
}
