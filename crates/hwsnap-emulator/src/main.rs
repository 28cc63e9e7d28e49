//! `hwsnap-emulator`: runs the emulator until interrupted. The first stdout
//! line is the base URL and nothing else is written to stdout; logs go to stderr.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use hwsnap_emulator::{Config, spawn};

/// A local stand-in for Huawei Cloud DWS, CSS and IAM.
#[derive(Debug, Parser)]
#[command(name = "hwsnap-emulator", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Accepted access key (repeatable; pairs with --secret-key in order).
    #[arg(long = "access-key")]
    access_keys: Vec<String>,
    /// Secret key of the access key at the same position.
    #[arg(long = "secret-key")]
    secret_keys: Vec<String>,
    /// Project id accepted in paths.
    #[arg(long)]
    project_id: Option<String>,
    /// Region (IAM project name).
    #[arg(long)]
    region: Option<String>,
    /// A DWS cluster id (repeatable).
    #[arg(long = "dws-cluster")]
    dws_clusters: Vec<String>,
    /// A CSS cluster id (repeatable).
    #[arg(long = "css-cluster")]
    css_clusters: Vec<String>,
    /// Seconds a snapshot stays CREATING/BUILDING (0 and fractions allowed).
    #[arg(long)]
    create_seconds: Option<f64>,
    /// Persist clusters and snapshots here.
    #[arg(long)]
    state_file: Option<PathBuf>,
    /// Allow a non-loopback --listen address. The control API has no
    /// authentication: anyone who reaches the port controls the emulator.
    #[arg(long)]
    allow_remote: bool,
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    if args.access_keys.len() != args.secret_keys.len() {
        eprintln!("hwsnap-emulator: give one --secret-key per --access-key");
        std::process::exit(2);
    }
    let mut config = Config {
        listen: args.listen,
        state_file: args.state_file,
        allow_remote: args.allow_remote,
        ..Config::default()
    };
    if !args.access_keys.is_empty() {
        config.credentials = args.access_keys.into_iter().zip(args.secret_keys).collect();
    }
    if let Some(p) = args.project_id {
        config.project_id = p;
    }
    if let Some(r) = args.region {
        config.region = r;
    }
    if let Some(s) = args.create_seconds {
        if !s.is_finite() || s < 0.0 {
            eprintln!("hwsnap-emulator: --create-seconds must be >= 0");
            std::process::exit(2);
        }
        config.create_seconds = s;
    }
    if !args.dws_clusters.is_empty() || !args.css_clusters.is_empty() {
        config.dws_clusters = args.dws_clusters;
        config.css_clusters = args.css_clusters;
    }
    let running = match spawn(config).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("hwsnap-emulator: {e}");
            std::process::exit(1);
        }
    };
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{}", running.base_url);
    let _ = stdout.flush();
    tracing::info!(
        base_url = %running.base_url,
        dws_clusters = ?running.dws_clusters,
        css_clusters = ?running.css_clusters,
        "hwsnap-emulator listening"
    );
    wait_for_signal().await;
    running.shutdown().await;
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
