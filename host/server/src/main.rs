//! `fermata`: the workflow engine binary.

mod api;
mod engine;
mod error;
mod events;
mod plugins;
mod serve;
mod ui;

use anyhow::Context;
use clap::{Parser, Subcommand};
use engine::Engine;
use fermata_core::model::WorkflowDef;
use fermata_store::{PgOptions, PgStore, SqliteStore, Store};
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
    /// Where state lives: `sqlite://PATH` (created when missing; one host), or
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (any number of hosts on one database).
    #[arg(
        long,
        env = "FERMATA_DATABASE_URL",
        default_value = "sqlite://fermata.db"
    )]
    database_url: String,
    /// Postgres connections this host keeps at most.
    #[arg(long, env = "FERMATA_DATABASE_MAX_CONNECTIONS", default_value_t = 16)]
    database_max_connections: u32,
    /// A directory of workflow definitions (`*.json`, one definition or a list each) to
    /// create or update at start.
    #[arg(long, env = "FERMATA_DEFINITIONS")]
    definitions: Option<PathBuf>,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "FERMATA_MAX_BODY_BYTES", default_value_t = 8 * 1024 * 1024)]
    max_body_bytes: usize,
    /// A directory of plugins (`*.wasm` components) providing more task types.
    #[arg(long, env = "FERMATA_PLUGINS_DIR")]
    plugins_dir: Option<PathBuf>,
    /// Where compiled plugins are cached (default: `fermata-cache` beside the database).
    #[arg(long, env = "FERMATA_PLUGIN_CACHE")]
    plugin_cache: Option<PathBuf>,
    /// Non-public addresses plugins' HTTP calls may reach: `loopback`, `private`,
    /// `link-local`, `any`, addresses, CIDRs, host names, `*.domain` (comma-separated).
    #[arg(long, env = "FERMATA_ALLOW_HTTP", value_delimiter = ',')]
    allow_http: Vec<String>,
    /// Kafka bootstrap servers plugins may publish to (`host:port`, comma-separated, or `any`).
    #[arg(long, env = "FERMATA_ALLOW_KAFKA", value_delimiter = ',')]
    allow_kafka: Vec<String>,
    /// Kafka brokers behind `kafka:` event sinks and event handlers.
    #[arg(long, env = "FERMATA_EVENT_KAFKA_BROKERS")]
    event_kafka_brokers: Option<String>,
    /// Capabilities granted to a plugin that is not builtin: `TYPE=http,kafka,events`
    /// (repeat the flag, or separate with `;` in the environment).
    #[arg(long, env = "FERMATA_GRANT", value_delimiter = ';')]
    grant: Vec<String>,
    /// How long a claimed system task stays with this host without being extended, in
    /// milliseconds: the time another host waits before taking over the work of a host that
    /// died (it is extended every third of it while the task runs).
    #[arg(long, env = "FERMATA_CLAIM_LEASE_MS", default_value_t = 15_000)]
    claim_lease_ms: u64,
    /// Wall-clock budget of one plugin execution, in milliseconds.
    #[arg(long, env = "FERMATA_PLUGIN_TIMEOUT_MS", default_value_t = 60_000)]
    plugin_timeout_ms: u64,
    /// Wall-clock budget of a script (INLINE, JSON_JQ_TRANSFORM, a SWITCH or DO_WHILE
    /// condition, any plugin without capabilities) run inside a decision, in milliseconds.
    #[arg(long, env = "FERMATA_SCRIPT_TIMEOUT_MS", default_value_t = 4_000)]
    script_timeout_ms: u64,
    /// Memory limit of one plugin instance, in MiB.
    #[arg(long, env = "FERMATA_PLUGIN_MEMORY_MIB", default_value_t = 64)]
    plugin_memory_mib: usize,
    /// System tasks run at once on this host.
    #[arg(long, env = "FERMATA_PLUGIN_CONCURRENCY", default_value_t = 32)]
    plugin_concurrency: u32,
    /// Open client connections at most; at the limit a new one replaces the quietest idle one.
    #[arg(long, env = "FERMATA_MAX_CONNECTIONS", default_value_t = 1024)]
    max_connections: usize,
    /// Time a client has to send a request's headers, in milliseconds (it also closes
    /// keep-alive connections that send nothing for that long).
    #[arg(long, env = "FERMATA_HEADER_READ_TIMEOUT_MS", default_value_t = 10_000)]
    header_read_timeout_ms: u64,
    /// A connection that moves no byte either way for this long is closed, in milliseconds.
    #[arg(long, env = "FERMATA_IDLE_TIMEOUT_MS", default_value_t = 60_000)]
    idle_timeout_ms: u64,
}

impl ServeArgs {
    fn cache_dir(&self) -> PathBuf {
        if let Some(dir) = &self.plugin_cache {
            return dir.clone();
        }
        let db = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))
            .map(|p| p.split('?').next().unwrap_or(p))
            .map(PathBuf::from)
            .unwrap_or_default();
        db.parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
            .join("fermata-cache")
    }
}

