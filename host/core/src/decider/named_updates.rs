//! Task updates that name their task by what it is rather than by id — a reference name, "the
//! task that waits", a webhook's match — resolved against the execution here, then applied
//! as any task update with the output merged.

use super::tasks::{blocked_wait_task, is_blocking, pending_task_by_ref, update};
use super::{EngineError, Env, Outcome, OutputChange, RefUpdate, SignalUpdate, TaskUpdate};
use crate::model::{EarlySignal, Json, Task, TaskResultStatus, Workflow};

/// Early signals one workflow keeps at most.
pub const MAX_EARLY_SIGNALS: usize = 100;

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
        // An ended workflow takes nothing, as Conductor's asynchronous signal accepts it.
        None if wf.status.is_terminal() => Ok(()),
        None if wf.early_signals.len() >= MAX_EARLY_SIGNALS => Err(EngineError {
            kind: super::ErrorKind::Full,
            message: format!(
                "Workflow {} already keeps {MAX_EARLY_SIGNALS} signals no task has taken",
                wf.workflow_id
            ),
        }),
        // Kept: the next task that waits for a signal takes it (`take_early_signals`).
        None => {
            wf.early_signals.push(EarlySignal {
                status: s.status,
                output: s.output,
                received_time: env.now(),
            });
            Ok(())
        }
    }
}

/// After any event: a task that now waits for a signal takes the first early one, and so on
/// while tasks wait and signals are kept. A signal the task cannot take is kept.
pub(super) fn take_early_signals(wf: &mut Workflow, env: &mut dyn Env, out: &mut Outcome) {
    // The event's own answer (the task a poll handed out, ...) stays the answer.
    let answered = out.task_id.clone();
    take(wf, env, out);
    out.task_id = answered;
}

fn take(wf: &mut Workflow, env: &mut dyn Env, out: &mut Outcome) {
    while !wf.early_signals.is_empty() && !wf.status.is_terminal() {
        let Some(task) = wf.tasks.iter().find(|t| is_blocking(t)) else {
            return;
        };
        let signal = wf.early_signals[0].clone();
        let merged = merged(task, signal.status, signal.output, None);
        let before = wf.clone();
        if update(wf, merged, env, out).is_err() {
            *wf = before;
            return;
        }
        wf.early_signals.remove(0);
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
