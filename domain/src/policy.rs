//! Regional policies (SPEC §4): what a region decides for itself, inherited
//! down the region tree and overridable at any level. Pure: the store keeps a
//! `PolicyOverride` per region, `resolve` folds the chain from the root down.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{day_of, start_of, Calendar};
use crate::Level;

/// A span counted in working days (official calendar) or calendar days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Span {
    WorkingDays(u32),
    Days(u32),
}

impl Span {
    /// The end (24:00 China Standard Time) of the span's last day, counted
    /// from the day after `from`: "5个工作日内" ends when the fifth working day
    /// after the service ends.
    pub fn end_after(self, cal: &Calendar, from: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Span::WorkingDays(n) => cal.deadline(from, n),
            Span::Days(n) => start_of(day_of(from) + Duration::days(i64::from(n.max(1)) + 1)),
        }
    }

    /// A work-order deadline (SPEC §5): the end of the `n`-th working day
    /// after `from`, where 0 is the end of the same working day (Dehong's
    /// "立即"); calendar days end like [`Span::end_after`].
    pub fn due_from(self, cal: &Calendar, from: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Span::WorkingDays(n) => crate::work_order::due(cal, from, n),
            Span::Days(_) => self.end_after(cal, from),
        }
    }

    pub fn describe_zh(self) -> String {
        match self {
            Span::WorkingDays(n) => format!("{n} 个工作日"),
            Span::Days(n) => format!("{n} 天"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RealName {
    Required,
    Encouraged,
}

/// A region's policy in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The level given to a case left unrated; `None`: no default rating.
    pub default_level: Option<Level>,
    /// How long after completion the default applies.
    pub default_after: Span,
    /// Hours after completion before the reminder SMS (000 rule 7).
    pub reminder_hours: u32,
    /// How long after the first rating one follow-up (追加评价) may be added.
    pub follow_up_within: Span,
    pub real_name: RealName,
    /// Work orders (SPEC §5): first contact with the rater.
    pub first_contact: Span,
    /// Work orders: rectification, and its one extension at most.
    pub rectify: Span,
    pub rectify_extension: Span,
    /// Work orders: the unit may set the handling deadline itself at
    /// verification, up to `rectify` (德宏: a longer deadline, explained;
    /// 山西示范区: the unit sets it within the maximum). Otherwise the tier decides.
    pub unit_sets_deadline: bool,
    /// Ratings one kiosk or evaluator may give in a minute (by the time the
    /// citizen rated); more are stored flagged `device_burst` and not counted.
    pub device_per_minute: u32,
    /// How old a rating queued on a device while offline may be when it
    /// arrives (hours); older ones, and ones from the future, are refused.
    pub device_queue_hours: u32,
    /// Ranking weights in percent (sum 100): 好评率, 差评整改率, 按期办结率, 参评率.
    pub rank_weights: [u32; 4],
    /// The fewest valid ratings a unit, item, window, staff member or region
    /// needs to be ranked.
    pub rank_min_n: u32,
    /// 004 rule 19: bad ratings in 30 days above which (and above twice its
    /// own baseline) an item, unit or staff member is an alert.
    pub alert_bad_30d: u32,
    /// Whether the public page (`/open`) names the staff member of a
    /// rectified case by job number (never by name).
    pub publish_staff_numbers: bool,
    /// Issue 15: the shape ratings and rectifications are reported in.
    pub exchange_profile: crate::exchange::Profile,
    /// Put before a unit's code in `deptCode` / 部门编码 (e.g. a province prefix).
    pub exchange_dept_prefix: String,
    /// `dataSource` of every record this region reports.
    pub exchange_data_source: String,
    /// Issue 15: reminders carry a fixed address (`{PUBLIC_URL}/s`) and a
    /// 6-character rating code instead of a per-case link (for SMS gateways
    /// that refuse links in template variables). Default: the signed link.
    pub sms_rating_code: bool,
    /// Where the rules come from, e.g. "000 第十条".
    pub citation: String,
}

impl Policy {
    /// The ranking weights as `indicators` uses them.
    pub fn weights(&self) -> crate::indicators::Weights {
        let [good, rectification, on_time, participation] = self.rank_weights.map(|w| f64::from(w) / 100.0);
        crate::indicators::Weights {
            good,
            rectification,
            on_time,
            participation,
            min_n: u64::from(self.rank_min_n),
        }
    }
}

impl Default for Policy {
    /// The fallback where no region says otherwise: no default rating,
    /// 24 h reminder, the work-order limits of SPEC §5.
    fn default() -> Policy {
        Policy {
            default_level: None,
            default_after: Span::WorkingDays(5),
            reminder_hours: 24,
            follow_up_within: Span::Days(15),
            real_name: RealName::Encouraged,
            first_contact: Span::WorkingDays(1),
            rectify: Span::WorkingDays(15),
            rectify_extension: Span::WorkingDays(15),
            unit_sets_deadline: false,
            device_per_minute: 6,
            device_queue_hours: 24,
            rank_weights: [60, 20, 10, 10],
            rank_min_n: 30,
            alert_bad_30d: 5,
            publish_staff_numbers: false,
            exchange_profile: crate::exchange::Profile::Gbt39046,
            exchange_dept_prefix: String::new(),
            exchange_data_source: "haocha".into(),
            sms_rating_code: false,
            citation: String::new(),
        }
    }
}

/// What one region sets; unset fields come from the region above.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyOverride {
    /// `Some(None)` switches an inherited default rating off.
    #[serde(skip_serializing_if = "Option::is_none", with = "double_option")]
    pub default_level: Option<Option<Level>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_after: Option<Span>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reminder_hours: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up_within: Option<Span>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub real_name: Option<RealName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_contact: Option<Span>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rectify: Option<Span>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rectify_extension: Option<Span>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_sets_deadline: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_per_minute: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_queue_hours: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank_weights: Option<[u32; 4]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank_min_n: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert_bad_30d: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publish_staff_numbers: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange_profile: Option<crate::exchange::Profile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange_dept_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange_data_source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_rating_code: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citation: Option<String>,
}

mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize>(v: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// A policy setting outside the range the product allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {min}–{max}")]
pub struct RangeError {
    pub field: &'static str,
    pub min: u32,
    pub max: u32,
}

impl PolicyOverride {
    /// Checks the numbers a person typed: limits that make sense for a hall.
    pub fn check(&self) -> Result<(), RangeError> {
        let span_ok = |s: &Option<Span>, max: u32, field: &'static str| match s {
            Some(Span::WorkingDays(n) | Span::Days(n)) if *n == 0 || *n > max => Err(RangeError { field, min: 1, max }),
            _ => Ok(()),
        };
        span_ok(&self.default_after, 90, "default_after")?;
        span_ok(&self.follow_up_within, 365, "follow_up_within")?;
        // 0 working days: by the end of the same working day ("立即").
        if let Some(Span::WorkingDays(n) | Span::Days(n)) = self.first_contact {
            if n > 30 {
                return Err(RangeError {
                    field: "first_contact",
                    min: 0,
                    max: 30,
                });
            }
        }
        span_ok(&self.rectify, 90, "rectify")?;
        span_ok(&self.rectify_extension, 90, "rectify_extension")?;
        for (v, field, min, max) in [
            (self.reminder_hours, "reminder_hours", 1, 720),
            (self.device_per_minute, "device_per_minute", 1, 60),
            (self.device_queue_hours, "device_queue_hours", 1, 168),
            (self.rank_min_n, "rank_min_n", 1, 100_000),
            (self.alert_bad_30d, "alert_bad_30d", 1, 1_000_000),
            (self.rank_weights.map(|w| w.iter().sum()), "rank_weights", 100, 100),
        ] {
            if let Some(n) = v {
                if !(min..=max).contains(&n) {
                    return Err(RangeError { field, min, max });
                }
            }
        }
        // Codes that go into every exchange record: letters, digits, `-` and `_`.
        for (v, field, min) in [
            (&self.exchange_dept_prefix, "exchange_dept_prefix", 0),
            (&self.exchange_data_source, "exchange_data_source", 1),
        ] {
            if let Some(v) = v {
                let n = v.chars().count() as u32;
                if n < min || n > 32 || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                    return Err(RangeError { field, min, max: 32 });
                }
            }
        }
        Ok(())
    }
}

