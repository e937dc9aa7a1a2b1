//! The service layer: the one place with rules, permission checks and transactions.
//! Every write is one transaction together with its audit event.

pub mod appearances;
pub mod articles;
pub mod assignments;
pub mod audit;
mod batch;
pub mod candidates;
pub mod claims;
pub mod idempotency;
pub mod keys;
pub mod merges;
pub mod notes;
pub mod outbox;
pub mod pagination;
pub mod principals;
pub mod quantities;
pub mod search;
pub mod sources;
pub mod tags;
pub mod verifications;
pub(crate) mod versioned;
pub mod webhooks;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ConnectionTrait, DbBackend, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::domain::{Actor, Role};
use crate::error::AppError;

/// The current time at the precision both databases store (microseconds), so that a
/// value read back equals the value written and keyset cursors compare exactly.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// What writes run on: the pool, or an enclosing transaction (an import line), in which
/// case a write's own transaction becomes a savepoint of it.
pub trait Db: ConnectionTrait + TransactionTrait {}

impl<T: ConnectionTrait + TransactionTrait> Db for T {}

/// Starts a write transaction. On SQLite it takes the write lock up front (`BEGIN
/// IMMEDIATE`), so concurrent writers wait on the busy timeout instead of failing when a
/// read transaction tries to upgrade.
pub async fn begin_write<C: Db>(db: &C) -> Result<C::Transaction, AppError> {
    let options = TransactionOptions {
        sqlite_transaction_mode: (db.get_database_backend() == DbBackend::Sqlite)
            .then_some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    Ok(db.begin_with_options(options).await?)
}

/// Commits a write and wakes this process's outbox readers (subscriptions, webhooks).
/// For a nested write (a savepoint) the wake-up finds nothing until the enclosing
/// transaction commits through here too.
pub async fn commit(txn: impl sea_orm::TransactionSession) -> Result<(), AppError> {
    txn.commit().await?;
    outbox::committed();
    Ok(())
}

pub(crate) use crate::dialect::for_update;

/// Fails unless the actor's role includes `needed`: UNAUTHENTICATED for callers without
/// (accepted) credentials, FORBIDDEN for authenticated ones whose role is too low.
pub fn require(actor: &Actor, needed: Role) -> Result<(), AppError> {
    match actor.role {
        Some(role) if role.includes(needed) => Ok(()),
        _ if !actor.authenticated => {
            tracing::info!(actor = %actor.name, %needed, "operation refused: not authenticated");
            Err(AppError::Unauthenticated)
        }
        _ => {
            tracing::info!(actor = %actor.name, role = ?actor.role, %needed, "operation refused: role too low");
            Err(AppError::Forbidden { needed })
        }
    }
}

/// A record an input refers to: one that does not exist is the input's fault
/// (BAD_USER_INPUT on `field`); any other failure (the database's) stays what it is.
pub(crate) fn referred<T>(
    found: Result<T, AppError>,
    field: impl Into<String>,
) -> Result<T, AppError> {
    match found {
        Err(AppError::NotFound { entity, id }) => Err(AppError::invalid(
            field,
            format!("no {entity} with id {id}"),
        )),
        other => other,
    }
}

/// Refuses a write whose caller named another version than the record's (a
/// conditional delete); `None`: no version named.
pub(crate) fn ensure_version(
    entity: &'static str,
    expected: Option<i32>,
    current: i32,
) -> Result<(), AppError> {
    match expected {
        Some(expected) if expected != current => {
            Err(AppError::stale_version(entity, expected, current))
        }
        _ => Ok(()),
    }
}

/// A field of a patch: absent (leave as is), or set to a value (`None` clears it).
pub type Patch<T> = Option<Option<T>>;

/// Where an imported record came from: its original id and time, kept so that an export
/// imported into an empty database reproduces the data.
#[derive(Clone, Debug)]
pub struct Origin {
    pub id: uuid::Uuid,
    pub at: DateTime<Utc>,
    /// For verifications: who recorded it originally.
    pub by: Option<String>,
}
