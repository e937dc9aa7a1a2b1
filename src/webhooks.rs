//! The webhook engine of one instance: turns committed outbox events into deliveries,
//! and sends due deliveries as signed JSON POSTs (Standard Webhooks headers), recording
//! every attempt. Several instances run it side by side safely (see
//! `service::webhooks`). Payload data comes from the GraphQL schema, so an endpoint's
//! selection reads like any dashboard query.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::{Request, Variables};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures_util::future::BoxFuture;
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::config::WebhookSettings;
use crate::domain::{Actor, Role};
use crate::entity::outbox_event;
use crate::error::AppError;
use crate::graphql::AppSchema;
use crate::graphql::limits::CostModel;
use crate::service::webhooks::{self, Due, Outcome, RetryPolicy, Shaper, TargetPolicy, record_of};
use crate::state::AppState;

/// How long a commit's wake-up waits for more commits to dispatch them together.
const COALESCE_COMMITS: Duration = Duration::from_millis(20);
/// Events turned into deliveries per transaction.
const DISPATCH_BATCH: u32 = 100;
const USER_AGENT: &str = concat!("claimtrack-webhooks/", env!("CARGO_PKG_VERSION"));

/// The fields a payload's `data` carries when the endpoint has no selection.
fn default_selection(record: &str) -> &'static str {
    match record {
        "claim" => {
            "{ id kind text status currentVerdict quote setting version createdAt updatedAt \
             speaker { id name } \
             quantity { subject measure value lower upper unit approximate asOf } \
             appearances(first: 10) { nodes { excerpt article { id url title } } } }"
        }
        "verification" => {
            "{ id verdict rating summary createdAt reviewer { id name } \
             claim { id text status currentVerdict } retraction { reason createdAt } \
             citations { url excerpt stance } }"
        }
        "source" => "{ id kind name aliases url description version createdAt updatedAt }",
        "quantityConflict" => {
            "{ id key open detectedAt resolvedAt resolution \
             first { claimId text sourceId value lower upper unit asOf status verdict } \
             second { claimId text sourceId value lower upper unit asOf status verdict } }"
        }
        _ => "{ id url title publishedAt version createdAt updatedAt outlet { id name } }",
    }
}

/// Builds payload data through the GraphQL schema, reading as a viewer.
pub struct GraphqlShaper {
    schema: AppSchema,
    costs: Arc<CostModel>,
    state: AppState,
}

impl GraphqlShaper {
    pub fn new(schema: AppSchema, costs: Arc<CostModel>, state: AppState) -> Self {
        Self {
            schema,
            costs,
            state,
        }
    }

    fn document(record: &str, selection: &str) -> String {
        let selection = selection.trim();
        // A bare field list ("id text status") is accepted as well as a selection set.
        let selection = if selection.starts_with('{') {
            selection.to_owned()
        } else {
            format!("{{ {selection} }}")
        };
        format!("query($id: UUID!) {{ record: {record}(id: $id) {selection} }}")
    }

    /// The document about record `id`, read as a viewer, as it is now.
    fn request(&self, document: String, id: uuid::Uuid) -> Request {
        let actor = Actor::system_with_role("webhooks", Role::Viewer);
        Request::new(document)
            .variables(Variables::from_json(json!({ "id": id })))
            .data(crate::graphql::live_loader(&self.state, actor.clone()))
            .data(self.state.clone())
            .data(actor)
    }
}

