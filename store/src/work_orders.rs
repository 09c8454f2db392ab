//! 差评工单 (SPEC §5): every active bad rating opens an order in the same
//! transaction as the rating; the order is worked by the unit responsible for
//! the case (谁办理谁负责) and checked by the center, each step allowed by
//! `domain::work_order`, recorded in the order's timeline and the audit trail.
//!
//! Who may do what: the unit's steps (verify, start, reply, extension request,
//! appeal) belong to the order's unit administrators (the center's own orders,
//! from hall-wide ratings, to its center administrators); the center's steps
//! (QC, extension and appeal decisions, promoting a flagged rating) to center
//! administrators of the hall's region; revisits to both; system administrators
//! may do all. Anyone else gets `Forbidden`.

use chrono::{DateTime, Duration, Utc};
use domain::calendar::Calendar;
use domain::work_order::{self as wo, Action, State, Tier, WorkOrder};
use domain::{Level, Role};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::actor::{Actor, Scope};
use crate::audit::{Meta, Who};
use crate::entities::{
    account, hall, item, place_rating, rating, service_case, service_window, staff, unit, work_order, work_order_event, work_order_file,
};
use crate::{immediate, Conflict, Db, Error, Reason, Result};

/// Largest appeal evidence file (5 MB).
pub const MAX_EVIDENCE: usize = 5 * 1024 * 1024;

// ---------------------------------------------------------------- opening

struct NewOrder<'a> {
    rating_id: Option<i32>,
    place_rating_id: Option<i32>,
    case_id: Option<i32>,
    hall_id: i32,
    unit_id: Option<i32>,
    level: Level,
    channel: &'a str,
    real_name: bool,
    comment: Option<&'a str>,
    phone_hash: Option<&'a str>,
    opened_by: &'a str,
}

async fn open<C: ConnectionTrait>(conn: &C, n: NewOrder<'_>, now: DateTime<Utc>) -> Result<i32> {
    let h = hall::Entity::find_by_id(n.hall_id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound("hall"))?;
    let (policy, _) = crate::policies::for_region(conn, h.region_id).await?;
    let cal = crate::calendar::load(conn).await?;
    let mut flags = Vec::new();
    if n.comment.is_some_and(wo::is_abusive) {
        flags.push("abuse");
    }
    if let (Some(text), Some(phone)) = (n.comment.filter(|c| !c.trim().is_empty()), n.phone_hash) {
        // The same phone said the same thing within 7 days (002 rule 5(二) 重复).
        let cases = Query::select()
            .column(service_case::Column::Id)
            .from(service_case::Entity)
            .and_where(Expr::col(service_case::Column::PhoneHash).eq(phone))
            .to_owned();
        let mut same = rating::Entity::find()
            .filter(rating::Column::Comment.eq(text))
            .filter(rating::Column::CreatedAt.gt(now - Duration::days(7)))
            .filter(rating::Column::CaseId.in_subquery(cases));
        if let Some(id) = n.rating_id {
            same = same.filter(rating::Column::Id.ne(id));
        }
        if same.count(conn).await? > 0 {
            flags.push("duplicate");
        }
    }
    let order = work_order::ActiveModel {
        rating_id: Set(n.rating_id),
        place_rating_id: Set(n.place_rating_id),
        case_id: Set(n.case_id),
        hall_id: Set(n.hall_id),
        region_id: Set(h.region_id),
        unit_id: Set(n.unit_id),
        level: Set(n.level.code().into()),
        channel: Set(n.channel.into()),
        real_name: Set(n.real_name),
        state: Set(State::New.code().into()),
        resume_state: Set(None),
        tier: Set(None),
        extended: Set(false),
        rating_excluded: Set(false),
        flags: Set(flags.join(",")),
        opened_at: Set(now),
        first_contact_due: Set(policy.first_contact.due_from(&cal, now)),
        contacted_at: Set(None),
        handle_due: Set(None),
        closed_at: Set(None),
        reply: Set(None),
        result: Set(None),
        revisits: Set(0),
        overdue_days: Set(0),
        notified_at: Set(None),
        escalated_on: Set(None),
        opened_by: Set(n.opened_by.chars().take(64).collect()),
        rerating_token_id: Set(None),
        rerating_id: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    event(
        conn,
        order.id,
        &EventBy::system(),
        "open",
        State::New,
        State::New,
        Some(json!({ "flags": order.flags })),
        now,
    )
    .await?;
    Ok(order.id)
}

/// Opens the order of a bad case rating (first ratings and follow-ups, every
/// channel), inside the rating's transaction. Good ratings open none.
pub(crate) async fn open_for_rating(
    txn: &DatabaseTransaction,
    case: &service_case::Model,
    r: &rating::Model,
    now: DateTime<Utc>,
) -> Result<Option<i32>> {
    let level = crate::columns::level(&r.level)?;
    if !level.is_bad() {
        return Ok(None);
    }
    let w = service_window::Entity::find_by_id(case.window_id)
        .one(txn)
        .await?
        .ok_or(Error::NotFound("window"))?;
    // 谁办理谁负责: the item's unit, else the window's.
    let unit_id = match item::Entity::find_by_id(case.item_id).one(txn).await? {
        Some(i) => i.unit_id,
        None => w.unit_id,
    };
    let id = open(
        txn,
        NewOrder {
            rating_id: Some(r.id),
            place_rating_id: None,
            case_id: Some(case.id),
            hall_id: w.hall_id,
            unit_id: Some(unit_id),
            level,
            channel: &r.channel,
            real_name: case.real_name,
            comment: r.comment.as_deref(),
            phone_hash: case.phone_hash.as_deref(),
            opened_by: "system",
        },
        now,
    )
    .await?;
    Ok(Some(id))
}

/// Opens the order of a counted bad place rating (static code, kiosk): the
/// window's unit, or the hall's center for a hall-wide rating. A flagged
/// rating (repeat, burst) opens none: it waits on the review list.
pub(crate) async fn open_for_place<C: ConnectionTrait>(
    conn: &C,
    p: &place_rating::Model,
    opened_by: &str,
    now: DateTime<Utc>,
) -> Result<Option<i32>> {
    let level = crate::columns::level(&p.level)?;
    if !level.is_bad() || (!p.counted && opened_by == "system") {
        return Ok(None);
    }
    let unit_id = match p.window_id {
        Some(w) => service_window::Entity::find_by_id(w).one(conn).await?.map(|w| w.unit_id),
        None => None,
    };
    let id = open(
        conn,
        NewOrder {
            rating_id: None,
            place_rating_id: Some(p.id),
            case_id: None,
            hall_id: p.hall_id,
            unit_id,
            level,
            channel: &p.channel,
            real_name: false,
            comment: p.comment.as_deref(),
            phone_hash: None,
            opened_by,
        },
        now,
    )
    .await?;
    Ok(Some(id))
}

// ---------------------------------------------------------------- the timeline

struct EventBy {
    account_id: Option<i32>,
    actor: String,
    role: String,
}

impl EventBy {
    fn system() -> EventBy {
        EventBy {
            account_id: None,
            actor: "system".into(),
            role: "system".into(),
        }
    }

    fn of(a: &Actor) -> EventBy {
        EventBy {
            account_id: Some(a.id),
            actor: a.job_number.clone(),
            role: a.role.code().into(),
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn event<C: ConnectionTrait>(
    conn: &C,
    order_id: i32,
    by: &EventBy,
    action: &str,
    from: State,
    to: State,
    detail: Option<serde_json::Value>,
    now: DateTime<Utc>,
) -> Result<i32> {
    Ok(work_order_event::ActiveModel {
        order_id: Set(order_id),
        at: Set(now),
        account_id: Set(by.account_id),
        actor: Set(by.actor.chars().take(64).collect()),
        role: Set(by.role.clone()),
        action: Set(action.into()),
        from_state: Set(from.code().into()),
        to_state: Set(to.code().into()),
        detail: Set(detail.map(|d| d.to_string())),
        ..Default::default()
    }
    .insert(conn)
    .await?
    .id)
}

// ---------------------------------------------------------------- steps

/// How the rater was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Contact {
    Phone,
    Sms,
    Visit,
}

impl Contact {
    pub const ALL: [Contact; 3] = [Contact::Phone, Contact::Sms, Contact::Visit];

    pub fn code(self) -> &'static str {
        match self {
            Contact::Phone => "phone",
            Contact::Sms => "sms",
            Contact::Visit => "visit",
        }
    }

    pub fn parse(s: &str) -> Option<Contact> {
        Contact::ALL.into_iter().find(|c| c.code() == s)
    }
}

/// Why a unit says a rating should not count (申诉).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppealKind {
    /// 误评
    Mistaken,
    /// 恶意
    Malicious,
    /// 不属于本单位
    NotOurs,
    /// 重复
    Duplicate,
}

impl AppealKind {
    pub const ALL: [AppealKind; 4] = [
        AppealKind::Mistaken,
        AppealKind::Malicious,
        AppealKind::NotOurs,
        AppealKind::Duplicate,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AppealKind::Mistaken => "mistaken",
            AppealKind::Malicious => "malicious",
            AppealKind::NotOurs => "not_ours",
            AppealKind::Duplicate => "duplicate",
        }
    }

    pub fn parse(s: &str) -> Option<AppealKind> {
        AppealKind::ALL.into_iter().find(|c| c.code() == s)
    }
}

