//! The organisation tree as administrators manage it: regions, units, halls,
//! windows, staff, service items and business-system API clients. Every read and
//! write checks the actor's role *and* scope here, in one place, so no page can
//! forget it; every write is audited in the same transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use serde_json::{json, Value};

use crate::accounts::{Actor, Scope};
use crate::audit::{self, Entry, Meta, Who};
use crate::entities::{api_client, hall, item, region, service_case, service_window, staff, unit};
use crate::{immediate, Db, Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Regions,
    Units,
    Halls,
    Windows,
    Staff,
    Items,
    Clients,
}

/// What a form field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The object's code (fixed once created).
    Code,
    /// A required name.
    Name,
    /// The code of another object; `optional` for a region's parent.
    Ref { kind: Kind, optional: bool },
    /// An optional web address (a staff photo).
    Url,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub input: Input,
}

const fn f(name: &'static str, zh: &'static str, en: &'static str, input: Input) -> Field {
    Field { name, zh, en, input }
}

const REGION_FIELDS: &[Field] = &[
    f("code", "行政区划代码", "Region code", Input::Code),
    f("name", "名称", "Name", Input::Name),
    f(
        "parent",
        "上级区划",
        "Parent region",
        Input::Ref {
            kind: Kind::Regions,
            optional: true,
        },
    ),
];
const UNIT_FIELDS: &[Field] = &[
    f("code", "部门编码", "Unit code", Input::Code),
    f("name", "部门名称", "Unit name", Input::Name),
    f(
        "region",
        "所属区划",
        "Region",
        Input::Ref {
            kind: Kind::Regions,
            optional: false,
        },
    ),
];
const HALL_FIELDS: &[Field] = &[
    f("code", "大厅编码", "Hall code", Input::Code),
    f("name", "大厅名称", "Hall name", Input::Name),
    f(
        "region",
        "所属区划",
        "Region",
        Input::Ref {
            kind: Kind::Regions,
            optional: false,
        },
    ),
];
const WINDOW_FIELDS: &[Field] = &[
    f("code", "窗口编码", "Window code", Input::Code),
    f("name", "窗口名称", "Window name", Input::Name),
    f(
        "hall",
        "所在大厅",
        "Hall",
        Input::Ref {
            kind: Kind::Halls,
            optional: false,
        },
    ),
    f(
        "unit",
        "运行部门",
        "Operating unit",
        Input::Ref {
            kind: Kind::Units,
            optional: false,
        },
    ),
];
const STAFF_FIELDS: &[Field] = &[
    f("code", "工号", "Job number", Input::Code),
    f("name", "姓名", "Name", Input::Name),
    f(
        "unit",
        "所属部门",
        "Unit",
        Input::Ref {
            kind: Kind::Units,
            optional: false,
        },
    ),
    f("photo_url", "照片地址（可选）", "Photo URL (optional)", Input::Url),
];
const ITEM_FIELDS: &[Field] = &[
    f("code", "事项编码", "Item code", Input::Code),
    f("name", "事项名称", "Item name", Input::Name),
    f(
        "unit",
        "实施部门",
        "Owning unit",
        Input::Ref {
            kind: Kind::Units,
            optional: false,
        },
    ),
];
const CLIENT_FIELDS: &[Field] = &[f("name", "业务系统名称", "Business system", Input::Name)];

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Regions,
        Kind::Units,
        Kind::Halls,
        Kind::Windows,
        Kind::Staff,
        Kind::Items,
        Kind::Clients,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Kind::Regions => "regions",
            Kind::Units => "units",
            Kind::Halls => "halls",
            Kind::Windows => "windows",
            Kind::Staff => "staff",
            Kind::Items => "items",
            Kind::Clients => "clients",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.slug() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Kind::Regions => "行政区划",
            Kind::Units => "部门",
            Kind::Halls => "大厅",
            Kind::Windows => "窗口",
            Kind::Staff => "工作人员",
            Kind::Items => "政务服务事项",
            Kind::Clients => "业务系统接口",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Kind::Regions => "Regions",
            Kind::Units => "Units",
            Kind::Halls => "Halls",
            Kind::Windows => "Windows",
            Kind::Staff => "Staff",
            Kind::Items => "Service items",
            Kind::Clients => "API clients",
        }
    }

    pub fn fields(self) -> &'static [Field] {
        match self {
            Kind::Regions => REGION_FIELDS,
            Kind::Units => UNIT_FIELDS,
            Kind::Halls => HALL_FIELDS,
            Kind::Windows => WINDOW_FIELDS,
            Kind::Staff => STAFF_FIELDS,
            Kind::Items => ITEM_FIELDS,
            Kind::Clients => CLIENT_FIELDS,
        }
    }

    /// Whether objects of this kind can be imported from CSV.
    pub fn importable(self) -> bool {
        matches!(self, Kind::Windows | Kind::Staff | Kind::Items)
    }
}

