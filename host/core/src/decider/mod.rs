//! The decider: `apply(execution, event, env) -> effects`, pure and synchronous.
//!
//! The host loads an execution, applies exactly one event to it here, then persists the new
//! execution together with the returned effects in one transaction. Nothing in this module
//! performs I/O: time, ids, randomness and definition lookups come through [`Env`].

mod ending;
mod evaluate;
mod family;
mod graph;
mod instance;
mod kind;
mod kinds;
mod messages;
mod moves;
mod named_updates;
mod rerun;
mod retry;
mod signals;
mod tasks;
mod timeouts;

#[cfg(test)]
mod tests;

use crate::model::{
    InboxMessage, Json, RerunWorkflowRequest, SkipTaskRequest, Task, TaskDef, TaskExecLog,
    TaskResult, TaskResultStatus, Workflow, WorkflowDef,
};
use std::collections::BTreeMap;
use std::fmt;

pub use ending::failure_workflow_target;
pub use kind::{OPERATOR_TYPES, TaskKind, async_complete, kind_of, kind_of_type, queue_name};
pub use kinds::truthy;
pub use messages::{ChildResult, Message, MessageBody};
pub use moves::Upgrade;
pub use tasks::{blocked_wait_task, blocking_task, is_blocking, pending_task_by_ref};
pub use timeouts::next_wake;

/// What the decider needs from the world, supplied by the host (and by tests).
pub trait Env {
    /// Epoch milliseconds.
    fn now(&self) -> i64;
    fn new_id(&mut self) -> String;
    /// A random delay in `0..=max_ms` for retry backoff jitter.
    fn jitter_ms(&mut self, max_ms: i64) -> i64;
    /// A registered workflow definition (`None` version: the latest), with the registered
    /// task definitions embedded: failure workflows, sub-workflows, START_WORKFLOW.
    fn workflow_def(&self, name: &str, version: Option<i32>) -> Option<WorkflowDef>;
    /// A registered task definition: for tasks a dynamic fork or DYNAMIC creates, which the
    /// definition did not name.
    fn task_def(&self, _name: &str) -> Option<TaskDef> {
        None
    }
    /// Whether a plugin runs tasks of this type.
    fn is_plugin(&self, _task_type: &str) -> bool {
        false
    }
    /// Run a plugin that needs no capabilities (pure computation) inside this decision.
    /// `None`: no such pure plugin here; the task then waits on its queue for the executor.
    fn run_pure(&mut self, _call: PureCall<'_>) -> Option<PluginOutcome> {
        None
    }
    /// Whether this decision has used its share of the host (plugins run inside it): it then
    /// stops where it is, commits, and goes on in the next decision.
    fn should_pause(&self) -> bool {
        false
    }
}

/// A plugin run the decider asks for: the task (for its ids and attempt) and its input.
pub struct PureCall<'a> {
    pub task_type: &'a str,
    pub task: &'a Task,
    pub input: &'a Json,
}

/// How an update changes a task's output.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputChange {
    /// `POST /tasks`: the TaskResult's output replaces the task's.
    Replace(Json),
    /// Update by reference name and the signal endpoints: merged over the existing output.
    Merge(Json),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskUpdate {
    pub task_id: String,
    pub status: TaskResultStatus,
    pub output: OutputChange,
    pub reason_for_incompletion: Option<String>,
    pub worker_id: Option<String>,
    pub callback_after_seconds: i64,
    pub logs: Vec<TaskExecLog>,
    pub extend_lease: bool,
}

impl TaskUpdate {
    /// A `TaskResult` as `POST /tasks` sends it: its output replaces the task's.
    pub fn replacing(r: TaskResult) -> Result<TaskUpdate, EngineError> {
        let status = r
            .status
            .ok_or_else(|| EngineError::bad_request("TaskResult status cannot be null"))?;
        if let Some(m) =
            crate::limits::check_seconds("callbackAfterSeconds", r.callback_after_seconds)
        {
            return Err(EngineError::bad_request(m));
        }
        Ok(TaskUpdate {
            task_id: r.task_id,
            status,
            output: OutputChange::Replace(r.output_data),
            reason_for_incompletion: r.reason_for_incompletion,
            worker_id: r.worker_id,
            callback_after_seconds: r.callback_after_seconds,
            logs: r.logs,
            extend_lease: r.extend_lease,
        })
    }
}