/// The policy in force for a region, from its chain of overrides, root first.
pub fn resolve<'a>(chain: impl IntoIterator<Item = &'a PolicyOverride>) -> Policy {
    let mut p = Policy::default();
    for o in chain {
        if let Some(v) = o.default_level {
            p.default_level = v;
        }
        if let Some(v) = o.default_after {
            p.default_after = v;
        }
        if let Some(v) = o.reminder_hours {
            p.reminder_hours = v;
        }
        if let Some(v) = o.follow_up_within {
            p.follow_up_within = v;
        }
        if let Some(v) = o.real_name {
            p.real_name = v;
        }
        if let Some(v) = o.first_contact {
            p.first_contact = v;
        }
        if let Some(v) = o.rectify {
            p.rectify = v;
        }
        if let Some(v) = o.rectify_extension {
            p.rectify_extension = v;
        }
        if let Some(v) = o.unit_sets_deadline {
            p.unit_sets_deadline = v;
        }
        if let Some(v) = o.device_per_minute {
            p.device_per_minute = v;
        }
        if let Some(v) = o.device_queue_hours {
            p.device_queue_hours = v;
        }
        if let Some(v) = o.rank_weights {
            p.rank_weights = v;
        }
        if let Some(v) = o.rank_min_n {
            p.rank_min_n = v;
        }
        if let Some(v) = o.alert_bad_30d {
            p.alert_bad_30d = v;
        }
        if let Some(v) = o.publish_staff_numbers {
            p.publish_staff_numbers = v;
        }
        if let Some(v) = o.exchange_profile {
            p.exchange_profile = v;
        }
        if let Some(v) = &o.exchange_dept_prefix {
            p.exchange_dept_prefix = v.clone();
        }
        if let Some(v) = &o.exchange_data_source {
            p.exchange_data_source = v.clone();
        }
        if let Some(v) = o.sms_rating_code {
            p.sms_rating_code = v;
        }
        if let Some(v) = &o.citation {
            p.citation = v.clone();
        }
    }
    p
}

