//! Webhook endpoints: registering, changing and removing them (admins), their delivery
//! logs, and replays.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngExt;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::{Actor, Role};
use crate::entity::{webhook_attempt, webhook_delivery, webhook_endpoint};
use crate::error::AppError;
use crate::service::audit::{self, Change};
use crate::service::pagination::{Page, PageRequest, fetch_page};
use crate::service::{Db, Patch, begin_write, now, require};

use super::*;

/// A new endpoint.
pub struct NewEndpoint {
    pub url: String,
    pub events: Vec<String>,
    pub selection: Option<String>,
    pub active: bool,
}

/// Changes to an endpoint; absent fields stay.
#[derive(Default)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub selection: Patch<String>,
    /// Activating a failing endpoint clears its failure and resumes its deliveries.
    pub active: Option<bool>,
}

/// A new endpoint and its signing secret (shown again only on request by an admin).
pub struct CreatedEndpoint {
    pub endpoint: webhook_endpoint::Model,
    pub secret: String,
}

/// The endpoint's subscribed event types.
pub fn events_of(endpoint: &webhook_endpoint::Model) -> Vec<String> {
    endpoint
        .events
        .as_array()
        .map(|events| {
            events
                .iter()
                .filter_map(|e| e.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn new_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    format!("whsec_{}", STANDARD.encode(bytes))
}

fn check_events(events: &[String]) -> Result<Vec<String>, AppError> {
    if events.is_empty() {
        return Err(AppError::invalid(
            "input.events",
            "subscribe to at least one event type",
        ));
    }
    let mut checked = Vec::new();
    for (i, event) in events.iter().enumerate() {
        let event = event.trim().to_owned();
        if !EVENT_TYPES.contains(&event.as_str()) {
            return Err(AppError::invalid(
                format!("input.events.{i}"),
                format!(
                    "unknown event type {event:?}; one of {}",
                    EVENT_TYPES.join(", ")
                ),
            ));
        }
        if !checked.contains(&event) {
            checked.push(event);
        }
    }
    Ok(checked)
}

/// A selection shapes one record type, so all the endpoint's events must be about it.
async fn check_selection(
    shaper: &dyn Shaper,
    events: &[String],
    selection: Option<String>,
) -> Result<Option<String>, AppError> {
    let Some(selection) = selection
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
    else {
        return Ok(None);
    };
    if selection.len() > MAX_SELECTION_LENGTH {
        return Err(AppError::invalid(
            "input.selection",
            format!("at most {MAX_SELECTION_LENGTH} characters"),
        ));
    }
    let mut records: Vec<&str> = events.iter().map(|e| record_of(e)).collect();
    records.dedup();
    let [record] = records[..] else {
        return Err(AppError::invalid(
            "input.selection",
            "a selection shapes one record type: its events must all be about claims, verifications, sources or articles (register one endpoint per type)",
        ));
    };
    shaper
        .validate(record, &selection)
        .await
        .map_err(|message| AppError::invalid("input.selection", message))?;
    Ok(Some(selection))
}

fn snapshot(endpoint: &webhook_endpoint::Model) -> Value {
    json!({
        "url": endpoint.url, "events": endpoint.events, "selection": endpoint.selection,
        "active": endpoint.active, "failing_since": endpoint.failing_since,
    })
}

/// Registers an endpoint. Needs the admin role.
pub async fn create(
    db: &impl Db,
    actor: &Actor,
    input: NewEndpoint,
    policy: &TargetPolicy,
    shaper: &dyn Shaper,
) -> Result<CreatedEndpoint, AppError> {
    require(actor, Role::Admin)?;
    let events = check_events(&input.events)?;
    let selection = check_selection(shaper, &events, input.selection).await?;
    // Last: it may ask DNS.
    let url = policy.check(&input.url, "input.url").await?;
    let secret = new_secret();
    let at = now();
    let txn = begin_write(db).await?;
    let endpoint = webhook_endpoint::ActiveModel {
        id: Set(Uuid::now_v7()),
        url: Set(url.to_string()),
        events: Set(json!(events)),
        selection: Set(selection),
        secret: Set(secret.clone()),
        active: Set(input.active),
        failing_since: Set(None),
        failing_reason: Set(None),
        created_by_id: Set(actor.principal_id),
        created_by_name: Set(actor.name.clone()),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: endpoint.id,
            claim_id: None,
            state: None,
            operation: "create",
            changes: snapshot(&endpoint),
        },
    )
    .await?;
    crate::service::commit(txn).await?;
    Ok(CreatedEndpoint { endpoint, secret })
}

/// Changes an endpoint at `expected_version`. Needs the admin role.
pub async fn update(
    db: &impl Db,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
    patch: EndpointPatch,
    policy: &TargetPolicy,
    shaper: &dyn Shaper,
) -> Result<webhook_endpoint::Model, AppError> {
    require(actor, Role::Admin)?;
    let current = find(db, id).await?;
    let url = match &patch.url {
        Some(url) => policy.check(url, "input.url").await?.to_string(),
        None => current.url.clone(),
    };
    let events = match &patch.events {
        Some(events) => check_events(events)?,
        None => events_of(&current),
    };
    let selection = match patch.selection {
        Some(selection) => selection,
        None => current.selection.clone(),
    };
    let selection = check_selection(shaper, &events, selection).await?;
    let active = patch.active.unwrap_or(current.active);
    let reactivated = patch.active == Some(true);
    let txn = begin_write(db).await?;
    let updated = webhook_endpoint::Model {
        url,
        events: json!(events),
        selection,
        active,
        failing_since: if reactivated {
            None
        } else {
            current.failing_since
        },
        failing_reason: if reactivated {
            None
        } else {
            current.failing_reason.clone()
        },
        updated_at: now(),
        version: current.version + 1,
        ..current.clone()
    };
    crate::service::versioned::save::<webhook_endpoint::Entity>(
        &txn,
        id,
        expected_version,
        updated.clone(),
    )
    .await?;
    if reactivated {
        // Failed deliveries stay in the log (replay them one by one); the paused ones
        // resume from the next attempt.
        webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(now()))
            .filter(webhook_delivery::Column::EndpointId.eq(id))
            .filter(webhook_delivery::Column::State.eq(state::PENDING))
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: id,
            claim_id: None,
            state: None,
            operation: "update",
            changes: audit::diff(&snapshot(&current), &snapshot(&updated)),
        },
    )
    .await?;
    crate::service::commit(txn).await?;
    Ok(updated)
}

