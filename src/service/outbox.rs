//! The transactional outbox: one event per committed change, written inside the change's
//! own transaction, so that an event exists exactly when its write committed. Live
//! subscriptions and webhooks are fed from here only.

use std::sync::LazyLock;

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    Statement,
};
use tokio::sync::watch;
use uuid::Uuid;

use super::batch::Batch;
use crate::domain::Actor;
use crate::entity::{outbox_cursor, outbox_event};
use crate::error::AppError;

/// What changed.
pub struct Event<'a> {
    pub entity_type: &'static str,
    pub entity_id: Uuid,
    pub claim_id: Option<Uuid>,
    /// Past tense: `created`, `updated`, `status_changed`, `deleted`, `recorded`, …
    pub operation: &'a str,
    /// The record's filterable attributes as this change left them (a claim's status,
    /// kind and speaker; a verification's verdict), so that subscribers filter on the
    /// event and not on whatever the record has become by the time they read it.
    pub state: Option<serde_json::Value>,
    pub audit_event_id: Option<Uuid>,
}

/// Adds `event` by `actor`; call it with the write's transaction.
pub async fn publish(
    db: &impl ConnectionTrait,
    actor: &Actor,
    event: Event<'_>,
) -> Result<(), AppError> {
    outbox_event::Entity::insert(row(actor, event))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Adds `event` by `actor` to a write sent as one batch.
pub(crate) fn stage(batch: &mut Batch, actor: &Actor, event: Event<'_>) {
    batch.insert(&row(actor, event));
}

fn row(actor: &Actor, event: Event<'_>) -> outbox_event::ActiveModel {
    outbox_event::ActiveModel {
        seq: NotSet,
        tx: NotSet,
        occurred_at: Set(super::now()),
        entity_type: Set(event.entity_type.to_owned()),
        entity_id: Set(event.entity_id),
        claim_id: Set(event.claim_id),
        operation: Set(event.operation.to_owned()),
        principal_id: Set(actor.principal_id),
        actor_name: Set(actor.name.clone()),
        state: Set(event.state),
        audit_event_id: Set(event.audit_event_id),
    }
}

/// A position in the outbox: events are read in `(tx, seq)` order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub tx: i64,
    pub seq: i64,
}

impl From<&outbox_event::Model> for Position {
    fn from(event: &outbox_event::Model) -> Self {
        Self {
            tx: event.tx,
            seq: event.seq,
        }
    }
}

/// Only events of transactions older than every running one: a transaction still open
/// may hold a lower sequence number, and reading past it would skip its event for good.
/// SQLite has one writer at a time, so what is visible there is final.
fn settled(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "AND tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
        _ => "",
    }
}

/// Committed events after `after`, in order, at most `limit`. (The database's own error,
/// so that readers can tell a closed pool, their signal to stop, from a passing failure.)
pub async fn committed_after(
    db: &impl ConnectionTrait,
    after: Position,
    limit: u32,
) -> Result<Vec<outbox_event::Model>, DbErr> {
    events_after(db, after, limit, settled(db.get_database_backend())).await
}

/// Events after `after` that this connection can see, settled or not (PostgreSQL:
/// commits of the last moments may still sit behind an older running transaction). For
/// readers that only refresh state, may see an event again, and must not wait: never
/// move a shared cursor past them.
pub async fn visible_after(
    db: &impl ConnectionTrait,
    after: Position,
    limit: u32,
) -> Result<Vec<outbox_event::Model>, DbErr> {
    events_after(db, after, limit, "").await
}

async fn events_after(
    db: &impl ConnectionTrait,
    after: Position,
    limit: u32,
    settled: &str,
) -> Result<Vec<outbox_event::Model>, DbErr> {
    let backend = db.get_database_backend();
    let p = |i: usize| crate::dialect::placeholder(backend, i);
    let (p1, p2, p3) = (p(1), p(2), p(3));
    let sql = format!(
        "SELECT seq, tx, occurred_at, entity_type, entity_id, claim_id, operation, \
         principal_id, actor_name, state, audit_event_id FROM outbox_events \
         WHERE (tx, seq) > ({p1}, {p2}) {settled} ORDER BY tx, seq LIMIT {p3}",
    );
    let statement = Statement::from_sql_and_values(
        backend,
        sql,
        [after.tx.into(), after.seq.into(), i64::from(limit).into()],
    );
    outbox_event::Entity::find()
        .from_raw_sql(statement)
        .all(db)
        .await
}

/// The position of the reader named `name` (a shared cursor in `outbox_cursors`), if it
/// exists; `lock`: keep other instances from moving it until this transaction ends
/// (PostgreSQL; SQLite's single writer excludes them already).
pub(crate) async fn cursor(
    db: &impl ConnectionTrait,
    name: &str,
    lock: bool,
) -> Result<Option<Position>, AppError> {
    let select = outbox_cursor::Entity::find().filter(outbox_cursor::Column::Name.eq(name));
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

/// Moves the reader named `name` to `to` (in the transaction that did what the events
/// asked, after `cursor(…, lock: true)` found it where the reader started).
pub(crate) async fn advance_cursor(
    db: &impl ConnectionTrait,
    name: &str,
    to: Position,
) -> Result<(), AppError> {
    outbox_cursor::Entity::update_many()
        .col_expr(outbox_cursor::Column::Tx, Expr::value(to.tx))
        .col_expr(outbox_cursor::Column::Seq, Expr::value(to.seq))
        .col_expr(outbox_cursor::Column::UpdatedAt, Expr::value(super::now()))
        .filter(outbox_cursor::Column::Name.eq(name))
        .exec(db)
        .await?;
    Ok(())
}

#[derive(FromQueryResult)]
struct Head {
    tx: i64,
    seq: i64,
}

/// The position of the latest settled event: a reader starting now begins after it.
pub async fn head(db: &impl ConnectionTrait) -> Result<Position, AppError> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT tx, seq FROM outbox_events WHERE 1 = 1 {} ORDER BY tx DESC, seq DESC LIMIT 1",
        settled(backend)
    );
    let head = Head::find_by_statement(Statement::from_string(backend, sql))
        .one(db)
        .await?;
    Ok(head.map_or_else(Position::default, |h| Position {
        tx: h.tx,
        seq: h.seq,
    }))
}

/// Bumped after every commit in this process, so that its outbox readers look at once
/// (other processes learn of commits through the NOTIFY this one sends after them, or by
/// polling). One
/// process may hold several applications (tests): a wake-up that finds nothing costs
/// one indexed query.
static COMMITS: LazyLock<watch::Sender<u64>> = LazyLock::new(|| watch::Sender::new(0));

/// Tells this process's outbox readers that something was committed.
pub fn committed() {
    COMMITS.send_modify(|count| *count = count.wrapping_add(1));
}

/// A receiver that changes after each commit in this process.
pub fn commits() -> watch::Receiver<u64> {
    COMMITS.subscribe()
}
