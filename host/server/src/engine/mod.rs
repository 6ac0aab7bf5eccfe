//! The engine service: the only place that turns requests into state changes.
//!
//! Every change follows one path: lock the execution, load it, let the pure decider apply
//! one event, write the new state, its queue and timer changes, the signal record and the
//! idempotency record in one commit, then wake whoever waits. A crash before the commit
//! loses nothing acknowledged; after it, everything is on disk.

mod blocking;
mod effects;
mod env;
mod locks;
mod lookups;
mod metadata;
mod notify;
mod ops;
mod outbox;
mod plugin_updates;
mod poll;
mod poll_data;
mod reads;
mod route;
mod scheduler;
mod start;
mod timers;
mod webhooks;

pub use blocking::{Blocked, Until};
pub use env::{PureRunner, now_ms};
pub use notify::Notifier;
pub use ops::{Answer, Answers, Carry, Op, Rendered, Reply};
pub use start::NotFoundStyle;
pub use webhooks::Delivery;

use crate::error::{Error, Result};
use effects::{Lineage, Wakes, starts_children, wake_of};
use env::HostEnv;
use fermata_core::Outcome;
use fermata_core::model::Workflow;
use fermata_store::{Commit, IdempotencyRecord, SignalRecord, Store, StoreError};
use locks::Striped;
use lookups::{MAX_LOOKUP_ROUNDS, too_many_lookups};
use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use tokio::sync::watch;

/// How many times a change is re-applied when another host changed the execution first.
const CONFLICT_RETRIES: usize = 8;

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
    poll_marks: poll_data::PollMarks,
    /// `GET /scheduler/admin/pause`: this host fires no schedule until resumed (as in
    /// Conductor, per host and not kept across a restart).
    scheduler_held: std::sync::atomic::AtomicBool,
    answers: Arc<dyn Answers>,
    shutdown: watch::Receiver<bool>,
}

