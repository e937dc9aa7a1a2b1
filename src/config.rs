//! Layered settings: built-in `config/base.toml` → `config/base.toml` on disk →
//! `config/{CLAIMTRACK_ENV}.toml` → `--config FILE` → `CLAIMTRACK_<SECTION>__<KEY>`
//! environment variables → CLI flags. Later layers win.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The defaults, compiled in so the binary runs with no files on disk.
pub const BASE_TOML: &str = include_str!("../config/base.toml");

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub graphql: GraphqlSettings,
    pub auth: AuthSettings,
    pub rate_limit: RateLimitSettings,
    pub cors: CorsSettings,
    pub public: PublicSettings,
    pub rest: RestSettings,
    pub live: LiveSettings,
    pub webhooks: WebhookSettings,
    pub log: LogSettings,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LiveSettings {
    /// How often the outbox is read when no commit woke its reader, on a database without
    /// notifications (SQLite: other processes' writes, such as imports, show this fast).
    pub poll_interval_ms: u64,
    /// With notifications (PostgreSQL), how often the outbox is read anyway, in case one
    /// was lost: an idle instance sends the database nothing in between.
    pub safety_poll_secs: u64,
    /// Events a subscriber may fall behind by before it is told and dropped.
    pub subscriber_buffer: usize,
    /// How long a websocket client may leave a message unread before it is disconnected.
    pub send_timeout_secs: u64,
    /// How long a new websocket may take to send `connection_init` (then: close 4408).
    pub init_timeout_secs: u64,
    /// Websockets one client (IP) may hold open before their `connection_init` is
    /// acknowledged; more are refused with 429.
    pub max_pending_sockets_per_client: u32,
    /// Outbox events are kept this long (once webhooks have read them).
    pub outbox_retention_hours: u32,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// Run the delivery worker in this instance.
    pub enabled: bool,
    /// Deliver to private, loopback and link-local addresses (tests, on-premises receivers).
    pub allow_private_targets: bool,
    /// How often due deliveries are looked for when nothing woke the engine (new events
    /// wake it, and it sleeps until the next retry is due): the safety net.
    pub poll_interval_ms: u64,
    /// Retries back off exponentially from this delay (with jitter) ...
    pub initial_backoff_ms: u64,
    /// ... up to this delay between two attempts ...
    pub max_backoff_secs: u64,
    /// ... for this long after the event; then the delivery fails and the endpoint is
    /// marked failing.
    pub retry_window_secs: u64,
    /// Per-attempt timeout.
    pub timeout_secs: u64,
    /// Deliveries sent at the same time by this instance.
    pub concurrency: usize,
    /// Delivered and failed deliveries (the log) are kept this long.
    pub log_retention_days: u32,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RestSettings {
    /// How long an Idempotency-Key and its stored response are kept.
    pub idempotency_ttl_hours: u32,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PublicSettings {
    /// Where readers reach this service: ClaimReview `url`s (unless a verification
    /// names the newsroom's own article) are `<base_url>/reviews/<claim id>`.
    pub base_url: String,
    /// The fact-checking organisation (ClaimReview `author`).
    pub organization_name: String,
    pub organization_url: String,
    /// The language reviews are published in (ClaimReview `inLanguage`, BCP 47) when a
    /// verification does not give its own; empty: not stated.
    pub review_language: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Let callers without credentials read (never write).
    pub anonymous_reads: bool,
    /// On a database without a usable admin key, `serve` creates one and hands it over
    /// once: on the terminal, or (stderr not a terminal) in `bootstrap_key_file`.
    pub bootstrap_admin_key: bool,
    /// Where the first admin key is written when stderr is not a terminal (mode 0600).
    pub bootstrap_key_file: String,
    /// How long an accepted API key is remembered (0: never).
    pub key_cache_secs: u64,
    pub jwt: JwtSettings,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct JwtSettings {
    pub enabled: bool,
    pub algorithm: JwtAlgorithm,
    /// HS256: the shared secret (pass it through the environment, never a file in git).
    pub secret: String,
    /// RS256/ES256: the identity provider's public key, PEM text.
    pub public_key_pem: String,
    /// RS256/ES256: or a file holding that PEM.
    pub public_key_file: String,
    /// Required `iss`.
    pub issuer: String,
    /// Required `aud`.
    pub audience: String,
    /// The claim holding the role (viewer, checker, editor, admin).
    pub role_claim: String,
    /// The claim naming the holder in the audit trail.
    pub subject_claim: String,
    /// Clock skew tolerated on `exp`/`nbf`, in seconds.
    pub leeway_secs: u64,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum JwtAlgorithm {
    HS256,
    RS256,
    ES256,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    pub enabled: bool,
    /// Sustained requests per minute per principal (anonymous callers: per client IP).
    pub requests_per_minute: u32,
    /// Requests allowed at once above the sustained rate.
    pub burst: u32,
    /// Take the client IP from X-Forwarded-For/Forwarded (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CorsSettings {
    /// Origins allowed to call the API from a browser, e.g. "https://dashboard.example".
    pub allowed_origins: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: String,
    pub workers: usize,
    pub shutdown_timeout_secs: u64,
    pub max_body_bytes: usize,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    pub min_connections: u32,
    pub connect_timeout_secs: u64,
    pub acquire_timeout_secs: u64,
    pub sqlite_busy_timeout_ms: u64,
    pub sqlite_synchronous: SqliteSynchronous,
    pub migrate_on_start: bool,
    /// PostgreSQL only: the schema to use (`search_path`); unset means the server default.
    #[serde(default)]
    pub schema: Option<String>,
    /// PostgreSQL only: the `application_name` of this instance's connections (what
    /// `pg_stat_activity` shows).
    pub application_name: String,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SqliteSynchronous {
    /// Durable in WAL mode against a process crash; a power loss may lose the last commits.
    Normal,
    /// Durable against power loss too (the default).
    Full,
    Extra,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GraphqlSettings {
    pub default_page_size: u32,
    pub max_page_size: u32,
    /// Nested fields, after fragment expansion.
    pub max_depth: usize,
    /// Fields (aliases, `__typename` and introspection included) and directives of one
    /// request after fragment expansion; a batch counts as one request.
    pub max_selections: u64,
    /// Objects the connections of one request may return: each connection's `first`
    /// times the pages around it, summed (a batch counts as one request).
    pub max_nodes: u64,
    /// Most requests in one batched POST (a JSON array).
    pub max_batch_size: usize,
    /// Who may introspect the schema; field suggestions ("did you mean …") in errors
    /// are given only to callers who may.
    pub introspection: IntrospectionPolicy,
    /// Answer dashboard-shaped `claims` queries with one JSON-building statement; off:
    /// every query goes through the resolvers.
    pub compiled_queries: bool,
    /// Serve GraphiQL (embedded, offline) to browsers that GET /graphql.
    pub graphiql: bool,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum IntrospectionPolicy {
    /// Anyone who may read, anonymous readers included.
    Everyone,
    /// Callers with accepted credentials only.
    Authenticated,
    /// Nobody.
    Off,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Overrides that come from the command line.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub database_url: Option<String>,
    pub bind: Option<String>,
}

impl Settings {
    /// Loads every layer. `CLAIMTRACK_ENV` (default `local`) picks the environment file,
    /// `CLAIMTRACK_CONFIG_DIR` (default `./config`) where files are looked for.
    pub fn load(overrides: &Overrides) -> anyhow::Result<Self> {
        let environment = std::env::var("CLAIMTRACK_ENV").unwrap_or_else(|_| "local".into());
        let config_dir = std::env::var_os("CLAIMTRACK_CONFIG_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("config"));
        Self::load_from(&config_dir, &environment, overrides)
    }

    pub fn load_from(
        config_dir: &Path,
        environment: &str,
        overrides: &Overrides,
    ) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Toml::string(BASE_TOML))
            .merge(Toml::file(config_dir.join("base.toml")))
            .merge(Toml::file(config_dir.join(format!("{environment}.toml"))));
        if let Some(file) = &overrides.config_file {
            anyhow::ensure!(
                file.exists(),
                "config file {} does not exist",
                file.display()
            );
            figment = figment.merge(Toml::file(file));
        }
        figment = figment.merge(
            Env::prefixed("CLAIMTRACK_")
                .ignore(&["env", "config_dir"])
                .split("__"),
        );
        // DATABASE_URL is the common convention; an explicit flag still wins.
        if let Ok(url) = std::env::var("DATABASE_URL") {
            figment = figment.merge(Serialized::default("database.url", url));
        }
        if let Some(url) = &overrides.database_url {
            figment = figment.merge(Serialized::default("database.url", url));
        }
        if let Some(bind) = &overrides.bind {
            figment = figment.merge(Serialized::default("server.bind", bind));
        }
        let settings: Settings = figment.extract()?;
        settings.validate()?;
        Ok(settings)
    }

    /// The built-in defaults alone (tests start from these).
    pub fn defaults() -> anyhow::Result<Self> {
        Ok(Figment::from(Toml::string(BASE_TOML)).extract()?)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        let g = &self.graphql;
        anyhow::ensure!(
            g.max_page_size >= 1,
            "graphql.max_page_size must be at least 1"
        );
        anyhow::ensure!(
            (1..=g.max_page_size).contains(&g.default_page_size),
            "graphql.default_page_size must be between 1 and graphql.max_page_size"
        );
        anyhow::ensure!(
            g.max_selections >= 1 && g.max_nodes >= 1 && g.max_depth >= 1,
            "graphql.max_selections, max_nodes and max_depth must be at least 1"
        );
        let jwt = &self.auth.jwt;
        if jwt.enabled {
            anyhow::ensure!(
                !jwt.issuer.is_empty(),
                "auth.jwt.issuer is required when JWT is enabled"
            );
            anyhow::ensure!(
                !jwt.audience.is_empty(),
                "auth.jwt.audience is required when JWT is enabled"
            );
            match jwt.algorithm {
                JwtAlgorithm::HS256 => anyhow::ensure!(
                    jwt.secret.len() >= 32,
                    "auth.jwt.secret must be at least 32 bytes for HS256"
                ),
                JwtAlgorithm::RS256 | JwtAlgorithm::ES256 => anyhow::ensure!(
                    !jwt.public_key_pem.is_empty() || !jwt.public_key_file.is_empty(),
                    "auth.jwt.public_key_pem or auth.jwt.public_key_file is required for RS256/ES256"
                ),
            }
        }
        let limit = &self.rate_limit;
        anyhow::ensure!(
            !limit.enabled || (limit.requests_per_minute >= 1 && limit.burst >= 1),
            "rate_limit.requests_per_minute and rate_limit.burst must be at least 1"
        );
        anyhow::ensure!(
            self.database.max_connections >= 1,
            "database.max_connections must be at least 1"
        );
        anyhow::ensure!(
            self.database.url.starts_with("sqlite:")
                || self.database.url.starts_with("postgres://")
                || self.database.url.starts_with("postgresql://"),
            "database.url must start with sqlite:, postgres:// or postgresql://"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_defaults_are_valid_and_use_a_local_sqlite_file() {
        let settings = Settings::defaults().unwrap();
        settings.validate().unwrap();
        assert_eq!(settings.database.url, "sqlite://claimtrack.db");
        assert_eq!(settings.server.bind, "127.0.0.1:8080");
        assert_eq!(settings.graphql.max_page_size, 100);
    }

    #[test]
    fn flags_win_over_files() {
        let dir = std::env::temp_dir().join(format!("claimtrack-config-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("staging.toml"),
            "[server]\nbind = \"0.0.0.0:9000\"\n[graphql]\nmax_page_size = 50\n",
        )
        .unwrap();
        let overrides = Overrides {
            bind: Some("127.0.0.1:7000".into()),
            ..Overrides::default()
        };
        let settings = Settings::load_from(&dir, "staging", &overrides).unwrap();
        assert_eq!(settings.server.bind, "127.0.0.1:7000");
        assert_eq!(settings.graphql.max_page_size, 50);
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let dir = std::env::temp_dir().join(format!("claimtrack-config-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("typo.toml"), "[server]\nbnd = \"x\"\n").unwrap();
        let error = Settings::load_from(&dir, "typo", &Overrides::default()).unwrap_err();
        assert!(error.to_string().contains("bnd"), "{error}");
        std::fs::remove_dir_all(dir).ok();
    }
}
