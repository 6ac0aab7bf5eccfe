//! A parent and its children: what a child's end does to the SUB_WORKFLOW task waiting for
//! it (reference conductor-operators §5.4), and how a child that runs again revives that
//! task and its workflow (§5.7). Both arrive as messages (see `messages`).

use super::Effect;
use super::ending::reopen;
use super::instance::{begin, enqueue, finish, reset};
use super::kind::{TaskKind, kind_of};
use super::messages::ChildResult;
use crate::model::{TaskStatus, Workflow, WorkflowStatus};

/// The child behind `task_id` ended: the task takes its status, output and reason. A task
/// that moved on (ended, retried, or now waiting for another child) ignores it.
pub(super) fn child_ended(wf: &mut Workflow, task_id: &str, child: ChildResult, now: i64) -> bool {
    let Some(task) = wf.task_mut(task_id) else {
        return false;
    };
    if task.status.is_terminal() || task.sub_workflow_id.as_deref() != Some(&child.workflow_id) {
        return false;
    }
    let status = match child.status {
        WorkflowStatus::Completed => TaskStatus::Completed,
        WorkflowStatus::Failed => TaskStatus::Failed,
        WorkflowStatus::Terminated => TaskStatus::Canceled,
        WorkflowStatus::TimedOut => TaskStatus::TimedOut,
        WorkflowStatus::Running | WorkflowStatus::Paused => return false,
    };
    task.output_data.extend(child.output);
    if !status.is_successful() {
        task.reason_for_incompletion = Some(format!(
            "Sub workflow {}.{}/{} failure reason: {}",
            child.name,
            child.version,
            child.workflow_id,
            child.reason.unwrap_or_default()
        ));
    }
    finish(task, status, now);
    true
}

/// The child behind `task_id` runs again: the task waits for it again, and its workflow is
/// running again with whatever the child's failure had canceled put back (reference
/// conductor-operators §5.7). False when the task moved on: optional, superseded, or gone.
pub(super) fn revive(
    wf: &mut Workflow,
    task_id: &str,
    child_id: &str,
    now: i64,
    fx: &mut Vec<Effect>,
) -> bool {
    let Some(task) = wf.task_mut(task_id) else {
        return false;
    };
    if task.workflow_task.optional
        || task.retried
        || task.sub_workflow_id.as_deref() != Some(child_id)
    {
        return false;
    }
    begin(task, now);
    task.end_time = 0;
    task.executed = false;
    task.reason_for_incompletion = None;
    reopen(wf);
    wf.last_retried_time = now;
    for t in wf.tasks.iter_mut() {
        if t.status != TaskStatus::Canceled || t.retried {
            continue;
        }
        match kind_of(&t.workflow_task) {
            TaskKind::Join | TaskKind::ExclusiveJoin | TaskKind::DoWhile => {
                begin(t, now);
                t.end_time = 0;
                t.executed = false;
            }
            _ => {
                reset(t, now);
                t.retry_count += 1;
                enqueue(t, 0, fx);
            }
        }
    }
    true
}