impl Engine {
    pub fn new(
        store: Arc<dyn Store>,
        answers: Arc<dyn Answers>,
        shutdown: watch::Receiver<bool>,
    ) -> Arc<Engine> {
        Arc::new(Engine {
            store,
            executions: Striped::new(1024),
            keys: Striped::new(256),
            notifier: Notifier::default(),
            system_types: RwLock::new(HashSet::new()),
            pure: RwLock::new(None),
            poll_marks: Default::default(),
            scheduler_held: Default::default(),
            answers,
            shutdown,
        })
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
                crate::error::ErrorKind::Unprocessable,
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
        let mut attempts = Attempts::default();
        loop {
            // The same request applied meanwhile by another host: answer as it did.
            if attempts.retrying()
                && let Some(call) = call
                && let Some(key) = &call.idempotency_key
                && let Some(first) = self.replay(key, call).await?
            {
                return Ok(first);
            }
            if let Carry::Outbox(outbox_id) = &op.carry
                && !self.store.message_pending(*outbox_id).await?
            {
                // Another host delivered it first.
                return Ok(Reply::Ok);
            }
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
            let event = self.resolve(op.event.clone()).await?;
            let applied = decide_guarded(workflow_id, &mut wf, event, &mut env);
            let outcome = match applied {
                Ok(outcome) => outcome,
                Err(e) => {
                    if attempts.looked_up(self.fill(&mut env).await?, workflow_id)? {
                        continue;
                    }
                    self.record_refusal(workflow_id, &op, call, &e, now).await;
                    return Err(e);
                }
            };
            let reply = op.reply(&wf, &outcome);
            let note = signal_note(&op, &stored.workflow, &wf, outcome.changed);
            let mut commit = Commit::default();
            let mut wakes = Wakes::default();
            // A plugin's `conductor:` events are published with its applied outcome only.
            if let (Carry::Events(events), Some(_)) = (&op.carry, &outcome.task_id) {
                wakes.events = !events.is_empty();
                commit.events.extend(events.iter().cloned());
            }
            let Outcome {
                effects, changed, ..
            } = outcome;
            let lineage = Lineage {
                nesting: if starts_children(&effects) {
                    self.nesting_of(&wf).await?
                } else {
                    0
                },
                inline: 0,
            };
            if changed {
                let wake = wake_of(&wf, &effects, now);
                wakes.deadlines.extend(wake);
                commit.executions.push(stored.into_write(wf, wake));
            }
            let added = self.add_effects(
                &mut commit,
                &mut wakes,
                workflow_id,
                effects,
                &mut env,
                lineage,
            );
            if attempts.looked_up(self.fill(&mut env).await?, workflow_id)? {
                continue;
            }
            added?;
            if let Carry::Outbox(outbox_id) = &op.carry {
                commit.delivered.push(*outbox_id);
            }
            if let Some(call) = call.filter(|_| op.recorded()) {
                let rendered = self.answers.reply(&reply);
                commit.signals.push(signal_record(
                    workflow_id,
                    &op,
                    call,
                    now,
                    rendered.status,
                    note,
                ));
                commit.idempotency = idempotency_record(call, &rendered, now);
            }
            wakes.changed = written(&commit);
            commit.wakeup = Some(wakes.announcement());
            match self.store.commit(commit).await {
                Err(StoreError::Conflict(_)) => attempts.conflicted(workflow_id)?,
                Err(e) => return Err(e.into()),
                Ok(()) => {
                    self.wake(wakes);
                    return Ok(reply);
                }
            }
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
        let rendered = self.answers.error(error);
        let commit = Commit {
            signals: vec![signal_record(
                workflow_id,
                op,
                call,
                now,
                rendered.status,
                Some(error.message.clone()),
            )],
            idempotency: idempotency_record(call, &rendered, now),
            ..Default::default()
        };
        if let Err(e) = self.store.commit(commit).await {
            tracing::warn!(error = %e, "could not record a refused signal");
        }
    }

    /// `DELETE /workflow/{id}/remove`: the execution and everything kept about it, in any
    /// state, as Orkes allows (`archiveWorkflow` has no effect there either). A running one
    /// is terminated first — its children with it, no failure workflow — so nothing it
    /// started is left waiting for it.
    pub async fn remove(&self, workflow_id: &str) -> Result<()> {
        let wf = self.workflow(workflow_id, false).await?;
        if !wf.status.is_terminal() {
            let op = Op::plain(fermata_core::Event::Terminate {
                reason: Some("Workflow removed".into()),
                trigger_failure_workflow: false,
            });
            self.internal(workflow_id, op).await?;
        }
        let _execution = self.executions.lock(workflow_id).await;
        self.store.remove_execution(workflow_id).await?;
        Ok(())
    }

    pub async fn workflow(&self, id: &str, include_tasks: bool) -> Result<Workflow> {
        self.store
            .workflow(id, include_tasks)
            .await?
            .ok_or_else(|| Error::workflow_not_found(id))
    }

    /// Whether an event handler's condition holds for a message: JavaScript over the message
    /// (`$`), run by the INLINE plugin in the sandbox, or with `value-param` the message field
    /// it names. True is what Conductor's `evalBool` calls true.
    pub fn condition_holds(
        &self,
        evaluator: Option<&str>,
        condition: &str,
        message: &serde_json::Value,
    ) -> std::result::Result<bool, String> {
        use fermata_core::decider::{PluginOutcome, truthy};
        if evaluator == Some("value-param") {
            return Ok(truthy(message.get(condition).unwrap_or_default()));
        }
        let mut input = match message {
            serde_json::Value::Object(m) => m.clone(),
            other => fermata_core::model::Json::from_iter([("payload".to_string(), other.clone())]),
        };
        input.insert("evaluatorType".into(), "javascript".into());
        input.insert("expression".into(), condition.into());
        let runner = self.pure.read().expect("pure runner poisoned").clone();
        match runner.and_then(|r| r.script(&input)) {
            Some(PluginOutcome::Completed(out)) => {
                Ok(truthy(out.get("result").unwrap_or_default()))
            }
            Some(PluginOutcome::Failed { reason, .. }) => Err(reason),
            _ => Err("JavaScript is not available here (no INLINE plugin)".into()),
        }
    }

    /// The messages waiting in an execution's inbox, oldest first.
    pub async fn inbox(&self, id: &str) -> Result<Vec<fermata_core::model::InboxMessage>> {
        let stored = self
            .store
            .load(id)
            .await?
            .ok_or_else(|| Error::workflow_not_found(id))?;
        Ok(stored.workflow.inbox)
    }
}

/// The executions a commit writes.
fn written(commit: &Commit) -> Vec<String> {
    commit
        .executions
        .iter()
        .map(|w| w.workflow.workflow_id.clone())
        .collect()
}

/// Why a change is being made again, and how often it may be.
#[derive(Default)]
struct Attempts {
    conflicts: usize,
    lookups: usize,
}

impl Attempts {
    fn retrying(&self) -> bool {
        self.conflicts > 0
    }

    /// Another host changed the execution first: again, a few times.
    fn conflicted(&mut self, workflow_id: &str) -> Result<()> {
        self.conflicts += 1;
        if self.conflicts >= CONFLICT_RETRIES {
            return Err(StoreError::Conflict(workflow_id.to_string()).into());
        }
        Ok(())
    }

    /// `loaded`: the decision asked for definitions, now loaded: decide again.
    fn looked_up(&mut self, loaded: bool, workflow_id: &str) -> Result<bool> {
        if !loaded {
            return Ok(false);
        }
        self.lookups += 1;
        if self.lookups > MAX_LOOKUP_ROUNDS {
            return Err(too_many_lookups(workflow_id));
        }
        Ok(true)
    }
}

/// What the signal log says of an asynchronous signal that found no task waiting: kept for
/// the next task that waits, or (the workflow having ended) taken by nothing.
fn signal_note(op: &Op, before: &Workflow, after: &Workflow, changed: bool) -> Option<String> {
    if !matches!(op.event, fermata_core::Event::Signal(_)) {
        return None;
    }
    if after.early_signals.len() > before.early_signals.len() {
        Some("no task waited: kept for the next task that waits for a signal".into())
    } else if !changed {
        Some("no task waited for the signal; nothing changed".into())
    } else {
        None
    }
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
