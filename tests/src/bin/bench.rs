//! fermata-bench, three measurements:
//!
//! - `workflows` (the default): start workflows whose one SIMPLE task is completed over real
//!   HTTP with `POST /api/tasks/{wf}/{ref}/COMPLETED`, at a chosen concurrency; report
//!   workflows/s and latencies.
//!
//!       cargo run --release -p fermata-tests --bin fermata-bench -- --workflows 5000 --concurrency 32
//!
//! - `plugin-overhead`: what the host adds to a plugin task: instantiate + execute of a
//!   trivial plugin (ECHO), in microseconds.
//!
//!       cargo run --release -p fermata-tests --bin fermata-bench -- plugin-overhead --runs 5000
//!
//! - `cold-start`: from process start to the first 200 of `/health`, with every plugin
//!   compiled (first start) and loaded from the on-disk cache (later starts).
//!
//!       cargo run --release -p fermata-tests --bin fermata-bench -- cold-start --starts 10
//!
//! They start `target/release/fermata` (or `$FERMATA_BIN`) on a fresh SQLite database in a
//! temporary directory, unless `--url` names a running one (workflows only). `workflows`
//! runs on another database with `--database-url` (e.g. an empty Postgres database), and
//! with `--hosts N` starts N hosts on it and spreads the clients over them:
//!
//!       cargo run --release -p fermata-tests --bin fermata-bench -- --workflows 5000 --concurrency 32 \
//!           --database-url postgres://postgres@127.0.0.1:5432/bench --hosts 3

use clap::Parser;
use fermata_tests::Server;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    workflows: Args,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Workflows completed by a signal over HTTP (the default).
    Workflows(Args),
    /// Instantiate + execute of a trivial plugin.
    PluginOverhead {
        #[arg(long, default_value_t = 5000)]
        runs: usize,
    },
    /// Process start to first 200, plugins compiled and then cached.
    ColdStart {
        #[arg(long, default_value_t = 10)]
        starts: usize,
    },
}

#[derive(clap::Args)]
struct Args {
    /// Workflows to run.
    #[arg(long, default_value_t = 5000)]
    workflows: usize,
    /// Clients working at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// An already running fermata (e.g. http://127.0.0.1:8080); default: start one.
    #[arg(long)]
    url: Option<String>,
    /// The database the started hosts share; default: a fresh SQLite file.
    #[arg(long)]
    database_url: Option<String>,
    /// Hosts to start on `--database-url`; clients are spread over them.
    #[arg(long, default_value_t = 1)]
    hosts: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn rss_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        None => workflows(cli.workflows).await,
        Some(Command::Workflows(args)) => workflows(args).await,
        Some(Command::PluginOverhead { runs }) => plugin_overhead(runs).await,
        Some(Command::ColdStart { starts }) => cold_start(starts).await,
    }
}

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

async fn plugin_overhead(runs: usize) -> anyhow::Result<()> {
    use fermata_wasm::{HostConfig, Limits, PluginRuntime, Source, TaskInfo};
    let runtime = PluginRuntime::new(Limits::default(), HostConfig::default(), None, &[])?;
    let prepared = runtime
        .prepare(&fermata_tests::peers::plugin_wasm("echo"), Source::Builtin)
        .await?;
    runtime.install(prepared);
    let input: serde_json::Map<String, serde_json::Value> =
        json!({"orderId": 42, "items": [1, 2, 3]})
            .as_object()
            .cloned()
            .unwrap();
    let task = TaskInfo {
        workflow_id: "wf".into(),
        task_id: "t".into(),
        reference_name: "echo".into(),
        task_type: "ECHO".into(),
        workflow_name: "bench".into(),
        correlation_id: None,
        attempt: 0,
        run: 0,
        now_ms: 0,
    };
    // Warm up caches and the allocator pool before measuring.
    for _ in 0..200 {
        runtime.execute(&task, &input).await?;
    }
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let run = runtime.execute(&task, &input).await?;
        samples.push(t.elapsed());
        anyhow::ensure!(
            matches!(
                run.outcome,
                fermata_core::decider::PluginOutcome::Completed(_)
            ),
            "{:?}",
            run.outcome
        );
    }
    samples.sort();
    println!(
        "fermata-bench plugin-overhead: {runs} runs of ECHO (instantiate + execute, one fresh instance each)"
    );
    println!(
        "  median {}   p99 {}   max {}",
        micros(percentile(&samples, 0.5)),
        micros(percentile(&samples, 0.99)),
        micros(samples[samples.len() - 1])
    );
    Ok(())
}

