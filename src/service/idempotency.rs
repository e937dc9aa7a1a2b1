//! Idempotency keys: the first response to a keyed POST is stored (with an expiry), so a
//! retry with the same key and body gets it again instead of acting twice. The key is
//! claimed, the write made and its response stored in one transaction: they commit
//! together or not at all, so no crash can leave a write without its stored response
//! (or a key without its write), and of two concurrent requests with one key the
//! second waits for the first and replays its response. Stored in the database, so
//! this holds across restarts and across instances.

use chrono::Duration;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::now;
use crate::entity::idempotency_key;
use crate::error::AppError;

/// A response as stored for replay.
#[derive(Clone, Debug)]
pub struct StoredResponse {
    pub status: u16,
    /// Selected headers (`location`, `etag`, `content-type`) as a JSON object.
    pub headers: Value,
    pub body: String,
}

/// What to do with a keyed request.
#[derive(Clone, Debug)]
pub enum Claim {
    /// First use of the key: process the request in the same transaction, then
    /// `complete` it and commit (or roll back, which frees the key).
    Fresh,
    /// The key was used for this same request: answer with the stored response.
    Replay(StoredResponse),
    /// A key without a stored response: left by a version that stored responses apart
    /// from their writes; it is free again once it expires.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

/// A digest of what makes two requests "the same": method, path and body.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Claims `key` for `owner` inside `txn`, the transaction the keyed write will run in.
/// A concurrent transaction holding the same key makes this wait until it ends
/// (PostgreSQL's unique index; SQLite's write lock), so of two concurrent first requests
/// (on any instances) exactly one is `Fresh` and the other sees its stored response.
pub async fn begin(
    db: &impl ConnectionTrait,
    owner: &str,
    key: &str,
    fingerprint: &str,
    ttl: Duration,
) -> Result<Claim, AppError> {
    let at = now();
    // An expired key is free again.
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::Owner.eq(owner))
        .filter(idempotency_key::Column::Key.eq(key))
        .filter(idempotency_key::Column::ExpiresAt.lt(at))
        .exec(db)
        .await?;
    let inserted = idempotency_key::Entity::insert(idempotency_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        owner: Set(owner.to_owned()),
        key: Set(key.to_owned()),
        fingerprint: Set(fingerprint.to_owned()),
        status: Set(None),
        headers: Set(None),
        body: Set(None),
        created_at: Set(at),
        expires_at: Set(at + ttl),
    })
    .on_conflict(
        OnConflict::columns([idempotency_key::Column::Owner, idempotency_key::Column::Key])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if inserted > 0 {
        return Ok(Claim::Fresh);
    }
    let Some(existing) = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::Owner.eq(owner))
        .filter(idempotency_key::Column::Key.eq(key))
        .one(db)
        .await?
    else {
        // Completed and swept between the two statements: treat as in progress; the
        // client retries.
        return Ok(Claim::InProgress);
    };
    Ok(
        match (existing.fingerprint == fingerprint, existing.status) {
            (false, _) => Claim::Mismatch,
            (true, None) => Claim::InProgress,
            (true, Some(status)) => Claim::Replay(StoredResponse {
                status: u16::try_from(status).unwrap_or(500),
                headers: existing.headers.unwrap_or(Value::Null),
                body: existing.body.unwrap_or_default(),
            }),
        },
    )
}

/// Stores the response of a `Fresh` request, in its transaction.
pub async fn complete(
    db: &impl ConnectionTrait,
    owner: &str,
    key: &str,
    response: &StoredResponse,
) -> Result<(), AppError> {
    idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::Status,
            i16::try_from(response.status).unwrap_or(500).into(),
        )
        .col_expr(
            idempotency_key::Column::Headers,
            response.headers.clone().into(),
        )
        .col_expr(idempotency_key::Column::Body, response.body.clone().into())
        .filter(idempotency_key::Column::Owner.eq(owner))
        .filter(idempotency_key::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes expired keys (run periodically).
pub async fn sweep(db: &DatabaseConnection) -> Result<u64, AppError> {
    let result = idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::ExpiresAt.lt(now()))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
