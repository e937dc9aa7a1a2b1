//! The audit trail: one event per write, recorded inside the write's transaction.

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::pagination::{Page, PageRequest, fetch_page};
use super::require;
use crate::domain::{Actor, Role};
use crate::entity::audit_event;
use crate::error::AppError;

/// What an audit event is about.
pub struct Change<'a> {
    pub entity_type: &'static str,
    pub entity_id: Uuid,
    /// The claim the change concerns, so that it shows in that claim's trail.
    pub claim_id: Option<Uuid>,
    pub operation: &'a str,
    pub changes: Value,
}

/// Records `change` by `actor`; call it with the write's transaction.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    change: Change<'_>,
) -> Result<(), AppError> {
    let event = audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(super::now()),
        principal_id: Set(actor.principal_id),
        actor_name: Set(actor.name.clone()),
        entity_type: Set(change.entity_type.to_owned()),
        entity_id: Set(change.entity_id),
        claim_id: Set(change.claim_id),
        operation: Set(change.operation.to_owned()),
        changes: Set(change.changes),
    };
    audit_event::Entity::insert(event)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The fields that differ between two snapshots, as `{field: {from, to}}`.
pub fn diff(before: &Value, after: &Value) -> Value {
    let (Value::Object(before), Value::Object(after)) = (before, after) else {
        return json!({ "from": before, "to": after });
    };
    let mut changed = Map::new();
    for (field, new) in after {
        let old = before.get(field).unwrap_or(&Value::Null);
        if old != new && !matches!(field.as_str(), "version" | "updated_at") {
            changed.insert(field.clone(), json!({ "from": old, "to": new }));
        }
    }
    Value::Object(changed)
}

/// The trail of one claim (the claim, its appearances and verifications), oldest first
/// unless the page asks otherwise.
pub async fn for_claim(
    db: &impl ConnectionTrait,
    actor: &Actor,
    claim_id: Uuid,
    page: &PageRequest,
) -> Result<Page<audit_event::Model>, AppError> {
    require(actor, Role::Viewer)?;
    let select = audit_event::Entity::find().filter(audit_event::Column::ClaimId.eq(claim_id));
    fetch_page(
        db,
        select,
        audit_event::Column::OccurredAt,
        audit_event::Column::Id,
        page,
        |e| (e.occurred_at, e.id),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diff_lists_only_changed_fields() {
        let before = json!({"text": "a", "status": "unreviewed", "version": 1});
        let after = json!({"text": "b", "status": "unreviewed", "version": 2});
        assert_eq!(
            diff(&before, &after),
            json!({"text": {"from": "a", "to": "b"}})
        );
    }
}
