//! The indicators of the 好差评 results (SPEC §6 and §8; 000 rules 11–14; 002
//! rule 8; 004 rules 16–19), as pure arithmetic over a [`Tally`] of one scope
//! × period. Storage counts; this module decides what the numbers mean, so the
//! pages, the API, the exports and the public page cannot drift apart.
//!
//! Formulas (first ratings only unless named; "valid" = not excluded by an
//! upheld appeal and not flagged as repeat/burst; default ratings are valid
//! ratings but are also counted apart):
//!
//! | indicator | formula |
//! |---|---|
//! | 参评率 participation | rated cases / completed cases |
//! | 未评价率 unrated | (completed − rated) / completed |
//! | 好评率 good rate | (非常满意 + 满意 + 基本满意) / valid |
//! | 满意率 satisfaction | (非常满意 + 满意) / valid |
//! | 差评率 bad rate | (不满意 + 非常不满意) / valid |
//! | 主动评价好评率 active good rate | the good rate over valid ratings that are not defaults |
//! | 平均分 average score | Σ score × count / valid (10 / 8 / 6 / 3 / 0) |
//! | 差评整改率 rectification | rectified bad / valid bad |
//! | 按期办结率 on time | orders closed on time / orders due in the period |
//! | 实名差评回访率 revisits | revisited real-name bad / real-name bad |
//!
//! Excluded, flagged, follow-up (rating count 2) and re-rating counts are kept
//! apart and never mixed into the rates. A rate with no denominator is `None`
//! (shown as “—”), never 0 % or 100 %.

use serde::{Deserialize, Serialize};

use crate::Level;

/// Counts of one scope × period, as storage gathers them. Adding two tallies
/// gives the tally of both (a region is the sum of its halls).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Cases completed in the period.
    pub completed: u64,
    /// Of those, cases with an active (not default) first rating.
    pub rated: u64,
    /// Valid first ratings per level, in [`Level::ALL`] order, defaults included.
    pub levels: [u64; 5],
    /// Of `levels`, the default ratings per level.
    pub default_levels: [u64; 5],
    /// Ratings excluded by an upheld appeal (kept, out of the rates).
    pub excluded: u64,
    /// Ratings flagged as repeat or burst (kept, out of the rates).
    pub flagged: u64,
    /// Follow-up ratings (追加评价, rating count 2).
    pub follow_ups: u64,
    /// Re-ratings after a closed work order (counted apart from first ratings).
    pub re_ratings: u64,
    /// Work orders of valid bad ratings that were rectified (closed, not by appeal).
    pub rectified: u64,
    /// Work orders due in the period, and those of them closed by their deadline.
    pub due: u64,
    pub closed_on_time: u64,
    /// Valid real-name bad ratings, and those with a revisit recorded.
    pub real_name_bad: u64,
    pub real_name_bad_revisited: u64,
    /// Appeals made, and appeals upheld.
    pub appeals: u64,
    pub appeals_upheld: u64,
}

/// A rate with its numerator and denominator, so that every rate is shown
/// with its n.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    pub num: u64,
    pub den: u64,
}

impl Rate {
    pub fn new(num: u64, den: u64) -> Rate {
        Rate { num, den }
    }

    /// The share in 0–1; `None` when there is nothing to divide by.
    pub fn value(self) -> Option<f64> {
        (self.den > 0).then(|| self.num as f64 / self.den as f64)
    }

    /// As a page shows it: “92.3%”, or “—” without a denominator.
    pub fn percent(self) -> String {
        match self.value() {
            Some(v) => format!("{:.1}%", v * 100.0),
            None => "—".into(),
        }
    }
}

fn good(levels: &[u64; 5]) -> u64 {
    levels[0] + levels[1] + levels[2]
}

fn sum(levels: &[u64; 5]) -> u64 {
    levels.iter().sum()
}

