//! The engine service: the only place that turns requests into state changes.
//!
//! Every change follows one path: lock the execution, load it, let the pure decider apply
//! one event, write the new state, its queue and timer changes, the signal record and the
//! idempotency record in one commit, then wake whoever waits. A crash before the commit
//! loses nothing acknowledged; after it, everything is on disk.

mod env;
mod locks;
mod metadata;
mod notify;
mod ops;
mod outbox;
mod poll;
mod reads;
mod route;
mod timers;

pub use env::{PureRunner, now_ms};
pub use notify::Notifier;
pub use ops::{JSON, Op, Rendered, Reply};

use crate::error::{Error, Result};
use env::HostEnv;
use fermata_core::decider::{Effect, failure_workflow_target, next_wake};
use fermata_core::model::{IdempotencyStrategy, StartWorkflowRequest, Workflow};
use fermata_core::{NewWorkflow, Outcome};
use fermata_store::{
    Commit, ExecutionWrite, IdempotencyRecord, QueueOp, SignalRecord, Store, StoreError,
};
use locks::Striped;
use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use tokio::sync::watch;

/// How many times a change is re-applied when another host changed the execution first, or
/// because the decision asked for definitions that had to be loaded first.
const CONFLICT_RETRIES: usize = 16;

/// Children started inside one commit, nested: deeper ones are created there and decided by
/// the timer (a sub-workflow that starts itself would otherwise never end its commit).
const MAX_INLINE_DEPTH: usize = 8;

/// Who asked, for the signal log and idempotency.
#[derive(Debug, Clone, Default)]
pub struct Call {
    pub caller: Option<String>,
    pub idempotency_key: Option<String>,
    /// Method and path: a key reused for another request is refused.
    pub fingerprint: String,
}

impl Call {
    /// The same call for one id of a bulk request: each id keeps its own first outcome.
    pub fn for_item(&self, id: &str) -> Call {
        Call {
            caller: self.caller.clone(),
            idempotency_key: self.idempotency_key.as_ref().map(|k| format!("{k}/{id}")),
            fingerprint: format!("{} [{id}]", self.fingerprint),
        }
    }
}

pub struct Engine {
    store: Arc<dyn Store>,
    executions: Striped,
    keys: Striped,
    notifier: Notifier,
    /// Task types the host runs (plugins), besides SIMPLE.
    system_types: RwLock<HashSet<String>>,
    pure: RwLock<Option<Arc<dyn PureRunner>>>,
    shutdown: watch::Receiver<bool>,
}

