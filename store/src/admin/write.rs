//! Creating and updating objects from form values, audited in the same transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set, TransactionTrait};
use serde_json::{json, Value};

use super::read::{fetch, record_of, ref_id};
use super::scope::{allowed, can_list, place_of, Place};
use super::{Input, Kind, Obj, Record};
use crate::accounts::{Actor, Scope};
use crate::audit::{self, Entry, Meta, Who};
use crate::entities::{api_client, hall, item, region, service_window, staff, unit};
use crate::{immediate, Conflict, Db, Error, Reason, Result};

pub(super) fn audit_json(r: &Record) -> Value {
    let mut m = serde_json::Map::new();
    for (k, v) in &r.values {
        m.insert(k.clone(), json!(v));
    }
    m.insert("active".into(), json!(r.active));
    Value::Object(m)
}

fn check_code(kind: Kind, code: &str) -> Result<()> {
    if code.is_empty() {
        return Err(Error::invalid("code", Reason::Required));
    }
    if kind == Kind::Regions {
        if !(2..=12).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_digit()) {
            return Err(Error::invalid("code", Reason::RegionCode));
        }
    } else if code.chars().count() > 64
        || code
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '/' || c == '?' || c == '#')
    {
        return Err(Error::invalid("code", Reason::Code));
    }
    Ok(())
}

fn check_name(field: &'static str, name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid(field, Reason::Required));
    }
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(Error::invalid(field, Reason::Printable { max: 100 }));
    }
    Ok(())
}

/// Turns submitted form values into an object (ids resolved). `existing` keeps
/// its id and code.
async fn parse_form<C: ConnectionTrait>(conn: &C, kind: Kind, existing: Option<&Obj>, form: &BTreeMap<String, String>) -> Result<Obj> {
    let val = |name: &str| form.get(name).map(|s| s.trim().to_string()).unwrap_or_default();
    let mut o = Obj {
        id: existing.map(|e| e.id).unwrap_or(0),
        code: existing.map(|e| e.code.clone()).unwrap_or_default(),
        name: String::new(),
        active: existing.map(|e| e.active).unwrap_or(true),
        refs: vec![],
        photo_url: None,
        grant: Default::default(),
    };
    if existing.is_some() {
        // The edit form's checkbox: absent means unchecked.
        o.active = form.contains_key("active");
    }
    for field in kind.fields() {
        match field.input {
            Input::Code => {
                if existing.is_none() {
                    let c = val(field.name);
                    check_code(kind, &c)?;
                    o.code = c;
                }
            }
            Input::Name => {
                let n = val(field.name);
                check_name(field.name, &n)?;
                o.name = n;
            }
            Input::Url => {
                let u = val(field.name);
                // Photos are served only by this server (issue 13 item 15): an
                // outside address would make every evaluator fetch it.
                if !u.is_empty() && !crate::photos::is_own_photo(&u) {
                    return Err(Error::invalid(field.name, Reason::WebAddress));
                }
                o.photo_url = (!u.is_empty()).then_some(u);
            }
            Input::Scope => o.grant = crate::keys::resolve_scope(conn, Some(&val(field.name))).await?,
            Input::Ref { kind: rk, optional } => {
                let c = val(field.name);
                if c.is_empty() {
                    if optional {
                        o.refs.push(None);
                        continue;
                    }
                    return Err(Error::invalid(field.name, Reason::Required));
                }
                let id = ref_id(conn, rk, &c)
                    .await?
                    .ok_or_else(|| Error::invalid(field.name, Reason::Unknown(c.to_string())))?;
                if kind == Kind::Regions && existing.is_some_and(|e| e.id == id) {
                    return Err(Error::invalid(field.name, Reason::OwnParent));
                }
                o.refs.push(Some(id));
            }
        }
    }
    if kind == Kind::Windows {
        // A window's hall is in its unit's region or below (issue 13 item 1: a
        // 沈阳 unit's window in a 大连 hall is refused, whoever asks).
        if let (Some(Some(h)), Some(Some(u))) = (o.refs.first(), o.refs.get(1)) {
            let hall_region = hall::Entity::find_by_id(*h).one(conn).await?.map(|h| h.region_id);
            let unit_region = super::scope::unit_region(conn, *u).await?;
            let inside = match (hall_region, unit_region) {
                (Some(hr), Some(ur)) => crate::accounts::region_within(conn, hr, ur).await?,
                _ => false,
            };
            if !inside {
                return Err(Error::invalid("hall", Reason::HallOutsideUnitRegion));
            }
        }
    }
    if kind == Kind::Regions {
        if let (Some(e), Some(Some(parent))) = (existing, o.refs.first()) {
            // Moving a region under its own descendant would make a loop.
            if crate::accounts::region_subtree(conn, e.id).await?.contains(parent) {
                return Err(Error::invalid("parent", Reason::UnderOwnSubRegion));
            }
        }
    }
    Ok(o)
}

