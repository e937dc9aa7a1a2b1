//! The audit trail: one event per write, recorded inside the write's transaction.

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::batch::Batch;
use super::outbox;
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
    /// What subscribers filter on, as it is after this change (see `outbox::Event`).
    pub state: Option<Value>,
    pub operation: &'a str,
    pub changes: Value,
}

/// Records `change` by `actor`, and its outbox event; call it with the write's
/// transaction. Returns the audit event's id.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    change: Change<'_>,
) -> Result<Uuid, AppError> {
    let (id, event, published) = rows(actor, change);
    outbox::publish(db, actor, published).await?;
    audit_event::Entity::insert(event)
        .exec_without_returning(db)
        .await?;
    Ok(id)
}

/// Adds `change` by `actor`, and its outbox event, to a write sent as one batch.
/// Returns the audit event's id.
pub(crate) fn stage(batch: &mut Batch, actor: &Actor, change: Change<'_>) -> Uuid {
    let (id, event, published) = rows(actor, change);
    // The outbox row last, so that a write's outbox rows can go in as one INSERT.
    batch.insert(&event);
    outbox::stage(batch, actor, published);
    id
}

/// The audit event of `change` and the outbox event that announces it.
fn rows<'a>(
    actor: &Actor,
    change: Change<'a>,
) -> (Uuid, audit_event::ActiveModel, outbox::Event<'a>) {
    let id = Uuid::now_v7();
    let published = outbox::Event {
        entity_type: change.entity_type,
        entity_id: change.entity_id,
        claim_id: change.claim_id,
        operation: past_tense(change.operation, &change.changes),
        state: change.state,
        audit_event_id: Some(id),
    };
    let event = audit_event::ActiveModel {
        id: Set(id),
        occurred_at: Set(super::now()),
        principal_id: Set(actor.principal_id),
        actor_name: Set(actor.name.clone()),
        entity_type: Set(change.entity_type.to_owned()),
        entity_id: Set(change.entity_id),
        claim_id: Set(change.claim_id),
        operation: Set(change.operation.to_owned()),
        changes: Set(change.changes),
    };
    (id, event, published)
}

/// The outbox's name for an audited operation. An update that moves a status is a
/// `status_changed` event, which dashboards and webhooks single out.
fn past_tense<'a>(operation: &'a str, changes: &Value) -> &'a str {
    match operation {
        "create" => "created",
        "update" if changes.get("status").is_some() => "status_changed",
        "update" => "updated",
        "delete" => "deleted",
        "record" => "recorded",
        "retract" => "retracted",
        "revoke" => "revoked",
        "extract" => "extracted",
        "accept" => "accepted",
        "dismiss" => "dismissed",
        "assign" => "assigned",
        "unassign" => "unassigned",
        "merge" => "merged",
        other => other,
    }
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

/// What an audit trail can be asked about: the kinds of records writes are recorded for.
pub const RECORD_TYPES: &[&str] = &[
    "claim",
    "article",
    "source",
    "verification",
    "appearance",
    "note",
    "tag",
    "candidate",
    "conflict",
    "webhook_endpoint",
    "api_key",
    "principal",
];

/// The trail of one record by its own events (an article's, a source's, a deleted
/// claim's: events outlive their records), oldest first unless the page asks otherwise.
pub async fn for_record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    entity_type: &str,
    entity_id: Uuid,
    page: &PageRequest,
) -> Result<Page<audit_event::Model>, AppError> {
    require(actor, Role::Viewer)?;
    if !RECORD_TYPES.contains(&entity_type) {
        return Err(AppError::invalid(
            "entityType",
            format!("must be one of {}", RECORD_TYPES.join(", ")),
        ));
    }
    let select = audit_event::Entity::find()
        .filter(audit_event::Column::EntityType.eq(entity_type))
        .filter(audit_event::Column::EntityId.eq(entity_id));
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
