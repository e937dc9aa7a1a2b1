use async_graphql::{Enum, SimpleObject};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::entity::{webhook_attempt, webhook_delivery, webhook_endpoint};
use crate::service::webhooks::{CreatedEndpoint, events_of, state};

/// A webhook endpoint (its signing secret is shown only when it is created).
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
pub struct WebhookEndpoint {
    /// Unique id (UUIDv7).
    pub id: Uuid,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The event types it receives, e.g. `verification.recorded`.
    pub events: Vec<String>,
    /// The GraphQL selection shaping each payload's `data`, if any.
    pub selection: Option<String>,
    /// Whether it receives deliveries.
    pub active: bool,
    /// Set when a delivery ran out of retries; its deliveries wait until it is
    /// reactivated (`active: true`).
    pub failing_since: Option<DateTime<Utc>>,
    /// Why it is failing.
    pub failing_reason: Option<String>,
    /// Who registered it.
    pub created_by: String,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version (the REST ETag).
    pub version: i32,
}

impl From<webhook_endpoint::Model> for WebhookEndpoint {
    fn from(e: webhook_endpoint::Model) -> Self {
        Self {
            events: events_of(&e),
            id: e.id,
            url: e.url,
            selection: e.selection,
            active: e.active,
            failing_since: e.failing_since,
            failing_reason: e.failing_reason,
            created_by: e.created_by_name,
            created_at: e.created_at,
            updated_at: e.updated_at,
            version: e.version,
        }
    }
}

/// A new endpoint with its signing secret: keep it, it is not shown again.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
pub struct CreatedWebhookEndpoint {
    /// The endpoint.
    pub endpoint: WebhookEndpoint,
    /// The signing secret (`whsec_…`, Standard Webhooks): verify each delivery's
    /// `webhook-signature` with it.
    pub secret: String,
}

impl From<CreatedEndpoint> for CreatedWebhookEndpoint {
    fn from(c: CreatedEndpoint) -> Self {
        Self {
            endpoint: c.endpoint.into(),
            secret: c.secret,
        }
    }
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WebhookDeliveryState {
    /// Waiting for its (next) attempt.
    Pending,
    /// Answered with a 2xx status.
    Delivered,
    /// Out of retries (its endpoint is marked failing); can be replayed.
    Failed,
}

impl WebhookDeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => state::PENDING,
            Self::Delivered => state::DELIVERED,
            Self::Failed => state::FAILED,
        }
    }
}

/// One delivery of one event to one endpoint, with its attempts.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
pub struct WebhookDelivery {
    /// Unique id; sent as the `webhook-id` header.
    pub id: Uuid,
    /// The endpoint it goes to.
    pub endpoint_id: Uuid,
    /// The event type, e.g. `claim.status_changed`.
    pub event_type: String,
    /// Where it stands.
    pub state: WebhookDeliveryState,
    /// Attempts made so far.
    pub attempt_count: i32,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The HTTP status of the last attempt, if it got one.
    pub last_status: Option<i32>,
    /// What went wrong in the last attempt.
    pub last_error: Option<String>,
    /// The JSON body sent (the same bytes on every attempt).
    pub payload: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Every attempt, oldest first.
    pub attempts: Vec<WebhookAttempt>,
}

impl WebhookDelivery {
    /// The delivery with its attempts (any order; the ones of this delivery are kept).
    pub fn with_attempts(d: webhook_delivery::Model, attempts: &[webhook_attempt::Model]) -> Self {
        let state = match d.state.as_str() {
            state::DELIVERED => WebhookDeliveryState::Delivered,
            state::FAILED => WebhookDeliveryState::Failed,
            _ => WebhookDeliveryState::Pending,
        };
        Self {
            attempts: attempts
                .iter()
                .filter(|a| a.delivery_id == d.id)
                .cloned()
                .map(Into::into)
                .collect(),
            next_attempt_at: (state == WebhookDeliveryState::Pending).then_some(d.next_attempt_at),
            id: d.id,
            endpoint_id: d.endpoint_id,
            event_type: d.event_type,
            state,
            attempt_count: d.attempts,
            last_status: d.last_status.map(i32::from),
            last_error: d.last_error,
            payload: d.payload,
            created_at: d.created_at,
            delivered_at: d.delivered_at,
        }
    }
}

/// One attempt at a delivery.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
pub struct WebhookAttempt {
    /// When it was made.
    pub attempted_at: DateTime<Utc>,
    /// The HTTP status answered, if any.
    pub status: Option<i32>,
    /// What went wrong (connection refused, timeout, non-2xx status).
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: i32,
}

impl From<webhook_attempt::Model> for WebhookAttempt {
    fn from(a: webhook_attempt::Model) -> Self {
        Self {
            attempted_at: a.attempted_at,
            status: a.status.map(i32::from),
            error: a.error,
            duration_ms: a.duration_ms,
        }
    }
}