pub(super) async fn write<C: ConnectionTrait>(conn: &C, kind: Kind, o: &Obj, now: DateTime<Utc>) -> Result<i32> {
    let new = o.id == 0;
    let r = |i: usize| o.refs.get(i).copied().flatten();
    let need = |i: usize| r(i).ok_or(Error::NotFound("reference"));
    let id = match kind {
        Kind::Regions => {
            let mut am = region::ActiveModel {
                code: Set(o.code.clone()),
                name: Set(o.name.clone()),
                parent_id: Set(r(0)),
                active: Set(o.active),
                ..Default::default()
            };
            if new {
                am.created_at = Set(now);
                am.insert(conn).await?.id
            } else {
                am.id = Set(o.id);
                am.update(conn).await?.id
            }
        }
        Kind::Units => {
            let mut am = unit::ActiveModel {
                code: Set(o.code.clone()),
                name: Set(o.name.clone()),
                region_id: Set(need(0)?),
                active: Set(o.active),
                ..Default::default()
            };
            if new {
                am.created_at = Set(now);
                am.insert(conn).await?.id
            } else {
                am.id = Set(o.id);
                am.update(conn).await?.id
            }
        }
        Kind::Halls => {
            let mut am = hall::ActiveModel {
                code: Set(o.code.clone()),
                name: Set(o.name.clone()),
                region_id: Set(need(0)?),
                active: Set(o.active),
                ..Default::default()
            };
            if new {
                am.created_at = Set(now);
                am.insert(conn).await?.id
            } else {
                am.id = Set(o.id);
                am.update(conn).await?.id
            }
        }
        Kind::Windows => {
            let mut am = service_window::ActiveModel {
                code: Set(o.code.clone()),
                name: Set(o.name.clone()),
                hall_id: Set(need(0)?),
                unit_id: Set(need(1)?),
                active: Set(o.active),
                ..Default::default()
            };
            if new {
                am.created_at = Set(now);
                am.insert(conn).await?.id
            } else {
                am.id = Set(o.id);
                am.update(conn).await?.id
            }
        }
        Kind::Staff => {
            let mut am = staff::ActiveModel {
                number: Set(o.code.clone()),
                name: Set(o.name.clone()),
                unit_id: Set(need(0)?),
                photo_url: Set(o.photo_url.clone()),
                active: Set(o.active),
                ..Default::default()
            };
            if new {
                am.created_at = Set(now);
                am.insert(conn).await?.id
            } else {
                am.id = Set(o.id);
                am.update(conn).await?.id
            }
        }
        Kind::Items => {
            let mut am = item::ActiveModel {
                code: Set(o.code.clone()),
                name: Set(o.name.clone()),
                unit_id: Set(need(0)?),
                active: Set(o.active),
                ..Default::default()
            };
            if new {
                am.created_at = Set(now);
                am.insert(conn).await?.id
            } else {
                am.id = Set(o.id);
                am.update(conn).await?.id
            }
        }
        Kind::Clients => {
            let am = api_client::ActiveModel {
                id: Set(o.id),
                name: Set(o.name.clone()),
                scope_region_id: Set(o.grant.region_id),
                scope_unit_id: Set(o.grant.unit_id),
                ..Default::default()
            };
            am.update(conn).await?.id
        }
    };
    Ok(id)
}

/// The region an audit line of this object is filed under.
pub(super) fn audit_region(kind: Kind, o: &Obj, place: &Place) -> Option<i32> {
    if kind == Kind::Regions {
        Some(o.id)
    } else {
        place.regions.first().copied()
    }
}

