//! `claimtrack-bench`: the benchmark harness, a program of its own beside the service (the
//! service binary ships without it). It seeds an empty database, starts
//! `target/release/claimtrack serve` on it, checks its answers against hand-written SQL,
//! measures, prints the figures, and exits non-zero when a run measured nothing.

use std::path::PathBuf;
use std::process::ExitCode;

use claimtrack::config::{Overrides, Settings};
use clap::Parser;

/// Measures claimtrack's dashboard and verification write against hand-written SQL.
#[derive(Debug, Parser)]
#[command(name = "claimtrack-bench", version)]
struct Args {
    /// The database to measure: an empty one (seeded, and kept for the next run) or one
    /// an earlier run seeded.
    #[arg(
        long,
        env = "CLAIMTRACK_DATABASE__URL",
        required_unless_present = "desk_url"
    )]
    database_url: Option<String>,
    /// An extra TOML settings file for the server, as `claimtrack --config`.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Seed of the generated data (same seed, same data on every database).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Dataset size; 1.0 is 2,000 sources, 10,000 articles, 100,000 claims.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Seconds each run lasts.
    #[arg(long, default_value_t = 15)]
    duration: u64,
    /// Concurrency levels, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "16,64")]
    concurrency: Vec<usize>,
    /// Measure a database holding other data, read-only (dashboards only, nothing
    /// written or created), with this viewer key.
    #[arg(long, value_name = "VIEWER_KEY")]
    existing_data_key: Option<String>,
    /// Only measure the desk's first paint on the claimtrack serving at this address
    /// (e.g. `claimtrack serve --demo`), signed in with `--desk-key`.
    #[arg(long, value_name = "URL", requires = "desk_key")]
    desk_url: Option<String>,
    /// The key the desk signs in with for `--desk-url`.
    #[arg(long, value_name = "KEY")]
    desk_key: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("claimtrack-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    if let (Some(url), Some(key)) = (&args.desk_url, &args.desk_key) {
        let paints = claimtrack_bench::desk::first_paint(
            url.trim_end_matches('/'),
            key,
            claimtrack_bench::DESK_LOADS,
        )
        .await?;
        if paints.is_none() {
            anyhow::bail!(
                "ChromeDriver is not installed (apt-get install chromium chromium-driver)"
            );
        }
        claimtrack_bench::desk::report(url, paints);
        return Ok(());
    }
    let Some(database_url) = args.database_url.clone() else {
        anyhow::bail!("--database-url is required");
    };
    if !(args.scale > 0.0 && args.scale.is_finite()) {
        anyhow::bail!("--scale must be a positive number");
    }
    if args.duration == 0 || args.concurrency.is_empty() || args.concurrency.contains(&0) {
        anyhow::bail!("--duration and every --concurrency level must be at least 1");
    }
    let settings = Settings::load(&Overrides {
        config_file: args.config.clone(),
        database_url: Some(database_url),
        bind: None,
    })?;
    let options = claimtrack_bench::Options {
        seed: args.seed,
        scale: args.scale,
        duration: std::time::Duration::from_secs(args.duration),
        concurrency: args.concurrency,
        existing_data_key: args.existing_data_key,
    };
    claimtrack_bench::run(&settings, args.config.as_ref(), &options).await
}
