//! Hostile requests: malformed bodies, injection strings in every filter, forged and
//! tampered credentials, oversized and deeply nested documents. Whatever comes in, the
//! answer is never a 5xx, never a hang, never a glimpse of the internals, and the server
//! (and everything it stored) is as healthy afterwards as before.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use claimtrack::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{JWT_AUDIENCE, JWT_ISSUER, TestApp};

/// Words that would betray internals (SQL, driver, Rust source, panics) in an answer.
const INTERNALS: [&str; 12] = [
    "SELECT ",
    "INSERT ",
    "sqlx",
    "sea_orm",
    "DbErr",
    "panicked",
    "backtrace",
    ".rs:",
    "src/",
    "constraint",
    "relation \"",
    "syntax error at",
];

/// Every answer must be a clean refusal or a success, quickly, without internals
/// (words the request itself carried, echoed back in a refusal, are no leak).
fn assert_clean(what: &str, status: u16, body: &str, secrets: &[&str]) {
    assert!(status < 500, "{what}: {status} {body}");
    for word in INTERNALS {
        if what.contains(word) || INJECTIONS.iter().any(|i| i.contains(word)) {
            continue;
        }
        assert!(!body.contains(word), "{what}: leaks {word:?}: {body}");
    }
    for secret in secrets {
        assert!(!body.contains(secret), "{what}: leaks a secret: {body}");
    }
}

fn client() -> reqwest::Client {
    // A hang fails the test instead of blocking it.
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn send(request: reqwest::RequestBuilder, what: &str, secrets: &[&str]) -> (u16, String) {
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{what}: no answer: {e:?}"));
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    assert_clean(what, status, &body, secrets);
    (status, body)
}

/// Rows of every table that holds what users stored.
async fn stored(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "sources",
        "articles",
        "claims",
        "appearances",
        "verifications",
        "citations",
        "api_keys",
        "webhook_endpoints",
    ] {
        counts.push(app.count_rows(table).await);
    }
    counts
}

async fn healthy(app: &TestApp) {
    for path in ["/healthz", "/readyz"] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    let data = app
        .gql_ok(
            "{ claims { totalCount } sources { totalCount } }",
            json!({}),
        )
        .await;
    assert!(data["claims"]["totalCount"].as_i64().unwrap() >= 1);
}

const INJECTIONS: [&str; 14] = [
    "' OR '1'='1",
    "'; DROP TABLE claims; --",
    "\") OR 1=1 --",
    "%",
    "_",
    "\\",
    "%_\\%",
    "*/ SELECT pg_sleep(10) /*",
    "${jndi:ldap://x/a}",
    "<script>alert(1)</script>",
    "../../../../etc/passwd",
    "é\u{301}🙂\u{202e}",
    "1e999999",
    "-9223372036854775809",
];

async fn a_newsroom(app: &TestApp) {
    let outlet = app.create_source("OUTLET", "Example Wire").await;
    let speaker = app.create_source("PERSON", "Francois Hollande").await;
    let article = app
        .create_article(
            "https://wire.example/hostile",
            "Hollande said France is at war.",
            Some(outlet),
        )
        .await;
    let claim = app
        .create_claim(
            json!({ "kind": "QUOTE", "text": "France is at war", "speakerId": speaker,
            "appearances": [{ "articleId": article, "excerpt": "France is at war" }] }),
        )
        .await;
    app.record_verification(crate::helpers::id(&claim["id"]), "TRUE")
        .await;
}