/// The three seeds' policies, as the demo data ships them.
pub fn liaoning() -> PolicyOverride {
    PolicyOverride {
        default_level: Some(Some(Level::Satisfied)),
        default_after: Some(Span::WorkingDays(5)),
        real_name: Some(RealName::Encouraged),
        first_contact: Some(Span::WorkingDays(1)),
        rectify: Some(Span::WorkingDays(15)),
        rectify_extension: Some(Span::WorkingDays(15)),
        citation: Some("辽宁省政务服务“好差评”管理办法（000）第十条、第十一条".into()),
        ..Default::default()
    }
}

pub fn dehong() -> PolicyOverride {
    PolicyOverride {
        default_level: Some(Some(Level::BasicallySatisfied)),
        default_after: Some(Span::WorkingDays(5)),
        real_name: Some(RealName::Encouraged),
        // 003 三（三）: "立即核实" — by the end of the same working day.
        first_contact: Some(Span::WorkingDays(0)),
        rectify: Some(Span::WorkingDays(15)),
        // A longer deadline than the tier's, with its reason.
        unit_sets_deadline: Some(true),
        citation: Some("德宏州政务服务“好差评”制度实施方案（003）三（三）1–2".into()),
        ..Default::default()
    }
}

pub fn shanxi_demo_zone() -> PolicyOverride {
    PolicyOverride {
        default_level: Some(Some(Level::BasicallySatisfied)),
        default_after: Some(Span::Days(7)),
        real_name: Some(RealName::Required),
        // 004: the unit sets the handling deadline within the maximum.
        unit_sets_deadline: Some(true),
        rectify: Some(Span::WorkingDays(15)),
        citation: Some("山西转型综改示范区政务服务“好差评”制度（004）第八条：7日内未评价默认为“基本满意”".into()),
        ..Default::default()
    }
}

