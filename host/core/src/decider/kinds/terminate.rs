//! TERMINATE (reference conductor-operators §7): completes at once with the workflow output
//! it carries; the decide loop then ends the workflow with `terminationStatus`.

use super::super::instance::finish;
use crate::model::{Json, Task, TaskStatus, WorkflowStatus};
use serde_json::Value;

pub(super) fn start(task: &mut Task, now: i64) {
    task.output_data = match task.input_data.get("workflowOutput") {
        Some(Value::Object(m)) => m.clone(),
        None | Some(Value::Null) => Json::new(),
        Some(other) => Json::from_iter([("output".to_string(), other.clone())]),
    };
    finish(task, TaskStatus::Completed, now);
}

/// How the workflow ends once TERMINATE `task` has run: its status and reason.
pub(in super::super) fn verdict(task: &Task) -> (WorkflowStatus, String) {
    let status = match task
        .input_data
        .get("terminationStatus")
        .and_then(Value::as_str)
    {
        Some("FAILED") => WorkflowStatus::Failed,
        Some("TERMINATED") => WorkflowStatus::Terminated,
        _ => WorkflowStatus::Completed,
    };
    let reason = task
        .input_data
        .get("terminationReason")
        .and_then(Value::as_str)
        .filter(|r| !r.trim().is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| format!("Workflow is {status} by TERMINATE task: {}", task.task_id));
    (status, reason)
}
