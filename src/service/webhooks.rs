//! Webhooks: endpoints (admins register them), the deliveries made from outbox events,
//! and each delivery's attempts. The rules live here; sending over HTTP is the
//! `crate::webhooks` engine's job.
//!
//! Deliveries are rows: the dispatcher turns each committed outbox event into one
//! delivery per subscribed endpoint (in one transaction with the shared cursor, so no
//! event is dispatched twice by any instance), and workers of any instance take due
//! deliveries with a lease (a conditional UPDATE), oldest first per endpoint, so a
//! restart or a crashed worker loses nothing and one endpoint sees its events in order.

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, Utc};
use futures_util::future::BoxFuture;
use rand::RngExt;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Statement,
};
use serde_json::{Value, json};
use url::Url;
use uuid::Uuid;

use super::audit::{self, Change};
use super::outbox::{self, Position};
use super::pagination::{Page, PageRequest, fetch_page};
use super::{Db, Patch, begin_write, now, require};
use crate::domain::{Actor, FieldError, Role};
use crate::entity::{
    outbox_cursor, outbox_event, webhook_attempt, webhook_delivery, webhook_endpoint,
};
use crate::error::AppError;

const ENTITY: &str = "webhook_endpoint";
/// The outbox cursor the dispatcher keeps.
const CURSOR: &str = "webhooks";
const MAX_URL_LENGTH: usize = 2000;
const MAX_SELECTION_LENGTH: usize = 10_000;

/// The event types an endpoint may subscribe to.
pub const EVENT_TYPES: &[&str] = &[
    "claim.created",
    "claim.updated",
    "claim.status_changed",
    "claim.deleted",
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

/// Where deliveries may go.
#[derive(Clone, Copy, Debug)]
pub struct TargetPolicy {
    /// Private, loopback, link-local and other non-public addresses allowed.
    pub allow_private: bool,
}

impl TargetPolicy {
    /// Whether deliveries may connect to `address`.
    pub fn allows(&self, address: IpAddr) -> bool {
        self.allow_private || is_public(address)
    }

    /// Checks a URL: http(s), a host, and (resolving the name) only allowed addresses.
    /// Checked again at every delivery, as DNS answers change.
    pub async fn check(&self, raw: &str, field: &str) -> Result<Url, AppError> {
        let invalid = |message: String| AppError::invalid(field, message);
        if raw.len() > MAX_URL_LENGTH {
            return Err(invalid(format!("at most {MAX_URL_LENGTH} characters")));
        }
        let url = Url::parse(raw.trim()).map_err(|e| invalid(format!("not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("only http and https URLs receive webhooks".into()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "credentials in the URL are not accepted; the signature authenticates deliveries"
                    .into(),
            ));
        }
        let host = url
            .host_str()
            .ok_or_else(|| invalid("the URL needs a host".into()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = url.port_or_known_default().unwrap_or(443);
        let literal = host.parse::<IpAddr>().ok();
        let addresses: Vec<IpAddr> = match literal {
            Some(ip) => vec![ip],
            None => tokio::net::lookup_host((host.as_str(), port))
                .await
                .map_err(|e| invalid(format!("the host {host} does not resolve: {e}")))?
                .map(|a| a.ip())
                .collect(),
        };
        if let Some(refused) = addresses.iter().find(|a| !self.allows(**a)) {
            let what = match literal {
                Some(_) => format!("{host} is"),
                None => format!("{host} resolves to {refused},"),
            };
            return Err(invalid(format!(
                "{what} a private or reserved address; deliveries go to public addresses only (see webhooks.allow_private_targets)"
            )));
        }
        Ok(url)
    }
}

/// Public unicast addresses only: no loopback, private, link-local, shared (CGNAT),
/// documentation, benchmarking, multicast or unspecified ranges. An IPv6 address that
/// carries an IPv4 one (mapped, translated, IPv4-compatible, NAT64, 6to4) is judged by
/// that IPv4 address; tunnel and deprecated forms that can reach anywhere (Teredo,
/// site-local, ::/96) are refused outright.
pub fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0)
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let last_v4 = || std::net::Ipv4Addr::from((u128::from(v6) & 0xffff_ffff) as u32);
            // ::ffff:a.b.c.d (mapped) and ::ffff:0:a.b.c.d (translated, SIIT).
            let mapped = s[..5] == [0; 5] && s[5] == 0xffff;
            let translated = s[..4] == [0; 4] && s[4] == 0xffff && s[5] == 0;
            if mapped || translated {
                return is_public(IpAddr::V4(last_v4()));
            }
            // 64:ff9b::/96, the well-known NAT64 prefix: the IPv4 address it reaches.
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return is_public(IpAddr::V4(last_v4()));
            }
            // 2002::/16, 6to4: the IPv4 address of the relay it tunnels to.
            if s[0] == 0x2002 {
                let [a, b] = s[1].to_be_bytes();
                let [c, d] = s[2].to_be_bytes();
                return is_public(IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, d)));
            }
            !(s[..6] == [0; 6] // ::, ::1 and IPv4-compatible ::a.b.c.d
                || v6.is_multicast()
                || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) // 64:ff9b:1::/48, local NAT64
                || (s[0] == 0x100 && s[1..4] == [0, 0, 0]) // 100::/64, discard-only
                || (s[0] == 0x2001 && s[1] == 0) // 2001::/32, Teredo
                || (s[0] == 0x2001 && s[1] == 0x0002 && s[2] == 0) // benchmarking
                || (s[0] == 0x2001 && (0x10..0x30).contains(&s[1])) // ORCHID
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] & 0xffc0) == 0xfec0) // site-local (deprecated)
        }
    }
}

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
    super::commit(txn).await?;
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
    let result = webhook_endpoint::Entity::update_many()
        .set(webhook_endpoint::ActiveModel::from(updated.clone()).reset_all())
        .filter(webhook_endpoint::Column::Id.eq(id))
        .filter(webhook_endpoint::Column::Version.eq(expected_version))
        .exec(&txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(AppError::stale_version(
            ENTITY,
            expected_version,
            current.version,
        ));
    }
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
    super::commit(txn).await?;
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
    super::ensure_version(ENTITY, expected_version, current.version)?;
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
    super::commit(txn).await?;
    Ok(current)
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<webhook_endpoint::Model, AppError> {
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
    super::commit(txn).await?;
    Ok(copy)
}

