//! `claimtrack-bench`: seeds a dashboard-scale dataset into an empty database, starts the
//! server (`claimtrack serve`, the release binary beside this one) as a separate process
//! on it, checks that the GraphQL dashboard answers what one hand-written SQL
//! statement answers, then drives the dashboard query, its status-filtered variant and a
//! verification write at each concurrency, and the same question as raw SQL (pgbench on
//! PostgreSQL, an equivalent loop on SQLite), and prints the figures with the ratios.

pub mod desk;
pub mod seed;

/// Cold loads of the desk per measurement of its first paint.
pub const DESK_LOADS: usize = 5;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};

use claimtrack::config::Settings;
use claimtrack::domain::{Actor, Role};
use claimtrack::service::keys;

/// What `claimtrack-bench` was asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    pub seed: u64,
    pub scale: f64,
    pub duration: Duration,
    pub concurrency: Vec<usize>,
    /// Measure a database that holds other data (an operator's): the dashboards only,
    /// read-only, with this viewer key; nothing is written or created there.
    pub existing_data_key: Option<String>,
}

/// The dashboard: 50 newest claims with what a fact-checking desk shows.
const DASHBOARD: &str = "query Dashboard($status: [ClaimStatus!]) {
  claims(first: 50, filter: { status: $status }) {
    nodes {
      id text kind status createdAt
      quantity { value lower upper unit measure subject }
      speaker { name }
      appearances { nodes { excerpt article { title url outlet { name } } } }
      verifications(first: 3) { nodes { verdict rating createdAt } }
    }
  }
}";

/// The status the filtered variant asks for.
pub const FILTER_STATUS: &str = "in_review";

/// The same question as one SQL statement returning JSON.
pub fn dashboard_sql(backend: DbBackend, status: Option<&str>) -> String {
    let filter = status
        .map(|s| format!("WHERE c.status = '{s}'"))
        .unwrap_or_default();
    match backend {
        DbBackend::Postgres => format!(
            "SELECT coalesce(json_agg(d ORDER BY d.created_at DESC, d.id DESC), '[]'::json)::text AS dashboard FROM ( \
             SELECT c.id, c.text, c.kind, c.status, c.created_at, c.value, c.lower_bound, c.upper_bound, c.unit, c.measure, c.subject, s.name AS speaker, \
             (SELECT coalesce(json_agg(json_build_object('excerpt', ap.excerpt, 'title', a.title, 'url', a.url, 'outlet', o.name) ORDER BY ap.created_at, ap.id), '[]'::json) \
               FROM appearances ap JOIN articles a ON a.id = ap.article_id LEFT JOIN sources o ON o.id = a.outlet_id WHERE ap.claim_id = c.id) AS appearances, \
             (SELECT coalesce(json_agg(json_build_object('verdict', v.verdict, 'rating', v.rating, 'created_at', v.created_at) ORDER BY v.created_at DESC, v.id DESC), '[]'::json) \
               FROM (SELECT * FROM verifications v WHERE v.claim_id = c.id ORDER BY v.created_at DESC, v.id DESC LIMIT 3) v) AS verifications \
             FROM claims c LEFT JOIN sources s ON s.id = c.speaker_id {filter} \
             ORDER BY c.created_at DESC, c.id DESC LIMIT 50) d"
        ),
        _ => format!(
            "SELECT coalesce((SELECT json_group_array(json(d.row)) FROM ( \
             SELECT json_object('id', lower(substr(hex(c.id), 1, 8) || '-' || substr(hex(c.id), 9, 4) || '-' || substr(hex(c.id), 13, 4) || '-' || substr(hex(c.id), 17, 4) || '-' || substr(hex(c.id), 21)), 'text', c.text, 'kind', c.kind, 'status', c.status, 'created_at', c.created_at, \
               'value', c.value, 'lower_bound', c.lower_bound, 'upper_bound', c.upper_bound, 'unit', c.unit, 'measure', c.measure, 'subject', c.subject, \
               'speaker', s.name, \
               'appearances', (SELECT json_group_array(json_object('excerpt', x.excerpt, 'title', x.title, 'url', x.url, 'outlet', x.outlet)) FROM ( \
                 SELECT ap.excerpt, a.title, a.url, o.name AS outlet FROM appearances ap JOIN articles a ON a.id = ap.article_id \
                 LEFT JOIN sources o ON o.id = a.outlet_id WHERE ap.claim_id = c.id ORDER BY ap.created_at, ap.id) x), \
               'verifications', (SELECT json_group_array(json_object('verdict', v.verdict, 'rating', v.rating, 'created_at', v.created_at)) FROM ( \
                 SELECT verdict, rating, created_at FROM verifications v WHERE v.claim_id = c.id ORDER BY v.created_at DESC, v.id DESC LIMIT 3) v) \
             ) AS row FROM claims c LEFT JOIN sources s ON s.id = c.speaker_id {filter} \
             ORDER BY c.created_at DESC, c.id DESC LIMIT 50) d), '[]') AS dashboard"
        ),
    }
}

