//! Who may do what: the roles of people who sign in, and the rules for their
//! passwords and sign-in attempts (等保 level 3: lock after 5 failures for 15 min).

use std::fmt;

/// A signed-in person's role. Every role but the system administrator is bound
/// to one place in the organisation tree (its scope).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// 系统管理员: everything, including business-system API keys.
    SystemAdmin,
    /// 中心管理员: a region and everything under it.
    CenterAdmin,
    /// 部门管理员: one unit's windows, staff and items.
    UnitAdmin,
    /// 窗口工作人员: their own window.
    WindowStaff,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::SystemAdmin, Role::CenterAdmin, Role::UnitAdmin, Role::WindowStaff];

    pub fn code(self) -> &'static str {
        match self {
            Role::SystemAdmin => "system_admin",
            Role::CenterAdmin => "center_admin",
            Role::UnitAdmin => "unit_admin",
            Role::WindowStaff => "window_staff",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == s.trim())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::SystemAdmin => "系统管理员",
            Role::CenterAdmin => "中心管理员",
            Role::UnitAdmin => "部门管理员",
            Role::WindowStaff => "窗口工作人员",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Role::SystemAdmin => "System administrator",
            Role::CenterAdmin => "Center administrator",
            Role::UnitAdmin => "Unit administrator",
            Role::WindowStaff => "Window staff",
        }
    }

    /// What the scope code of an account with this role names.
    pub fn scope_kind(self) -> ScopeKind {
        match self {
            Role::SystemAdmin => ScopeKind::Everything,
            Role::CenterAdmin => ScopeKind::Region,
            Role::UnitAdmin => ScopeKind::Unit,
            Role::WindowStaff => ScopeKind::Window,
        }
    }

    /// Administrators use `/admin`; window staff use `/staff`.
    pub fn is_admin(self) -> bool {
        !matches!(self, Role::WindowStaff)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Everything,
    Region,
    Unit,
    Window,
}

/// 等保 L3: five wrong passwords in a row lock the account.
pub const MAX_FAILED_SIGN_INS: i32 = 5;
/// How long a locked account stays locked.
pub const LOCKOUT_MINUTES: i64 = 15;
/// A session unused for this long must sign in again.
pub const IDLE_TIMEOUT_MINUTES: i64 = 30;

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must have at least 10 characters")]
    TooShort,
    #[error("the password must mix at least three of: upper-case letters, lower-case letters, digits, symbols")]
    TooSimple,
    #[error("the password must not contain the job number")]
    ContainsJobNumber,
}

impl PasswordError {
    pub fn message_zh(self) -> &'static str {
        match self {
            PasswordError::TooShort => "密码至少 10 个字符",
            PasswordError::TooSimple => "密码须包含大写字母、小写字母、数字、符号中的至少三类",
            PasswordError::ContainsJobNumber => "密码不能包含工号",
        }
    }
}

/// 等保 L3 password complexity: length ≥ 10, three of four character classes,
/// and not built on the job number.
pub fn check_new_password(job_number: &str, password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < 10 {
        return Err(PasswordError::TooShort);
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|c| **c).count() < 3 {
        return Err(PasswordError::TooSimple);
    }
    if !job_number.is_empty() && password.to_lowercase().contains(&job_number.to_lowercase()) {
        return Err(PasswordError::ContainsJobNumber);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_codes() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
        assert!(!Role::WindowStaff.is_admin());
        assert_eq!(Role::CenterAdmin.scope_kind(), ScopeKind::Region);
    }

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        assert_eq!(check_new_password("S1001", "Ab1!"), Err(PasswordError::TooShort));
        assert_eq!(check_new_password("S1001", "abcdefghijkl"), Err(PasswordError::TooSimple));
        assert_eq!(check_new_password("S1001", "xS1001abc!Z"), Err(PasswordError::ContainsJobNumber));
        assert_eq!(check_new_password("S1001", "Spring-2026-ok"), Ok(()));
    }
}
