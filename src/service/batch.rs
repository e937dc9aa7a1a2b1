//! A write sent to the database in one go: a guarded update of the record the write is
//! about, then the rows it adds (history, audit and outbox rows). On PostgreSQL the whole
//! write is one statement — data-modifying `WITH` clauses, every row added only if the
//! guard matched — so it costs one round trip and commits on its own (or joins the
//! caller's transaction); elsewhere it runs statement by statement in a write transaction.
//!
//! The guard updates the record only at the version the write was planned from: when
//! someone changed it meanwhile, nothing at all is written and the caller plans again
//! from a fresh read. The rules stay with the caller; a batch only carries rows.

use sea_orm::{
    ActiveModelTrait, ActiveValue, ConnectionTrait, DbBackend, EntityName, EntityTrait, IdenStatic,
    Iterable, Statement, Value,
};
use uuid::Uuid;

use super::{Db, begin_write, outbox};
use crate::error::AppError;

/// One table's row, as column names and values.
struct Row {
    table: &'static str,
    columns: Vec<(&'static str, Value)>,
}

impl Row {
    /// The columns `model` sets (unset ones take their defaults).
    fn of<A: ActiveModelTrait>(model: &A) -> Self {
        let columns = <<A::Entity as EntityTrait>::Column as Iterable>::iter()
            .filter_map(|column| match model.get(column) {
                ActiveValue::Set(value) | ActiveValue::Unchanged(value) => {
                    Some((column.as_str(), value))
                }
                ActiveValue::NotSet => None,
            })
            .collect();
        Self {
            table: A::Entity::default().table_name(),
            columns,
        }
    }

    fn same_shape(&self, other: &Row) -> bool {
        self.table == other.table
            && self.columns.len() == other.columns.len()
            && self
                .columns
                .iter()
                .zip(&other.columns)
                .all(|((a, _), (b, _))| a == b)
    }
}

/// A record's update guarded by its version, and the rows that go with it.
pub(crate) struct Batch {
    guard: Row,
    id: Uuid,
    expected_version: i32,
    inserts: Vec<Row>,
}

/// Statement text and its values, with placeholders in the backend's style.
struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    fn bind(&mut self, value: Value) {
        self.values.push(value);
        let placeholder = crate::dialect::placeholder(self.backend, self.values.len());
        self.text.push_str(&placeholder);
    }

    fn statement(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

impl Batch {
    /// Updates the columns `changes` sets on the record `id` (an entity with `id` and
    /// `version` columns), provided it is still at `expected_version`.
    pub(crate) fn update<A: ActiveModelTrait>(
        changes: &A,
        id: Uuid,
        expected_version: i32,
    ) -> Self {
        Self {
            guard: Row::of(changes),
            id,
            expected_version,
            inserts: Vec::new(),
        }
    }

    /// Adds a row, written only if the guard matches; rows go in in the order added.
    pub(crate) fn insert<A: ActiveModelTrait>(&mut self, row: &A) {
        self.inserts.push(Row::of(row));
    }

    /// Writes the batch: `false` (and nothing written) when the record was not at the
    /// expected version any more, or is gone.
    pub(crate) async fn apply<C: Db>(self, db: &C) -> Result<bool, AppError> {
        let backend = db.get_database_backend();
        if backend == DbBackend::Postgres {
            let row = db.query_one_raw(self.one_statement(backend)).await?;
            let written = row
                .map(|r| r.try_get::<i64>("", "written"))
                .transpose()?
                .is_some_and(|n| n > 0);
            if written {
                outbox::committed();
            }
            return Ok(written);
        }
        let txn = begin_write(db).await?;
        let mut guard = Sql::new(backend);
        self.push_guard(&mut guard);
        if txn.execute_raw(guard.statement()).await?.rows_affected() == 0 {
            return Ok(false);
        }
        for group in self.groups() {
            let mut insert = Sql::new(backend);
            push_insert(&mut insert, group, None);
            txn.execute_raw(insert.statement()).await?;
        }
        super::commit(txn).await?;
        Ok(true)
    }

    fn push_guard(&self, sql: &mut Sql) {
        sql.push(&format!("UPDATE \"{}\" SET ", self.guard.table));
        for (i, (column, value)) in self.guard.columns.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push(&format!("\"{column}\" = "));
            sql.bind(value.clone());
        }
        sql.push(" WHERE \"id\" = ");
        sql.bind(self.id.into());
        sql.push(" AND \"version\" = ");
        sql.bind(self.expected_version.into());
    }

    /// Consecutive rows of one table and the same columns, written by one INSERT (which
    /// keeps their order, as the outbox's sequence numbers must).
    fn groups(&self) -> Vec<&[Row]> {
        let mut groups = Vec::new();
        let mut start = 0;
        for end in 1..=self.inserts.len() {
            if end == self.inserts.len() || !self.inserts[end].same_shape(&self.inserts[start]) {
                groups.push(&self.inserts[start..end]);
                start = end;
            }
        }
        groups
    }

    /// `WITH guard AS (UPDATE … RETURNING 1), w1 AS (INSERT … SELECT … FROM guard), …
    /// SELECT count(*) AS written FROM guard`.
    fn one_statement(&self, backend: DbBackend) -> Statement {
        let mut sql = Sql::new(backend);
        sql.push("WITH guard AS (");
        self.push_guard(&mut sql);
        sql.push(" RETURNING 1)");
        for (i, group) in self.groups().into_iter().enumerate() {
            sql.push(&format!(", w{i} AS ("));
            push_insert(&mut sql, group, Some("WHERE EXISTS (SELECT 1 FROM guard)"));
            sql.push(")");
        }
        sql.push(" SELECT count(*) AS written FROM guard");
        sql.statement()
    }
}

/// `INSERT INTO t (columns) VALUES (…), (…)`, or with a condition
/// `INSERT INTO t (columns) SELECT * FROM (VALUES (…), (…)) AS v {condition}`.
fn push_insert(sql: &mut Sql, rows: &[Row], condition: Option<&str>) {
    let Some(first) = rows.first() else {
        return;
    };
    let columns: Vec<String> = first
        .columns
        .iter()
        .map(|(name, _)| format!("\"{name}\""))
        .collect();
    sql.push(&format!(
        "INSERT INTO \"{}\" ({}) {}VALUES ",
        first.table,
        columns.join(", "),
        if condition.is_some() {
            "SELECT * FROM ("
        } else {
            ""
        }
    ));
    for (r, row) in rows.iter().enumerate() {
        sql.push(if r == 0 { "(" } else { ", (" });
        for (i, (_, value)) in row.columns.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(value.clone());
        }
        sql.push(")");
    }
    if let Some(condition) = condition {
        sql.push(&format!(") AS v {condition}"));
    }
}