/// Turns committed outbox events into deliveries, at most `limit` events per call;
/// returns how many events it took. Any number of instances may call it: the shared
/// cursor is checked and advanced in the same transaction as the deliveries are written
/// (locked on PostgreSQL; SQLite has one writer at a time).
///
/// Payloads are built before that transaction, from plain reads: the transaction holds
/// the write lock (SQLite) or the cursor's row lock only for the state change, never
/// across GraphQL executions. If another instance advanced the cursor meanwhile, the
/// pass starts again from where it is now.
pub async fn dispatch(db: &impl Db, shaper: &dyn Shaper, limit: u32) -> Result<usize, AppError> {
    loop {
        let Some(position) = read_cursor(db, false).await? else {
            start_cursor(db).await?;
            continue;
        };
        let events = outbox::committed_after(db, position, limit).await?;
        let Some(last) = events.last() else {
            return Ok(0);
        };
        let last = Position::from(last);
        let endpoints = webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::Active.eq(true))
            .all(db)
            .await?;
        let mut deliveries = Vec::new();
        for event in &events {
            let event_type = format!("{}.{}", event.entity_type, event.operation);
            for endpoint in &endpoints {
                // An endpoint hears of events committed after it was registered.
                if endpoint.created_at > event.occurred_at
                    || !events_of(endpoint).contains(&event_type)
                {
                    continue;
                }
                let payload = payload(shaper, endpoint, event, &event_type).await?;
                deliveries.push(webhook_delivery::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    endpoint_id: Set(endpoint.id),
                    event_tx: Set(event.tx),
                    event_seq: Set(event.seq),
                    event_type: Set(event_type.clone()),
                    payload: Set(payload),
                    state: Set(state::PENDING.to_owned()),
                    attempts: Set(0),
                    next_attempt_at: Set(now()),
                    lease_until: Set(None),
                    last_status: Set(None),
                    last_error: Set(None),
                    created_at: Set(now()),
                    delivered_at: Set(None),
                });
            }
        }
        let txn = begin_write(db).await?;
        if read_cursor(&txn, true).await? != Some(position) {
            // Another instance dispatched these events meanwhile: look again.
            continue;
        }
        // In chunks: a statement's parameters are bounded (SQLite: 32,766).
        for chunk in deliveries.chunks(DELIVERY_ROWS_PER_INSERT) {
            webhook_delivery::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        outbox_cursor::Entity::update_many()
            .col_expr(outbox_cursor::Column::Tx, Expr::value(last.tx))
            .col_expr(outbox_cursor::Column::Seq, Expr::value(last.seq))
            .col_expr(outbox_cursor::Column::UpdatedAt, Expr::value(now()))
            .filter(outbox_cursor::Column::Name.eq(CURSOR))
            .exec(&txn)
            .await?;
        // Deliveries and the cursor are not outbox events: a plain commit, which does not
        // wake this process's outbox readers (this dispatcher among them) for nothing.
        sea_orm::TransactionSession::commit(txn).await?;
        return Ok(events.len());
    }
}

