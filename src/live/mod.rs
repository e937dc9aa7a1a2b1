//! Live updates. One reader per process follows the outbox (woken by commits in this
//! process, by PostgreSQL's NOTIFY from other instances, and by a slow poll as a safety
//! net) and broadcasts each committed event once, in order, to this process's
//! subscribers. Each subscriber has a bounded window of the broadcast: one that falls
//! further behind is told and dropped, so no client can grow the server's memory.

pub mod watch;

use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, FromQueryResult,
    Statement,
};
use tokio::sync::{Mutex, broadcast};

use crate::auth::{Authenticator, Credentials, Resolved};
use crate::config::LiveSettings;
use crate::domain::Actor;
use crate::entity::outbox_event;
use crate::error::AppError;
use crate::service::keys::KeyEpoch;
use crate::service::outbox::{self, Position};

/// The PostgreSQL channel instances notify after committing outbox events (payload: the
/// schema).
const CHANNEL: &str = "claimtrack_outbox";
/// Events read from the outbox per query.
const BATCH: u32 = 256;

pub type Event = Arc<outbox_event::Model>;

/// Hands out subscriptions to the committed events of this database.
#[derive(Clone)]
pub struct Hub {
    sender: broadcast::Sender<Event>,
    /// Changed whenever new events were read from the outbox (this instance's commits
    /// and, through notifications, other instances').
    advanced: tokio::sync::watch::Sender<()>,
    stop: Arc<tokio::sync::Notify>,
    stopped: tokio::sync::watch::Receiver<bool>,
}

impl Hub {
    /// Starts following the outbox from its current end.
    pub async fn start(
        db: DatabaseConnection,
        database_url: &str,
        settings: &LiveSettings,
        key_epoch: KeyEpoch,
    ) -> anyhow::Result<Self> {
        let (sender, _) = broadcast::channel(settings.subscriber_buffer.max(1));
        let (advanced, _) = tokio::sync::watch::channel(());
        let start = outbox::head(&db).await?;
        let notifications = Notifications::listen(&db, database_url).await?;
        if let Notifications::Postgres { .. } = notifications {
            actix_web::rt::spawn(announce_commits(db.clone()));
        }
        let stop = Arc::new(tokio::sync::Notify::new());
        let (stopped, stopped_rx) = tokio::sync::watch::channel(false);
        // With notifications, a poll is only the safety net for a lost one.
        let poll = match notifications {
            Notifications::Postgres { .. } => Duration::from_secs(settings.safety_poll_secs.max(1)),
            Notifications::None => Duration::from_millis(settings.poll_interval_ms.max(10)),
        };
        let relay = Relay {
            db,
            position: start,
            sender: sender.clone(),
            advanced: advanced.clone(),
            notifications,
            poll,
            key_epoch,
            stop: stop.clone(),
            stopped,
        };
        actix_web::rt::spawn(relay.run());
        Ok(Self {
            sender,
            advanced,
            stop,
            stopped: stopped_rx,
        })
    }

    /// Changes whenever the outbox has new events, from whichever instance: what other
    /// outbox readers (the webhook engine) wait on instead of polling.
    pub fn advanced(&self) -> tokio::sync::watch::Receiver<()> {
        self.advanced.subscribe()
    }

    /// Subscribers following the outbox now.
    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }

    /// Every event committed from now on, in commit order.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }

    /// Stops following the outbox and closes the notification connection; returns once
    /// done. (The reader also stops by itself once the database pool is closed, but a
    /// runtime that ends first would leave its connection open.)
    pub async fn stop(&self) {
        self.stop.notify_one();
        let mut stopped = self.stopped.clone();
        let _ = stopped.wait_for(|done| *done).await;
    }
}

/// How long a commit's wake-up waits for more commits to read them together.
const COALESCE_COMMITS: Duration = Duration::from_millis(5);

struct Relay {
    db: DatabaseConnection,
    position: Position,
    sender: broadcast::Sender<Event>,
    advanced: tokio::sync::watch::Sender<()>,
    notifications: Notifications,
    poll: Duration,
    key_epoch: KeyEpoch,
    stop: Arc<tokio::sync::Notify>,
    stopped: tokio::sync::watch::Sender<bool>,
}

impl Relay {
    /// Runs until it is stopped or the application's database pool is closed (the
    /// server stopped), then closes its notification connection.
    async fn run(mut self) {
        self.follow().await;
        self.notifications.close().await;
        let _ = self.stopped.send(true);
    }

    async fn follow(&mut self) {
        let mut commits = outbox::commits();
        loop {
            commits.borrow_and_update();
            if self.forward().await == Flow::Stop {
                return;
            }
            tokio::select! {
                _ = self.stop.notified() => return,
                _ = commits.changed() => {
                    // Under a stream of writes, one read takes the commits of a few
                    // milliseconds together instead of a read per commit.
                    tokio::time::sleep(COALESCE_COMMITS).await;
                    tracing::trace!("outbox: woken by a commit here");
                }
                _ = self.notifications.next() => tracing::trace!("outbox: woken by NOTIFY"),
                _ = tokio::time::sleep(self.poll) => tracing::trace!("outbox: poll"),
            }
        }
    }

    /// Broadcasts every settled event after the position.
    async fn forward(&mut self) -> Flow {
        loop {
            let events = match outbox::committed_after(&self.db, self.position, BATCH).await {
                Ok(events) => events,
                Err(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed)) => {
                    return Flow::Stop;
                }
                Err(error) => {
                    tracing::warn!(%error, "reading the outbox failed; retrying");
                    return Flow::Continue;
                }
            };
            let full = events.len() == BATCH as usize;
            if !events.is_empty() {
                self.advanced.send_replace(());
            }
            for event in events {
                self.position = Position::from(&event);
                if event.entity_type == "api_key" {
                    // Before subscribers re-check their credentials on this event.
                    self.key_epoch.keys_changed();
                }
                // No subscriber at the moment is fine: nobody missed anything.
                let _ = self.sender.send(Arc::new(event));
            }
            if !full {
                return Flow::Continue;
            }
        }
    }
}

