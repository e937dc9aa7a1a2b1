//! The command line: `serve`, `migrate`, `schema`, `demo`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{Overrides, Settings};
use crate::domain::{Actor, Role};
use crate::service::keys;
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
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Load the worked example (an article about the November 2015 Paris attacks). Idempotent.
    Demo {
        #[command(flatten)]
        database: DatabaseArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; its secret is printed once and never stored.
    Create {
        /// Who or what will hold it.
        #[arg(long)]
        name: String,
        /// viewer, checker, editor or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Days until it stops working; omitted: it does not expire.
        #[arg(long, value_name = "DAYS")]
        expires_in: Option<u32>,
    },
    /// List keys: id, name, role, created, expires, last used, revoked.
    List,
    /// Revoke a key by its id or short key id; it stops working at once.
    Revoke {
        /// The key's id (UUID) or short key id.
        id: String,
    },
}

fn parse_role(raw: &str) -> Result<Role, String> {
    raw.to_ascii_lowercase().parse()
}

#[derive(Debug, Args)]
pub struct DatabaseArg {
    /// sqlite://FILE or postgres://… [default: sqlite://claimtrack.db; also DATABASE_URL]
    #[arg(long, value_name = "URL", global = true)]
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
        Command::Keys { command, database } => {
            let settings = cli.settings(database.database_url.as_deref(), None)?;
            let (connection, _) = db::connect(&settings.database).await?;
            db::migrate(&connection).await?;
            run_keys(&connection, command).await
        }
        Command::Serve {
            database,
            bind,
            demo: with_demo,
        } => {
            let settings = cli.settings(database.database_url.as_deref(), bind.as_deref())?;
            let bootstrap = settings.auth.bootstrap_admin_key;
            let app = Application::build(settings).await?;
            if bootstrap && let Some(created) = keys::ensure_admin_key(&app.state().db).await? {
                announce_first_admin_key(&created.secret);
            }
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

async fn run_keys(db: &sea_orm::DatabaseConnection, command: &KeysCommand) -> anyhow::Result<()> {
    let operator = Actor::system("cli");
    match command {
        KeysCommand::Create {
            name,
            role,
            expires_in,
        } => {
            let created = keys::create(db, &operator, name, *role, *expires_in).await?;
            let key = &created.record.key;
            print(&format!(
                "created {} key {} ({}) for {}{}\n\n    {}\n\nThis secret is shown only once; send it as `Authorization: Bearer <secret>`.\n",
                created.record.role,
                key.key_id,
                key.id,
                key.name,
                key.expires_at
                    .map(|e| format!(", expires {}", e.to_rfc3339()))
                    .unwrap_or_default(),
                created.secret
            ));
        }
        KeysCommand::List => {
            let mut out = format!(
                "{:<14} {:<36} {:<24} {:<8} {:<20} {:<20} {:<20} {}\n",
                "KEY ID", "ID", "NAME", "ROLE", "CREATED", "EXPIRES", "LAST USED", "REVOKED"
            );
            let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
                t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap_or_else(|| "-".into())
            };
            for record in keys::list(db, &operator).await? {
                let k = &record.key;
                out.push_str(&format!(
                    "{:<14} {:<36} {:<24} {:<8} {:<20} {:<20} {:<20} {}\n",
                    k.key_id,
                    k.id,
                    k.name,
                    record.role.as_str(),
                    when(Some(k.created_at)),
                    when(k.expires_at),
                    when(k.last_used_at),
                    when(k.revoked_at)
                ));
            }
            print(&out);
        }
        KeysCommand::Revoke { id } => {
            let record = keys::revoke(db, &operator, id).await?;
            print(&format!(
                "revoked key {} ({})\n",
                record.key.key_id, record.key.name
            ));
        }
    }
    Ok(())
}

/// Shown once, on stderr, like a database's generated first password.
#[allow(
    clippy::print_stderr,
    reason = "the one-time secret must reach the operator"
)]
fn announce_first_admin_key(secret: &str) {
    eprintln!(
        "\n------------------------------------------------------------------------\n\
         No admin API key existed, so claimtrack created one. It is shown only\n\
         this once; store it now (create others with `claimtrack keys create`):\n\n    \
         {secret}\n\n\
         Use it as: Authorization: Bearer <key>\n\
         ------------------------------------------------------------------------\n"
    );
}

/// Command output goes to stdout; logs go to stderr.
#[allow(clippy::print_stdout, reason = "the CLI's output")]
fn print(text: &str) {
    print!("{text}");
}
