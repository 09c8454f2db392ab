//! The working-day calendar (SPEC §4): the week, the public holidays and the
//! adjusted working weekends (调休) that the State Council publishes each year.
//!
//! The calendar is data: one text file per year under `domain/calendar/`
//! (built in), and further years an administrator loads (the store keeps them).
//! Each line is `DATE` or `FIRST..LAST`, then `R` (rest: public holiday) or `W`
//! (a weekend made a working day), then a name; `#` starts a comment. Days not
//! listed follow the week. Everything is in China Standard Time (UTC+8).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};

/// The years built into the binary, from the official notices.
pub const BUILTIN: [(i32, &str); 7] = [
    (2020, include_str!("../calendar/2020.txt")),
    (2021, include_str!("../calendar/2021.txt")),
    (2022, include_str!("../calendar/2022.txt")),
    (2023, include_str!("../calendar/2023.txt")),
    (2024, include_str!("../calendar/2024.txt")),
    (2025, include_str!("../calendar/2025.txt")),
    (2026, include_str!("../calendar/2026.txt")),
];

/// China Standard Time.
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The hall's calendar day of an instant.
pub fn day_of(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&cst()).date_naive()
}

/// 00:00 China Standard Time of a day, as an instant.
pub fn start_of(day: NaiveDate) -> DateTime<Utc> {
    cst()
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .single()
        .map(|t| t.with_timezone(&Utc))
        .expect("a fixed offset has no gaps")
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// What a line of a year file says about one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    /// A public holiday (or a day of its rest period).
    Rest,
    /// A weekend day made a working day (调休上班).
    Work,
}

/// The rules of one year: the days that differ from the week.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Year {
    pub year: i32,
    /// Day → (kind, name), for every listed day.
    pub days: BTreeMap<NaiveDate, (DayKind, String)>,
}

/// A line of a year file that cannot be taken, with its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("第 {line} 行 line {line}: {message}")]
pub struct CalendarError {
    pub line: usize,
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> CalendarError {
    CalendarError {
        line,
        message: message.into(),
    }
}

impl Year {
    /// Parses and checks a year file: dates that exist and lie in `year`, ranges
    /// in order, each day once, `W` only on a Saturday or Sunday, `R` at least
    /// once. Any error rejects the whole file.
    pub fn parse(year: i32, text: &str) -> Result<Year, CalendarError> {
        let mut days = BTreeMap::new();
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let line = raw.split('#').next().unwrap_or("").trim().trim_start_matches('\u{feff}');
            if line.is_empty() {
                continue;
            }
            let mut parts = line.splitn(3, char::is_whitespace);
            let span = parts.next().unwrap_or("");
            let kind = match parts.next().map(str::trim) {
                Some("R" | "r") => DayKind::Rest,
                Some("W" | "w") => DayKind::Work,
                Some(k) => {
                    return Err(err(
                        n,
                        format!("“{k}”应为 R（放假）或 W（调休上班） must be R (rest) or W (working)"),
                    ))
                }
                None => return Err(err(n, "缺少 R 或 W missing R or W")),
            };
            let name = parts.next().unwrap_or("").trim().to_string();
            let date = |s: &str| {
                NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| err(n, format!("“{s}”不是有效日期 is not a date (YYYY-MM-DD)")))
            };
            let (first, last) = match span.split_once("..") {
                Some((a, b)) => (date(a)?, date(b)?),
                None => (date(span)?, date(span)?),
            };
            if last < first {
                return Err(err(n, format!("{last} 早于 {first}: a range runs forward")));
            }
            if (last - first).num_days() > 31 {
                return Err(err(n, "一段日期不超过 31 天 a range is at most 31 days"));
            }
            let mut d = first;
            while d <= last {
                if d.year() != year {
                    return Err(err(n, format!("{d} 不属于 {year} 年 is not in {year}")));
                }
                if kind == DayKind::Work && !is_weekend(d) {
                    return Err(err(n, format!("{d} 不是周末，无需调休上班 is not a weekend day")));
                }
                if days.insert(d, (kind, name.clone())).is_some() {
                    return Err(err(n, format!("{d} 重复 is listed twice")));
                }
                d += Duration::days(1);
            }
        }
        if !days.values().any(|(k, _)| *k == DayKind::Rest) {
            return Err(err(0, format!("{year} 年没有任何节假日 no holiday listed")));
        }
        Ok(Year { year, days })
    }
}

