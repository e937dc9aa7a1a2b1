//! GraphQL subscriptions over real websockets (graphql-transport-ws).

use std::time::Duration;

use claimtrack::domain::Role;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use uuid::Uuid;

use crate::both_backends;
use crate::helpers::{TestApp, id};

/// How long a test waits for an event that should come.
pub const PATIENCE: Duration = Duration::from_secs(10);
/// How long a test listens to show that nothing (more) comes.
const QUIET: Duration = Duration::from_millis(1500);

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A graphql-transport-ws client.
pub struct Socket {
    ws: Stream,
}

/// What a server sent for a subscription, or how it ended.
#[derive(Debug)]
pub enum Received {
    Next(String, Value),
    Complete(String),
    Closed(u16, String),
}

impl Socket {
    /// Opens a socket to `address` without saying anything on it yet; `Err` with the
    /// HTTP status when the upgrade is refused.
    pub async fn open(address: &str) -> Result<Socket, u16> {
        let url = format!("{}/graphql", address.replacen("http://", "ws://", 1));
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let (ws, response) = match tokio_tungstenite::connect_async(request).await {
            Ok(connected) => connected,
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                return Err(response.status().as_u16());
            }
            Err(other) => panic!("websocket upgrade failed: {other}"),
        };
        assert_eq!(
            response.headers()["sec-websocket-protocol"],
            "graphql-transport-ws"
        );
        Ok(Socket { ws })
    }

    /// Opens a socket to `address` and sends `connection_init` with `payload`; returns
    /// the socket once acknowledged, or the close code and reason.
    pub async fn connect(address: &str, payload: Value) -> Result<Socket, (u16, String)> {
        let mut socket = Socket::open(address).await.expect("upgraded");
        socket
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        match socket.receive(PATIENCE).await {
            Some(Ok(message)) if message["type"] == "connection_ack" => Ok(socket),
            Some(Err(closed)) => Err(closed),
            other => panic!("unexpected answer to connection_init: {other:?}"),
        }
    }

    /// Connects with a bearer credential in the payload, as browsers must.
    pub async fn connect_as(address: &str, authorization: &str) -> Socket {
        Socket::connect(address, json!({ "Authorization": authorization }))
            .await
            .unwrap_or_else(|closed| panic!("connection refused: {closed:?}"))
    }

    pub async fn send(&mut self, message: Value) {
        self.send_text(message.to_string()).await;
    }

    /// Sends a text frame as it is (malformed messages included).
    pub async fn send_text(&mut self, text: String) {
        self.ws.send(Message::text(text)).await.unwrap();
    }

    /// The next protocol message (pings answered on the way), `Err` when closed, `None`
    /// after `wait` without a message.
    pub async fn receive(&mut self, wait: Duration) -> Option<Result<Value, (u16, String)>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let next = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()?;
            match next {
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(&text).unwrap();
                    if message["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Some(Ok(message));
                }
                Some(Ok(Message::Close(frame))) => {
                    let (code, reason) = frame
                        .map(|CloseFrame { code, reason }| (u16::from(code), reason.to_string()))
                        .unwrap_or((1005, String::new()));
                    return Some(Err((code, reason)));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Some(Err((1006, "connection lost".into()))),
            }
        }
    }

    /// Subscribes, and returns once `app` follows the outbox for the new subscription
    /// (what the test writes next reaches it).
    pub async fn subscribe(&mut self, app: &TestApp, id: &str, query: &str, variables: Value) {
        let before = app.subscribers();
        self.send(json!({
            "id": id, "type": "subscribe",
            "payload": { "query": query, "variables": variables }
        }))
        .await;
        app.await_subscribers(before + 1).await;
    }

    /// Subscribes on a server in another process, whose subscribers this test cannot
    /// count: a query sent after the subscription, on the same connection, is answered
    /// once the operations before it have started (the connection's tasks run in order on
    /// one worker), so the subscription follows the outbox when the answer is in.
    pub async fn subscribe_elsewhere(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({
            "id": id, "type": "subscribe",
            "payload": { "query": query, "variables": variables }
        }))
        .await;
        let probe = format!("{id}-probe");
        self.send(json!({
            "id": probe, "type": "subscribe",
            "payload": { "query": "{ __typename }" }
        }))
        .await;
        match self.next_within(PATIENCE).await {
            Some(Received::Next(got, _)) if got == probe => {}
            other => panic!("expected the probe's answer, got {other:?}"),
        }
        match self.next_within(PATIENCE).await {
            Some(Received::Complete(got)) if got == probe => {}
            other => panic!("expected the probe's end, got {other:?}"),
        }
    }

    /// The next subscription message, waiting at most `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Received> {
        let message = match self.receive(wait).await? {
            Ok(message) => message,
            Err((code, reason)) => return Some(Received::Closed(code, reason)),
        };
        let id = message["id"].as_str().unwrap_or_default().to_owned();
        Some(match message["type"].as_str() {
            Some("next") => Received::Next(id, message["payload"].clone()),
            Some("complete") => Received::Complete(id),
            Some("error") => Received::Next(id, json!({ "errors": message["payload"] })),
            other => panic!("unexpected message {other:?}: {message}"),
        })
    }

    /// The next event's payload for subscription `id`; fails the test after PATIENCE.
    pub async fn next_event(&mut self, id: &str) -> Value {
        match self.next_within(PATIENCE).await {
            Some(Received::Next(got, payload)) if got == id => payload,
            other => panic!("expected an event for {id}, got {other:?}"),
        }
    }

    /// Fails if any subscription message arrives within QUIET.
    pub async fn assert_quiet(&mut self) {
        if let Some(message) = self.next_within(QUIET).await {
            panic!("expected no more events, got {message:?}");
        }
    }
}

