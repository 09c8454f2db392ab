//! The organisation directory that cases refer to: regions, units, halls,
//! windows, staff and service items. Administration pages come with issue 4;
//! here: paged listings for business systems and the demo data set.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait};

use crate::entities::{hall, item, region, service_window, staff, unit};
use crate::{Db, Result};

/// One entry of a code list: `code` (or a staff member's job number) and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub code: String,
    pub name: String,
    /// For windows: the hall's name; for staff and items: the unit's name.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub entries: Vec<Entry>,
    pub total: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Items,
    Windows,
    Staff,
}

/// A page of active entries of `kind`, ordered by code.
pub async fn list(db: &Db, kind: Kind, offset: u64, limit: u64) -> Result<Page> {
    let limit = limit.clamp(1, 500);
    let page = match kind {
        Kind::Items => {
            let q = item::Entity::find().filter(item::Column::Active.eq(true));
            let total = q.clone().count(db).await?;
            let rows = q.order_by_asc(item::Column::Code).offset(offset).limit(limit).all(db).await?;
            Page {
                entries: rows
                    .into_iter()
                    .map(|r| Entry {
                        code: r.code,
                        name: r.name,
                        detail: None,
                    })
                    .collect(),
                total,
            }
        }
        Kind::Windows => {
            let q = service_window::Entity::find().filter(service_window::Column::Active.eq(true));
            let total = q.clone().count(db).await?;
            let rows = q
                .order_by_asc(service_window::Column::Code)
                .offset(offset)
                .limit(limit)
                .all(db)
                .await?;
            let halls = hall::Entity::find().all(db).await?;
            let entries = rows
                .into_iter()
                .map(|r| Entry {
                    detail: halls.iter().find(|h| h.id == r.hall_id).map(|h| h.name.clone()),
                    code: r.code,
                    name: r.name,
                })
                .collect();
            Page { entries, total }
        }
        Kind::Staff => {
            let q = staff::Entity::find().filter(staff::Column::Active.eq(true));
            let total = q.clone().count(db).await?;
            let rows = q.order_by_asc(staff::Column::Number).offset(offset).limit(limit).all(db).await?;
            Page {
                entries: rows
                    .into_iter()
                    .map(|r| Entry {
                        code: r.number,
                        name: r.name,
                        detail: None,
                    })
                    .collect(),
                total,
            }
        }
    };
    Ok(page)
}

/// Every active window with its hall, for the start page.
pub async fn windows(db: &Db) -> Result<Vec<Entry>> {
    Ok(list(db, Kind::Windows, 0, 500).await?.entries)
}

/// What `haocha demo` loads: a region, a hall with 6 windows, staff and 10 service items.
pub struct DemoSummary {
    pub windows: Vec<String>,
    pub staff: Vec<(String, String)>,
    pub items: Vec<(String, String)>,
}

pub const DEMO_WINDOWS: [(&str, &str, &str); 6] = [
    ("W01", "1号窗口 综合受理", "U-MARKET"),
    ("W02", "2号窗口 综合受理", "U-MARKET"),
    ("W03", "3号窗口 社保医保", "U-SOCIAL"),
    ("W04", "4号窗口 公积金", "U-FUND"),
    ("W05", "5号窗口 不动产登记", "U-LAND"),
    ("W06", "6号窗口 出入境", "U-POLICE"),
];

pub const DEMO_STAFF: [(&str, &str, &str); 6] = [
    ("S1001", "王丽", "U-MARKET"),
    ("S1002", "李强", "U-MARKET"),
    ("S1003", "张敏", "U-SOCIAL"),
    ("S1004", "刘洋", "U-FUND"),
    ("S1005", "陈静", "U-LAND"),
    ("S1006", "赵磊", "U-POLICE"),
];

pub const DEMO_ITEMS: [(&str, &str, &str); 10] = [
    ("11210100MB0001-001", "企业设立登记", "U-MARKET"),
    ("11210100MB0001-002", "个体工商户注册登记", "U-MARKET"),
    ("11210100MB0002-001", "职工基本养老保险参保登记", "U-SOCIAL"),
    ("11210100MB0002-002", "城乡居民医疗保险参保登记", "U-SOCIAL"),
    ("11210100MB0003-001", "住房公积金提取", "U-FUND"),
    ("11210100MB0003-002", "住房公积金贷款申请", "U-FUND"),
    ("11210100MB0004-001", "不动产转移登记", "U-LAND"),
    ("11210100MB0004-002", "不动产抵押登记", "U-LAND"),
    ("11210100MB0005-001", "普通护照签发", "U-POLICE"),
    ("11210100MB0005-002", "往来港澳通行证签注", "U-POLICE"),
];

const DEMO_UNITS: [(&str, &str); 5] = [
    ("U-MARKET", "沈阳市市场监督管理局"),
    ("U-SOCIAL", "沈阳市人力资源和社会保障局"),
    ("U-FUND", "沈阳住房公积金管理中心"),
    ("U-LAND", "沈阳市自然资源局"),
    ("U-POLICE", "沈阳市公安局出入境管理支队"),
];

