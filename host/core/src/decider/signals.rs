//! The workflow signals (reference §3.2–3.10): pause, resume, restart, rerun, retry,
//! terminate, skip task, reset callbacks. Where fermata deliberately differs from Conductor
//! OSS the comment says so.

use super::ending::{End, end_workflow, reopen};
use super::evaluate::decide;
use super::family;
use super::graph::Graph;
use super::instance::{Placement, begin, dequeue, enqueue, skipped};
use super::kind::{TaskKind, kind_of};
use super::kinds::{self, Decision};
use super::messages::MessageBody;
use super::retry::new_attempt;
use super::{Effect, EngineError, Env};
use crate::model::{SkipTaskRequest, Task, TaskStatus, Workflow, WorkflowStatus};
use std::collections::BTreeMap;

fn not_terminal(wf: &Workflow, action: &str) -> EngineError {
    EngineError::conflict(format!(
        "Workflow: {}.{} is not in terminal state, unable to {action}.",
        wf.key(),
        wf.status
    ))
}

pub(super) fn pause(wf: &mut Workflow) -> Result<(), EngineError> {
    if wf.status.is_terminal() {
        return Err(EngineError::conflict(format!(
            "Workflow {} has ended, status cannot be updated.",
            wf.key()
        )));
    }
    // Tasks are left alone: queued work can still be polled and completed, but nothing new
    // is scheduled until resume.
    wf.status = WorkflowStatus::Paused;
    Ok(())
}

/// Conductor OSS answers 500 (an unmapped IllegalStateException); fermata answers 409.
pub(super) fn resume(
    wf: &mut Workflow,
    env: &mut dyn Env,
    fx: &mut Vec<Effect>,
) -> Result<(), EngineError> {
    if wf.status != WorkflowStatus::Paused {
        return Err(EngineError::conflict(format!(
            "The workflow {} is not PAUSED so cannot resume. Current status is {}",
            wf.workflow_id, wf.status
        )));
    }
    wf.status = WorkflowStatus::Running;
    // Resume restarts the workflow-timeout clock.
    wf.last_retried_time = env.now();
    decide(wf, env, fx);
    Ok(())
}

/// Remove every task (restart, rerun from the start). A child still running is terminated:
/// nothing would be left to hear from it.
pub(super) fn drop_all_tasks(wf: &mut Workflow, fx: &mut Vec<Effect>) {
    for task in wf.tasks.drain(..) {
        abandon(&wf.workflow_id, &task, fx);
        dequeue(&task, fx);
    }
}

/// A task that is removed or made new while its child runs: the child is terminated.
pub(super) fn abandon(workflow_id: &str, task: &Task, fx: &mut Vec<Effect>) {
    if kind_of(&task.workflow_task) == TaskKind::SubWorkflow
        && !task.status.is_terminal()
        && let Some(child) = &task.sub_workflow_id
    {
        fx.push(Effect::Send(crate::decider::Message {
            to: child.clone(),
            from: workflow_id.to_string(),
            body: MessageBody::Terminate {
                reason: "Parent workflow has been rerun: this sub-workflow's task was replaced"
                    .into(),
            },
        }));
    }
}

pub(super) fn restart(
    wf: &mut Workflow,
    use_latest_definitions: bool,
    env: &mut dyn Env,
    fx: &mut Vec<Effect>,
) -> Result<(), EngineError> {
    if !wf.status.is_terminal() {
        return Err(not_terminal(wf, "restart"));
    }
    if use_latest_definitions {
        let def = env.workflow_def(&wf.workflow_name, None).ok_or_else(|| {
            EngineError::not_found(format!(
                "No such workflow found by name: {}",
                wf.workflow_name
            ))
        })?;
        wf.workflow_name = def.name.clone();
        wf.workflow_version = def.version;
        wf.workflow_definition = def;
    }
    if !wf.workflow_definition.restartable && wf.status == WorkflowStatus::Completed {
        return Err(EngineError::not_found(format!(
            "Workflow: {} is non-restartable",
            wf.key()
        )));
    }
    drop_all_tasks(wf, fx);
    // Signals kept for the run that ended are not for the new one.
    wf.early_signals.clear();
    reopen(wf);
    let now = env.now();
    wf.create_time = now;
    wf.start_time = now;
    wf.last_retried_time = 0;
    decide(wf, env, fx);
    Ok(())
}