/// The calendar: the week, with each known year's holidays and 调休.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeMap<i32, Year>,
}

impl Calendar {
    /// 2020–2026 from the official notices.
    pub fn builtin() -> Calendar {
        // Parsed once per process (every bad rating's deadline starts here).
        static PARSED: std::sync::OnceLock<Calendar> = std::sync::OnceLock::new();
        PARSED
            .get_or_init(|| {
                let mut c = Calendar::default();
                for (y, text) in BUILTIN {
                    // The built-in files are checked by the tests below.
                    if let Ok(year) = Year::parse(y, text) {
                        c.set(year);
                    }
                }
                c
            })
            .clone()
    }

    /// Adds or replaces a year (a loaded file overrides the built-in one).
    pub fn set(&mut self, year: Year) {
        self.years.insert(year.year, year);
    }

    pub fn years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    /// Whether the holidays of `year` are known (otherwise only the week counts).
    pub fn knows(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// The listed rule for a day, if any.
    pub fn rule(&self, d: NaiveDate) -> Option<&(DayKind, String)> {
        self.years.get(&d.year())?.days.get(&d)
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.rule(d) {
            Some((DayKind::Rest, _)) => false,
            Some((DayKind::Work, _)) => true,
            None => !is_weekend(d),
        }
    }

    /// The `n`th working day after `day` (`n` = 0: `day` itself if working,
    /// else the next working day).
    pub fn add_working_days(&self, day: NaiveDate, n: u32) -> NaiveDate {
        let mut d = day;
        if n == 0 {
            while !self.is_working_day(d) {
                d += Duration::days(1);
            }
            return d;
        }
        let mut left = n;
        while left > 0 {
            d += Duration::days(1);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days strictly after the day of `from` up to and including the
    /// day of `to` (China Standard Time); 0 when `to` is not later.
    pub fn working_days_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> u32 {
        let (mut d, end) = (day_of(from), day_of(to));
        let mut n = 0;
        while d < end {
            d += Duration::days(1);
            if self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }

    /// A deadline of `n` working days from an instant: the end (24:00 CST) of
    /// the `n`th working day after the day of `t` — the day itself does not
    /// count, as a notice's "5个工作日内" is read.
    pub fn deadline(&self, t: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let last = self.add_working_days(day_of(t), n.max(1));
        start_of(last + Duration::days(1))
    }

    /// Every day of a year as `YYYY-MM-DD W` (working) or `YYYY-MM-DD R` (rest).
    pub fn days_of_year(&self, year: i32) -> Vec<String> {
        let mut out = Vec::with_capacity(366);
        let Some(mut d) = NaiveDate::from_ymd_opt(year, 1, 1) else {
            return out;
        };
        while d.year() == year {
            out.push(format!("{d} {}", if self.is_working_day(d) { 'W' } else { 'R' }));
            d += Duration::days(1);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// One year's notice: (year, rest periods, working weekends).
    type Notice = (i32, &'static [(&'static str, &'static str)], &'static [&'static str]);

    /// The official notices, day by day.
    const OFFICIAL: [Notice; 7] = [
        (
            2020,
            &[
                ("2020-01-01", "2020-01-01"),
                ("2020-01-24", "2020-02-02"),
                ("2020-04-04", "2020-04-06"),
                ("2020-05-01", "2020-05-05"),
                ("2020-06-25", "2020-06-27"),
                ("2020-10-01", "2020-10-08"),
            ],
            &["2020-01-19", "2020-04-26", "2020-05-09", "2020-06-28", "2020-09-27", "2020-10-10"],
        ),
        (
            2021,
            &[
                ("2021-01-01", "2021-01-03"),
                ("2021-02-11", "2021-02-17"),
                ("2021-04-03", "2021-04-05"),
                ("2021-05-01", "2021-05-05"),
                ("2021-06-12", "2021-06-14"),
                ("2021-09-19", "2021-09-21"),
                ("2021-10-01", "2021-10-07"),
            ],
            &[
                "2021-02-07",
                "2021-02-20",
                "2021-04-25",
                "2021-05-08",
                "2021-09-18",
                "2021-09-26",
                "2021-10-09",
            ],
        ),
        (
            2022,
            &[
                ("2022-01-01", "2022-01-03"),
                ("2022-01-31", "2022-02-06"),
                ("2022-04-03", "2022-04-05"),
                ("2022-04-30", "2022-05-04"),
                ("2022-06-03", "2022-06-05"),
                ("2022-09-10", "2022-09-12"),
                ("2022-10-01", "2022-10-07"),
            ],
            &[
                "2022-01-29",
                "2022-01-30",
                "2022-04-02",
                "2022-04-24",
                "2022-05-07",
                "2022-10-08",
                "2022-10-09",
            ],
        ),
        (
            2023,
            &[
                ("2023-01-01", "2023-01-02"),
                ("2023-01-21", "2023-01-27"),
                ("2023-04-05", "2023-04-05"),
                ("2023-04-29", "2023-05-03"),
                ("2023-06-22", "2023-06-24"),
                ("2023-09-29", "2023-10-06"),
            ],
            &[
                "2023-01-28",
                "2023-01-29",
                "2023-04-23",
                "2023-05-06",
                "2023-06-25",
                "2023-10-07",
                "2023-10-08",
            ],
        ),
        (
            2024,
            &[
                ("2024-01-01", "2024-01-01"),
                ("2024-02-10", "2024-02-17"),
                ("2024-04-04", "2024-04-06"),
                ("2024-05-01", "2024-05-05"),
                ("2024-06-10", "2024-06-10"),
                ("2024-09-15", "2024-09-17"),
                ("2024-10-01", "2024-10-07"),
            ],
            &[
                "2024-02-04",
                "2024-02-18",
                "2024-04-07",
                "2024-04-28",
                "2024-05-11",
                "2024-09-14",
                "2024-09-29",
                "2024-10-12",
            ],
        ),
        (
            2025,
            &[
                ("2025-01-01", "2025-01-01"),
                ("2025-01-28", "2025-02-04"),
                ("2025-04-04", "2025-04-06"),
                ("2025-05-01", "2025-05-05"),
                ("2025-05-31", "2025-06-02"),
                ("2025-10-01", "2025-10-08"),
            ],
            &["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"],
        ),
        (
            2026,
            &[
                ("2026-01-01", "2026-01-03"),
                ("2026-02-15", "2026-02-23"),
                ("2026-04-04", "2026-04-06"),
                ("2026-05-01", "2026-05-05"),
                ("2026-06-19", "2026-06-21"),
                ("2026-09-25", "2026-09-27"),
                ("2026-10-01", "2026-10-07"),
            ],
            &["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
        ),
    ];

    #[test]
    fn every_built_in_year_parses() {
        for (y, text) in BUILTIN {
            Year::parse(y, text).unwrap_or_else(|e| panic!("{y}: {e}"));
        }
        assert_eq!(Calendar::builtin().years(), (2020..=2026).collect::<Vec<_>>());
    }

    #[test]
    fn every_day_of_2020_to_2026_is_what_the_notices_say() {
        let c = Calendar::builtin();
        for (year, rests, works) in OFFICIAL {
            let mut day = d(&format!("{year}-01-01"));
            while day.year() == year {
                let s = day.format("%Y-%m-%d").to_string();
                let in_rest = rests.iter().any(|(a, b)| day >= d(a) && day <= d(b));
                let expected = if works.contains(&s.as_str()) {
                    true
                } else if in_rest {
                    false
                } else {
                    !is_weekend(day)
                };
                assert_eq!(c.is_working_day(day), expected, "{s}");
                day += Duration::days(1);
            }
        }
    }

    #[test]
    fn the_issue_s_examples() {
        let c = Calendar::builtin();
        assert!(c.is_working_day(d("2024-02-04")), "a working Sunday");
        assert!(c.is_working_day(d("2024-02-18")), "a working Sunday");
        for day in 1..=8 {
            assert!(!c.is_working_day(d(&format!("2025-10-0{day}"))));
        }
        assert!(c.is_working_day(d("2025-10-09")));
        assert!(!c.is_working_day(d("2027-01-02")), "an unknown year follows the week");
        assert!(c.is_working_day(d("2027-01-04")));
    }

    #[test]
    fn working_day_arithmetic_skips_holidays_and_counts_adjusted_weekends() {
        let c = Calendar::builtin();
        // Completed Thursday 2025-09-25: Fri 26, Sun 28 (调休), Mon 29, Tue 30, then the
        // holiday to 10-08, Thu 10-09 is the fifth.
        assert_eq!(c.add_working_days(d("2025-09-25"), 5), d("2025-10-09"));
        assert_eq!(c.add_working_days(d("2025-10-03"), 0), d("2025-10-09"));
        assert_eq!(c.add_working_days(d("2024-02-08"), 1), d("2024-02-09"));
        assert_eq!(
            c.add_working_days(d("2024-02-09"), 1),
            d("2024-02-18"),
            "over 春节 to a working Sunday"
        );
        // Deadline: the end of that day, 24:00 Beijing time = 16:00 UTC.
        let done = Utc.with_ymd_and_hms(2025, 9, 25, 2, 0, 0).unwrap();
        assert_eq!(c.deadline(done, 5), Utc.with_ymd_and_hms(2025, 10, 9, 16, 0, 0).unwrap());
        // A completion late in the evening UTC is already the next day in Beijing.
        let late = Utc.with_ymd_and_hms(2025, 9, 25, 17, 0, 0).unwrap(); // 09-26 01:00 CST
        assert_eq!(c.deadline(late, 1), Utc.with_ymd_and_hms(2025, 9, 28, 16, 0, 0).unwrap());
        assert_eq!(
            c.working_days_between(done, Utc.with_ymd_and_hms(2025, 10, 9, 15, 59, 0).unwrap()),
            5
        );
        assert_eq!(c.working_days_between(done, done), 0);
        assert_eq!(c.working_days_between(done, done - Duration::days(3)), 0);
    }

    #[test]
    fn days_of_a_year_print_one_line_each() {
        let days = Calendar::builtin().days_of_year(2024);
        assert_eq!(days.len(), 366);
        assert_eq!(days[0], "2024-01-01 R");
        assert_eq!(days[1], "2024-01-02 W");
        assert!(days.contains(&"2024-02-04 W".to_string()));
        assert!(days.contains(&"2024-02-17 R".to_string()));
    }

    #[test]
    fn a_bad_file_is_refused_whole_with_its_line() {
        let e = Year::parse(2027, "2027-01-01 R 元旦\n2027-02-30 R 春节\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("2027-02-30"));
        let e = Year::parse(2027, "2027-01-01 R 元旦\n2026-12-31..2027-01-01 R 元旦\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = Year::parse(2027, "2027-01-01 R 元旦\n2027-01-01 R 又一次\n").unwrap_err();
        assert!(e.message.contains("重复"), "{e}");
        let e = Year::parse(2027, "2027-01-01 R 元旦\n2027-01-05 W 周二\n").unwrap_err();
        assert!(e.message.contains("不是周末"), "{e}");
        assert_eq!(Year::parse(2027, "2027-01-01 X 元旦\n").unwrap_err().line, 1);
        assert!(Year::parse(2027, "# nothing\n").is_err(), "a year without holidays");
        assert_eq!(Year::parse(2027, "\u{feff}# 2027\n2027-01-01 R 元旦\n").unwrap().days.len(), 1);
    }
}