/// Starts the dispatch cursor at the outbox's current end, unless it exists: webhooks
/// begin with the events committed from then on. Applications call it before they
/// serve, so that no write can come before it (a dispatcher starting later would skip
/// that write's events).
pub async fn start_cursor(db: &impl Db) -> Result<(), AppError> {
    if read_cursor(db, false).await?.is_some() {
        return Ok(());
    }
    let txn = begin_write(db).await?;
    if read_cursor(&txn, true).await?.is_none() {
        let head = outbox::head(&txn).await?;
        // Two instances starting at once: the second insert does nothing.
        outbox_cursor::Entity::insert(outbox_cursor::ActiveModel {
            name: Set(CURSOR.to_owned()),
            tx: Set(head.tx),
            seq: Set(head.seq),
            updated_at: Set(now()),
        })
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(outbox_cursor::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    sea_orm::TransactionSession::commit(txn).await?;
    Ok(())
}

/// Delivery rows per INSERT statement (14 parameters each).
const DELIVERY_ROWS_PER_INSERT: usize = 1000;

/// The dispatch cursor's position, if it exists; `lock`: keep other dispatchers from
/// moving it until this transaction ends (PostgreSQL; SQLite's writer excludes them).
async fn read_cursor(db: &impl ConnectionTrait, lock: bool) -> Result<Option<Position>, AppError> {
    let select = outbox_cursor::Entity::find().filter(outbox_cursor::Column::Name.eq(CURSOR));
    let select = if lock {
        crate::dialect::for_update(db, select)
    } else {
        select
    };
    let cursor = select.one(db).await?;
    Ok(cursor.map(|c| Position {
        tx: c.tx,
        seq: c.seq,
    }))
}

/// The JSON body of a delivery, built once: every attempt sends (and signs) these bytes.
async fn payload(
    shaper: &dyn Shaper,
    endpoint: &webhook_endpoint::Model,
    event: &outbox_event::Model,
    event_type: &str,
) -> Result<String, AppError> {
    let data = shaper.data(event, endpoint.selection.as_deref()).await?;
    let body = json!({
        "type": event_type,
        "eventId": format!("{}.{}", event.tx, event.seq),
        "occurredAt": event.occurred_at,
        "actor": event.actor_name,
        "record": { "type": event.entity_type, "id": event.entity_id },
        "claimId": event.claim_id,
        "data": data,
    });
    Ok(body.to_string())
}

/// A delivery taken by a worker, with where and how to send it.
pub struct Due {
    pub delivery: webhook_delivery::Model,
    pub url: String,
    pub secret: String,
}

/// Pending deliveries (`d`) of active, healthy endpoints (`e`) whose earlier deliveries
/// are all done: the ones a worker may take once their time has come.
const HEAD_OF_QUEUE: &str = "d.state = 'pending' AND e.active AND e.failing_since IS NULL \
    AND NOT EXISTS (SELECT 1 FROM webhook_deliveries earlier \
      WHERE earlier.endpoint_id = d.endpoint_id AND earlier.state = 'pending' \
      AND (earlier.event_tx, earlier.event_seq, earlier.created_at) \
        < (d.event_tx, d.event_seq, d.created_at))";

/// When the next delivery can be taken (its attempt is due and no lease holds it), if
/// any is waiting: the engine sleeps until then instead of polling.
pub async fn next_due(db: &impl ConnectionTrait) -> Result<Option<DateTime<Utc>>, AppError> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT min(CASE WHEN d.lease_until IS NOT NULL AND d.lease_until > d.next_attempt_at \
           THEN d.lease_until ELSE d.next_attempt_at END) AS due \
         FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         WHERE {HEAD_OF_QUEUE}"
    );
    let row = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await?;
    Ok(match row {
        Some(row) => row.try_get::<Option<DateTime<Utc>>>("", "due")?,
        None => None,
    })
}

