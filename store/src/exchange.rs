//! Issue 15: the exchange outbox (SPEC §7; 000 rules 16 and 20; 003 三（二）).
//!
//! Every fact a provincial or national platform is told of is a row of
//! `exchange_record`, written in the fact's own transaction by [`enqueue`]:
//! a case's item rating (first or follow-up), a default rating, a counted
//! static-code or kiosk rating, the exclusion of a rating after an upheld
//! appeal, a closed work order's outcome, and a revisit after closing. Its
//! `record_id` (`{region code}-{letter}-{row id}`) is fixed when the row is
//! written, so every attempt — also after a crash — carries the same id.
//!
//! The sender claims due rows like the SMS outbox (`FOR UPDATE SKIP LOCKED`
//! on PostgreSQL; marked `sending`, attempt counted and the next one
//! scheduled *before* the request goes out), renders each in its region's
//! profile ([`domain::exchange::Profile`], from the region policy) at send
//! time, and reports the platform's answer: 2xx `accepted`, 4xx `refused`
//! for good (shown on `/admin/exchange`, re-pushed by hand after a mapping
//! fix), anything else retried with backoff (1 min … 6 h) without end.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::exchange::{Fact, Profile, RaterKind, Record};
use domain::{Channel, Level, Tag};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};

use crate::crypto::DataKey;
use crate::entities::{
    default_rating, exchange_record, hall, item, place_rating, rating, region, service_case, service_window, staff, unit, work_order,
    work_order_event,
};
use crate::{immediate, Db, Error, Result};

mod admin;
mod inbound;
pub use admin::{overview, repush, DayLine, RefusedRow};
pub use inbound::{receive, Received};

/// What a row reports; the code is stored in `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Rating,
    Place,
    Default,
    Exclusion,
    ExclusionPlace,
    Rectification,
    Revisit,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Rating,
        Kind::Place,
        Kind::Default,
        Kind::Exclusion,
        Kind::ExclusionPlace,
        Kind::Rectification,
        Kind::Revisit,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Rating => "rating",
            Kind::Place => "place",
            Kind::Default => "default",
            Kind::Exclusion => "exclusion",
            Kind::ExclusionPlace => "exclusion_place",
            Kind::Rectification => "rectification",
            Kind::Revisit => "revisit",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == s)
    }

    /// The letter in the record id.
    fn letter(self) -> &'static str {
        match self {
            Kind::Rating => "R",
            Kind::Place => "P",
            Kind::Default => "D",
            Kind::Exclusion => "XR",
            Kind::ExclusionPlace => "XP",
            Kind::Rectification => "W",
            Kind::Revisit => "V",
        }
    }
}

/// Where the fact happened: a region by id, or by code (a case carries its code).
#[derive(Debug, Clone, Copy)]
pub enum At<'a> {
    Region(i32),
    Code(&'a str),
    Hall(i32),
}

/// Waits after the n-th failed attempt: 1 min, 5 min, 30 min, 2 h, then 6 h.
pub fn backoff(attempts: i32) -> Duration {
    crate::sms::backoff(attempts)
}