impl Tally {
    /// One valid first rating of `level`.
    pub fn count(&mut self, level: Level, default: bool) {
        let i = index(level);
        self.levels[i] += 1;
        if default {
            self.default_levels[i] += 1;
        }
    }

    /// Valid first ratings (defaults included).
    pub fn valid(&self) -> u64 {
        sum(&self.levels)
    }

    /// Valid default ratings.
    pub fn defaults(&self) -> u64 {
        sum(&self.default_levels)
    }

    pub fn of_level(&self, level: Level) -> u64 {
        self.levels[index(level)]
    }

    /// 参评率.
    pub fn participation_rate(&self) -> Rate {
        Rate::new(self.rated.min(self.completed), self.completed)
    }

    /// 未评价率.
    pub fn unrated_rate(&self) -> Rate {
        Rate::new(self.completed.saturating_sub(self.rated), self.completed)
    }

    /// 好评率.
    pub fn good_rate(&self) -> Rate {
        Rate::new(good(&self.levels), self.valid())
    }

    /// 满意率.
    pub fn satisfaction_rate(&self) -> Rate {
        Rate::new(self.levels[0] + self.levels[1], self.valid())
    }

    /// 差评率.
    pub fn bad_rate(&self) -> Rate {
        Rate::new(self.bad(), self.valid())
    }

    /// Valid bad ratings (defaults are never bad, but counted if a policy made one).
    pub fn bad(&self) -> u64 {
        self.levels[3] + self.levels[4]
    }

    /// 主动评价好评率: the good rate without the defaults.
    pub fn active_good_rate(&self) -> Rate {
        Rate::new(good(&self.levels) - good(&self.default_levels), self.valid() - self.defaults())
    }

    /// 平均分 over valid ratings; `None` without any.
    pub fn average_score(&self) -> Option<f64> {
        let n = self.valid();
        (n > 0).then(|| {
            let total: u64 = Level::ALL.iter().zip(self.levels.iter()).map(|(l, c)| l.score() as u64 * c).sum();
            total as f64 / n as f64
        })
    }

    /// 差评整改率.
    pub fn rectification_rate(&self) -> Rate {
        Rate::new(self.rectified.min(self.bad()), self.bad())
    }

    /// 按期办结率.
    pub fn on_time_rate(&self) -> Rate {
        Rate::new(self.closed_on_time.min(self.due), self.due)
    }

    /// 实名差评回访率.
    pub fn revisit_rate(&self) -> Rate {
        Rate::new(self.real_name_bad_revisited.min(self.real_name_bad), self.real_name_bad)
    }
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, o: Tally) {
        self.completed += o.completed;
        self.rated += o.rated;
        for i in 0..5 {
            self.levels[i] += o.levels[i];
            self.default_levels[i] += o.default_levels[i];
        }
        self.excluded += o.excluded;
        self.flagged += o.flagged;
        self.follow_ups += o.follow_ups;
        self.re_ratings += o.re_ratings;
        self.rectified += o.rectified;
        self.due += o.due;
        self.closed_on_time += o.closed_on_time;
        self.real_name_bad += o.real_name_bad;
        self.real_name_bad_revisited += o.real_name_bad_revisited;
        self.appeals += o.appeals;
        self.appeals_upheld += o.appeals_upheld;
    }
}

fn index(level: Level) -> usize {
    Level::ALL.iter().position(|l| *l == level).unwrap_or(0)
}

/// The Wilson score lower bound (95 %, z = 1.96) of a share of `k` in `n`:
/// what rankings sort by, so that 3 good of 3 does not outrank 970 of 1,000.
/// 0 without any observation.
pub fn wilson_lower(k: u64, n: u64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let z = 1.96_f64;
    let n = n as f64;
    let p = (k as f64 / n).min(1.0);
    let z2 = z * z;
    let centre = p + z2 / (2.0 * n);
    let margin = z * ((p * (1.0 - p) + z2 / (4.0 * n)) / n).sqrt();
    ((centre - margin) / (1.0 + z2 / n)).max(0.0)
}

