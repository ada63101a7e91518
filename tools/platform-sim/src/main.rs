//! The `platform-sim` command line: `certs` creates the demo PKI, `serve` runs
//! the platform and announces `READY {base}` on stdout once listening.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use platform_sim::{certs, server};

#[derive(Debug, Parser)]
#[command(
    name = "platform-sim",
    version,
    about = "ChartGuard demo regional platform (FHIR R4 over TLS)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the test CA and server certificate in DIR (existing files are kept).
    Certs {
        /// Directory for ca.pem, ca-key.pem, server.pem, server-key.pem.
        #[arg(long)]
        dir: PathBuf,
    },
    /// Serve FHIR R4 on https://127.0.0.1:PORT/fhir.
    Serve {
        /// Directory of the demo PKI (created if needed).
        #[arg(long)]
        dir: PathBuf,
        /// Port on 127.0.0.1; 0 picks a free one.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// OpenID issuer URL (https) whose keys sign access tokens.
        #[arg(long)]
        issuer: Option<String>,
        /// Required `aud` of access tokens.
        #[arg(long, default_value = server::DEFAULT_AUDIENCE)]
        audience: String,
        /// Directory with synthea/*.json and hl7-examples/*.json to load.
        #[arg(long)]
        fixtures: Option<PathBuf>,
        /// Seed of the synthetic data generator.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Number of synthetic patients (half Chinese, half Western).
        #[arg(long, default_value_t = 40)]
        patients: usize,
        /// Disable token checks (local poking only).
        #[arg(long)]
        no_auth: bool,
    },
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Certs { dir } => {
            certs::ensure(&dir)?;
            Ok(())
        }
        Command::Serve {
            dir,
            port,
            issuer,
            audience,
            fixtures,
            seed,
            patients,
            no_auth,
        } => {
            let options = server::Options {
                dir,
                port,
                issuer,
                audience,
                fixtures,
                seed,
                patients,
                no_auth,
            };
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(serve(options))
        }
    }
}

async fn serve(options: server::Options) -> anyhow::Result<()> {
    if options.no_auth {
        tracing::warn!("token checks disabled (--no-auth)");
    }
    let running = server::start(options).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "READY {}", running.base_url)?;
        out.flush()?;
    }
    shutdown_signal().await?;
    tracing::info!("shutting down");
    running.shutdown().await
}

async fn shutdown_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).context("installing SIGTERM handler")?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.context("waiting for SIGINT")?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(())
}