/// Writes the outbox row of a fact, in the fact's transaction. Writing the
/// same fact twice keeps the first row (its id is the fact's).
pub(crate) async fn enqueue<C: ConnectionTrait>(c: &C, kind: Kind, source_id: i32, at: At<'_>, now: DateTime<Utc>) -> Result<()> {
    let r = match at {
        At::Region(id) => region::Entity::find_by_id(id).one(c).await?,
        At::Code(code) => match crate::group::cached(|k| k.regions.get(code).cloned()) {
            Some(r) => Some(r),
            None => {
                let r = region::Entity::find().filter(region::Column::Code.eq(code)).one(c).await?;
                if let Some(r) = &r {
                    crate::group::remember(|k| {
                        k.regions.insert(code.to_string(), r.clone());
                    });
                }
                r
            }
        },
        At::Hall(h) => match hall::Entity::find_by_id(h).one(c).await? {
            Some(h) => region::Entity::find_by_id(h.region_id).one(c).await?,
            None => None,
        },
    }
    .ok_or(Error::NotFound("region"))?;
    let row = exchange_record::ActiveModel {
        record_id: Set(format!("{}-{}-{}", r.code, kind.letter(), source_id)),
        kind: Set(kind.code().into()),
        source_id: Set(source_id),
        region_id: Set(r.id),
        state: Set("pending".into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        created_at: Set(now),
        sent_at: Set(None),
        profile: Set(None),
        last_status: Set(None),
        last_answer: Set(None),
        ..Default::default()
    };
    // A plain shared commit writes it with its batch-mates' (`crate::group::Deferred`).
    if crate::group::defer(|d| d.records.push(row.clone())).is_some() {
        return Ok(());
    }
    exchange_record::Entity::insert(row)
        .on_conflict(OnConflict::column(exchange_record::Column::RecordId).do_nothing().to_owned())
        .exec_without_returning(c)
        .await?;
    Ok(())
}

/// What every stored item rating of a case (first or follow-up) brings in
/// its transaction: its outbox row, and for a bad one its work order.
pub(crate) async fn rating_stored(
    txn: &sea_orm::DatabaseTransaction,
    case: &service_case::Model,
    r: &rating::Model,
    now: DateTime<Utc>,
) -> Result<()> {
    enqueue(txn, Kind::Rating, r.id, At::Code(&case.region_code), now).await?;
    crate::work_orders::open_for_rating(txn, case, r, now).await?;
    Ok(())
}

/// The exchange settings of a region (policy, inherited).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub profile: Profile,
    pub dept_prefix: String,
    pub data_source: String,
}

async fn settings<C: ConnectionTrait>(c: &C, region_id: i32) -> Result<Settings> {
    let (p, _) = crate::policies::for_region(c, region_id).await?;
    Ok(Settings {
        profile: p.exchange_profile,
        dept_prefix: p.exchange_dept_prefix,
        data_source: p.exchange_data_source,
    })
}

fn tags(stored: &str) -> Vec<Tag> {
    crate::columns::tags_list(stored).iter().filter_map(|t| Tag::parse(t)).collect()
}

fn rater(dk: &DataKey, sealed: Option<&str>) -> Option<String> {
    sealed.and_then(|s| dk.open(s)).map(|p| domain::values::mask_phone(&p))
}

/// The parts of a record that come from a case.
struct CaseParts {
    case_number: Option<String>,
    region_code: String,
    dept_code: String,
    dept_name: String,
    task_code: Option<String>,
    task_name: Option<String>,
    staff: Option<String>,
    accepted_at: Option<DateTime<Utc>>,
    rater: Option<String>,
}

async fn unit_parts<C: ConnectionTrait>(c: &C, unit_id: Option<i32>, s: &Settings) -> Result<(String, String)> {
    Ok(match unit_id {
        Some(u) => match unit::Entity::find_by_id(u).one(c).await? {
            Some(u) => (format!("{}{}", s.dept_prefix, u.code), u.name),
            None => (s.dept_prefix.clone(), String::new()),
        },
        None => (s.dept_prefix.clone(), String::new()),
    })
}

async fn case_parts<C: ConnectionTrait>(c: &C, dk: &DataKey, case: &service_case::Model, s: &Settings) -> Result<CaseParts> {
    let it = item::Entity::find_by_id(case.item_id).one(c).await?;
    let unit_id = match &it {
        Some(i) => Some(i.unit_id),
        None => service_window::Entity::find_by_id(case.window_id).one(c).await?.map(|w| w.unit_id),
    };
    let (dept_code, dept_name) = unit_parts(c, unit_id, s).await?;
    let staff = match case.staff_id {
        Some(id) => staff::Entity::find_by_id(id).one(c).await?.map(|s| s.name),
        None => None,
    };
    Ok(CaseParts {
        case_number: Some(case.case_number.clone()),
        region_code: case.region_code.clone(),
        dept_code,
        dept_name,
        task_code: it.as_ref().map(|i| i.code.clone()),
        task_name: it.map(|i| i.name),
        staff,
        accepted_at: case.accepted_at,
        rater: if case.real_name {
            rater(dk, case.phone_sealed.as_deref())
        } else {
            None
        },
    })
}

/// What the rater said, as stored.
struct Said {
    channel: Channel,
    level: Level,
    count: i32,
    at: DateTime<Utc>,
    comment: Option<String>,
    tags: Vec<Tag>,
}

