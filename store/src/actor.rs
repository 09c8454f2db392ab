//! Who is acting and where they may act: the resolved scope shared by accounts and the audit trail.

use domain::Role;

/// Where an account may act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The system administrator.
    All,
    /// A center administrator: the region `root` and every region under it.
    Regions { root: i32, ids: Vec<i32> },
    /// A unit administrator.
    Unit(i32),
    /// Window staff.
    Window(i32),
}

/// A signed-in person, with the scope resolved from the organisation tree.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: i32,
    pub job_number: String,
    pub name: String,
    pub role: Role,
    pub scope_code: Option<String>,
    pub scope: Scope,
    pub must_change_password: bool,
    /// The account's session epoch: a session signed in under another one is
    /// ended (a password change or reset raises it).
    pub session_epoch: i32,
}

impl Actor {
    pub fn in_regions(&self, region_id: i32) -> bool {
        match &self.scope {
            Scope::All => true,
            Scope::Regions { ids, .. } => ids.contains(&region_id),
            _ => false,
        }
    }
}
