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
    /// The stored principal, when the actor is one (an API key's holder).
    pub principal_id: Option<Uuid>,
    /// A readable name for the audit trail ("system:demo", a key's name, "jwt:<subject>").
    pub name: String,
    /// What the actor may do; `None` for no access at all.
    pub role: Option<Role>,
    /// Whether the actor presented credentials that were accepted.
    pub authenticated: bool,
}

impl Actor {
    /// An internal actor for operator commands run on the server itself (demo, keys).
    pub fn system(name: &str) -> Self {
        Self {
            principal_id: None,
            name: format!("system:{name}"),
            role: Some(Role::Admin),
            authenticated: true,
        }
    }

    /// An internal actor with a narrower role (the webhook engine reads as a viewer).
    pub fn system_with_role(name: &str, role: Role) -> Self {
        Self {
            role: Some(role),
            ..Self::system(name)
        }
    }

    /// A stored principal, authenticated by an API key.
    pub fn principal(id: Uuid, name: &str, role: Role) -> Self {
        Self {
            principal_id: Some(id),
            name: name.to_owned(),
            role: Some(role),
            authenticated: true,
        }
    }

    /// The holder of a valid token from the identity provider.
    pub fn token_holder(subject: &str, role: Role) -> Self {
        Self {
            principal_id: None,
            name: format!("jwt:{subject}"),
            role: Some(role),
            authenticated: true,
        }
    }

    /// The identity provider's subject of a token holder (`None` for anyone else).
    pub fn token_subject(&self) -> Option<&str> {
        match self.principal_id {
            None if self.authenticated => self.name.strip_prefix("jwt:"),
            _ => None,
        }
    }

    /// A caller without credentials: a viewer when anonymous reads are on, else nothing.
    pub fn anonymous(reads_allowed: bool) -> Self {
        Self {
            principal_id: None,
            name: "anonymous".into(),
            role: reads_allowed.then_some(Role::Viewer),
            authenticated: false,
        }
    }

    /// A caller whose credentials were refused: never downgraded to anonymous access.
    pub fn refused() -> Self {
        Self {
            principal_id: None,
            name: "refused credentials".into(),
            role: None,
            authenticated: false,
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
