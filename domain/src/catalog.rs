//! The versioned catalog of evaluation content (SPEC §2; GB/T 39734-2020).
//!
//! A rating records the catalog version it was made with; options are never added
//! or removed within a version. Version 1 is seeded from the dimensions of SPEC §2.
//! Loading further versions as data is left to the administration issue.

use serde::{Deserialize, Serialize};

pub const CATALOG_VERSION: i32 = 1;

/// Whether a tag is shown as praise (good levels) or as a reason (bad levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polarity {
    Praise,
    Reason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tag {
    Process,
    Norms,
    Efficiency,
    Convenience,
    Attitude,
    Competence,
    Integrity,
    PlatformUsability,
    RectificationEffect,
}

/// Catalog order: the order the page shows and the store keeps.
pub const TAGS: [Tag; 9] = [
    Tag::Process,
    Tag::Norms,
    Tag::Efficiency,
    Tag::Convenience,
    Tag::Attitude,
    Tag::Competence,
    Tag::Integrity,
    Tag::PlatformUsability,
    Tag::RectificationEffect,
];

impl Tag {
    pub fn code(self) -> &'static str {
        match self {
            Tag::Process => "process",
            Tag::Norms => "norms",
            Tag::Efficiency => "efficiency",
            Tag::Convenience => "convenience",
            Tag::Attitude => "attitude",
            Tag::Competence => "competence",
            Tag::Integrity => "integrity",
            Tag::PlatformUsability => "platform_usability",
            Tag::RectificationEffect => "rectification_effect",
        }
    }

    pub fn parse(s: &str) -> Option<Tag> {
        TAGS.into_iter().find(|t| t.code() == s)
    }

    /// The dimension name (SPEC §2).
    pub fn label_zh(self) -> &'static str {
        match self {
            Tag::Process => "办事流程",
            Tag::Norms => "服务规范",
            Tag::Efficiency => "服务效率",
            Tag::Convenience => "便民度",
            Tag::Attitude => "服务态度",
            Tag::Competence => "服务水平",
            Tag::Integrity => "廉政情况",
            Tag::PlatformUsability => "平台便捷性",
            Tag::RectificationEffect => "整改实效",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Tag::Process => "Process",
            Tag::Norms => "Service norms",
            Tag::Efficiency => "Efficiency",
            Tag::Convenience => "Convenience",
            Tag::Attitude => "Attitude",
            Tag::Competence => "Competence",
            Tag::Integrity => "Integrity",
            Tag::PlatformUsability => "Platform usability",
            Tag::RectificationEffect => "Rectification effect",
        }
    }

    /// The wording shown for a level's polarity, e.g. 服务态度好 / 服务态度差.
    pub fn phrase_zh(self, polarity: Polarity) -> String {
        let label = self.label_zh();
        match (self, polarity) {
            (Tag::Integrity, Polarity::Praise) => "廉洁自律".to_string(),
            (Tag::Integrity, Polarity::Reason) => "廉政问题".to_string(),
            (Tag::Process, Polarity::Praise) => "流程清晰".to_string(),
            (Tag::Process, Polarity::Reason) => "流程繁琐".to_string(),
            (_, Polarity::Praise) => format!("{label}好"),
            (_, Polarity::Reason) => format!("{label}差"),
        }
    }

    pub fn phrase_en(self, polarity: Polarity) -> String {
        match polarity {
            Polarity::Praise => format!("Good {}", self.label_en().to_lowercase()),
            Polarity::Reason => format!("Poor {}", self.label_en().to_lowercase()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tag_code_round_trips_and_is_unique() {
        for t in TAGS {
            assert_eq!(Tag::parse(t.code()), Some(t));
        }
        let mut codes: Vec<&str> = TAGS.iter().map(|t| t.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), TAGS.len());
    }

    #[test]
    fn tags_read_as_praise_or_as_reason() {
        assert_eq!(Tag::Attitude.phrase_zh(Polarity::Reason), "服务态度差");
        assert_eq!(Tag::Attitude.phrase_zh(Polarity::Praise), "服务态度好");
        assert_eq!(Tag::Efficiency.phrase_en(Polarity::Reason), "Poor efficiency");
    }
}