/// Checks a create (`code` None) or an update from form values as
/// [`save_in`] would make it — scope of the object as it was and as it will be,
/// every field, a free code — without writing: `(existing, new)`.
pub(super) async fn prepare<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    kind: Kind,
    code: Option<&str>,
    form: &BTreeMap<String, String>,
) -> Result<(Option<Obj>, Obj, Place)> {
    if !can_list(actor, kind) || (kind == Kind::Clients && code.is_none()) {
        return Err(Error::Forbidden);
    }
    let existing = match code {
        Some(c) => {
            let o = fetch(conn, kind, c).await?.ok_or(Error::NotFound("object"))?;
            if !allowed(actor, kind, &place_of(conn, kind, &o).await?) {
                return Err(Error::Forbidden);
            }
            Some(o)
        }
        None => None,
    };
    let o = parse_form(conn, kind, existing.as_ref(), form).await?;
    let place = place_of(conn, kind, &o).await?;
    if !allowed(actor, kind, &place) {
        return Err(Error::Forbidden);
    }
    if existing.is_none() && fetch(conn, kind, &o.code).await?.is_some() {
        return Err(Error::Conflict(Conflict::CodeTaken(o.code.clone())));
    }
    Ok((existing, o, place))
}

/// Whether a create or update from these form values would be accepted
/// (nothing is written): what an import checks every row with first.
pub async fn check<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    kind: Kind,
    code: Option<&str>,
    form: &BTreeMap<String, String>,
) -> Result<()> {
    prepare(conn, actor, kind, code, form).await.map(|_| ())
}

/// Creates (`code` None) or updates an object from form values, after checking
/// the actor's scope for the object as it was *and* as it will be. Returns the code.
pub(crate) async fn save_in<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    kind: Kind,
    code: Option<&str>,
    form: &BTreeMap<String, String>,
    meta: &Meta,
) -> Result<(String, &'static str)> {
    let (existing, mut o, place) = prepare(conn, actor, kind, code, form).await?;
    let before = match &existing {
        Some(e) => Some(audit_json(&record_of(conn, kind, e).await?)),
        None => None,
    };
    o.id = write(conn, kind, &o, meta.now).await?;
    let after = audit_json(&record_of(conn, kind, &o).await?);
    if before.as_ref() == Some(&after) {
        return Ok((o.code, "unchanged"));
    }
    let action = if existing.is_some() { "update" } else { "create" };
    audit::append(
        conn,
        Entry {
            who: &Who::from(actor),
            action,
            object_kind: kind.slug(),
            object_code: &o.code,
            before,
            after: Some(after),
            region_id: audit_region(kind, &o, &place),
        },
        meta,
    )
    .await?;
    Ok((o.code, action))
}

pub async fn save(db: &Db, actor: &Actor, kind: Kind, code: Option<&str>, form: &BTreeMap<String, String>, meta: &Meta) -> Result<String> {
    let txn = db.begin_with_options(immediate()).await?;
    match save_in(&txn, actor, kind, code, form, meta).await {
        Ok((code, _)) => {
            txn.commit().await?;
            Ok(code)
        }
        Err(e) => {
            txn.rollback().await?;
            Err(e)
        }
    }
}

/// Creates a business-system client (system administrators only); returns its
/// id and its key, which is shown once.
pub async fn create_client(db: &Db, actor: &Actor, name: &str, scope: &str, meta: &Meta) -> Result<(i32, String)> {
    if actor.scope != Scope::All {
        return Err(Error::Forbidden);
    }
    let txn = db.begin_with_options(immediate()).await?;
    let grant = crate::keys::resolve_scope(&txn, Some(scope)).await?;
    let (id, key) = crate::keys::create(&txn, name, grant, meta.now).await?;
    audit::append(
        &txn,
        Entry {
            who: &Who::from(actor),
            action: "create",
            object_kind: Kind::Clients.slug(),
            object_code: &id.to_string(),
            before: None,
            after: Some(json!({"name": name.trim(), "scope": scope.trim()})),
            region_id: None,
        },
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok((id, key))
}
