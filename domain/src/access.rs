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

/// Tries allowed under one key (an account, an address) before any wait.
pub const FREE_TRIES: u32 = 4;
/// The longest wait between tries.
pub const MAX_WAIT_SECONDS: i64 = 15 * 60;
/// Wrong pairing codes one address may try before it waits.
pub const PAIRING_TRIES: u32 = 5;
/// How long an address that tried too many pairing codes waits.
pub const PAIRING_WAIT_SECONDS: i64 = 10 * 60;

/// The wait of an address after `failures` wrong pairing codes (issue 13 item
/// 10): none for the first [`PAIRING_TRIES`] − 1, then ten minutes. Each open
/// code also dies after [`PAIRING_TRIES`] wrong codes tried while it is open.
pub fn pairing_wait_seconds(failures: u32) -> i64 {
    if failures >= PAIRING_TRIES {
        PAIRING_WAIT_SECONDS
    } else {
        0
    }
}

/// Tries an address has beyond [`FREE_TRIES`]: many people may share one
/// (an office behind one NAT), so its own count is gentler and shorter-lived.
pub const ADDRESS_EXTRA_TRIES: u32 = 6;

/// The wait of an address after `failures` failed sign-ins from it.
pub fn address_wait_seconds(failures: u32) -> i64 {
    throttle_wait_seconds(failures.saturating_sub(ADDRESS_EXTRA_TRIES))
}

/// How failures under one kind of key are counted and waited out.
#[derive(Debug, Clone, Copy)]
pub struct Throttle {
    /// Failures are forgotten this long after the last one.
    pub forget_seconds: i64,
    /// Seconds to wait after the last failure, by the number of failures.
    pub wait: fn(u32) -> i64,
}

/// Per address, for SMS rating codes typed at `/s` (issue 15): five wrong
/// tries in ten minutes, then a wait of ten minutes from the last one.
pub const RATING_CODE_THROTTLE: Throttle = Throttle {
    forget_seconds: 600,
    wait: rating_code_wait_seconds,
};

pub fn rating_code_wait_seconds(failures: u32) -> i64 {
    if failures >= 5 {
        600
    } else {
        0
    }
}

/// Per job number, and per (job number, address).
pub const ACCOUNT_THROTTLE: Throttle = Throttle {
    forget_seconds: 24 * 3600,
    wait: throttle_wait_seconds,
};
/// Per address, for sign-in.
pub const ADDRESS_THROTTLE: Throttle = Throttle {
    forget_seconds: 3600,
    wait: address_wait_seconds,
};
/// Per address, for pairing codes.
pub const PAIRING_THROTTLE: Throttle = Throttle {
    forget_seconds: 3600,
    wait: pairing_wait_seconds,
};

/// Throttling instead of a lock (ASVS 6.3, 等保 L3 login-failure handling):
/// the seconds to wait after `failures` failed tries under one key — none for
/// the first [`FREE_TRIES`], then 2, 4, 8, … seconds, at most 15 minutes. A
/// hard lock would let anyone lock anyone out; a growing wait slows a guesser
/// to about a hundred tries a day and costs the real owner nothing.
pub fn throttle_wait_seconds(failures: u32) -> i64 {
    if failures < FREE_TRIES {
        return 0;
    }
    let exp = (failures - FREE_TRIES + 1).min(20);
    (1i64 << exp).min(MAX_WAIT_SECONDS)
}
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
    #[error("this password is one of the most common ones; choose another")]
    Common,
}

impl PasswordError {
    pub fn message_zh(self) -> &'static str {
        match self {
            PasswordError::TooShort => "密码至少 10 个字符",
            PasswordError::Common => "该密码属于最常见的密码，请换一个",
            PasswordError::TooSimple => "密码须包含大写字母、小写字母、数字、符号中的至少三类",
            PasswordError::ContainsJobNumber => "密码不能包含工号",
        }
    }
}

/// The 10,000 most common passwords (OWASP SecLists; see the file's header).
const COMMON_PASSWORDS: &str = include_str!("../lists/common_passwords.txt");

/// Whether `password` is on the common-password list (case-insensitively).
pub fn is_common_password(password: &str) -> bool {
    static SET: std::sync::LazyLock<std::collections::HashSet<String>> = std::sync::LazyLock::new(|| {
        COMMON_PASSWORDS
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with("# "))
            .map(str::to_lowercase)
            .collect()
    });
    SET.contains(&password.to_lowercase())
}

/// 等保 L3 password rules (ASVS 6.2): length ≥ 10, not one of the 10,000 most
/// common passwords, three of four character classes, and not built on the
/// job number. (Reusing the current — e.g. the first — password is refused by
/// the change itself.)
pub fn check_new_password(job_number: &str, password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < 10 {
        return Err(PasswordError::TooShort);
    }
    if is_common_password(password) {
        return Err(PasswordError::Common);
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
    fn waits_grow_after_the_free_tries_and_stop_at_fifteen_minutes() {
        assert_eq!((0..FREE_TRIES).map(throttle_wait_seconds).sum::<i64>(), 0);
        assert_eq!(throttle_wait_seconds(FREE_TRIES), 2);
        assert_eq!(throttle_wait_seconds(FREE_TRIES + 1), 4);
        assert_eq!(throttle_wait_seconds(FREE_TRIES + 8), 512);
        assert_eq!(throttle_wait_seconds(FREE_TRIES + 9), 900);
        assert_eq!(throttle_wait_seconds(u32::MAX), 900);
        assert_eq!(address_wait_seconds(FREE_TRIES + ADDRESS_EXTRA_TRIES - 1), 0);
        assert_eq!(address_wait_seconds(FREE_TRIES + ADDRESS_EXTRA_TRIES), 2);
        assert_eq!((0..PAIRING_TRIES).map(pairing_wait_seconds).sum::<i64>(), 0);
        assert_eq!(pairing_wait_seconds(PAIRING_TRIES), 600);
    }

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        assert_eq!(check_new_password("S1001", "Ab1!"), Err(PasswordError::TooShort));
        assert_eq!(check_new_password("S1001", "abcdefghijkl"), Err(PasswordError::TooSimple));
        assert_eq!(check_new_password("S1001", "xS1001abc!Z"), Err(PasswordError::ContainsJobNumber));
        assert_eq!(check_new_password("S1001", "Spring-2026-ok"), Ok(()));
        // The common-password list (issue 13 item 9): any case, ten characters and more.
        assert!(is_common_password("password") && is_common_password("QWERTYUIOP"));
        assert_eq!(check_new_password("S1001", "1q2w3e4r5t"), Err(PasswordError::Common));
        assert_eq!(check_new_password("S1001", "Q1w2e3r4t5"), Err(PasswordError::Common));
        assert!(!is_common_password("Spring-2026-ok"));
        assert_eq!(COMMON_PASSWORDS.lines().filter(|l| !l.starts_with("# ")).count(), 10_000);
    }
}
