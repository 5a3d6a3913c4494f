//! The people of a tenant who use the portal, and what each role may do.

use crate::contact::EmailAddress;
use crate::ids::{TenantId, UserId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a portal user may do. Each role can do everything the roles below it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything: templates, rules, Track & Trace, the log, the bill.
    Viewer,
    /// Also writes templates and rules, enables them, and sends by hand.
    Editor,
    /// Also manages users, the brand and billing settings.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Editor, Role::Viewer];

    pub fn slug(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// Whether this role includes everything `needed` may do.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.slug() == s.trim())
            .ok_or_else(|| format!("unknown role \"{s}\": use admin, editor or viewer"))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub email: EmailAddress,
    pub name: String,
    pub role: Role,
    /// Their own mobile number, where a test of an SMS template goes; none until they add it.
    #[serde(default)]
    pub phone: Option<crate::contact::PhoneNumber>,
}

/// The shortest password the portal accepts.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Checks a new password; the message says what to change.
pub fn check_new_password(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!(
            "the password has {chars} characters; use at least {MIN_PASSWORD_CHARS}"
        ));
    }
    if chars > 200 {
        return Err("the password is longer than 200 characters".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_the_roles_below() {
        assert!(Role::Admin.allows(Role::Editor));
        assert!(Role::Editor.allows(Role::Viewer));
        assert!(!Role::Viewer.allows(Role::Editor));
        assert!(!Role::Editor.allows(Role::Admin));
        assert_eq!("editor".parse::<Role>(), Ok(Role::Editor));
        assert!("root".parse::<Role>().unwrap_err().contains("admin, editor or viewer"));
    }

    #[test]
    fn short_passwords_are_refused_with_the_length() {
        assert!(check_new_password("kort").unwrap_err().contains("4 characters"));
        assert!(check_new_password("en lång fras").is_ok());
    }
}
