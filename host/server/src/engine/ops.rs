//! The operations a caller can apply to one execution, how each becomes a decider event, and
//! what each answers.

use crate::error::{Error, Result};
use fermata_core::decider::{
    Message, OutputChange, PluginOutcome, TaskUpdate, VariablesUpdate, blocked_wait_task,
    pending_task_by_ref,
};

use fermata_core::model::{
    InboxMessage, Json, RerunWorkflowRequest, SkipTaskRequest, Task, TaskResult, TaskResultStatus,
    Workflow,
};
use fermata_core::{Event, Outcome};
use fermata_store::{IdempotencyRecord, NewEvent};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub enum Op {
    Pause,
    Resume,
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
    /// `POST /tasks` and `update-v2`: a full TaskResult, output replaced.
    UpdateTask(TaskResult),
    /// `POST /tasks/{wf}/{ref}/{status}[/sync]`: output merged.
    UpdateByRef {
        reference: String,
        status: TaskResultStatus,
        output: Json,
        worker_id: Option<String>,
        sync: bool,
    },
    /// `POST /tasks/{wf}/{status}/signal[/sync]`: completes the open WAIT task.
    Signal {
        status: TaskResultStatus,
        output: Json,
        sync: bool,
    },
    Decide,
    Poll {
        task_id: String,
        worker_id: Option<String>,
    },
    /// The plugin executor begins a system task.
    StartSystemTask {
        task_id: String,
        worker_id: Option<String>,
    },
    /// A plugin's outcome, and the `conductor:` events it published.
    PluginFinished {
        task_id: String,
        token: i32,
        outcome: PluginOutcome,
        events: Vec<NewEvent>,
    },
    /// A message from another execution, from the outbox row `outbox_id`.
    Deliver {
        outbox_id: i64,
        message: Message,
    },
    /// `POST /workflow/{id}/variables`: merged into the variables; answers the workflow.
    UpdateVariables(VariablesUpdate),
    /// `POST /workflow/{id}/messages`: a message for the inbox; answers its id.
    SendMessage(InboxMessage),
    /// `POST /workflow/{id}/jump/{ref}` (Orkes).
    Jump {
        reference: Option<String>,
        input: Json,
    },
    /// `POST /workflow/{id}/upgrade` (Orkes): the definition is loaded by the engine.
    Upgrade {
        name: String,
        version: Option<i32>,
        input: Option<Json>,
        task_output: Json,
    },
    /// A delivery to incoming webhook `webhook_id` matched open WAIT_FOR_WEBHOOK `task_id`:
    /// completes it with the delivery's body merged into its output.
    Webhook {
        webhook_id: String,
        event_id: String,
        task_id: String,
        output: Json,
    },
}

