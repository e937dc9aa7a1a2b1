//! The test harness: spawn_app(backend) → TestApp, plus request helpers and fixtures.

use std::time::{SystemTime, UNIX_EPOCH};

use std::collections::HashMap;

use claimtrack::config::Settings;
use claimtrack::domain::{Actor, Role};
use claimtrack::startup::Application;
use claimtrack::state::AppState;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{Value, json};
use tempfile::TempDir;
use uuid::Uuid;

/// The variable that turns the PostgreSQL half of the suite on (outside the app's
/// CLAIMTRACK_ prefix, so the app never reads it).
pub const POSTGRES_URL_VAR: &str = "TEST_POSTGRES_URL";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Stamps each test body into a `sqlite` and a `postgres` test.
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($app:ident: TestApp) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($app: &$crate::helpers::TestApp) $body

                #[actix_web::test]
                async fn sqlite() {
                    let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await.unwrap();
                    run(&app).await;
                    app.finish().await;
                }

                #[actix_web::test]
                #[cfg_attr(without_postgres, ignore = "PostgreSQL variant: set TEST_POSTGRES_URL to run it")]
                async fn postgres() {
                    let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await else {
                        return;
                    };
                    run(&app).await;
                    app.finish().await;
                }
            }
        )*
    };
}

/// As `both_backends!`, with settings changed by `$configure` (a `fn(&mut Settings)`).
#[macro_export]
macro_rules! both_backends_with {
    ($configure:expr; $(async fn $name:ident($app:ident: TestApp) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($app: &$crate::helpers::TestApp) $body

                #[actix_web::test]
                async fn sqlite() {
                    let app = $crate::helpers::spawn_app_with($crate::helpers::Backend::Sqlite, $configure).await.unwrap();
                    run(&app).await;
                    app.finish().await;
                }

                #[actix_web::test]
                #[cfg_attr(without_postgres, ignore = "PostgreSQL variant: set TEST_POSTGRES_URL to run it")]
                async fn postgres() {
                    let Some(app) = $crate::helpers::spawn_app_with($crate::helpers::Backend::Postgres, $configure).await else {
                        return;
                    };
                    run(&app).await;
                    app.finish().await;
                }
            }
        )*
    };
}

/// Settings for tests that count statements: accepted keys are remembered for the
/// whole test, so authentication costs none of the counted statements.
pub fn counting(settings: &mut claimtrack::config::Settings) {
    settings.auth.key_cache_secs = 3600;
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    /// One API key secret per role, created through the service layer.
    pub keys: HashMap<Role, String>,
    /// The HS256 secret the app accepts JWTs signed with.
    pub jwt_secret: String,
    /// The GraphQL door (its planner tells which requests it answered).
    pub door: actix_web::web::Data<claimtrack::graphql::Door>,
    server: actix_web::dev::ServerHandle,
    hub: claimtrack::live::Hub,
    cleanup: Option<Cleanup>,
}

/// An application instance started by a test.
pub struct Instance {
    server: actix_web::dev::ServerHandle,
    state: AppState,
    hub: claimtrack::live::Hub,
}

impl Instance {
    /// Stops serving and stops its background tasks (their pools are closed, the outbox
    /// reader's connection too).
    pub async fn stop(self) {
        self.server.stop(false).await;
        self.hub.stop().await;
        self.state.background.clone().close().await.ok();
        self.state.db.clone().close().await.ok();
    }
}

/// Kills a process started by a test when the test is done, passed or not.
pub struct ProcessGuard(std::process::Child);

impl ProcessGuard {
    pub fn new(child: std::process::Child) -> Self {
        Self(child)
    }
}