/// An update of the open task with this reference name (the current `ref__N` of a loop),
/// merged over its output: `POST /tasks/{wf}/{ref}/{status}`, UPDATE_TASK with mergeOutput.
#[derive(Debug, Clone, PartialEq)]
pub struct RefUpdate {
    pub reference: String,
    pub status: TaskResultStatus,
    pub output: Json,
    pub worker_id: Option<String>,
}

/// The `/signal` endpoints: the first open WAIT or YIELD, its output merged.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalUpdate {
    pub status: TaskResultStatus,
    pub output: Json,
    /// Refuse (not found) when nothing waits, as the synchronous signal does; otherwise the
    /// signal is accepted and changes nothing, as Conductor's asynchronous one.
    pub required: bool,
}

/// Orkes' `POST /workflow/{id}/state`: variables and a task changed together, or neither.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StateUpdate {
    pub variables: Option<VariablesUpdate>,
    pub task: Option<TaskChange>,
}

/// A task update named by id or by reference.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskChange {
    ById(TaskUpdate),
    ByRef(RefUpdate),
}

/// One thing that happens to an execution. A signal is one variant here, its handler in
/// [`apply`], and its name and parameters for the signal log below.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Re-evaluate: the sweeper, a due timer, `PUT /workflow/decide/{id}`.
    Decide,
    TaskPolled {
        task_id: String,
        worker_id: Option<String>,
    },
    TaskUpdated(TaskUpdate),
    UpdateTaskByRef(RefUpdate),
    Signal(SignalUpdate),
    /// A delivery to incoming webhook `webhook_id` matched open WAIT_FOR_WEBHOOK `task_id`:
    /// it completes with the delivery's body merged into its output.
    WebhookDelivered {
        webhook_id: String,
        event_id: String,
        task_id: String,
        output: Json,
    },
    /// The host begins running a system task's plugin (also again after a crash).
    SystemTaskStarted {
        task_id: String,
        worker_id: Option<String>,
    },
    /// A plugin finished. `token` is the task's poll count when it started, so an outcome
    /// computed for an attempt that has since been reset (rerun) is recognised as stale.
    PluginFinished {
        task_id: String,
        token: i32,
        outcome: PluginOutcome,
    },
    Pause,
    Resume,
    /// With `use_latest_definitions`, under the latest version of its definition.
    Restart {
        use_latest_definitions: bool,
    },
    Rerun(RerunWorkflowRequest),
    Retry {
        resume_subworkflow_tasks: bool,
    },
    Terminate {
        reason: Option<String>,
        trigger_failure_workflow: bool,
    },
    SkipTask {
        reference: String,
        request: SkipTaskRequest,
    },
    ResetCallbacks,
    /// A message from another execution (a parent or a child).
    Deliver {
        from: String,
        body: MessageBody,
    },
    /// Merge into the workflow's variables (Orkes' `POST /workflow/{id}/variables`, the
    /// event action `update_workflow_variables`).
    UpdateVariables(VariablesUpdate),
    UpdateState(StateUpdate),
    /// A message for the workflow's inbox (`POST /workflow/{id}/messages`).
    MessageArrived(InboxMessage),
    /// Go on from a top-level task (Orkes' jump): `None` is the start.
    Jump {
        reference: Option<String>,
        input: Json,
    },
    /// Go on under another definition (Orkes' upgrade).
    Upgrade(Upgrade),
}

