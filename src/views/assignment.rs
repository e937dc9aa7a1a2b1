use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::{Priority, Role};
use crate::entity::{assignment, principal};
use crate::service::assignments::Assigned;

/// Someone work can be given to: an API key's holder, or a holder of the identity
/// provider's tokens once they have signed in.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
pub struct Principal {
    /// Unique id.
    pub id: Uuid,
    /// Their name (a key's name, or `jwt:<subject>`).
    pub name: String,
    /// What they may do.
    pub role: Role,
}

impl From<principal::Model> for Principal {
    fn from(m: principal::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            role: m.role,
        }
    }
}

/// Who checks a claim, by when, how urgently.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
pub struct Assignment {
    /// The claim.
    pub claim_id: Uuid,
    /// Who has it.
    pub assignee: Principal,
    /// How urgent it is.
    pub priority: Priority,
    /// When the check is due, if it has a due time.
    pub due_at: Option<DateTime<Utc>>,
    /// When the assignee got it.
    pub assigned_at: DateTime<Utc>,
    /// Who gave it to them.
    pub assigned_by: String,
    /// Moves with every change; pass it back as `expectedVersion` (or `If-Match`).
    pub version: i32,
}

impl Assignment {
    pub fn new(assignment: assignment::Model, assignee: principal::Model) -> Self {
        Self {
            claim_id: assignment.claim_id,
            assignee: assignee.into(),
            priority: assignment.priority,
            due_at: assignment.due_at,
            assigned_at: assignment.assigned_at,
            assigned_by: assignment.assigned_by,
            version: assignment.version,
        }
    }
}

impl From<Assigned> for Assignment {
    fn from((assignment, assignee): Assigned) -> Self {
        Self::new(assignment, assignee)
    }
}
