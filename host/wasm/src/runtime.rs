//! The plugin runtime: load components (compiled or from the cache), keep an `InstancePre`
//! per plugin, and run one execution per task attempt in a fresh store with a deadline and
//! a memory limit. Whatever a plugin does wrong — trap, loop, allocate without end, return
//! garbage — ends as a failed outcome with a reason; the host carries on.

use crate::engine::{EPOCH_TICK, Limits, build_engine};
use crate::fermata::task::types::{Outcome, TaskContext};
use crate::host::{
    Capability, Grants, HostConfig, Limiter, PublishedEvent, Services, State, WorkflowSignals,
};
use crate::{TaskPlugin, TaskPluginPre, cache};
use anyhow::{Context, anyhow};
use fermata_core::decider::PluginOutcome;
use fermata_core::model::Json;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Engine, Store, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

/// How much of a plugin's stderr (e.g. a panic message) is kept for the task's reason.
const STDERR_CAPACITY: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "path")]
pub enum Source {
    /// Compiled into the fermata binary.
    Builtin,
    /// Loaded from `--plugins-dir`.
    Directory(PathBuf),
    /// Registered with `PUT /api/plugins/{taskType}` (kept in the database).
    Api,
}

/// The import through which a plugin asks for the `workflow` capability.
const WORKFLOW_INTERFACE: &str = "fermata:task/workflow@0.1.0";

/// A plugin as `GET /api/plugins` shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginSummary {
    pub task_type: String,
    pub description: String,
    /// What the plugin asks for.
    pub capabilities: Vec<&'static str>,
    /// What it gets: asked for and allowed by the operator.
    pub granted: Vec<&'static str>,
    pub source: Source,
    pub sha256: String,
    /// Whether its machine code came from the on-disk cache.
    pub from_cache: bool,
}

struct Loaded {
    summary: PluginSummary,
    pre: TaskPluginPre<State>,
    grants: Grants,
}

/// A compiled, described plugin, not yet installed.
pub struct Prepared {
    loaded: Loaded,
}

impl Prepared {
    pub fn task_type(&self) -> &str {
        &self.loaded.summary.task_type
    }
    pub fn summary(&self) -> &PluginSummary {
        &self.loaded.summary
    }
}

/// The task a plugin runs, from the host's side.
#[derive(Debug, Clone)]
pub struct TaskInfo {
    pub workflow_id: String,
    pub task_id: String,
    pub reference_name: String,
    pub task_type: String,
    pub workflow_name: String,
    pub correlation_id: Option<String>,
    pub attempt: u32,
    /// When the task was scheduled: the same when a run is repeated after a crash, another
    /// when the task is reset in place (a rerun), so what it asks of the engine is asked
    /// once per run.
    pub run: i64,
    pub now_ms: i64,
}

#[derive(Debug)]
pub struct Execution {
    pub outcome: PluginOutcome,
    /// `conductor:` events to commit with the outcome.
    pub events: Vec<PublishedEvent>,
    pub elapsed: std::time::Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("no plugin implements task type {0}")]
    UnknownType(String),
}

pub struct PluginRuntime {
    engine: Engine,
    linker: Linker<State>,
    services: Arc<Services>,
    limits: Limits,
    cache_dir: Option<PathBuf>,
    /// Capabilities the operator grants to non-builtin plugins.
    operator_grants: HashMap<Grantee, HashSet<Capability>>,
    plugins: RwLock<HashMap<String, Arc<Loaded>>>,
}

