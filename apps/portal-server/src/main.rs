//! `portal-server`: reads the configuration, wires the adapters and runs
//! the command. Everything else lives in the library.

use clap::Parser;
use portal_server::cli::{self, Cli};
use portal_server::config::Config;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("PORTAL_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let outcome = match Config::from_env() {
        Ok(config) => cli::run(cli, config).await,
        Err(err) => Err(err),
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
