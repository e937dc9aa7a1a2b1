//! The command line: `serve`, `migrate`, `schema`, `demo`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{Overrides, Settings};
use crate::startup::Application;
use crate::{db, demo, graphql, telemetry};

/// claimtrack: track what was claimed in the news, by whom, where, and what checkers found.
#[derive(Debug, Parser)]
#[command(name = "claimtrack", version, about)]
pub struct Cli {
    /// An extra TOML settings file, applied after config/ files and before environment variables.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (GraphQL at /graphql), applying pending migrations first.
    Serve {
        #[command(flatten)]
        database: DatabaseArg,
        /// Address to listen on, HOST:PORT [default: 127.0.0.1:8080].
        #[arg(long, value_name = "HOST:PORT")]
        bind: Option<String>,
        /// Load the worked example before serving.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Print the GraphQL schema (SDL) to stdout.
    Schema,
    /// Load the worked example (an article about the November 2015 Paris attacks). Idempotent.
    Demo {
        #[command(flatten)]
        database: DatabaseArg,
    },
}

#[derive(Debug, Args)]
pub struct DatabaseArg {
    /// sqlite://FILE or postgres://… [default: sqlite://claimtrack.db; also DATABASE_URL]
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

impl Cli {
    fn settings(&self, database_url: Option<&str>, bind: Option<&str>) -> anyhow::Result<Settings> {
        let settings = Settings::load(&Overrides {
            config_file: self.config.clone(),
            database_url: database_url.map(str::to_owned),
            bind: bind.map(str::to_owned),
        })?;
        telemetry::init(&settings.log);
        Ok(settings)
    }
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Schema => {
            print(&graphql::sdl());
            Ok(())
        }
        Command::Migrate { database } => {
            let settings = cli.settings(database.database_url.as_deref(), None)?;
            let (connection, _) = db::connect(&settings.database).await?;
            db::migrate(&connection).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Demo { database } => {
            let settings = cli.settings(database.database_url.as_deref(), None)?;
            let (connection, _) = db::connect(&settings.database).await?;
            db::migrate(&connection).await?;
            let summary = demo::load(&connection).await?;
            print(&format!(
                "demo loaded: article {} ({} records created, {} already present)\n",
                summary.article_id, summary.created, summary.existing
            ));
            Ok(())
        }
        Command::Serve {
            database,
            bind,
            demo: with_demo,
        } => {
            let settings = cli.settings(database.database_url.as_deref(), bind.as_deref())?;
            let app = Application::build(settings).await?;
            if *with_demo {
                let summary = demo::load(&app.state().db).await?;
                tracing::info!(
                    created = summary.created,
                    existing = summary.existing,
                    "demo loaded"
                );
            }
            tracing::info!(
                port = app.port(),
                "claimtrack listening; GraphQL at http://{}/graphql",
                app.state()
                    .settings
                    .server
                    .bind
                    .replace(":0", &format!(":{}", app.port()))
            );
            app.run_until_stopped().await?;
            tracing::info!("stopped");
            Ok(())
        }
    }
}

/// Command output goes to stdout; logs go to stderr.
#[allow(clippy::print_stdout, reason = "the CLI's output")]
fn print(text: &str) {
    print!("{text}");
}
