//! Issue 15: every profile's shape, byte for byte. The fixtures hold one first
//! rating of every channel and level, a follow-up, a default, a static-code
//! rating without a case, an exclusion and a rectification. After a deliberate
//! change of a shape, `HAOCHA_UPDATE_GOLDEN=1 cargo test -p domain --test
//! exchange_golden` rewrites the files; review their diff before committing.

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::exchange::{Fact, Profile, RaterKind, Record};
use domain::{Channel, Level, Tag};

fn at(h: u32, m: u32) -> DateTime<Utc> {
    // 2026-11-27 in UTC; Beijing is 8 hours ahead.
    Utc.with_ymd_and_hms(2026, 11, 27, h, m, 5).single().expect("a valid time")
}

fn base(n: usize, channel: Channel, level: Level) -> Record {
    Record {
        id: format!("HC-R-{n}"),
        rating_record: format!("HC-R-{n}"),
        fact: Fact::Rating,
        case_number: Some(format!("SY2026112700{n:02}")),
        channel,
        level,
        assess_number: 1,
        rater: Some("138****8000".into()),
        rater_kind: RaterKind::Person,
        rated_at: at(1, n as u32),
        comment: None,
        tags: Vec::new(),
        region_code: "210102".into(),
        dept_code: "LN11210100MB0003".into(),
        dept_name: "沈阳市和平区市场监督管理局".into(),
        task_code: Some("11210100MB0003-001".into()),
        task_name: Some("个体工商户设立登记".into()),
        staff: Some("张三".into()),
        accepted_at: Some(at(0, 30)),
        promised: Some(n.is_multiple_of(2)),
        data_source: "HAOCHA".into(),
    }
}

fn fixtures() -> Vec<Record> {
    let mut v: Vec<Record> = Channel::ALL
        .into_iter()
        .filter(|c| *c != Channel::Default)
        .enumerate()
        .map(|(i, c)| base(i + 1, c, Level::ALL[i % 5]))
        .collect();
    // A bad rating with reasons and words that must not leave as written.
    let mut bad = base(11, Channel::DynamicQr, Level::VeryDissatisfied);
    bad.tags = vec![Tag::Efficiency, Tag::Attitude];
    bad.comment = Some("排队太久, 打电话 13912345678 没人接\n\"第二次\"".into());
    v.push(bad.clone());
    // An enterprise's follow-up (追评) of case 3.
    let mut follow = base(3, Channel::Mobile, Level::Dissatisfied);
    follow.id = "HC-R-12".into();
    follow.rating_record = "HC-R-12".into();
    follow.assess_number = 2;
    follow.rater_kind = RaterKind::Enterprise;
    follow.rated_at = at(1, 3) + Duration::days(2);
    follow.comment = Some("=HYPERLINK(\"x\")".into());
    v.push(follow);
    // A default rating: no rater, no words.
    let mut default = base(13, Channel::Default, Level::Satisfied);
    default.id = "HC-D-1".into();
    default.rating_record = "HC-D-1".into();
    default.rater = None;
    default.promised = None;
    v.push(default);
    // A static-code rating: no case, no item, anonymous.
    let mut place = base(14, Channel::StaticQr, Level::Dissatisfied);
    place.id = "HC-P-1".into();
    place.rating_record = "HC-P-1".into();
    place.case_number = None;
    place.task_code = None;
    place.task_name = None;
    place.accepted_at = None;
    place.promised = None;
    place.rater = None;
    place.staff = None;
    v.push(place);
    // The bad rating excluded after an upheld appeal, and rectified.
    let mut excluded = bad.clone();
    excluded.id = "HC-X-11".into();
    excluded.fact = Fact::Exclusion {
        at: at(6, 0) + Duration::days(3),
        reason: "申诉核实: 评价人 13912345678 误评".into(),
    };
    v.push(excluded);
    let mut fixed = bad;
    fixed.id = "HC-W-11".into();
    fixed.fact = Fact::Rectification {
        result: "已调整窗口排班, 高峰期增开 2 个窗口".into(),
        at: at(7, 30) + Duration::days(4),
        revisited_at: Some(at(8, 0) + Duration::days(5)),
        revisit: Some("满意".into()),
    };
    v.push(fixed);
    v
}