/// The reply's elements (002 rule 6(二)), each required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// 调查核实
    pub investigation: String,
    /// 处理过程
    pub process: String,
    /// 整改措施
    pub measures: String,
    /// 整改结果
    pub result: String,
    /// The head of unit who signed it (部门主要负责人).
    pub signed_by: String,
}

/// An evidence file as uploaded.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A step with what the person wrote.
#[derive(Debug, Clone)]
pub enum Step {
    /// 核实: the rater was reached (how) and what they said; the handling
    /// tier; where the policy lets the unit set it, its own deadline in
    /// working days (up to the policy's maximum), explained when longer than
    /// the tier's.
    Verify {
        how: Contact,
        said: String,
        tier: Tier,
        days: Option<u32>,
        why: String,
    },
    Start,
    Reply(Reply),
    QcPass,
    QcReturn {
        reason: String,
    },
    RequestExtension {
        days: u32,
        reason: String,
    },
    GrantExtension,
    RefuseExtension {
        reason: String,
    },
    Appeal {
        kind: AppealKind,
        reason: String,
        files: Vec<Evidence>,
    },
    UpholdAppeal {
        note: String,
    },
    RejectAppeal {
        note: String,
    },
    /// 回访: a contact attempt after handling.
    Revisit {
        how: Contact,
        outcome: String,
        satisfied: Option<bool>,
    },
}

impl Step {
    fn action(&self) -> Option<Action> {
        Some(match self {
            Step::Verify { tier, .. } => Action::Verify(*tier),
            Step::Start => Action::Start,
            Step::Reply(_) => Action::Reply,
            Step::QcPass => Action::QcPass,
            Step::QcReturn { .. } => Action::QcReturn,
            Step::RequestExtension { .. } => Action::RequestExtension,
            Step::GrantExtension => Action::GrantExtension,
            Step::RefuseExtension { .. } => Action::RefuseExtension,
            Step::Appeal { .. } => Action::Appeal,
            Step::UpholdAppeal { .. } => Action::UpholdAppeal,
            Step::RejectAppeal { .. } => Action::RejectAppeal,
            Step::Revisit { .. } => return None,
        })
    }

    /// The code of the step (`revisit` for revisits).
    pub fn code(&self) -> &'static str {
        self.action().map(Action::code).unwrap_or("revisit")
    }

    /// The center's steps (everything else is the unit's).
    fn is_center_step(&self) -> bool {
        matches!(
            self,
            Step::QcPass
                | Step::QcReturn { .. }
                | Step::GrantExtension
                | Step::RefuseExtension { .. }
                | Step::UpholdAppeal { .. }
                | Step::RejectAppeal { .. }
        )
    }
}

fn required(field: &'static str, v: &str, max: usize) -> Result<String> {
    let v = v.trim();
    if v.is_empty() {
        return Err(Error::invalid(field, Reason::Required));
    }
    if v.chars().count() > max {
        return Err(Error::invalid(field, Reason::TooLong { max }));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(Error::invalid(field, Reason::ControlCharacters));
    }
    Ok(v.to_string())
}

/// The content type of an evidence file, from its first bytes.
pub fn evidence_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

fn machine(o: &work_order::Model) -> Result<WorkOrder> {
    let bad = || Error::Db(sea_orm::DbErr::Custom(format!("work order {} holds an unknown state", o.id)));
    Ok(WorkOrder {
        state: State::parse(&o.state).ok_or_else(bad)?,
        resume: match &o.resume_state {
            Some(s) => Some(State::parse(s).ok_or_else(bad)?),
            None => None,
        },
        tier: o.tier.as_deref().and_then(Tier::parse),
        extended: o.extended,
        rating_excluded: o.rating_excluded,
    })
}

/// Whether `actor` may see the order at all.
fn sees(actor: &Actor, o: &work_order::Model, window_of_case: Option<i32>) -> bool {
    match &actor.scope {
        Scope::All => true,
        Scope::Regions { ids, .. } => ids.contains(&o.region_id),
        Scope::Unit(u) => o.unit_id == Some(*u),
        Scope::Window(w) => window_of_case == Some(*w),
    }
}

/// Whether `actor` may take `step` on the order.
fn may(actor: &Actor, o: &work_order::Model, step: &Step) -> bool {
    let center = match &actor.scope {
        Scope::All => return true,
        Scope::Regions { ids, .. } => ids.contains(&o.region_id),
        _ => false,
    };
    let own_unit = matches!(actor.scope, Scope::Unit(u) if o.unit_id == Some(u) && actor.role == Role::UnitAdmin);
    match step {
        Step::Revisit { .. } => own_unit || center,
        s if s.is_center_step() => center,
        // The unit's steps: its own administrators, or the center for its own orders.
        _ => own_unit || (center && o.unit_id.is_none()),
    }
}

/// What a step did, for the page's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub state: &'static str,
    /// An SMS to the rater was queued (QC pass, extension granted).
    pub rater_told: bool,
}

