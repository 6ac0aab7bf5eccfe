//! Plugins in the host: which are loaded (builtin, from `--plugins-dir`, registered through
//! the API and kept in the database), and the executor that runs system tasks with them.
//!
//! The executor claims entries of the `system:` queues, tells the engine the task started,
//! runs the plugin, and hands its outcome back to the engine. The queue entry stays until
//! the outcome is committed, so a crash at any point only means the plugin runs again.

use crate::engine::{Engine, Op, PureRunner, Reply, SYSTEM_QUEUE_PREFIX, now_ms};
use crate::error::{Error, Result};
use fermata_core::decider::PluginOutcome;
use fermata_core::decider::PureCall;
use fermata_core::model::Json;
use fermata_store::{NewEvent, Store};
use fermata_wasm::{PluginRuntime, PluginSummary, Source, TaskInfo};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));

/// What plugins granted `workflow` reach: the engine, held weakly because the engine holds
/// the runtime's pure runner.
pub struct PluginSignals(std::sync::Weak<Engine>);

impl PluginSignals {
    pub fn new(engine: &Arc<Engine>) -> Arc<PluginSignals> {
        Arc::new(PluginSignals(Arc::downgrade(engine)))
    }
}

impl fermata_wasm::WorkflowSignals for PluginSignals {
    fn update_task<'a>(
        &'a self,
        caller: fermata_wasm::SignalCaller,
        request: fermata_wasm::TaskUpdateRequest,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = std::result::Result<(), String>> + Send + 'a>,
    > {
        Box::pin(async move {
            let engine = self.0.upgrade().ok_or("fermata is stopping")?;
            engine
                .plugin_task_update(&caller, request)
                .await
                .map_err(|e| e.message)
        })
    }
}

/// How often a host looks for plugins other hosts registered.
const PLUGIN_SYNC: Duration = Duration::from_secs(2);

/// Delayed system tasks become visible without a notification; look this often.
const RECHECK: Duration = Duration::from_millis(250);

/// Pure plugins run inside a decision: the decider is synchronous, so the run blocks this
/// worker thread (which tokio replaces meanwhile) under the script deadline.
pub struct InDecision {
    runtime: Arc<PluginRuntime>,
    deadline: Duration,
}

impl InDecision {
    pub fn new(runtime: Arc<PluginRuntime>, deadline: Duration) -> InDecision {
        InDecision { runtime, deadline }
    }
}

impl PureRunner for InDecision {
    fn is_plugin(&self, task_type: &str) -> bool {
        self.runtime.get(task_type).is_some()
    }

    fn run(&self, call: PureCall<'_>, now: i64) -> Option<PluginOutcome> {
        let task = call.task;
        let info = TaskInfo {
            workflow_id: task.workflow_instance_id.clone(),
            task_id: task.task_id.clone(),
            reference_name: task.reference_task_name.clone(),
            task_type: call.task_type.to_string(),
            workflow_name: task.workflow_type.clone(),
            correlation_id: task.correlation_id.clone(),
            attempt: task.retry_count.max(0) as u32,
            run: task.scheduled_time,
            now_ms: now,
        };
        self.block_on(&info, call.input)
    }

    fn script(&self, input: &Json) -> Option<PluginOutcome> {
        let info = TaskInfo {
            workflow_id: String::new(),
            task_id: String::new(),
            reference_name: String::new(),
            task_type: "INLINE".into(),
            workflow_name: String::new(),
            correlation_id: None,
            attempt: 0,
            run: 0,
            now_ms: now_ms(),
        };
        self.block_on(&info, input)
    }
}

impl InDecision {
    /// Run a pure plugin from synchronous code on a worker thread of the runtime.
    fn block_on(&self, info: &TaskInfo, input: &Json) -> Option<PluginOutcome> {
        if !self.runtime.is_pure(&info.task_type) {
            return None;
        }
        let handle = tokio::runtime::Handle::try_current().ok()?;
        if handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
            return None;
        }
        let run = tokio::task::block_in_place(|| {
            handle.block_on(self.runtime.execute_within(info, input, self.deadline))
        });
        run.ok().map(|r| r.outcome)
    }
}

pub struct Plugins {
    runtime: Arc<PluginRuntime>,
    engine: Arc<Engine>,
    store: Arc<dyn Store>,
    compiling: tokio::sync::Mutex<()>,
}

impl Plugins {
    pub fn new(
        runtime: Arc<PluginRuntime>,
        engine: Arc<Engine>,
        store: Arc<dyn Store>,
    ) -> Arc<Plugins> {
        Arc::new(Plugins {
            runtime,
            engine,
            store,
            compiling: tokio::sync::Mutex::new(()),
        })
    }

    fn builtin(task_type: &str) -> bool {
        BUILTIN_PLUGINS.iter().any(|(t, _)| *t == task_type)
    }

    /// Types the decider runs itself (SIMPLE and the operators): no plugin may claim one.
    fn reserved(task_type: &str) -> bool {
        task_type.eq_ignore_ascii_case("SIMPLE")
            || task_type.eq_ignore_ascii_case("FORK")
            || fermata_core::decider::OPERATOR_TYPES
                .iter()
                .any(|t| t.eq_ignore_ascii_case(task_type))
    }

