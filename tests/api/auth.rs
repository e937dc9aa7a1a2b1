use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use claimtrack::domain::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, JWT_AUDIENCE, JWT_ISSUER, TestApp, spawn_app_with};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub(crate) fn claims(role: &str, audience: &str, expires_in: i64) -> Value {
    json!({
        "sub": format!("idp-user-{role}"), "role": role, "iss": JWT_ISSUER, "aud": audience,
        "iat": now(), "exp": (now() as i64 + expires_in),
    })
}

pub(crate) fn sign(secret: &str, claims: &Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// A token with `alg: none` and no signature, as an attacker would send it.
fn unsigned(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.")
}

/// What each identity may do: read, verify, edit, admin.
#[derive(Clone, Copy, Debug)]
enum Expect {
    Allowed,
    Forbidden,
    Unauthenticated,
}

const OPERATIONS: [&str; 4] = ["read", "verify", "edit", "admin"];

/// Runs one operation class as `authorization`; returns the error code (None: success)
/// and checks that a refused write changed nothing.
async fn attempt(
    app: &TestApp,
    authorization: Option<&str>,
    operation: &str,
    claim: &Value,
) -> Option<String> {
    let (query, table) = match operation {
        "read" => (
            "{ claims { totalCount edges { node { text speaker { name } } } } }",
            None,
        ),
        "verify" => (
            "mutation($c: UUID!) { recordVerification(claimId: $c, input: { verdict: TRUE, summary: \"checked\" }) { id reviewer { name } } }",
            Some("verifications"),
        ),
        "edit" => (
            "mutation($name: String!) { createSource(input: { kind: PERSON, name: $name }) { id } }",
            Some("sources"),
        ),
        _ => (
            "mutation { createApiKey(input: { name: \"new\", role: VIEWER }) { secret } }",
            Some("api_keys"),
        ),
    };
    let before = match table {
        Some(t) => Some(app.count_rows(t).await),
        None => None,
    };
    let audit_before = app.count_rows("audit_events").await;
    let variables = if operation == "edit" {
        json!({ "name": format!("Someone {}", uuid::Uuid::new_v4()) })
    } else if operation == "verify" {
        json!({ "c": claim["id"] })
    } else {
        json!({})
    };
    let (status, response) = app.graphql_as(authorization, query, variables).await;
    let code = response["errors"][0]["extensions"]["code"]
        .as_str()
        .map(str::to_owned);
    // Callers without access are refused as a whole (401, nothing looked at); a role too
    // low is refused on the field, with the rest of the response intact.
    let expected_status = if code.as_deref() == Some("UNAUTHENTICATED") {
        401
    } else {
        200
    };
    assert_eq!(status, expected_status, "{response}");
    if code.is_some() {
        if let (Some(t), Some(n)) = (table, before) {
            assert_eq!(
                app.count_rows(t).await,
                n,
                "a refused {operation} changed {t}"
            );
        }
        assert_eq!(
            app.count_rows("audit_events").await,
            audit_before,
            "a refused {operation} was audited"
        );
    } else {
        assert!(response["data"].is_object(), "{response}");
    }
    code
}

fn expected_code(expect: Expect) -> Option<String> {
    match expect {
        Expect::Allowed => None,
        Expect::Forbidden => Some("FORBIDDEN".into()),
        Expect::Unauthenticated => Some("UNAUTHENTICATED".into()),
    }
}

both_backends! {
    async fn every_identity_can_do_exactly_what_its_role_allows(app: TestApp) {
        use Expect::*;
        let claim = app.create_claim(json!({ "kind": "OTHER", "text": "a claim to check" })).await;

        // A revoked and an expired key.
        let revoked = app.gql_ok("mutation { createApiKey(input: { name: \"to revoke\", role: ADMIN }) { secret key { id } } }", json!({})).await;
        app.gql_ok("mutation($id: UUID!) { revokeApiKey(id: $id) { revokedAt } }", json!({ "id": revoked["createApiKey"]["key"]["id"] })).await;
        let expired = app.gql_ok("mutation { createApiKey(input: { name: \"to expire\", role: ADMIN, expiresInDays: 1 }) { secret key { id } } }", json!({})).await;
        // No API can back-date an expiry: move it into the past in the table itself.
        let backend = app.state.db.get_database_backend();
        let placeholder = if backend == sea_orm::DbBackend::Postgres { "$1" } else { "?" };
        app.state
            .db
            .execute_raw(Statement::from_sql_and_values(
                backend,
                format!("UPDATE api_keys SET expires_at = {placeholder} WHERE name = 'to expire'"),
                [chrono::Utc::now().checked_sub_signed(chrono::Duration::hours(1)).unwrap().into()],
            ))
            .await
            .unwrap();
        let bearer = |secret: &Value| format!("Bearer {}", secret.as_str().unwrap());

        let identities: Vec<(&str, Option<String>, [Expect; 4])> = vec![
            ("viewer key", Some(app.bearer(Role::Viewer)), [Allowed, Forbidden, Forbidden, Forbidden]),
            ("checker key", Some(app.bearer(Role::Checker)), [Allowed, Allowed, Forbidden, Forbidden]),
            ("editor key", Some(app.bearer(Role::Editor)), [Allowed, Allowed, Allowed, Forbidden]),
            ("admin key", Some(app.bearer(Role::Admin)), [Allowed, Allowed, Allowed, Allowed]),
            ("viewer JWT", Some(format!("Bearer {}", sign(&app.jwt_secret, &claims("viewer", JWT_AUDIENCE, 300)))), [Allowed, Forbidden, Forbidden, Forbidden]),
            ("checker JWT", Some(format!("Bearer {}", sign(&app.jwt_secret, &claims("checker", JWT_AUDIENCE, 300)))), [Allowed, Allowed, Forbidden, Forbidden]),
            ("editor JWT", Some(format!("Bearer {}", sign(&app.jwt_secret, &claims("editor", JWT_AUDIENCE, 300)))), [Allowed, Allowed, Allowed, Forbidden]),
            ("anonymous", None, [Unauthenticated; 4]),
            ("revoked key", Some(bearer(&revoked["createApiKey"]["secret"])), [Unauthenticated; 4]),
            ("expired key", Some(bearer(&expired["createApiKey"]["secret"])), [Unauthenticated; 4]),
            ("unknown key", Some("Bearer ct_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into()), [Unauthenticated; 4]),
            ("forged JWT", Some(format!("Bearer {}", sign("not-the-secret-not-the-secret-xx", &claims("admin", JWT_AUDIENCE, 300)))), [Unauthenticated; 4]),
            ("alg-none JWT", Some(format!("Bearer {}", unsigned(&claims("admin", JWT_AUDIENCE, 300)))), [Unauthenticated; 4]),
            ("expired JWT", Some(format!("Bearer {}", sign(&app.jwt_secret, &claims("admin", JWT_AUDIENCE, -600)))), [Unauthenticated; 4]),
            ("wrong-audience JWT", Some(format!("Bearer {}", sign(&app.jwt_secret, &claims("admin", "someone-else", 300)))), [Unauthenticated; 4]),
            ("JWT without role", Some(format!("Bearer {}", sign(&app.jwt_secret, &json!({ "sub": "x", "iss": JWT_ISSUER, "aud": JWT_AUDIENCE, "exp": now() + 300 })))), [Unauthenticated; 4]),
            ("basic auth header", Some("Basic YWRtaW46YWRtaW4=".into()), [Unauthenticated; 4]),
            ("empty bearer", Some("Bearer ".into()), [Unauthenticated; 4]),
            ("bearer with spaces", Some(format!("{} extra", app.bearer(Role::Admin))), [Unauthenticated; 4]),
        ];
        for (name, authorization, expectations) in identities {
            for (operation, expect) in OPERATIONS.iter().zip(expectations) {
                let code = attempt(app, authorization.as_deref(), operation, &claim).await;
                assert_eq!(code, expected_code(expect), "{name} doing {operation}");
            }
        }
    }

    async fn verifications_and_audit_events_name_the_acting_principal(app: TestApp) {
        let claim = app.create_claim(json!({ "kind": "OTHER", "text": "attributed" })).await;
        let (_, by_key) = app
            .graphql_as(
                Some(&app.bearer(Role::Checker)),
                "mutation($c: UUID!) { recordVerification(claimId: $c, input: { verdict: FALSE, summary: \"s\" }) { reviewer { id name } reviewerName } }",
                json!({ "c": claim["id"] }),
            )
            .await;
        let reviewer = &by_key["data"]["recordVerification"]["reviewer"];
        assert_eq!(reviewer["name"], "test checker");
        let keys = app.gql_ok("{ apiKeys { principalId name } }", json!({})).await;
        let checker = keys["apiKeys"].as_array().unwrap().iter().find(|k| k["name"] == "test checker").unwrap();
        assert_eq!(reviewer["id"], checker["principalId"]);

        let token = sign(&app.jwt_secret, &claims("checker", JWT_AUDIENCE, 300));
        let (_, by_token) = app
            .graphql_as(
                Some(&format!("Bearer {token}")),
                "mutation($c: UUID!) { recordVerification(claimId: $c, input: { verdict: TRUE, summary: \"s\" }) { reviewer { id name } } }",
                json!({ "c": claim["id"] }),
            )
            .await;
        assert_eq!(by_token["data"]["recordVerification"]["reviewer"], json!({ "id": null, "name": "jwt:idp-user-checker" }));

        let trail = app
            .gql_ok("query($id: UUID!) { claim(id: $id) { auditTrail { edges { node { actorName principalId operation } } } } }", json!({ "id": claim["id"] }))
            .await;
        let actors: Vec<&str> = trail["claim"]["auditTrail"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["actorName"].as_str().unwrap()).collect();
        assert_eq!(actors, ["test admin", "test checker", "jwt:idp-user-checker"]);
        assert_eq!(trail["claim"]["auditTrail"]["edges"][1]["node"]["principalId"], checker["principalId"]);
    }

    async fn key_secrets_are_stored_only_as_digests(app: TestApp) {
        let created = app.gql_ok("mutation { createApiKey(input: { name: \"dashboard\", role: VIEWER }) { secret key { keyId name role } } }", json!({})).await;
        let secret = created["createApiKey"]["secret"].as_str().unwrap().to_owned();
        let key_id = created["createApiKey"]["key"]["keyId"].as_str().unwrap();
        assert!(secret.starts_with(&format!("ct_{key_id}_")), "{secret}");
        assert!(secret.len() >= 3 + 12 + 1 + 43, "at least 256 random bits: {secret}");

        let backend = app.state.db.get_database_backend();
        let sql = if backend == sea_orm::DbBackend::Postgres {
            "SELECT row_to_json(api_keys)::text AS row FROM api_keys"
        } else {
            "SELECT key_id || ' ' || secret_hash || ' ' || name AS row FROM api_keys"
        };
        let rows = app.state.db.query_all_raw(Statement::from_string(backend, sql)).await.unwrap();
        assert_eq!(rows.len(), 5);
        let mut digest_found = false;
        for row in rows {
            let text = row.try_get::<String>("", "row").unwrap_or_default();
            for (_, known) in app.keys.iter() {
                assert!(!text.contains(known.as_str()), "a secret is stored in clear");
            }
            assert!(!text.contains(&secret), "a secret is stored in clear: {text}");
            digest_found |= text.contains(&claimtrack::service::keys::digest(&secret));
        }
        assert!(digest_found, "the new key's digest is stored");
        // The secret is not retrievable afterwards.
        let listed = app.gql_ok("{ apiKeys { keyId name } }", json!({})).await;
        assert!(!listed.to_string().contains(&secret));
    }

    async fn a_revoked_key_stops_working_at_once(app: TestApp) {
        let created = app.gql_ok("mutation { createApiKey(input: { name: \"short-lived\", role: VIEWER }) { secret key { id } } }", json!({})).await;
        let bearer = format!("Bearer {}", created["createApiKey"]["secret"].as_str().unwrap());
        let (_, before) = app.graphql_as(Some(&bearer), "{ claims { totalCount } }", json!({})).await;
        assert_eq!(before["data"]["claims"]["totalCount"], 0);
        app.gql_ok("mutation($id: UUID!) { revokeApiKey(id: $id) { revokedAt } }", json!({ "id": created["createApiKey"]["key"]["id"] })).await;
        let (_, after) = app.graphql_as(Some(&bearer), "{ claims { totalCount } }", json!({})).await;
        assert_eq!(after["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        let again = app.gql_error("mutation($id: UUID!) { revokeApiKey(id: $id) { revokedAt } }", json!({ "id": created["createApiKey"]["key"]["id"] })).await;
        assert_eq!(again.0, "CONFLICT");
        let listed = app.gql_ok("{ apiKeys { name revokedAt lastUsedAt } }", json!({})).await;
        let key = listed["apiKeys"].as_array().unwrap().iter().find(|k| k["name"] == "short-lived").unwrap().clone();
        assert!(key["revokedAt"].is_string() && key["lastUsedAt"].is_string(), "{key}");
    }

    async fn a_key_revoked_here_stops_working_on_another_instance_that_remembered_it(app: TestApp) {
        // Only the revocation's outbox event, brought by NOTIFY (or SQLite's poll), can
        // make the other instance forget the key in time.
        let (other, _process) = remembering_instance(app).await;
        let created = app.gql_ok("mutation { createApiKey(input: { name: \"remembered\", role: VIEWER }) { secret key { id } } }", json!({})).await;
        let bearer = format!("Bearer {}", created["createApiKey"]["secret"].as_str().unwrap());
        assert_eq!(count_claims(&other, &bearer).await["data"]["claims"]["totalCount"], 0, "accepted, and remembered");
        app.gql_ok("mutation($id: UUID!) { revokeApiKey(id: $id) { revokedAt } }", json!({ "id": created["createApiKey"]["key"]["id"] })).await;
        let refused = refused_within_ten_seconds(&other, &bearer).await;
        assert!(refused, "the other instance still accepts the revoked key");
    }

    async fn a_refused_field_does_not_take_the_rest_of_the_response_with_it(app: TestApp) {
        app.create_claim(json!({ "kind": "OTHER", "text": "visible" })).await;
        let (_, response) = app
            .graphql_as(Some(&app.bearer(Role::Viewer)), "{ claims { totalCount } apiKeys { id } }", json!({}))
            .await;
        assert_eq!(response["data"]["claims"]["totalCount"], 1);
        assert_eq!(response["data"]["apiKeys"], Value::Null);
        assert_eq!(response["errors"][0]["extensions"]["code"], "FORBIDDEN");
        assert_eq!(response["errors"][0]["path"], json!(["apiKeys"]));
    }

    async fn refusals_never_tell_whether_a_key_exists(app: TestApp) {
        let created = app.gql_ok("mutation { createApiKey(input: { name: \"x\", role: VIEWER }) { secret key { id } } }", json!({})).await;
        app.gql_ok("mutation($id: UUID!) { revokeApiKey(id: $id) { id } }", json!({ "id": created["createApiKey"]["key"]["id"] })).await;
        let revoked = format!("Bearer {}", created["createApiKey"]["secret"].as_str().unwrap());
        let unknown = "Bearer ct_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned();
        let (_, a) = app.graphql_as(Some(&revoked), "{ claims { totalCount } }", json!({})).await;
        let (_, b) = app.graphql_as(Some(&unknown), "{ claims { totalCount } }", json!({})).await;
        assert_eq!(a["errors"][0]["message"], b["errors"][0]["message"]);
        assert_eq!(a["errors"][0]["extensions"], b["errors"][0]["extensions"]);
    }
}

both_backends! {
    async fn anonymous_reads_can_be_switched_on_but_never_anonymous_writes(app: TestApp) {
        // This app was started with the default (off): reads need a key.
        let (_, off) = app.graphql_as(None, "{ claims { totalCount } }", json!({})).await;
        assert_eq!(off["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        // /healthz and /readyz never need one.
        let health = app.client.get(format!("{}/healthz", app.address)).send().await.unwrap();
        assert_eq!(health.status(), 200);
    }
}

async fn anonymous_reads_on(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| s.auth.anonymous_reads = true).await else {
        return;
    };
    app.create_claim(json!({ "kind": "OTHER", "text": "public" }))
        .await;
    let (_, read) = app
        .graphql_as(None, "{ claims { totalCount } }", json!({}))
        .await;
    assert_eq!(read["data"]["claims"]["totalCount"], 1, "{read}");
    let (_, write) = app
        .graphql_as(
            None,
            "mutation { createSource(input: { kind: PERSON, name: \"anon\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(write["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    // Bad credentials are refused, not downgraded to anonymous reads.
    let (_, bad) = app
        .graphql_as(
            Some("Bearer ct_nope"),
            "{ claims { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert_eq!(app.count_rows("sources").await, 0);
    app.finish().await;
}

#[actix_web::test]
async fn anonymous_reads_when_switched_on_sqlite() {
    anonymous_reads_on(Backend::Sqlite).await;
}

#[actix_web::test]
#[cfg_attr(
    without_postgres,
    ignore = "PostgreSQL variant: set TEST_POSTGRES_URL to run it"
)]
async fn anonymous_reads_when_switched_on_postgres() {
    anonymous_reads_on(Backend::Postgres).await;
}

async fn burst_over_budget(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| {
        s.rate_limit.burst = 5;
        s.rate_limit.requests_per_minute = 1;
    })
    .await
    else {
        return;
    };
    let viewer = app.bearer(Role::Viewer);
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("authorization", &viewer)
            .json(&json!({ "query": "{ claims { totalCount } }" }))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            let retry_after: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(retry_after >= 1, "{retry_after}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
        }
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429]);
    // Another principal has its own budget.
    let (status, other) = app
        .graphql_as(
            Some(&app.bearer(Role::Checker)),
            "{ claims { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        (status, &other["data"]["claims"]["totalCount"]),
        (200, &json!(0))
    );
    app.finish().await;
}

#[actix_web::test]
async fn a_burst_over_the_budget_is_rate_limited_per_principal_sqlite() {
    burst_over_budget(Backend::Sqlite).await;
}

#[actix_web::test]
#[cfg_attr(
    without_postgres,
    ignore = "PostgreSQL variant: set TEST_POSTGRES_URL to run it"
)]
async fn a_burst_over_the_budget_is_rate_limited_per_principal_postgres() {
    burst_over_budget(Backend::Postgres).await;
}

#[actix_web::test]
async fn cors_allows_only_configured_origins() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.cors.allowed_origins = vec!["https://dashboard.example".into()]
    })
    .await
    .unwrap();
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let allowed = preflight("https://dashboard.example").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://dashboard.example"
    );
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        !refused
            .headers()
            .contains_key("access-control-allow-origin")
    );
    app.finish().await;
}

