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

mod flagged;
mod handlers;
mod notices;
mod open;
mod public;
mod read;
mod rerate;
mod steps;
mod timeline;

pub use flagged::*;
pub use handlers::*;
pub use notices::*;
pub(crate) use open::*;
pub use public::*;
pub use read::*;
pub use rerate::*;
pub use steps::*;
use timeline::*;
