//! Who performs an operation, and the roles that permit it.

use uuid::Uuid;

use super::string_enum;

string_enum! {
    /// Roles, each including the ones before it: viewer < checker < editor < admin.
    Role {
        /// Reads everything.
        Viewer => "viewer",
        /// Also records and retracts verifications.
        Checker => "checker",
        /// Also creates, edits and deletes sources, articles, claims and appearances.
        Editor => "editor",
        /// Also manages keys.
        Admin => "admin",
    }
}

impl Role {
    fn rank(self) -> u8 {
        match self {
            Role::Viewer => 0,
            Role::Checker => 1,
            Role::Editor => 2,
            Role::Admin => 3,
        }
    }

    /// Whether this role includes everything `needed` may do.
    pub fn includes(self, needed: Role) -> bool {
        self.rank() >= needed.rank()
    }
}

/// The acting party of an operation, recorded on every audit event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The stored principal, when the actor is one (API key or token holder).
    pub principal_id: Option<Uuid>,
    /// A readable name for the audit trail ("system:demo", a key's name).
    pub name: String,
    pub role: Role,
}

impl Actor {
    /// An internal actor for operator commands run on the server itself (demo, import).
    pub fn system(name: &str) -> Self {
        Self {
            principal_id: None,
            name: format!("system:{name}"),
            role: Role::Admin,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Role::*;

    #[test]
    fn roles_include_the_ones_below_them() {
        assert!(Admin.includes(Editor) && Editor.includes(Checker) && Checker.includes(Viewer));
        assert!(!Viewer.includes(Checker) && !Checker.includes(Editor) && !Editor.includes(Admin));
    }
}