fn record(id: &str, p: CaseParts, said: Said, s: &Settings) -> Record {
    Record {
        id: id.to_string(),
        rating_record: id.to_string(),
        fact: Fact::Rating,
        case_number: p.case_number,
        channel: said.channel,
        level: said.level,
        assess_number: if said.count == 2 { 2 } else { 1 },
        rater: p.rater,
        rater_kind: RaterKind::Person,
        rated_at: said.at,
        comment: said.comment,
        tags: said.tags,
        region_code: p.region_code,
        dept_code: p.dept_code,
        dept_name: p.dept_name,
        task_code: p.task_code,
        task_name: p.task_name,
        staff: p.staff,
        accepted_at: p.accepted_at,
        promised: None,
        data_source: s.data_source.clone(),
    }
}

/// The rating record of a case rating (`None`: gone).
async fn case_rating<C: ConnectionTrait>(c: &C, dk: &DataKey, code: &str, rating_id: i32, s: &Settings) -> Result<Option<Record>> {
    let Some(r) = rating::Entity::find_by_id(rating_id).one(c).await? else {
        return Ok(None);
    };
    let Some(case) = service_case::Entity::find_by_id(r.case_id).one(c).await? else {
        return Ok(None);
    };
    let parts = case_parts(c, dk, &case, s).await?;
    let id = format!("{code}-R-{}", r.id);
    let said = Said {
        channel: crate::columns::channel(&r.channel)?,
        level: crate::columns::level(&r.level)?,
        count: r.rating_count,
        at: r.created_at,
        tags: tags(&r.tags),
        comment: r.comment,
    };
    Ok(Some(record(&id, parts, said, s)))
}

async fn place_record<C: ConnectionTrait>(c: &C, dk: &DataKey, code: &str, place_id: i32, s: &Settings) -> Result<Option<Record>> {
    let Some(p) = place_rating::Entity::find_by_id(place_id).one(c).await? else {
        return Ok(None);
    };
    let unit_id = match p.window_id {
        Some(w) => service_window::Entity::find_by_id(w).one(c).await?.map(|w| w.unit_id),
        None => None,
    };
    let (dept_code, dept_name) = unit_parts(c, unit_id, s).await?;
    let parts = CaseParts {
        case_number: None,
        region_code: code.to_string(),
        dept_code,
        dept_name,
        task_code: None,
        task_name: None,
        staff: None,
        accepted_at: None,
        rater: rater(dk, p.phone_sealed.as_deref()),
    };
    let id = format!("{code}-P-{}", p.id);
    let said = Said {
        channel: crate::columns::channel(&p.channel)?,
        level: crate::columns::level(&p.level)?,
        count: 1,
        at: p.rated_at.unwrap_or(p.created_at),
        tags: tags(&p.tags),
        comment: p.comment,
    };
    Ok(Some(record(&id, parts, said, s)))
}

