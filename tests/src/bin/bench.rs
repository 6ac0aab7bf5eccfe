//! fermata-bench: start workflows whose one SIMPLE task is completed over real HTTP with
//! `POST /api/tasks/{wf}/{ref}/COMPLETED`, at a chosen concurrency, and report throughput
//! and latencies.
//!
//!     cargo run --release -p fermata-tests --bin fermata-bench -- --workflows 5000 --concurrency 32
//!
//! Without `--url` it starts `target/release/fermata` (or `$FERMATA_BIN`) on a fresh SQLite
//! database in a temporary directory.

use clap::Parser;
use fermata_tests::Server;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Parser)]
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
    let args = Args::parse();
    let server = match &args.url {
        Some(_) => None,
        None => Some(Server::start().await),
    };
    let base = args
        .url
        .clone()
        .unwrap_or_else(|| server.as_ref().map(|s| s.base.clone()).unwrap_or_default());
    let api = format!("{base}/api");
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
    for _ in 0..args.concurrency {
        let (http, api, next, total) = (http.clone(), api.clone(), next.clone(), args.workflows);
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
        "fermata-bench: {} workflows, concurrency {}",
        args.workflows, args.concurrency
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
    if let Some(pid) = server.as_ref().and_then(Server::pid)
        && let (Some(rss), Some(peak)) = (rss_kib(pid, "VmRSS:"), rss_kib(pid, "VmHWM:"))
    {
        println!(
            "  server RSS         {} MiB now, {} MiB peak",
            rss / 1024,
            peak / 1024
        );
    }
    Ok(())
}