/// A start that cannot go on: one line that says what to do, and exit status 2.
fn main() {
    if let Err(e) = run() {
        eprintln!("fermata: {e:#}");
        std::process::exit(2);
    }
}

fn run() -> anyhow::Result<()> {
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
    let backend = open_store(&args).await?;
    let store = backend.store();
    let (stop, stopped) = watch::channel(false);
    let engine = Engine::new(store.clone(), Arc::new(api::HttpAnswers), stopped);

    let limits = fermata_wasm::Limits {
        memory_bytes: args.plugin_memory_mib.max(1) << 20,
        deadline: std::time::Duration::from_millis(args.plugin_timeout_ms.max(1)),
        concurrency: args.plugin_concurrency.max(1),
    };
    let host = fermata_wasm::HostConfig {
        http: fermata_wasm::policy::HttpPolicy::parse(&args.allow_http)
            .map_err(anyhow::Error::msg)?,
        kafka: fermata_wasm::policy::KafkaPolicy::parse(&args.allow_kafka),
        event_brokers: args.event_kafka_brokers.clone(),
    };
    let runtime = Arc::new(fermata_wasm::PluginRuntime::new(
        limits,
        host,
        Some(args.cache_dir()),
        &args.grant,
    )?);
    runtime.set_workflow_signals(plugins::PluginSignals::new(&engine));
    engine.set_pure_runner(Arc::new(plugins::InDecision::new(
        runtime.clone(),
        std::time::Duration::from_millis(args.script_timeout_ms.max(1)),
    )));
    let plugins = plugins::Plugins::new(runtime, engine.clone(), store.clone());
    plugins.load_all(args.plugins_dir.as_deref()).await?;
    if let Some(dir) = &args.definitions {
        load_definitions(&engine, dir).await?;
    }
    let events = events::Events::new(
        engine.clone(),
        store.clone(),
        args.event_kafka_brokers.clone(),
    );
    events.start_listeners().await;

    let wakeups = tokio::spawn(engine.clone().run_wakeups());
    let plugin_sync = tokio::spawn(plugins.clone().run_sync());
    let timers = tokio::spawn(engine.clone().run_timers());
    let outbox = tokio::spawn(engine.clone().run_outbox());
    let scheduler = tokio::spawn(engine.clone().run_scheduler());
    let poll_data = tokio::spawn(engine.clone().run_poll_data());
    // A system task's claim: extended every third of it while its plugin runs.
    let lease = std::time::Duration::from_millis(args.claim_lease_ms.max(300));
    let executor = tokio::spawn(
        plugins
            .clone()
            .run_executor(limits.concurrency as usize, lease),
    );
    let event_queues = tokio::spawn(events.clone().run_queues());
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    tracing::info!(address = %listener.local_addr()?, database = %fermata_store::redact_url(&args.database_url), "fermata is serving");
    let app = api::router(
        api::App {
            engine: engine.clone(),
            plugins,
            events,
        },
        args.max_body_bytes,
    );

    let limits = serve::Limits {
        max_connections: args.max_connections,
        header_read_timeout: std::time::Duration::from_millis(args.header_read_timeout_ms.max(1)),
        idle_timeout: std::time::Duration::from_millis(args.idle_timeout_ms.max(1)),
    }
    .fitted_to_process();
    serve::serve(listener, app, limits, async move {
        shutdown_signal().await;
        tracing::info!("stopping: finishing in-flight requests");
        let _ = stop.send(true);
    })
    .await?;
    let _ = wakeups.await;
    let _ = plugin_sync.await;
    let _ = timers.await;
    let _ = outbox.await;
    let _ = scheduler.await;
    let _ = poll_data.await;
    let _ = executor.await;
    let _ = event_queues.await;

    backend.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The store `--database-url` names.
enum Backend {
    Sqlite(Arc<SqliteStore>),
    Postgres(Arc<PgStore>),
}

impl Backend {
    fn store(&self) -> Arc<dyn Store> {
        match self {
            Backend::Sqlite(s) => s.clone(),
            Backend::Postgres(s) => s.clone(),
        }
    }

    async fn close(&self) {
        match self {
            Backend::Sqlite(s) => s.close().await,
            Backend::Postgres(s) => s.close().await,
        }
    }
}

async fn open_store(args: &ServeArgs) -> anyhow::Result<Backend> {
    let url = args.database_url.as_str();
    let scheme = url.split_once(':').map_or("", |(s, _)| s);
    match scheme {
        "sqlite" => Ok(Backend::Sqlite(Arc::new(SqliteStore::open(url).await?))),
        "postgres" | "postgresql" => {
            let options = PgOptions {
                max_connections: args.database_max_connections,
                ..PgOptions::default()
            };
            Ok(Backend::Postgres(Arc::new(
                PgStore::open(url, options).await?,
            )))
        }
        _ => anyhow::bail!(
            "--database-url {url}: unknown database URL scheme '{scheme}'; use sqlite://PATH or postgres://USER@HOST/DATABASE"
        ),
    }
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