/// Renders one outbox row in `s.profile`'s terms (`None`: its fact is gone).
pub async fn render<C: ConnectionTrait>(c: &C, dk: &DataKey, row: &exchange_record::Model, s: &Settings) -> Result<Option<Record>> {
    let code = row.record_id.split('-').next().unwrap_or_default().to_string();
    let kind = Kind::parse(&row.kind).ok_or(Error::NotFound("exchange kind"))?;
    let mut rec = match kind {
        Kind::Rating | Kind::Exclusion => case_rating(c, dk, &code, row.source_id, s).await?,
        Kind::Place | Kind::ExclusionPlace => place_record(c, dk, &code, row.source_id, s).await?,
        Kind::Default => {
            let Some(d) = default_rating::Entity::find_by_id(row.source_id).one(c).await? else {
                return Ok(None);
            };
            let Some(case) = service_case::Entity::find_by_id(d.case_id).one(c).await? else {
                return Ok(None);
            };
            let mut parts = case_parts(c, dk, &case, s).await?;
            parts.rater = None;
            let id = format!("{code}-D-{}", d.id);
            let said = Said {
                channel: Channel::Default,
                level: crate::columns::level(&d.level)?,
                count: 1,
                at: d.created_at,
                comment: None,
                tags: Vec::new(),
            };
            Some(record(&id, parts, said, s))
        }
        Kind::Rectification | Kind::Revisit => {
            let order_id = match kind {
                Kind::Revisit => match work_order_event::Entity::find_by_id(row.source_id).one(c).await? {
                    Some(e) => e.order_id,
                    None => return Ok(None),
                },
                _ => row.source_id,
            };
            let Some(o) = work_order::Entity::find_by_id(order_id).one(c).await? else {
                return Ok(None);
            };
            let rated = match (o.rating_id, o.place_rating_id) {
                (Some(r), _) => case_rating(c, dk, &code, r, s).await?,
                (None, Some(p)) => place_record(c, dk, &code, p, s).await?,
                _ => None,
            };
            let Some(mut rec) = rated else {
                return Ok(None);
            };
            // The last revisit up to this record (the one named for a revisit row).
            let mut events = work_order_event::Entity::find()
                .filter(work_order_event::Column::OrderId.eq(o.id))
                .filter(work_order_event::Column::Action.eq("revisit"));
            if kind == Kind::Revisit {
                events = events.filter(work_order_event::Column::Id.lte(row.source_id));
            }
            let visit = events.order_by_desc(work_order_event::Column::Id).one(c).await?;
            let (revisited_at, revisit) = match visit {
                Some(e) => {
                    let d: serde_json::Value = e.detail.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default();
                    let outcome = d.get("outcome").and_then(|v| v.as_str()).unwrap_or_default();
                    let satisfied = match d.get("satisfied").and_then(|v| v.as_bool()) {
                        Some(true) => "满意",
                        Some(false) => "不满意",
                        None => "",
                    };
                    (Some(e.at), Some(format!("{satisfied} {outcome}").trim().to_string()))
                }
                None => (None, None),
            };
            rec.fact = Fact::Rectification {
                result: o.result.clone().or(o.reply.clone()).unwrap_or_default(),
                at: o.closed_at.unwrap_or(row.created_at),
                revisited_at,
                revisit,
            };
            Some(rec)
        }
    };
    if let Some(r) = rec.as_mut() {
        r.id = row.record_id.clone();
        if matches!(kind, Kind::Exclusion | Kind::ExclusionPlace) {
            let order = match kind {
                Kind::Exclusion => {
                    work_order::Entity::find()
                        .filter(work_order::Column::RatingId.eq(row.source_id))
                        .one(c)
                        .await?
                }
                _ => {
                    work_order::Entity::find()
                        .filter(work_order::Column::PlaceRatingId.eq(row.source_id))
                        .one(c)
                        .await?
                }
            };
            r.fact = Fact::Exclusion {
                at: order.as_ref().and_then(|o| o.closed_at).unwrap_or(row.created_at),
                reason: order.and_then(|o| o.result).unwrap_or_else(|| "申诉成立".into()),
            };
        }
    }
    Ok(rec)
}

/// A row the sender claimed: POST `body` (the profile's JSON), then report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub id: i32,
    pub record_id: String,
    pub region_id: i32,
    /// The region's code and those above it, nearest first (for routing).
    pub region_codes: Vec<String>,
    pub profile: Profile,
    pub body: String,
    pub attempt: i32,
}

/// Claims up to `limit` due rows: each is marked `sending`, its attempt
/// counted and its next attempt scheduled before it is sent.
pub async fn claim_due(db: &Db, dk: &DataKey, now: DateTime<Utc>, limit: u64) -> Result<Vec<Claimed>> {
    let txn = db.begin_with_options(immediate()).await?;
    let mut q = exchange_record::Entity::find()
        .filter(exchange_record::Column::State.is_in(["pending", "sending"]))
        .filter(exchange_record::Column::NextAttemptAt.lte(now))
        .order_by_asc(exchange_record::Column::NextAttemptAt)
        .order_by_asc(exchange_record::Column::Id)
        .limit(limit);
    if db.get_database_backend() == DatabaseBackend::Postgres {
        q = q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let rows = q.all(&txn).await?;
    let mut out = Vec::new();
    for row in rows {
        let s = settings(&txn, row.region_id).await?;
        let rendered = render(&txn, dk, &row, &s).await?;
        let attempt = row.attempts + 1;
        let codes = crate::policies::chain(&txn, row.region_id)
            .await?
            .into_iter()
            .map(|r| r.code)
            .collect();
        let mut am: exchange_record::ActiveModel = row.clone().into();
        let Some(rec) = rendered else {
            am.state = Set("refused".into());
            am.last_answer = Set(Some("the fact this record reports is gone".into()));
            am.update(&txn).await?;
            continue;
        };
        am.state = Set("sending".into());
        am.attempts = Set(attempt);
        am.next_attempt_at = Set(now + backoff(attempt));
        am.profile = Set(Some(s.profile.code().into()));
        am.update(&txn).await?;
        out.push(Claimed {
            id: row.id,
            record_id: row.record_id,
            region_id: row.region_id,
            region_codes: codes,
            profile: s.profile,
            body: s.profile.json(&rec),
            attempt,
        });
    }
    txn.commit().await?;
    Ok(out)
}

/// What the platform said to one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 2xx.
    Accepted(u16),
    /// 4xx: refused for good until someone re-pushes it.
    Refused(u16, String),
    /// 5xx, a timeout, no connection: retried at the scheduled time.
    Failed(Option<u16>, String),
    /// No platform is configured for the row's region: tried again in 6 h,
    /// the attempt not counted.
    NoRoute,
}