/// May this actor see lists of this kind at all?
pub fn can_list(actor: &Actor, kind: Kind) -> bool {
    match actor.scope {
        Scope::All => true,
        Scope::Regions { .. } => kind != Kind::Clients,
        Scope::Unit(_) => matches!(kind, Kind::Windows | Kind::Staff | Kind::Items),
        Scope::Window(_) => false,
    }
}

/// The places in the tree an object touches: it is in scope only if all are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Place {
    regions: Vec<i32>,
    unit: Option<i32>,
}

/// The one scope rule for reading one object and for writing it.
fn allowed(actor: &Actor, kind: Kind, place: &Place) -> bool {
    match &actor.scope {
        Scope::All => true,
        Scope::Regions { ids, .. } => kind != Kind::Clients && !place.regions.is_empty() && place.regions.iter().all(|r| ids.contains(r)),
        Scope::Unit(u) => matches!(kind, Kind::Windows | Kind::Staff | Kind::Items) && place.unit == Some(*u),
        Scope::Window(_) => false,
    }
}

/// One object in a kind-independent shape.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Obj {
    id: i32,
    code: String,
    name: String,
    active: bool,
    /// Referenced ids, in the order of the kind's `Ref` fields.
    refs: Vec<Option<i32>>,
    photo_url: Option<String>,
}

async fn fetch<C: ConnectionTrait>(conn: &C, kind: Kind, code: &str) -> Result<Option<Obj>> {
    Ok(match kind {
        Kind::Regions => region::Entity::find()
            .filter(region::Column::Code.eq(code))
            .one(conn)
            .await?
            .map(|r| Obj {
                id: r.id,
                code: r.code,
                name: r.name,
                active: r.active,
                refs: vec![r.parent_id],
                photo_url: None,
            }),
        Kind::Units => unit::Entity::find()
            .filter(unit::Column::Code.eq(code))
            .one(conn)
            .await?
            .map(|r| Obj {
                id: r.id,
                code: r.code,
                name: r.name,
                active: r.active,
                refs: vec![Some(r.region_id)],
                photo_url: None,
            }),
        Kind::Halls => hall::Entity::find()
            .filter(hall::Column::Code.eq(code))
            .one(conn)
            .await?
            .map(|r| Obj {
                id: r.id,
                code: r.code,
                name: r.name,
                active: r.active,
                refs: vec![Some(r.region_id)],
                photo_url: None,
            }),
        Kind::Windows => service_window::Entity::find()
            .filter(service_window::Column::Code.eq(code))
            .one(conn)
            .await?
            .map(|r| Obj {
                id: r.id,
                code: r.code,
                name: r.name,
                active: r.active,
                refs: vec![Some(r.hall_id), Some(r.unit_id)],
                photo_url: None,
            }),
        Kind::Staff => staff::Entity::find()
            .filter(staff::Column::Number.eq(code))
            .one(conn)
            .await?
            .map(|r| Obj {
                id: r.id,
                code: r.number,
                name: r.name,
                active: r.active,
                refs: vec![Some(r.unit_id)],
                photo_url: r.photo_url,
            }),
        Kind::Items => item::Entity::find()
            .filter(item::Column::Code.eq(code))
            .one(conn)
            .await?
            .map(|r| Obj {
                id: r.id,
                code: r.code,
                name: r.name,
                active: r.active,
                refs: vec![Some(r.unit_id)],
                photo_url: None,
            }),
        Kind::Clients => match code.parse::<i32>() {
            Ok(id) => api_client::Entity::find_by_id(id).one(conn).await?.map(|r| Obj {
                id: r.id,
                code: r.id.to_string(),
                name: r.name,
                active: r.revoked_at.is_none(),
                refs: vec![],
                photo_url: None,
            }),
            Err(_) => None,
        },
    })
}