impl Drop for ProcessGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What to remove when a test is done.
enum Cleanup {
    SqliteDir(#[allow(dead_code)] TempDir),
    PostgresSchema { admin_url: String, schema: String },
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Starts the app on a random port with a fresh database. `None` when the backend is
/// PostgreSQL and TEST_POSTGRES_URL is unset (the test is skipped with one line).
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// The JWT issuer and audience the test apps accept.
pub const JWT_ISSUER: &str = "https://idp.test";
pub const JWT_AUDIENCE: &str = "claimtrack-test";

/// As `spawn_app`, with settings adjusted by `configure` before the app starts.
pub async fn spawn_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    let mut settings = Settings::defaults().expect("built-in settings");
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.workers = 1;
    settings.database.max_connections = 5;
    settings.database.min_connections = 0;
    // Tests fire requests fast; the rate-limit tests set their own budget.
    settings.rate_limit.burst = 1_000_000;
    settings.auth.bootstrap_admin_key = false;
    let jwt_secret = format!("test-secret-{}", Uuid::new_v4().simple());
    settings.auth.jwt.enabled = true;
    settings.auth.jwt.secret = jwt_secret.clone();
    settings.auth.jwt.issuer = JWT_ISSUER.into();
    settings.auth.jwt.audience = JWT_AUDIENCE.into();
    settings.public.base_url = "https://factcheck.example".into();
    settings.public.organization_name = "Test Checks".into();
    settings.public.organization_url = "https://factcheck.example".into();
    if std::env::var_os("TEST_LOG").is_some() {
        claimtrack::telemetry::init(&settings.log);
    }
    let cleanup = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            settings.database.url = format!("sqlite://{}", dir.path().join("test.db").display());
            Cleanup::SqliteDir(dir)
        }
        Backend::Postgres => {
            let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
                eprintln!("skipped on PostgreSQL: set {POSTGRES_URL_VAR} to run it");
                return None;
            };
            let schema = create_schema(&admin_url).await;
            settings.database.url = admin_url.clone();
            settings.database.schema = Some(schema.clone());
            Cleanup::PostgresSchema { admin_url, schema }
        }
    };
    configure(&mut settings);
    let app = Application::build(settings)
        .await
        .expect("application starts");
    let mut keys = HashMap::new();
    for role in Role::ALL {
        let name = format!("test {role}");
        let created = claimtrack::service::keys::create(
            &app.state().db,
            &Actor::system("test"),
            &name,
            *role,
            None,
        )
        .await
        .expect("key created");
        keys.insert(*role, created.secret);
    }
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    let server = app.handle();
    let hub = app.hub().clone();
    let door = app.door().clone();
    actix_web::rt::spawn(app.run_until_stopped());
    Some(TestApp {
        door,
        address,
        client: reqwest::Client::new(),
        state,
        keys,
        jwt_secret,
        server,
        hub,
        cleanup: Some(cleanup),
    })
}

/// Creates a fresh schema `t_<unix seconds>_<random>`; sweeps ones left over an hour ago
/// by tests that panicked. Fails (never skips) when the server is unreachable.
async fn create_schema(admin_url: &str) -> String {
    let admin = Database::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR} is set but PostgreSQL is unreachable: {e}"));
    let now = unix_seconds();
    let leftovers = admin
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%'",
        ))
        .await
        .expect("list schemas");
    for row in leftovers {
        let name: String = row.try_get("", "nspname").expect("schema name");
        let created = name.split('_').nth(1).and_then(|s| s.parse::<u64>().ok());
        if created.is_some_and(|at| at + 3600 < now) {
            let _ = admin
                .execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"))
                .await;
        }
    }
    let schema = format!("t_{now}_{}", Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
        .await
        .expect("create schema");
    admin.close().await.ok();
    schema
}

impl TestApp {
    /// Starts another instance of the app on the same database (as a second server
    /// behind a load balancer would be); returns its address and a handle to stop it.
    pub async fn second_instance(&self) -> (String, Instance) {
        let mut settings = (*self.state.settings).clone();
        settings.server.bind = "127.0.0.1:0".into();
        let app = Application::build(settings)
            .await
            .expect("second instance starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let instance = Instance {
            server: app.handle(),
            state: app.state().clone(),
            hub: app.hub().clone(),
        };
        actix_web::rt::spawn(app.run_until_stopped());
        (address, instance)
    }