impl PluginRuntime {
    /// `grants`: `TYPE=cap,cap` or `TYPE@sha256:HEX=cap,cap` entries (`--grant`).
    pub fn new(
        limits: Limits,
        host: HostConfig,
        cache_dir: Option<PathBuf>,
        grants: &[String],
    ) -> anyhow::Result<PluginRuntime> {
        let engine = build_engine(&limits)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        TaskPlugin::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)?;
        let operator_grants = parse_grants(grants)?;
        Ok(PluginRuntime {
            engine,
            linker,
            services: Arc::new(Services::new(host)?),
            limits,
            cache_dir,
            operator_grants,
            plugins: RwLock::new(HashMap::new()),
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Let plugins granted `workflow` update tasks through the engine.
    pub fn set_workflow_signals(&self, signals: Arc<dyn WorkflowSignals>) {
        let _ = self.services.signals.set(signals);
    }

    fn store(
        &self,
        task: Option<&TaskInfo>,
        grants: Grants,
        stderr: MemoryOutputPipe,
        budget: Duration,
    ) -> Store<State> {
        let wasi = WasiCtxBuilder::new()
            .stderr(stderr.clone())
            .stdout(stderr)
            .build();
        let memory_bytes = self.limits.memory_bytes;
        let state = State {
            wasi,
            table: ResourceTable::new(),
            limits: Limiter {
                inner: StoreLimitsBuilder::new()
                    .memory_size(memory_bytes)
                    .instances(64)
                    .build(),
                memory_bytes,
                memory_refused: false,
            },
            task_type: task.map_or("describe", |t| &t.task_type).to_string(),
            workflow_id: task.map(|t| t.workflow_id.clone()).unwrap_or_default(),
            task_id: task.map(|t| t.task_id.clone()).unwrap_or_default(),
            run: task.map_or(0, |t| t.run),
            updates_asked: 0,
            grants,
            services: self.services.clone(),
            deadline: Instant::now() + budget,
            events: Vec::new(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        let deadline = Instant::now() + budget;
        store.set_epoch_deadline(1);
        // Every tick: stop if the deadline passed, else let other tasks run.
        store.epoch_deadline_callback(move |_| {
            if Instant::now() >= deadline {
                Ok(UpdateDeadline::Interrupt)
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store
    }

    /// Compile (or load from the cache), link, and ask the plugin to describe itself.
    pub async fn prepare(&self, bytes: &[u8], source: Source) -> anyhow::Result<Prepared> {
        let sha = cache::sha256_hex(bytes);
        let engine = self.engine.clone();
        let dir = self.cache_dir.clone();
        let owned = bytes.to_vec();
        let sha_for_load = sha.clone();
        let (component, from_cache): (Component, bool) = tokio::task::spawn_blocking(move || {
            cache::load(&engine, dir.as_deref(), &owned, &sha_for_load)
        })
        .await
        .context("compiling the component")??;
        let pre = TaskPluginPre::new(
            self.linker
                .instantiate_pre(&component)
                .map_err(anyhow::Error::from)
                .context("the component does not fit fermata's plugin world (wit/task.wit)")?,
        )?;
        let mut store = self.store(
            None,
            Grants::default(),
            MemoryOutputPipe::new(STDERR_CAPACITY),
            self.limits.deadline,
        );
        let instance = pre
            .instantiate_async(&mut store)
            .await
            .map_err(anyhow::Error::from)
            .context("instantiating the plugin")?;
        let info = instance
            .fermata_task_plugin()
            .call_describe(&mut store)
            .await
            .map_err(anyhow::Error::from)
            .context("the plugin's describe() failed")?;
        let task_type = info.task_type.trim().to_string();
        if task_type.is_empty()
            || !task_type
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            anyhow::bail!(
                "the plugin describes an invalid task type '{}': use letters, digits, _ and -",
                info.task_type
            );
        }
        let mut declared: HashSet<Capability> =
            info.capabilities.iter().map(|c| (*c).into()).collect();
        let imports_workflow = component
            .component_type()
            .imports(&self.engine)
            .any(|(name, _)| name == WORKFLOW_INTERFACE);
        if imports_workflow {
            declared.insert(Capability::Workflow);
        }
        let allowed = match &source {
            Source::Builtin => declared.clone(),
            source => self.allowed(source, &task_type, &sha),
        };
        let grants = Grants {
            capabilities: declared.intersection(&allowed).copied().collect(),
            grantee: match source {
                Source::Api => format!("{task_type}@sha256:{sha}"),
                _ => task_type.clone(),
            },
        };
        let names = |set: &HashSet<Capability>| {
            let mut v: Vec<&'static str> = set.iter().map(|c| c.name()).collect();
            v.sort();
            v
        };
        Ok(Prepared {
            loaded: Loaded {
                summary: PluginSummary {
                    task_type,
                    description: info.description,
                    capabilities: names(&declared),
                    granted: names(&grants.capabilities),
                    source,
                    sha256: sha,
                    from_cache,
                },
                pre,
                grants,
            },
        })
    }

    /// What the operator grants a plugin that is not builtin. A grant by name alone covers
    /// only plugins the operator installed (`--plugins-dir`): bytes uploaded over the API get
    /// capabilities only from a grant that names their content hash, so whoever can reach
    /// the API cannot swap code under a grant made for another binary.
    fn allowed(&self, source: &Source, task_type: &str, sha: &str) -> HashSet<Capability> {
        let pinned = Grantee {
            task_type: task_type.to_string(),
            sha256: Some(sha.to_string()),
        };
        let by_name = Grantee {
            task_type: task_type.to_string(),
            sha256: None,
        };
        let mut allowed: HashSet<Capability> = self
            .operator_grants
            .get(&pinned)
            .cloned()
            .unwrap_or_default();
        let named = self.operator_grants.get(&by_name);
        if matches!(source, Source::Directory(_)) {
            allowed.extend(named.into_iter().flatten());
        } else if named.is_some() && allowed.is_empty() {
            tracing::warn!(
                %task_type,
                "--grant {task_type}=… covers only a plugin installed from --plugins-dir; grant this upload with --grant {task_type}@sha256:{sha}=…"
            );
        }
        allowed
    }

    pub fn install(&self, prepared: Prepared) {
        let loaded = prepared.loaded;
        tracing::info!(
            task_type = %loaded.summary.task_type,
            granted = ?loaded.summary.granted,
            from_cache = loaded.summary.from_cache,
            "plugin loaded"
        );
        self.plugins
            .write()
            .expect("plugins poisoned")
            .insert(loaded.summary.task_type.clone(), Arc::new(loaded));
    }

    pub fn get(&self, task_type: &str) -> Option<PluginSummary> {
        self.plugins
            .read()
            .expect("plugins poisoned")
            .get(task_type)
            .map(|l| l.summary.clone())
    }

    pub fn summaries(&self) -> Vec<PluginSummary> {
        let mut all: Vec<_> = self
            .plugins
            .read()
            .expect("plugins poisoned")
            .values()
            .map(|l| l.summary.clone())
            .collect();
        all.sort_by(|a, b| a.task_type.cmp(&b.task_type));
        all
    }

    pub fn task_types(&self) -> Vec<String> {
        self.plugins
            .read()
            .expect("plugins poisoned")
            .keys()
            .cloned()
            .collect()
    }

    /// Run one attempt of a task. Every failure of the plugin itself is a failed outcome.
    pub async fn execute(&self, task: &TaskInfo, input: &Json) -> Result<Execution, ExecError> {
        self.execute_within(task, input, self.limits.deadline).await
    }

    /// Whether a plugin of this type is loaded and asks for no capabilities: pure
    /// computation, which the host may run inside a decision.
    pub fn is_pure(&self, task_type: &str) -> bool {
        self.plugins
            .read()
            .expect("plugins poisoned")
            .get(task_type)
            .is_some_and(|p| p.summary.capabilities.is_empty())
    }

    /// [`PluginRuntime::execute`] with a shorter deadline (scripts run inside a decision).
    pub async fn execute_within(
        &self,
        task: &TaskInfo,
        input: &Json,
        deadline: Duration,
    ) -> Result<Execution, ExecError> {
        let deadline = deadline.min(self.limits.deadline);
        let loaded = self
            .plugins
            .read()
            .expect("plugins poisoned")
            .get(&task.task_type)
            .cloned()
            .ok_or_else(|| ExecError::UnknownType(task.task_type.clone()))?;
        let started = Instant::now();
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        let mut store = self.store(Some(task), loaded.grants.clone(), stderr.clone(), deadline);
        let ctx = TaskContext {
            workflow_id: task.workflow_id.clone(),
            task_id: task.task_id.clone(),
            reference_name: task.reference_name.clone(),
            task_type: task.task_type.clone(),
            workflow_name: task.workflow_name.clone(),
            correlation_id: task.correlation_id.clone(),
            attempt: task.attempt,
            now_ms: task.now_ms.max(0) as u64,
        };
        let input = serde_json::to_string(input).unwrap_or_else(|_| "{}".into());
        let run = async {
            let instance = loaded.pre.instantiate_async(&mut store).await?;
            instance
                .fermata_task_plugin()
                .call_execute(&mut store, &ctx, &input)
                .await
        };
        // The epoch deadline stops wasm that computes; this stops a plugin waiting in a
        // host call as well.
        let budget = deadline + EPOCH_TICK * 2;
        let result = tokio::time::timeout(budget, run).await;
        let outcome = match result {
            Ok(Ok(outcome)) => convert(&task.task_type, outcome),
            Ok(Err(trap)) => PluginOutcome::Failed {
                reason: self.explain_trap(&task.task_type, &trap, &store, &stderr, deadline),
                output: Json::new(),
                terminal: false,
            },
            Err(_) => PluginOutcome::Failed {
                reason: deadline_reason(&task.task_type, deadline),
                output: Json::new(),
                terminal: false,
            },
        };
        let events = std::mem::take(&mut store.data_mut().events);
        Ok(Execution {
            outcome,
            events,
            elapsed: started.elapsed(),
        })
    }

    fn explain_trap(
        &self,
        task_type: &str,
        trap: &wasmtime::Error,
        store: &Store<State>,
        stderr: &MemoryOutputPipe,
        deadline: Duration,
    ) -> String {
        if store.data().limits.memory_refused {
            return format!(
                "plugin {task_type} exceeded its memory limit of {} MiB and was stopped (see --plugin-memory-mib)",
                store.data().limits.memory_bytes >> 20
            );
        }
        if matches!(
            trap.downcast_ref::<wasmtime::Trap>(),
            Some(wasmtime::Trap::Interrupt)
        ) {
            return deadline_reason(task_type, deadline);
        }
        let detail = trap.root_cause().to_string();
        // A Rust plugin that panics prints "... panicked at <place>:\n<message>" and a note.
        let printed = String::from_utf8_lossy(&stderr.contents()).into_owned();
        let said = printed
            .lines()
            .map(str::trim)
            .rev()
            .find(|l| !l.is_empty() && !l.starts_with("note: run with"))
            .unwrap_or_default();
        match (printed.contains("panicked at"), said.is_empty()) {
            (true, false) => format!("plugin {task_type} panicked: {said}"),
            (false, false) => format!("plugin {task_type} failed: {detail} ({said})"),
            _ => format!("plugin {task_type} failed: {detail}"),
        }
    }
}

fn deadline_reason(task_type: &str, deadline: Duration) -> String {
    format!(
        "plugin {task_type} exceeded its deadline of {} ms and was stopped (see --plugin-timeout-ms and --script-timeout-ms)",
        deadline.as_millis()
    )
}

/// Whom a `--grant` entry names: a task type, or one binary of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Grantee {
    task_type: String,
    sha256: Option<String>,
}

fn parse_grants(entries: &[String]) -> anyhow::Result<HashMap<Grantee, HashSet<Capability>>> {
    let mut grants: HashMap<Grantee, HashSet<Capability>> = HashMap::new();
    for entry in entries
        .iter()
        .flat_map(|g| g.split(';'))
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        let usage = || {
            anyhow!(
                "--grant {entry}: expected TYPE=capability[,capability] or TYPE@sha256:HEX=capability[,capability]"
            )
        };
        let (who, caps) = entry.split_once('=').ok_or_else(usage)?;
        let grantee = match who.trim().split_once('@') {
            None => Grantee {
                task_type: who.trim().to_string(),
                sha256: None,
            },
            Some((task_type, pin)) => {
                let hex = pin
                    .strip_prefix("sha256:")
                    .map(str::to_ascii_lowercase)
                    .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .ok_or_else(usage)?;
                Grantee {
                    task_type: task_type.to_string(),
                    sha256: Some(hex),
                }
            }
        };
        let set = grants.entry(grantee).or_default();
        for cap in caps.split(',').filter(|c| !c.trim().is_empty()) {
            set.insert(Capability::named(cap).ok_or_else(|| {
                anyhow!("--grant {entry}: unknown capability {cap} (http, kafka, events, workflow)")
            })?);
        }
    }
    Ok(grants)
}

/// The WIT outcome with its JSON checked: an output must be a JSON object (a bare value is
/// kept under `result`); invalid JSON fails the task.
fn convert(task_type: &str, outcome: Outcome) -> PluginOutcome {
    let parse = |text: &str| -> Result<Json, String> {
        if let Some(problem) = fermata_core::limits::check_raw_json(text.as_bytes()) {
            return Err(format!(
                "plugin {task_type} returned output that is refused: {problem}"
            ));
        }
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(m)) => Ok(m),
            Ok(serde_json::Value::Null) => Ok(Json::new()),
            Ok(other) => Ok([("result".to_string(), other)].into_iter().collect()),
            Err(e) => Err(format!(
                "plugin {task_type} returned output that is not JSON: {e}"
            )),
        }
    };
    let result = match outcome {
        Outcome::Completed(o) => parse(&o).map(PluginOutcome::Completed),
        Outcome::Failed(f) => parse(&f.output).map(|output| PluginOutcome::Failed {
            reason: f.reason,
            output,
            terminal: false,
        }),
        Outcome::FailedTerminal(f) => parse(&f.output).map(|output| PluginOutcome::Failed {
            reason: f.reason,
            output,
            terminal: true,
        }),
        Outcome::WaitUntil((at, o)) => parse(&o).map(|output| PluginOutcome::WaitUntil {
            at_ms: at.min(i64::MAX as u64) as i64,
            output,
        }),
        Outcome::WaitForSignal(o) => parse(&o).map(PluginOutcome::WaitForSignal),
    };
    result.unwrap_or_else(|reason| PluginOutcome::Failed {
        reason,
        output: Json::new(),
        terminal: false,
    })
}