impl Event {
    pub fn name(&self) -> &'static str {
        match self {
            Event::Decide => "decide",
            Event::TaskPolled { .. } => "poll",
            Event::TaskUpdated(_) => "update_task",
            Event::UpdateTaskByRef(_) => "update_task_by_ref",
            Event::Signal(_) => "signal",
            Event::WebhookDelivered { .. } => "webhook",
            Event::SystemTaskStarted { .. } => "system_task_started",
            Event::PluginFinished { .. } => "plugin_finished",
            Event::Pause => "pause",
            Event::Resume => "resume",
            Event::Restart { .. } => "restart",
            Event::Rerun(_) => "rerun",
            Event::Retry { .. } => "retry",
            Event::Terminate { .. } => "terminate",
            Event::SkipTask { .. } => "skip_task",
            Event::ResetCallbacks => "reset_callbacks",
            Event::Deliver { body, .. } => body.name(),
            Event::UpdateVariables(_) => "update_variables",
            Event::UpdateState(_) => "update_state",
            Event::MessageArrived(_) => "message",
            Event::Jump { .. } => "jump",
            Event::Upgrade(_) => "upgrade",
        }
    }

    /// Signals are recorded in the execution's signal log; the engine's own decisions, a
    /// worker's poll and a plugin's progress are not.
    pub fn is_signal(&self) -> bool {
        !matches!(
            self,
            Event::Decide
                | Event::TaskPolled { .. }
                | Event::SystemTaskStarted { .. }
                | Event::PluginFinished { .. }
        )
    }

    /// The parameters as the signal log shows them.
    pub fn params(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Event::Decide | Event::Pause | Event::Resume | Event::ResetCallbacks => json!({}),
            Event::TaskPolled { task_id, worker_id }
            | Event::SystemTaskStarted { task_id, worker_id } => {
                json!({"taskId": task_id, "workerId": worker_id})
            }
            Event::PluginFinished { task_id, .. } => json!({"taskId": task_id}),
            Event::TaskUpdated(u) => {
                let output = match &u.output {
                    OutputChange::Replace(o) | OutputChange::Merge(o) => o,
                };
                json!({"taskId": u.task_id, "status": u.status, "outputData": output,
                       "reasonForIncompletion": u.reason_for_incompletion, "workerId": u.worker_id})
            }
            Event::UpdateTaskByRef(u) => json!({"taskReferenceName": u.reference,
                "status": u.status, "output": u.output, "workerId": u.worker_id}),
            Event::Signal(s) => json!({"status": s.status, "output": s.output}),
            Event::WebhookDelivered {
                webhook_id,
                event_id,
                task_id,
                output,
            } => json!({"webhookId": webhook_id, "eventId": event_id, "taskId": task_id,
                        "output": output}),
            Event::Restart {
                use_latest_definitions,
            } => json!({"useLatestDefinitions": use_latest_definitions}),
            Event::Rerun(r) => serde_json::to_value(r).unwrap_or_default(),
            Event::Retry {
                resume_subworkflow_tasks,
            } => json!({"resumeSubworkflowTasks": resume_subworkflow_tasks}),
            Event::Terminate {
                reason,
                trigger_failure_workflow,
            } => json!({"reason": reason, "triggerFailureWorkflow": trigger_failure_workflow}),
            Event::SkipTask { reference, request } => {
                json!({"taskReferenceName": reference, "request": request})
            }
            Event::Deliver { from, body } => json!({"from": from, "message": body}),
            Event::UpdateVariables(update) => {
                json!({"variables": update.values, "appendArray": update.append_arrays})
            }
            Event::MessageArrived(message) => {
                json!({"id": message.id, "payload": message.payload})
            }
            Event::UpdateState(state) => {
                let variables = state.variables.as_ref().map(|v| &v.values);
                let task = match &state.task {
                    Some(TaskChange::ById(u)) => Event::TaskUpdated(u.clone()).params(),
                    Some(TaskChange::ByRef(u)) => Event::UpdateTaskByRef(u.clone()).params(),
                    None => serde_json::Value::Null,
                };
                json!({"variables": variables, "task": task})
            }
            Event::Jump { reference, input } => {
                json!({"taskReferenceName": reference, "input": input})
            }
            Event::Upgrade(u) => json!({"name": u.name, "version": u.version,
                "workflowInput": u.input, "taskOutput": u.task_output}),
        }
    }
}