impl Op {
    pub fn name(&self) -> &'static str {
        match self {
            Op::Pause => "pause",
            Op::Resume => "resume",
            Op::Restart { .. } => "restart",
            Op::Rerun(_) => "rerun",
            Op::Retry { .. } => "retry",
            Op::Terminate { .. } => "terminate",
            Op::SkipTask { .. } => "skip_task",
            Op::ResetCallbacks => "reset_callbacks",
            Op::UpdateTask(_) => "update_task",
            Op::UpdateByRef { .. } => "update_task_by_ref",
            Op::Signal { .. } => "signal",
            Op::Decide => "decide",
            Op::Poll { .. } => "poll",
            Op::StartSystemTask { .. } => "start_system_task",
            Op::PluginFinished { .. } => "plugin_finished",
            Op::Deliver { message, .. } => message.body.name(),
            Op::UpdateVariables(_) => "update_variables",
            Op::SendMessage(_) => "message",
            Op::Jump { .. } => "jump",
            Op::Upgrade { .. } => "upgrade",
            Op::Webhook { .. } => "webhook",
        }
    }

    /// Signals are recorded in the execution's signal log; the engine's own decisions and a
    /// worker's poll are not.
    pub fn recorded(&self) -> bool {
        !matches!(
            self,
            Op::Decide | Op::Poll { .. } | Op::StartSystemTask { .. } | Op::PluginFinished { .. }
        )
    }

    /// The parameters as they appear in the signal log.
    pub fn params(&self) -> Value {
        match self {
            Op::Pause | Op::Resume | Op::ResetCallbacks | Op::Decide => json!({}),
            Op::Restart {
                use_latest_definitions,
            } => {
                json!({"useLatestDefinitions": use_latest_definitions})
            }
            Op::Rerun(r) => serde_json::to_value(r).unwrap_or_default(),
            Op::Retry {
                resume_subworkflow_tasks,
            } => {
                json!({"resumeSubworkflowTasks": resume_subworkflow_tasks})
            }
            Op::Terminate {
                reason,
                trigger_failure_workflow,
            } => {
                json!({"reason": reason, "triggerFailureWorkflow": trigger_failure_workflow})
            }
            Op::SkipTask { reference, request } => {
                json!({"taskReferenceName": reference, "request": request})
            }
            Op::UpdateTask(r) => json!({
                "taskId": r.task_id, "status": r.status, "outputData": r.output_data,
                "reasonForIncompletion": r.reason_for_incompletion, "workerId": r.worker_id,
            }),
            Op::UpdateByRef {
                reference,
                status,
                output,
                worker_id,
                ..
            } => json!({
                "taskReferenceName": reference, "status": status, "output": output, "workerId": worker_id,
            }),
            Op::Signal { status, output, .. } => json!({"status": status, "output": output}),
            Op::Poll { task_id, worker_id } | Op::StartSystemTask { task_id, worker_id } => {
                json!({"taskId": task_id, "workerId": worker_id})
            }
            Op::PluginFinished { task_id, .. } => json!({"taskId": task_id}),
            Op::Deliver { message, .. } => {
                json!({"from": message.from, "message": message.body})
            }
            Op::UpdateVariables(update) => {
                json!({"variables": update.values, "appendArray": update.append_arrays})
            }
            Op::SendMessage(message) => json!({"id": message.id, "payload": message.payload}),
            Op::Jump { reference, input } => {
                json!({"taskReferenceName": reference, "input": input})
            }
            Op::Upgrade {
                name,
                version,
                input,
                task_output,
            } => json!({"name": name, "version": version, "workflowInput": input,
                        "taskOutput": task_output}),
            Op::Webhook {
                webhook_id,
                event_id,
                task_id,
                output,
            } => json!({"webhookId": webhook_id, "eventId": event_id, "taskId": task_id,
                        "output": output}),
        }
    }

    /// The decider event for this op against the loaded execution. `Ok(None)`: nothing to
    /// apply (an async signal with no waiting task, as Conductor accepts it).
    pub fn event(&self, wf: &Workflow) -> Result<Option<Event>> {
        let event = match self.clone() {
            Op::Pause => Event::Pause,
            Op::Resume => Event::Resume,
            // The latest definition is resolved by the engine, which has the store.
            Op::Restart { .. } => Event::Restart { latest: None },
            Op::Rerun(r) => Event::Rerun(r),
            Op::Retry {
                resume_subworkflow_tasks,
            } => Event::Retry {
                resume_subworkflow_tasks,
            },
            Op::Terminate {
                reason,
                trigger_failure_workflow,
            } => Event::Terminate {
                reason,
                trigger_failure_workflow,
            },
            Op::SkipTask { reference, request } => Event::SkipTask { reference, request },
            Op::ResetCallbacks => Event::ResetCallbacks,
            Op::Deliver { message, .. } => Event::Deliver(message.body),
            Op::UpdateVariables(variables) => Event::UpdateVariables(variables),
            Op::SendMessage(message) => Event::MessageArrived(message),
            Op::Jump { reference, input } => Event::Jump { reference, input },
            // The definition is loaded by the engine (`resolve`).
            Op::Upgrade { .. } => Event::Decide,
            // The index is read outside the execution's lock: the task may have ended since.
            Op::Webhook {
                task_id, output, ..
            } => {
                let task = wf
                    .task(&task_id)
                    .filter(|t| {
                        !t.status.is_terminal()
                            && t.task_type == fermata_core::webhook::WAIT_FOR_WEBHOOK
                    })
                    .ok_or_else(|| {
                        Error::conflict(format!(
                            "Task {task_id} of workflow {} no longer waits for a webhook",
                            wf.workflow_id
                        ))
                    })?;
                merged_update(task, TaskResultStatus::Completed, output, None)
            }
            Op::Decide => Event::Decide,
            Op::Poll { task_id, worker_id } => Event::TaskPolled { task_id, worker_id },
            Op::StartSystemTask { task_id, worker_id } => {
                Event::SystemTaskStarted { task_id, worker_id }
            }
            Op::PluginFinished {
                task_id,
                token,
                outcome,
                ..
            } => Event::PluginFinished {
                task_id,
                token,
                outcome,
            },
            Op::UpdateTask(r) => {
                let status = r
                    .status
                    .ok_or_else(|| Error::bad_request("TaskResult status cannot be null"))?;
                if let Some(m) = fermata_core::limits::check_seconds(
                    "callbackAfterSeconds",
                    r.callback_after_seconds,
                ) {
                    return Err(Error::bad_request(m));
                }
                Event::TaskUpdated(TaskUpdate {
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
            // Conductor OSS answers an empty 200 when no task is waiting; fermata says 404.
            Op::UpdateByRef {
                reference,
                status,
                output,
                worker_id,
                ..
            } => {
                let task = pending_task_by_ref(wf, &reference).ok_or_else(|| {
                    Error::not_found(format!(
                        "Found no running task {reference} of workflow {} to update",
                        wf.workflow_id
                    ))
                })?;
                merged_update(task, status, output, worker_id)
            }
            Op::Signal {
                status,
                output,
                sync,
            } => match blocked_wait_task(wf) {
                Some(task) => merged_update(task, status, output, None),
                None if sync => {
                    return Err(Error::not_found(format!(
                        "Found no blocked task in workflow {} to signal",
                        wf.workflow_id
                    )));
                }
                None => return Ok(None),
            },
        };
        Ok(Some(event))
    }

    /// What the caller is answered once the change is durable.
    pub fn reply(&self, wf: &Workflow, outcome: &Outcome) -> Reply {
        match self {
            Op::Restart { .. } | Op::Retry { .. } => Reply::NoContent,
            Op::Rerun(_) => Reply::Text(wf.workflow_id.clone()),
            Op::SendMessage(message) => Reply::Text(message.id.clone()),
            Op::UpdateTask(r) => Reply::Text(outcome.task_id.clone().unwrap_or(r.task_id.clone())),
            Op::UpdateByRef { sync: false, .. } => {
                Reply::Text(outcome.task_id.clone().unwrap_or_default())
            }
            Op::UpdateByRef { sync: true, .. } | Op::UpdateVariables(_) => {
                Reply::Json(serde_json::to_value(wf).unwrap_or_default())
            }
            Op::Signal { sync: true, .. } => {
                let mut body = serde_json::to_value(wf).unwrap_or_default();
                if let Value::Object(m) = &mut body {
                    m.insert("responseType".into(), json!("TARGET_WORKFLOW"));
                    m.insert("targetWorkflowId".into(), json!(wf.workflow_id));
                    m.insert("targetWorkflowStatus".into(), json!(wf.status));
                }
                Reply::Json(body)
            }
            Op::Poll { .. } | Op::StartSystemTask { .. } => Reply::Task(
                outcome
                    .task_id
                    .as_deref()
                    .and_then(|id| wf.task(id))
                    .cloned()
                    .map(Box::new),
            ),
            _ => Reply::Ok,
        }
    }
}

fn merged_update(
    task: &Task,
    status: TaskResultStatus,
    output: Json,
    worker_id: Option<String>,
) -> Event {
    Event::TaskUpdated(TaskUpdate {
        task_id: task.task_id.clone(),
        status,
        output: OutputChange::Merge(output),
        reason_for_incompletion: None,
        worker_id,
        callback_after_seconds: task.callback_after_seconds,
        logs: vec![],
        extend_lease: false,
    })
}

/// A successful answer, before HTTP.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200, empty body.
    Ok,
    /// 204.
    NoContent,
    /// 200 `text/plain` (ids, as Conductor sends them).
    Text(String),
    Json(Value),
    /// A polled task, or nothing (204).
    Task(Option<Box<Task>>),
    /// The first answer to a repeated Idempotency-Key.
    Replayed(IdempotencyRecord),
}

/// An answer as the caller got it, encoded by the API ([`Answers`]): what the signal log
/// and a repeated Idempotency-Key replay.
pub struct Rendered {
    pub status: u16,
    pub content_type: Option<&'static str>,
    pub body: Vec<u8>,
}

/// How answers are recorded. The engine does not speak HTTP: the API supplies this.
pub trait Answers: Send + Sync {
    fn reply(&self, reply: &Reply) -> Rendered;
    fn error(&self, error: &Error) -> Rendered;
    /// Whether a recorded answer refused the request.
    fn refused(&self, first: &IdempotencyRecord) -> bool;
}
