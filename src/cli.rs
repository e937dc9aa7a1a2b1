//! The command line: `serve`, `migrate`, `schema`, `demo`, `import`, `export`, `extract`, `keys`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{Overrides, Settings};
use std::io::Write;

use futures_util::StreamExt;

use crate::domain::{Actor, Role};
use crate::interchange::ndjson;
use crate::service::keys;
use crate::startup::{self, Application};
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
    /// Import NDJSON (one article per line); prints a report line per input line.
    Import {
        /// The file to read; `-` for standard input.
        file: PathBuf,
        /// Also propose candidate claims from each imported article's body.
        #[arg(long)]
        extract: bool,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Propose candidate claims from a plain-text article (quotes with speakers and
    /// settings, figures with bounds, reported statements) and print them as JSON.
    /// Works offline: speakers are proposed by name, not matched to a database.
    Extract {
        /// The text file to read; `-` for standard input.
        file: PathBuf,
    },
    /// Export everything as NDJSON (the import format) to standard output.
    Export {
        #[command(flatten)]
        database: DatabaseArg,
    },
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
            startup::prepare_database(&connection).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Demo { database } => {
            let settings = cli.settings(database.database_url.as_deref(), None)?;
            let (connection, _) = db::connect(&settings.database).await?;
            startup::prepare_database(&connection).await?;
            let summary = demo::load(&connection).await?;
            crate::live::announce(&connection).await?;
            print(&format!(
                "demo loaded: article {} ({} records created, {} already present)\n",
                summary.article_id, summary.created, summary.existing
            ));
            Ok(())
        }
        Command::Import {
            file,
            extract,
            database,
        } => {
            let settings = cli.settings(database.database_url.as_deref(), None)?;
            let (connection, _) = db::connect(&settings.database).await?;
            startup::prepare_database(&connection).await?;
            run_import(&connection, file, *extract).await?;
            crate::live::announce(&connection).await?;
            Ok(())
        }
        Command::Extract { file } => {
            let body = if file == std::path::Path::new("-") {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(file)?
            };
            let candidates = crate::extract::extract(&body, &[]);
            print(&format!("{}\n", serde_json::to_string_pretty(&candidates)?));
            Ok(())
        }
        Command::Export { database } => {
            let settings = cli.settings(database.database_url.as_deref(), None)?;
            let (connection, _) = db::connect(&settings.database).await?;
            startup::prepare_database(&connection).await?;
            let mut lines = std::pin::pin!(ndjson::export(connection, Actor::system("export")));
            let mut out = std::io::stdout().lock();
            while let Some(line) = lines.next().await {
                out.write_all(line?.as_bytes())?;
            }
            Ok(())
        }
        Command::Keys { command, database } => {
            let settings = cli.settings(database.database_url.as_deref(), None)?;
            let (connection, _) = db::connect(&settings.database).await?;
            startup::prepare_database(&connection).await?;
            run_keys(&connection, command).await?;
            crate::live::announce(&connection).await?;
            Ok(())
        }
        Command::Serve {
            database,
            bind,
            demo: with_demo,
        } => {
            let settings = cli.settings(database.database_url.as_deref(), bind.as_deref())?;
            let bootstrap = settings.auth.bootstrap_admin_key;
            let key_file = std::path::PathBuf::from(&settings.auth.bootstrap_key_file);
            let app = Application::build(settings).await?;
            if bootstrap && let Some(created) = keys::ensure_admin_key(&app.state().db).await? {
                hand_over_first_admin_key(&created, &key_file)?;
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

/// Imports a file line by line (one line in memory at a time).
async fn run_import(
    db: &sea_orm::DatabaseConnection,
    file: &std::path::Path,
    extract: bool,
) -> anyhow::Result<()> {
    use std::io::BufRead;
    let operator = Actor::system("import");
    let reader: Box<dyn BufRead> = if file == std::path::Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(std::fs::File::open(file)?))
    };
    let mut summary = ndjson::ImportSummary {
        extract,
        ..ndjson::ImportSummary::default()
    };
    for (index, line) in reader.split(b'\n').enumerate() {
        let line = line?;
        let report = match std::str::from_utf8(&line) {
            Ok(text) if text.trim().is_empty() => continue,
            Ok(text) => summary.import(db, &operator, index + 1, text).await,
            Err(_) => summary.unreadable(index + 1, "is not UTF-8"),
        };
        print(&format!("{report}\n"));
    }
    print(&format!("{}\n", summary.closing_line()));
    if summary.failed > 0 {
        anyhow::bail!("{} of {} lines failed", summary.failed, summary.lines);
    }
    Ok(())
}

/// Hands the first admin key to the operator, and only to them: on the terminal when
/// stderr is one (like a database's generated first password), else in a file that only
/// this user can read. Never through the log stream, where it would land in log
/// pipelines (and, as several lines, break their parsing); the log says where it went.
fn hand_over_first_admin_key(
    created: &keys::CreatedKey,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let key_id = &created.record.key.key_id;
    if std::io::stderr().is_terminal() {
        announce_first_admin_key(&created.secret);
        tracing::info!(%key_id, "no admin API key existed; one was created and shown on the terminal");
        return Ok(());
    }
    write_private_file(file, &format!("{}\n", created.secret))?;
    tracing::warn!(
        %key_id,
        file = %file.display(),
        "no admin API key existed; one was created and written to the file, readable only by this user: store the key and delete the file"
    );
    Ok(())
}

/// Writes `contents` to `path` readable and writable by this user only: written to a
/// new file beside it with those permissions, then moved into place.
fn write_private_file(path: &std::path::Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let staging = path.with_extension("partial");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&staging).map_err(|e| {
        anyhow::anyhow!("writing the first admin key to {}: {e}", staging.display())
    })?;
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&staging, path)?;
    Ok(())
}

/// Shown once, on the terminal.
#[allow(
    clippy::print_stderr,
    reason = "the one-time secret must reach the operator at the terminal"
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