/// New values for a workflow's variables.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VariablesUpdate {
    pub values: Json,
    /// A new array is appended to an array the variable already holds, instead of
    /// replacing it (the event action's `appendArray`).
    pub append_arrays: bool,
}

/// What a system-task plugin computed (the WIT `outcome`, with its JSON parsed). The
/// decider decides what it means: asyncComplete, retries, durable timers.
#[derive(Debug, Clone, PartialEq)]
pub enum PluginOutcome {
    Completed(Json),
    Failed {
        reason: String,
        output: Json,
        /// Never retried (FAILED_WITH_TERMINAL_ERROR).
        terminal: bool,
    },
    WaitUntil {
        at_ms: i64,
        output: Json,
    },
    WaitForSignal(Json),
}

/// A new execution to create in the same commit: a failure workflow, a sub-workflow's
/// child, a START_WORKFLOW's workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct NewWorkflow {
    pub workflow_id: String,
    pub definition: WorkflowDef,
    pub input: Json,
    pub correlation_id: Option<String>,
    pub priority: i32,
    pub task_to_domain: BTreeMap<String, String>,
    pub created_by: Option<String>,
    pub idempotency_key: Option<String>,
    pub parent_workflow_id: Option<String>,
    pub parent_workflow_task_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Make a task available on `queue` after `delay_ms` (replaces an earlier entry).
    Enqueue {
        task_id: String,
        queue: String,
        delay_ms: i64,
    },
    /// Take a task off its queue: it ended, was canceled or was deleted.
    Dequeue { task_id: String },
    /// Create another execution (already decided) in the same commit.
    StartWorkflow(Box<NewWorkflow>),
    AppendLogs {
        task_id: String,
        logs: Vec<TaskExecLog>,
    },
    /// Deliver a message to another execution, after this commit.
    Send(Message),
    /// The decision stopped before it settled (a long loop of tasks that finish at once):
    /// decide this execution again right after this commit.
    DecideAgain,
    /// Keep a message in the execution's inbox.
    InboxPush(InboxMessage),
    /// These messages were taken from the inbox.
    InboxConsume {
        workflow_id: String,
        message_ids: Vec<String>,
    },
    /// The workflow ended: what its inbox still held is dropped (as in Conductor).
    InboxClear { workflow_id: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest,
    NotFound,
    Conflict,
    /// A bounded store is full (a workflow's inbox).
    Full,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineError {
    pub kind: ErrorKind,
    pub message: String,
}

impl EngineError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::BadRequest,
            message: message.into(),
        }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::NotFound,
            message: message.into(),
        }
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Conflict,
            message: message.into(),
        }
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EngineError {}

/// What applying an event produced besides the new execution state.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Outcome {
    pub effects: Vec<Effect>,
    /// The task an update or poll acted on, when it acted on one.
    pub task_id: Option<String>,
    /// False when the event was accepted but changed nothing (e.g. pausing a paused
    /// workflow, updating a task that already ended).
    pub changed: bool,
}

