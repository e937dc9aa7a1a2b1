//! The websocket door keeps the HTTP door's promises: credentials checked for every
//! operation, one rate-limit budget, the same cost ceilings, and the graphql-transport-ws
//! protocol's rules (close codes, init timeout, bounded unauthenticated sockets).

use std::time::Duration;

use claimtrack::domain::Role;
use serde_json::{Value, json};

use crate::both_backends;
use crate::both_backends_with;
use crate::helpers::{JWT_AUDIENCE, JWT_ISSUER, TestApp};
use crate::live::{PATIENCE, Socket};

const COUNT_CLAIMS: &str = "{ claims { totalCount } }";
const CREATE_SOURCE: &str =
    "mutation { createSource(input: { kind: PERSON, name: \"Socket writer\" }) { id } }";

/// Sends one operation and returns the first message about it (or the close).
async fn operate(socket: &mut Socket, id: &str, query: &str) -> Result<Value, (u16, String)> {
    socket
        .send(json!({ "id": id, "type": "subscribe", "payload": { "query": query } }))
        .await;
    socket.receive(PATIENCE).await.expect("an answer")
}

/// The next message must be the close with `code`.
async fn expect_close(socket: &mut Socket, code: u16) {
    match socket.receive(PATIENCE).await {
        Some(Err((got, reason))) => assert_eq!(got, code, "closed with {got} {reason}"),
        other => panic!("expected close {code}, got {other:?}"),
    }
}

async fn new_key(app: &TestApp, role: &str) -> (String, Value) {
    let created = app
        .gql_ok(
            &format!("mutation {{ createApiKey(input: {{ name: \"socket {role}\", role: {role} }}) {{ secret key {{ id }} }} }}"),
            json!({}),
        )
        .await;
    let secret = created["createApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    (
        format!("Bearer {secret}"),
        created["createApiKey"]["key"]["id"].clone(),
    )
}

fn short_init(settings: &mut claimtrack::config::Settings) {
    settings.live.init_timeout_secs = 1;
    settings.live.max_pending_sockets_per_client = 3;
}