/// Takes one step on order `id`: scope, then the state machine (a refused
/// step is `Conflict::Transition` naming the allowed ones), then the step's
/// own rules; the order, its timeline, the audit trail and any SMS in one
/// transaction.
pub async fn act(db: &Db, actor: &Actor, id: i32, step: Step, meta: &Meta) -> Result<Done> {
    let now = meta.now;
    let txn = db.begin_with_options(immediate()).await?;
    let o = work_order::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("work order"))?;
    let case = match o.case_id {
        Some(c) => service_case::Entity::find_by_id(c).one(&txn).await?,
        None => None,
    };
    if !sees(actor, &o, case.as_ref().map(|c| c.window_id)) || actor.role == Role::WindowStaff {
        return Err(Error::Forbidden);
    }
    let before = machine(&o)?;
    let after = match step.action() {
        Some(a) => before.apply(a).map_err(|e| Error::Conflict(Conflict::Transition(e)))?,
        None => {
            if matches!(before.state, State::New | State::AppealRequested) {
                return Err(Error::Conflict(Conflict::Transition(wo::IllegalTransition {
                    state: before.state.code(),
                    action: "revisit",
                    allowed: before.allowed(),
                })));
            }
            before
        }
    };
    if !may(actor, &o, &step) {
        return Err(Error::Forbidden);
    }
    let h = hall::Entity::find_by_id(o.hall_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("hall"))?;
    let (policy, _) = crate::policies::for_region(&txn, h.region_id).await?;
    let cal = crate::calendar::load(&txn).await?;
    let mut am: work_order::ActiveModel = o.clone().into();
    let mut rater_sms: Option<String> = None;
    let mut files = Vec::new();
    let detail = match &step {
        Step::Verify {
            how,
            said,
            tier,
            days,
            why,
        } => {
            let said = required("said", said, 2000)?;
            am.contacted_at = Set(Some(now));
            am.tier = Set(Some(tier.code().into()));
            let max = match policy.rectify {
                domain::policy::Span::WorkingDays(n) | domain::policy::Span::Days(n) => n,
            };
            let tier_days = match tier {
                Tier::Complex => max,
                _ => std::cmp::min(tier.working_days(), max),
            };
            let (days, why) = match days {
                None => (tier_days, None),
                Some(_) if !policy.unit_sets_deadline => return Err(Error::invalid("days", Reason::NotAllowedHere)),
                Some(d) if *d > max => {
                    return Err(Error::invalid(
                        "days",
                        Reason::OutOfRange {
                            min: 0,
                            max: i64::from(max),
                        },
                    ))
                }
                // Longer than the tier's: say why (德宏: 说明理由).
                Some(d) if *d > tier_days => (*d, Some(required("why", why, 2000)?)),
                Some(d) => (*d, None),
            };
            am.handle_due = Set(Some(wo::due(&cal, now, days)));
            json!({ "how": how.code(), "said": said, "tier": tier.code(), "days": days, "why": why })
        }
        Step::Start => json!({}),
        Step::Reply(r) => {
            let r = Reply {
                investigation: required("investigation", &r.investigation, 2000)?,
                process: required("process", &r.process, 2000)?,
                measures: required("measures", &r.measures, 2000)?,
                result: required("result", &r.result, 2000)?,
                signed_by: required("signed_by", &r.signed_by, 64)?,
            };
            am.reply = Set(Some(serde_json::to_string(&r).unwrap_or_default()));
            am.result = Set(Some(r.result.clone()));
            serde_json::to_value(&r).unwrap_or_default()
        }
        Step::QcPass => {
            if o.real_name && o.revisits == 0 {
                return Err(Error::invalid("revisit", Reason::RevisitNeeded));
            }
            am.closed_at = Set(Some(now));
            let result = o.result.clone().unwrap_or_default();
            rater_sms = Some(format!(
                "【好差评】您反映的问题已处理完毕：{}。如有疑问请致电12345。",
                result.chars().take(40).collect::<String>()
            ));
            json!({})
        }
        Step::QcReturn { reason } => json!({ "reason": required("reason", reason, 2000)? }),
        Step::RequestExtension { days, reason } => {
            let max = match policy.rectify_extension {
                domain::policy::Span::WorkingDays(n) | domain::policy::Span::Days(n) => n,
            };
            if *days == 0 || *days > max {
                return Err(Error::invalid(
                    "days",
                    Reason::OutOfRange {
                        min: 1,
                        max: i64::from(max),
                    },
                ));
            }
            json!({ "days": days, "reason": required("reason", reason, 2000)? })
        }
        Step::GrantExtension => {
            let asked = work_order_event::Entity::find()
                .filter(work_order_event::Column::OrderId.eq(o.id))
                .filter(work_order_event::Column::Action.eq(Action::RequestExtension.code()))
                .order_by_desc(work_order_event::Column::Id)
                .one(&txn)
                .await?
                .and_then(|e| e.detail)
                .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
                .and_then(|d| d["days"].as_u64())
                .unwrap_or(0) as u32;
            let from = o.handle_due.unwrap_or(now) - Duration::seconds(1);
            let new_due = wo::due(&cal, from, std::cmp::max(asked, 1));
            am.handle_due = Set(Some(new_due));
            rater_sms = Some(format!(
                "【好差评】您反映的问题需要更多时间办理，办理期限延长至{}，感谢您的理解。",
                new_due.with_timezone(&crate::console::china()).format("%Y-%m-%d")
            ));
            json!({ "days": asked, "handle_due": new_due.to_rfc3339() })
        }
        Step::RefuseExtension { reason } => json!({ "reason": required("reason", reason, 2000)? }),
        Step::Appeal { kind, reason, files: f } => {
            let reason = required("reason", reason, 2000)?;
            if f.len() > 5 {
                return Err(Error::invalid("evidence", Reason::OutOfRange { min: 0, max: 5 }));
            }
            for e in f {
                if e.bytes.len() > MAX_EVIDENCE {
                    return Err(Error::invalid("evidence", Reason::FileTooLarge { kb: MAX_EVIDENCE / 1024 }));
                }
                let ct = evidence_type(&e.bytes).ok_or(Error::invalid("evidence", Reason::NotEvidence))?;
                let name: String = e
                    .name
                    .chars()
                    .filter(|c| !c.is_control() && !"/\\".contains(*c))
                    .take(120)
                    .collect();
                files.push((if name.is_empty() { "evidence".to_string() } else { name }, ct, e.bytes.clone()));
            }
            json!({ "kind": kind.code(), "reason": reason, "files": files.iter().map(|f| &f.0).collect::<Vec<_>>() })
        }
        Step::UpholdAppeal { note } => {
            let note = required("note", note, 2000)?;
            am.closed_at = Set(Some(now));
            am.result = Set(Some(format!("申诉成立：{note}")));
            // Kept, marked, out of statistics; the rater is not told anything.
            if let Some(r) = o.rating_id {
                rating::Entity::update_many()
                    .col_expr(rating::Column::ExcludedAt, Expr::value(now))
                    .filter(rating::Column::Id.eq(r))
                    .exec(&txn)
                    .await?;
            }
            if let Some(p) = o.place_rating_id {
                place_rating::Entity::update_many()
                    .col_expr(place_rating::Column::ExcludedAt, Expr::value(now))
                    .filter(place_rating::Column::Id.eq(p))
                    .exec(&txn)
                    .await?;
            }
            json!({ "note": note })
        }
        Step::RejectAppeal { note } => json!({ "note": required("note", note, 2000)? }),
        Step::Revisit { how, outcome, satisfied } => {
            am.revisits = Set(o.revisits + 1);
            json!({ "how": how.code(), "outcome": required("outcome", outcome, 2000)?, "satisfied": satisfied })
        }
    };
    am.state = Set(after.state.code().into());
    am.resume_state = Set(after.resume.map(|s| s.code().to_string()));
    am.extended = Set(after.extended);
    am.rating_excluded = Set(after.rating_excluded);
    if after.state == State::Closed {
        am.overdue_days = Set(0);
    }
    // Conditional on the state read: of two racing steps one wins.
    let updated = work_order::Entity::update_many()
        .set(am)
        .filter(work_order::Column::Id.eq(o.id))
        .filter(work_order::Column::State.eq(o.state.clone()))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(Error::Conflict(Conflict::Transition(wo::IllegalTransition {
            state: before.state.code(),
            action: step.code(),
            allowed: vec![],
        })));
    }
    let event_id = event(
        &txn,
        o.id,
        &EventBy::of(actor),
        step.code(),
        before.state,
        after.state,
        Some(detail.clone()),
        now,
    )
    .await?;
    for (name, ct, bytes) in files {
        work_order_file::ActiveModel {
            order_id: Set(o.id),
            event_id: Set(event_id),
            name: Set(name),
            content_type: Set(ct.into()),
            size: Set(bytes.len() as i32),
            bytes: Set(bytes),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    crate::audit::append(
        &txn,
        crate::audit::Entry {
            who: &Who::from(actor),
            action: &format!("work_order.{}", step.code()),
            object_kind: "work_order",
            object_code: &o.id.to_string(),
            before: Some(json!({ "state": before.state.code() })),
            after: Some(json!({ "state": after.state.code() })),
            region_id: Some(o.region_id),
        },
        meta,
    )
    .await?;
    let mut rater_told = false;
    if let (Some(body), Some(c)) = (rater_sms, &case) {
        if let (Some(sealed), Some(hash)) = (&c.phone_sealed, &c.phone_hash) {
            crate::sms::queue_sealed(
                &txn,
                crate::sms::Sealed {
                    kind: "work_order",
                    case_id: Some(c.id),
                    sealed,
                    hash,
                    body: &body,
                    dedupe_key: Some(format!("wo-{}:{}", step.code(), o.id)),
                },
                now,
            )
            .await?;
            rater_told = true;
        }
    }
    txn.commit().await?;
    Ok(Done {
        state: after.state.code(),
        rater_told,
    })
}

// ---------------------------------------------------------------- reading

/// The deadline that runs now, if any: first contact while new, handling
/// while the unit works on it. A reply waiting for QC and an appeal waiting
/// for the center stop the unit's clock.
pub fn current_due(o: &work_order::Model) -> Option<DateTime<Utc>> {
    match State::parse(&o.state)? {
        State::New => Some(o.first_contact_due),
        State::Contacted | State::InProgress | State::Returned | State::ExtensionRequested => o.handle_due,
        State::Replied | State::AppealRequested | State::Closed => None,
    }
}

/// One line of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    pub id: i32,
    pub case_number: Option<String>,
    pub rating_id: Option<i32>,
    pub place_rating_id: Option<i32>,
    pub hall: String,
    /// The unit's code and name; none: the hall's center.
    pub unit: Option<(String, String)>,
    pub level: Level,
    pub channel: String,
    pub state: State,
    pub flags: Vec<String>,
    pub real_name: bool,
    pub opened_at: DateTime<Utc>,
    pub first_contact_due: DateTime<Utc>,
    pub handle_due: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The deadline running now.
    pub due: Option<DateTime<Utc>>,
    /// Working days late (0: on time).
    pub overdue_days: u32,
    pub result: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub state: Option<State>,
    pub overdue: bool,
    pub unit_code: Option<String>,
    pub level: Option<Level>,
    pub channel: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// API callers: only orders of cases this business system reported.
    pub client_id: Option<i32>,
    /// API paging: ids above this.
    pub after: Option<i32>,
}

