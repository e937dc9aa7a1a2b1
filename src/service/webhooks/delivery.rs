//! From outbox events to deliveries: the shared dispatch cursor, due deliveries taken
//! with a lease, attempts recorded with retries and backoff, and sweeping old rows.

use chrono::{DateTime, Duration, Utc};
use rand::RngExt;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement,
};
use serde_json::json;
use uuid::Uuid;

use crate::domain::FieldError;
use crate::entity::{
    outbox_cursor, outbox_event, webhook_attempt, webhook_delivery, webhook_endpoint,
};
use crate::error::AppError;
use crate::service::outbox::{self, Position};
use crate::service::{Db, begin_write, now};

use super::*;

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
        outbox::advance_cursor(&txn, CURSOR, last).await?;
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
    outbox::cursor(db, CURSOR, lock).await
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
    crate::service::commit(txn).await?;
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
    // Never ahead of any shared reader (this dispatcher, the search index): an event one
    // of them has not read stays.
    let slowest = outbox_cursor::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.tx, c.seq))
        .min();
    let mut events = outbox_event::Entity::delete_many()
        .filter(outbox_event::Column::OccurredAt.lt(now() - outbox_retention));
    if let Some((tx, seq)) = slowest {
        events = events.filter(
            Expr::tuple([
                Expr::col(outbox_event::Column::Tx),
                Expr::col(outbox_event::Column::Seq),
            ])
            .lte(Expr::tuple([Expr::value(tx), Expr::value(seq)])),
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