/// One run's figures.
#[derive(Clone, Debug)]
pub struct Figures {
    pub requests: usize,
    pub errors: usize,
    pub per_second: f64,
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
    /// The server's largest resident set seen during the run (None for baselines).
    pub peak_rss_kib: Option<u64>,
    /// CPU time this machine's PostgreSQL spent per answered request (PostgreSQL runs).
    pub db_cpu_ms: Option<f64>,
}

impl Figures {
    fn from_latencies(mut latencies: Vec<Duration>, errors: usize, elapsed: Duration) -> Self {
        latencies.sort_unstable();
        let at = |q: f64| {
            latencies
                .get(((latencies.len() as f64 * q).ceil() as usize).saturating_sub(1))
                .copied()
                .unwrap_or_default()
        };
        Figures {
            requests: latencies.len(),
            errors,
            per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
            peak_rss_kib: None,
            db_cpu_ms: None,
        }
    }
}

/// A server started for the run, stopped when dropped.
struct Server {
    child: Child,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn rss_kib(&self, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find(|l| l.starts_with(field))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }
}

/// Starts `claimtrack serve` on the database; `migrate` false leaves its schema alone
/// (the read-only runs on someone else's data).
async fn start_server(
    settings: &Settings,
    config: Option<&Path>,
    migrate: bool,
) -> anyhow::Result<Server> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let service = std::env::current_exe()?.with_file_name("claimtrack");
    if !service.is_file() {
        anyhow::bail!(
            "{} is missing: build the service beside the harness (cargo build --release)",
            service.display()
        );
    }
    let mut command = Command::new(service);
    command
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .args(["--database-url", &settings.database.url])
        .env("CLAIMTRACK_RATE_LIMIT__ENABLED", "false")
        .env("CLAIMTRACK_AUTH__BOOTSTRAP_ADMIN_KEY", "false")
        .env("CLAIMTRACK_LOG__LEVEL", "warn")
        .env("CLAIMTRACK_DATABASE__MIGRATE_ON_START", migrate.to_string())
        .stdout(Stdio::null());
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    let child = command.spawn()?;
    let server = Server {
        child,
        address: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(response) = client
            .get(format!("{}/readyz", server.address))
            .send()
            .await
            && response.status().is_success()
        {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the server did not become ready")
}

/// The write targets: up to 1,000 non-archived claims, past the newest 2,000 (or past
/// the newer half of a small dataset).
fn write_targets_sql(claims: i64) -> String {
    format!(
        "SELECT id FROM claims WHERE status <> 'archived' ORDER BY created_at DESC LIMIT 1000 OFFSET {}",
        (claims / 2).min(2000)
    )
}

/// Claims that can take a verification (the writes' targets): non-archived ones just
/// older than what the dashboards show, so the writes do not change the dataset the
/// dashboard runs read.
async fn write_targets(db: &DatabaseConnection, claims: i64) -> anyhow::Result<Vec<String>> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            write_targets_sql(claims),
        ))
        .await?;
    let targets = rows
        .iter()
        .map(|r| {
            r.try_get::<uuid::Uuid>("", "id")
                .map(|id| id.to_string())
                .map_err(Into::into)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if targets.is_empty() {
        anyhow::bail!("the dataset has no claims the writes could take: use a larger --scale");
    }
    Ok(targets)
}

/// The verification write as one hand-written PostgreSQL statement, for pgbench: the
/// same rows as `recordVerification` writes (the claim reviewed, the verification, its
/// audit event, the two outbox events) with time-ordered ids like the service's, on a
/// random claim of `bench_write_targets`. What a bare INSERT is to a row, this is to the
/// write: the ceiling of the write itself on this database.
fn write_script(targets: usize) -> String {
    const TIME_ORDERED_ID: &str = "(lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') \
         || substr(replace(gen_random_uuid()::text, '-', ''), 13))::uuid";
    format!(
        "\\set n random(1, {targets})\n\
         WITH claim AS (UPDATE claims c SET status = 'reviewed', current_verdict = 'mixed', \
         version = c.version + 1, updated_at = now() FROM bench_write_targets t \
         WHERE t.n = :n AND c.id = t.id RETURNING c.id, c.kind, c.speaker_id), \
         verification AS (INSERT INTO verifications (id, claim_id, verdict, rating, summary, \
         reviewer_id, reviewer_name, created_at) SELECT {TIME_ORDERED_ID}, id, 'mixed', 3, 'bench', \
         NULL, 'bench', now() FROM claim RETURNING id, claim_id), \
         audit AS (INSERT INTO audit_events (id, occurred_at, principal_id, actor_name, \
         entity_type, entity_id, claim_id, operation, changes) SELECT {TIME_ORDERED_ID}, now(), \
         NULL, 'bench', 'verification', v.id, v.claim_id, 'record', json_build_object('verdict', \
         'mixed', 'rating', 3, 'summary', 'bench', 'citations', 0, 'claim', \
         json_build_object('status', json_build_object('from', 'in_review', 'to', 'reviewed'))) \
         FROM verification v RETURNING id, entity_id, claim_id) \
         INSERT INTO outbox_events (occurred_at, entity_type, entity_id, claim_id, operation, \
         principal_id, actor_name, state, audit_event_id) SELECT now(), e.entity_type, \
         e.entity_id, a.claim_id, e.operation, NULL, 'bench', e.state, a.id FROM audit a \
         CROSS JOIN claim c CROSS JOIN LATERAL (VALUES \
         ('verification', a.entity_id, 'recorded', json_build_object('verdict', 'mixed')), \
         ('claim', a.claim_id, 'updated', json_build_object('status', 'reviewed', 'kind', c.kind, \
         'speaker_id', c.speaker_id))) AS e(entity_type, entity_id, operation, state);\n"
    )
}

/// What the load generator sends.
#[derive(Clone)]
enum Load {
    Dashboard {
        status: Option<&'static str>,
    },
    Verify {
        claims: Arc<Vec<String>>,
    },
    /// Full-text search, ranked with snippets: a word most claims of one kind share
    /// with a word that narrows it, in turn for each item number.
    Search,
    /// "Checked before?" on a text close to a seeded quantity claim.
    CheckedBefore,
}

/// What the search runs look for (the seeded texts: "deaths reported in story 42",
/// "Said they will act on point 17", verdict summaries "Checked claim 9, review 1").
const SEARCH: &str = "query Search($q: String!) { search(query: $q, first: 20) {
    edges { score node { __typename ... on Claim { id text currentVerdict } ... on Article { id title } ... on Source { id name } }
      snippets { field html } } } }";
