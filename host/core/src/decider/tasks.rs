//! Task-level events: a worker's poll and every kind of task update (reference §3.8). All the
//! ways of completing a task — `POST /tasks`, by reference name, the signal endpoints, an
//! event handler, the UI — arrive here as one [`TaskUpdate`].

use super::evaluate::decide;
use super::instance::{dequeue, enqueue};
use super::kinds::{TaskKind, kind_of, plugin};
use super::{Effect, EngineError, Env, Outcome, OutputChange, PluginOutcome, TaskUpdate};
use crate::model::{Task, TaskResultStatus, TaskStatus, Workflow};

/// The task an executor or poller acts on, if it is still open in an open workflow; a task
/// that is gone or ended only leaves its queue.
fn open_task<'a>(
    wf: &'a mut Workflow,
    task_id: &str,
    fx: &mut Vec<Effect>,
) -> Option<&'a mut Task> {
    let workflow_ended = wf.status.is_terminal();
    let Some(task) = wf.task_mut(task_id) else {
        fx.push(Effect::Dequeue {
            task_id: task_id.to_string(),
        });
        return None;
    };
    if task.status.is_terminal() || workflow_ended {
        dequeue(task, fx);
        return None;
    }
    Some(task)
}

pub(super) fn poll(
    wf: &mut Workflow,
    task_id: &str,
    worker_id: Option<String>,
    env: &mut dyn Env,
    out: &mut Outcome,
) -> Result<(), EngineError> {
    let now = env.now();
    let Some(task) = open_task(wf, task_id, &mut out.effects) else {
        return Ok(());
    };
    // Polling ignores PAUSED (Conductor hands out tasks that are already queued).
    if task.status != TaskStatus::Scheduled {
        dequeue(task, &mut out.effects);
        return Ok(());
    }
    task.status = TaskStatus::InProgress;
    if task.start_time == 0 {
        task.start_time = now;
    }
    task.callback_after_seconds = 0;
    task.worker_id = worker_id;
    task.poll_count += 1;
    task.update_time = now;
    task.queue_wait_time = now - task.scheduled_time;
    dequeue(task, &mut out.effects);
    out.task_id = Some(task.task_id.clone());
    Ok(())
}

pub(super) fn update(
    wf: &mut Workflow,
    update: TaskUpdate,
    env: &mut dyn Env,
    out: &mut Outcome,
) -> Result<(), EngineError> {
    let now = env.now();
    let workflow_terminal = wf.status.is_terminal();
    let task = wf.task_mut(&update.task_id).ok_or_else(|| {
        EngineError::not_found(format!("No such task found by id: {}", update.task_id))
    })?;
    out.task_id = Some(task.task_id.clone());
    if !update.logs.is_empty() {
        out.effects.push(Effect::AppendLogs {
            task_id: task.task_id.clone(),
            logs: update.logs.clone(),
        });
    }
    // Updates to a task or workflow that already ended are accepted and ignored (idempotent
    // worker retries), as in Conductor.
    if task.status.is_terminal() || workflow_terminal {
        dequeue(task, &mut out.effects);
        return Ok(());
    }
    if update.extend_lease {
        task.update_time = now;
        return Ok(());
    }
    match update.output {
        OutputChange::Replace(output) => task.output_data = output,
        OutputChange::Merge(output) => task.output_data.extend(output),
    }
    if update.reason_for_incompletion.is_some() {
        task.reason_for_incompletion = update.reason_for_incompletion;
    }
    if update.worker_id.is_some() {
        task.worker_id = update.worker_id;
    }
    task.callback_after_seconds = update.callback_after_seconds.max(0);
    task.update_time = now;
    match (update.status, kind_of(&task.workflow_task)) {
        // A worker that reports IN_PROGRESS hands the task back to be polled again later.
        (TaskResultStatus::InProgress, TaskKind::Worker) => {
            task.status = TaskStatus::Scheduled;
            enqueue(task, task.callback_after_seconds, &mut out.effects);
        }
        (TaskResultStatus::InProgress, _) => {
            task.status = TaskStatus::InProgress;
        }
        (status, _) => {
            task.status = status.task_status();
            if task.start_time == 0 {
                task.start_time = now;
            }
            task.end_time = now;
            dequeue(task, &mut out.effects);
        }
    }
    decide(wf, env, &mut out.effects);
    Ok(())
}

/// A system task's plugin is about to run: SCHEDULED becomes IN_PROGRESS. An IN_PROGRESS
/// task still on its queue is one whose run was interrupted (a crash): it runs again. The
/// queue entry stays until the outcome is applied, so a crash in between loses nothing.
pub(super) fn system_started(
    wf: &mut Workflow,
    task_id: &str,
    worker_id: Option<String>,
    env: &mut dyn Env,
    out: &mut Outcome,
) {
    let now = env.now();
    let Some(task) = open_task(wf, task_id, &mut out.effects) else {
        return;
    };
    if kind_of(&task.workflow_task) != TaskKind::Plugin {
        dequeue(task, &mut out.effects);
        return;
    }
    task.status = TaskStatus::InProgress;
    if task.start_time == 0 {
        task.start_time = now;
    }
    task.worker_id = worker_id;
    task.poll_count += 1;
    task.update_time = now;
    task.queue_wait_time = now - task.scheduled_time;
    out.task_id = Some(task.task_id.clone());
}

/// Apply what a plugin computed. An asyncComplete task and a wait stay IN_PROGRESS with the
/// plugin's output until something completes them (or, for `wait-until`, the timer).
pub(super) fn plugin_finished(
    wf: &mut Workflow,
    task_id: &str,
    token: i32,
    outcome: PluginOutcome,
    env: &mut dyn Env,
    out: &mut Outcome,
) {
    let now = env.now();
    let Some(task) = open_task(wf, task_id, &mut out.effects) else {
        return;
    };
    // Reset (rerun) or started again since this run began: the outcome belongs to nobody.
    if task.status != TaskStatus::InProgress || task.poll_count != token {
        return;
    }
    out.task_id = Some(task.task_id.clone());
    dequeue(task, &mut out.effects);
    plugin::apply(task, outcome, now);
    decide(wf, env, &mut out.effects);
}

/// The live task a reference name designates: the first non-terminal task with exactly that
/// reference, else one whose reference matches once its loop suffix `__N` is removed.
pub fn pending_task_by_ref<'a>(wf: &'a Workflow, reference: &str) -> Option<&'a Task> {
    let open = || wf.tasks.iter().filter(|t| !t.status.is_terminal());
    open()
        .find(|t| t.reference_task_name == reference)
        .or_else(|| open().find(|t| t.base_reference() == reference))
}

/// The task the `/signal` endpoints complete: the first open WAIT or YIELD task.
pub fn blocked_wait_task(wf: &Workflow) -> Option<&Task> {
    wf.tasks
        .iter()
        .find(|t| !t.status.is_terminal() && matches!(t.task_type.as_str(), "WAIT" | "YIELD"))
}

/// The task a synchronous signal or execute reports as blocking this workflow (reference
/// conductor-operators §13.1): an open YIELD, or a WAIT that waits for a signal (not for a
/// time).
pub fn blocking_task(wf: &Workflow) -> Option<&Task> {
    wf.tasks.iter().find(|t| is_blocking(t))
}

pub fn is_blocking(t: &Task) -> bool {
    match t.task_type.as_str() {
        "YIELD" => !t.status.is_terminal(),
        "WAIT" => t.status == TaskStatus::InProgress && t.wait_timeout == 0,
        _ => false,
    }
}