const CLAIM_CHANGED: &str = "subscription($filter: ClaimChangedFilter) {
    claimChanged(filter: $filter) {
        eventId change claimId actor
        claim { id text status kind currentVerdict speaker { name } }
    }
}";

const VERIFICATION_RECORDED: &str = "subscription($filter: VerificationRecordedFilter) {
    verificationRecorded(filter: $filter) {
        eventId change actor
        verification { id verdict claim { id status } retraction { reason } }
    }
}";

fn quote(text: &str, speaker: Option<Uuid>) -> Value {
    json!({ "kind": "QUOTE", "text": text, "quote": text, "speakerId": speaker })
}

async fn update_claim(app: &TestApp, claim: &Value, input: Value) -> Value {
    app.graphql(
        "mutation($id: UUID!, $version: Int!, $input: UpdateClaimInput!) {
            updateClaim(id: $id, expectedVersion: $version, input: $input) { id version status }
        }",
        json!({ "id": claim["id"], "version": claim["version"], "input": input }),
    )
    .await
}

both_backends! {
    async fn a_subscriber_sees_the_claim_changes_it_filtered_for_in_commit_order(app: TestApp) {
        let hollande = app.create_source("PERSON", "François Hollande").await;
        let other = app.create_source("PERSON", "Someone Else").await;
        let mut socket = Socket::connect_as(&app.address, &app.bearer(Role::Viewer)).await;
        socket.subscribe(app, "hollande", CLAIM_CHANGED, json!({ "filter": { "speakerId": hollande } })).await;

        let first = app.create_claim(quote("France is at war.", Some(hollande))).await;
        app.create_claim(quote("Not by Hollande.", Some(other))).await;
        let edited = update_claim(app, &first, json!({ "text": "France is at war!", "quote": "France is at war!" })).await;
        assert!(edited.get("errors").is_none(), "{edited:#}");
        let claim_id = id(&first["id"]);
        app.record_verification(claim_id, "TRUE").await;

        let created = socket.next_event("hollande").await;
        let event = &created["data"]["claimChanged"];
        assert_eq!(event["change"], "CREATED");
        assert_eq!(event["claimId"], first["id"]);
        assert_eq!(event["claim"]["speaker"]["name"], "François Hollande");
        assert_eq!(event["actor"], "test admin");
        let updated = socket.next_event("hollande").await;
        assert_eq!(updated["data"]["claimChanged"]["change"], "UPDATED");
        let status = socket.next_event("hollande").await;
        let event = &status["data"]["claimChanged"];
        assert_eq!(event["change"], "STATUS_CHANGED");
        assert_eq!(event["claim"]["status"], "REVIEWED");
        assert_eq!(event["claim"]["currentVerdict"], "TRUE");
        // Event ids increase in commit order.
        let ids: Vec<String> = [&created, &updated, &status]
            .iter()
            .map(|e| e["data"]["claimChanged"]["eventId"].as_str().unwrap().to_owned())
            .collect();
        let mut sorted = ids.clone();
        sorted.sort_by_key(|id| {
            let (tx, seq) = id.split_once('.').unwrap();
            (tx.parse::<i64>().unwrap(), seq.parse::<i64>().unwrap())
        });
        assert_eq!(ids, sorted);
        // The other speaker's claim never arrives.
        socket.assert_quiet().await;
    }

    async fn filters_by_status_kind_and_change(app: TestApp) {
        let mut socket = Socket::connect_as(&app.address, &app.bearer(Role::Viewer)).await;
        socket.subscribe(app, "archived", CLAIM_CHANGED, json!({ "filter": { "status": ["ARCHIVED"] } })).await;
        socket.subscribe(app, "quantities", CLAIM_CHANGED, json!({ "filter": { "kind": ["QUANTITY"], "changes": ["CREATED"] } })).await;
        let claim = app.create_claim(quote("A quote.", None)).await;
        let moved = update_claim(app, &claim, json!({ "status": "IN_REVIEW" })).await;
        assert!(moved.get("errors").is_none(), "{moved:#}");
        let claim = json!({ "id": claim["id"], "version": moved["data"]["updateClaim"]["version"] });
        let archived = update_claim(app, &claim, json!({ "status": "ARCHIVED" })).await;
        assert!(archived.get("errors").is_none(), "{archived:#}");
        let figure = app.create_claim(json!({
            "kind": "QUANTITY", "text": "129 dead",
            "quantity": { "measure": "deaths", "value": "129" }
        })).await;

        // Each subscription keeps commit order; two subscriptions may interleave.
        let mut events = std::collections::HashMap::new();
        for _ in 0..2 {
            match socket.next_within(PATIENCE).await {
                Some(Received::Next(id, payload)) => assert!(events.insert(id, payload).is_none()),
                other => panic!("expected an event, got {other:?}"),
            }
        }
        let archived = &events["archived"]["data"]["claimChanged"];
        assert_eq!(archived["claim"]["status"], "ARCHIVED");
        assert_eq!(archived["change"], "STATUS_CHANGED");
        assert_eq!(events["quantities"]["data"]["claimChanged"]["claimId"], figure["id"]);
        socket.assert_quiet().await;
    }

    async fn verifications_and_retractions_arrive_with_the_verification(app: TestApp) {
        let watched = id(&app.create_claim(quote("Watched.", None)).await["id"]);
        let unwatched = id(&app.create_claim(quote("Unwatched.", None)).await["id"]);
        let mut socket = Socket::connect_as(&app.address, &app.bearer(Role::Checker)).await;
        socket.subscribe(app, "v", VERIFICATION_RECORDED, json!({ "filter": { "claimId": watched } })).await;

        app.record_verification(unwatched, "FALSE").await;
        let recorded = app.record_verification(watched, "MOSTLY_TRUE").await;
        let retracted = app.gql_ok(
            "mutation($id: UUID!) { retractVerification(id: $id, reason: \"wrong source\") { id } }",
            json!({ "id": recorded["id"] }),
        ).await;
        assert_eq!(retracted["retractVerification"]["id"], recorded["id"]);

        let event = socket.next_event("v").await;
        let event = &event["data"]["verificationRecorded"];
        assert_eq!(event["change"], "RECORDED");
        assert_eq!(event["verification"]["verdict"], "MOSTLY_TRUE");
        assert_eq!(event["verification"]["claim"]["id"], watched.to_string());
        let event = socket.next_event("v").await;
        let event = &event["data"]["verificationRecorded"];
        assert_eq!(event["change"], "RETRACTED");
        assert_eq!(event["verification"]["retraction"]["reason"], "wrong source");
        socket.assert_quiet().await;
    }

    async fn failed_writes_produce_no_event(app: TestApp) {
        let mut socket = Socket::connect_as(&app.address, &app.bearer(Role::Viewer)).await;
        socket.subscribe(app, "all", CLAIM_CHANGED, json!({})).await;
        let claim = app.create_claim(quote("Before.", None)).await;
        let event = socket.next_event("all").await;
        assert_eq!(event["data"]["claimChanged"]["claimId"], claim["id"]);
        let outbox_before = app.count_rows("outbox_events").await;

        // A stale version, invalid input, a role too low, an unknown speaker: all refused.
        let stale = update_claim(app, &json!({ "id": claim["id"], "version": 99 }), json!({ "text": "x" })).await;
        assert_eq!(stale["errors"][0]["extensions"]["code"], "CONFLICT");
        let invalid = update_claim(app, &claim, json!({ "text": "" })).await;
        assert_eq!(invalid["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        let (_, forbidden) = app.graphql_as(
            Some(&app.bearer(Role::Viewer)),
            "mutation($input: CreateClaimInput!) { createClaim(input: $input) { id } }",
            json!({ "input": quote("Not allowed.", None) }),
        ).await;
        assert_eq!(forbidden["errors"][0]["extensions"]["code"], "FORBIDDEN");
        let unknown = app.graphql(
            "mutation($input: CreateClaimInput!) { createClaim(input: $input) { id } }",
            json!({ "input": quote("Unknown speaker.", Some(Uuid::now_v7())) }),
        ).await;
        assert!(unknown.get("errors").is_some());
        assert_eq!(app.count_rows("outbox_events").await, outbox_before);

        // The first event the subscriber gets is the next successful write.
        let after = app.create_claim(quote("After.", None)).await;
        let event = socket.next_event("all").await;
        assert_eq!(event["data"]["claimChanged"]["claimId"], after["id"]);
        socket.assert_quiet().await;
    }

    async fn sockets_without_read_access_are_refused(app: TestApp) {
        for payload in [
            json!({}),
            json!({ "Authorization": "Bearer ct_000000000000_notakeynotakeynotakeynotakeynotakeynota" }),
            json!({ "Authorization": "Basic dXNlcjpwYXNz" }),
        ] {
            let refused = Socket::connect(&app.address, payload.clone()).await;
            let Err((code, _)) = refused else { panic!("{payload} was admitted") };
            assert_eq!(code, 4401, "{payload}");
        }
        // A revoked key is refused like an unknown one.
        let key = app.gql_ok(
            "mutation { createApiKey(input: { name: \"dashboard\", role: VIEWER }) { secret key { id } } }",
            json!({}),
        ).await;
        let secret = key["createApiKey"]["secret"].as_str().unwrap().to_owned();
        app.gql_ok("mutation($id: UUID!) { revokeApiKey(id: $id) { revokedAt } }", json!({ "id": key["createApiKey"]["key"]["id"] })).await;
        let refused = Socket::connect(&app.address, json!({ "Authorization": format!("Bearer {secret}") })).await;
        assert_eq!(refused.err().map(|e| e.0), Some(4401));
        // A subscription sent over plain HTTP is not served there.
        let response = app.graphql(CLAIM_CHANGED, json!({})).await;
        assert!(response.get("errors").is_some(), "{response:#}");
    }

    async fn a_key_revoked_while_connected_stops_receiving(app: TestApp) {
        let key = app.gql_ok(
            "mutation { createApiKey(input: { name: \"wall screen\", role: VIEWER }) { secret key { id } } }",
            json!({}),
        ).await;
        let secret = key["createApiKey"]["secret"].as_str().unwrap().to_owned();
        let mut socket = Socket::connect_as(&app.address, &format!("Bearer {secret}")).await;
        socket.subscribe(app, "all", CLAIM_CHANGED, json!({})).await;
        app.create_claim(quote("Seen.", None)).await;
        let seen = socket.next_event("all").await;
        assert_eq!(seen["data"]["claimChanged"]["claim"]["text"], "Seen.");

        app.gql_ok("mutation($id: UUID!) { revokeApiKey(id: $id) { revokedAt } }", json!({ "id": key["createApiKey"]["key"]["id"] })).await;
        app.create_claim(quote("Not seen.", None)).await;
        let refused = socket.next_event("all").await;
        assert_eq!(refused["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{refused:#}");
        match socket.next_within(PATIENCE).await {
            Some(Received::Complete(id)) => assert_eq!(id, "all"),
            other => panic!("expected the subscription to end, got {other:?}"),
        }
        socket.assert_quiet().await;
    }

    async fn a_subscriber_on_another_instance_sees_each_verification_once(app: TestApp) {
        let claim = id(&app.create_claim(quote("Across instances.", None)).await["id"]);
        // A separate process: only the database connects the two. On PostgreSQL its
        // safety poll is slowed to ten minutes, so only NOTIFY can bring the event in
        // time; SQLite has no notifications, and a second process there relies on the poll.
        let (other, _process) = app
            .separate_process(&[
                ("CLAIMTRACK_LIVE__POLL_INTERVAL_MS", "200"),
                ("CLAIMTRACK_LIVE__SAFETY_POLL_SECS", "600"),
            ])
            .await;
        let mut socket = Socket::connect_as(&other, &app.bearer(Role::Viewer)).await;
        socket.subscribe_elsewhere("v", VERIFICATION_RECORDED, json!({})).await;
        // Recorded through this instance.
        let recorded = app.record_verification(claim, "FALSE").await;
        let event = socket.next_event("v").await;
        assert_eq!(event["data"]["verificationRecorded"]["verification"]["id"], recorded["id"]);
        socket.assert_quiet().await;
    }
}

/// A subscriber that falls further behind than `live.subscriber_buffer` is told and
/// disconnected, however many events arrive.
async fn slow_subscriber(backend: crate::helpers::Backend) {
    let Some(app) = crate::helpers::spawn_app_with(backend, |s| s.live.subscriber_buffer = 2).await
    else {
        return;
    };
    let mut socket = Socket::connect_as(&app.address, &app.bearer(Role::Viewer)).await;
    socket
        .subscribe(&app, "all", CLAIM_CHANGED, json!({}))
        .await;
    // One import line: 30 claims committed together, broadcast at once.
    let claims: Vec<Value> = (0..30)
        .map(|n| json!({ "kind": "other", "text": format!("claim {n}") }))
        .collect();
    let line = json!({
        "article": { "url": "https://wire.example/burst", "title": "Burst" },
        "claims": claims
    });
    let response = app
        .client
        .post(format!("{}/api/v1/import", app.address))
        .header("authorization", app.bearer(Role::Editor))
        .header("content-type", "application/x-ndjson")
        .body(line.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut told = false;
    loop {
        match socket.next_within(PATIENCE).await {
            Some(Received::Next(_, payload)) if payload.get("errors").is_some() => {
                assert_eq!(
                    payload["errors"][0]["extensions"]["code"],
                    "SLOW_SUBSCRIBER"
                );
                told = true;
            }
            Some(Received::Next(..)) => continue,
            Some(Received::Closed(code, reason)) => {
                assert!(told, "closed without being told: {code} {reason}");
                assert_eq!(code, 1008, "{reason}");
                break;
            }
            other => panic!("expected the slow subscriber to be dropped, got {other:?}"),
        }
    }
    app.finish().await;
}

#[actix_web::test]
async fn a_slow_subscriber_is_told_and_disconnected_sqlite() {
    slow_subscriber(crate::helpers::Backend::Sqlite).await;
}

#[actix_web::test]
#[cfg_attr(
    without_postgres,
    ignore = "PostgreSQL variant: set TEST_POSTGRES_URL to run it"
)]
async fn a_slow_subscriber_is_told_and_disconnected_postgres() {
    slow_subscriber(crate::helpers::Backend::Postgres).await;
}

both_backends! {
    async fn an_idle_instance_leaves_the_database_alone(app: TestApp) {
        // Something to deliver, so that the webhook engine has an endpoint to look after.
        let claim = id(&app.create_claim(quote("Before the quiet.", None)).await["id"]);
        app.record_verification(claim, "FALSE").await;
        // The start-up passes (first outbox read, first sweep, the writes' wake-ups) done:
        let settled = std::time::Duration::from_millis(800);
        tokio::time::sleep(settled).await;
        let before = app.state.background_statements.get();
        // ... a few seconds with nothing happening.
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        let sent = app.state.background_statements.get() - before;
        match app.state.db.get_database_backend() {
            // Woken by notifications; the safety poll is half a minute away.
            sea_orm::DbBackend::Postgres => assert_eq!(sent, 0, "statements sent while idle"),
            // No notifications: the outbox is read once a second (in-process, no server).
            _ => assert!(sent <= 4, "{sent} statements sent while idle"),
        }
    }
}