impl Engine {
    pub fn new(store: Arc<dyn Store>, shutdown: watch::Receiver<bool>) -> Arc<Engine> {
        Arc::new(Engine {
            store,
            executions: Striped::new(1024),
            keys: Striped::new(256),
            notifier: Notifier::default(),
            system_types: RwLock::new(HashSet::new()),
            pure: RwLock::new(None),
            shutdown,
        })
    }

    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.clone()
    }

    pub fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    /// Let decisions run pure plugins (INLINE, JSON_JQ_TRANSFORM, WAIT, ...) in place.
    pub fn set_pure_runner(&self, runner: Arc<dyn PureRunner>) {
        *self.pure.write().expect("pure runner poisoned") = Some(runner);
    }

    fn new_env(&self, now: i64) -> HostEnv {
        HostEnv::new(now, self.pure.read().expect("pure runner poisoned").clone())
    }

    /// Load what the last decision asked for and did not find. True when anything was
    /// missing: the decision must then be made again.
    async fn fill(&self, env: &mut HostEnv) -> Result<bool> {
        let missing = env.take_missing();
        if missing.is_empty() {
            return Ok(false);
        }
        for (name, version) in missing.workflow_defs {
            let def = match self.store.workflow_def(&name, version).await? {
                Some(def) => Some(self.with_task_defs(def).await?),
                None => None,
            };
            env.with_def(&name, version, def);
        }
        for name in missing.task_defs {
            let def = self.store.task_def(&name).await?;
            env.with_task_def(&name, def);
        }
        Ok(true)
    }

    /// Apply `op` to one execution as a signal from `call`.
    pub async fn signal(&self, workflow_id: &str, op: Op, call: &Call) -> Result<Reply> {
        let target = self.route(workflow_id, &op).await?;
        let workflow_id = target.as_str();
        match &call.idempotency_key {
            Some(key) => {
                let _key = self.keys.lock(key).await;
                if let Some(first) = self.replay(key, call).await? {
                    return Ok(first);
                }
                self.run(workflow_id, op, Some(call)).await
            }
            None => self.run(workflow_id, op, Some(call)).await,
        }
    }

    /// A decision the engine makes by itself (timers, polls): not a signal.
    pub async fn internal(&self, workflow_id: &str, op: Op) -> Result<Reply> {
        self.run(workflow_id, op, None).await
    }

    async fn replay(&self, key: &str, call: &Call) -> Result<Option<Reply>> {
        let Some(first) = self.store.idempotency(key).await? else {
            return Ok(None);
        };
        if first.fingerprint != call.fingerprint {
            return Err(Error::new(
                422,
                format!(
                    "Idempotency-Key '{key}' was first used for '{}', not '{}'",
                    first.fingerprint, call.fingerprint
                ),
            ));
        }
        Ok(Some(Reply::Replayed(first)))
    }

    async fn run(&self, workflow_id: &str, op: Op, call: Option<&Call>) -> Result<Reply> {
        let _execution = self.executions.lock(workflow_id).await;
        let mut env = self.new_env(now_ms());
        for _ in 0..CONFLICT_RETRIES {
            let stored = match self.store.load(workflow_id).await {
                Ok(Some(stored)) => stored,
                Ok(None) => return Err(Error::workflow_not_found(workflow_id)),
                Err(StoreError::Corrupt(problem)) => {
                    return Err(Error::unprocessable(
                        workflow_id,
                        format!("its stored data cannot be read: {problem}"),
                    ));
                }
                Err(e) => return Err(e.into()),
            };
            let mut wf = stored.workflow.clone();
            let now = now_ms();
            env.set_now(now);
            self.preload(&wf, &mut env).await?;
            let applied = match op.event(&wf) {
                Ok(Some(event)) => {
                    let event = self.resolve(event, &op, &wf).await?;
                    decide_guarded(workflow_id, &mut wf, event, &mut env)
                }
                Ok(None) => Ok(Outcome::default()),
                Err(e) => Err(e),
            };
            let outcome = match applied {
                Ok(outcome) => outcome,
                Err(e) => {
                    self.record_refusal(workflow_id, &op, call, &e, now).await;
                    return Err(e);
                }
            };
            let reply = op.reply(&wf, &outcome);
            let mut commit = Commit::default();
            let mut wakes = Wakes::default();
            // A plugin's `conductor:` events are published with its applied outcome only.
            if let (Op::PluginFinished { events, .. }, Some(_)) = (&op, &outcome.task_id) {
                wakes.events = !events.is_empty();
                commit.events.extend(events.iter().cloned());
            }
            let Outcome {
                effects, changed, ..
            } = outcome;
            if changed {
                let wake = wake_of(&wf, &effects, now);
                wakes.deadlines.extend(wake);
                commit.executions.push(stored.into_write(wf, wake));
            }
            self.add_effects(&mut commit, &mut wakes, workflow_id, effects, &mut env, 0)?;
            if self.fill(&mut env).await? {
                continue;
            }
            if let Op::Deliver { outbox_id, .. } = &op {
                commit.delivered.push(*outbox_id);
            }
            if let Some(call) = call.filter(|_| op.recorded()) {
                let rendered = reply.render();
                commit.signals.push(signal_record(
                    workflow_id,
                    &op,
                    call,
                    now,
                    rendered.status,
                    None,
                ));
                commit.idempotency = idempotency_record(call, &rendered, now);
            }
            match self.store.commit(commit).await {
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
                Ok(()) => {
                    self.wake(wakes);
                    return Ok(reply);
                }
            }
        }
        Err(StoreError::Conflict(workflow_id.to_string()).into())
    }

    /// Complete an event with what only the store knows.
    async fn resolve(
        &self,
        event: fermata_core::Event,
        op: &Op,
        wf: &Workflow,
    ) -> Result<fermata_core::Event> {
        if let Op::Restart {
            use_latest_definitions: true,
        } = op
        {
            let latest = self
                .store
                .workflow_def(&wf.workflow_name, None)
                .await?
                .ok_or_else(|| {
                    Error::not_found(format!(
                        "No such workflow found by name: {}",
                        wf.workflow_name
                    ))
                })?;
            let latest = self.with_task_defs(latest).await?;
            return Ok(fermata_core::Event::Restart {
                latest: Some(Box::new(latest)),
            });
        }
        Ok(event)
    }

    /// Load the failure workflow this execution names before deciding it (most decisions
    /// that need a definition need that one).
    async fn preload(&self, wf: &Workflow, env: &mut HostEnv) -> Result<()> {
        if let Some((name, version)) = failure_workflow_target(wf)
            && !env.has_def(&name, version)
        {
            let def = match self.store.workflow_def(&name, version).await? {
                Some(def) => Some(self.with_task_defs(def).await?),
                None => None,
            };
            env.with_def(&name, version, def);
        }
        Ok(())
    }

    /// Turn decider effects into store operations; started workflows are decided here and
    /// join the same commit.
    fn add_effects(
        &self,
        commit: &mut Commit,
        wakes: &mut Wakes,
        workflow_id: &str,
        effects: Vec<Effect>,
        env: &mut HostEnv,
        depth: usize,
    ) -> Result<()> {
        use fermata_core::Env as _;
        let now = env.now();
        for effect in effects {
            match effect {
                Effect::Enqueue {
                    task_id,
                    queue,
                    delay_ms,
                } => {
                    if delay_ms == 0 {
                        wakes.queues.insert(queue.clone());
                    }
                    commit.queue.push(QueueOp::Push {
                        task_id,
                        queue,
                        workflow_id: workflow_id.to_string(),
                        visible_at: now.saturating_add(delay_ms),
                    });
                }
                Effect::Dequeue { task_id } => commit.queue.push(QueueOp::Remove { task_id }),
                Effect::AppendLogs { task_id, logs } => {
                    commit.logs.extend(logs.into_iter().map(|mut l| {
                        if l.created_time == 0 {
                            l.created_time = now;
                        }
                        (task_id.clone(), l)
                    }));
                }
                Effect::StartWorkflow(new) if depth < MAX_INLINE_DEPTH => {
                    commit.signals.push(started_by(workflow_id, &new, now));
                    let (child, fx) = fermata_core::start(*new, env)?;
                    let id = child.workflow_id.clone();
                    let wake = wake_of(&child, &fx, now);
                    wakes.deadlines.extend(wake);
                    commit.executions.push(ExecutionWrite::new(child, wake));
                    self.add_effects(commit, wakes, &id, fx, env, depth + 1)?;
                }
                Effect::StartWorkflow(new) => {
                    commit.signals.push(started_by(workflow_id, &new, now));
                    let child = fermata_core::decider::create(*new, env)?;
                    wakes.deadlines.push(now);
                    commit
                        .executions
                        .push(ExecutionWrite::new(child, Some(now)));
                }
                // Handled where the execution is written (its wake time).
                Effect::DecideAgain => {}
                Effect::Send(message) => {
                    let body = serde_json::to_string(&message).map_err(|e| {
                        Error::new(500, format!("a message could not be written: {e}"))
                    })?;
                    commit.messages.push((message.to, body));
                    wakes.messages = true;
                }
            }
        }
        Ok(())
    }

    fn wake(&self, wakes: Wakes) {
        for queue in wakes.queues {
            if queue.starts_with(SYSTEM_QUEUE_PREFIX) {
                self.notifier.system_work();
            } else {
                self.notifier.work_available(&queue);
            }
        }
        if wakes.events {
            self.notifier.events_published();
        }
        if wakes.messages {
            self.notifier.messages_sent();
        }
        if let Some(at) = wakes.deadlines.into_iter().min() {
            self.notifier.deadline(at);
        }
    }

    /// A refused signal is recorded too (when its execution exists), and its answer is what
    /// a repeat of its Idempotency-Key gets.
    async fn record_refusal(
        &self,
        workflow_id: &str,
        op: &Op,
        call: Option<&Call>,
        error: &Error,
        now: i64,
    ) {
        let Some(call) = call.filter(|_| op.recorded()) else {
            return;
        };
        let rendered = Rendered {
            status: error.status,
            content_type: Some(JSON),
            body: error.to_json(),
        };
        let commit = Commit {
            signals: vec![signal_record(
                workflow_id,
                op,
                call,
                now,
                error.status,
                Some(error.message.clone()),
            )],
            idempotency: idempotency_record(call, &rendered, now),
            ..Default::default()
        };
        if let Err(e) = self.store.commit(commit).await {
            tracing::warn!(error = %e, "could not record a refused signal");
        }
    }

    /// Start a workflow (`POST /workflow`, `POST /workflow/{name}`): the first tasks are
    /// scheduled before this returns.
    pub async fn start(
        &self,
        request: StartWorkflowRequest,
        call: &Call,
        not_found: NotFoundStyle,
    ) -> Result<Reply> {
        match &call.idempotency_key {
            Some(key) => {
                let _key = self.keys.lock(key).await;
                if let Some(first) = self.replay(key, call).await? {
                    return Ok(first);
                }
                self.start_locked(request, call, not_found).await
            }
            None => self.start_locked(request, call, not_found).await,
        }
    }

    async fn start_locked(
        &self,
        request: StartWorkflowRequest,
        call: &Call,
        not_found: NotFoundStyle,
    ) -> Result<Reply> {
        check_start_request(&request)?;
        let name = request.name.clone().filter(|n| !n.trim().is_empty());
        let definition = match request.workflow_def.clone() {
            Some(def) => {
                self.validate_workflow_def(&def)?;
                def
            }
            None => {
                let name = name.clone().ok_or_else(|| {
                    Error::validation(vec![fermata_core::model::validate::ValidationError {
                        path: "startWorkflow.arg0.name".into(),
                        message: "Workflow name cannot be null or empty".into(),
                        invalid_value: serde_json::Value::Null,
                    }])
                })?;
                self.store
                    .workflow_def(&name, request.version)
                    .await?
                    .ok_or_else(|| not_found.error(&name, request.version))?
            }
        };
        let definition = self.with_task_defs(definition).await?;
        // Conductor's (Orkes) request-level idempotency: one execution per name and key.
        let _dedup;
        if let Some(key) = &request.idempotency_key {
            _dedup = self
                .keys
                .lock(&format!("start/{}/{key}", definition.name))
                .await;
            if let Some((id, status)) = self.store.by_idempotency_key(&definition.name, key).await?
            {
                match request.idempotency_strategy {
                    IdempotencyStrategy::ReturnExisting => return Ok(Reply::Text(id)),
                    IdempotencyStrategy::FailOnRunning if status.is_terminal() => {}
                    _ => {
                        return Err(Error::conflict(format!(
                            "Workflow {} with idempotency key {key} already exists: {id} ({status})",
                            definition.name
                        )));
                    }
                }
            }
        }
        let now = now_ms();
        let started = serde_json::json!({
            "name": definition.name,
            "version": definition.version,
            "correlationId": request.correlation_id,
            "priority": request.priority,
            "idempotencyKey": request.idempotency_key,
        });
        let new = NewWorkflow {
            workflow_id: env::new_id(),
            definition,
            input: request.input.unwrap_or_default(),
            correlation_id: request.correlation_id,
            priority: request.priority,
            task_to_domain: request.task_to_domain,
            created_by: request.created_by,
            idempotency_key: request.idempotency_key,
            parent_workflow_id: None,
            parent_workflow_task_id: None,
        };
        let mut env = self.new_env(now);
        let mut rounds = 0;
        let (mut commit, wakes, id) = loop {
            rounds += 1;
            let (wf, effects) = fermata_core::start(new.clone(), &mut env)?;
            let id = wf.workflow_id.clone();
            let mut commit = Commit::default();
            let mut wakes = Wakes::default();
            let wake = wake_of(&wf, &effects, now);
            wakes.deadlines.extend(wake);
            commit.executions.push(ExecutionWrite::new(wf, wake));
            self.add_effects(&mut commit, &mut wakes, &id, effects, &mut env, 0)?;
            if !self.fill(&mut env).await? || rounds >= CONFLICT_RETRIES {
                break (commit, wakes, id);
            }
        };
        let reply = Reply::Text(id.clone());
        let rendered = reply.render();
        // Who started an execution is its first signal.
        commit.signals.push(SignalRecord {
            id: 0,
            workflow_id: id,
            op: "start".into(),
            at: now,
            caller: call.caller.clone(),
            params: started,
            status: rendered.status,
            message: None,
            idempotency_key: call.idempotency_key.clone(),
        });
        commit.idempotency = idempotency_record(call, &rendered, now);
        self.store.commit(commit).await?;
        self.wake(wakes);
        Ok(reply)
    }

    /// `DELETE /workflow/{id}/remove`: the execution and everything kept about it.
    pub async fn remove(&self, workflow_id: &str, archive: bool) -> Result<()> {
        let _execution = self.executions.lock(workflow_id).await;
        let wf = self
            .store
            .workflow(workflow_id, false)
            .await?
            .ok_or_else(|| Error::workflow_not_found(workflow_id))?;
        if archive && !wf.status.is_terminal() {
            return Err(Error::bad_request(format!(
                "Cannot archive workflow: {workflow_id} with status: {}",
                wf.status
            )));
        }
        self.store.remove_execution(workflow_id).await?;
        Ok(())
    }

    pub async fn workflow(&self, id: &str, include_tasks: bool) -> Result<Workflow> {
        self.store
            .workflow(id, include_tasks)
            .await?
            .ok_or_else(|| Error::workflow_not_found(id))
    }
}