impl Shaper for GraphqlShaper {
    fn validate<'a>(
        &'a self,
        record: &'a str,
        selection: &'a str,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            if selection.contains("mutation") || selection.contains("subscription") {
                return Err("a selection reads fields; it cannot hold operations".into());
            }
            // Measured like a request (it runs for every event), then executed without
            // any data: a document that passes validation fails only in its resolvers,
            // whose errors carry a path; validation errors have none.
            let mut request = self.request(Self::document(record, selection), uuid::Uuid::nil());
            self.costs
                .measure_request(&mut request, Default::default())
                .map_err(|refusal| refusal.to_string())?;
            let response = self.schema.execute(request).await;
            let problems: Vec<String> = response
                .errors
                .iter()
                .filter(|e| e.path.is_empty())
                .map(|e| e.message.clone())
                .collect();
            if problems.is_empty() {
                Ok(())
            } else {
                Err(problems.join("; "))
            }
        })
    }

    fn data<'a>(
        &'a self,
        event: &'a outbox_event::Model,
        selection: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Value, AppError>> {
        Box::pin(async move {
            let record = record_of(&event.entity_type);
            let id = if event.entity_type == "appearance" {
                event.claim_id
            } else {
                Some(event.entity_id)
            };
            let Some(id) =
                id.filter(|_| !(event.operation == "deleted" && record == event.entity_type))
            else {
                return Ok(Value::Null);
            };
            let document = Self::document(record, selection.unwrap_or(default_selection(record)));
            let request = self.request(document, id);
            let response = self.schema.execute(request).await;
            for error in &response.errors {
                tracing::warn!(event = %format!("{}.{}", event.entity_type, event.operation), error = %error.message, "webhook payload incomplete");
            }
            let data = response
                .data
                .into_json()
                .map_err(|e| AppError::Internal(e.into()))?;
            Ok(data.get("record").cloned().unwrap_or(Value::Null))
        })
    }
}

/// The Standard Webhooks signature: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`
/// under the secret's key (the base64 after `whsec_`).
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, AppError> {
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored webhook secret: {e}")))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("webhook key: {e}")))?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// Resolves delivery hosts and keeps only addresses the target policy allows, so a
/// name that points (or is re-pointed) at a private address gets nothing to connect to.
struct GuardedResolver(TargetPolicy);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let allowed: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|address| policy.allows(address.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            let addresses: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addresses)
        })
    }
}

/// Sends deliveries.
struct Sender {
    client: reqwest::Client,
    policy: TargetPolicy,
}

impl Sender {
    fn new(settings: &WebhookSettings) -> anyhow::Result<Self> {
        let policy = TargetPolicy {
            allow_private: settings.allow_private_targets,
        };
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(Duration::from_secs(settings.timeout_secs.max(1)))
            // A redirect could lead anywhere, including inside the network.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver(policy)))
            .build()?;
        Ok(Self { client, policy })
    }

    async fn attempt(&self, due: &Due) -> Outcome {
        let attempted_at = crate::service::now();
        let started = Instant::now();
        let result = self.send(due).await;
        let duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        let (status, error) = match result {
            Ok(status) if (200..300).contains(&status) => (Some(status), None),
            Ok(status) => (Some(status), Some(format!("HTTP {status}"))),
            Err(error) => (None, Some(error)),
        };
        Outcome {
            attempted_at,
            status,
            error,
            duration_ms,
        }
    }