/// Create definition node `wt` afresh (an operator that decides when it is created). False
/// when that failed the workflow.
pub(super) fn recreate_node(
    wf: &mut Workflow,
    wt: &crate::model::WorkflowTask,
    placement: Placement,
    graph: &Graph,
    env: &mut dyn Env,
    fx: &mut Vec<Effect>,
) -> bool {
    let mut d = Decision {
        env: &mut *env,
        fx: &mut *fx,
        graph,
    };
    match kinds::schedule(wf, wt, placement, &mut d) {
        Ok(()) => true,
        Err(kinds::Fatal(reason)) => {
            end_workflow(wf, End::failure(WorkflowStatus::Failed, reason), env, fx);
            false
        }
    }
}

/// Conductor answers 404 for a retry of a running workflow (long-standing, SDK tests may rely
/// on it), which fermata keeps.
pub(super) fn retry(
    wf: &mut Workflow,
    env: &mut dyn Env,
    fx: &mut Vec<Effect>,
) -> Result<(), EngineError> {
    if !wf.status.is_terminal() {
        return Err(EngineError::not_found(format!(
            "Workflow is still running.  status={}",
            wf.status
        )));
    }
    if wf.tasks.is_empty() {
        return Err(EngineError::conflict("Workflow has not started yet"));
    }
    // The latest instance of each reference decides: failed-then-succeeded is not retried.
    let mut retriable: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, task) in wf.tasks.iter().enumerate() {
        match task.status {
            TaskStatus::Failed
            | TaskStatus::FailedWithTerminalError
            | TaskStatus::TimedOut
            | TaskStatus::Canceled => {
                retriable.insert(&task.reference_task_name, i);
            }
            _ => {
                retriable.remove(task.reference_task_name.as_str());
            }
        }
    }
    if retriable.is_empty() && wf.status != WorkflowStatus::TimedOut {
        return Err(EngineError::conflict(
            "There are no retryable tasks! Use restart if you want to attempt entire workflow execution again.",
        ));
    }
    let mut candidates: Vec<usize> = retriable.into_values().collect();
    candidates.sort_by_key(|&i| wf.tasks[i].seq);
    wf.status = WorkflowStatus::Running;
    wf.last_retried_time = env.now();
    wf.reason_for_incompletion = None;
    wf.end_time = 0;
    // failedReferenceTaskNames survive a retry in Conductor; so they do here.
    let now = env.now();
    let def = wf.workflow_definition.clone();
    let graph = Graph::of(&def);
    for i in candidates {
        match kind_of(&wf.tasks[i].workflow_task) {
            // Operators that wait are retried in place: they look at their tasks again.
            TaskKind::Join | TaskKind::ExclusiveJoin | TaskKind::DoWhile => {
                let task = &mut wf.tasks[i];
                if task.status != TaskStatus::Canceled {
                    task.retry_count += 1;
                }
                begin(task, now);
                task.end_time = 0;
                task.executed = false;
                task.reason_for_incompletion = None;
            }
            // A SWITCH is evaluated again (Conductor copies it without a branch).
            TaskKind::Switch | TaskKind::Decision => {
                let task = &mut wf.tasks[i];
                task.retried = true;
                task.executed = true;
                let wt = task.workflow_task.clone();
                let placement = Placement {
                    iteration: task.iteration,
                    retry_count: task.retry_count + 1,
                };
                if !recreate_node(wf, &wt, placement, &graph, env, fx) {
                    return Ok(());
                }
            }
            _ => {
                new_attempt(wf, i, 0, true, env, fx);
            }
        }
    }
    decide(wf, env, fx);
    Ok(())
}

/// Conductor OSS never starts the failure workflow on a manual terminate; fermata does when
/// `triggerFailureWorkflow=true` (as Orkes and the SDKs expect).
pub(super) fn terminate(
    wf: &mut Workflow,
    reason: Option<String>,
    trigger_failure_workflow: bool,
    env: &mut dyn Env,
    fx: &mut Vec<Effect>,
) -> Result<(), EngineError> {
    match wf.status {
        WorkflowStatus::Completed => Err(EngineError::conflict(
            "Cannot terminate a COMPLETED workflow.",
        )),
        WorkflowStatus::Terminated => Ok(()),
        _ => {
            end_workflow(
                wf,
                End::terminated(reason, trigger_failure_workflow),
                env,
                fx,
            );
            Ok(())
        }
    }
}

/// Conductor OSS answers 500 for these preconditions; fermata answers 409 (400 for a
/// reference the definition does not have).
pub(super) fn skip_task(
    wf: &mut Workflow,
    reference: &str,
    request: SkipTaskRequest,
    env: &mut dyn Env,
    fx: &mut Vec<Effect>,
) -> Result<(), EngineError> {
    if wf.status != WorkflowStatus::Running {
        return Err(EngineError::conflict(format!(
            "The workflow {} is not running so the task referenced by {reference} cannot be skipped",
            wf.workflow_id
        )));
    }
    let wt = wf
        .workflow_definition
        .task_by_ref(reference)
        .cloned()
        .ok_or_else(|| {
            EngineError::bad_request(format!(
                "The task referenced by {reference} does not exist in the WorkflowDefinition {}",
                wf.workflow_name
            ))
        })?;
    if wf.tasks.iter().any(|t| t.reference_task_name == reference) {
        return Err(EngineError::conflict(format!(
            "The task referenced {reference} has already been processed, cannot be skipped"
        )));
    }
    let task = skipped(wf, wt, request.task_input, request.task_output, env);
    wf.tasks.push(task);
    decide(wf, env, fx);
    Ok(())
}