/// Tells other instances about this process's commits: one NOTIFY after the commits of
/// a few milliseconds. (Notifying inside every writing transaction, as a trigger would,
/// makes PostgreSQL take the notification queue's lock through each commit, one at a
/// time.) Runs until the application's database pool is closed.
async fn announce_commits(db: DatabaseConnection) {
    let mut commits = outbox::commits();
    while commits.changed().await.is_ok() {
        tokio::time::sleep(COALESCE_COMMITS).await;
        commits.borrow_and_update();
        match announce(&db).await {
            Ok(()) => {}
            Err(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed)) => return,
            Err(error) => tracing::warn!(%error, "notifying other instances failed"),
        }
    }
}

/// Notifies the instances following this database's outbox that there is something
/// committed to read (nothing to do on SQLite). Processes that write without following
/// the outbox (command-line imports, key revocations) call it when done.
pub async fn announce(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, current_schema()::text)",
            [CHANNEL.into()],
        ))
        .await?;
    }
    Ok(())
}

#[derive(PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// PostgreSQL notifications about committed outbox events of this schema (other
/// instances' writes); nothing on SQLite, where one process does all the writing.
enum Notifications {
    Postgres {
        /// Taken when closed.
        listener: Option<PgListener>,
        /// The listener's own pool of one connection.
        pool: PgPool,
        schema: String,
    },
    None,
}

impl Drop for Notifications {
    fn drop(&mut self) {
        // A listener dropped without a runtime (the runtime itself shutting down without
        // `close`) would panic trying to spawn its UNLISTEN; the runtime is going away,
        // so its connection is left to close with the process.
        if tokio::runtime::Handle::try_current().is_err()
            && let Self::Postgres { listener, .. } = self
            && let Some(listener) = listener.take()
        {
            std::mem::forget(listener);
        }
    }
}

#[derive(FromQueryResult)]
struct CurrentSchema {
    schema: String,
}

impl Notifications {
    /// Listens on a connection of its own (not one of the pool's, which it would hold
    /// for ever).
    async fn listen(db: &DatabaseConnection, database_url: &str) -> anyhow::Result<Self> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(Self::None);
        }
        let current = CurrentSchema::find_by_statement(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_schema()::text AS schema",
        ))
        .one(db)
        .await?
        .map(|s| s.schema)
        .unwrap_or_else(|| "public".to_owned());
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .connect(database_url)
            .await?;
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(CHANNEL).await?;
        Ok(Self::Postgres {
            listener: Some(listener),
            pool,
            schema: current,
        })
    }

    /// Stops listening and closes the connection.
    async fn close(&mut self) {
        if let Self::Postgres { listener, pool, .. } = self {
            if let Some(mut listener) = listener.take() {
                let _ = listener.unlisten_all().await;
                // Its connection goes back to the pool, which then closes it.
                drop(listener);
            }
            pool.close().await;
        }
    }

    /// Waits for a notification about this schema. After a lost connection (the listener
    /// reconnects by itself) it returns too, so that the caller reads what it missed.
    async fn next(&mut self) {
        match self {
            Self::Postgres {
                listener: Some(listener),
                schema,
                ..
            } => loop {
                match listener.recv().await {
                    Ok(notification) if notification.payload() == schema => return,
                    Ok(_) => continue,
                    Err(error) => {
                        tracing::warn!(%error, "outbox notifications interrupted; reconnecting");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        return;
                    }
                }
            },
            _ => std::future::pending().await,
        }
    }
}

/// Who is on the other end of a long-lived connection. Each operation sent on it checks
/// the credentials again (cheap: an accepted key is remembered until a key changes
/// anywhere, a token's expiry is known), and so does each event delivered when an API
/// key changed (a revocation is an outbox event too), when the credentials expired, or
/// at least every `RECHECK`: a revoked key or an expired token does nothing more.
pub struct Identity {
    authenticator: actix_web::web::Data<Authenticator>,
    token: Option<String>,
    checked: Mutex<(Resolved, Instant)>,
}

const RECHECK: Duration = Duration::from_secs(60);

impl Identity {
    pub fn new(
        authenticator: actix_web::web::Data<Authenticator>,
        token: Option<String>,
        resolved: Resolved,
    ) -> Self {
        Self {
            authenticator,
            token,
            checked: Mutex::new((resolved, Instant::now())),
        }
    }

    /// The actor for an operation sent now.
    pub async fn for_operation(&self) -> Result<Actor, AppError> {
        let mut checked = self.checked.lock().await;
        self.refresh(&mut checked).await
    }

    /// The actor an event is shown to now; `keys_changed` forces a fresh check.
    pub async fn for_event(&self, keys_changed: bool) -> Result<Actor, AppError> {
        let mut checked = self.checked.lock().await;
        if keys_changed || checked.0.expired() || checked.1.elapsed() >= RECHECK {
            return self.refresh(&mut checked).await;
        }
        Ok(checked.0.actor.clone())
    }

    async fn refresh(&self, checked: &mut (Resolved, Instant)) -> Result<Actor, AppError> {
        let credentials = self
            .token
            .as_deref()
            .map_or(Credentials::None, Credentials::Bearer);
        let mut resolved = self.authenticator.resolve(credentials).await?;
        if resolved.expired() {
            resolved = Resolved {
                actor: Actor::refused(),
                expires_at: None,
            };
        }
        *checked = (resolved, Instant::now());
        Ok(checked.0.actor.clone())
    }
}
