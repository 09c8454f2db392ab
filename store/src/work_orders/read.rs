//! Reading orders: the list, one order's page, the API's view, what window staff see.

use super::*;

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

pub(super) async fn row(db: &Db, cal: &Calendar, o: work_order::Model, now: DateTime<Utc>) -> Result<OrderRow> {
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

pub(super) fn scoped(actor: Option<&Actor>, mut q: sea_orm::Select<work_order::Entity>) -> Result<sea_orm::Select<work_order::Entity>> {
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

pub(super) async fn filtered(db: &Db, actor: Option<&Actor>, f: &Filter) -> Result<sea_orm::Select<work_order::Entity>> {
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
        // The cases the key reported, and those of a region or unit it was
        // granted (issue 13 item 4).
        let cases = Query::select()
            .column(service_case::Column::Id)
            .from(service_case::Entity)
            .cond_where(crate::keys::case_condition(db, client).await?)
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
        .limit(limit.clamp(1, 501))
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
    let (item_name, window_name, staff_name, rated_at, tags, comment, sealed) = if let Some(r) = o.rating_id {
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
        let sealed = c.phone_sealed.clone();
        (i, w, s, r.created_at, crate::columns::tags_list(&r.tags), r.comment, sealed)
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
            // A real-name static-code rating keeps the proven phone.
            p.phone_sealed,
        )
    };
    let phone = sealed.as_deref().and_then(|s| key.open(s)).map(|p| domain::values::mask_phone(&p));
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