#[actix_web::test]
async fn first_start_creates_an_admin_key_only_when_none_is_usable() {
    let app = spawn_app_with(Backend::Sqlite, |_| {}).await.unwrap();
    // The harness already made an admin key.
    assert!(
        claimtrack::service::keys::ensure_admin_key(&app.state.db)
            .await
            .unwrap()
            .is_none()
    );
    let operator = claimtrack::domain::Actor::system("test");
    let keys = claimtrack::service::keys::list(&app.state.db, &operator)
        .await
        .unwrap();
    for record in keys.iter().filter(|k| k.role == Role::Admin) {
        claimtrack::service::keys::revoke(&app.state.db, &operator, &record.key.id.to_string())
            .await
            .unwrap();
    }
    let created = claimtrack::service::keys::ensure_admin_key(&app.state.db)
        .await
        .unwrap()
        .expect("a new admin key");
    let (_, works) = app
        .graphql_as(
            Some(&format!("Bearer {}", created.secret)),
            "{ apiKeys { id } }",
            json!({}),
        )
        .await;
    assert!(works["data"]["apiKeys"].is_array(), "{works}");
    app.finish().await;
}

async fn es256_tokens(backend: Backend) {
    use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let key = p256::SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
    let private_pem = key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let public_pem = key.public_key().to_public_key_pem(LineEnding::LF).unwrap();
    let other = p256::SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
    let other_pem = other.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let configured = public_pem.clone();
    let Some(app) = spawn_app_with(backend, move |s| {
        s.auth.jwt.algorithm = claimtrack::config::JwtAlgorithm::ES256;
        s.auth.jwt.secret = String::new();
        s.auth.jwt.public_key_pem = configured;
    })
    .await
    else {
        return;
    };
    let es256 = |pem: &str| {
        let token = encode(
            &Header::new(Algorithm::ES256),
            &claims("editor", JWT_AUDIENCE, 300),
            &EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
        )
        .unwrap();
        format!("Bearer {token}")
    };
    let query =
        "mutation { createSource(input: { kind: GROUP, name: \"Western officials\" }) { id } }";
    let (_, signed) = app
        .graphql_as(Some(&es256(&private_pem)), query, json!({}))
        .await;
    assert!(signed["data"]["createSource"]["id"].is_string(), "{signed}");
    let (_, wrong_key) = app
        .graphql_as(
            Some(&es256(&other_pem)),
            "{ claims { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        wrong_key["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    // Algorithm confusion: an HS256 token "signed" with the public key as the secret.
    let confused = sign(&public_pem, &claims("admin", JWT_AUDIENCE, 300));
    let (_, confusion) = app
        .graphql_as(
            Some(&format!("Bearer {confused}")),
            "{ claims { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        confusion["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    assert_eq!(app.count_rows("sources").await, 1);
    app.finish().await;
}

#[actix_web::test]
async fn es256_tokens_from_the_identity_provider_are_verified_with_its_public_key_sqlite() {
    es256_tokens(Backend::Sqlite).await;
}

#[actix_web::test]
#[cfg_attr(
    without_postgres,
    ignore = "PostgreSQL variant: set TEST_POSTGRES_URL to run it"
)]
async fn es256_tokens_from_the_identity_provider_are_verified_with_its_public_key_postgres() {
    es256_tokens(Backend::Postgres).await;
}

