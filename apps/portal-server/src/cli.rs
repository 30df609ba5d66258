//! The command line: `serve` (the default), `accounts create`, `migrate`.

use std::io::Write;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use portal_domain::Name;

use crate::app::{self, Ports};
use crate::config::{Config, MailConfig};
use crate::{demo, secret_key};

/// The billing client portal server. Configuration comes from `PORTAL_*`
/// environment variables; see the README.
#[derive(Debug, Parser)]
#[command(name = "portal-server", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the portal and the operator API (the default).
    Serve(ServeArgs),
    /// Manage the businesses that use the portal.
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print a new server key for `PORTAL_SECRET_KEY` (every process that
    /// shares a database needs the same one).
    SecretKey,
}

#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Seed demo data into an empty database and print a link into the demo
    /// portal (the default on SQLite).
    #[arg(long, conflicts_with = "no_demo")]
    pub demo: bool,
    /// No demo data and no demo link (the default on PostgreSQL, so a new
    /// production database never gets demo data).
    #[arg(long)]
    pub no_demo: bool,
}

impl ServeArgs {
    /// Whether to seed and show the demo on this database.
    pub fn demo_on(&self, config: &Config) -> bool {
        self.demo || (!self.no_demo && !config.database_url.is_postgres())
    }
}

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Create an account and print its id and API key as JSON. The key is
    /// shown once; only its hash is stored.
    Create {
        /// The business's name, as clients will see it.
        #[arg(long)]
        name: String,
    },
}

/// Runs the command the user asked for.
///
/// # Errors
/// Whatever stops the command, with context for the person reading it.
pub async fn run(cli: Cli, config: Config) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => serve(config, args).await,
        Command::Accounts {
            command: AccountsCommand::Create { name },
        } => create_account(config, &name).await,
        Command::SecretKey => print(&format!("{}\n", secret_key::generate())),
        Command::Migrate => {
            portal_store::Database::open(&config.database_url).await?;
            tracing::info!(database = %config.database_url, "migrations applied");
            Ok(())
        }
    }
}

async fn serve(config: Config, args: ServeArgs) -> anyhow::Result<()> {
    let app = app::build(&config, Ports::default()).await?;
    let listener = app::bind(config.bind).await?;
    let mut banner = format!(
        "\nBilling portal listening on {} (serving {})\n",
        listener.local_addr()?,
        config.public_url
    );
    if args.demo_on(&config) {
        if let Some(seeded) = demo::seed_if_empty(&app.services).await? {
            banner.push_str(&format!(
                "\nSeeded demo data: {} bills Acme Corporation.\nOperator API key of the demo account (shown once): {}\n",
                seeded.account.name,
                seeded.api_key.reveal()
            ));
        }
        if let Some(link) = demo::demo_link(&app.services).await? {
            banner.push_str(&format!(
                "\nOpen the client portal as {}:\n\n    {}\n\n(The link works once; restart the server for a fresh one.)\n",
                link.contact, link.url
            ));
        }
    }
    if let MailConfig::Folder(dir) = &config.mail {
        banner.push_str(&format!(
            "Emails are written to {} instead of being sent.\n",
            dir.display()
        ));
    }
    print(&banner)?;
    app::serve(listener, app, shutdown_signal()).await
}

async fn create_account(config: Config, name: &str) -> anyhow::Result<()> {
    let name = Name::parse("--name", name)?;
    let app = app::build(&config, Ports::default()).await?;
    let created = app
        .services
        .accounts
        .create_account(name, false)
        .await
        .context("creating the account")?;
    let out = serde_json::json!({
        "account_id": created.account.id.to_string(),
        "name": created.account.name.as_str(),
        "api_key": created.api_key.reveal(),
    });
    print(&format!("{out:#}\n"))?;
    eprintln!("Store the API key now: it is not shown again.");
    Ok(())
}

/// Writes to standard output (the one place the server talks to a person
/// rather than to its log).
fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(database: &str) -> Config {
        Config::from_lookup(|name| (name == "PORTAL_DATABASE_URL").then(|| database.to_owned()))
            .unwrap()
    }

    #[test]
    fn the_demo_is_on_by_default_only_on_sqlite() {
        let (sqlite, postgres) = (config("sqlite://x.db"), config("postgres://db/portal"));
        let default = ServeArgs::default();
        assert!(default.demo_on(&sqlite));
        assert!(!default.demo_on(&postgres));
        let forced = ServeArgs {
            demo: true,
            no_demo: false,
        };
        assert!(forced.demo_on(&postgres));
        let off = ServeArgs {
            demo: false,
            no_demo: true,
        };
        assert!(!off.demo_on(&sqlite));
        assert!(Cli::try_parse_from(["portal-server", "serve", "--demo", "--no-demo"]).is_err());
    }
}
