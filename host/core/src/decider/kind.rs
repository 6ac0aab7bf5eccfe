//! The facts that follow from a task's kind alone (see `model::kind`): its queue, whether it
//! waits to be completed, when it is due. Everything else about a kind lives in `kinds/`.

use crate::model::{Task, TaskStatus};

pub use crate::model::kind::{OPERATOR_TYPES, TaskKind, kind_of, kind_of_type};

/// Queue of a task: `[domain:]defName` for workers (Conductor's naming, which pollers use),
/// `system:TYPE` for plugin tasks so they never collide with a worker's name. Operators are
/// not queued: the decider runs them.
pub fn queue_name(task: &Task) -> Option<String> {
    match kind_of(&task.workflow_task) {
        TaskKind::Worker => Some(match &task.domain {
            Some(domain) => format!("{domain}:{}", task.task_def_name),
            None => task.task_def_name.clone(),
        }),
        TaskKind::Plugin => Some(format!("system:{}", task.task_type)),
        _ => None,
    }
}

/// Whether a host-side run (a plugin's or a child workflow's) keeps the task IN_PROGRESS
/// until something completes it: `asyncComplete` from the task input when present, else
/// from the workflow task. A sub-workflow always waits for its child.
pub fn async_complete(task: &Task) -> bool {
    kind_of(&task.workflow_task) == TaskKind::SubWorkflow
        || task
            .input_data
            .get("asyncComplete")
            .and_then(|v| v.as_bool())
            .unwrap_or(task.workflow_task.async_complete)
}

/// When a SCHEDULED task the decider may start (anything but a worker's) is due: after its
/// start delay or retry back-off. A pure plugin then runs inside the decision made at that
/// time; another plugin is picked up from its queue.
pub(super) fn due_at(task: &Task) -> Option<i64> {
    let decider_runs = kind_of(&task.workflow_task) != TaskKind::Worker;
    (decider_runs && task.status == TaskStatus::Scheduled)
        .then(|| after(task.scheduled_time, task.callback_after_seconds.max(0)))
}

/// `base` epoch ms plus `seconds`, saturating: a definition stored before numbers were range
/// checked must not wrap a deadline into the past.
pub(super) fn after(base: i64, seconds: i64) -> i64 {
    base.saturating_add(seconds.saturating_mul(1000))
}