/// This instance reads the outbox for webhooks once a minute only: a dispatch finding
/// the revocation would otherwise wake its readers, and their NOTIFY the other instance.
fn slow_dispatch(settings: &mut claimtrack::config::Settings) {
    settings.webhooks.poll_interval_ms = 60_000;
}

crate::both_backends_with! {
    slow_dispatch;

    async fn a_key_revoked_from_the_command_line_stops_working_on_a_running_instance(app: TestApp) {
        // Only the notification the command sends when done can bring the revocation to
        // the running instance in time. The key exists before that instance starts, so no
        // event about it but the revocation can reach it.
        let created = app.gql_ok("mutation { createApiKey(input: { name: \"operator-revoked\", role: VIEWER }) { secret key { id } } }", json!({})).await;
        let (other, _process) = remembering_instance(app).await;
        let bearer = format!("Bearer {}", created["createApiKey"]["secret"].as_str().unwrap());
        assert_eq!(count_claims(&other, &bearer).await["data"]["claims"]["totalCount"], 0, "accepted, and remembered");
        let key_id = created["createApiKey"]["key"]["id"].as_str().unwrap();
        let printed = app.cli(&["keys", "revoke", key_id]).await;
        assert!(printed.contains("revoked key"), "{printed}");
        let refused = refused_within_ten_seconds(&other, &bearer).await;
        assert!(refused, "the running instance still accepts the key revoked from the command line");
    }
}