/// Code and name of a referenced object.
async fn ref_code<C: ConnectionTrait>(conn: &C, kind: Kind, id: i32) -> Result<Option<(String, String)>> {
    Ok(match kind {
        Kind::Regions => region::Entity::find_by_id(id).one(conn).await?.map(|r| (r.code, r.name)),
        Kind::Units => unit::Entity::find_by_id(id).one(conn).await?.map(|r| (r.code, r.name)),
        Kind::Halls => hall::Entity::find_by_id(id).one(conn).await?.map(|r| (r.code, r.name)),
        _ => None,
    })
}

async fn ref_id<C: ConnectionTrait>(conn: &C, kind: Kind, code: &str) -> Result<Option<i32>> {
    Ok(fetch(conn, kind, code).await?.map(|o| o.id))
}

async fn unit_region<C: ConnectionTrait>(conn: &C, unit_id: i32) -> Result<Option<i32>> {
    Ok(unit::Entity::find_by_id(unit_id).one(conn).await?.map(|u| u.region_id))
}

async fn place_of<C: ConnectionTrait>(conn: &C, kind: Kind, o: &Obj) -> Result<Place> {
    let r0 = o.refs.first().copied().flatten();
    Ok(match kind {
        Kind::Regions => Place {
            regions: r0.into_iter().collect(),
            unit: None,
        },
        Kind::Units | Kind::Halls => Place {
            regions: r0.into_iter().collect(),
            unit: (kind == Kind::Units).then_some(o.id),
        },
        Kind::Windows => {
            let hall_region = match r0 {
                Some(h) => hall::Entity::find_by_id(h).one(conn).await?.map(|h| h.region_id),
                None => None,
            };
            let unit = o.refs.get(1).copied().flatten();
            let unit_region = match unit {
                Some(u) => unit_region(conn, u).await?,
                None => None,
            };
            Place {
                regions: hall_region.into_iter().chain(unit_region).collect(),
                unit,
            }
        }
        Kind::Staff | Kind::Items => Place {
            regions: match r0 {
                Some(u) => unit_region(conn, u).await?.into_iter().collect(),
                None => vec![],
            },
            unit: r0,
        },
        Kind::Clients => Place::default(),
    })
}

/// A stored object as a form shows it: field name → value (references by code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub code: String,
    pub values: BTreeMap<String, String>,
    pub active: bool,
}

async fn record_of<C: ConnectionTrait>(conn: &C, kind: Kind, o: &Obj) -> Result<Record> {
    let mut values = BTreeMap::new();
    let mut refs = o.refs.iter();
    for field in kind.fields() {
        let v = match field.input {
            Input::Code => o.code.clone(),
            Input::Name => o.name.clone(),
            Input::Url => o.photo_url.clone().unwrap_or_default(),
            Input::Ref { kind: rk, .. } => match refs.next().copied().flatten() {
                Some(id) => ref_code(conn, rk, id).await?.map(|(c, _)| c).unwrap_or_default(),
                None => String::new(),
            },
        };
        values.insert(field.name.to_string(), v);
    }
    Ok(Record {
        code: o.code.clone(),
        values,
        active: o.active,
    })
}

fn audit_json(r: &Record) -> Value {
    let mut m = serde_json::Map::new();
    for (k, v) in &r.values {
        m.insert(k.clone(), json!(v));
    }
    m.insert("active".into(), json!(r.active));
    Value::Object(m)
}

/// One object for its edit form, if the actor's scope covers it.
pub async fn get<C: ConnectionTrait>(db: &C, actor: &Actor, kind: Kind, code: &str) -> Result<Record> {
    if !can_list(actor, kind) {
        return Err(Error::Forbidden);
    }
    let o = fetch(db, kind, code).await?.ok_or(Error::NotFound("object"))?;
    if !allowed(actor, kind, &place_of(db, kind, &o).await?) {
        return Err(Error::Forbidden);
    }
    record_of(db, kind, &o).await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub code: String,
    /// Display text per field, in field order.
    pub cells: Vec<String>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub rows: Vec<Row>,
    pub total: u64,
}