fn check(name: &str, got: String) {
    let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("HAOCHA_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &got).expect("golden file written");
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    if want != got {
        for (i, (w, g)) in want.lines().zip(got.lines()).enumerate() {
            assert_eq!(w, g, "{name}: line {} differs", i + 1);
        }
        assert_eq!(want.lines().count(), got.lines().count(), "{name}: line count");
        panic!("{name}: differs (line ends?)");
    }
}

#[test]
fn every_profile_writes_the_golden_jsonl_byte_for_byte() {
    for p in Profile::ALL {
        let body: String = fixtures().iter().map(|r| p.json(r) + "\n").collect();
        check(&format!("{}.jsonl", p.code()), body);
    }
}

#[test]
fn every_profile_writes_the_golden_csv_byte_for_byte() {
    for p in Profile::ALL {
        let mut body = p.csv_header() + "\r\n";
        for r in fixtures() {
            body += &(p.csv_row(&r) + "\r\n");
        }
        check(&format!("{}.csv", p.code()), body);
    }
}

#[test]
fn every_json_line_is_valid_json_with_the_profile_columns_in_order() {
    for p in Profile::ALL {
        for r in fixtures() {
            let line = p.json(&r);
            let v: serde_json::Value = serde_json::from_str(&line).expect("valid JSON");
            let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
            let mut want: Vec<&str> = p.columns().to_vec();
            want.sort();
            let mut got = keys.clone();
            got.sort();
            assert_eq!(got, want);
            // Nothing personal leaves: the phone in the words is masked.
            assert!(!line.contains("13912345678"), "{line}");
        }
    }
}

#[test]
fn what_we_push_reads_back_as_the_same_rating() {
    for p in Profile::ALL {
        for r in fixtures().into_iter().filter(|r| r.fact == Fact::Rating && r.case_number.is_some()) {
            let v: serde_json::Value = serde_json::from_str(&p.json(&r)).unwrap();
            let back = p.inbound(&v);
            if r.channel == Channel::Default {
                // A system default is not a citizen's rating: never taken in.
                assert!(back.is_err(), "{}: {:?}", p.code(), back);
                continue;
            }
            let back = back.unwrap_or_else(|e| panic!("{} {}: {e:?}", p.code(), r.id));
            assert_eq!(back.case_number, r.case_number.clone().unwrap());
            assert_eq!(back.level, r.level, "{} {}", p.code(), r.id);
            assert_eq!(back.assess_number, r.assess_number);
            assert_eq!(back.rated_at, r.rated_at);
            // Several of our channels share a platform code; the code itself round-trips.
            let again: serde_json::Value = serde_json::from_str(&p.json(&Record {
                channel: back.channel,
                ..r.clone()
            }))
            .unwrap();
            assert_eq!(again, v, "{} {}", p.code(), r.id);
        }
    }
}

#[test]
fn bad_inbound_records_name_the_field() {
    let p = Profile::ProvinceA;
    let ok = serde_json::json!({"projectNo":"SY1","pf":"3","satisfaction":"1","assessTime":"2026-11-27 09:30:00","assessNumber":"1"});
    let r = p.inbound(&ok).unwrap();
    assert_eq!(r.level, Level::VeryDissatisfied);
    assert_eq!(r.channel, Channel::DynamicQr);
    assert_eq!(r.rated_at, Utc.with_ymd_and_hms(2026, 11, 27, 1, 30, 0).unwrap());
    for (field, value) in [
        ("pf", serde_json::json!("7")),
        ("pf", serde_json::json!("9")),
        ("satisfaction", serde_json::json!(6)),
        ("satisfaction", serde_json::json!("x")),
        ("assessTime", serde_json::json!("2026/11/27 09:30")),
        ("assessNumber", serde_json::json!(3)),
        ("projectNo", serde_json::json!("  ")),
    ] {
        let mut bad = ok.clone();
        bad[field] = value;
        assert_eq!(p.inbound(&bad).unwrap_err().field, field);
    }
    // B: 6 is 电话, 7 is 短信.
    let mut b = ok.clone();
    b["pf"] = serde_json::json!(6);
    assert_eq!(Profile::ProvinceB.inbound(&b).unwrap().channel, Channel::Hotline);
    b["pf"] = serde_json::json!(7);
    assert_eq!(Profile::ProvinceB.inbound(&b).unwrap().channel, Channel::SmsLink);
    let g = serde_json::json!({"办件编号":"SY1","评价渠道":"短信","满意度代码":"1","评价时间":"20261127T093000"});
    let r = Profile::Gbt39046.inbound(&g).unwrap();
    assert_eq!((r.level, r.channel, r.assess_number), (Level::VerySatisfied, Channel::SmsLink, 1));
    assert_eq!(Profile::Gbt39046.inbound(&serde_json::json!([1])).unwrap_err().field, "body");
}