/// Conductor words "no such definition" differently on its two start endpoints.
#[derive(Debug, Clone, Copy)]
pub enum NotFoundStyle {
    StartRequest,
    ByName,
}

impl NotFoundStyle {
    fn error(self, name: &str, version: Option<i32>) -> Error {
        let version = version.map_or("null".to_string(), |v| v.to_string());
        match self {
            NotFoundStyle::StartRequest => Error::not_found(format!(
                "No such workflow defined. name={name}, version={version}"
            )),
            NotFoundStyle::ByName => Error::not_found(format!(
                "No such workflow found by name: {name}, version: {version}"
            )),
        }
    }
}

#[derive(Default)]
struct Wakes {
    queues: HashSet<String>,
    deadlines: Vec<i64>,
    events: bool,
    messages: bool,
}

/// Host-executed (system) tasks queue under this prefix.
pub const SYSTEM_QUEUE_PREFIX: &str = "system:";

fn signal_record(
    workflow_id: &str,
    op: &Op,
    call: &Call,
    now: i64,
    status: u16,
    message: Option<String>,
) -> SignalRecord {
    SignalRecord {
        id: 0,
        workflow_id: workflow_id.to_string(),
        op: op.name().to_string(),
        at: now,
        caller: call.caller.clone(),
        params: op.params(),
        status,
        message,
        idempotency_key: call.idempotency_key.clone(),
    }
}

