//! The kinds of administered objects and the form fields each one has.

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
    /// A business system's granted scope: a region code or a unit code, optional.
    Scope,
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
const CLIENT_FIELDS: &[Field] = &[
    f("name", "业务系统名称", "Business system", Input::Name),
    f(
        "scope",
        "授权范围（区划代码或部门编码；空 = 仅本系统报送的办件）",
        "Granted scope (region or unit code; empty = only the cases it reported)",
        Input::Scope,
    ),
];

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
