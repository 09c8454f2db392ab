//! Issue 15: one exchange record per reported fact, in each profile's shape.
//!
//! A [`Record`] is what haocha knows of one fact — a rating (first, follow-up
//! or default), the exclusion of a rating after an upheld appeal, or a work
//! order's outcome (整改) — already scoped and masked by the store. A
//! [`Profile`] turns it into the ordered fields a platform takes; JSON lines
//! and CSV are written from those fields, so a pushed body, an exported file
//! and the golden files in `domain/tests/golden/` are one and the same shape.
//!
//! Every profile emits the same columns for every kind of fact (the columns of
//! another kind are null), so one file can carry a period's facts of all kinds.
//! Times are Beijing time. Comments are masked (`mask_personal`): phone and ID
//! numbers never leave haocha.

use chrono::{DateTime, Utc};

use super::{gbt39046_channel, gbt39046_satisfaction, ProvinceProfile};
use crate::values::mask_personal;
use crate::{Channel, Level, Tag};

/// An exchange profile: the shape one platform takes. Per region (policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// GB/T 39046-2020 table 9 (政务服务平台基础数据规范, 好差评数据).
    Gbt39046,
    /// The provincial report shape with `pf` code set A (7 = 系统默认评价).
    ProvinceA,
    /// The provincial report shape with `pf` code set B (5 自助终端, 6 电话, 7 短信).
    ProvinceB,
}

impl Profile {
    pub const ALL: [Profile; 3] = [Profile::Gbt39046, Profile::ProvinceA, Profile::ProvinceB];

    /// The name used in policies, on the command line and in file names.
    pub fn code(self) -> &'static str {
        match self {
            Profile::Gbt39046 => "gbt39046",
            Profile::ProvinceA => "province-a",
            Profile::ProvinceB => "province-b",
        }
    }

    pub fn parse(s: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.code() == s.trim())
    }

    pub(super) fn province(self) -> Option<ProvinceProfile> {
        match self {
            Profile::Gbt39046 => None,
            Profile::ProvinceA => Some(ProvinceProfile::A),
            Profile::ProvinceB => Some(ProvinceProfile::B),
        }
    }

    /// The column names, in order.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Profile::Gbt39046 => &GBT_COLUMNS,
            Profile::ProvinceA | Profile::ProvinceB => &PROVINCE_COLUMNS,
        }
    }

    /// The record's fields in this profile's shape, in [`Profile::columns`] order.
    pub fn fields(self, r: &Record) -> Vec<(&'static str, Cell)> {
        let values = match self.province() {
            None => gbt_values(r),
            Some(p) => province_values(p, r),
        };
        self.columns().iter().copied().zip(values).collect()
    }

    /// One JSON object (the pushed body and a line of a `jsonl` file).
    pub fn json(self, r: &Record) -> String {
        let mut out = String::from("{");
        for (i, (k, v)) in self.fields(r).into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&json_string(k));
            out.push(':');
            out.push_str(&v.json());
        }
        out.push('}');
        out
    }

    /// The CSV header line (no line end).
    pub fn csv_header(self) -> String {
        self.columns().iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(",")
    }

    /// One CSV line (no line end). A cell starting with `= + - @` is
    /// neutralised with a leading `'` (the file may be opened in a spreadsheet).
    pub fn csv_row(self, r: &Record) -> String {
        self.fields(r)
            .into_iter()
            .map(|(_, v)| match v {
                Cell::Null => String::new(),
                Cell::Int(n) => n.to_string(),
                Cell::Text(t) => csv_cell(&neutralise(&t)),
            })
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// What a fact is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// A rating: first (评价次数 1), follow-up (2), or a default rating (channel `Default`).
    Rating,
    /// The rating was taken out of the numbers after an upheld appeal (申诉核实).
    Exclusion { at: DateTime<Utc>, reason: String },
    /// The rating's work order was closed: its outcome and, where done, the revisit.
    Rectification {
        result: String,
        at: DateTime<Utc>,
        revisited_at: Option<DateTime<Utc>>,
        revisit: Option<String>,
    },
}