async fn row(db: &Db, cal: &Calendar, o: work_order::Model, now: DateTime<Utc>) -> Result<OrderRow> {
    let case_number = match o.case_id {
        Some(c) => service_case::Entity::find_by_id(c).one(db).await?.map(|c| c.case_number),
        None => None,
    };
    let hall = hall::Entity::find_by_id(o.hall_id)
        .one(db)
        .await?
        .map(|h| h.name)
        .unwrap_or_default();
    let unit = match o.unit_id {
        Some(u) => unit::Entity::find_by_id(u).one(db).await?.map(|u| (u.code, u.name)),
        None => None,
    };
    let due = current_due(&o);
    let overdue_days = due.and_then(|d| wo::overdue_days(cal, d, now)).unwrap_or(0);
    Ok(OrderRow {
        id: o.id,
        case_number,
        rating_id: o.rating_id,
        place_rating_id: o.place_rating_id,
        hall,
        unit,
        level: crate::columns::level(&o.level)?,
        channel: o.channel,
        state: State::parse(&o.state).unwrap_or(State::New),
        flags: o.flags.split(',').filter(|f| !f.is_empty()).map(str::to_string).collect(),
        real_name: o.real_name,
        opened_at: o.opened_at,
        first_contact_due: o.first_contact_due,
        handle_due: o.handle_due,
        closed_at: o.closed_at,
        due,
        overdue_days,
        result: o.result,
    })
}

fn scoped(actor: Option<&Actor>, mut q: sea_orm::Select<work_order::Entity>) -> Result<sea_orm::Select<work_order::Entity>> {
    if let Some(actor) = actor {
        q = match &actor.scope {
            Scope::All => q,
            Scope::Regions { ids, .. } => q.filter(work_order::Column::RegionId.is_in(ids.clone())),
            Scope::Unit(u) => q.filter(work_order::Column::UnitId.eq(*u)),
            Scope::Window(_) => return Err(Error::Forbidden),
        };
    }
    Ok(q)
}

async fn filtered(db: &Db, actor: Option<&Actor>, f: &Filter) -> Result<sea_orm::Select<work_order::Entity>> {
    let mut q = scoped(actor, work_order::Entity::find())?;
    if let Some(s) = f.state {
        q = q.filter(work_order::Column::State.eq(s.code()));
    }
    if let Some(code) = f.unit_code.as_deref().filter(|c| !c.is_empty()) {
        let u = unit::Entity::find()
            .filter(unit::Column::Code.eq(code))
            .one(db)
            .await?
            .ok_or(Error::invalid("unit", Reason::Unknown(code.to_string())))?;
        q = q.filter(work_order::Column::UnitId.eq(u.id));
    }
    if let Some(l) = f.level {
        q = q.filter(work_order::Column::Level.eq(l.code()));
    }
    if let Some(c) = f.channel.as_deref().filter(|c| !c.is_empty()) {
        q = q.filter(work_order::Column::Channel.eq(c));
    }
    if let Some(t) = f.from {
        q = q.filter(work_order::Column::OpenedAt.gte(t));
    }
    if let Some(t) = f.until {
        q = q.filter(work_order::Column::OpenedAt.lt(t));
    }
    if let Some(client) = f.client_id {
        let cases = Query::select()
            .column(service_case::Column::Id)
            .from(service_case::Entity)
            .and_where(Expr::col(service_case::Column::ApiClientId).eq(client))
            .to_owned();
        q = q.filter(work_order::Column::CaseId.in_subquery(cases));
    }
    if let Some(a) = f.after {
        q = q.filter(work_order::Column::Id.gt(a));
    }
    Ok(q)
}

/// The orders `actor` may see, overdue first (most days late first), then
/// newest; `overdue` keeps only the late ones.
pub async fn list(db: &Db, actor: &Actor, f: &Filter, now: DateTime<Utc>, limit: usize) -> Result<Vec<OrderRow>> {
    let cal = crate::calendar::load(db).await?;
    let q = filtered(db, Some(actor), f).await?;
    let open = q
        .clone()
        .filter(work_order::Column::State.ne(State::Closed.code()))
        .order_by_desc(work_order::Column::Id)
        .all(db)
        .await?;
    let mut rows = Vec::new();
    for o in open {
        rows.push(row(db, &cal, o, now).await?);
    }
    rows.sort_by(|a, b| b.overdue_days.cmp(&a.overdue_days).then(b.id.cmp(&a.id)));
    if f.overdue {
        rows.retain(|r| r.overdue_days > 0);
    } else if rows.len() < limit {
        let closed = q
            .filter(work_order::Column::State.eq(State::Closed.code()))
            .order_by_desc(work_order::Column::Id)
            .limit((limit - rows.len()) as u64)
            .all(db)
            .await?;
        for o in closed {
            rows.push(row(db, &cal, o, now).await?);
        }
    }
    rows.truncate(limit);
    Ok(rows)
}

/// Open orders in scope and how many of them are late (for the menu).
pub async fn open_count(db: &Db, actor: &Actor) -> Result<u64> {
    if matches!(actor.scope, Scope::Window(_)) {
        return Ok(0);
    }
    Ok(scoped(Some(actor), work_order::Entity::find())?
        .filter(work_order::Column::State.ne(State::Closed.code()))
        .count(db)
        .await?)
}

/// A business system's orders (`GET /api/v1/work-orders`), by id.
pub async fn for_client(db: &Db, client_id: i32, after: Option<i32>, limit: u64, now: DateTime<Utc>) -> Result<Vec<OrderRow>> {
    let cal = crate::calendar::load(db).await?;
    let f = Filter {
        client_id: Some(client_id),
        after,
        ..Default::default()
    };
    let orders = filtered(db, None, &f)
        .await?
        .order_by_asc(work_order::Column::Id)
        .limit(limit.clamp(1, 200))
        .all(db)
        .await?;
    let mut out = Vec::new();
    for o in orders {
        out.push(row(db, &cal, o, now).await?);
    }
    Ok(out)
}

/// One order of a business system's cases.
pub async fn for_client_one(db: &Db, client_id: i32, id: i32, now: DateTime<Utc>) -> Result<OrderRow> {
    let cal = crate::calendar::load(db).await?;
    let f = Filter {
        client_id: Some(client_id),
        ..Default::default()
    };
    let o = filtered(db, None, &f)
        .await?
        .filter(work_order::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("work order"))?;
    row(db, &cal, o, now).await
}