/// Takes the next due delivery, if any: the oldest pending one of an active, healthy
/// endpoint whose earlier deliveries are all done, leased until `lease_until` so no other
/// worker (of any instance) sends it meanwhile.
pub async fn take_due(
    db: &impl ConnectionTrait,
    lease_until: DateTime<Utc>,
) -> Result<Option<Due>, AppError> {
    let backend = db.get_database_backend();
    let at = now();
    let p = |i: usize| crate::dialect::placeholder(backend, i);
    let sql = format!(
        "SELECT d.id FROM webhook_deliveries d \
         JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         WHERE {HEAD_OF_QUEUE} AND d.next_attempt_at <= {p1} \
         AND (d.lease_until IS NULL OR d.lease_until < {p2}) \
         ORDER BY d.next_attempt_at LIMIT 8",
        p1 = p(1),
        p2 = p(2),
    );
    let candidates = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [at.into(), at.into()],
        ))
        .await?;
    for row in candidates {
        let id: Uuid = row.try_get("", "id")?;
        // Whoever changes the lease first has it.
        let taken = webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::LeaseUntil,
                Expr::value(Some(lease_until)),
            )
            .filter(webhook_delivery::Column::Id.eq(id))
            .filter(webhook_delivery::Column::State.eq(state::PENDING))
            .filter(
                webhook_delivery::Column::LeaseUntil
                    .is_null()
                    .or(webhook_delivery::Column::LeaseUntil.lt(at)),
            )
            .exec(db)
            .await?;
        if taken.rows_affected == 0 {
            continue;
        }
        let Some(delivery) = webhook_delivery::Entity::find_by_id(id).one(db).await? else {
            continue;
        };
        let endpoint = find(db, delivery.endpoint_id).await?;
        return Ok(Some(Due {
            delivery,
            url: endpoint.url,
            secret: endpoint.secret,
        }));
    }
    Ok(None)
}

/// What one attempt came to.
pub struct Outcome {
    pub attempted_at: DateTime<Utc>,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s)) && self.error.is_none()
    }
}

/// Retry timing.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    pub initial: Duration,
    pub max: Duration,
    pub window: Duration,
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failed attempt: exponential, capped, with ±50 %
    /// jitter so that many failing deliveries do not retry in step.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let exponent = Ord::min(u32::try_from(attempts.saturating_sub(1)).unwrap_or(0), 30);
        let base = Ord::min(
            self.initial
                .num_milliseconds()
                .saturating_mul(1_i64 << exponent),
            self.max.num_milliseconds(),
        );
        let jitter: f64 = rand::rng().random_range(0.5..1.5);
        Duration::milliseconds((base as f64 * jitter) as i64)
    }
}

