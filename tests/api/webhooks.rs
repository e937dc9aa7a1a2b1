//! Webhooks against a real local receiver: signatures, retries, restarts, failing
//! endpoints, and the refusal of private targets.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use claimtrack::config::Settings;
use claimtrack::domain::Role;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{Backend, TestApp, id, spawn_app_with};

/// What the receiver got: headers of interest and the raw body.
#[derive(Clone, Debug)]
struct Delivery {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

/// A local webhook receiver that answers with a settable status, and can be stopped
/// and started again on the same port.
struct Receiver {
    port: u16,
    received: Arc<Mutex<Vec<Delivery>>>,
    status: Arc<AtomicU16>,
    server: Option<actix_web::dev::ServerHandle>,
}

fn header(request: &HttpRequest, name: &str) -> String {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

impl Receiver {
    /// A receiver whose port is reserved but which is not listening yet.
    fn down() -> Receiver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Receiver {
            port,
            received: Arc::default(),
            status: Arc::new(AtomicU16::new(200)),
            server: None,
        }
    }

    async fn up() -> Receiver {
        let mut receiver = Receiver::down();
        receiver.start();
        receiver
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks/claimtrack", self.port)
    }

    fn start(&mut self) {
        let received = self.received.clone();
        let status = self.status.clone();
        let server = HttpServer::new(move || {
            let received = received.clone();
            let status = status.clone();
            App::new().default_service(web::to(move |request: HttpRequest, body: String| {
                let received = received.clone();
                let status = status.clone();
                async move {
                    received.lock().unwrap().push(Delivery {
                        id: header(&request, "webhook-id"),
                        timestamp: header(&request, "webhook-timestamp"),
                        signature: header(&request, "webhook-signature"),
                        body,
                    });
                    let code = actix_web::http::StatusCode::from_u16(status.load(Ordering::SeqCst))
                        .unwrap();
                    HttpResponse::build(code).finish()
                }
            }))
        })
        .workers(1)
        .bind(("127.0.0.1", self.port))
        .unwrap()
        .run();
        self.server = Some(server.handle());
        actix_web::rt::spawn(server);
    }

    async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop(false).await;
        }
    }

    fn received(&self) -> Vec<Delivery> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until at least `n` deliveries arrived (fails after 20 s).
    async fn wait_for(&self, n: usize) -> Vec<Delivery> {
        for _ in 0..200 {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("expected {n} deliveries, got {:?}", self.received());
    }
}

/// Fast retries, loopback allowed (the receiver is local).
fn fast_webhooks(settings: &mut Settings) {
    settings.webhooks.allow_private_targets = true;
    settings.webhooks.poll_interval_ms = 100;
    settings.webhooks.initial_backoff_ms = 200;
    settings.webhooks.max_backoff_secs = 1;
}

/// Checks a Standard Webhooks signature the way a receiver would.
fn verify(secret: &str, delivery: &Delivery) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", delivery.id, delivery.timestamp, delivery.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    delivery.signature.split(' ').any(|s| s == expected)
}

async fn register(app: &TestApp, url: &str, events: &[&str], selection: Option<&str>) -> Value {
    let (status, _, body) = app
        .rest(
            Method::POST,
            "/api/v1/webhooks",
            Some(Role::Admin),
            Some(json!({ "url": url, "events": events, "selection": selection })),
            &[],
        )
        .await;
    assert_eq!(status, 201, "{body:#}");
    body
}

