//! Levels, targets and channels (SPEC §1–§2; 000 rules 6–10).

use serde::{Deserialize, Serialize};

/// The five satisfaction levels. Wire values are a contract (issue 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    VerySatisfied,
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
    VeryDissatisfied,
}

impl Level {
    /// Best first, as the rating page shows them.
    pub const ALL: [Level; 5] = [
        Level::VerySatisfied,
        Level::Satisfied,
        Level::BasicallySatisfied,
        Level::Dissatisfied,
        Level::VeryDissatisfied,
    ];

    /// SPEC §2: 非常满意 10, 满意 8, 基本满意 6, 不满意 3, 非常不满意 0.
    pub fn score(self) -> i32 {
        match self {
            Level::VerySatisfied => 10,
            Level::Satisfied => 8,
            Level::BasicallySatisfied => 6,
            Level::Dissatisfied => 3,
            Level::VeryDissatisfied => 0,
        }
    }

    /// 不满意 and 非常不满意 are bad ratings: they open a work order and need a reason.
    pub fn is_bad(self) -> bool {
        matches!(self, Level::Dissatisfied | Level::VeryDissatisfied)
    }

    pub fn code(self) -> &'static str {
        match self {
            Level::VerySatisfied => "very_satisfied",
            Level::Satisfied => "satisfied",
            Level::BasicallySatisfied => "basically_satisfied",
            Level::Dissatisfied => "dissatisfied",
            Level::VeryDissatisfied => "very_dissatisfied",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.code() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Level::VerySatisfied => "非常满意",
            Level::Satisfied => "满意",
            Level::BasicallySatisfied => "基本满意",
            Level::Dissatisfied => "不满意",
            Level::VeryDissatisfied => "非常不满意",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Level::VerySatisfied => "Very satisfied",
            Level::Satisfied => "Satisfied",
            Level::BasicallySatisfied => "Basically satisfied",
            Level::Dissatisfied => "Dissatisfied",
            Level::VeryDissatisfied => "Very dissatisfied",
        }
    }

    /// A face drawn with text, so the level is never shown by colour alone (SPEC §9).
    pub fn icon(self) -> &'static str {
        match self {
            Level::VerySatisfied => "😄",
            Level::Satisfied => "🙂",
            Level::BasicallySatisfied => "😐",
            Level::Dissatisfied => "🙁",
            Level::VeryDissatisfied => "😞",
        }
    }

    /// 001 (Linyi): five stars map 5★→非常满意 … 1★→非常不满意.
    pub fn from_stars(stars: u8) -> Option<Level> {
        match stars {
            5 => Some(Level::VerySatisfied),
            4 => Some(Level::Satisfied),
            3 => Some(Level::BasicallySatisfied),
            2 => Some(Level::Dissatisfied),
            1 => Some(Level::VeryDissatisfied),
            _ => None,
        }
    }
}

/// What is rated (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Item,
    Staff,
    Window,
    Hall,
    Platform,
}

impl Target {
    pub const ALL: [Target; 5] = [Target::Item, Target::Staff, Target::Window, Target::Hall, Target::Platform];

    pub fn code(self) -> &'static str {
        match self {
            Target::Item => "item",
            Target::Staff => "staff",
            Target::Window => "window",
            Target::Hall => "hall",
            Target::Platform => "platform",
        }
    }

    pub fn parse(s: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.code() == s)
    }
}

/// How a rating arrived (SPEC §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    WindowDevice,
    DynamicQr,
    StaticQr,
    Kiosk,
    Online,
    Mobile,
    SmsLink,
    SmsReply,
    Hotline,
    PhoneInvite,
    Default,
}

impl Channel {
    pub const ALL: [Channel; 11] = [
        Channel::WindowDevice,
        Channel::DynamicQr,
        Channel::StaticQr,
        Channel::Kiosk,
        Channel::Online,
        Channel::Mobile,
        Channel::SmsLink,
        Channel::SmsReply,
        Channel::Hotline,
        Channel::PhoneInvite,
        Channel::Default,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Channel::WindowDevice => "window_device",
            Channel::DynamicQr => "dynamic_qr",
            Channel::StaticQr => "static_qr",
            Channel::Kiosk => "kiosk",
            Channel::Online => "online",
            Channel::Mobile => "mobile",
            Channel::SmsLink => "sms_link",
            Channel::SmsReply => "sms_reply",
            Channel::Hotline => "hotline",
            Channel::PhoneInvite => "phone_invite",
            Channel::Default => "default",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.code() == s)
    }

    /// Whether the rater can tick reasons on this channel. Forms (the rating page,
    /// static codes, the evaluator, the online platform, the app) ask for at least
    /// one reason with a bad rating (SPEC §2). A reply digit, a key pressed on the
    /// hotline, a call taken down by staff and a kiosk tap cannot, so a bad rating
    /// from them is taken without one — refusing it would lose a 差评 (no seed
    /// requires a reason).
    pub fn asks_reasons(self) -> bool {
        !matches!(
            self,
            Channel::SmsReply | Channel::Hotline | Channel::PhoneInvite | Channel::Kiosk | Channel::Default
        )
    }

    /// 000 rule 6: business systems that collect ratings themselves push those of
    /// the online platform and the mobile app; the other channels are ours.
    pub fn pushable_by_business_system(self) -> bool {
        matches!(self, Channel::Online | Channel::Mobile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_level_has_its_score_and_only_the_last_two_are_bad() {
        let scores: Vec<i32> = Level::ALL.iter().map(|l| l.score()).collect();
        assert_eq!(scores, vec![10, 8, 6, 3, 0]);
        let bad: Vec<bool> = Level::ALL.iter().map(|l| l.is_bad()).collect();
        assert_eq!(bad, vec![false, false, false, true, true]);
    }

    #[test]
    fn wire_codes_round_trip_for_every_value() {
        for l in Level::ALL {
            assert_eq!(Level::parse(l.code()), Some(l));
        }
        for t in Target::ALL {
            assert_eq!(Target::parse(t.code()), Some(t));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.code()), Some(c));
        }
        assert_eq!(Level::parse("VERY_SATISFIED"), None);
    }

    #[test]
    fn five_stars_map_to_the_five_levels() {
        assert_eq!(Level::from_stars(5), Some(Level::VerySatisfied));
        assert_eq!(Level::from_stars(1), Some(Level::VeryDissatisfied));
        assert_eq!(Level::from_stars(0), None);
        assert_eq!(Level::from_stars(6), None);
    }

    #[test]
    fn only_online_and_mobile_are_pushed_by_business_systems() {
        let pushable: Vec<Channel> = Channel::ALL.into_iter().filter(|c| c.pushable_by_business_system()).collect();
        assert_eq!(pushable, vec![Channel::Online, Channel::Mobile]);
    }
}
