//! Timeouts (reference §5.2) as deadlines: the same computation decides whether a deadline
//! has passed and tells the host when to wake the execution next, so timers need no polling.

use super::kind::{TaskKind, after, async_complete, due_at, kind_of};
use crate::model::{
    Task, TaskStatus, TimeoutPolicy, Workflow, WorkflowStatus, WorkflowTimeoutPolicy,
};

pub(super) struct TaskTimeout {
    pub reason: String,
    /// TIME_OUT_WF: the task's timeout ends the workflow too.
    pub fail_workflow: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Total,
    Task,
    Poll,
    Response,
}

/// Every deadline of an open task with what crossing it means. ALERT_ONLY deadlines are left
/// out: crossing them changes nothing (Conductor only logs).
fn deadlines(task: &Task) -> Vec<(i64, Kind)> {
    let def = task.effective_def();
    let mut out = Vec::new();
    let alert_only = def.timeout_policy == TimeoutPolicy::AlertOnly;
    let delay = task.start_delay_in_seconds;
    if def.total_timeout_seconds > 0 && !alert_only {
        out.push((
            after(task.first_scheduled_time, def.total_timeout_seconds),
            Kind::Total,
        ));
    }
    if def.timeout_seconds > 0 && task.start_time > 0 && !alert_only {
        out.push((
            after(task.start_time, delay.saturating_add(def.timeout_seconds)),
            Kind::Task,
        ));
    }
    if task.status == TaskStatus::Scheduled
        && let Some(poll) = def.poll_timeout_seconds.filter(|p| *p > 0)
        && !alert_only
    {
        out.push((
            after(
                task.scheduled_time,
                delay
                    .saturating_add(poll)
                    .saturating_add(task.callback_after_seconds),
            ),
            Kind::Poll,
        ));
    }
    let async_system = kind_of(&task.workflow_task) != TaskKind::Worker && async_complete(task);
    if task.status == TaskStatus::InProgress && task.response_timeout_seconds > 0 && !async_system {
        out.push((
            after(
                task.update_time,
                task.response_timeout_seconds
                    .saturating_add(task.callback_after_seconds),
            ),
            Kind::Response,
        ));
    }
    out
}

pub(super) fn check_task(task: &Task, now: i64) -> Option<TaskTimeout> {
    let def = task.effective_def();
    let (_, kind) = deadlines(task).into_iter().find(|(at, _)| *at <= now)?;
    let policy = def.timeout_policy.as_str();
    let reason = match kind {
        Kind::Response => {
            return Some(TaskTimeout {
                reason: format!(
                    "responseTimeout: {} exceeded for the taskId: {} with Task Definition: {}",
                    task.response_timeout_seconds, task.task_id, task.task_def_name
                ),
                fail_workflow: false,
            });
        }
        Kind::Total => format!(
            "Task total timeout exceeded after {} seconds. Timeout configured as {} seconds. Timeout policy configured to {policy}",
            (now - task.first_scheduled_time) / 1000,
            def.total_timeout_seconds
        ),
        Kind::Task => format!(
            "Task timed out after {} seconds. Timeout configured as {} seconds. Timeout policy configured to {policy}",
            (now - task.start_time) / 1000,
            def.timeout_seconds
        ),
        Kind::Poll => format!(
            "Task poll timed out after {} seconds. Poll timeout configured as {} seconds. Timeout policy configured to {policy}",
            (now - task.scheduled_time) / 1000,
            def.poll_timeout_seconds.unwrap_or_default()
        ),
    };
    Some(TaskTimeout {
        reason,
        fail_workflow: def.timeout_policy == TimeoutPolicy::TimeOutWf,
    })
}

fn workflow_deadline(wf: &Workflow) -> Option<i64> {
    let def = &wf.workflow_definition;
    if def.timeout_seconds <= 0 || def.timeout_policy != WorkflowTimeoutPolicy::TimeOutWf {
        return None;
    }
    let base = if wf.last_retried_time > 0 {
        wf.last_retried_time
    } else {
        wf.create_time
    };
    Some(after(base, def.timeout_seconds))
}

pub(super) fn workflow_timed_out(wf: &Workflow, now: i64) -> Option<String> {
    let deadline = workflow_deadline(wf)?;
    (deadline <= now).then(|| {
        let base = deadline.saturating_sub(wf.workflow_definition.timeout_seconds.saturating_mul(1000));
        format!(
            "Workflow timed out after {} seconds. Timeout configured as {} seconds. Timeout policy configured to TIME_OUT_WF",
            (now - base) / 1000,
            wf.workflow_definition.timeout_seconds
        )
    })
}

/// When the host must next re-decide this execution for time to have its effect: the
/// earliest timeout or timed wait. `None`: only an event can change it.
pub fn next_wake(wf: &Workflow) -> Option<i64> {
    if wf.status.is_terminal() {
        return None;
    }
    let workflow = workflow_deadline(wf);
    if wf.status == WorkflowStatus::Paused {
        return workflow;
    }
    wf.tasks
        .iter()
        .filter(|t| !t.status.is_terminal() && !t.retried)
        .flat_map(|t| {
            let wait = (t.wait_timeout > 0).then_some(t.wait_timeout);
            deadlines(t)
                .into_iter()
                .map(|(at, _)| at)
                .chain(wait)
                .chain(due_at(t))
        })
        .chain(workflow)
        .min()
}