/// One step of the timeline, for the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineStep {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    /// The step's fields (name, value), phone and ID numbers masked.
    pub detail: Vec<(String, String)>,
    /// Evidence files: (id, name, size).
    pub files: Vec<(i32, String, i32)>,
}

/// Everything the order page shows.
#[derive(Debug, Clone)]
pub struct OrderDetail {
    pub row: OrderRow,
    pub item: String,
    pub window: String,
    pub staff: Option<String>,
    /// The rater's phone, masked; only for administrators.
    pub phone: Option<String>,
    pub tags: Vec<String>,
    /// The comment in full (inside the order, numbers are kept: 002 rule 5).
    pub comment: Option<String>,
    pub rated_at: DateTime<Utc>,
    pub tier: Option<Tier>,
    pub extended: bool,
    pub revisits: i32,
    pub rating_excluded: bool,
    pub reply: Option<Reply>,
    pub timeline: Vec<TimelineStep>,
    /// The step codes `actor` may take now.
    pub actions: Vec<&'static str>,
    /// The policy's extension maximum (working days).
    pub max_extension: u32,
    /// The unit may set the handling deadline at verification, up to this (working days).
    pub unit_deadline_max: Option<u32>,
}

/// The order page's data, scoped; `Forbidden` outside the actor's scope.
pub async fn detail(db: &Db, key: &crate::crypto::DataKey, actor: &Actor, id: i32, now: DateTime<Utc>) -> Result<OrderDetail> {
    let o = work_order::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("work order"))?;
    let case = match o.case_id {
        Some(c) => service_case::Entity::find_by_id(c).one(db).await?,
        None => None,
    };
    if !sees(actor, &o, case.as_ref().map(|c| c.window_id)) || actor.role == Role::WindowStaff {
        return Err(Error::Forbidden);
    }
    let cal = crate::calendar::load(db).await?;
    let m = machine(&o)?;
    let (policy, _) = crate::policies::for_region(db, o.region_id).await?;
    let (item_name, window_name, staff_name, rated_at, tags, comment) = if let Some(r) = o.rating_id {
        let r = rating::Entity::find_by_id(r).one(db).await?.ok_or(Error::NotFound("rating"))?;
        let c = case.clone().ok_or(Error::NotFound("case"))?;
        let i = item::Entity::find_by_id(c.item_id)
            .one(db)
            .await?
            .map(|i| i.name)
            .unwrap_or_default();
        let w = service_window::Entity::find_by_id(c.window_id)
            .one(db)
            .await?
            .map(|w| w.name)
            .unwrap_or_default();
        let s = match c.staff_id {
            Some(s) => staff::Entity::find_by_id(s)
                .one(db)
                .await?
                .map(|s| format!("{} ({})", s.name, s.number)),
            None => None,
        };
        (i, w, s, r.created_at, crate::columns::tags_list(&r.tags), r.comment)
    } else {
        let p = place_rating::Entity::find_by_id(o.place_rating_id.unwrap_or_default())
            .one(db)
            .await?
            .ok_or(Error::NotFound("rating"))?;
        let w = match p.window_id {
            Some(w) => service_window::Entity::find_by_id(w)
                .one(db)
                .await?
                .map(|w| w.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        (
            String::new(),
            w,
            None,
            p.rated_at.unwrap_or(p.created_at),
            crate::columns::tags_list(&p.tags),
            p.comment,
        )
    };
    let phone = case
        .as_ref()
        .and_then(|c| c.phone_sealed.as_ref())
        .and_then(|s| key.open(s))
        .map(|p| domain::values::mask_phone(&p));
    let events = work_order_event::Entity::find()
        .filter(work_order_event::Column::OrderId.eq(o.id))
        .order_by_asc(work_order_event::Column::Id)
        .all(db)
        .await?;
    let all_files = work_order_file::Entity::find()
        .filter(work_order_file::Column::OrderId.eq(o.id))
        .select_only()
        .column(work_order_file::Column::Id)
        .column(work_order_file::Column::EventId)
        .column(work_order_file::Column::Name)
        .column(work_order_file::Column::Size)
        .into_tuple::<(i32, i32, String, i32)>()
        .all(db)
        .await?;
    let timeline = events
        .into_iter()
        .map(|e| {
            let detail = e
                .detail
                .as_deref()
                .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                .and_then(|d| d.as_object().cloned())
                .map(|m| {
                    m.into_iter()
                        .filter(|(k, _)| k != "files")
                        .map(|(k, v)| {
                            let v = match v {
                                serde_json::Value::String(s) => s,
                                serde_json::Value::Null => String::new(),
                                other => other.to_string(),
                            };
                            (k, domain::values::mask_personal(&v))
                        })
                        .filter(|(_, v)| !v.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            TimelineStep {
                files: all_files.iter().filter(|f| f.1 == e.id).map(|f| (f.0, f.2.clone(), f.3)).collect(),
                at: e.at,
                actor: e.actor,
                role: e.role,
                action: e.action,
                from_state: e.from_state,
                to_state: e.to_state,
                detail,
            }
        })
        .collect();
    let candidates = [
        Step::Verify {
            how: Contact::Phone,
            said: String::new(),
            tier: Tier::General,
            days: None,
            why: String::new(),
        },
        Step::Start,
        Step::Reply(Reply::default()),
        Step::QcPass,
        Step::QcReturn { reason: String::new() },
        Step::RequestExtension {
            days: 1,
            reason: String::new(),
        },
        Step::GrantExtension,
        Step::RefuseExtension { reason: String::new() },
        Step::Appeal {
            kind: AppealKind::Mistaken,
            reason: String::new(),
            files: vec![],
        },
        Step::UpholdAppeal { note: String::new() },
        Step::RejectAppeal { note: String::new() },
        Step::Revisit {
            how: Contact::Phone,
            outcome: String::new(),
            satisfied: None,
        },
    ];
    let mut actions: Vec<&'static str> = candidates
        .iter()
        .filter(|s| may(actor, &o, s))
        .filter(|s| match s.action() {
            Some(a) => m.apply(a).is_ok(),
            None => !matches!(m.state, State::New | State::AppealRequested),
        })
        .map(Step::code)
        .collect();
    // The one-time re-rating link, after closing (the center's).
    if m.state == State::Closed
        && !o.rating_excluded
        && o.case_id.is_some()
        && o.rerating_token_id.is_none()
        && may(actor, &o, &Step::QcPass)
    {
        actions.push("rerate");
    }
    let max_extension = match policy.rectify_extension {
        domain::policy::Span::WorkingDays(n) | domain::policy::Span::Days(n) => n,
    };
    Ok(OrderDetail {
        item: item_name,
        window: window_name,
        staff: staff_name,
        phone,
        tags,
        comment,
        rated_at,
        tier: m.tier,
        extended: o.extended,
        revisits: o.revisits,
        rating_excluded: o.rating_excluded,
        reply: o.reply.as_deref().and_then(|r| serde_json::from_str(r).ok()),
        timeline,
        actions,
        max_extension,
        unit_deadline_max: policy.unit_sets_deadline.then_some(match policy.rectify {
            domain::policy::Span::WorkingDays(n) | domain::policy::Span::Days(n) => n,
        }),
        row: row(db, &cal, o, now).await?,
    })
}

/// An evidence file, scoped like its order.
pub async fn file(db: &Db, actor: &Actor, order_id: i32, file_id: i32) -> Result<(String, String, Vec<u8>)> {
    let o = work_order::Entity::find_by_id(order_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("work order"))?;
    if !sees(actor, &o, None) || actor.role == Role::WindowStaff {
        return Err(Error::Forbidden);
    }
    let f = work_order_file::Entity::find_by_id(file_id)
        .filter(work_order_file::Column::OrderId.eq(order_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("file"))?;
    Ok((f.name, f.content_type, f.bytes))
}

/// What window staff see of their cases' orders: the case number and the
/// order's state, nothing about the rater.
pub async fn for_window(db: &Db, window_id: i32, limit: u64) -> Result<Vec<(String, State)>> {
    let cases = Query::select()
        .column(service_case::Column::Id)
        .from(service_case::Entity)
        .and_where(Expr::col(service_case::Column::WindowId).eq(window_id))
        .to_owned();
    let orders = work_order::Entity::find()
        .filter(work_order::Column::CaseId.in_subquery(cases))
        .order_by_desc(work_order::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for o in orders {
        let number = match o.case_id {
            Some(c) => service_case::Entity::find_by_id(c)
                .one(db)
                .await?
                .map(|c| c.case_number)
                .unwrap_or_default(),
            None => String::new(),
        };
        out.push((number, State::parse(&o.state).unwrap_or(State::New)));
    }
    Ok(out)
}

// ---------------------------------------------------------------- re-rating

/// How long a re-rating link stays open.
pub const RERATING_DAYS: i64 = 15;

/// After a closed order (not by an upheld appeal), the center sends the
/// rater a one-time re-rating link (`/s/1/re…`, by SMS when the case has a
/// phone). Once per order; audited. Returns the link's path.
pub async fn invite_rerating(
    db: &Db,
    key: &crate::crypto::DataKey,
    actor: &Actor,
    id: i32,
    public_url: &str,
    meta: &Meta,
) -> Result<(String, bool)> {
    let now = meta.now;
    let txn = db.begin_with_options(immediate()).await?;
    let o = work_order::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("work order"))?;
    if !sees(actor, &o, None) || actor.role == Role::WindowStaff {
        return Err(Error::Forbidden);
    }
    let state = State::parse(&o.state).unwrap_or(State::New);
    let Some(case) = (match o.case_id {
        Some(c) => service_case::Entity::find_by_id(c).one(&txn).await?,
        None => None,
    }) else {
        // A static-code or kiosk rating has no one to send a link to.
        return Err(Error::Conflict(Conflict::Transition(wo::IllegalTransition {
            state: state.code(),
            action: "rerate",
            allowed: vec![],
        })));
    };
    if state != State::Closed || o.rating_excluded || o.rerating_token_id.is_some() {
        return Err(Error::Conflict(Conflict::Transition(wo::IllegalTransition {
            state: state.code(),
            action: "rerate",
            allowed: vec![],
        })));
    }
    if !may(actor, &o, &Step::QcPass) {
        return Err(Error::Forbidden);
    }
    let token = crate::entities::rating_token::ActiveModel {
        token: Set(crate::random_token(16)),
        case_id: Set(case.id),
        channel: Set(domain::Channel::SmsLink.code().into()),
        expires_at: Set(now + Duration::days(RERATING_DAYS)),
        used_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let updated = work_order::Entity::update_many()
        .col_expr(work_order::Column::ReratingTokenId, Expr::value(token.id))
        .filter(work_order::Column::Id.eq(o.id))
        .filter(work_order::Column::ReratingTokenId.is_null())
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(Error::Conflict(Conflict::Transition(wo::IllegalTransition {
            state: state.code(),
            action: "rerate",
            allowed: vec![],
        })));
    }
    let path = crate::sms::rerate_path(key, o.id);
    event(
        &txn,
        o.id,
        &EventBy::of(actor),
        "rerate_invite",
        state,
        state,
        Some(json!({ "days": RERATING_DAYS })),
        now,
    )
    .await?;
    crate::audit::append(
        &txn,
        crate::audit::Entry {
            who: &Who::from(actor),
            action: "work_order.rerate_invite",
            object_kind: "work_order",
            object_code: &o.id.to_string(),
            before: None,
            after: Some(json!({ "link": path })),
            region_id: Some(o.region_id),
        },
        meta,
    )
    .await?;
    let mut told = false;
    if let (Some(sealed), Some(hash)) = (&case.phone_sealed, &case.phone_hash) {
        told = crate::sms::queue_sealed(
            &txn,
            crate::sms::Sealed {
                kind: "work_order",
                case_id: Some(case.id),
                sealed,
                hash,
                body: &format!("【好差评】您反映的问题已整改完毕，欢迎再次评价：{public_url}{path}"),
                dedupe_key: Some(format!("wo-rerate:{}", o.id)),
            },
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok((path, told))
}

/// The rating token of an order's re-rating link (for `/s/1/re…`).
pub async fn rerating_token(db: &Db, order_id: i32) -> Result<String> {
    let o = work_order::Entity::find_by_id(order_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("work order"))?;
    let t = crate::entities::rating_token::Entity::find_by_id(o.rerating_token_id.ok_or(Error::NotFound("link"))?)
        .one(db)
        .await?
        .ok_or(Error::NotFound("link"))?;
    Ok(t.token)
}

/// Inside `rate_by_token`: when `t` is an order's re-rating link, stores the
/// item rating as that order's re-rating (rating count 3, counted apart; no
/// new order) and returns its id; `None` for any other link.
pub(crate) async fn rerate(
    txn: &DatabaseTransaction,
    t: &crate::entities::rating_token::Model,
    case: &service_case::Model,
    input: &domain::RatingInput,
    channel: domain::Channel,
    now: DateTime<Utc>,
) -> Result<Option<i32>> {
    let Some(o) = work_order::Entity::find()
        .filter(work_order::Column::ReratingTokenId.eq(t.id))
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    let r = rating::ActiveModel {
        case_id: Set(case.id),
        target: Set(domain::Target::Item.code().to_string()),
        level: Set(input.level.code().to_string()),
        score: Set(input.level.score()),
        channel: Set(channel.code().to_string()),
        tags: Set(crate::columns::tags_text(input)),
        comment: Set(input.comment.as_ref().map(|c| c.as_str().to_string())),
        rating_count: Set(3),
        catalog_version: Set(domain::CATALOG_VERSION),
        api_client_id: Set(None),
        issuer_client_id: Set(case.api_client_id),
        created_at: Set(now),
        excluded_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|e| {
        if Error::is_unique_violation(&e) {
            Error::AlreadyRated
        } else {
            e.into()
        }
    })?;
    work_order::Entity::update_many()
        .col_expr(work_order::Column::ReratingId, Expr::value(r.id))
        .filter(work_order::Column::Id.eq(o.id))
        .exec(txn)
        .await?;
    let state = State::parse(&o.state).unwrap_or(State::Closed);
    event(
        txn,
        o.id,
        &EventBy {
            account_id: None,
            actor: "rater".into(),
            role: "rater".into(),
        },
        "rerated",
        state,
        state,
        Some(json!({ "level": input.level.code() })),
        now,
    )
    .await?;
    Ok(Some(r.id))
}

// ---------------------------------------------------------------- flagged ratings

/// A bad place rating held back as a repeat or burst: no order until the
/// center promotes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flagged {
    pub place_rating_id: i32,
    pub hall: String,
    pub window: Option<String>,
    pub level: Level,
    pub channel: String,
    pub reason: String,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn center_regions(actor: &Actor) -> Result<Option<Vec<i32>>> {
    match &actor.scope {
        Scope::All => Ok(None),
        Scope::Regions { ids, .. } => Ok(Some(ids.clone())),
        _ => Err(Error::Forbidden),
    }
}

/// The review list: flagged bad ratings in the center's regions without an order.
pub async fn flagged(db: &Db, actor: &Actor, limit: u64) -> Result<Vec<Flagged>> {
    let regions = center_regions(actor)?;
    let with_order = Query::select()
        .column(work_order::Column::PlaceRatingId)
        .from(work_order::Entity)
        .and_where(Expr::col(work_order::Column::PlaceRatingId).is_not_null())
        .to_owned();
    let mut q = place_rating::Entity::find()
        .filter(place_rating::Column::Counted.eq(false))
        .filter(place_rating::Column::Level.is_in([Level::Dissatisfied.code(), Level::VeryDissatisfied.code()]))
        .filter(place_rating::Column::Id.not_in_subquery(with_order));
    if let Some(ids) = regions {
        let halls = Query::select()
            .column(hall::Column::Id)
            .from(hall::Entity)
            .and_where(Expr::col(hall::Column::RegionId).is_in(ids))
            .to_owned();
        q = q.filter(place_rating::Column::HallId.in_subquery(halls));
    }
    let rows = q.order_by_desc(place_rating::Column::Id).limit(limit).all(db).await?;
    let mut out = Vec::new();
    for p in rows {
        let hall = hall::Entity::find_by_id(p.hall_id)
            .one(db)
            .await?
            .map(|h| h.name)
            .unwrap_or_default();
        let window = match p.window_id {
            Some(w) => service_window::Entity::find_by_id(w).one(db).await?.map(|w| w.name),
            None => None,
        };
        out.push(Flagged {
            place_rating_id: p.id,
            hall,
            window,
            level: crate::columns::level(&p.level)?,
            channel: p.channel,
            reason: p.repeat_reason.unwrap_or_default(),
            comment: p.comment.map(|c| domain::values::mask_personal(&c)),
            created_at: p.created_at,
        });
    }
    Ok(out)
}

/// The center promotes a flagged bad rating to an order (audited); the
/// rating stays flagged for statistics.
pub async fn promote(db: &Db, actor: &Actor, place_rating_id: i32, meta: &Meta) -> Result<i32> {
    let regions = center_regions(actor)?;
    let txn = db.begin_with_options(immediate()).await?;
    let p = place_rating::Entity::find_by_id(place_rating_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("rating"))?;
    let h = hall::Entity::find_by_id(p.hall_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("hall"))?;
    if regions.is_some_and(|ids| !ids.contains(&h.region_id)) {
        return Err(Error::Forbidden);
    }
    let exists = work_order::Entity::find()
        .filter(work_order::Column::PlaceRatingId.eq(p.id))
        .one(&txn)
        .await?;
    if let Some(o) = exists {
        return Ok(o.id);
    }
    let id = open_for_place(&txn, &p, &actor.job_number, meta.now)
        .await?
        .ok_or(Error::invalid("rating", Reason::NotBad))?;
    crate::audit::append(
        &txn,
        crate::audit::Entry {
            who: &Who::from(actor),
            action: "work_order.promote",
            object_kind: "work_order",
            object_code: &id.to_string(),
            before: None,
            after: Some(json!({ "place_rating": p.id, "repeat_reason": p.repeat_reason })),
            region_id: Some(h.region_id),
        },
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

// ---------------------------------------------------------------- 差评处置负责人

/// A unit's (or a center's) 差评处置负责人 and the mobile number they are told on (masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handler {
    /// A unit's code, or `region:{code}` for a center's.
    pub unit_code: String,
    pub unit_name: String,
    pub job_number: Option<String>,
    pub phone: Option<String>,
}

/// The units `actor` may name a 负责人 for, with the current one.
pub async fn handlers(db: &Db, key: &crate::crypto::DataKey, actor: &Actor) -> Result<Vec<Handler>> {
    let mut q = unit::Entity::find().filter(unit::Column::Active.eq(true));
    q = match &actor.scope {
        Scope::All => q,
        Scope::Regions { ids, .. } => q.filter(unit::Column::RegionId.is_in(ids.clone())),
        Scope::Unit(u) => q.filter(unit::Column::Id.eq(*u)),
        Scope::Window(_) => return Err(Error::Forbidden),
    };
    let units = q.order_by_asc(unit::Column::Code).all(db).await?;
    let mut out = Vec::new();
    // Centers: the regions of a center administrator (all, for the system administrator).
    let regions = match &actor.scope {
        Scope::All => Some(
            crate::entities::region::Entity::find()
                .order_by_asc(crate::entities::region::Column::Code)
                .all(db)
                .await?,
        ),
        Scope::Regions { ids, .. } => Some(
            crate::entities::region::Entity::find()
                .filter(crate::entities::region::Column::Id.is_in(ids.clone()))
                .order_by_asc(crate::entities::region::Column::Code)
                .all(db)
                .await?,
        ),
        _ => None,
    };
    for r in regions.unwrap_or_default() {
        let job_number = match r.handler_account_id {
            Some(a) => account::Entity::find_by_id(a).one(db).await?.map(|a| a.job_number),
            None => None,
        };
        out.push(Handler {
            unit_code: format!("region:{}", r.code),
            unit_name: format!("{} 服务中心", r.name),
            job_number,
            phone: r
                .handler_phone_sealed
                .as_deref()
                .and_then(|s| key.open(s))
                .map(|p| domain::values::mask_phone(&p)),
        });
    }
    for u in units {
        let job_number = match u.handler_account_id {
            Some(a) => account::Entity::find_by_id(a).one(db).await?.map(|a| a.job_number),
            None => None,
        };
        out.push(Handler {
            unit_code: u.code,
            unit_name: u.name,
            job_number,
            phone: u
                .handler_phone_sealed
                .as_deref()
                .and_then(|s| key.open(s))
                .map(|p| domain::values::mask_phone(&p)),
        });
    }
    Ok(out)
}

/// Names a unit's 差评处置负责人: an active account of that unit (or of the
/// center above it) and their mobile number; audited without the number.
pub async fn set_handler(
    db: &Db,
    key: &crate::crypto::DataKey,
    actor: &Actor,
    unit_code: &str,
    job_number: &str,
    phone: &str,
    meta: &Meta,
) -> Result<()> {
    if let Some(region_code) = unit_code.trim().strip_prefix("region:") {
        return set_center_handler(db, key, actor, region_code, job_number, phone, meta).await;
    }
    let u = unit::Entity::find()
        .filter(unit::Column::Code.eq(unit_code.trim()))
        .one(db)
        .await?
        .ok_or(Error::invalid("unit", Reason::Unknown(unit_code.trim().to_string())))?;
    let allowed = match &actor.scope {
        Scope::All => true,
        Scope::Regions { ids, .. } => ids.contains(&u.region_id),
        Scope::Unit(x) => *x == u.id,
        Scope::Window(_) => false,
    };
    if !allowed {
        return Err(Error::Forbidden);
    }
    let phone = domain::Phone::parse(phone).map_err(|e| Error::invalid("phone", Reason::Value(e)))?;
    let a = account::Entity::find()
        .filter(account::Column::JobNumber.eq(job_number.trim()))
        .filter(account::Column::Active.eq(true))
        .one(db)
        .await?
        .ok_or(Error::invalid("job_number", Reason::Unknown(job_number.trim().to_string())))?;
    let txn = db.begin_with_options(immediate()).await?;
    let mut am: unit::ActiveModel = u.clone().into();
    am.handler_account_id = Set(Some(a.id));
    am.handler_phone_sealed = Set(Some(key.seal(phone.expose())));
    am.handler_phone_hash = Set(Some(key.hash(phone.expose())));
    am.update(&txn).await?;
    crate::audit::append(
        &txn,
        crate::audit::Entry {
            who: &Who::from(actor),
            action: "work_order.handler",
            object_kind: "unit",
            object_code: &u.code,
            before: None,
            after: Some(json!({ "handler": a.job_number, "phone": domain::values::mask_phone(phone.expose()) })),
            region_id: Some(u.region_id),
        },
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Names a center's 差评处置负责人 for a region in the actor's part (center
/// or system administrators); audited without the number.
async fn set_center_handler(
    db: &Db,
    key: &crate::crypto::DataKey,
    actor: &Actor,
    region_code: &str,
    job_number: &str,
    phone: &str,
    meta: &Meta,
) -> Result<()> {
    use crate::entities::region;
    let r = region::Entity::find()
        .filter(region::Column::Code.eq(region_code.trim()))
        .one(db)
        .await?
        .ok_or(Error::invalid("unit", Reason::Unknown(region_code.trim().to_string())))?;
    let allowed = match &actor.scope {
        Scope::All => true,
        Scope::Regions { ids, .. } => ids.contains(&r.id),
        _ => false,
    };
    if !allowed {
        return Err(Error::Forbidden);
    }
    let phone = domain::Phone::parse(phone).map_err(|e| Error::invalid("phone", Reason::Value(e)))?;
    let a = account::Entity::find()
        .filter(account::Column::JobNumber.eq(job_number.trim()))
        .filter(account::Column::Active.eq(true))
        .one(db)
        .await?
        .ok_or(Error::invalid("job_number", Reason::Unknown(job_number.trim().to_string())))?;
    let txn = db.begin_with_options(immediate()).await?;
    let mut am: region::ActiveModel = r.clone().into();
    am.handler_account_id = Set(Some(a.id));
    am.handler_phone_sealed = Set(Some(key.seal(phone.expose())));
    am.handler_phone_hash = Set(Some(key.hash(phone.expose())));
    am.update(&txn).await?;
    crate::audit::append(
        &txn,
        crate::audit::Entry {
            who: &Who::from(actor),
            action: "work_order.handler",
            object_kind: "region",
            object_code: &r.code,
            before: None,
            after: Some(json!({ "handler": a.job_number, "phone": domain::values::mask_phone(phone.expose()) })),
            region_id: Some(r.id),
        },
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The nearest region at or above `region_id` that names a center 负责人.
async fn center_handler<C: ConnectionTrait>(conn: &C, mut region_id: i32) -> Result<Option<crate::entities::region::Model>> {
    for _ in 0..12 {
        let Some(r) = crate::entities::region::Entity::find_by_id(region_id).one(conn).await? else {
            return Ok(None);
        };
        if r.handler_phone_sealed.is_some() {
            return Ok(Some(r));
        }
        match r.parent_id {
            Some(p) => region_id = p,
            None => return Ok(None),
        }
    }
    Ok(None)
}

// ---------------------------------------------------------------- the job

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoticeRun {
    /// New orders whose unit's 负责人 was told.
    pub told_new: u64,
    /// Orders newly marked overdue today (once a day each).
    pub escalated: u64,
    /// Center 负责人 told today (one digest a day each).
    pub centers_told: u64,
}

async fn tell_handler<C: ConnectionTrait>(conn: &C, unit_id: Option<i32>, body: &str, dedupe: String, now: DateTime<Utc>) -> Result<bool> {
    let Some(u) = unit_id else { return Ok(false) };
    let Some(u) = unit::Entity::find_by_id(u).one(conn).await? else {
        return Ok(false);
    };
    let (Some(sealed), Some(hash)) = (u.handler_phone_sealed, u.handler_phone_hash) else {
        return Ok(false);
    };
    crate::sms::queue_sealed(
        conn,
        crate::sms::Sealed {
            kind: "work_order",
            case_id: None,
            sealed: &sealed,
            hash: &hash,
            body,
            dedupe_key: Some(dedupe),
        },
        now,
    )
    .await?;
    Ok(true)
}

/// One pass: tell each unit's 负责人 of new orders, and once a day mark the
/// orders past a deadline (working days late, a timeline step) and tell the
/// 负责人 again. Idempotent (dedupe keys, conditional updates).
pub async fn notices(db: &Db, now: DateTime<Utc>) -> Result<NoticeRun> {
    let mut run = NoticeRun::default();
    let cal = crate::calendar::load(db).await?;
    let fresh = work_order::Entity::find()
        .filter(work_order::Column::NotifiedAt.is_null())
        .order_by_asc(work_order::Column::Id)
        .limit(500)
        .all(db)
        .await?;
    for o in fresh {
        let txn = db.begin_with_options(immediate()).await?;
        let claimed = work_order::Entity::update_many()
            .col_expr(work_order::Column::NotifiedAt, Expr::value(now))
            .filter(work_order::Column::Id.eq(o.id))
            .filter(work_order::Column::NotifiedAt.is_null())
            .exec(&txn)
            .await?;
        if claimed.rows_affected == 1 {
            let body = format!(
                "【好差评】新差评工单{}（{}），请在{}前联系评价人核实。",
                o.id,
                crate::columns::level(&o.level)?.label_zh(),
                o.first_contact_due.with_timezone(&crate::console::china()).format("%m-%d %H:%M")
            );
            if tell_handler(&txn, o.unit_id, &body, format!("wo-new:{}", o.id), now).await? {
                run.told_new += 1;
            }
        }
        txn.commit().await?;
    }
    let today = now.with_timezone(&crate::console::china()).format("%Y-%m-%d").to_string();
    let open = work_order::Entity::find()
        .filter(work_order::Column::State.ne(State::Closed.code()))
        .all(db)
        .await?;
    let mut late_regions = Vec::new();
    for o in open {
        let Some(due) = current_due(&o) else { continue };
        let Some(days) = wo::overdue_days(&cal, due, now) else { continue };
        if o.escalated_on.as_deref() == Some(today.as_str()) {
            continue;
        }
        let txn = db.begin_with_options(immediate()).await?;
        let mut q = work_order::Entity::update_many()
            .col_expr(work_order::Column::EscalatedOn, Expr::value(today.clone()))
            .col_expr(work_order::Column::OverdueDays, Expr::value(days as i32))
            .filter(work_order::Column::Id.eq(o.id));
        q = match &o.escalated_on {
            Some(d) => q.filter(work_order::Column::EscalatedOn.eq(d.clone())),
            None => q.filter(work_order::Column::EscalatedOn.is_null()),
        };
        if q.exec(&txn).await?.rows_affected == 1 {
            let state = State::parse(&o.state).unwrap_or(State::New);
            event(
                &txn,
                o.id,
                &EventBy::system(),
                "escalate",
                state,
                state,
                Some(json!({ "overdue_days": days, "due": due.to_rfc3339() })),
                now,
            )
            .await?;
            let body = format!("【好差评】差评工单{}已逾期{}个工作日，请立即处理。", o.id, days);
            tell_handler(&txn, o.unit_id, &body, format!("wo-late:{}:{today}", o.id), now).await?;
            run.escalated += 1;
            late_regions.push(o.region_id);
        }
        txn.commit().await?;
    }
    // The center: one digest a day per center 负责人 (the nearest region above that names one).
    let mut by_center: Vec<(crate::entities::region::Model, u64)> = Vec::new();
    for region_id in late_regions {
        if let Some(r) = center_handler(db, region_id).await? {
            match by_center.iter_mut().find(|(c, _)| c.id == r.id) {
                Some((_, n)) => *n += 1,
                None => by_center.push((r, 1)),
            }
        }
    }
    for (r, n) in by_center {
        let (Some(sealed), Some(hash)) = (&r.handler_phone_sealed, &r.handler_phone_hash) else {
            continue;
        };
        let body = format!("【好差评】{}今日新增逾期差评工单{n}件，请督办。", r.name);
        let queued = crate::sms::queue_sealed(
            db,
            crate::sms::Sealed {
                kind: "work_order",
                case_id: None,
                sealed,
                hash,
                body: &body,
                dedupe_key: Some(format!("wo-late-center:{}:{today}", r.id)),
            },
            now,
        )
        .await?;
        if queued {
            run.centers_told += 1;
        }
    }
    Ok(run)
}

/// The order of a case's rating (the demo, tests).
pub async fn order_of_case(db: &Db, case_id: i32) -> Result<i32> {
    Ok(work_order::Entity::find()
        .filter(work_order::Column::CaseId.eq(case_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("work order"))?
        .id)
}

/// Demo: a unit's 负责人 with a demo number.
pub async fn demo_handler(db: &Db, key: &crate::crypto::DataKey, unit_code: &str, job_number: &str, phone: &str) -> Result<()> {
    let Some(u) = unit::Entity::find().filter(unit::Column::Code.eq(unit_code)).one(db).await? else {
        return Ok(());
    };
    let Some(a) = account::Entity::find()
        .filter(account::Column::JobNumber.eq(job_number))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let mut am: unit::ActiveModel = u.into();
    am.handler_account_id = Set(Some(a.id));
    am.handler_phone_sealed = Set(Some(key.seal(phone)));
    am.handler_phone_hash = Set(Some(key.hash(phone)));
    am.update(db).await?;
    Ok(())
}