async fn cold_start(starts: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let cache = dir.path().join("cache");
    let mut times = Vec::new();
    for n in 0..starts.max(2) {
        let db = dir.path().join(format!("f{n}.db"));
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let started = Instant::now();
        let mut child = std::process::Command::new(fermata_tests::binary())
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                &format!("sqlite://{}", db.display()),
            ])
            .arg("--plugin-cache")
            .arg(&cache)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        let url = format!("http://127.0.0.1:{port}/health");
        let http = reqwest::Client::new();
        loop {
            if let Ok(r) = http.get(&url).send().await
                && r.status().is_success()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        times.push(started.elapsed());
        child.kill()?;
        child.wait()?;
    }
    let first = times.remove(0);
    times.sort();
    println!("fermata-bench cold-start: process start to first 200 on /health, 6 builtin plugins");
    println!(
        "  first start (compiling plugins, filling the cache)  {}",
        ms(first)
    );
    println!(
        "  cached starts ({}): median {}   max {}",
        times.len(),
        ms(percentile(&times, 0.5)),
        ms(times[times.len() - 1])
    );
    Ok(())
}

async fn workflows(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.hosts == 1 || args.database_url.is_some(),
        "--hosts needs --database-url: hosts share a database"
    );
    let mut servers = Vec::new();
    if args.url.is_none() {
        match &args.database_url {
            Some(url) => {
                for _ in 0..args.hosts.max(1) {
                    servers.push(Server::start_host(url, &[]).await);
                }
            }
            None => servers.push(Server::start().await),
        }
    }
    let apis: Vec<String> = match &args.url {
        Some(url) => vec![format!("{url}/api")],
        None => servers.iter().map(|s| format!("{}/api", s.base)).collect(),
    };
    let api = apis[0].clone();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    http.post(format!("{api}/metadata/taskdefs"))
        .json(&json!([{"name": "bench_task", "retryCount": 0, "responseTimeoutSeconds": 3600}]))
        .send()
        .await?
        .error_for_status()?;
    http.post(format!("{api}/metadata/workflow?overwrite=true"))
        .json(&json!({"name": "bench", "version": 1, "tasks": [
            {"name": "bench_task", "taskReferenceName": "bench_ref", "inputParameters": {"n": "${workflow.input.n}"}}
        ], "outputParameters": {"result": "${bench_ref.output.result}"}}))
        .send()
        .await?
        .error_for_status()?;

    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut lanes = Vec::new();
    for lane in 0..args.concurrency {
        let api = apis[lane % apis.len()].clone();
        let (http, next, total) = (http.clone(), next.clone(), args.workflows);
        lanes.push(tokio::spawn(async move {
            let mut starts = Vec::new();
            let mut signals = Vec::new();
            let mut ids = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    return anyhow::Ok((starts, signals, ids));
                }
                let t = Instant::now();
                let id = http
                    .post(format!("{api}/workflow/bench"))
                    .json(&json!({"n": n}))
                    .send()
                    .await?
                    .error_for_status()?
                    .text()
                    .await?;
                starts.push(t.elapsed());
                let t = Instant::now();
                http.post(format!("{api}/tasks/{id}/bench_ref/COMPLETED"))
                    .json(&json!({"result": n}))
                    .send()
                    .await?
                    .error_for_status()?;
                signals.push(t.elapsed());
                ids.push(id);
            }
        }));
    }
    let mut starts = Vec::new();
    let mut signals = Vec::new();
    let mut ids = Vec::new();
    for lane in lanes {
        let (s, g, i) = lane.await??;
        starts.extend(s);
        signals.extend(g);
        ids.extend(i);
    }
    let elapsed = started.elapsed();
    // Every workflow must really have completed: a benchmark of failures measures nothing.
    for id in ids.iter().step_by((ids.len() / 50).max(1)) {
        let wf: serde_json::Value = http
            .get(format!("{api}/workflow/{id}?includeTasks=false"))
            .send()
            .await?
            .json()
            .await?;
        anyhow::ensure!(
            wf["status"] == "COMPLETED",
            "workflow {id} is {}",
            wf["status"]
        );
    }
    starts.sort();
    signals.sort();
    println!(
        "fermata-bench: {} workflows, concurrency {}, {} host(s) on {}",
        args.workflows,
        args.concurrency,
        apis.len(),
        args.database_url
            .as_deref()
            .map_or_else(|| "SQLite".to_string(), scheme_of)
    );
    println!("  elapsed            {:.2} s", elapsed.as_secs_f64());
    println!(
        "  workflows/s        {:.0}",
        args.workflows as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  start    p50 / p99 {} / {}",
        ms(percentile(&starts, 0.5)),
        ms(percentile(&starts, 0.99))
    );
    println!(
        "  signal   p50 / p99 {} / {}",
        ms(percentile(&signals, 0.5)),
        ms(percentile(&signals, 0.99))
    );
    for pid in servers.iter().filter_map(Server::pid) {
        if let (Some(rss), Some(peak)) = (rss_kib(pid, "VmRSS:"), rss_kib(pid, "VmHWM:")) {
            println!(
                "  server RSS         {} MiB now, {} MiB peak",
                rss / 1024,
                peak / 1024
            );
        }
    }
    Ok(())
}

/// The kind of database a URL names, for the report (never its password).
fn scheme_of(url: &str) -> String {
    url.split_once("://")
        .map_or("?", |(scheme, _)| scheme)
        .to_string()
}