    async fn send(&self, due: &Due) -> Result<u16, String> {
        // IP literals skip the resolver: check the URL itself again.
        self.policy
            .check(&due.url, "url")
            .await
            .map_err(|e| e.to_string())?;
        let id = due.delivery.id.to_string();
        let timestamp = chrono::Utc::now().timestamp();
        let signature =
            sign(&due.secret, &id, timestamp, &due.delivery.payload).map_err(|e| e.to_string())?;
        let response = self
            .client
            .post(&due.url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .header("claimtrack-event", &due.delivery.event_type)
            .body(due.delivery.payload.clone())
            .send()
            .await
            .map_err(|e| describe(&e))?;
        Ok(response.status().as_u16())
    }
}

/// A reqwest error with its causes (the top level alone says little).
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Starts this instance's webhook engine; it stops when `db` (its own pool) is closed.
pub fn start(
    db: DatabaseConnection,
    shaper: Arc<dyn Shaper>,
    settings: &WebhookSettings,
    advanced: tokio::sync::watch::Receiver<()>,
) -> anyhow::Result<()> {
    let sender = Sender::new(settings)?;
    let engine = Engine {
        db,
        advanced,
        shaper,
        sender,
        retry: RetryPolicy {
            initial: chrono::Duration::milliseconds(settings.initial_backoff_ms.max(1) as i64),
            max: chrono::Duration::seconds(settings.max_backoff_secs.max(1) as i64),
            window: chrono::Duration::seconds(settings.retry_window_secs as i64),
        },
        lease: chrono::Duration::seconds(settings.timeout_secs as i64 + 30),
        concurrency: settings.concurrency.max(1),
        poll: Duration::from_millis(settings.poll_interval_ms.max(10)),
    };
    actix_web::rt::spawn(engine.run());
    Ok(())
}

struct Engine {
    db: DatabaseConnection,
    /// Changes when the outbox has new events (`live::Hub::advanced`).
    advanced: tokio::sync::watch::Receiver<()>,
    shaper: Arc<dyn Shaper>,
    sender: Sender,
    retry: RetryPolicy,
    lease: chrono::Duration,
    concurrency: usize,
    poll: Duration,
}

impl Engine {
    async fn run(mut self) {
        loop {
            if crate::db::is_closed(&self.db) {
                return;
            }
            self.advanced.borrow_and_update();
            self.dispatch().await;
            self.deliver().await;
            let wait = self.until_next_due().await;
            tokio::select! {
                changed = self.advanced.changed() => {
                    if changed.is_err() {
                        // The hub stopped: the application is going away.
                        return;
                    }
                    // Under a stream of writes, one pass takes the events of a short
                    // while together instead of a dispatch transaction per commit.
                    tokio::time::sleep(COALESCE_COMMITS).await;
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// How long to sleep when nothing new arrives: until the next retry is due, or the
    /// safety poll, whichever is sooner.
    async fn until_next_due(&self) -> Duration {
        match webhooks::next_due(&self.db).await {
            Ok(Some(due)) => (due - crate::service::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(self.poll),
            Ok(None) => self.poll,
            Err(error) => {
                tracing::warn!(%error, "looking for the next due webhook delivery failed");
                self.poll
            }
        }
    }

    async fn dispatch(&self) {
        loop {
            match webhooks::dispatch(&self.db, self.shaper.as_ref(), DISPATCH_BATCH).await {
                Ok(events) if events == DISPATCH_BATCH as usize => continue,
                Ok(_) => return,
                Err(error) => {
                    tracing::warn!(%error, "dispatching webhook deliveries failed; retrying");
                    return;
                }
            }
        }
    }

    /// Sends due deliveries, up to `concurrency` at once, until none is due.
    async fn deliver(&self) {
        loop {
            let mut batch = Vec::new();
            while batch.len() < self.concurrency {
                let lease_until = crate::service::now() + self.lease;
                match webhooks::take_due(&self.db, lease_until).await {
                    Ok(Some(due)) => batch.push(due),
                    Ok(None) => break,
                    Err(error) => {
                        tracing::warn!(%error, "taking due webhook deliveries failed");
                        break;
                    }
                }
            }
            if batch.is_empty() {
                return;
            }
            futures_util::future::join_all(batch.iter().map(|due| self.send_one(due))).await;
        }
    }

    async fn send_one(&self, due: &Due) {
        let outcome = self.sender.attempt(due).await;
        if !outcome.succeeded() {
            tracing::info!(delivery = %due.delivery.id, url = %due.url, error = ?outcome.error, "webhook attempt failed");
        }
        if let Err(error) = webhooks::record_attempt(&self.db, due, outcome, &self.retry).await {
            // The lease runs out and the delivery is tried again: at least once.
            tracing::warn!(%error, delivery = %due.delivery.id, "recording a webhook attempt failed");
        }
    }
}