    /// Stops this instance as a restart would (server and background work), keeping
    /// its database for what the test does next.
    pub async fn stop_instance(&self) {
        Instance {
            server: self.server.clone(),
            state: self.state.clone(),
            hub: self.hub.clone(),
        }
        .stop()
        .await;
    }

    /// Starts `claimtrack serve` as a separate process on the same database, as another
    /// machine behind a load balancer would run it (nothing shared in memory with this
    /// one), with extra `CLAIMTRACK_*` settings; it is killed when the guard drops.
    pub async fn separate_process(&self, env: &[(&str, &str)]) -> (String, ProcessGuard) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut command = self.command();
        command
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("CLAIMTRACK_AUTH__BOOTSTRAP_ADMIN_KEY", "false")
            .stdout(std::process::Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        let guard = ProcessGuard(command.spawn().expect("claimtrack serve starts"));
        let address = format!("http://127.0.0.1:{port}");
        for _ in 0..200 {
            if let Ok(response) = self.client.get(format!("{address}/readyz")).send().await
                && response.status().is_success()
            {
                return (address, guard);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the separate claimtrack process did not become ready");
    }

    /// Runs a `claimtrack` command on this app's database, as an operator would on
    /// another machine; returns what it printed, failing the test if the command failed.
    pub async fn cli(&self, args: &[&str]) -> String {
        let mut command = self.command();
        command.args(args);
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .unwrap()
            .expect("claimtrack runs");
        assert!(
            output.status.success(),
            "claimtrack {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// The `claimtrack` binary, set to this app's database and no configuration files.
    pub fn command(&self) -> std::process::Command {
        let settings = &self.state.settings;
        let mut command = std::process::Command::new(
            // Set for the service's own tests (this harness is shared with the benchmark's).
            match option_env!("CARGO_BIN_EXE_claimtrack") {
                Some(binary) => binary,
                None => panic!("the claimtrack binary is known to the service's tests only"),
            },
        );
        command
            .env("CLAIMTRACK_DATABASE__URL", &settings.database.url)
            .env("CLAIMTRACK_LOG__LEVEL", "warn")
            .env("CLAIMTRACK_CONFIG_DIR", "/nonexistent");
        if let Some(schema) = &settings.database.schema {
            command.env("CLAIMTRACK_DATABASE__SCHEMA", schema);
        }
        command
    }

    /// Stops the server and removes the test's database.
    pub async fn finish(mut self) {
        self.server.stop(false).await;
        self.hub.stop().await;
        self.state.db.clone().close().await.ok();
        self.state.background.clone().close().await.ok();
        if let Some(Cleanup::PostgresSchema { admin_url, schema }) = self.cleanup.take()
            && let Ok(admin) = Database::connect(&admin_url).await
        {
            let _ = admin
                .execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                .await;
            admin.close().await.ok();
        }
    }

    /// POSTs a GraphQL request as the admin and returns the whole response body.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.graphql_as(Some(&self.bearer(Role::Admin)), query, variables)
            .await
            .1
    }

    /// `Bearer <key>` for a role's key.
    pub fn bearer(&self, role: Role) -> String {
        format!("Bearer {}", self.keys[&role])
    }

    /// POSTs a GraphQL request with the given Authorization header (or none).
    pub async fn graphql_as(
        &self,
        authorization: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON response"))
    }

    /// A REST request with a role's key (or none); returns status, headers and JSON body.
    pub async fn rest(
        &self,
        method: reqwest::Method,
        path: &str,
        role: Option<Role>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(role) = role {
            request = request.header("authorization", self.bearer(role));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, headers, json)
    }

    /// A GET request as the admin.
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .get(format!("{}{path}", self.address))
            .header("authorization", self.bearer(Role::Admin))
    }

    /// As `graphql`, asserting that there were no errors; returns `data`.
    pub async fn gql_ok(&self, query: &str, variables: Value) -> Value {
        let response = self.graphql(query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        response["data"].clone()
    }

    /// As `graphql`, asserting an error; returns its `extensions.code`.
    pub async fn gql_error(&self, query: &str, variables: Value) -> (String, Value) {
        let response = self.graphql(query, variables).await;
        let error = response["errors"][0].clone();
        assert!(!error.is_null(), "expected an error: {response:#}");
        let code = error["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        (code, error)
    }

    pub fn statements(&self) -> u64 {
        self.state.statements.get()
    }

    /// Subscriptions following this application's outbox now.
    pub fn subscribers(&self) -> usize {
        self.hub.subscribers()
    }

    /// Waits until at least `count` subscriptions follow the outbox (ten seconds at most).
    pub async fn await_subscribers(&self, count: usize) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.hub.subscribers() < count {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{count} subscriptions never registered (now {})",
                self.hub.subscribers()
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    /// Requests the query planner has answered so far (each through one planned
    /// statement instead of the resolvers).
    pub fn planned(&self) -> u64 {
        self.door.planner().map_or(0, |planner| planner.answered())
    }

    /// Plans dropped because their statement failed.
    pub fn plans_dropped(&self) -> u64 {
        self.door.planner().map_or(0, |planner| planner.dropped())
    }

    /// Runs `sql` straight on the application's database, behind the service's back.
    pub async fn execute_sql(&self, sql: &str) {
        self.state
            .db
            .execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Rows in a table, read straight from the database.
    pub async fn count_rows(&self, table: &str) -> i64 {
        let backend = self.state.db.get_database_backend();
        let row = self
            .state
            .db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .expect("count query")
            .expect("a row");
        row.try_get::<i64>("", "n").expect("count")
    }

    /// Audit events of content writes (the harness's own key creation left out).
    pub async fn content_audit_events(&self) -> i64 {
        self.count_rows("audit_events WHERE entity_type <> 'api_key'")
            .await
    }

    pub async fn create_source(&self, kind: &str, name: &str) -> Uuid {
        let data = self
            .gql_ok(
                "mutation($input: CreateSourceInput!) { createSource(input: $input) { id } }",
                json!({ "input": { "kind": kind, "name": name } }),
            )
            .await;
        id(&data["createSource"]["id"])
    }

    pub async fn create_article(&self, url: &str, body: &str, outlet: Option<Uuid>) -> Uuid {
        let data = self
            .gql_ok(
                "mutation($input: CreateArticleInput!) { createArticle(input: $input) { id } }",
                json!({ "input": { "url": url, "title": format!("Article at {url}"), "body": body, "outletId": outlet } }),
            )
            .await;
        id(&data["createArticle"]["id"])
    }

    /// Creates a claim from a `CreateClaimInput` JSON value and returns the new claim.
    pub async fn create_claim(&self, input: Value) -> Value {
        let data = self
            .gql_ok(
                &format!("mutation($input: CreateClaimInput!) {{ createClaim(input: $input) {{ {CLAIM_FIELDS} }} }}"),
                json!({ "input": input }),
            )
            .await;
        data["createClaim"].clone()
    }

    pub async fn record_verification(&self, claim: Uuid, verdict: &str) -> Value {
        let data = self
            .gql_ok(
                "mutation($claim: UUID!, $input: RecordVerificationInput!) {
                    recordVerification(claimId: $claim, input: $input) { id verdict rating createdAt }
                }",
                json!({ "claim": claim, "input": { "verdict": verdict, "summary": format!("judged {verdict}") } }),
            )
            .await;
        data["recordVerification"].clone()
    }
}

/// The claim fields the tests read back.
pub const CLAIM_FIELDS: &str =
    "id kind text status currentVerdict quote setting version createdAt updatedAt
    speaker { id name }
    quantity { subject measure value lower upper unit approximate asOf }";

pub fn id(value: &Value) -> Uuid {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a UUID: {value}"))
}