/// The period a row of a breakdown covers (Beijing days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Period {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Period {
    pub const ALL: [Period; 5] = [Period::Day, Period::Week, Period::Month, Period::Quarter, Period::Year];

    pub fn code(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Year => "year",
        }
    }

    pub fn parse(s: &str) -> Option<Period> {
        Period::ALL.into_iter().find(|p| p.code() == s)
    }

    /// The bucket a day falls in: `2026-12-05`, `2026-W49` (ISO week),
    /// `2026-12`, `2026-Q4`, `2026`. Buckets sort as text in time order.
    pub fn bucket(self, day: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        match self {
            Period::Day => day.format("%Y-%m-%d").to_string(),
            Period::Week => {
                let w = day.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
            Period::Month => day.format("%Y-%m").to_string(),
            Period::Quarter => format!("{}-Q{}", day.year(), (day.month() - 1) / 3 + 1),
            Period::Year => day.year().to_string(),
        }
    }
}

/// What a breakdown groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Dimension {
    /// The unit responsible for the service item (the window's unit for
    /// static-code and kiosk ratings, which have no item).
    Unit,
    Item,
    Window,
    Staff,
    Hall,
    /// Rolled up the tree: a region's row holds its sub-regions' too.
    Region,
    Channel,
}

impl Dimension {
    pub const ALL: [Dimension; 7] = [
        Dimension::Unit,
        Dimension::Item,
        Dimension::Window,
        Dimension::Staff,
        Dimension::Hall,
        Dimension::Region,
        Dimension::Channel,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Dimension::Unit => "unit",
            Dimension::Item => "item",
            Dimension::Window => "window",
            Dimension::Staff => "staff",
            Dimension::Hall => "hall",
            Dimension::Region => "region",
            Dimension::Channel => "channel",
        }
    }

    pub fn parse(s: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.code() == s)
    }
}

/// How rankings weigh the indicators (a region's policy; these defaults
/// where it says nothing) and the fewest valid ratings a row needs to be
/// ranked at all. Each rate enters as its Wilson lower bound, so a small
/// sample is not ranked as if it were large.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    pub good: f64,
    pub rectification: f64,
    pub on_time: f64,
    pub participation: f64,
    pub min_n: u64,
}

impl Default for Weights {
    /// 好评率 60 %, 差评整改率 20 %, 按期办结率 10 %, 参评率 10 %; at least 30 ratings.
    fn default() -> Weights {
        Weights {
            good: 0.6,
            rectification: 0.2,
            on_time: 0.1,
            participation: 0.1,
            min_n: 30,
        }
    }
}

/// The composite score, 0–100: the weighted mean of the Wilson lower bounds
/// of the good, rectification, on-time and participation rates, over the
/// rates that have a denominator (the weights of the others are left out).
/// `None` below `min_n` valid ratings or without any weighed rate.
pub fn composite(t: &Tally, w: &Weights) -> Option<f64> {
    if t.valid() < w.min_n.max(1) {
        return None;
    }
    let parts = [
        (t.good_rate(), w.good),
        (t.rectification_rate(), w.rectification),
        (t.on_time_rate(), w.on_time),
        (t.participation_rate(), w.participation),
    ];
    let (mut sum, mut weight) = (0.0, 0.0);
    for (r, wt) in parts {
        if r.den > 0 && wt > 0.0 {
            sum += wt * wilson_lower(r.num, r.den);
            weight += wt;
        }
    }
    (weight > 0.0).then(|| 100.0 * sum / weight)
}

/// Ranks by score, highest first (1, 2, 2, 4 on ties); rows without a score
/// (too few ratings) get no rank.
pub fn ranks(scores: &[Option<f64>]) -> Vec<Option<u32>> {
    scores
        .iter()
        .map(|s| s.map(|s| 1 + scores.iter().filter(|o| o.is_some_and(|o| o > s + 1e-12)).count() as u32))
        .collect()
}