const CHECKED_BEFORE: &str =
    "query Checked($text: String!) { checkedBefore(text: $text, first: 5) {
    score claim { id text currentVerdict } } }";
const MEASURE_WORDS: &[&str] = &["deaths", "injured", "budget", "strikes"];

impl Load {
    fn body(&self, n: usize) -> Value {
        match self {
            Load::Dashboard { status } => json!({
                "query": DASHBOARD,
                "variables": { "status": status.map(|s| vec![s.to_ascii_uppercase()]) }
            }),
            Load::Verify { claims } => json!({
                "query": "mutation($claim: UUID!) { recordVerification(claimId: $claim, input: { verdict: MIXED, summary: \"bench\" }) { id } }",
                "variables": { "claim": claims[n % claims.len()] }
            }),
            Load::Search => json!({
                "query": SEARCH,
                "variables": { "q": format!("{} story {}", MEASURE_WORDS[n % MEASURE_WORDS.len()], n % 10_000) }
            }),
            Load::CheckedBefore => json!({
                "query": CHECKED_BEFORE,
                "variables": { "text": format!("Officials said {} were reported in story {}", MEASURE_WORDS[n % MEASURE_WORDS.len()], n % 10_000) }
            }),
        }
    }
}

/// What the load generator checks of each answer: well-formed JSON without `errors`.
/// The rest is skipped, not built into a tree: the generator shares the machine with the
/// server, and the answers' content was compared with the SQL baseline's before the runs.
#[derive(serde::Deserialize)]
struct Answer {
    errors: Option<serde::de::IgnoredAny>,
}

/// The workers' latencies and errors; a worker that panicked counts as failed, with a
/// million errors, so the run can never pass for a quiet one.
async fn gather(
    tasks: Vec<tokio::task::JoinHandle<(Vec<Duration>, usize)>>,
) -> (Vec<Duration>, usize) {
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        match task.await {
            Ok((mut l, e)) => {
                latencies.append(&mut l);
                errors += e;
            }
            Err(error) => {
                eprintln!("a load worker failed: {error}");
                errors += WORKER_FAILED;
            }
        }
    }
    (latencies, errors)
}

