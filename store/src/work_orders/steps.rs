//! The steps people take on an order, checked by scope, the state machine and each step's rules.

use super::*;

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
    pub(super) fn action(&self) -> Option<Action> {
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
    pub(super) fn is_center_step(&self) -> bool {
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

pub(super) fn required(field: &'static str, v: &str, max: usize) -> Result<String> {
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

pub(super) fn machine(o: &work_order::Model) -> Result<WorkOrder> {
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
pub(super) fn sees(actor: &Actor, o: &work_order::Model, window_of_case: Option<i32>) -> bool {
    match &actor.scope {
        Scope::All => true,
        Scope::Regions { ids, .. } => ids.contains(&o.region_id),
        Scope::Unit(u) => o.unit_id == Some(*u),
        Scope::Window(w) => window_of_case == Some(*w),
    }
}

/// Whether `actor` may take `step` on the order.
pub(super) fn may(actor: &Actor, o: &work_order::Model, step: &Step) -> bool {
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
    // The days whose numbers this step changes (issue 14 rollups): the
    // opening day, the old and new deadlines, an excluded rating's days.
    let mut days = vec![o.opened_at];
    days.extend(o.handle_due);
    if let sea_orm::ActiveValue::Set(Some(d)) | sea_orm::ActiveValue::Unchanged(Some(d)) = &am.handle_due {
        days.push(*d);
    }
    if after.rating_excluded && !o.rating_excluded {
        if let Some(r) = o.rating_id {
            if let Some(m) = rating::Entity::find_by_id(r).one(&txn).await? {
                days.push(m.created_at);
                if let Some(c) = service_case::Entity::find_by_id(m.case_id).one(&txn).await? {
                    days.push(c.completed_at);
                }
            }
        }
        if let Some(p) = o.place_rating_id {
            if let Some(m) = place_rating::Entity::find_by_id(p).one(&txn).await? {
                days.push(m.created_at);
            }
        }
    }
    crate::rollup::mark(&txn, &days).await?;
    // Issue 15: an exclusion and an outcome are reported upward in this transaction.
    {
        use crate::exchange::{enqueue, At, Kind};
        if after.rating_excluded && !o.rating_excluded {
            if let Some(r) = o.rating_id {
                enqueue(&txn, Kind::Exclusion, r, At::Region(o.region_id), now).await?;
            }
            if let Some(p) = o.place_rating_id {
                enqueue(&txn, Kind::ExclusionPlace, p, At::Region(o.region_id), now).await?;
            }
        } else if after.state == State::Closed && before.state != State::Closed {
            enqueue(&txn, Kind::Rectification, o.id, At::Region(o.region_id), now).await?;
        }
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
    // A revisit after closing is reported as the outcome's revisit.
    if matches!(step, Step::Revisit { .. }) && before.state == State::Closed && !after.rating_excluded {
        crate::exchange::enqueue(
            &txn,
            crate::exchange::Kind::Revisit,
            event_id,
            crate::exchange::At::Region(o.region_id),
            now,
        )
        .await?;
    }
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