/// 004 rule 19's concentration alert: bad ratings of the last 30 days above
/// the policy's `threshold` and above twice the 30-day baseline of the 90
/// days before them (`bad_before_90` / 3).
pub fn concentrated(bad_30: u64, bad_before_90: u64, threshold: u64) -> bool {
    bad_30 > threshold && bad_30 * 3 > 2 * bad_before_90
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hall's month, by hand: 40 cases completed, 30 rated actively, 5
    /// left to the default 满意 (Liaoning: 基本满意 elsewhere), 1 excluded by an
    /// upheld appeal, 2 flagged repeats, 1 follow-up.
    fn month() -> Tally {
        let mut t = Tally {
            completed: 40,
            rated: 30,
            excluded: 1,
            flagged: 2,
            follow_ups: 1,
            ..Default::default()
        };
        // Active: 12 非常满意, 10 满意, 4 基本满意, 3 不满意, 1 非常不满意.
        for (level, n) in [
            (Level::VerySatisfied, 12),
            (Level::Satisfied, 10),
            (Level::BasicallySatisfied, 4),
            (Level::Dissatisfied, 3),
            (Level::VeryDissatisfied, 1),
        ] {
            for _ in 0..n {
                t.count(level, false);
            }
        }
        for _ in 0..5 {
            t.count(Level::Satisfied, true);
        }
        t.rectified = 3;
        t.due = 5;
        t.closed_on_time = 4;
        t.real_name_bad = 2;
        t.real_name_bad_revisited = 1;
        t
    }

    #[test]
    fn the_rates_are_the_hand_computed_ones() {
        let t = month();
        assert_eq!(t.valid(), 35);
        assert_eq!(t.defaults(), 5);
        assert_eq!(t.participation_rate(), Rate::new(30, 40));
        assert_eq!(t.unrated_rate(), Rate::new(10, 40));
        // good: 12 + 10 + 4 + 5 defaults = 31 of 35.
        assert_eq!(t.good_rate(), Rate::new(31, 35));
        assert_eq!(t.good_rate().percent(), "88.6%");
        // active good: 26 of 30.
        assert_eq!(t.active_good_rate(), Rate::new(26, 30));
        assert_eq!(t.satisfaction_rate(), Rate::new(27, 35));
        assert_eq!(t.bad_rate(), Rate::new(4, 35));
        // (12·10 + 15·8 + 4·6 + 3·3 + 1·0) / 35 = 273 / 35 = 7.8
        let avg = t.average_score().unwrap();
        assert!((avg - 7.8).abs() < 1e-9, "{avg}");
        assert_eq!(t.rectification_rate(), Rate::new(3, 4));
        assert_eq!(t.on_time_rate(), Rate::new(4, 5));
        assert_eq!(t.revisit_rate(), Rate::new(1, 2));
        // Kept apart, never in a rate.
        assert_eq!((t.excluded, t.flagged, t.follow_ups), (1, 2, 1));
    }

    #[test]
    fn nothing_to_divide_by_is_no_rate_not_zero_or_full() {
        let t = Tally::default();
        for r in [
            t.participation_rate(),
            t.good_rate(),
            t.active_good_rate(),
            t.bad_rate(),
            t.on_time_rate(),
        ] {
            assert_eq!(r.value(), None);
            assert_eq!(r.percent(), "—");
        }
        assert_eq!(t.average_score(), None);
        // Only defaults: a good rate, but no active good rate.
        let mut d = Tally::default();
        d.count(Level::BasicallySatisfied, true);
        assert_eq!(d.good_rate().percent(), "100.0%");
        assert_eq!(d.active_good_rate().value(), None);
    }

    #[test]
    fn a_region_is_the_sum_of_its_halls() {
        let mut region = month();
        region += month();
        assert_eq!(region.valid(), 70);
        assert_eq!(region.good_rate(), Rate::new(62, 70));
        assert_eq!(region.participation_rate(), Rate::new(60, 80));
        assert_eq!(region.excluded, 2);
    }

    #[test]
    fn small_samples_rank_below_large_ones_with_the_same_share() {
        assert_eq!(wilson_lower(0, 0), 0.0);
        let three_of_three = wilson_lower(3, 3);
        let many = wilson_lower(970, 1000);
        assert!(three_of_three < many, "{three_of_three} < {many}");
        assert!((0.0..=1.0).contains(&three_of_three));
        // Known value: 8 of 10 at 95 % → 0.4902.
        assert!((wilson_lower(8, 10) - 0.4902).abs() < 1e-3, "{}", wilson_lower(8, 10));
        assert!(wilson_lower(10, 10) < 1.0);
    }

    #[test]
    fn days_fall_in_their_buckets() {
        let d = |y, m, dd| chrono::NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(Period::Day.bucket(d(2026, 12, 5)), "2026-12-05");
        assert_eq!(Period::Week.bucket(d(2026, 12, 5)), "2026-W49");
        // 2027-01-01 is a Friday: ISO week 53 of 2026.
        assert_eq!(Period::Week.bucket(d(2027, 1, 1)), "2026-W53");
        assert_eq!(Period::Month.bucket(d(2026, 12, 5)), "2026-12");
        assert_eq!(Period::Quarter.bucket(d(2026, 3, 31)), "2026-Q1");
        assert_eq!(Period::Quarter.bucket(d(2026, 4, 1)), "2026-Q2");
        assert_eq!(Period::Year.bucket(d(2026, 12, 31)), "2026");
        assert_eq!(Period::parse("quarter"), Some(Period::Quarter));
        assert_eq!(Dimension::parse("staff"), Some(Dimension::Staff));
        assert_eq!(Dimension::parse("hour"), None);
    }

    #[test]
    fn rankings_weigh_wilson_bounds_and_leave_small_samples_unranked() {
        let w = Weights::default();
        let rated = |good: u64, bad: u64| {
            let mut t = Tally::default();
            for _ in 0..good {
                t.count(Level::Satisfied, false);
            }
            for _ in 0..bad {
                t.count(Level::Dissatisfied, false);
            }
            t
        };
        // 5 of 5 good: too few to rank (min 30).
        assert_eq!(composite(&rated(5, 0), &w), None);
        // Only the good rate has a denominator: the score is its Wilson bound.
        let all_good = rated(1000, 0);
        let s = composite(&all_good, &w).unwrap();
        assert!((s - 100.0 * wilson_lower(1000, 1000)).abs() < 1e-9, "{s}");
        // 30 of 30 is below 1,000 of 1,000: the same share, a smaller sample.
        let small = composite(&rated(30, 0), &w).unwrap();
        assert!(small < s, "{small} < {s}");
        // With bad ratings, rectification weighs in (0.6 and 0.2 of 0.8).
        let some_bad = rated(970, 30);
        let open = composite(&some_bad, &w).unwrap();
        let by_hand = 100.0 * (0.6 * wilson_lower(970, 1000) + 0.2 * wilson_lower(0, 30)) / 0.8;
        assert!((open - by_hand).abs() < 1e-9, "{open} vs {by_hand}");
        let mut fixed = some_bad;
        fixed.rectified = 30;
        assert!(composite(&fixed, &w).unwrap() > open);
        assert_eq!(
            ranks(&[Some(80.0), None, Some(90.0), Some(80.0)]),
            [Some(2), None, Some(1), Some(2)]
        );
    }

    #[test]
    fn a_concentration_needs_the_threshold_and_twice_the_baseline() {
        // Threshold 5: 6 bad in 30 days against 6 in the 90 before (2 a month): alert.
        assert!(concentrated(6, 6, 5));
        // Not above the threshold.
        assert!(!concentrated(5, 0, 5));
        // Above it but not twice the usual (9 in 90 days = 3 a month; 6 is not > 6).
        assert!(!concentrated(6, 9, 5));
        assert!(concentrated(7, 9, 5));
    }
}