both_backends! {
    async fn injection_strings_in_every_filter_are_only_data(app: TestApp) {
        a_newsroom(app).await;
        let before = stored(app).await;
        let viewer = app.bearer(Role::Viewer);
        let http = client();
        // Long values: 10,000 characters in a URL (actix answers longer request lines
        // itself), 100,000 in a GraphQL variable.
        let long_url = "x".repeat(10_000);
        let long_body = "x".repeat(100_000);
        let mut strings: Vec<&str> = INJECTIONS.to_vec();
        strings.push(&long_body);
        for value in &strings {
            let in_url = if value.len() > long_url.len() { long_url.as_str() } else { value };
            let encoded = url::form_urlencoded::byte_serialize(in_url.as_bytes()).collect::<String>();
            for (path, params) in [
                ("/api/v1/claims", vec!["text_contains", "subject", "measure", "status", "kind", "current_verdict", "speaker_id", "article_id", "created_after", "created_before", "cursor", "limit", "sort", "direction"]),
                ("/api/v1/sources", vec!["kind", "name", "cursor", "limit", "sort", "direction"]),
                ("/api/v1/articles", vec!["url", "outlet_id", "language", "published_after", "cursor"]),
                ("/api/v1/quantities", vec!["key", "subject", "measure", "unit"]),
                ("/api/v1/quantity-conflicts", vec!["state", "key", "cursor"]),
                ("/api/v1/export", vec!["since"]),
            ] {
                for param in params {
                    let what = format!("GET {path}?{param}=<{}>", value.chars().take(30).collect::<String>());
                    send(http.get(format!("{}{path}?{param}={encoded}", app.address)).header("authorization", &viewer), &what, &[]).await;
                }
            }
            for (query, variables) in [
                ("query($v: String) { claims(filter: { textContains: $v, subject: $v, measure: $v }) { totalCount } }", json!({ "v": value })),
                ("query($v: String) { sources(filter: { name: $v }) { totalCount } }", json!({ "v": value })),
                ("query($v: String) { articles(filter: { language: $v }) { totalCount } }", json!({ "v": value })),
                ("query($v: String) { quantity(key: $v) { key } }", json!({ "v": value })),
                ("query($v: String) { quantity(subject: $v, measure: $v) { key } }", json!({ "v": value })),
                ("query($v: String!) { article(url: $v) { id } }", json!({ "v": value })),
                ("query($v: String) { claims(after: $v) { totalCount } }", json!({ "v": value })),
                ("query($v: UUID!) { claim(id: $v) { id } }", json!({ "v": value })),
            ] {
                let what = format!("{query} with <{}>", value.chars().take(30).collect::<String>());
                let request = http.post(format!("{}/graphql", app.address)).header("authorization", &viewer).json(&json!({ "query": query, "variables": variables }));
                send(request, &what, &[]).await;
            }
        }
        assert_eq!(stored(app).await, before, "nothing stored was lost or added");
        healthy(app).await;
    }

    async fn malformed_bodies_are_refused_cleanly(app: TestApp) {
        a_newsroom(app).await;
        let before = stored(app).await;
        let editor = app.bearer(Role::Admin);
        let http = client();
        let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let bodies: Vec<Vec<u8>> = vec![
            b"".to_vec(), b"{".to_vec(), b"[".to_vec(), b"null".to_vec(), b"123".to_vec(), b"\"text\"".to_vec(),
            b"{\"query\": 5}".to_vec(), b"{\"query\": null}".to_vec(), b"{\"query\": \"{ __typename }\", \"variables\": 7}".to_vec(),
            b"{\"kind\": \"person\", \"kind\": \"outlet\"}".to_vec(), b"\xef\xbb\xbf{}".to_vec(), b"\xff\xfe\xfd".to_vec(),
            b"{\"name\": \"\\ud800\"}".to_vec(), b"{\"limit\": 1e999999}".to_vec(), b"[[[[[[[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]]]]]]".to_vec(),
            deep_json.into_bytes(), vec![0u8; 4096],
        ];
        let targets = [
            (Method::POST, "/graphql".to_owned()),
            (Method::POST, "/api/v1/sources".to_owned()),
            (Method::POST, "/api/v1/articles".to_owned()),
            (Method::POST, "/api/v1/claims".to_owned()),
            (Method::POST, "/api/v1/webhooks".to_owned()),
            (Method::POST, "/api/v1/import".to_owned()),
            (Method::PATCH, format!("/api/v1/sources/{}", uuid::Uuid::now_v7())),
        ];
        for (method, path) in &targets {
            for body in &bodies {
                for content_type in ["application/json", "application/x-ndjson", "text/plain", "application/json; charset=utf-16"] {
                    let what = format!("{method} {path} as {content_type} with {:?}", String::from_utf8_lossy(&body[..body.len().min(30)]));
                    let request = http
                        .request(method.clone(), format!("{}{path}", app.address))
                        .header("authorization", &editor)
                        .header("content-type", content_type)
                        .header("if-match", "\"1\"")
                        .body(body.clone());
                    send(request, &what, &[]).await;
                }
            }
        }
        assert_eq!(stored(app).await, before);
        healthy(app).await;
    }

    async fn forged_and_tampered_credentials_get_nothing(app: TestApp) {
        a_newsroom(app).await;
        let before = stored(app).await;
        let http = client();
        let admin = app.keys[&Role::Admin].clone();
        let viewer = app.keys[&Role::Viewer].clone();
        let sign = |claims: &Value, secret: &str| {
            jsonwebtoken::encode(
                &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
                claims,
                &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
            )
            .unwrap()
        };
        let exp = chrono::Utc::now().timestamp() + 300;
        let viewer_token = sign(&json!({ "sub": "v", "role": "viewer", "iss": JWT_ISSUER, "aud": JWT_AUDIENCE, "exp": exp }), &app.jwt_secret);
        // The viewer token with its payload changed to admin, the signature kept.
        let parts: Vec<&str> = viewer_token.split('.').collect();
        let forged_payload = URL_SAFE_NO_PAD.encode(json!({ "sub": "v", "role": "admin", "iss": JWT_ISSUER, "aud": JWT_AUDIENCE, "exp": exp }).to_string());
        let tampered = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
        let none_header = URL_SAFE_NO_PAD.encode(json!({ "alg": "none", "typ": "JWT" }).to_string());
        let alg_none = format!("{none_header}.{forged_payload}.");
        let hs_header = URL_SAFE_NO_PAD.encode(json!({ "alg": "HS512", "typ": "JWT" }).to_string());
        let wrong_alg = format!("{hs_header}.{forged_payload}.{}", parts[2]);
        let mut flipped = admin.clone().into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        let other_id = format!("ct_ffffffffffff{}", &admin[15..]);
        let huge = format!("ct_{}", "A".repeat(8000));
        let credentials: Vec<String> = vec![
            format!("Bearer {tampered}"), format!("Bearer {alg_none}"), format!("Bearer {wrong_alg}"),
            format!("Bearer {}", sign(&json!({ "sub": "x", "role": "admin", "iss": JWT_ISSUER, "aud": JWT_AUDIENCE, "exp": exp }), "a-guessed-secret-a-guessed-secret-xx")),
            format!("Bearer {}", sign(&json!({ "sub": "x", "role": "admin", "iss": "https://evil.example", "aud": JWT_AUDIENCE, "exp": exp }), &app.jwt_secret)),
            format!("Bearer {}", sign(&json!({ "sub": "x", "role": "root", "iss": JWT_ISSUER, "aud": JWT_AUDIENCE, "exp": exp }), &app.jwt_secret)),
            format!("Bearer {}", sign(&json!({ "sub": "x", "role": "admin", "iss": JWT_ISSUER, "aud": JWT_AUDIENCE }), &app.jwt_secret)),
            format!("Bearer {flipped}"), format!("Bearer {other_id}"), format!("Bearer {}", &admin[..admin.len() - 5]),
            format!("Bearer {huge}"), format!("Bearer {admin} {admin}"), format!("Token {admin}"),
            "Bearer ".into(), "Bearer \u{7f}".into(), format!("Basic {}", URL_SAFE_NO_PAD.encode(format!("admin:{admin}"))),
            "Bearer ' OR '1'='1".into(), format!("Bearer {viewer}\0"),
        ];
        let secrets = [admin.as_str(), viewer.as_str(), app.jwt_secret.as_str()];
        for credential in &credentials {
            let what = format!("credential {}", credential.chars().take(40).collect::<String>());
            let Ok(header) = reqwest::header::HeaderValue::from_str(credential) else {
                continue;
            };
            // A read, a write and an admin action on both doors: all refused.
            let (status, body) = send(
                http.post(format!("{}/graphql", app.address)).header("authorization", header.clone())
                    .json(&json!({ "query": "mutation { createApiKey(input: { name: \"backdoor\", role: ADMIN }) { secret } }" })),
                &what, &secrets,
            ).await;
            assert_eq!(status, 401, "{what}: {body}");
            let (status, _) = send(http.get(format!("{}/api/v1/claims", app.address)).header("authorization", header.clone()), &what, &secrets).await;
            assert_eq!(status, 401, "{what}");
            let (status, _) = send(
                http.post(format!("{}/api/v1/sources", app.address)).header("authorization", header.clone())
                    .json(&json!({ "kind": "person", "name": "Intruder" })),
                &what, &secrets,
            ).await;
            assert_eq!(status, 401, "{what}");
        }
        // The viewer's own token reads, and can do no more.
        let (status, body) = send(
            http.post(format!("{}/graphql", app.address)).header("authorization", format!("Bearer {viewer_token}"))
                .json(&json!({ "query": "mutation { createSource(input: { kind: PERSON, name: \"x\" }) { id } }" })),
            "viewer token writing", &secrets,
        ).await;
        assert_eq!(status, 200);
        assert!(body.contains("FORBIDDEN"), "{body}");
        assert_eq!(stored(app).await, before);
        healthy(app).await;
    }

    async fn oversized_and_deeply_nested_documents_are_refused_before_they_run(app: TestApp) {
        a_newsroom(app).await;
        let before = stored(app).await;
        let viewer = app.bearer(Role::Viewer);
        let http = client();
        let limit = app.state.settings.server.max_body_bytes;
        let nested_selection = format!("{{ claims {{ edges {{ node {}id{} }} }} }}", "{ speaker { claims { edges { node ".repeat(2000), " } } } }".repeat(2000));
        let nested_braces = format!("{}{}", "{".repeat(50_000), "}".repeat(50_000));
        let nested_input = format!("{{ claims(filter: {}) {{ totalCount }} }}", "{ textContains: ".repeat(10_000) + "\"x\"" + &" }".repeat(10_000));
        let aliases: String = (0..20_000).map(|i| format!("a{i}: __typename ")).collect();
        let directives = "@skip(if: false) ".repeat(20_000);
        let fragments: String = (1..30).map(|i| format!("fragment F{i} on QueryRoot {{ ...F{} ...F{} }}\n", i - 1, i - 1)).collect();
        let operations: String = (0..2000).map(|i| format!("query Q{i} {{ __typename }}\n")).collect();
        let long_name = format!("{{ {} }}", "a".repeat(limit - 100));
        let documents = vec![
            nested_selection, nested_braces, nested_input,
            format!("{{ {aliases} }}"), format!("{{ __typename {directives} }}"),
            format!("query {{ ...F29 }}\nfragment F0 on QueryRoot {{ __typename }}\n{fragments}"),
            operations, long_name,
            format!("{{ claims(first: {}) {{ totalCount }} }}", "9".repeat(400)),
            "{ claims(first: -1) { totalCount } }".into(),
            format!("{{ a: {} }}", "\"".repeat(10_000)),
        ];
        for document in &documents {
            let what = format!("document {}…", document.chars().take(40).collect::<String>());
            let (status, body) = send(
                http.post(format!("{}/graphql", app.address)).header("authorization", &viewer).json(&json!({ "query": document })),
                &what, &[],
            ).await;
            assert!(status == 400 || status == 413 || body.contains("\"errors\""), "{what}: {status} {body}");
            // And over GET.
            if document.len() < 4000 {
                send(http.get(format!("{}/graphql", app.address)).header("authorization", &viewer).query(&[("query", document.as_str())]), &what, &[]).await;
            }
        }
        // A body far over the limit, and a batch over its size.
        let (status, _) = send(
            http.post(format!("{}/graphql", app.address)).header("authorization", &viewer).header("content-type", "application/json").body(vec![b' '; limit * 3]),
            "oversized body", &[],
        ).await;
        assert_eq!(status, 413);
        let batch: Vec<Value> = (0..500).map(|_| json!({ "query": "{ __typename }" })).collect();
        let (status, _) = send(http.post(format!("{}/graphql", app.address)).header("authorization", &viewer).json(&batch), "huge batch", &[]).await;
        assert_eq!(status, 400);
        // Variables that nest or weigh too much.
        let mut deep = json!("x");
        for _ in 0..1000 {
            deep = json!([deep]);
        }
        let (status, _) = send(
            http.post(format!("{}/graphql", app.address)).header("authorization", &viewer).header("content-type", "application/json")
                .body(format!("{{\"query\": \"query($f: ClaimFilterInput) {{ claims(filter: $f) {{ totalCount }} }}\", \"variables\": {{\"f\": {deep}}}}}")),
            "deep variables", &[],
        ).await;
        assert!(status < 500);
        assert_eq!(stored(app).await, before);
        healthy(app).await;
    }
}
