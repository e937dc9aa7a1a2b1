use async_graphql::{Json, SimpleObject};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::entity::audit_event;

/// One write in the audit trail: who did what to which record, and what changed.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
pub struct AuditEvent {
    /// Unique id (UUIDv7).
    pub id: Uuid,
    /// When the write committed.
    pub occurred_at: DateTime<Utc>,
    /// Id of the acting principal, when it was an authenticated principal.
    pub principal_id: Option<Uuid>,
    /// Name of who acted.
    pub actor_name: String,
    /// Which kind of record: source, article, claim, appearance, verification.
    pub entity_type: String,
    /// Which record.
    pub entity_id: Uuid,
    /// What was done: create, update, delete, record, retract.
    pub operation: String,
    /// What changed: the new record for create, `{field: {from, to}}` for update.
    #[schema(value_type = Object)]
    pub changes: Json<serde_json::Value>,
}

impl From<audit_event::Model> for AuditEvent {
    fn from(m: audit_event::Model) -> Self {
        Self {
            id: m.id,
            occurred_at: m.occurred_at,
            principal_id: m.principal_id,
            actor_name: m.actor_name,
            entity_type: m.entity_type,
            entity_id: m.entity_id,
            operation: m.operation,
            changes: Json(m.changes),
        }
    }
}