/// Ids of halls / units inside a set of regions.
async fn halls_in(db: &Db, regions: &[i32]) -> Result<Vec<i32>> {
    Ok(hall::Entity::find()
        .filter(hall::Column::RegionId.is_in(regions.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|h| h.id)
        .collect())
}

async fn units_in(db: &Db, regions: &[i32]) -> Result<Vec<i32>> {
    Ok(unit::Entity::find()
        .filter(unit::Column::RegionId.is_in(regions.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect())
}

macro_rules! list_kind {
    ($db:expr, $q:expr, $filter:expr, $scope:expr, $entity:ident, $code:ident, $offset:expr, $limit:expr, $map:expr) => {{
        let mut query = $entity::Entity::find();
        if let Some(cond) = $scope {
            query = query.filter(cond);
        }
        if let Some(text) = $q {
            query = query.filter(
                Condition::any()
                    .add($entity::Column::$code.contains(text))
                    .add($entity::Column::Name.contains(text)),
            );
        }
        if let Some(cond) = $filter {
            query = query.filter(cond);
        }
        let total = query.clone().count($db).await?;
        let rows = query
            .order_by_asc($entity::Column::$code)
            .offset($offset)
            .limit($limit)
            .all($db)
            .await?;
        let mut objs = Vec::new();
        for r in rows {
            objs.push($map(r));
        }
        (objs, total)
    }};
}

/// A page of objects of `kind` inside the actor's scope, filtered by `q`
/// (code or name contains) and, if given, by active flag.
pub async fn list(db: &Db, actor: &Actor, kind: Kind, q: Option<&str>, active: Option<bool>, offset: u64, limit: u64) -> Result<Page> {
    if !can_list(actor, kind) {
        return Err(Error::Forbidden);
    }
    let q = q.map(str::trim).filter(|s| !s.is_empty());
    let limit = limit.clamp(1, 200);
    let region_ids = match &actor.scope {
        Scope::Regions { ids, .. } => Some(ids.clone()),
        _ => None,
    };
    let unit_id = match actor.scope {
        Scope::Unit(u) => Some(u),
        _ => None,
    };
    let (objs, total): (Vec<Obj>, u64) = match kind {
        Kind::Regions => list_kind!(
            db,
            q,
            active.map(|a| region::Column::Active.eq(a)),
            region_ids.map(|ids| region::Column::Id.is_in(ids)),
            region,
            Code,
            offset,
            limit,
            |r: region::Model| Obj {
                id: r.id,
                code: r.code,
                name: r.name,
                active: r.active,
                refs: vec![r.parent_id],
                photo_url: None
            }
        ),
        Kind::Units => list_kind!(
            db,
            q,
            active.map(|a| unit::Column::Active.eq(a)),
            region_ids.map(|ids| unit::Column::RegionId.is_in(ids)),
            unit,
            Code,
            offset,
            limit,
            |r: unit::Model| Obj {
                id: r.id,
                code: r.code,
                name: r.name,
                active: r.active,
                refs: vec![Some(r.region_id)],
                photo_url: None
            }
        ),
        Kind::Halls => list_kind!(
            db,
            q,
            active.map(|a| hall::Column::Active.eq(a)),
            region_ids.map(|ids| hall::Column::RegionId.is_in(ids)),
            hall,
            Code,
            offset,
            limit,
            |r: hall::Model| Obj {
                id: r.id,
                code: r.code,
                name: r.name,
                active: r.active,
                refs: vec![Some(r.region_id)],
                photo_url: None
            }
        ),
        Kind::Windows => {
            let scope = match (&region_ids, unit_id) {
                (Some(ids), _) => Some(service_window::Column::HallId.is_in(halls_in(db, ids).await?)),
                (_, Some(u)) => Some(service_window::Column::UnitId.eq(u)),
                _ => None,
            };
            list_kind!(
                db,
                q,
                active.map(|a| service_window::Column::Active.eq(a)),
                scope,
                service_window,
                Code,
                offset,
                limit,
                |r: service_window::Model| Obj {
                    id: r.id,
                    code: r.code,
                    name: r.name,
                    active: r.active,
                    refs: vec![Some(r.hall_id), Some(r.unit_id)],
                    photo_url: None
                }
            )
        }
        Kind::Staff => {
            let scope = match (&region_ids, unit_id) {
                (Some(ids), _) => Some(staff::Column::UnitId.is_in(units_in(db, ids).await?)),
                (_, Some(u)) => Some(staff::Column::UnitId.eq(u)),
                _ => None,
            };
            list_kind!(
                db,
                q,
                active.map(|a| staff::Column::Active.eq(a)),
                scope,
                staff,
                Number,
                offset,
                limit,
                |r: staff::Model| Obj {
                    id: r.id,
                    code: r.number,
                    name: r.name,
                    active: r.active,
                    refs: vec![Some(r.unit_id)],
                    photo_url: r.photo_url
                }
            )
        }
        Kind::Items => {
            let scope = match (&region_ids, unit_id) {
                (Some(ids), _) => Some(item::Column::UnitId.is_in(units_in(db, ids).await?)),
                (_, Some(u)) => Some(item::Column::UnitId.eq(u)),
                _ => None,
            };
            list_kind!(
                db,
                q,
                active.map(|a| item::Column::Active.eq(a)),
                scope,
                item,
                Code,
                offset,
                limit,
                |r: item::Model| Obj {
                    id: r.id,
                    code: r.code,
                    name: r.name,
                    active: r.active,
                    refs: vec![Some(r.unit_id)],
                    photo_url: None
                }
            )
        }
        Kind::Clients => {
            let mut query = api_client::Entity::find();
            if let Some(text) = q {
                query = query.filter(api_client::Column::Name.contains(text));
            }
            if let Some(a) = active {
                query = query.filter(if a {
                    api_client::Column::RevokedAt.is_null()
                } else {
                    api_client::Column::RevokedAt.is_not_null()
                });
            }
            let total = query.clone().count(db).await?;
            let rows = query
                .order_by_asc(api_client::Column::Id)
                .offset(offset)
                .limit(limit)
                .all(db)
                .await?;
            (
                rows.into_iter()
                    .map(|r| Obj {
                        id: r.id,
                        code: r.id.to_string(),
                        name: r.name,
                        active: r.revoked_at.is_none(),
                        refs: vec![],
                        photo_url: None,
                    })
                    .collect(),
                total,
            )
        }
    };
    let mut rows = Vec::with_capacity(objs.len());
    for o in objs {
        let mut cells = Vec::new();
        let mut refs = o.refs.iter();
        for field in kind.fields() {
            cells.push(match field.input {
                Input::Code => o.code.clone(),
                Input::Name => o.name.clone(),
                Input::Url => o.photo_url.clone().unwrap_or_default(),
                Input::Ref { kind: rk, .. } => match refs.next().copied().flatten() {
                    Some(id) => ref_code(db, rk, id).await?.map(|(c, n)| format!("{n} ({c})")).unwrap_or_default(),
                    None => String::new(),
                },
            });
        }
        rows.push(Row {
            code: o.code,
            cells,
            active: o.active,
        });
    }
    Ok(Page { rows, total })
}

/// Choices for a reference field: active objects of `kind` the actor may use.
pub async fn options(db: &Db, actor: &Actor, kind: Kind) -> Result<Vec<(String, String)>> {
    let pairs = |v: Vec<(String, String, bool)>| v.into_iter().filter(|x| x.2).map(|x| (x.0, x.1)).collect::<Vec<_>>();
    Ok(match (&actor.scope, kind) {
        (Scope::All, Kind::Regions) => pairs(
            region::Entity::find()
                .order_by_asc(region::Column::Code)
                .all(db)
                .await?
                .into_iter()
                .map(|r| (r.code, r.name, r.active))
                .collect(),
        ),
        (Scope::Regions { ids, .. }, Kind::Regions) => pairs(
            region::Entity::find()
                .filter(region::Column::Id.is_in(ids.clone()))
                .order_by_asc(region::Column::Code)
                .all(db)
                .await?
                .into_iter()
                .map(|r| (r.code, r.name, r.active))
                .collect(),
        ),
        (scope, Kind::Units) => {
            let mut q = unit::Entity::find().order_by_asc(unit::Column::Code);
            match scope {
                Scope::All => {}
                Scope::Regions { ids, .. } => q = q.filter(unit::Column::RegionId.is_in(ids.clone())),
                Scope::Unit(u) => q = q.filter(unit::Column::Id.eq(*u)),
                Scope::Window(_) => return Ok(vec![]),
            }
            pairs(q.all(db).await?.into_iter().map(|r| (r.code, r.name, r.active)).collect())
        }
        (scope, Kind::Halls) => {
            let mut q = hall::Entity::find().order_by_asc(hall::Column::Code);
            match scope {
                Scope::All => {}
                Scope::Regions { ids, .. } => q = q.filter(hall::Column::RegionId.is_in(ids.clone())),
                // A unit's windows sit in halls of the unit's region.
                Scope::Unit(u) => match unit_region(db, *u).await? {
                    Some(r) => q = q.filter(hall::Column::RegionId.eq(r)),
                    None => return Ok(vec![]),
                },
                Scope::Window(_) => return Ok(vec![]),
            }
            pairs(q.all(db).await?.into_iter().map(|r| (r.code, r.name, r.active)).collect())
        }
        _ => vec![],
    })
}

fn check_code(kind: Kind, code: &str) -> Result<()> {
    if code.is_empty() {
        return Err(Error::invalid("code", "is required"));
    }
    if kind == Kind::Regions {
        if !(2..=12).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_digit()) {
            return Err(Error::invalid("code", "a region code is 2–12 digits (GB/T 2260), e.g. 210100"));
        }
    } else if code.chars().count() > 64
        || code
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '/' || c == '?' || c == '#')
    {
        return Err(Error::invalid("code", "1–64 characters without spaces or / ? #"));
    }
    Ok(())
}

fn check_name(field: &'static str, name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(Error::invalid(field, "at most 100 printable characters"));
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
                if !u.is_empty() && (u.len() > 500 || !(u.starts_with("https://") || u.starts_with("http://") || u.starts_with('/'))) {
                    return Err(Error::invalid(field.name, "a web address starting with https://, http:// or /"));
                }
                o.photo_url = (!u.is_empty()).then_some(u);
            }
            Input::Ref { kind: rk, optional } => {
                let c = val(field.name);
                if c.is_empty() {
                    if optional {
                        o.refs.push(None);
                        continue;
                    }
                    return Err(Error::invalid(field.name, "is required"));
                }
                let id = ref_id(conn, rk, &c)
                    .await?
                    .ok_or_else(|| Error::invalid(field.name, format!("no {} with code `{c}`", rk.label_en().to_lowercase())))?;
                if kind == Kind::Regions && existing.is_some_and(|e| e.id == id) {
                    return Err(Error::invalid(field.name, "a region cannot be its own parent"));
                }
                o.refs.push(Some(id));
            }
        }
    }
    if kind == Kind::Regions {
        if let (Some(e), Some(Some(parent))) = (existing, o.refs.first()) {
            // Moving a region under its own descendant would make a loop.
            if crate::accounts::region_subtree(conn, e.id).await?.contains(parent) {
                return Err(Error::invalid("parent", "a region cannot move under its own sub-region"));
            }
        }
    }
    Ok(o)
}