/// When the timer must decide `wf` next: its own deadlines, or at once when the decision
/// stopped before it settled (a long loop of tasks that finish at once).
fn wake_of(wf: &Workflow, effects: &[Effect], now: i64) -> Option<i64> {
    let again = effects
        .iter()
        .any(|e| matches!(e, Effect::DecideAgain))
        .then_some(now);
    next_wake(wf).into_iter().chain(again).min()
}

/// The first entry of the signal log of an execution another one started (a sub-workflow's
/// child, a START_WORKFLOW's workflow, a failure workflow).
fn started_by(starter: &str, new: &NewWorkflow, now: i64) -> SignalRecord {
    SignalRecord {
        id: 0,
        workflow_id: new.workflow_id.clone(),
        op: "start".into(),
        at: now,
        caller: Some(format!("workflow {starter}")),
        params: serde_json::json!({
            "name": new.definition.name,
            "version": new.definition.version,
            "correlationId": new.correlation_id,
            "priority": new.priority,
            "parentWorkflowId": new.parent_workflow_id,
            "parentWorkflowTaskId": new.parent_workflow_task_id,
        }),
        status: 200,
        message: None,
        idempotency_key: None,
    }
}

fn idempotency_record(call: &Call, rendered: &Rendered, now: i64) -> Option<IdempotencyRecord> {
    call.idempotency_key.as_ref().map(|key| IdempotencyRecord {
        key: key.clone(),
        fingerprint: call.fingerprint.clone(),
        status: rendered.status,
        content_type: rendered.content_type.map(str::to_string),
        body: rendered.body.clone(),
        created: now,
    })
}