    /// Load every plugin this host should know: builtins, a directory, then the database.
    pub async fn load_all(&self, dir: Option<&Path>) -> anyhow::Result<()> {
        for (task_type, bytes) in BUILTIN_PLUGINS {
            let prepared = self.runtime.prepare(bytes, Source::Builtin).await?;
            anyhow::ensure!(
                prepared.task_type() == *task_type,
                "builtin {task_type} describes itself as {}",
                prepared.task_type()
            );
            self.install(prepared);
        }
        if let Some(dir) = dir {
            let mut files: Vec<_> = std::fs::read_dir(dir)
                .map_err(|e| anyhow::anyhow!("reading plugins from {}: {e}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
                .collect();
            files.sort();
            for file in files {
                let bytes = std::fs::read(&file)?;
                let prepared = self
                    .runtime
                    .prepare(&bytes, Source::Directory(file.clone()))
                    .await
                    .map_err(|e| anyhow::anyhow!("{}: {e:#}", file.display()))?;
                anyhow::ensure!(
                    !Self::builtin(prepared.task_type()),
                    "{}: {} is a builtin task type",
                    file.display(),
                    prepared.task_type()
                );
                anyhow::ensure!(
                    !Self::reserved(prepared.task_type()),
                    "{}: {} is a task type the engine runs itself",
                    file.display(),
                    prepared.task_type()
                );
                self.install(prepared);
            }
        }
        for (task_type, bytes) in self.store.stored_plugins().await? {
            self.install_stored(&task_type, &bytes).await;
        }
        Ok(())
    }

    async fn install_stored(&self, task_type: &str, bytes: &[u8]) {
        // What the operator installed wins over a copy uploaded over the API (an older
        // version let the API replace it).
        if Self::builtin(task_type) || self.installed_by_operator(task_type) {
            tracing::warn!(%task_type, "a plugin uploaded over the API is ignored: the operator installed this task type");
            return;
        }
        // Uploaded before the engine ran this type itself.
        if Self::reserved(task_type) {
            tracing::warn!(%task_type, "a plugin uploaded over the API is ignored: the engine runs this task type itself");
            return;
        }
        match self.runtime.prepare(bytes, Source::Api).await {
            Ok(prepared) => self.install(prepared),
            Err(e) => {
                tracing::error!(%task_type, error = %format!("{e:#}"), "stored plugin does not load")
            }
        }
    }

    /// Install what other hosts on the database registered (or replaced) since this host
    /// last looked, until shutdown: a plugin uploaded to one host is used by all.
    pub async fn run_sync(self: Arc<Self>) {
        let mut shutdown = self.engine.shutdown_signal();
        loop {
            if let Err(e) = self.sync_registered().await {
                tracing::warn!(error = %e, "looking for plugins other hosts registered failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(PLUGIN_SYNC) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    async fn sync_registered(&self) -> Result<()> {
        let stale: Vec<String> = self
            .store
            .plugin_digests()
            .await?
            .into_iter()
            .filter(|(task_type, _)| {
                !Self::builtin(task_type)
                    && !Self::reserved(task_type)
                    && !self.installed_by_operator(task_type)
            })
            .filter(|(task_type, sha256)| {
                self.runtime
                    .get(task_type)
                    .is_none_or(|installed| installed.sha256 != *sha256)
            })
            .map(|(task_type, _)| task_type)
            .collect();
        if stale.is_empty() {
            return Ok(());
        }
        let _compiling = self.compiling.lock().await;
        for (task_type, bytes) in self.store.stored_plugins().await? {
            if stale.contains(&task_type) {
                tracing::info!(%task_type, "installing a plugin another host registered");
                self.install_stored(&task_type, &bytes).await;
            }
        }
        Ok(())
    }

    fn install(&self, prepared: fermata_wasm::Prepared) {
        self.engine.add_system_type(prepared.task_type());
        self.runtime.install(prepared);
    }

    fn installed_by_operator(&self, task_type: &str) -> bool {
        self.runtime
            .get(task_type)
            .is_some_and(|p| matches!(p.source, Source::Directory(_)))
    }

    /// `PUT /api/plugins/{taskType}`: check, keep in the database (so it survives restarts
    /// and other hosts see it), and use. Builtins and plugins the operator installed from
    /// `--plugins-dir` cannot be replaced this way.
    pub async fn register(&self, task_type: &str, bytes: &[u8]) -> Result<PluginSummary> {
        if Self::builtin(task_type) {
            return Err(Error::conflict(format!(
                "{task_type} is a builtin task type and cannot be replaced"
            )));
        }
        if Self::reserved(task_type) {
            return Err(Error::conflict(format!(
                "{task_type} is a task type the engine runs itself (SIMPLE or an operator)"
            )));
        }
        if self.installed_by_operator(task_type) {
            return Err(Error::conflict(format!(
                "{task_type} was installed by the operator from --plugins-dir and cannot be replaced over the API"
            )));
        }
        // Compiling is the costly part of a registration: one at a time.
        let _compiling = self.compiling.lock().await;
        let prepared = self
            .runtime
            .prepare(bytes, Source::Api)
            .await
            .map_err(|e| Error::bad_request(format!("not a usable plugin: {e:#}")))?;
        if prepared.task_type() != task_type {
            return Err(Error::bad_request(format!(
                "the plugin implements task type {}, not {task_type}",
                prepared.task_type()
            )));
        }
        let summary = prepared.summary().clone();
        self.store
            .put_plugin(task_type, bytes, &summary.sha256, now_ms())
            .await?;
        self.install(prepared);
        Ok(summary)
    }

    pub fn list(&self) -> Vec<PluginSummary> {
        self.runtime.summaries()
    }

    pub fn get(&self, task_type: &str) -> Option<PluginSummary> {
        self.runtime.get(task_type)
    }

    /// Run system tasks until shutdown, at most `concurrency` at once.
    pub async fn run_executor(self: Arc<Self>, concurrency: usize, lease: Duration) {
        let permits = Arc::new(Semaphore::new(concurrency.max(1)));
        let mut shutdown = self.engine.shutdown_signal();
        loop {
            if *shutdown.borrow() {
                break;
            }
            let free = permits.available_permits() as u32;
            let claimed = if free == 0 {
                vec![]
            } else {
                match self
                    .store
                    .claim_prefix(
                        SYSTEM_QUEUE_PREFIX,
                        free,
                        now_ms(),
                        lease.as_millis() as i64,
                    )
                    .await
                {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "claiming system tasks failed");
                        vec![]
                    }
                }
            };
            let idle = claimed.is_empty();
            for c in claimed {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    break;
                };
                let this = self.clone();
                tokio::spawn(async move {
                    let held = std::slice::from_ref(&c.task_id);
                    let run = this.run_one(&c.workflow_id, &c.task_id);
                    tokio::pin!(run);
                    // Extend the claim while the plugin runs: another host takes the task
                    // over only when this one stops extending it (it died).
                    let mut renew = tokio::time::interval(lease / 3);
                    renew.tick().await;
                    loop {
                        tokio::select! {
                            _ = &mut run => break,
                            _ = renew.tick() => {
                                let extended = this.store.extend(held, now_ms(), lease.as_millis() as i64).await;
                                if let Err(e) = extended {
                                    tracing::warn!(error = %e, task_id = %c.task_id, "extending a claim failed");
                                }
                            }
                        }
                    }
                    if let Err(e) = this.store.release(std::slice::from_ref(&c.task_id)).await {
                        tracing::warn!(error = %e, task_id = %c.task_id, "releasing a claim failed");
                    }
                    drop(permit);
                });
            }
            if idle {
                tokio::select! {
                    _ = self.engine.notifier().system_woken() => {}
                    _ = tokio::time::sleep(RECHECK) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        // Let running plugins finish so their outcomes are committed.
        let _ = permits.acquire_many(concurrency.max(1) as u32).await;
    }

    async fn run_one(&self, workflow_id: &str, task_id: &str) {
        let worker = Some(crate::error::instance().to_string());
        let start = Op::new(
            fermata_core::Event::SystemTaskStarted {
                task_id: task_id.to_string(),
                worker_id: worker,
            },
            crate::engine::Answer::Task,
        );
        let task = match self.engine.internal(workflow_id, start).await {
            Ok(Reply::Task(Some(task))) => task,
            Ok(_) => return,
            Err(e) if e.persistent() => return self.engine.set_aside(workflow_id, &e).await,
            Err(e) => {
                tracing::warn!(workflow = %workflow_id, task = %task_id, error = %e, "could not start a system task");
                return;
            }
        };
        let info = TaskInfo {
            workflow_id: workflow_id.to_string(),
            task_id: task.task_id.clone(),
            reference_name: task.reference_task_name.clone(),
            task_type: task.task_type.clone(),
            workflow_name: task.workflow_type.clone(),
            correlation_id: task.correlation_id.clone(),
            attempt: task.retry_count.max(0) as u32,
            run: task.scheduled_time,
            now_ms: now_ms(),
        };
        let (outcome, events) = match self.runtime.execute(&info, &task.input_data).await {
            Ok(run) => {
                tracing::debug!(task_type = %info.task_type, task = %task_id, elapsed_us = run.elapsed.as_micros() as u64, "plugin ran");
                let events = run
                    .events
                    .into_iter()
                    .map(|e| NewEvent {
                        queue: e.queue,
                        message_id: e.message_id,
                        payload: e.payload,
                    })
                    .collect();
                (run.outcome, events)
            }
            Err(e) => (
                PluginOutcome::Failed {
                    reason: format!("{e} on this host"),
                    output: Json::new(),
                    terminal: false,
                },
                vec![],
            ),
        };
        let finished = Op::plugin_finished(task.task_id.clone(), task.poll_count, outcome, events);
        if let Err(e) = self.engine.internal(workflow_id, finished).await {
            tracing::warn!(workflow = %workflow_id, task = %task_id, error = %e, "could not record a plugin's outcome");
        }
    }
}