/// Removes an endpoint with its deliveries. Needs the admin role.
pub async fn delete(
    db: &impl Db,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<webhook_endpoint::Model, AppError> {
    require(actor, Role::Admin)?;
    let txn = begin_write(db).await?;
    let current = find(&txn, id).await?;
    crate::service::ensure_version(ENTITY, expected_version, current.version)?;
    webhook_endpoint::Entity::delete_by_id(id)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: id,
            claim_id: None,
            state: None,
            operation: "delete",
            changes: snapshot(&current),
        },
    )
    .await?;
    crate::service::commit(txn).await?;
    Ok(current)
}

pub(super) async fn find(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<webhook_endpoint::Model, AppError> {
    webhook_endpoint::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(ENTITY, id))
}

/// One endpoint. Needs the admin role.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<webhook_endpoint::Model, AppError> {
    require(actor, Role::Admin)?;
    find(db, id).await
}

/// Every endpoint, oldest first. Needs the admin role.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<Vec<webhook_endpoint::Model>, AppError> {
    require(actor, Role::Admin)?;
    Ok(webhook_endpoint::Entity::find()
        .order_by_asc(webhook_endpoint::Column::CreatedAt)
        .all(db)
        .await?)
}

/// An endpoint's deliveries (newest first unless the page asks otherwise), optionally
/// in one state. Needs the admin role.
pub async fn deliveries(
    db: &impl ConnectionTrait,
    actor: &Actor,
    endpoint_id: Uuid,
    in_state: Option<&str>,
    page: &PageRequest,
) -> Result<Page<webhook_delivery::Model>, AppError> {
    require(actor, Role::Admin)?;
    find(db, endpoint_id).await?;
    let mut select = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id));
    if let Some(in_state) = in_state {
        select = select.filter(webhook_delivery::Column::State.eq(in_state));
    }
    fetch_page(
        db,
        select,
        webhook_delivery::Column::CreatedAt,
        webhook_delivery::Column::Id,
        page,
        |d| (d.created_at, d.id),
    )
    .await
}

/// One delivery. Needs the admin role.
pub async fn delivery(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<webhook_delivery::Model, AppError> {
    require(actor, Role::Admin)?;
    webhook_delivery::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("webhook_delivery", id))
}

/// The attempts of these deliveries, oldest first (for the delivery log).
pub async fn attempts_of(
    db: &impl ConnectionTrait,
    delivery_ids: Vec<Uuid>,
) -> Result<Vec<webhook_attempt::Model>, AppError> {
    Ok(webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::DeliveryId.is_in(delivery_ids))
        .order_by_asc(webhook_attempt::Column::AttemptedAt)
        .order_by_asc(webhook_attempt::Column::Id)
        .all(db)
        .await?)
}

/// Sends a delivery again: a new delivery with the same payload, due now, in the
/// event's place in its endpoint's order. Needs the admin role.
pub async fn replay(
    db: &impl Db,
    actor: &Actor,
    id: Uuid,
) -> Result<webhook_delivery::Model, AppError> {
    let original = delivery(db, actor, id).await?;
    let at = now();
    let txn = begin_write(db).await?;
    let copy = webhook_delivery::ActiveModel {
        id: Set(Uuid::now_v7()),
        endpoint_id: Set(original.endpoint_id),
        event_tx: Set(original.event_tx),
        event_seq: Set(original.event_seq),
        event_type: Set(original.event_type.clone()),
        payload: Set(original.payload.clone()),
        state: Set(state::PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(at),
        lease_until: Set(None),
        last_status: Set(None),
        last_error: Set(None),
        created_at: Set(at),
        delivered_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: original.endpoint_id,
            claim_id: None,
            state: None,
            operation: "replay",
            changes: json!({ "delivery": original.id, "replay": copy.id }),
        },
    )
    .await?;
    crate::service::commit(txn).await?;
    Ok(copy)
}