both_backends! {
    async fn queries_and_mutations_run_on_a_socket_until_its_key_is_revoked(app: TestApp) {
        let (bearer, key_id) = new_key(app, "EDITOR").await;
        let mut socket = Socket::connect_as(&app.address, &bearer).await;
        let answer = operate(&mut socket, "q1", COUNT_CLAIMS).await.unwrap();
        assert_eq!(answer["type"], "next", "{answer}");
        assert_eq!(answer["payload"]["data"]["claims"]["totalCount"], 0);
        let done = socket.receive(PATIENCE).await.unwrap().unwrap();
        assert_eq!(done, json!({ "type": "complete", "id": "q1" }));
        let written = operate(&mut socket, "m1", CREATE_SOURCE).await.unwrap();
        assert!(written["payload"]["data"]["createSource"]["id"].is_string(), "{written}");
        socket.receive(PATIENCE).await.unwrap().unwrap();

        app.gql_ok("mutation($id: UUID!) { revokeApiKey(id: $id) { revokedAt } }", json!({ "id": key_id })).await;
        let audited = app.content_audit_events().await;
        // The next operation on the same socket is refused, and the socket closed.
        let refused = operate(&mut socket, "m2", CREATE_SOURCE).await.unwrap();
        assert_eq!(refused["type"], "error", "{refused}");
        assert_eq!(refused["payload"][0]["extensions"]["code"], "UNAUTHENTICATED");
        expect_close(&mut socket, 4401).await;
        assert_eq!(app.count_rows("sources").await, 1, "the revoked key wrote");
        assert_eq!(app.content_audit_events().await, audited);
    }

    async fn socket_operations_pass_the_same_cost_ceilings(app: TestApp) {
        let mut socket = Socket::connect_as(&app.address, &app.bearer(Role::Viewer)).await;
        let aliases: String = (0..101).map(|i| format!("s{i}: sources(first: 100) {{ nodes {{ id }} }} ")).collect();
        let refused = operate(&mut socket, "big", &format!("{{ {aliases} }}")).await.unwrap();
        assert_eq!(refused["type"], "error", "{refused}");
        assert_eq!(refused["payload"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX");
        assert_eq!(refused["payload"][0]["extensions"]["measure"], "nodes");
        let unknown = operate(&mut socket, "dir", "{ __typename @nosuchdirective(x: 1) }").await.unwrap();
        assert_eq!(unknown["payload"][0]["extensions"]["code"], "BAD_USER_INPUT", "{unknown}");
        // The socket stays usable.
        let fine = operate(&mut socket, "ok", COUNT_CLAIMS).await.unwrap();
        assert_eq!(fine["type"], "next", "{fine}");
    }
}

both_backends_with! {
    |s| s.auth.jwt.leeway_secs = 0;

    async fn an_expired_token_stops_working_on_an_open_socket(app: TestApp) {
        let exp = chrono::Utc::now().timestamp() + 2;
        let claims = json!({ "sub": "short-lived", "role": "editor", "iss": JWT_ISSUER, "aud": JWT_AUDIENCE, "exp": exp });
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(app.jwt_secret.as_bytes()),
        )
        .unwrap();
        let mut socket = Socket::connect_as(&app.address, &format!("Bearer {token}")).await;
        let answer = operate(&mut socket, "before", COUNT_CLAIMS).await.unwrap();
        assert_eq!(answer["type"], "next", "{answer}");
        socket.receive(PATIENCE).await.unwrap().unwrap();
        // The token's own lifetime has to pass: there is nothing to make it expire sooner.
        while chrono::Utc::now().timestamp() <= exp {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let refused = operate(&mut socket, "after", CREATE_SOURCE).await.unwrap();
        assert_eq!(refused["payload"][0]["extensions"]["code"], "UNAUTHENTICATED", "{refused}");
        expect_close(&mut socket, 4401).await;
        assert_eq!(app.count_rows("sources").await, 0);
    }
}

both_backends_with! {
    |s| { s.rate_limit.burst = 5; s.rate_limit.requests_per_minute = 1; };

    async fn socket_operations_are_charged_to_the_principals_budget(app: TestApp) {
        let mut socket = Socket::connect_as(&app.address, &app.bearer(Role::Viewer)).await;
        // connection_init took one of the five; send many more operations at once.
        for i in 0..20 {
            socket
                .send(json!({ "id": format!("q{i}"), "type": "subscribe", "payload": { "query": COUNT_CLAIMS } }))
                .await;
        }
        let mut limited = 0;
        let mut answered = 0;
        while answered + limited < 20 {
            let message = socket.receive(PATIENCE).await.unwrap().unwrap();
            match message["type"].as_str() {
                Some("next") => answered += 1,
                Some("error") => {
                    assert_eq!(message["payload"][0]["extensions"]["code"], "RATE_LIMITED", "{message}");
                    limited += 1;
                }
                _ => {}
            }
        }
        assert!(answered <= 4, "{answered} operations ran on a budget of five (one spent on connection_init)");
        assert!(limited >= 16);
        // HTTP with the same key draws on the same (spent) budget.
        let (status, response) = app.graphql_as(Some(&app.bearer(Role::Viewer)), COUNT_CLAIMS, json!({})).await;
        assert_eq!(status, 429, "{response}");
    }
}

both_backends_with! {
    short_init;

    async fn the_protocol_closes_sockets_that_break_it(app: TestApp) {
        // No connection_init in time: 4408.
        let mut silent = Socket::open(&app.address).await.unwrap();
        expect_close(&mut silent, 4408).await;

        // An operation before the acknowledgement: 4401.
        let mut eager = Socket::open(&app.address).await.unwrap();
        eager.send(json!({ "id": "1", "type": "subscribe", "payload": { "query": COUNT_CLAIMS } })).await;
        expect_close(&mut eager, 4401).await;

        let bearer = app.bearer(Role::Viewer);
        for (message, code) in [
            ("{ not json".to_owned(), 4400),
            (json!({ "type": "no_such_type" }).to_string(), 4400),
            (json!({ "type": "subscribe", "payload": { "query": COUNT_CLAIMS } }).to_string(), 4400),
            (json!({ "id": "1", "type": "subscribe" }).to_string(), 4400),
            (json!({ "type": "connection_init", "payload": { "Authorization": bearer } }).to_string(), 4429),
        ] {
            let mut socket = Socket::connect_as(&app.address, &bearer).await;
            socket.send_text(message.clone()).await;
            match socket.receive(PATIENCE).await {
                Some(Err((got, _))) => assert_eq!(got, code, "{message}"),
                other => panic!("{message}: expected close {code}, got {other:?}"),
            }
        }

        // The same id twice while the first runs: 4409.
        let mut socket = Socket::connect_as(&app.address, &bearer).await;
        let subscription = "subscription { claimChanged { change } }";
        socket.send(json!({ "id": "s", "type": "subscribe", "payload": { "query": subscription } })).await;
        socket.send(json!({ "id": "s", "type": "subscribe", "payload": { "query": subscription } })).await;
        expect_close(&mut socket, 4409).await;

        // A frame over the body limit: 1009.
        let mut socket = Socket::connect_as(&app.address, &bearer).await;
        let huge = "x".repeat(app.state.settings.server.max_body_bytes + 1);
        socket.send(json!({ "id": "h", "type": "subscribe", "payload": { "query": huge } })).await;
        expect_close(&mut socket, 1009).await;

        // Pings are answered before and after the acknowledgement.
        let mut socket = Socket::open(&app.address).await.unwrap();
        socket.send(json!({ "type": "ping", "payload": { "n": 1 } })).await;
        let pong = socket.receive(PATIENCE).await.unwrap().unwrap();
        assert_eq!(pong, json!({ "type": "pong", "payload": { "n": 1 } }));
    }

    async fn a_client_cannot_hold_many_unauthenticated_sockets(app: TestApp) {
        // max_pending_sockets_per_client = 3 in this app.
        let mut pending = Vec::new();
        for _ in 0..3 {
            pending.push(Socket::open(&app.address).await.unwrap());
        }
        assert_eq!(Socket::open(&app.address).await.err(), Some(429));
        // An acknowledged socket no longer counts against the client.
        let mut first = pending.remove(0);
        first.send(json!({ "type": "connection_init", "payload": { "Authorization": app.bearer(Role::Viewer) } })).await;
        assert_eq!(first.receive(PATIENCE).await.unwrap().unwrap()["type"], "connection_ack");
        let mut another = Socket::open(&app.address).await.unwrap();
        // ... and the unacknowledged ones are closed when their time is up.
        expect_close(&mut another, 4408).await;
        // The server still serves.
        let answer = operate(&mut first, "q", COUNT_CLAIMS).await.unwrap();
        assert_eq!(answer["type"], "next", "{answer}");
    }
}