pub(super) fn reset_callbacks(
    wf: &mut Workflow,
    env: &mut dyn Env,
    fx: &mut Vec<Effect>,
) -> Result<(), EngineError> {
    if wf.status.is_terminal() {
        return Err(EngineError::conflict(format!(
            "Workflow is in terminal state. Status = {}",
            wf.status
        )));
    }
    let now = env.now();
    for task in wf.tasks.iter_mut().filter(|t| {
        t.status == TaskStatus::Scheduled
            && t.callback_after_seconds > 0
            && kind_of(&t.workflow_task) == TaskKind::Worker
    }) {
        task.callback_after_seconds = 0;
        task.update_time = now;
        enqueue(task, 0, fx);
    }
    Ok(())
}

/// A message from a parent or a child (see [`MessageBody`]). A message that no longer
/// applies (its task moved on, the workflow already ended) changes nothing.
pub(super) fn deliver(
    wf: &mut Workflow,
    body: MessageBody,
    env: &mut dyn Env,
    fx: &mut Vec<Effect>,
) {
    let now = env.now();
    match body {
        MessageBody::ChildEnded { task_id, child } => {
            if family::child_ended(wf, &task_id, child, now) {
                decide(wf, env, fx);
            }
        }
        MessageBody::Terminate { reason } => {
            if !wf.status.is_terminal() {
                end_workflow(wf, End::terminated(Some(reason), false), env, fx);
            }
        }
        MessageBody::Revive {
            task_id, child_id, ..
        } => {
            if family::revive(wf, &task_id, &child_id, now, fx) {
                decide(wf, env, fx);
            }
        }
    }
}

/// Variables updated from outside, as SET_VARIABLE updates them (a shallow merge), then a
/// decision: what waits on them sees the new values.
pub(super) fn update_variables(
    wf: &mut Workflow,
    update: super::VariablesUpdate,
    env: &mut dyn Env,
    fx: &mut Vec<Effect>,
) -> Result<(), EngineError> {
    if wf.status.is_terminal() {
        return Err(EngineError::conflict(format!(
            "Workflow {} is in terminal state {}: its variables cannot be updated",
            wf.workflow_id, wf.status
        )));
    }
    for (key, value) in update.values {
        match (wf.variables.get_mut(&key), value) {
            (Some(serde_json::Value::Array(held)), serde_json::Value::Array(more))
                if update.append_arrays =>
            {
                held.extend(more)
            }
            (_, value) => {
                wf.variables.insert(key, value);
            }
        }
    }
    let size = serde_json::to_vec(&wf.variables).map_or(usize::MAX, |v| v.len());
    if size > kinds::MAX_VARIABLES_BYTES {
        return Err(EngineError::bad_request(format!(
            "The variables payload size: {size} of workflow: {} is greater than the permissible limit: {} kilobytes",
            wf.workflow_id,
            kinds::MAX_VARIABLES_BYTES / 1024
        )));
    }
    decide(wf, env, fx);
    Ok(())
}

/// Conductor's `maxQueueSize`: messages one workflow's inbox holds at most.
pub const MAX_INBOX: usize = 1000;

/// A message for the inbox: only a RUNNING workflow takes one; a PULL_WORKFLOW_MESSAGES task
/// waiting for it takes it in the decision that follows.
pub(super) fn message_arrived(
    wf: &mut Workflow,
    message: crate::model::InboxMessage,
    env: &mut dyn Env,
    fx: &mut Vec<Effect>,
) -> Result<(), EngineError> {
    if wf.status != WorkflowStatus::Running {
        return Err(EngineError::conflict(format!(
            "Workflow {} is not in RUNNING state (current: {})",
            wf.workflow_id, wf.status
        )));
    }
    if wf.inbox.len() >= MAX_INBOX {
        return Err(EngineError {
            kind: super::ErrorKind::Full,
            message: format!(
                "Workflow message queue for workflowId={} has reached the maximum size of {MAX_INBOX}",
                wf.workflow_id
            ),
        });
    }
    fx.push(Effect::InboxPush(message.clone()));
    wf.inbox.push(message);
    decide(wf, env, fx);
    Ok(())
}