async fn deliveries(app: &TestApp, address: &str, endpoint: &str) -> Vec<Value> {
    let response = app
        .client
        .get(format!("{address}/api/v1/webhooks/{endpoint}/deliveries"))
        .header("authorization", app.bearer(Role::Admin))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let page: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// Waits until the endpoint's latest delivery satisfies `done`; returns the log.
async fn wait_for_log(
    app: &TestApp,
    address: &str,
    endpoint: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    for _ in 0..200 {
        let log = deliveries(app, address, endpoint).await;
        if done(&log) {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the delivery log never got there: {:#?}",
        deliveries(app, address, endpoint).await
    );
}

/// Waits until the endpoint's log holds `expected` deliveries, all delivered, then checks
/// each was received exactly once: one successful attempt per delivery, as many bodies
/// at the receiver. (A delivered delivery is never leased again, so nothing more can
/// arrive: no need to sleep and count.)
async fn assert_delivered_once(
    app: &TestApp,
    address: &str,
    endpoint: &str,
    receiver: &Receiver,
    expected: usize,
) {
    let log = wait_for_log(app, address, endpoint, |log| {
        log.len() == expected && log.iter().all(|d| d["state"] == "delivered")
    })
    .await;
    for delivery in &log {
        let succeeded = delivery["attempts"].as_array().map_or(0, |attempts| {
            attempts
                .iter()
                .filter(|a| {
                    a["status"]
                        .as_u64()
                        .is_some_and(|s| (200..300).contains(&s))
                })
                .count()
        });
        assert_eq!(succeeded, 1, "one successful attempt: {delivery:#}");
    }
    assert_eq!(receiver.received().len(), expected, "each delivered once");
}

/// As `fast_webhooks`, giving up after two seconds.
fn short_window(settings: &mut Settings) {
    fast_webhooks(settings);
    settings.webhooks.retry_window_secs = 2;
}

async fn with_app(
    backend: Backend,
    configure: fn(&mut Settings),
    test: impl AsyncFnOnce(&TestApp),
) {
    let Some(app) = spawn_app_with(backend, configure).await else {
        return;
    };
    test(&app).await;
    app.finish().await;
}

/// Stamps each test into a `sqlite` and a `postgres` test, with its settings.
macro_rules! webhook_tests {
    ($($name:ident with $configure:ident),*) => {
        $(
            mod $name {
                #[actix_web::test]
                async fn sqlite() {
                    super::with_app(crate::helpers::Backend::Sqlite, super::$configure, super::$name).await;
                }
                #[actix_web::test]
                #[cfg_attr(without_postgres, ignore = "PostgreSQL variant: set TEST_POSTGRES_URL to run it")]
                async fn postgres() {
                    super::with_app(crate::helpers::Backend::Postgres, super::$configure, super::$name).await;
                }
            }
        )*
    };
}

webhook_tests!(
    deliveries_are_signed_and_shaped_by_the_selection with fast_webhooks,
    a_receiver_that_was_down_gets_the_delivery_once_it_is_back with fast_webhooks,
    a_restart_in_the_middle_of_retries_still_delivers_once with fast_webhooks,
    an_endpoint_failing_past_the_retry_window_is_marked_failing with short_window,
    old_events_and_delivery_logs_are_swept_without_losing_anything with fast_webhooks,
    a_new_conflict_between_figures_is_delivered with fast_webhooks
);

async fn a_new_conflict_between_figures_is_delivered(app: &TestApp) {
    let receiver = Receiver::up().await;
    let endpoint = register(app, &receiver.url(), &["conflict.detected"], None).await;
    let endpoint = endpoint["endpoint"]["id"].as_str().unwrap().to_owned();
    let mut claims = Vec::new();
    for (name, value) in [("Paris police", "129"), ("AP-HP hospitals", "127")] {
        let source = app.create_source("GOVERNMENT", name).await;
        let claim = app
            .create_claim(json!({
                "kind": "QUANTITY", "text": format!("{value} deaths"), "speakerId": source,
                "quantity": { "subject": "Paris attacks", "measure": "deaths", "value": value,
                    "asOf": "2015-11-14T10:00:00Z" },
            }))
            .await;
        claims.push(claim["id"].clone());
    }
    let received = receiver.wait_for(1).await;
    let body: Value = serde_json::from_str(&received[0].body).unwrap();
    assert_eq!(body["type"], "conflict.detected");
    let data = &body["data"];
    assert_eq!(
        (data["key"].as_str(), data["open"].as_bool()),
        (Some("paris attacks:death"), Some(true))
    );
    let mut sides = [
        data["first"]["claimId"].clone(),
        data["second"]["claimId"].clone(),
    ];
    sides.sort_by_key(|v| v.as_str().map(str::to_owned));
    claims.sort_by_key(|v| v.as_str().map(str::to_owned));
    assert_eq!(sides.to_vec(), claims);
    assert_eq!(data["first"]["status"], "CONFLICT");
    // One conflict, one delivery.
    assert_delivered_once(app, &app.address, &endpoint, &receiver, 1).await;
}

async fn deliveries_are_signed_and_shaped_by_the_selection(app: &TestApp) {
    let receiver = Receiver::up().await;
    let created = app
        .gql_ok(
            "mutation($input: CreateWebhookInput!) {
                createWebhookEndpoint(input: $input) { secret endpoint { id events active } }
            }",
            json!({ "input": {
                "url": receiver.url(),
                "events": ["verification.recorded"],
                "selection": "{ verdict summary claim { text } }"
            } }),
        )
        .await;
    let secret = created["createWebhookEndpoint"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let endpoint = created["createWebhookEndpoint"]["endpoint"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The claim's creation is not subscribed to; its verification is.
    let claim = app
        .create_claim(json!({ "kind": "OTHER", "text": "Russia struck Syria." }))
        .await;
    app.record_verification(id(&claim["id"]), "MOSTLY_TRUE")
        .await;

    let received = receiver.wait_for(1).await;
    let delivery = &received[0];
    assert!(
        verify(&secret, delivery),
        "signature does not verify: {delivery:?}"
    );
    assert!(!verify(
        "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        delivery
    ));
    let body: Value = serde_json::from_str(&delivery.body).unwrap();
    assert_eq!(body["type"], "verification.recorded");
    assert_eq!(body["claimId"], claim["id"]);
    assert_eq!(
        body["data"],
        json!({ "verdict": "MOSTLY_TRUE", "summary": "judged MOSTLY_TRUE", "claim": { "text": "Russia struck Syria." } })
    );
    let log = wait_for_log(app, &app.address, &endpoint, |log| {
        log.first().is_some_and(|d| d["state"] == "delivered")
    })
    .await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["id"], delivery.id.as_str());
    assert_eq!(log[0]["attempts"][0]["status"], 200);
    assert_delivered_once(app, &app.address, &endpoint, &receiver, 1).await;
}

async fn a_receiver_that_was_down_gets_the_delivery_once_it_is_back(app: &TestApp) {
    let mut receiver = Receiver::down();
    let endpoint = register(app, &receiver.url(), &["claim.created"], None).await;
    let endpoint = endpoint["endpoint"]["id"].as_str().unwrap().to_owned();
    let claim = app
        .create_claim(json!({ "kind": "OTHER", "text": "Sent while the receiver is down." }))
        .await;
    // Refused connections are retried...
    let log = wait_for_log(app, &app.address, &endpoint, |log| {
        log.first()
            .is_some_and(|d| d["attempt_count"].as_i64() >= Some(2))
    })
    .await;
    assert_eq!(log[0]["state"], "pending");
    assert!(
        log[0]["attempts"][0]["error"]
            .as_str()
            .unwrap()
            .contains("onnect"),
        "{:#}",
        log[0]
    );
    // ...until the receiver is back.
    receiver.start();
    let received = receiver.wait_for(1).await;
    let body: Value = serde_json::from_str(&received[0].body).unwrap();
    assert_eq!(body["data"]["id"], claim["id"]);
    assert_eq!(body["data"]["text"], "Sent while the receiver is down.");
    assert_delivered_once(app, &app.address, &endpoint, &receiver, 1).await;
    receiver.stop().await;
}

async fn a_restart_in_the_middle_of_retries_still_delivers_once(app: &TestApp) {
    let mut receiver = Receiver::down();
    let endpoint = register(app, &receiver.url(), &["claim.created"], None).await;
    let endpoint = endpoint["endpoint"]["id"].as_str().unwrap().to_owned();
    app.create_claim(json!({ "kind": "OTHER", "text": "Survives a restart." }))
        .await;
    wait_for_log(app, &app.address, &endpoint, |log| {
        log.first()
            .is_some_and(|d| d["attempt_count"].as_i64() >= Some(1))
    })
    .await;
    // The server goes down mid-retry; the receiver comes back; a new process starts.
    app.stop_instance().await;
    receiver.start();
    let (address, _process) = app
        .separate_process(&[
            ("CLAIMTRACK_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true"),
            ("CLAIMTRACK_WEBHOOKS__POLL_INTERVAL_MS", "100"),
            ("CLAIMTRACK_WEBHOOKS__INITIAL_BACKOFF_MS", "200"),
            ("CLAIMTRACK_WEBHOOKS__MAX_BACKOFF_SECS", "1"),
        ])
        .await;
    let received = receiver.wait_for(1).await;
    let body: Value = serde_json::from_str(&received[0].body).unwrap();
    assert_eq!(body["data"]["text"], "Survives a restart.");
    let log = wait_for_log(app, &address, &endpoint, |log| {
        log[0]["state"] == "delivered"
    })
    .await;
    assert_eq!(log.len(), 1);
    assert_delivered_once(app, &address, &endpoint, &receiver, 1).await;
    receiver.stop().await;
}

async fn an_endpoint_failing_past_the_retry_window_is_marked_failing(app: &TestApp) {
    let receiver = Receiver::up().await;
    receiver.status.store(500, Ordering::SeqCst);
    let created = register(app, &receiver.url(), &["claim.created"], None).await;
    let endpoint = created["endpoint"]["id"].as_str().unwrap().to_owned();
    // This app gives up after two seconds.
    app.create_claim(json!({ "kind": "OTHER", "text": "Never accepted." }))
        .await;
    let mut failing = Value::Null;
    for _ in 0..300 {
        let (_, _, endpoint_now) = app
            .rest(
                Method::GET,
                &format!("/api/v1/webhooks/{endpoint}"),
                Some(Role::Admin),
                None,
                &[],
            )
            .await;
        if !endpoint_now["failing_since"].is_null() {
            failing = endpoint_now;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!failing.is_null(), "the endpoint was never marked failing");
    assert!(
        failing["failing_reason"]
            .as_str()
            .unwrap()
            .contains("HTTP 500"),
        "{failing:#}"
    );
    let log = deliveries(app, &app.address, &endpoint).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["state"], "failed");
    let attempts = log[0]["attempts"].as_array().unwrap();
    assert!(attempts.len() >= 2, "{:#}", log[0]);
    assert!(attempts.iter().all(|a| a["status"] == 500));
    assert_eq!(
        receiver.received().len(),
        attempts.len(),
        "each attempt is in the log"
    );

    // Once the receiver is fixed: reactivate the endpoint and replay the delivery.
    receiver.status.store(204, Ordering::SeqCst);
    let (status, _, _) = app
        .rest(
            Method::PATCH,
            &format!("/api/v1/webhooks/{endpoint}"),
            Some(Role::Admin),
            Some(json!({ "active": true })),
            &[("if-match", &format!("\"{}\"", failing["version"]))],
        )
        .await;
    assert_eq!(status, 200);
    let (status, _, replay) = app
        .rest(
            Method::POST,
            &format!(
                "/api/v1/webhook-deliveries/{}/replay",
                log[0]["id"].as_str().unwrap()
            ),
            Some(Role::Admin),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 201, "{replay:#}");
    let log = wait_for_log(app, &app.address, &endpoint, |log| {
        log[0]["state"] == "delivered"
    })
    .await;
    assert_eq!(log[0]["id"], replay["id"]);
    assert_eq!(log[0]["payload"], log[1]["payload"]);
}

async fn old_events_and_delivery_logs_are_swept_without_losing_anything(app: &TestApp) {
    let receiver = Receiver::up().await;
    let created = register(app, &receiver.url(), &["claim.created"], None).await;
    let endpoint = created["endpoint"]["id"].as_str().unwrap().to_owned();
    app.create_claim(json!({ "kind": "OTHER", "text": "First." }))
        .await;
    wait_for_log(app, &app.address, &endpoint, |log| {
        log.first().is_some_and(|d| d["state"] == "delivered")
    })
    .await;
    assert!(app.count_rows("outbox_events").await > 0);

    // Retention zero: everything read and finished goes.
    let zero = chrono::Duration::zero();
    let (events, deliveries) = claimtrack::service::webhooks::sweep(&app.state.db, zero, zero)
        .await
        .unwrap();
    assert!(events > 0 && deliveries == 1, "{events} {deliveries}");
    assert_eq!(app.count_rows("webhook_deliveries").await, 0);
    assert_eq!(app.count_rows("webhook_attempts").await, 0);

    // Later events still flow, once each.
    app.create_claim(json!({ "kind": "OTHER", "text": "Second." }))
        .await;
    let received = receiver.wait_for(2).await;
    let body: Value = serde_json::from_str(&received[1].body).unwrap();
    assert_eq!(body["data"]["text"], "Second.");
    // The first delivery's log was swept: the second is the only one left.
    wait_for_log(app, &app.address, &endpoint, |log| {
        log.len() == 1 && log[0]["state"] == "delivered"
    })
    .await;
    assert_eq!(receiver.received().len(), 2, "each delivered once");
}

crate::both_backends! {
    async fn targets_events_and_selections_are_checked(app: TestApp) {
        // Default settings: private and loopback targets are refused.
        for url in [
            "http://127.0.0.1:9/hook", "http://localhost:9/hook", "http://10.1.2.3/hook", "http://[::1]/hook", "http://169.254.169.254/latest",
            // IPv6 forms that carry a private IPv4 address: IPv4-compatible, mapped,
            // NAT64, 6to4, and Teredo.
            "http://[::127.0.0.1]/hook", "http://[::ffff:10.0.0.1]/hook", "http://[64:ff9b::a9fe:a9fe]/latest",
            "http://[2002:a9fe:a9fe::1]/latest", "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",
        ] {
            let (status, _, problem) = app.rest(Method::POST, "/api/v1/webhooks", Some(Role::Admin), Some(json!({ "url": url, "events": ["claim.created"] })), &[]).await;
            assert_eq!((status, problem["errors"][0]["field"].as_str()), (400, Some("url")), "{url}: {problem:#}");
        }
        for (input, field) in [
            (json!({ "url": "ftp://hooks.example/x", "events": ["claim.created"] }), "url"),
            (json!({ "url": "https://hooks.example/x", "events": [] }), "events"),
            (json!({ "url": "https://hooks.example/x", "events": ["claim.exploded"] }), "events.0"),
        ] {
            let (status, _, problem) = app.rest(Method::POST, "/api/v1/webhooks", Some(Role::Admin), Some(input), &[]).await;
            assert_eq!((status, problem["errors"][0]["field"].as_str()), (400, Some(field)), "{problem:#}");
        }
        // A public address carried in NAT64 is fine.
        let (status, _, created) = app.rest(Method::POST, "/api/v1/webhooks", Some(Role::Admin), Some(json!({ "url": "http://[64:ff9b::808:808]/hook", "events": ["claim.created"] })), &[]).await;
        assert_eq!(status, 201, "{created}");
        let (status, _, _) = app.rest(Method::DELETE, &format!("/api/v1/webhooks/{}", created["endpoint"]["id"].as_str().unwrap()), Some(Role::Admin), None, &[]).await;
        assert_eq!(status, 204);
        // A selection runs for every event: it is measured like any request.
        let aliases: String = (0..2100).map(|i| format!("a{i}: id ")).collect();
        let (status, _, problem) = app.rest(Method::POST, "/api/v1/webhooks", Some(Role::Admin), Some(json!({ "url": "https://93.184.216.34/hook", "events": ["claim.created"], "selection": format!("{{ {aliases} }}") })), &[]).await;
        assert_eq!((status, problem["errors"][0]["field"].as_str()), (400, Some("selection")), "{problem:#}");
        // Only admins manage webhooks.
        let (status, _, _) = app.rest(Method::GET, "/api/v1/webhooks", Some(Role::Editor), None, &[]).await;
        assert_eq!(status, 403);
        assert_eq!(app.count_rows("webhook_endpoints").await, 0);
    }
}

/// Selections are validated against the schema when registered (loopback allowed here
/// so that only the selection is at issue).
async fn selections(backend: Backend) {
    let Some(app) = spawn_app_with(backend, fast_webhooks).await else {
        return;
    };
    let receiver = Receiver::down();
    for (selection, events) in [
        ("{ nonsense }", vec!["claim.created"]),
        ("{ id text", vec!["claim.created"]),
        ("{ id }", vec!["claim.created", "verification.recorded"]),
    ] {
        let (status, _, problem) = app
            .rest(
                Method::POST,
                "/api/v1/webhooks",
                Some(Role::Admin),
                Some(json!({ "url": receiver.url(), "events": events, "selection": selection })),
                &[],
            )
            .await;
        assert_eq!(
            (status, problem["errors"][0]["field"].as_str()),
            (400, Some("selection")),
            "{selection}: {problem:#}"
        );
    }
    // A bare field list is a selection too.
    let created = register(
        &app,
        &receiver.url(),
        &["claim.created", "claim.status_changed"],
        Some("id text status"),
    )
    .await;
    assert_eq!(created["endpoint"]["selection"], "id text status");
    app.finish().await;
}

#[actix_web::test]
async fn selections_are_checked_against_the_schema_sqlite() {
    selections(Backend::Sqlite).await;
}

#[actix_web::test]
#[cfg_attr(
    without_postgres,
    ignore = "PostgreSQL variant: set TEST_POSTGRES_URL to run it"
)]
async fn selections_are_checked_against_the_schema_postgres() {
    selections(Backend::Postgres).await;
}

/// Payloads are built outside the dispatcher's transaction: while it shapes them, API
/// writes go through (SQLite's write lock is free) and other dispatchers are not held
/// on the cursor (PostgreSQL's row lock is free).
struct Probe {
    state: claimtrack::state::AppState,
    free: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl claimtrack::service::webhooks::Shaper for Probe {
    fn validate<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
    ) -> futures_util::future::BoxFuture<'a, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }

    fn data<'a>(
        &'a self,
        _: &'a claimtrack::entity::outbox_event::Model,
        _: Option<&'a str>,
    ) -> futures_util::future::BoxFuture<'a, Result<Value, claimtrack::error::AppError>> {
        Box::pin(async move {
            use sea_orm::{ConnectionTrait, TransactionTrait};
            let db = &self.state.db;
            let free = if db.get_database_backend() == sea_orm::DbBackend::Postgres {
                let txn = db.begin().await?;
                let locked = txn
                    .execute_unprepared(
                        "SELECT 1 FROM outbox_cursors WHERE name = 'webhooks' FOR UPDATE NOWAIT",
                    )
                    .await;
                txn.rollback().await?;
                locked.is_ok()
            } else {
                // A write through the pool, as an API request would make one.
                claimtrack::service::sources::create(
                    db,
                    &claimtrack::domain::Actor::system("probe"),
                    claimtrack::service::sources::NewSource {
                        kind: claimtrack::domain::SourceKind::Person,
                        name: format!("Probe {}", uuid::Uuid::now_v7()),
                        aliases: Vec::new(),
                        description: None,
                        url: None,
                    },
                )
                .await
                .is_ok()
            };
            if free {
                self.free.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            Ok(json!({}))
        })
    }
}

crate::both_backends_with! {
    |s| { s.webhooks.enabled = false; s.database.sqlite_busy_timeout_ms = 300; };

    async fn the_dispatcher_holds_no_lock_while_it_builds_payloads(app: TestApp) {
        let probe = Probe { state: app.state.clone(), free: Default::default() };
        // The cursor starts at the outbox's end.
        claimtrack::service::webhooks::dispatch(&app.state.db, &probe, 10).await.unwrap();
        let (status, _, _) = app.rest(Method::POST, "/api/v1/webhooks", Some(Role::Admin), Some(json!({ "url": "https://93.184.216.34/hook", "events": ["claim.created"] })), &[]).await;
        assert_eq!(status, 201);
        for n in 0..3 {
            app.create_claim(json!({ "kind": "OTHER", "text": format!("claim {n}") })).await;
        }
        let dispatched = claimtrack::service::webhooks::dispatch(&app.state.db, &probe, 10).await.unwrap();
        assert!(dispatched >= 3, "{dispatched}");
        assert_eq!(probe.free.load(std::sync::atomic::Ordering::SeqCst), 3, "a payload was built under a lock");
        assert_eq!(app.count_rows("webhook_deliveries").await, 3);
    }
}