/// Records an attempt: delivered; or pending again after a backoff; or, past the retry
/// window, failed, with its endpoint marked failing (its other deliveries wait until an
/// admin reactivates it).
pub async fn record_attempt(
    db: &impl Db,
    due: &Due,
    outcome: Outcome,
    retry: &RetryPolicy,
) -> Result<(), AppError> {
    let delivery = &due.delivery;
    let attempts = delivery.attempts + 1;
    let txn = begin_write(db).await?;
    webhook_attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        delivery_id: Set(delivery.id),
        attempted_at: Set(outcome.attempted_at),
        status: Set(outcome.status.map(|s| s as i16)),
        error: Set(outcome.error.clone()),
        duration_ms: Set(outcome.duration_ms),
    }
    .insert(&txn)
    .await?;
    let mut row: webhook_delivery::ActiveModel = delivery.clone().into();
    row.attempts = Set(attempts);
    row.lease_until = Set(None);
    row.last_status = Set(outcome.status.map(|s| s as i16));
    row.last_error = Set(outcome.error.clone());
    if outcome.succeeded() {
        row.state = Set(state::DELIVERED.to_owned());
        row.delivered_at = Set(Some(now()));
    } else {
        let next = now() + retry.backoff(attempts);
        if next > delivery.created_at + retry.window {
            row.state = Set(state::FAILED.to_owned());
            let last = match (&outcome.status, &outcome.error) {
                (_, Some(error)) => error.clone(),
                (Some(status), None) => format!("HTTP {status}"),
                (None, None) => "no response".to_owned(),
            };
            let reason = format!(
                "delivery {} ({}) failed {attempts} attempts over {} s; last: {last}",
                delivery.id,
                delivery.event_type,
                retry.window.num_seconds()
            );
            webhook_endpoint::Entity::update_many()
                .col_expr(
                    webhook_endpoint::Column::FailingSince,
                    Expr::value(Some(now())),
                )
                .col_expr(
                    webhook_endpoint::Column::FailingReason,
                    Expr::value(Some(reason)),
                )
                .filter(webhook_endpoint::Column::Id.eq(delivery.endpoint_id))
                .filter(webhook_endpoint::Column::FailingSince.is_null())
                .exec(&txn)
                .await?;
        } else {
            row.next_attempt_at = Set(next);
        }
    }
    row.update(&txn).await?;
    super::commit(txn).await?;
    Ok(())
}

/// A delivery's state must be one of these (for filters).
pub fn check_state(value: &str, field: &str) -> Result<(), FieldError> {
    if [state::PENDING, state::DELIVERED, state::FAILED].contains(&value) {
        Ok(())
    } else {
        Err(FieldError::new(field, "one of pending, delivered, failed"))
    }
}

/// Drops what is no longer needed: outbox events older than `outbox_retention` that the
/// webhook dispatcher has read, and finished deliveries (with their attempts) older than
/// `log_retention`. Returns (events, deliveries) removed.
pub async fn sweep(
    db: &impl ConnectionTrait,
    outbox_retention: Duration,
    log_retention: Duration,
) -> Result<(u64, u64), AppError> {
    let cursor = outbox_cursor::Entity::find_by_id(CURSOR.to_owned())
        .one(db)
        .await?;
    let mut events = outbox_event::Entity::delete_many()
        .filter(outbox_event::Column::OccurredAt.lt(now() - outbox_retention));
    if let Some(cursor) = cursor {
        // Never ahead of the dispatcher: an event it has not read stays.
        events = events.filter(
            Expr::tuple([
                Expr::col(outbox_event::Column::Tx),
                Expr::col(outbox_event::Column::Seq),
            ])
            .lte(Expr::tuple([
                Expr::value(cursor.tx),
                Expr::value(cursor.seq),
            ])),
        );
    }
    let events = events.exec(db).await?.rows_affected;
    let deliveries = webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::State.ne(state::PENDING))
        .filter(webhook_delivery::Column::CreatedAt.lt(now() - log_retention))
        .exec(db)
        .await?
        .rows_affected;
    Ok((events, deliveries))
}

#[cfg(test)]
mod tests {
    use super::is_public;

    fn public(address: &str) -> bool {
        is_public(address.parse().unwrap())
    }

    #[test]
    fn ipv6_forms_that_carry_a_private_ipv4_address_are_not_public() {
        for private in [
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:0:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::10.0.0.1",
            "64:ff9b:1::8.8.8.8",
            "2002:a9fe:a9fe::1",
            "2002:7f00:1::",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "fec0::1",
            "100::1",
            "::",
            "::1",
            "fd00::1",
            "fe80::1",
        ] {
            assert!(!public(private), "{private}");
        }
        for open in [
            "8.8.8.8",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(public(open), "{open}");
        }
    }
}
