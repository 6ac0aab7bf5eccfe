//! Task updates that name their task by what it is rather than by id — a reference name, "the
//! task that waits", a webhook's match — resolved against the execution here, then applied
//! as any task update with the output merged.

use super::tasks::{blocked_wait_task, pending_task_by_ref, update};
use super::{EngineError, Env, Outcome, OutputChange, RefUpdate, SignalUpdate, TaskUpdate};
use crate::model::{Json, Task, TaskResultStatus, Workflow};

pub(super) fn update_by_ref(
    wf: &mut Workflow,
    u: RefUpdate,
    env: &mut dyn Env,
    out: &mut Outcome,
) -> Result<(), EngineError> {
    // Conductor OSS answers an empty 200 when no task is waiting; fermata says 404.
    let task = pending_task_by_ref(wf, &u.reference).ok_or_else(|| {
        EngineError::not_found(format!(
            "Found no running task {} of workflow {} to update",
            u.reference, wf.workflow_id
        ))
    })?;
    let merged = merged(task, u.status, u.output, u.worker_id);
    update(wf, merged, env, out)
}

pub(super) fn signal(
    wf: &mut Workflow,
    s: SignalUpdate,
    env: &mut dyn Env,
    out: &mut Outcome,
) -> Result<(), EngineError> {
    match blocked_wait_task(wf) {
        Some(task) => {
            let merged = merged(task, s.status, s.output, None);
            update(wf, merged, env, out)
        }
        None if s.required => Err(EngineError::not_found(format!(
            "Found no blocked task in workflow {} to signal",
            wf.workflow_id
        ))),
        None => Ok(()),
    }
}

pub(super) fn webhook_delivered(
    wf: &mut Workflow,
    task_id: &str,
    output: Json,
    env: &mut dyn Env,
    out: &mut Outcome,
) -> Result<(), EngineError> {
    let task = wf
        .task(task_id)
        .filter(|t| !t.status.is_terminal() && t.task_type == crate::webhook::WAIT_FOR_WEBHOOK)
        .ok_or_else(|| {
            EngineError::conflict(format!(
                "Task {task_id} of workflow {} no longer waits for a webhook",
                wf.workflow_id
            ))
        })?;
    let merged = merged(task, TaskResultStatus::Completed, output, None);
    update(wf, merged, env, out)
}

fn merged(
    task: &Task,
    status: TaskResultStatus,
    output: Json,
    worker_id: Option<String>,
) -> TaskUpdate {
    TaskUpdate {
        task_id: task.task_id.clone(),
        status,
        output: OutputChange::Merge(output),
        reason_for_incompletion: None,
        worker_id,
        callback_after_seconds: task.callback_after_seconds,
        logs: vec![],
        extend_lease: false,
    }
}