/// `{ claims { totalCount } }` asked of the instance at `address` with `bearer`.
async fn count_claims(address: &str, bearer: &str) -> Value {
    reqwest::Client::new()
        .post(format!("{address}/graphql"))
        .header("authorization", bearer)
        .json(&json!({ "query": "{ claims { totalCount } }" }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()
}

/// Whether the instance at `address` refuses `bearer` within ten seconds.
async fn refused_within_ten_seconds(address: &str, bearer: &str) -> bool {
    for _ in 0..100 {
        if count_claims(address, bearer).await["errors"][0]["extensions"]["code"]
            == "UNAUTHENTICATED"
        {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// `claimtrack serve` in a process of its own (nothing in this one can make it forget)
/// that remembers accepted keys for ten minutes and, on PostgreSQL, reads the outbox once
/// a minute only (live relay and webhook dispatcher): a revocation reaches it in time
/// only through a notification. Its address, and the guard that stops it.
async fn remembering_instance(app: &TestApp) -> (String, crate::helpers::ProcessGuard) {
    let poll = match app.state.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "60000",
        _ => "200",
    };
    app.separate_process(&[
        ("CLAIMTRACK_AUTH__KEY_CACHE_SECS", "600"),
        ("CLAIMTRACK_LIVE__POLL_INTERVAL_MS", poll),
        ("CLAIMTRACK_LIVE__SAFETY_POLL_SECS", "600"),
        ("CLAIMTRACK_WEBHOOKS__POLL_INTERVAL_MS", poll),
    ])
    .await
}

/// The first admin key reaches the operator and never the log stream: with stderr not a
/// terminal (a service manager, a container), it goes to a file only this user can read,
/// and the JSON log says where, without the secret.
async fn first_admin_key_stays_out_of_the_logs(backend: Backend) {
    use std::io::{BufRead, BufReader};
    let Some(app) = spawn_app_with(backend, |_| {}).await else {
        return;
    };
    // No usable admin key left: the next `serve` makes one.
    let operator = claimtrack::domain::Actor::system("test");
    for record in claimtrack::service::keys::list(&app.state.db, &operator)
        .await
        .unwrap()
        .iter()
        .filter(|k| k.role == Role::Admin)
    {
        claimtrack::service::keys::revoke(&app.state.db, &operator, &record.key.id.to_string())
            .await
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("admin-key");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let mut command = app.command();
    command
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("CLAIMTRACK_LOG__FORMAT", "json")
        .env("CLAIMTRACK_LOG__LEVEL", "info")
        .env("CLAIMTRACK_AUTH__BOOTSTRAP_KEY_FILE", &key_file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let guard = crate::helpers::ProcessGuard::new(child);
    let address = format!("http://127.0.0.1:{port}");
    let mut ready = false;
    for _ in 0..200 {
        if let Ok(response) = app.client.get(format!("{address}/readyz")).send().await
            && response.status().is_success()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ready, "serve did not become ready");
    drop(guard);
    let lines: Vec<String> = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .collect();
    let secret = std::fs::read_to_string(&key_file)
        .expect("the key file")
        .trim()
        .to_owned();
    assert!(secret.starts_with("ct_"), "{secret}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert!(!lines.is_empty());
    for line in &lines {
        let parsed: Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON log line: {line}"));
        assert!(
            !line.contains(&secret) && !line.contains("ct_"),
            "the secret in the log: {line}"
        );
        let _ = parsed;
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&*key_file.to_string_lossy())),
        "the log says where the key went: {lines:#?}"
    );
    // The key works.
    let (status, body) = app
        .graphql_as(
            Some(&format!("Bearer {secret}")),
            "{ apiKeys { id } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["apiKeys"].is_array(), "{body}");
    app.finish().await;
}

#[actix_web::test]
async fn the_first_admin_key_stays_out_of_the_logs_sqlite() {
    first_admin_key_stays_out_of_the_logs(Backend::Sqlite).await;
}

#[actix_web::test]
#[cfg_attr(
    without_postgres,
    ignore = "PostgreSQL variant: set TEST_POSTGRES_URL to run it"
)]
async fn the_first_admin_key_stays_out_of_the_logs_postgres() {
    first_admin_key_stays_out_of_the_logs(Backend::Postgres).await;
}
