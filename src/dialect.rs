//! SQL that sea-orm cannot express, written once per database: bind placeholders, the
//! first rows of each parent, row locks and advisory locks. Everything else goes through
//! sea-orm's query builder; the query planner's JSON statement keeps its own per-dialect
//! JSON writing (`graphql/planner/statement.rs`), the one place that builds JSON in SQL.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, QuerySelect, Statement};

use crate::service::pagination::Direction;

/// The `i`-th bind placeholder (1-based) for `backend`: `$i` or `?`.
pub fn placeholder(backend: DbBackend, i: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${i}"),
        _ => "?".to_owned(),
    }
}

/// `n` bind placeholders for `backend` (`$1, $2` or `?, ?`).
pub fn placeholders(backend: DbBackend, n: usize) -> String {
    (1..=n)
        .map(|i| placeholder(backend, i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A derived table of the first `n` rows (in `direction` of `time_column`, then id) of
/// each of `parents` parents in `table`, with `table`'s columns; placeholders `1..=parents`
/// bind the parent ids. PostgreSQL walks each parent's index with a LATERAL subquery and
/// reads `n` rows per parent however many it has; SQLite (no LATERAL) ranks each
/// parent's rows with a window function. `extra` is an additional SQL condition on the
/// row alias `t` (trusted, never user input).
#[allow(clippy::too_many_arguments)]
pub fn first_n_per_parent_sql(
    backend: DbBackend,
    table: &str,
    parent_column: &str,
    time_column: &str,
    direction: Direction,
    n: u64,
    extra: &str,
    parents: usize,
) -> String {
    let dir = match direction {
        Direction::Asc => "ASC",
        Direction::Desc => "DESC",
    };
    match backend {
        DbBackend::Postgres => format!(
            "(SELECT x.* FROM (VALUES {}) AS p(parent) CROSS JOIN LATERAL (\
             SELECT t.* FROM {table} t WHERE t.{parent_column} = p.parent {extra} \
             ORDER BY t.{time_column} {dir}, t.id {dir} LIMIT {n}) x)",
            (1..=parents)
                .map(|i| format!("(${i}::uuid)"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => format!(
            "(SELECT * FROM (SELECT t.*, ROW_NUMBER() OVER (PARTITION BY t.{parent_column} \
             ORDER BY t.{time_column} {dir}, t.id {dir}) AS rank_in_parent FROM {table} t \
             WHERE t.{parent_column} IN ({}) {extra}) ranked WHERE rank_in_parent <= {n})",
            placeholders(backend, parents)
        ),
    }
}

/// Locks the selected rows until the transaction ends on PostgreSQL, so that concurrent
/// writers of the same row take turns; SQLite write transactions already hold the lock.
pub fn for_update<E: sea_orm::EntityTrait>(
    db: &impl ConnectionTrait,
    select: sea_orm::Select<E>,
) -> sea_orm::Select<E> {
    if db.get_database_backend() == DbBackend::Postgres {
        select.lock_exclusive()
    } else {
        select
    }
}

/// Serialises the transactions that take the lock `(space, key)` until each ends, on
/// PostgreSQL; SQLite has one writer at a time already.
pub async fn advisory_lock(db: &impl ConnectionTrait, space: i32, key: &str) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            [space.into(), key.into()],
        ))
        .await?;
    }
    Ok(())
}