/// Loads the demo organisation once; a second call changes nothing.
pub async fn load_demo(db: &Db, now: DateTime<Utc>) -> Result<DemoSummary> {
    let summary = DemoSummary {
        windows: DEMO_WINDOWS.iter().map(|w| w.0.to_string()).collect(),
        staff: DEMO_STAFF.iter().map(|s| (s.0.to_string(), s.1.to_string())).collect(),
        items: DEMO_ITEMS.iter().map(|i| (i.0.to_string(), i.1.to_string())).collect(),
    };
    if region::Entity::find()
        .filter(region::Column::Code.eq("210100"))
        .one(db)
        .await?
        .is_some()
    {
        return Ok(summary);
    }
    let txn = db.begin().await?;
    let province = region::ActiveModel {
        code: Set("210000".into()),
        name: Set("辽宁省".into()),
        parent_id: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let city = region::ActiveModel {
        code: Set("210100".into()),
        name: Set("沈阳市".into()),
        parent_id: Set(Some(province.id)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let hall = hall::ActiveModel {
        code: Set("H-SY-01".into()),
        name: Set("沈阳市政务服务中心".into()),
        region_id: Set(city.id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut unit_ids = Vec::new();
    for (code, name) in DEMO_UNITS {
        let u = unit::ActiveModel {
            code: Set(code.into()),
            name: Set(name.into()),
            region_id: Set(city.id),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        unit_ids.push((code, u.id));
    }
    let unit_id = |code: &str| {
        unit_ids
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, id)| *id)
            .unwrap_or(unit_ids[0].1)
    };
    for (code, name, unit) in DEMO_WINDOWS {
        service_window::ActiveModel {
            code: Set(code.into()),
            name: Set(name.into()),
            hall_id: Set(hall.id),
            unit_id: Set(unit_id(unit)),
            active: Set(true),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    for (number, name, unit) in DEMO_STAFF {
        staff::ActiveModel {
            number: Set(number.into()),
            name: Set(name.into()),
            unit_id: Set(unit_id(unit)),
            active: Set(true),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    for (code, name, unit) in DEMO_ITEMS {
        item::ActiveModel {
            code: Set(code.into()),
            name: Set(name.into()),
            unit_id: Set(unit_id(unit)),
            active: Set(true),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    // A second city, so that scopes can be seen: Shenyang's administrators do not see Dalian.
    let dalian = region::ActiveModel {
        code: Set("210200".into()),
        name: Set("大连市".into()),
        parent_id: Set(Some(province.id)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let dl_hall = hall::ActiveModel {
        code: Set("H-DL-01".into()),
        name: Set("大连市政务服务中心".into()),
        region_id: Set(dalian.id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let dl_unit = unit::ActiveModel {
        code: Set("U-DL-MARKET".into()),
        name: Set("大连市市场监督管理局".into()),
        region_id: Set(dalian.id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    service_window::ActiveModel {
        code: Set("DL01".into()),
        name: Set("大连1号窗口 综合受理".into()),
        hall_id: Set(dl_hall.id),
        unit_id: Set(dl_unit.id),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    staff::ActiveModel {
        number: Set("D2001".into()),
        name: Set("周婷".into()),
        unit_id: Set(dl_unit.id),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    item::ActiveModel {
        code: Set("11210200MB0001-001".into()),
        name: Set("企业设立登记（大连）".into()),
        unit_id: Set(dl_unit.id),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    // The three seeds' policies (SPEC §4): Liaoning for its cities above, and two
    // regions that exist only to show theirs.
    let policy = |region_id: i32, o: domain::policy::PolicyOverride| crate::entities::region_policy::ActiveModel {
        region_id: Set(region_id),
        body: Set(serde_json::to_string(&o).unwrap_or_else(|_| "{}".into())),
        updated_by: Set("demo".into()),
        updated_at: Set(now),
    };
    policy(province.id, domain::policy::liaoning()).insert(&txn).await?;
    for (province_code, province_name, code, name, o) in [
        ("530000", "云南省", "533100", "德宏傣族景颇族自治州", domain::policy::dehong()),
        (
            "140000",
            "山西省",
            "140100",
            "山西转型综合改革示范区（太原）",
            domain::policy::shanxi_demo_zone(),
        ),
        ("410000", "河南省", "410700", "新乡市", domain::policy::xinxiang()),
    ] {
        let p = region::ActiveModel {
            code: Set(province_code.into()),
            name: Set(province_name.into()),
            parent_id: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let r = region::ActiveModel {
            code: Set(code.into()),
            name: Set(name.into()),
            parent_id: Set(Some(p.id)),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        policy(r.id, o).insert(&txn).await?;
    }
    txn.commit().await?;
    Ok(summary)
}

/// The demo's accounts: one per role, (role, scope, job number).
pub const DEMO_ACCOUNTS: [(domain::Role, Option<&str>, &str); 4] = [
    (domain::Role::SystemAdmin, None, "admin"),
    (domain::Role::CenterAdmin, Some("210100"), "center01"),
    (domain::Role::UnitAdmin, Some("U-MARKET"), "unit01"),
    (domain::Role::WindowStaff, Some("W01"), "S1001"),
];
