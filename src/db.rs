//! Connecting to SQLite or PostgreSQL, and running migrations.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use claimtrack_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous as SqlxSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr,
    TransactionTrait,
};

use crate::config::{DatabaseSettings, SqliteSynchronous};

/// Counts SQL statements executed through the pool (for tests and benchmarks).
#[derive(Clone, Debug, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Opens the pool. SQLite: file created if missing, WAL, foreign keys on, the configured
/// `synchronous` level, a busy timeout. PostgreSQL: optional `search_path` (tests use a
/// schema per test).
pub async fn connect(
    settings: &DatabaseSettings,
) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    let mut options = ConnectOptions::new(settings.url.clone());
    options
        .max_connections(settings.max_connections)
        .min_connections(settings.min_connections.min(settings.max_connections))
        .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
        .acquire_timeout(Duration::from_secs(settings.acquire_timeout_secs))
        // A request checks out connections several times; pinging each checkout is a
        // round trip per query. Connections idle for a second are tested, so connections
        // the server dropped (a restart, a failover, killed backends) are replaced before
        // a request gets them; under load connections are rarely idle that long, so
        // the pings cost nothing there.
        .test_before_acquire_if_idle_for(Duration::from_secs(1))
        .sqlx_logging(false);
    if let Some(schema) = settings.schema.as_deref().filter(|s| !s.is_empty()) {
        options.set_schema_search_path(schema.to_owned());
    }
    if url_is_postgres(&settings.url) && !settings.application_name.is_empty() {
        options.set_application_name(settings.application_name.clone());
    }
    let synchronous = match settings.sqlite_synchronous {
        SqliteSynchronous::Normal => SqlxSynchronous::Normal,
        SqliteSynchronous::Full => SqlxSynchronous::Full,
        SqliteSynchronous::Extra => SqlxSynchronous::Extra,
    };
    let busy_timeout = Duration::from_millis(settings.sqlite_busy_timeout_ms);
    // The service's statements are prepared once per connection and take ids as
    // parameters (a page of 50 claim ids, say); PostgreSQL would otherwise plan them
    // again on every execution ("custom plans"), which cost more than running them.
    options
        .map_sqlx_postgres_opts(|opts| opts.options([("plan_cache_mode", "force_generic_plan")]));
    options.map_sqlx_sqlite_opts(move |opts| {
        opts.create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .foreign_keys(true)
            .busy_timeout(busy_timeout)
    });
    let mut db = Database::connect(options).await?;
    let counter = StatementCounter::default();
    let count = counter.0.clone();
    db.set_metric_callback(move |_| {
        count.fetch_add(1, Ordering::Relaxed);
    });
    Ok((db, counter))
}

/// A small pool of its own for background work (the outbox reader, webhook workers):
/// it never waits behind requests for a connection, and its statements are not counted
/// with the requests'.
pub async fn connect_background(
    settings: &DatabaseSettings,
) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    let background = DatabaseSettings {
        max_connections: 3,
        min_connections: 0,
        ..settings.clone()
    };
    connect(&background).await
}

fn url_is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Whether `error` means the database could not be reached or the connection broke
/// (rather than a statement being refused): the pool could not give a connection, the
/// socket failed, or PostgreSQL ended the session (SQLSTATE class 08, 57P01-57P03).
pub fn is_connection_error(error: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as SqlxError;
    let sqlx = match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return false,
    };
    match sqlx.as_ref() {
        SqlxError::Io(_)
        | SqlxError::Tls(_)
        | SqlxError::PoolTimedOut
        | SqlxError::PoolClosed
        | SqlxError::WorkerCrashed
        | SqlxError::Protocol(_) => true,
        SqlxError::Database(e) => e.code().is_some_and(|code| {
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

/// Whether the pool has been closed (background tasks stop then).
pub fn is_closed(db: &DatabaseConnection) -> bool {
    match db.get_database_backend() {
        DbBackend::Postgres => db.get_postgres_connection_pool().is_closed(),
        DbBackend::Sqlite => db.get_sqlite_connection_pool().is_closed(),
        _ => false,
    }
}

/// Applies pending migrations. On PostgreSQL several instances may start at once, so the
/// migration runs inside one transaction holding an advisory lock (DDL is transactional).
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        let txn = db.begin().await?;
        txn.execute_unprepared("SELECT pg_advisory_xact_lock(727274)")
            .await?;
        Migrator::up(&txn, None).await?;
        txn.commit().await
    } else {
        Migrator::up(db, None).await
    }
}

/// Whether the database answers (for `/readyz`).
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}