impl Fact {
    fn kind(&self) -> (i64, &'static str) {
        match self {
            Fact::Rating => (1, "评价"),
            Fact::Exclusion { .. } => (2, "作废"),
            Fact::Rectification { .. } => (3, "整改"),
        }
    }
}

/// 评价人性质 (userProp).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RaterKind {
    /// 1 自然人.
    Person,
    /// 2 企业法人.
    Enterprise,
}

/// One fact as the store reads it, scoped and masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// This record's id: the same on every retry of this fact, never another fact's.
    pub id: String,
    /// The id of the rating record this fact is about (its own id for a rating).
    pub rating_record: String,
    pub fact: Fact,
    /// 办件编号; none for a static-code or kiosk rating without a case.
    pub case_number: Option<String>,
    pub channel: Channel,
    pub level: Level,
    /// 评价次数: 1 first, 2 follow-up (追评).
    pub assess_number: u8,
    /// 评价人 as it may leave haocha (a masked phone, or none: 匿名).
    pub rater: Option<String>,
    pub rater_kind: RaterKind,
    pub rated_at: DateTime<Utc>,
    /// The rater's words, masked again here.
    pub comment: Option<String>,
    pub tags: Vec<Tag>,
    /// 行政区划 (n..9).
    pub region_code: String,
    /// deptCode: the unit's code with the region policy's prefix.
    pub dept_code: String,
    /// proDepart: the unit's name.
    pub dept_name: String,
    pub task_code: Option<String>,
    pub task_name: Option<String>,
    /// handleUserName: the staff member, as the policy lets it leave.
    pub staff: Option<String>,
    pub accepted_at: Option<DateTime<Utc>>,
    /// promisetime: `Some(false)` 1 即办, `Some(true)` 2 承诺.
    pub promised: Option<bool>,
    /// dataSource, from the region policy.
    pub data_source: String,
}

/// A field value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Null,
}

impl Cell {
    fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    fn opt(s: Option<impl Into<String>>) -> Cell {
        s.map(Cell::text).unwrap_or(Cell::Null)
    }

    fn json(&self) -> String {
        match self {
            Cell::Text(t) => json_string(t),
            Cell::Int(n) => n.to_string(),
            Cell::Null => "null".into(),
        }
    }
}

const GBT_COLUMNS: [&str; 22] = [
    "记录编号",
    "数据类型",
    "关联记录编号",
    "办件编号",
    "评价渠道",
    "评价人",
    "评价时间",
    "评价次数",
    "满意度",
    "满意度代码",
    "默认评价",
    "文字评价",
    "评价标签",
    "行政区划",
    "部门编码",
    "事项编码",
    "作废时间",
    "作废原因",
    "整改结果",
    "整改时间",
    "回访时间",
    "回访结果",
];

const PROVINCE_COLUMNS: [&str; 29] = [
    "recordId",
    "dataType",
    "refRecordId",
    "projectNo",
    "pf",
    "deptCode",
    "taskCode",
    "taskName",
    "proStatus",
    "proDepart",
    "userName",
    "userProp",
    "handleUserName",
    "satisfaction",
    "isDefault",
    "evalDetail",
    "writingEvaluation",
    "assessTime",
    "assessNumber",
    "dataSource",
    "acceptDate",
    "promisetime",
    "areaCode",
    "invalidTime",
    "invalidReason",
    "rectifyResult",
    "rectifyTime",
    "visitTime",
    "visitResult",
];

/// GB/T 39046 time: `YYYYMMDDThhmmss`, Beijing time.
pub fn gbt_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::calendar::cst()).format("%Y%m%dT%H%M%S").to_string()
}

/// Provincial time: `yyyy-MM-dd HH:mm:ss`, Beijing time.
pub fn province_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::calendar::cst()).format("%Y-%m-%d %H:%M:%S").to_string()
}

