//! The one layer between our model and national / provincial exchange codes (SPEC §7).
//!
//! GB/T 39046-2020 code list A.8 runs 1 = 非常满意 … 5 = 非常不满意; the provincial
//! report interfaces seen in practice run `satisfaction` 1 = 非常不满意 … 5 = 非常满意,
//! and their channel code `pf` differs by province. Nothing else in the code base
//! knows these numbers.

use crate::{Channel, Level};

mod inbound;
mod records;
pub use inbound::{channel_from_gbt39046, channel_from_pf, Inbound, InboundError};
pub use records::{gbt_time, province_time, Cell, Fact, Profile, RaterKind, Record};

/// GB/T 39046-2020 A.8 satisfaction code.
pub fn gbt39046_satisfaction(level: Level) -> u8 {
    match level {
        Level::VerySatisfied => 1,
        Level::Satisfied => 2,
        Level::BasicallySatisfied => 3,
        Level::Dissatisfied => 4,
        Level::VeryDissatisfied => 5,
    }
}

pub fn level_from_gbt39046(code: u8) -> Option<Level> {
    Level::ALL.into_iter().find(|l| gbt39046_satisfaction(*l) == code)
}

/// GB/T 39046 table 9 evaluation channel names.
pub fn gbt39046_channel(channel: Channel) -> &'static str {
    match channel {
        Channel::Online => "PC端",
        Channel::Mobile => "移动服务端",
        Channel::DynamicQr | Channel::StaticQr => "二维码",
        Channel::WindowDevice => "政务大厅平板电脑",
        Channel::Kiosk | Channel::Default => "政务大厅其他终端",
        Channel::Hotline | Channel::PhoneInvite => "电话",
        Channel::SmsLink | Channel::SmsReply => "短信",
    }
}

/// A provincial report interface's code set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvinceProfile {
    /// pf: 1 pc, 2 移动端, 3 二维码, 4 政务大厅平板电脑, 5 政务大厅其他终端, 6 短信, 7 系统默认评价.
    A,
    /// pf: 1 pc, 2 移动端, 3 二维码, 4 政务大厅平板电脑, 5 自助终端, 6 电话, 7 短信.
    B,
}

impl ProvinceProfile {
    /// Provincial `satisfaction`: 1 = 非常不满意 … 5 = 非常满意 (the reverse of A.8).
    pub fn satisfaction(self, level: Level) -> u8 {
        6 - gbt39046_satisfaction(level)
    }

    /// The level a provincial `satisfaction` code names.
    pub fn level(self, code: u8) -> Option<Level> {
        Level::ALL.into_iter().find(|l| self.satisfaction(*l) == code)
    }

    pub fn pf(self, channel: Channel) -> u8 {
        match (self, channel) {
            (_, Channel::Online) => 1,
            (_, Channel::Mobile) => 2,
            (_, Channel::DynamicQr | Channel::StaticQr) => 3,
            (_, Channel::WindowDevice) => 4,
            (ProvinceProfile::A, Channel::Kiosk) => 5,
            (ProvinceProfile::A, Channel::SmsLink | Channel::SmsReply) => 6,
            (ProvinceProfile::A, Channel::Default) => 7,
            (ProvinceProfile::A, Channel::Hotline | Channel::PhoneInvite) => 5,
            (ProvinceProfile::B, Channel::Kiosk | Channel::Default) => 5,
            (ProvinceProfile::B, Channel::Hotline | Channel::PhoneInvite) => 6,
            (ProvinceProfile::B, Channel::SmsLink | Channel::SmsReply) => 7,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_and_provincial_satisfaction_codes_run_in_opposite_directions() {
        assert_eq!(gbt39046_satisfaction(Level::VerySatisfied), 1);
        assert_eq!(gbt39046_satisfaction(Level::VeryDissatisfied), 5);
        assert_eq!(ProvinceProfile::A.satisfaction(Level::VerySatisfied), 5);
        assert_eq!(ProvinceProfile::A.satisfaction(Level::VeryDissatisfied), 1);
        for l in Level::ALL {
            assert_eq!(level_from_gbt39046(gbt39046_satisfaction(l)), Some(l));
        }
    }

    #[test]
    fn channel_codes_follow_each_province_profile() {
        assert_eq!(ProvinceProfile::A.pf(Channel::Default), 7);
        assert_eq!(ProvinceProfile::B.pf(Channel::Kiosk), 5);
        assert_eq!(ProvinceProfile::B.pf(Channel::SmsLink), 7);
        assert_eq!(gbt39046_channel(Channel::DynamicQr), "二维码");
    }
}