const WORKER_FAILED: usize = 1_000_000;

/// Drives `load` at `concurrency` for `duration`; samples the server's RSS meanwhile.
async fn drive(
    server: &Server,
    token: &str,
    load: Load,
    concurrency: usize,
    duration: Duration,
) -> Figures {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap_or_default();
    let url = format!("{}/graphql", server.address);
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let client = client.clone();
        let url = url.clone();
        let token = format!("Bearer {token}");
        let load = load.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            // Worker w sends items w, w + c, w + 2c, …: concurrent writers never pick the
            // same claim at the same moment (unless there are fewer claims than workers).
            let mut n = worker;
            while Instant::now() < deadline {
                n += concurrency;
                let sent = Instant::now();
                let response = client
                    .post(&url)
                    .header("authorization", &token)
                    .json(&load.body(n))
                    .send()
                    .await;
                let ok = match response {
                    Ok(r) if r.status().is_success() => r
                        .bytes()
                        .await
                        .ok()
                        .and_then(|body| serde_json::from_slice::<Answer>(&body).ok())
                        .is_some_and(|answer| answer.errors.is_none()),
                    _ => false,
                };
                if ok {
                    latencies.push(sent.elapsed());
                } else {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let mut peak = 0;
    while Instant::now() < deadline {
        peak = peak.max(server.rss_kib("VmRSS:").unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (latencies, errors) = gather(tasks).await;
    let mut figures = Figures::from_latencies(latencies, errors, started.elapsed());
    figures.peak_rss_kib = Some(peak.max(server.rss_kib("VmRSS:").unwrap_or(0)));
    figures
}

/// Runs `sql` at `concurrency` for `duration` in-process, over its own pool (the SQLite
/// baseline, and PostgreSQL's when pgbench is not installed).
async fn sql_loop(
    settings: &Settings,
    sql: &str,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<Figures> {
    let mut database = settings.database.clone();
    database.max_connections = concurrency as u32;
    database.min_connections = concurrency as u32;
    let (db, _) = claimtrack::db::connect(&database).await?;
    let backend = db.get_database_backend();
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let db = db.clone();
        let sql = sql.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            while Instant::now() < deadline {
                let sent = Instant::now();
                match db
                    .query_one_raw(Statement::from_string(backend, sql.clone()))
                    .await
                {
                    Ok(Some(_)) => latencies.push(sent.elapsed()),
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let (latencies, errors) = gather(tasks).await;
    db.close().await.ok();
    Ok(Figures::from_latencies(
        latencies,
        errors,
        started.elapsed(),
    ))
}

/// Runs a pgbench script (prepared statements, 2 threads) and reads its per-transaction
/// log for the percentiles.
fn pgbench(
    settings: &Settings,
    script_text: &str,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<Figures> {
    let dir = std::env::temp_dir().join(format!("claimtrack-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let script = dir.join("script.sql");
    std::fs::write(&script, script_text)?;
    let prefix = dir.join("log");
    let mut command = Command::new("pgbench");
    command
        .args(["-n", "-M", "prepared", "-j", "2", "-l"])
        .arg(format!("--log-prefix={}", prefix.display()))
        .args(["-c", &concurrency.to_string()])
        .args(["-T", &duration.as_secs().max(1).to_string()])
        .arg("-f")
        .arg(&script)
        .arg(&settings.database.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(schema) = &settings.database.schema {
        command.env("PGOPTIONS", format!("-c search_path={schema}"));
    }
    let output = command.output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        anyhow::bail!(
            "pgbench failed: {}{}",
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let mut latencies = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("log"))
        {
            for line in std::fs::read_to_string(&path)?.lines() {
                // client transaction latency_us script epoch_s epoch_us
                if let Some(us) = line
                    .split_whitespace()
                    .nth(2)
                    .and_then(|v| v.parse::<u64>().ok())
                {
                    latencies.push(Duration::from_micros(us));
                }
            }
        }
    }
    let failed = stdout
        .lines()
        .find_map(|l| l.strip_prefix("number of failed transactions: "))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    std::fs::remove_dir_all(&dir).ok();
    Ok(Figures::from_latencies(latencies, failed, duration))
}

async fn baseline(
    settings: &Settings,
    backend: DbBackend,
    sql: &str,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<Figures> {
    if backend == DbBackend::Postgres && which("pgbench") {
        pgbench(settings, &format!("{sql};\n"), concurrency, duration)
    } else {
        sql_loop(settings, sql, concurrency, duration).await
    }
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// The comparable core of a dashboard answer: claim ids in order, each with its speaker,
/// appearance URLs and latest verifications (verdict and time).
#[derive(Debug, PartialEq)]
struct Essence {
    claims: Vec<ClaimEssence>,
}

/// Id, speaker name, appearance URLs, latest verifications (verdict, time).
type ClaimEssence = (
    String,
    Option<String>,
    Vec<String>,
    Vec<(String, DateTime<Utc>)>,
);

fn time(value: &Value) -> Option<DateTime<Utc>> {
    let text = value.as_str()?;
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            // SQLite stores "YYYY-MM-DD HH:MM:SS.ffffff+00:00".
            DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z")
                .map(|t| t.with_timezone(&Utc))
                .ok()
        })
}

fn essence_of_graphql(data: &Value) -> Essence {
    let nodes = data["claims"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    Essence {
        claims: nodes
            .iter()
            .map(|c| {
                (
                    c["id"].as_str().unwrap_or_default().to_owned(),
                    c["speaker"]["name"].as_str().map(str::to_owned),
                    c["appearances"]["nodes"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|a| a["article"]["url"].as_str().unwrap_or_default().to_owned())
                        .collect(),
                    c["verifications"]["nodes"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| {
                            Some((
                                v["verdict"].as_str()?.to_ascii_lowercase(),
                                time(&v["createdAt"])?,
                            ))
                        })
                        .collect(),
                )
            })
            .collect(),
    }
}

fn essence_of_sql(rows: &Value) -> Essence {
    let rows = rows.as_array().cloned().unwrap_or_default();
    Essence {
        claims: rows
            .iter()
            .map(|c| {
                (
                    c["id"].as_str().unwrap_or_default().to_owned(),
                    c["speaker"].as_str().map(str::to_owned),
                    c["appearances"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|a| a["url"].as_str().unwrap_or_default().to_owned())
                        .collect(),
                    c["verifications"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| {
                            Some((v["verdict"].as_str()?.to_owned(), time(&v["created_at"])?))
                        })
                        .collect(),
                )
            })
            .collect(),
    }
}

/// Refuses to measure unless the GraphQL dashboard at `address` and the SQL baseline give
/// the same answer (same claims in the same order, same speakers, appearances and latest
/// verifications); returns how many claims the answer holds.
pub async fn check_answers(
    db: &DatabaseConnection,
    address: &str,
    token: &str,
    status: Option<&'static str>,
) -> anyhow::Result<usize> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            dashboard_sql(backend, status),
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("the baseline returned nothing"))?;
    let text: String = row.try_get("", "dashboard")?;
    let expected = essence_of_sql(&serde_json::from_str(&text)?);
    let response: Value = reqwest::Client::new()
        .post(format!("{address}/graphql"))
        .header("authorization", format!("Bearer {token}"))
        .json(&Load::Dashboard { status }.body(0))
        .send()
        .await?
        .json()
        .await?;
    if let Some(errors) = response.get("errors") {
        anyhow::bail!("the dashboard query failed: {errors}");
    }
    let got = essence_of_graphql(&response["data"]);
    if got != expected {
        let first_difference = got
            .claims
            .iter()
            .zip(&expected.claims)
            .position(|(a, b)| a != b);
        anyhow::bail!(
            "GraphQL and SQL disagree ({} vs {} claims; first difference at {:?}): no figures reported",
            got.claims.len(),
            expected.claims.len(),
            first_difference
        );
    }
    if expected.claims.is_empty() {
        anyhow::bail!("the dashboard is empty: seed the database first");
    }
    Ok(expected.claims.len())
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn row(name: &str, concurrency: usize, f: &Figures, ratio: Option<f64>) -> String {
    format!(
        "| {name} | {concurrency} | {:.0} | {} | {} | {} | {} | {} | {} | {} |",
        f.per_second,
        ms(f.p50),
        ms(f.p95),
        ms(f.p99),
        f.errors,
        f.peak_rss_kib
            .map(|k| format!("{:.0}", k as f64 / 1024.0))
            .unwrap_or_else(|| "-".into()),
        f.db_cpu_ms
            .map(|ms| format!("{ms:.2}"))
            .unwrap_or_else(|| "-".into()),
        ratio
            .map(|r| format!("{:.0} %", r * 100.0))
            .unwrap_or_else(|| "-".into()),
    )
}

/// CPU time spent by this machine's PostgreSQL over a run: every `postgres` process's
/// own and reaped children's time (a backend that exits is counted by the postmaster
/// that reaps it), read from /proc before and after. Meaningful when PostgreSQL runs on
/// this machine, as in BENCHMARKS.md.
struct DbCpu(Option<f64>);

impl DbCpu {
    fn start(backend: DbBackend) -> Self {
        Self(
            (backend == DbBackend::Postgres)
                .then(postgres_cpu_ms)
                .flatten(),
        )
    }

    fn per_request(self, mut figures: Figures) -> Figures {
        if let (Some(before), Some(after)) = (self.0, postgres_cpu_ms())
            && figures.requests > 0
        {
            figures.db_cpu_ms = Some((after - before) / figures.requests as f64);
        }
        figures
    }
}

/// Milliseconds of CPU used so far by processes named `postgres`; `None` without any.
fn postgres_cpu_ms() -> Option<f64> {
    // Clock ticks per second: 100 on Linux unless the kernel says otherwise.
    const TICKS_PER_SECOND: f64 = 100.0;
    let mut ticks = 0u64;
    let mut found = false;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ... utime stime cutime cstime: fields 14-17.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        if !head.ends_with("(postgres") {
            continue;
        }
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // `rest` starts at field 3 (state).
        let times: u64 = fields
            .get(11..15)
            .map(|f| f.iter().filter_map(|v| v.parse::<u64>().ok()).sum())
            .unwrap_or(0);
        ticks += times;
        found = true;
    }
    found.then(|| ticks as f64 * 1000.0 / TICKS_PER_SECOND)
}

/// The table marking a database as a benchmark dataset (created when seeding); it also
/// holds the single-row INSERT baseline's rows.
const MARKER: &str = "bench_inserts";

/// What the database held when the run began.
#[derive(Debug, PartialEq, Eq)]
enum Contents {
    /// No tables: the harness may migrate and seed it.
    Empty,
    /// A dataset an earlier run seeded: reused.
    Benchmark,
    /// Anything else, such as an operator's data: never written to.
    Other,
}

async fn contents(db: &DatabaseConnection) -> anyhow::Result<Contents> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = current_schema()"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    let tables = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await?
        .iter()
        .map(|row| row.try_get::<String>("", "name"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if tables.is_empty() {
        Contents::Empty
    } else if tables.iter().any(|t| t == MARKER) {
        Contents::Benchmark
    } else {
        Contents::Other
    })
}

async fn claims_count(db: &DatabaseConnection) -> anyhow::Result<i64> {
    Ok(db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT count(*) AS n FROM claims",
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0))
}

/// Seeds an empty database (or reuses a dataset seeded before), checks the answers,
/// measures, prints the table, and fails when a run measured nothing or failed. A
/// database holding anything else is refused, unless `existing_data_key` asks for the
/// read-only dashboards on it.
pub async fn run(
    settings: &Settings,
    config: Option<&PathBuf>,
    options: &Options,
) -> anyhow::Result<()> {
    claimtrack::startup::install_tls_provider();
    let (db, _) = claimtrack::db::connect(&settings.database).await?;
    let backend = db.get_database_backend();
    let found = contents(&db).await?;
    let writes = match (&found, &options.existing_data_key) {
        (_, Some(_)) => {
            println!("measuring the dashboards read-only on the data already there");
            false
        }
        (Contents::Other, None) => anyhow::bail!(
            "the database holds data that is not a benchmark dataset; give an empty database \
             (createdb claimtrack_bench) or pass --existing-data-key with a viewer key to measure \
             the dashboards read-only"
        ),
        (Contents::Empty, None) => {
            claimtrack::startup::prepare_database(&db).await?;
            let started = Instant::now();
            let seeded = seed::seed(&db, options.seed, options.scale).await?;
            println!(
                "seeded in {:.1} s: {} sources, {} articles, {} claims, {} appearances, {} verifications",
                started.elapsed().as_secs_f64(),
                seeded.sources,
                seeded.articles,
                seeded.claims,
                seeded.appearances,
                seeded.verifications
            );
            db.execute_unprepared(match backend {
                DbBackend::Postgres => "CREATE TABLE bench_inserts (id bigserial PRIMARY KEY, note text NOT NULL)",
                _ => "CREATE TABLE bench_inserts (id INTEGER PRIMARY KEY AUTOINCREMENT, note TEXT NOT NULL)",
            })
            .await?;
            true
        }
        (Contents::Benchmark, None) => {
            claimtrack::startup::prepare_database(&db).await?;
            println!(
                "using the benchmark dataset already there ({} claims)",
                claims_count(&db).await?
            );
            true
        }
    };
    let operator = Actor::system("bench");
    let (viewer, checker) = match &options.existing_data_key {
        Some(key) => (key.clone(), None),
        None => {
            // Fresh planner statistics, as autovacuum would eventually gather: without
            // them a freshly loaded database is measured with the plans of an empty one.
            db.execute_unprepared("ANALYZE").await?;
            let viewer =
                keys::create(&db, &operator, "bench dashboard", Role::Viewer, Some(1)).await?;
            let checker =
                keys::create(&db, &operator, "bench checker", Role::Checker, Some(1)).await?;
            (viewer.secret.clone(), Some((viewer, checker)))
        }
    };
    if writes {
        // The search index, built before the server starts (else it builds in the
        // background while the runs measure).
        let started = Instant::now();
        claimtrack::service::search::index::start(&db).await?;
        let indexed = claimtrack::service::search::index::rebuild(&db).await?;
        if indexed > 0 {
            println!(
                "search index built in {:.1} s: {indexed} records",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let server = start_server(settings, config.map(PathBuf::as_path), writes).await?;
    let measured = measure(
        settings,
        options,
        &db,
        &server,
        &viewer,
        checker.as_ref().map(|(_, c)| c.secret.as_str()),
    )
    .await;
    drop(server);
    if let Some((viewer, checker)) = checker {
        keys::revoke(&db, &operator, &viewer.record.key.id.to_string()).await?;
        keys::revoke(&db, &operator, &checker.record.key.id.to_string()).await?;
    }
    measured
}

/// Waits until the search index has followed the outbox to its end (at most two
/// minutes).
async fn index_caught_up(db: &DatabaseConnection) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let position = |sql: &'static str| async move {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(backend, sql))
            .await?;
        anyhow::Ok(match row {
            Some(row) => Some((
                row.try_get::<i64>("", "tx")?,
                row.try_get::<i64>("", "seq")?,
            )),
            None => None,
        })
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let head = position("SELECT tx, seq FROM outbox_events ORDER BY tx DESC, seq DESC LIMIT 1")
            .await?;
        let cursor =
            position("SELECT tx, seq FROM outbox_cursors WHERE name = 'search.v1'").await?;
        if head.is_none() || cursor >= head {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!("the search index did not catch up with the writes in two minutes");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The runs: dashboards against their SQL baseline and, with `checker`, the verification
/// write against a bare INSERT (and, on PostgreSQL with pgbench, the same write as one
/// hand-written statement).
async fn measure(
    settings: &Settings,
    options: &Options,
    db: &DatabaseConnection,
    server: &Server,
    viewer: &str,
    checker: Option<&str>,
) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let shown = check_answers(db, &server.address, viewer, None).await?;
    let filtered = check_answers(db, &server.address, viewer, Some(FILTER_STATUS)).await?;
    println!(
        "answers checked: GraphQL equals the SQL baseline ({shown} claims; {filtered} with status {FILTER_STATUS})"
    );
    let targets = match checker {
        Some(_) => Arc::new(write_targets(db, claims_count(db).await?).await?),
        None => Arc::new(Vec::new()),
    };
    let mut table = vec![
        format!("{backend:?}, {} s per run", options.duration.as_secs()),
        String::new(),
        "| run | concurrency | req/s | p50 ms | p95 ms | p99 ms | errors | server RSS MiB | PostgreSQL CPU ms/req | of baseline |".into(),
        "|---|---|---|---|---|---|---|---|---|---|".into(),
    ];
    let mut failures = Vec::new();
    let mut check = |name: &str, concurrency: usize, figures: &Figures, ours: bool| {
        if figures.requests == 0 {
            failures.push(format!(
                "{name} at concurrency {concurrency}: nothing answered"
            ));
        } else if ours && figures.errors > 0 {
            failures.push(format!(
                "{name} at concurrency {concurrency}: {} errors",
                figures.errors
            ));
        }
    };
    let insert_sql = match backend {
        DbBackend::Postgres => "INSERT INTO bench_inserts (note) VALUES ('bench')",
        _ => "INSERT INTO bench_inserts (note) VALUES ('bench') RETURNING id",
    };
    // The hand-written write needs pgbench (and data-modifying WITH clauses).
    let sql_write = checker.is_some() && backend == DbBackend::Postgres && which("pgbench");
    if sql_write {
        db.execute_unprepared("DROP TABLE IF EXISTS bench_write_targets")
            .await?;
        db.execute_unprepared(&format!(
            "CREATE TABLE bench_write_targets AS SELECT (row_number() OVER ())::int AS n, id \
             FROM ({}) t",
            write_targets_sql(claims_count(db).await?)
        ))
        .await?;
        db.execute_unprepared("ALTER TABLE bench_write_targets ADD PRIMARY KEY (n)")
            .await?;
    }
    let mut notes = Vec::new();
    for &concurrency in &options.concurrency {
        for (status, name) in [
            (None, "dashboard"),
            (Some(FILTER_STATUS), "dashboard by status"),
        ] {
            let sql = dashboard_sql(backend, status);
            let cpu = DbCpu::start(backend);
            let raw = cpu.per_request(
                baseline(settings, backend, &sql, concurrency, options.duration).await?,
            );
            let cpu = DbCpu::start(backend);
            let ours = cpu.per_request(
                drive(
                    server,
                    viewer,
                    Load::Dashboard { status },
                    concurrency,
                    options.duration,
                )
                .await,
            );
            let baseline_name = format!("SQL baseline: {name}");
            let our_name = format!("GraphQL {name}");
            check(&baseline_name, concurrency, &raw, false);
            check(&our_name, concurrency, &ours, true);
            table.push(row(&baseline_name, concurrency, &raw, None));
            table.push(row(
                &our_name,
                concurrency,
                &ours,
                Some(ours.per_second / raw.per_second),
            ));
        }
        for (load, name) in [
            (Load::Search, "GraphQL search (ranked, snippets)"),
            (Load::CheckedBefore, "GraphQL checkedBefore"),
        ] {
            let cpu = DbCpu::start(backend);
            let figures =
                cpu.per_request(drive(server, viewer, load, concurrency, options.duration).await);
            check(name, concurrency, &figures, true);
            table.push(row(name, concurrency, &figures, None));
        }
        let Some(checker) = checker else {
            continue;
        };
        let cpu = DbCpu::start(backend);
        let raw = cpu.per_request(
            baseline(settings, backend, insert_sql, concurrency, options.duration).await?,
        );
        let raw_write = if sql_write {
            let cpu = DbCpu::start(backend);
            Some(cpu.per_request(pgbench(
                settings,
                &write_script(targets.len()),
                concurrency,
                options.duration,
            )?))
        } else {
            None
        };
        let cpu = DbCpu::start(backend);
        let ours = cpu.per_request(
            drive(
                server,
                checker,
                Load::Verify {
                    claims: targets.clone(),
                },
                concurrency,
                options.duration,
            )
            .await,
        );
        check("SQL baseline: single-row INSERT", concurrency, &raw, false);
        check("GraphQL recordVerification", concurrency, &ours, true);
        table.push(row(
            "SQL baseline: single-row INSERT",
            concurrency,
            &raw,
            None,
        ));
        if let Some(raw_write) = &raw_write {
            check(
                "SQL baseline: the same write as one hand-written statement",
                concurrency,
                raw_write,
                false,
            );
            table.push(row(
                "SQL baseline: the same write as one hand-written statement",
                concurrency,
                raw_write,
                Some(raw_write.per_second / raw.per_second),
            ));
            notes.push(format!(
                "recordVerification at concurrency {concurrency}: {:.0} % of the same write as one hand-written statement",
                100.0 * ours.per_second / raw_write.per_second
            ));
        }
        table.push(row(
            "GraphQL recordVerification",
            concurrency,
            &ours,
            Some(ours.per_second / raw.per_second),
        ));
        // The reads that follow are measured on a settled service: the search index
        // catches up with the writes first, as it would between bursts.
        let started = Instant::now();
        index_caught_up(db).await?;
        notes.push(format!(
            "search index caught up with the writes at concurrency {concurrency} in {:.1} s",
            started.elapsed().as_secs_f64()
        ));
    }
    if checker.is_some() {
        db.execute_unprepared("DELETE FROM bench_inserts").await?;
    }
    if sql_write {
        db.execute_unprepared("DROP TABLE bench_write_targets")
            .await?;
    }
    let peak = server.rss_kib("VmHWM:").unwrap_or(0);
    table.push(String::new());
    table.push(format!(
        "server peak RSS over the whole run (VmHWM): {:.0} MiB",
        peak as f64 / 1024.0
    ));
    table.extend(notes);
    println!("{}", table.join("\n"));
    desk::report(
        "this dataset",
        desk::first_paint(&server.address, viewer, DESK_LOADS).await?,
    );
    if !failures.is_empty() {
        anyhow::bail!(
            "the benchmark did not measure what it ran:\n{}",
            failures.join("\n")
        );
    }
    Ok(())
}