/// Apply one event to an execution. On error the execution is left untouched.
pub fn apply(wf: &mut Workflow, event: Event, env: &mut dyn Env) -> Result<Outcome, EngineError> {
    let before = wf.clone();
    let mut out = Outcome::default();
    let event_name = event.name();
    let result = match event {
        Event::Decide => {
            evaluate::decide(wf, env, &mut out.effects);
            Ok(())
        }
        Event::TaskPolled { task_id, worker_id } => {
            tasks::poll(wf, &task_id, worker_id, env, &mut out)
        }
        Event::TaskUpdated(update) => tasks::update(wf, update, env, &mut out),
        Event::UpdateTaskByRef(update) => named_updates::update_by_ref(wf, update, env, &mut out),
        Event::Signal(signal) => named_updates::signal(wf, signal, env, &mut out),
        Event::WebhookDelivered {
            task_id, output, ..
        } => named_updates::webhook_delivered(wf, &task_id, output, env, &mut out),
        Event::SystemTaskStarted { task_id, worker_id } => {
            tasks::system_started(wf, &task_id, worker_id, env, &mut out);
            Ok(())
        }
        Event::PluginFinished {
            task_id,
            token,
            outcome,
        } => {
            tasks::plugin_finished(wf, &task_id, token, outcome, env, &mut out);
            Ok(())
        }

        Event::Pause => signals::pause(wf),
        Event::Resume => signals::resume(wf, env, &mut out.effects),
        Event::Restart {
            use_latest_definitions,
        } => signals::restart(wf, use_latest_definitions, env, &mut out.effects),
        Event::Rerun(request) => rerun::rerun(wf, request, env, &mut out.effects),
        Event::Retry {
            resume_subworkflow_tasks: _,
        } => signals::retry(wf, env, &mut out.effects),
        Event::Deliver { body, .. } => {
            signals::deliver(wf, body, env, &mut out.effects);
            Ok(())
        }
        Event::UpdateVariables(variables) => {
            signals::update_variables(wf, variables, env, &mut out.effects)
        }
        // One event, so a refused task update leaves the variables as they were too.
        Event::UpdateState(state) => {
            let variables = match state.variables {
                Some(v) => signals::update_variables(wf, v, env, &mut out.effects),
                None => Ok(()),
            };
            variables.and_then(|()| match state.task {
                Some(TaskChange::ById(update)) => tasks::update(wf, update, env, &mut out),
                Some(TaskChange::ByRef(update)) => {
                    named_updates::update_by_ref(wf, update, env, &mut out)
                }
                None => Ok(()),
            })
        }
        Event::MessageArrived(message) => {
            signals::message_arrived(wf, message, env, &mut out.effects)
        }
        Event::Jump { reference, input } => {
            moves::jump(wf, reference, input, env, &mut out.effects)
        }
        Event::Upgrade(upgrade) => moves::upgrade(wf, upgrade, env, &mut out.effects),
        Event::Terminate {
            reason,
            trigger_failure_workflow,
        } => signals::terminate(wf, reason, trigger_failure_workflow, env, &mut out.effects),
        Event::SkipTask { reference, request } => {
            signals::skip_task(wf, &reference, request, env, &mut out.effects)
        }
        Event::ResetCallbacks => signals::reset_callbacks(wf, env, &mut out.effects),
    };
    if let Err(e) = result {
        *wf = before;
        return Err(e);
    }
    named_updates::take_early_signals(wf, env, &mut out);
    wf.tasks.sort_by_key(|t| t.seq);
    ending::tell_relatives(&before, wf, event_name, &mut out.effects);
    out.changed = *wf != before;
    if out.changed {
        wf.update_time = env.now();
    }
    Ok(out)
}

/// Create a new execution of `new.definition` and decide it: the first tasks exist when this
/// returns (Conductor starts workflows synchronously).
pub fn start(new: NewWorkflow, env: &mut dyn Env) -> Result<(Workflow, Vec<Effect>), EngineError> {
    evaluate::start(new, env)
}

/// Create a new execution that may not run (a sub-workflow nested too deep): it is FAILED
/// with `reason`, and its parent is told.
pub fn refuse(
    new: NewWorkflow,
    reason: String,
    env: &mut dyn Env,
) -> Result<(Workflow, Vec<Effect>), EngineError> {
    evaluate::refuse(new, reason, env)
}

/// Create a new execution without deciding it: its first decision is made later (by the
/// host's timer). Children nested deeper than one commit should hold are started this way.
pub fn create(new: NewWorkflow, env: &mut dyn Env) -> Result<Workflow, EngineError> {
    evaluate::create(new, env)
}
