//! The organisation tree as administrators manage it: regions, units, halls,
//! windows, staff, service items and business-system API clients. Every read and
//! write checks the actor's role *and* scope here, in one place, so no page can
//! forget it; every write is audited in the same transaction.

use std::collections::BTreeMap;

mod kinds;
mod list;
mod memo;
mod read;
mod remove;
mod scope;
mod write;

pub use kinds::{Field, Input, Kind};
pub use list::list;
pub use memo::remembering;
pub use read::{existing, get, options};
pub use remove::remove;
pub use scope::can_list;
pub(crate) use write::save_in;
pub use write::{check, create_client, save};

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
    /// A business system's granted region or unit (clients only).
    grant: crate::keys::KeyScope,
}

/// A stored object as a form shows it: field name → value (references by code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub code: String,
    pub values: BTreeMap<String, String>,
    pub active: bool,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removed {
    /// It had no history: gone.
    Deleted,
    /// It has history (cases, ratings, things under it): kept, inactive.
    Deactivated,
    /// An API key: revoked, kept for the record.
    Revoked,
}