async fn write<C: ConnectionTrait>(conn: &C, kind: Kind, o: &Obj, now: DateTime<Utc>) -> Result<i32> {
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
                ..Default::default()
            };
            am.update(conn).await?.id
        }
    };
    Ok(id)
}

/// The region an audit line of this object is filed under.
fn audit_region(kind: Kind, o: &Obj, place: &Place) -> Option<i32> {
    if kind == Kind::Regions {
        Some(o.id)
    } else {
        place.regions.first().copied()
    }
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
    let mut o = parse_form(conn, kind, existing.as_ref(), form).await?;
    let place = place_of(conn, kind, &o).await?;
    if !allowed(actor, kind, &place) {
        return Err(Error::Forbidden);
    }
    if existing.is_none() && fetch(conn, kind, &o.code).await?.is_some() {
        return Err(Error::Conflict(format!("{} `{}` already exists", kind.label_en(), o.code)));
    }
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
pub async fn create_client(db: &Db, actor: &Actor, name: &str, meta: &Meta) -> Result<(i32, String)> {
    if actor.scope != Scope::All {
        return Err(Error::Forbidden);
    }
    let txn = db.begin_with_options(immediate()).await?;
    let (id, key) = crate::keys::create(&txn, name, meta.now).await?;
    audit::append(
        &txn,
        Entry {
            who: &Who::from(actor),
            action: "create",
            object_kind: Kind::Clients.slug(),
            object_code: &id.to_string(),
            before: None,
            after: Some(json!({"name": name.trim()})),
            region_id: None,
        },
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok((id, key))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removed {
    /// It had no history: gone.
    Deleted,
    /// It has history (cases, ratings, things under it): kept, inactive.
    Deactivated,
    /// An API key: revoked, kept for the record.
    Revoked,
}

async fn has_history<C: ConnectionTrait>(conn: &C, kind: Kind, id: i32) -> Result<bool> {
    Ok(match kind {
        Kind::Regions => {
            region::Entity::find().filter(region::Column::ParentId.eq(id)).count(conn).await?
                + unit::Entity::find().filter(unit::Column::RegionId.eq(id)).count(conn).await?
                + hall::Entity::find().filter(hall::Column::RegionId.eq(id)).count(conn).await?
                > 0
        }
        Kind::Units => {
            service_window::Entity::find()
                .filter(service_window::Column::UnitId.eq(id))
                .count(conn)
                .await?
                + staff::Entity::find().filter(staff::Column::UnitId.eq(id)).count(conn).await?
                + item::Entity::find().filter(item::Column::UnitId.eq(id)).count(conn).await?
                > 0
        }
        Kind::Halls => {
            service_window::Entity::find()
                .filter(service_window::Column::HallId.eq(id))
                .count(conn)
                .await?
                > 0
        }
        Kind::Windows => {
            service_case::Entity::find()
                .filter(service_case::Column::WindowId.eq(id))
                .count(conn)
                .await?
                > 0
        }
        Kind::Staff => {
            service_case::Entity::find()
                .filter(service_case::Column::StaffId.eq(id))
                .count(conn)
                .await?
                > 0
        }
        Kind::Items => {
            service_case::Entity::find()
                .filter(service_case::Column::ItemId.eq(id))
                .count(conn)
                .await?
                > 0
        }
        Kind::Clients => true,
    })
}

/// Deletes an object without history; deactivates (or, for API keys, revokes)
/// one with history, so nothing that ratings refer to is ever lost.
pub async fn remove(db: &Db, actor: &Actor, kind: Kind, code: &str, meta: &Meta) -> Result<Removed> {
    if !can_list(actor, kind) {
        return Err(Error::Forbidden);
    }
    let txn = db.begin_with_options(immediate()).await?;
    let o = fetch(&txn, kind, code).await?.ok_or(Error::NotFound("object"))?;
    let place = place_of(&txn, kind, &o).await?;
    if !allowed(actor, kind, &place) {
        txn.rollback().await?;
        return Err(Error::Forbidden);
    }
    let before = audit_json(&record_of(&txn, kind, &o).await?);
    let outcome = if kind == Kind::Clients {
        api_client::ActiveModel {
            id: Set(o.id),
            revoked_at: Set(Some(meta.now)),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        Removed::Revoked
    } else if has_history(&txn, kind, o.id).await? {
        let mut off = o.clone();
        off.active = false;
        write(&txn, kind, &off, meta.now).await?;
        Removed::Deactivated
    } else {
        let res = match kind {
            Kind::Regions => region::Entity::delete_by_id(o.id).exec(&txn).await,
            Kind::Units => unit::Entity::delete_by_id(o.id).exec(&txn).await,
            Kind::Halls => hall::Entity::delete_by_id(o.id).exec(&txn).await,
            Kind::Windows => service_window::Entity::delete_by_id(o.id).exec(&txn).await,
            Kind::Staff => {
                crate::entities::staff_photo::Entity::delete_by_id(o.id).exec(&txn).await?;
                staff::Entity::delete_by_id(o.id).exec(&txn).await
            }
            Kind::Items => item::Entity::delete_by_id(o.id).exec(&txn).await,
            Kind::Clients => return Err(Error::Forbidden),
        };
        res?;
        Removed::Deleted
    };
    let action = match outcome {
        Removed::Deleted => "delete",
        Removed::Deactivated => "deactivate",
        Removed::Revoked => "revoke",
    };
    audit::append(
        &txn,
        Entry {
            who: &Who::from(actor),
            action,
            object_kind: kind.slug(),
            object_code: &o.code,
            before: Some(before),
            after: None,
            region_id: audit_region(kind, &o, &place),
        },
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(outcome)
}
