//! What one GraphQL request may cost, and who may see the schema: refused before it
//! runs (and before credentials are looked up), whoever sends it.

use std::time::Duration;

use claimtrack::domain::Role;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::both_backends_with;
use crate::helpers::TestApp;

/// `levels` fragments, each spreading the one before `fan` times: fan^levels selections
/// once expanded, in a few hundred bytes.
fn fan_out(levels: usize, fan: usize) -> String {
    let mut query = format!(
        "query {{ ...F{} }}\nfragment F0 on QueryRoot {{ __typename }}\n",
        levels - 1
    );
    for level in 1..levels {
        let spreads = format!("...F{} ", level - 1).repeat(fan);
        query.push_str(&format!("fragment F{level} on QueryRoot {{ {spreads}}}\n"));
    }
    query
}

async fn post_json(app: &TestApp, authorization: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&body);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

/// Sends raw bytes to the server and returns its answer's status line and body, as
/// far as the server sent them.
async fn raw_http(app: &TestApp, head: &str, body_chunks: &[Vec<u8>]) -> String {
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in body_chunks {
        // The server may answer and stop reading before the body is through.
        if stream.write_all(chunk).await.is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

both_backends_with! {
    |s| s.auth.anonymous_reads = true;

    async fn expensive_documents_are_refused_before_they_run(app: TestApp) {
        let admin = app.bearer(Role::Admin);
        // A 10^10 fragment fan-out in a few hundred bytes, anonymously and as the admin.
        let query = fan_out(10, 10);
        assert!(query.len() < 1000, "{}", query.len());
        for authorization in [None, Some(admin.as_str())] {
            let (status, response) = app.graphql_as(authorization, &query, json!({})).await;
            assert_eq!(status, 400, "{response}");
            assert_eq!(code(&response), "QUERY_TOO_COMPLEX");
            assert_eq!(response["errors"][0]["extensions"]["measure"], "selections");
            assert_eq!(response["errors"][0]["extensions"]["limit"], 2000);
        }
        // Aliases of one field, and directives repeated: every one counts.
        let aliases: String = (0..2001).map(|i| format!("a{i}: __typename ")).collect();
        let (status, response) = app.graphql_as(None, &format!("{{ {aliases} }}"), json!({})).await;
        assert_eq!((status, code(&response)), (400, "QUERY_TOO_COMPLEX"), "{response}");
        let repeated = "@include(if: true) ".repeat(3000);
        let (status, response) = app.graphql_as(None, &format!("{{ __typename {repeated} }}"), json!({})).await;
        assert_eq!(status, 400, "{response}");
        // Deeply nested list literals are refused before the parser recurses into them.
        let nested = format!("{{ claims(first: {}1{}) {{ totalCount }} }}", "[".repeat(20_000), "]".repeat(20_000));
        let (status, response) = app.graphql_as(None, &nested, json!({})).await;
        assert_eq!((status, code(&response)), (400, "QUERY_TOO_COMPLEX"), "{response}");
        assert_eq!(response["errors"][0]["extensions"]["measure"], "nesting");
        // ... and so are deeply nested variables.
        let body = format!(
            "{{\"query\": \"query($f: ClaimFilterInput) {{ claims(filter: $f) {{ totalCount }} }}\", \"variables\": {{\"f\": {}1{}}}}}",
            "[".repeat(5_000),
            "]".repeat(5_000)
        );
        let response = app.client.post(format!("{}/graphql", app.address)).header("content-type", "application/json").body(body).send().await.unwrap();
        assert_eq!(response.status(), 400);
        // The server is as healthy as before.
        let data = app.gql_ok("{ claims { totalCount } }", json!({})).await;
        assert_eq!(data["claims"]["totalCount"], 0);
    }

    async fn connection_pages_count_toward_one_node_budget_per_request(app: TestApp) {
        let viewer = app.bearer(Role::Viewer);
        // 1,000 aliases of a 100-row page: 100,000 rows to one viewer. Refused.
        let aliases: String = (0..1000).map(|i| format!("s{i}: sources(first: 100) {{ nodes {{ id name description }} }} ")).collect();
        let (status, response) = app.graphql_as(Some(&viewer), &format!("{{ {aliases} }}"), json!({})).await;
        assert_eq!(status, 400, "{response}");
        assert_eq!(response["errors"][0]["extensions"]["measure"], "nodes");
        // Measuring stops at the ceiling: `actual` is how far it got.
        assert!(response["errors"][0]["extensions"]["actual"].as_u64().unwrap() > 10_000, "{response}");
        // A page size from a variable counts the same.
        let (status, response) = app
            .graphql_as(Some(&viewer), "query($n: Int) { claims(first: $n) { nodes { appearances(first: 100) { nodes { id } } verifications(first: 100) { nodes { id } } } } }", json!({ "n": 100 }))
            .await;
        assert_eq!((status, code(&response)), (400, "QUERY_TOO_COMPLEX"), "{response}");
        // Eleven pages of 100 pass alone; ten such operations in one batch do not.
        let eleven: String = (0..11).map(|i| format!("s{i}: sources(first: 100) {{ nodes {{ id }} }} ")).collect();
        let operation = json!({ "query": format!("{{ {eleven} }}") });
        let (status, response) = post_json(app, Some(&viewer), operation.clone()).await;
        assert_eq!(status, 200, "{response}");
        let batch: Vec<Value> = (0..10).map(|_| operation.clone()).collect();
        let (status, response) = post_json(app, Some(&viewer), Value::Array(batch)).await;
        assert_eq!(status, 400, "{response}");
        assert_eq!(response["errors"][0]["extensions"]["measure"], "nodes");
        // The dashboard's query fits comfortably.
        let (status, response) = app
            .graphql_as(Some(&viewer), "{ claims(first: 50) { totalCount edges { node { text speaker { name } appearances { edges { node { excerpt article { title outlet { name } } } } } verifications(first: 3) { edges { node { verdict } } } } } } }", json!({}))
            .await;
        assert_eq!(status, 200, "{response}");
        assert!(response.get("errors").is_none(), "{response}");
    }

    async fn unknown_directives_are_refused_wherever_they_stand(app: TestApp) {
        for query in [
            "{ __typename @nosuchdirective(x: 1) }",
            "{ claims { totalCount @nosuchdirective } }",
            "query @nosuchdirective { __typename }",
            "{ ...F } fragment F on QueryRoot @nosuchdirective { __typename }",
            "{ ... @nosuchdirective { __typename } }",
        ] {
            let (status, response) = app.graphql_as(None, query, json!({})).await;
            assert_eq!(status, 400, "{query}: {response}");
            assert_eq!(code(&response), "BAD_USER_INPUT", "{query}");
            assert!(response["errors"][0]["message"].as_str().unwrap().contains("nosuchdirective"), "{response}");
        }
        let many = "@nosuchdirective(x: 1) ".repeat(5000);
        let (status, _) = app.graphql_as(None, &format!("{{ __typename {many} }}"), json!({})).await;
        assert_eq!(status, 400);
        let data = app.gql_ok("{ claims { totalCount @skip(if: false) } sources @include(if: false) { totalCount } }", json!({})).await;
        assert_eq!(data, json!({ "claims": { "totalCount": 0 } }));
    }

    async fn graphql_bodies_have_the_same_limit_as_rest(app: TestApp) {
        let limit = app.state.settings.server.max_body_bytes;
        // A declared length over the limit is answered before any of the body is sent.
        let head = format!(
            "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            100 * 1024 * 1024
        );
        let answer = raw_http(app, &head, &[]).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("PAYLOAD_TOO_LARGE"), "{answer}");
        // A chunked body is cut off as soon as it passes the limit.
        let head = "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        let chunk = vec![b' '; 64 * 1024];
        let framed: Vec<Vec<u8>> = (0..(limit / chunk.len() + 64))
            .map(|_| [format!("{:x}\r\n", chunk.len()).into_bytes(), chunk.clone(), b"\r\n".to_vec()].concat())
            .collect();
        let answer = raw_http(app, head, &framed).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        // Not JSON: refused, not run.
        let response = app.client.post(format!("{}/graphql", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("query={__typename}")
            .send().await.unwrap();
        assert_eq!(response.status(), 415);
        // Just under the limit is fine.
        let padding = " ".repeat(limit - 100);
        let body = format!("{{\"query\": \"{{ claims {{ totalCount }} }}{padding}\"}}");
        let response = app.client.post(format!("{}/graphql", app.address))
            .header("authorization", app.bearer(Role::Viewer))
            .header("content-type", "application/json")
            .body(body).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
}

both_backends_with! {
    |s| s.auth.anonymous_reads = true;

    async fn introspection_and_suggestions_are_only_for_authenticated_callers_by_default(app: TestApp) {
        let schema_query = "{ __schema { mutationType { fields { name } } } }";
        let (_, anonymous) = app.graphql_as(None, schema_query, json!({})).await;
        assert!(anonymous["data"].is_null() || anonymous["data"]["__schema"].is_null(), "{anonymous}");
        assert!(!anonymous.to_string().contains("createApiKey"), "{anonymous}");
        let (_, anonymous) = app.graphql_as(None, "{ claimz { totalCount } }", json!({})).await;
        assert!(!anonymous.to_string().contains("Did you mean"), "{anonymous}");

        let viewer = app.bearer(Role::Viewer);
        let (_, viewed) = app.graphql_as(Some(&viewer), schema_query, json!({})).await;
        assert!(viewed.to_string().contains("createApiKey"), "{viewed}");
        let (_, viewed) = app.graphql_as(Some(&viewer), "{ claimz { totalCount } }", json!({})).await;
        assert!(viewed.to_string().contains("Did you mean"), "{viewed}");
    }
}

both_backends_with! {
    |s| { s.auth.anonymous_reads = true; s.graphql.introspection = claimtrack::config::IntrospectionPolicy::Everyone; };

    async fn introspection_can_be_opened_to_everyone(app: TestApp) {
        let (_, anonymous) = app.graphql_as(None, "{ __schema { queryType { name } } }", json!({})).await;
        assert_eq!(anonymous["data"]["__schema"]["queryType"]["name"], "QueryRoot", "{anonymous}");
    }
}

both_backends_with! {
    |s| s.graphql.introspection = claimtrack::config::IntrospectionPolicy::Off;

    async fn introspection_can_be_switched_off_for_everyone(app: TestApp) {
        let (_, admin) = app.graphql_as(Some(&app.bearer(Role::Admin)), "{ __schema { queryType { name } } }", json!({})).await;
        assert!(admin["data"]["__schema"].is_null(), "{admin}");
    }
}

crate::both_backends! {
    async fn callers_without_read_access_get_nothing_of_the_schema(app: TestApp) {
        for query in ["{ __schema { types { name } } }", "{ claimz }", "{ __typename }"] {
            let (status, response) = app.graphql_as(None, query, json!({})).await;
            assert_eq!(status, 401, "{query}: {response}");
            assert_eq!(code(&response), "UNAUTHENTICATED");
            assert!(!response.to_string().contains("Did you mean") && !response.to_string().contains("QueryRoot"), "{response}");
        }
        let (status, response) = app.graphql_as(Some("Bearer ct_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), "{ __schema { types { name } } }", json!({})).await;
        assert_eq!((status, code(&response)), (401, "UNAUTHENTICATED"), "{response}");
    }
}

/// Settings for the database-trouble tests: every request looks its key up, and a pool
/// of two that gives up waiting after a second.
fn small_pool(settings: &mut claimtrack::config::Settings) {
    settings.auth.key_cache_secs = 0;
    settings.database.max_connections = 2;
    settings.database.acquire_timeout_secs = 1;
}

both_backends_with! {
    small_pool;

    async fn credentials_that_cannot_be_checked_are_unavailable_not_refused(app: TestApp) {
        use sea_orm::TransactionTrait;
        let admin = app.bearer(Role::Admin);
        // Every connection of the pool taken: the key lookup cannot run.
        let held = [app.state.db.begin().await.unwrap(), app.state.db.begin().await.unwrap()];
        let (status, response) = app.graphql_as(Some(&admin), "{ claims { totalCount } }", json!({})).await;
        assert_eq!(status, 503, "{response}");
        assert_eq!(code(&response), "UNAVAILABLE");
        let (status, headers, problem) = app.rest(reqwest::Method::GET, "/api/v1/claims", Some(Role::Admin), None, &[]).await;
        assert_eq!(status, 503, "{problem}");
        assert_eq!(problem["type"], "/problems/unavailable");
        assert!(headers.contains_key("retry-after"));
        drop(held);
        let (status, response) = app.graphql_as(Some(&admin), "{ claims { totalCount } }", json!({})).await;
        assert_eq!(status, 200, "{response}");
    }
}

/// PostgreSQL: connections the server killed are replaced, and no valid key is refused.
#[actix_web::test]
#[cfg_attr(
    without_postgres,
    ignore = "PostgreSQL variant: set TEST_POSTGRES_URL to run it"
)]
async fn killed_database_connections_are_replaced_without_refusing_keys() {
    let name = format!("claimtrack-test-{}", uuid::Uuid::new_v4().simple());
    let application_name = name.clone();
    let Some(app) = crate::helpers::spawn_app_with(crate::helpers::Backend::Postgres, move |s| {
        s.auth.key_cache_secs = 0;
        s.database.application_name = application_name;
    })
    .await
    else {
        return;
    };
    let viewer = app.bearer(Role::Viewer);
    let (status, _) = app
        .graphql_as(Some(&viewer), "{ claims { totalCount } }", json!({}))
        .await;
    assert_eq!(status, 200);
    let admin_url = std::env::var(crate::helpers::POSTGRES_URL_VAR).unwrap();
    let admin = sea_orm::Database::connect(&admin_url).await.unwrap();
    use sea_orm::ConnectionTrait;
    let killed = admin
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{name}'"),
        ))
        .await
        .unwrap();
    assert!(!killed.is_empty(), "no connection of this app was found");
    admin.close().await.ok();
    // Connections idle for a second are tested before use, so the dead ones are dropped.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    for _ in 0..3 {
        let (status, response) = app
            .graphql_as(Some(&viewer), "{ claims { totalCount } }", json!({}))
            .await;
        assert_eq!(status, 200, "{response}");
        assert_eq!(response["data"]["claims"]["totalCount"], 0);
    }
    app.finish().await;
}

both_backends_with! {
    |s| { s.auth.key_cache_secs = 3600; s.database.max_connections = 2; s.database.acquire_timeout_secs = 1; };

    async fn a_database_failure_is_never_reported_as_bad_input(app: TestApp) {
        use sea_orm::TransactionTrait;
        let prosecutor = app.create_source("GOVERNMENT", "Paris prosecutor").await;
        let claim = app.create_claim(json!({ "kind": "OTHER", "text": "the toll is 129" })).await;
        let checker = app.bearer(Role::Checker);
        let record = "mutation($c: UUID!, $s: UUID!) { recordVerification(claimId: $c, input: { verdict: MOSTLY_TRUE, summary: \"130 later\",
            citations: [{ url: \"https://justice.example/toll\", sourceId: $s, stance: CONTEXT }] }) { id } }";
        let variables = json!({ "c": claim["id"], "s": prosecutor });
        // The checker's key is remembered: the first statement of the write is the cited
        // source's lookup.
        let (status, _) = app.graphql_as(Some(&checker), "{ claims { totalCount } }", json!({})).await;
        assert_eq!(status, 200);
        let held = [app.state.db.begin().await.unwrap(), app.state.db.begin().await.unwrap()];
        let (_, response) = app.graphql_as(Some(&checker), record, variables.clone()).await;
        assert_eq!(code(&response), "UNAVAILABLE", "{response}");
        assert!(!response.to_string().contains("no source"), "{response}");
        drop(held);
        let (_, response) = app.graphql_as(Some(&checker), record, variables).await;
        assert!(response["data"]["recordVerification"]["id"].is_string(), "{response}");
    }
}

crate::both_backends! {
    async fn a_compiled_query_text_is_held_to_the_node_ceiling_at_every_page_size(app: TestApp) {
        let viewer = app.bearer(Role::Viewer);
        let query = "query($n: Int) { claims(first: $n) { nodes { id appearances(first: 100) { nodes { id } } verifications(first: 100) { nodes { id } } } } }";
        // Small pages run (and the text is compiled after its first clean run) ...
        for _ in 0..2 {
            let (status, response) = app.graphql_as(Some(&viewer), query, json!({ "n": 1 })).await;
            assert_eq!(status, 200, "{response}");
            assert!(response.get("errors").is_none(), "{response}");
        }
        // ... the same text with a large page is refused, compiled or not.
        let (status, response) = app.graphql_as(Some(&viewer), query, json!({ "n": 100 })).await;
        assert_eq!((status, code(&response)), (400, "QUERY_TOO_COMPLEX"), "{response}");
        assert_eq!(response["errors"][0]["extensions"]["measure"], "nodes");
    }
}