fn short(s: &str) -> String {
    s.chars().take(500).collect()
}

/// Reports an attempt's answer. Only a row still `sending` is changed.
pub async fn report(db: &Db, id: i32, answer: &Answer, now: DateTime<Utc>) -> Result<()> {
    let mut u = exchange_record::Entity::update_many();
    match answer {
        Answer::Accepted(status) => {
            u = u
                .col_expr(exchange_record::Column::State, Expr::value("accepted"))
                .col_expr(exchange_record::Column::SentAt, Expr::value(now))
                .col_expr(exchange_record::Column::LastStatus, Expr::value(i32::from(*status)))
                .col_expr(exchange_record::Column::LastAnswer, Expr::value(Option::<String>::None));
        }
        Answer::Refused(status, body) => {
            u = u
                .col_expr(exchange_record::Column::State, Expr::value("refused"))
                .col_expr(exchange_record::Column::LastStatus, Expr::value(i32::from(*status)))
                .col_expr(exchange_record::Column::LastAnswer, Expr::value(short(body)));
        }
        Answer::Failed(status, error) => {
            u = u
                .col_expr(exchange_record::Column::LastStatus, Expr::value(status.map(i32::from)))
                .col_expr(exchange_record::Column::LastAnswer, Expr::value(short(error)));
        }
        Answer::NoRoute => {
            u = u
                .col_expr(exchange_record::Column::State, Expr::value("pending"))
                .col_expr(
                    exchange_record::Column::Attempts,
                    Expr::col(exchange_record::Column::Attempts).sub(1),
                )
                .col_expr(exchange_record::Column::NextAttemptAt, Expr::value(now + Duration::hours(6)))
                .col_expr(
                    exchange_record::Column::LastAnswer,
                    Expr::value("no platform is configured for this region (HAOCHA_EXCHANGE_URL)"),
                );
        }
    }
    u.filter(exchange_record::Column::Id.eq(id))
        .filter(exchange_record::Column::State.eq("sending"))
        .exec(db)
        .await?;
    Ok(())
}

/// One page (up to 1,000 rows after row id `after`) of the records written
/// in `[from, to]` (Beijing days), in `profile`'s shape, oldest first, and
/// the row id to go on from (`None`: the last page): `haocha exchange
/// export`. Each region's own dept prefix and data source apply; `profile`
/// is the one asked for.
pub async fn export_page(
    db: &Db,
    dk: &DataKey,
    profile: Profile,
    (from, to): (NaiveDate, NaiveDate),
    after: i32,
) -> Result<(Vec<Record>, Option<i32>)> {
    let start = domain::calendar::start_of(from);
    let end = domain::calendar::start_of(to + Duration::days(1));
    let rows = exchange_record::Entity::find()
        .filter(exchange_record::Column::CreatedAt.gte(start))
        .filter(exchange_record::Column::CreatedAt.lt(end))
        .filter(exchange_record::Column::Id.gt(after))
        .order_by_asc(exchange_record::Column::Id)
        .limit(1000)
        .all(db)
        .await?;
    let next = rows.last().map(|r| r.id);
    let mut out = Vec::with_capacity(rows.len());
    let mut by_region = std::collections::HashMap::new();
    for row in rows {
        let mut s = match by_region.get(&row.region_id) {
            Some(s) => Settings::clone(s),
            None => {
                let s = settings(db, row.region_id).await?;
                by_region.insert(row.region_id, s.clone());
                s
            }
        };
        s.profile = profile;
        if let Some(r) = render(db, dk, &row, &s).await? {
            out.push(r);
        }
    }
    Ok((out, next))
}