/// 新乡 (002 第六条): contact within 1 working day, investigate within 5,
/// complex matters within 15 ("1、5、15"); QC by the center before the rater
/// is answered.
pub fn xinxiang() -> PolicyOverride {
    PolicyOverride {
        default_level: Some(None),
        first_contact: Some(Span::WorkingDays(1)),
        rectify: Some(Span::WorkingDays(15)),
        rectify_extension: Some(Span::WorkingDays(15)),
        citation: Some("新乡经开区政务服务平台咨询投诉建议评价处理暂行办法（002）第六条：“1、5、15”时限".into()),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_region_inherits_from_above_and_overrides_what_it_sets() {
        let province = liaoning();
        let city = PolicyOverride {
            reminder_hours: Some(48),
            ..Default::default()
        };
        let p = resolve([&province, &city]);
        assert_eq!(p.default_level, Some(Level::Satisfied), "inherited");
        assert_eq!(p.default_after, Span::WorkingDays(5));
        assert_eq!(p.reminder_hours, 48, "overridden");
        let off = PolicyOverride {
            default_level: Some(None),
            ..Default::default()
        };
        assert_eq!(resolve([&province, &off]).default_level, None, "switched off below");
        assert_eq!(resolve([]).default_level, None, "no region, no default rating");
        assert_eq!(resolve([]).reminder_hours, 24);
    }

    #[test]
    fn the_three_seed_policies() {
        let cal = Calendar::builtin();
        // Completed Thursday 2025-09-25, 10:00 Beijing.
        let done = Utc.with_ymd_and_hms(2025, 9, 25, 2, 0, 0).unwrap();
        let ln = resolve([&liaoning()]);
        assert_eq!(ln.default_level, Some(Level::Satisfied));
        assert_eq!(
            ln.default_after.end_after(&cal, done),
            Utc.with_ymd_and_hms(2025, 10, 9, 16, 0, 0).unwrap()
        );
        let dh = resolve([&dehong()]);
        assert_eq!(dh.default_level, Some(Level::BasicallySatisfied));
        let sx = resolve([&shanxi_demo_zone()]);
        assert_eq!(sx.real_name, RealName::Required);
        // Seven calendar days, holidays or not: the end of 10-02.
        assert_eq!(
            sx.default_after.end_after(&cal, done),
            Utc.with_ymd_and_hms(2025, 10, 2, 16, 0, 0).unwrap()
        );
    }

    #[test]
    fn xinxiang_contacts_within_one_working_day_and_handles_by_tier() {
        let cal = Calendar::builtin();
        let xx = resolve([&xinxiang()]);
        assert_eq!(xx.default_level, None, "002 sets no default rating");
        assert!(!xx.unit_sets_deadline, "the “1、5、15” tiers decide");
        // Rated Friday 2025-09-26 16:00 Beijing: contact by the end of Sunday 09-28 (a 调休 working day).
        let rated = Utc.with_ymd_and_hms(2025, 9, 26, 8, 0, 0).unwrap();
        assert_eq!(
            xx.first_contact.due_from(&cal, rated),
            Utc.with_ymd_and_hms(2025, 9, 28, 16, 0, 0).unwrap()
        );
        // A general matter verified then: 5 working days → the end of 10-10 (National Day in between).
        assert_eq!(
            crate::work_order::due(&cal, rated, crate::work_order::Tier::General.working_days()),
            Utc.with_ymd_and_hms(2025, 10, 10, 16, 0, 0).unwrap()
        );
        assert!(resolve([&dehong()]).unit_sets_deadline && resolve([&shanxi_demo_zone()]).unit_sets_deadline);
        assert_eq!(resolve([&dehong()]).first_contact, Span::WorkingDays(0), "德宏: 立即");
    }

    #[test]
    fn overrides_round_trip_as_json_and_refuse_nonsense() {
        let o = liaoning();
        let json = serde_json::to_string(&o).unwrap();
        assert_eq!(serde_json::from_str::<PolicyOverride>(&json).unwrap(), o);
        let off: PolicyOverride = serde_json::from_str(r#"{"default_level": null}"#).unwrap();
        assert_eq!(off.default_level, Some(None));
        assert_eq!(serde_json::from_str::<PolicyOverride>("{}").unwrap(), PolicyOverride::default());
        assert!(serde_json::from_str::<PolicyOverride>(r#"{"colour": 1}"#).is_err());
        let bad = PolicyOverride {
            default_after: Some(Span::WorkingDays(0)),
            ..Default::default()
        };
        assert!(bad.check().is_err());
        assert!(liaoning().check().is_ok());
        // Device limits (issue 13 item 2): defaults, inherited, and in range.
        assert_eq!(
            (resolve([&liaoning()]).device_per_minute, resolve([&liaoning()]).device_queue_hours),
            (6, 24)
        );
        let city = PolicyOverride {
            device_per_minute: Some(3),
            ..Default::default()
        };
        assert_eq!(resolve([&liaoning(), &city]).device_per_minute, 3);
        let too_long = PolicyOverride {
            device_queue_hours: Some(169),
            ..Default::default()
        };
        assert_eq!(too_long.check().unwrap_err().field, "device_queue_hours");
    }
}
