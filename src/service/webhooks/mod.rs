//! Webhooks: endpoints (admins register them), the deliveries made from outbox events,
//! and each delivery's attempts. The rules live here; sending over HTTP is the
//! `crate::webhooks` engine's job.
//!
//! Deliveries are rows: the dispatcher turns each committed outbox event into one
//! delivery per subscribed endpoint (in one transaction with the shared cursor, so no
//! event is dispatched twice by any instance), and workers of any instance take due
//! deliveries with a lease (a conditional UPDATE), oldest first per endpoint, so a
//! restart or a crashed worker loses nothing and one endpoint sees its events in order.
//!
//! Three parts: `targets` (where deliveries may go), `endpoints` (registering endpoints,
//! reading their delivery logs, replays) and `delivery` (dispatching events into
//! deliveries, leasing due ones, recording attempts, sweeping).

mod delivery;
mod endpoints;
mod targets;

pub use delivery::*;
pub use endpoints::*;
pub use targets::*;

use futures_util::future::BoxFuture;
use serde_json::Value;

use crate::entity::outbox_event;
use crate::error::AppError;

const ENTITY: &str = "webhook_endpoint";
/// The outbox cursor the dispatcher keeps.
const CURSOR: &str = "webhooks";
const MAX_SELECTION_LENGTH: usize = 10_000;

/// The event types an endpoint may subscribe to.
pub const EVENT_TYPES: &[&str] = &[
    "claim.created",
    "claim.updated",
    "claim.status_changed",
    "claim.deleted",
    "claim.assigned",
    "claim.unassigned",
    "claim.merged",
    "verification.recorded",
    "verification.retracted",
    "appearance.created",
    "appearance.deleted",
    "source.created",
    "source.updated",
    "source.deleted",
    "article.created",
    "article.updated",
    "article.deleted",
    "conflict.detected",
    "conflict.resolved",
];

/// The record type an event type is about (`claim.updated` → `claim`); appearance events
/// are shown through their claim, conflict events through `quantityConflict`.
pub fn record_of(event_type: &str) -> &str {
    match event_type
        .split_once('.')
        .map_or(event_type, |(record, _)| record)
    {
        "appearance" => "claim",
        "conflict" => "quantityConflict",
        record => record,
    }
}

/// Delivery states.
pub mod state {
    pub const PENDING: &str = "pending";
    pub const DELIVERED: &str = "delivered";
    pub const FAILED: &str = "failed";
}

/// Builds and checks payloads: the GraphQL side, supplied by the caller.
pub trait Shaper: Send + Sync {
    /// `Err(message)` unless `selection` is a valid selection set on `record`.
    fn validate<'a>(
        &'a self,
        record: &'a str,
        selection: &'a str,
    ) -> BoxFuture<'a, Result<(), String>>;

    /// The payload's `data` for `event`: the record through `selection`, or its default
    /// JSON form without one (`None` when the record is gone).
    fn data<'a>(
        &'a self,
        event: &'a outbox_event::Model,
        selection: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Value, AppError>>;
}