fn comment(r: &Record) -> Cell {
    Cell::opt(r.comment.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(mask_personal))
}

fn tags_zh(r: &Record, sep: &str) -> Cell {
    if r.tags.is_empty() {
        Cell::Null
    } else {
        Cell::text(r.tags.iter().map(|t| t.label_zh()).collect::<Vec<_>>().join(sep))
    }
}

/// The columns after the rating's own: exclusion, then rectification.
fn outcome(r: &Record, time: fn(DateTime<Utc>) -> String) -> [Cell; 6] {
    match &r.fact {
        Fact::Rating => [Cell::Null, Cell::Null, Cell::Null, Cell::Null, Cell::Null, Cell::Null],
        Fact::Exclusion { at, reason } => [
            Cell::text(time(*at)),
            Cell::text(mask_personal(reason)),
            Cell::Null,
            Cell::Null,
            Cell::Null,
            Cell::Null,
        ],
        Fact::Rectification {
            result,
            at,
            revisited_at,
            revisit,
        } => [
            Cell::Null,
            Cell::Null,
            Cell::text(mask_personal(result)),
            Cell::text(time(*at)),
            Cell::opt(revisited_at.map(time)),
            Cell::opt(revisit.as_deref().map(mask_personal)),
        ],
    }
}

fn gbt_values(r: &Record) -> Vec<Cell> {
    let (_, kind) = r.fact.kind();
    let mut v = vec![
        Cell::text(&r.id),
        Cell::text(kind),
        Cell::opt((r.fact != Fact::Rating).then(|| r.rating_record.clone())),
        Cell::opt(r.case_number.clone()),
        Cell::text(gbt39046_channel(r.channel)),
        Cell::text(r.rater.clone().unwrap_or_else(|| "匿名".into())),
        Cell::text(gbt_time(r.rated_at)),
        Cell::Int(r.assess_number.into()),
        Cell::text(r.level.label_zh()),
        Cell::text(gbt39046_satisfaction(r.level).to_string()),
        Cell::text(if r.channel == Channel::Default { "是" } else { "否" }),
        comment(r),
        tags_zh(r, "、"),
        Cell::text(&r.region_code),
        Cell::text(&r.dept_code),
        Cell::opt(r.task_code.clone()),
    ];
    v.extend(outcome(r, gbt_time));
    v
}

fn province_values(p: ProvinceProfile, r: &Record) -> Vec<Cell> {
    let (kind, _) = r.fact.kind();
    let mut v = vec![
        Cell::text(&r.id),
        Cell::Int(kind),
        Cell::opt((r.fact != Fact::Rating).then(|| r.rating_record.clone())),
        Cell::opt(r.case_number.clone()),
        Cell::text(p.pf(r.channel).to_string()),
        Cell::text(&r.dept_code),
        Cell::opt(r.task_code.clone()),
        Cell::opt(r.task_name.clone()),
        // 办件状态: a case is rated once it is done (办结).
        Cell::text(if r.case_number.is_some() { "办结" } else { "" }),
        Cell::text(&r.dept_name),
        Cell::text(r.rater.clone().unwrap_or_else(|| "匿名".into())),
        Cell::text(match r.rater_kind {
            RaterKind::Person => "1",
            RaterKind::Enterprise => "2",
        }),
        Cell::opt(r.staff.clone()),
        Cell::text(p.satisfaction(r.level).to_string()),
        Cell::text(if r.channel == Channel::Default { "1" } else { "0" }),
        tags_zh(r, ","),
        comment(r),
        Cell::text(province_time(r.rated_at)),
        Cell::text(r.assess_number.to_string()),
        Cell::text(&r.data_source),
        Cell::opt(r.accepted_at.map(province_time)),
        Cell::opt(r.promised.map(|p| if p { "2" } else { "1" })),
        Cell::text(&r.region_code),
    ];
    v.extend(outcome(r, province_time));
    v
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn neutralise(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
