//! `fermata`: the workflow engine binary.

mod api;
mod engine;
mod error;
mod ui;

use anyhow::Context;
use clap::{Parser, Subcommand};
use engine::Engine;
use fermata_core::model::WorkflowDef;
use fermata_store::SqliteStore;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::watch;

#[derive(Parser)]
#[command(
    name = "fermata",
    version,
    about = "A Conductor-compatible workflow engine that holds until released"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the REST API.
    Serve(ServeArgs),
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "FERMATA_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Where state lives: `sqlite://PATH` (created when missing).
    #[arg(
        long,
        env = "FERMATA_DATABASE_URL",
        default_value = "sqlite://fermata.db"
    )]
    database_url: String,
    /// A directory of workflow definitions (`*.json`, one definition or a list each) to
    /// create or update at start.
    #[arg(long, env = "FERMATA_DEFINITIONS")]
    definitions: Option<PathBuf>,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "FERMATA_MAX_BODY_BYTES", default_value_t = 8 * 1024 * 1024)]
    max_body_bytes: usize,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FERMATA_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Serve(args) => runtime.block_on(serve(args)),
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let store = Arc::new(
        SqliteStore::open(&args.database_url)
            .await
            .with_context(|| format!("opening {}", args.database_url))?,
    );
    let (stop, stopped) = watch::channel(false);
    let engine = Engine::new(store.clone(), stopped);
    if let Some(dir) = &args.definitions {
        load_definitions(&engine, dir).await?;
    }
    let timers = tokio::spawn(engine.clone().run_timers());
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    tracing::info!(address = %listener.local_addr()?, database = %args.database_url, "fermata is serving");
    let app = api::router(engine.clone(), args.max_body_bytes);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("stopping: finishing in-flight requests");
        let _ = stop.send(true);
    })
    .await?;
    let _ = timers.await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}

/// Create or update every definition in `dir`; a bad file stops the start with its name.
async fn load_definitions(engine: &Engine, dir: &Path) -> anyhow::Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading definitions from {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
        let defs: Vec<WorkflowDef> = match value {
            serde_json::Value::Array(_) => serde_json::from_value(value),
            other => serde_json::from_value(other).map(|d| vec![d]),
        }
        .with_context(|| format!("{} is not a workflow definition", file.display()))?;
        for def in defs {
            engine
                .register_workflow_def(&def, true)
                .await
                .map_err(|e| {
                    anyhow::anyhow!("{}: {} {:?}", file.display(), e, e.validation_errors)
                })?;
            tracing::info!(name = %def.name, version = def.version, file = %file.display(), "definition loaded");
        }
    }
    Ok(())
}