/// Bounds on a start request's own fields (its input is bounded by the body's depth limit).
fn check_start_request(request: &StartWorkflowRequest) -> Result<()> {
    let fields = [
        ("name", request.name.as_deref()),
        ("correlationId", request.correlation_id.as_deref()),
        ("idempotencyKey", request.idempotency_key.as_deref()),
    ];
    let domains = request
        .task_to_domain
        .iter()
        .flat_map(|(task, domain)| [task, domain])
        .map(|v| ("taskToDomain", Some(v.as_str())));
    match fermata_core::limits::check_names(fields.into_iter().chain(domains)) {
        Some(problem) => Err(Error::bad_request(problem)),
        None => Ok(()),
    }
}

/// Apply one event, turning a panic of the decider into an error for this execution alone:
/// one execution the decider cannot handle must not take a timer loop or a poll down.
fn decide_guarded(
    workflow_id: &str,
    wf: &mut Workflow,
    event: fermata_core::Event,
    env: &mut HostEnv,
) -> Result<Outcome> {
    let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        fermata_core::apply(wf, event, env)
    }));
    match attempt {
        Ok(applied) => applied.map_err(Error::from),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            tracing::error!(workflow = %workflow_id, panic = %what, "the decider failed");
            Err(Error::unprocessable(
                workflow_id,
                format!("deciding it failed: {what}"),
            ))
        }
    }
}

impl Engine {
    /// Take an execution the engine cannot process out of the timer loop and the queues, so
    /// it does not spin or block others; everything else goes on.
    pub async fn set_aside(&self, workflow_id: &str, error: &Error) {
        tracing::error!(workflow = %workflow_id, error = %error.message, "execution set aside");
        if let Err(e) = self.store.quarantine(workflow_id).await {
            tracing::warn!(workflow = %workflow_id, error = %e, "could not set the execution aside");
        }
    }
}
