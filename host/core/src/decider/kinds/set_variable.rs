//! SET_VARIABLE (reference conductor-operators §8): every input key becomes a workflow
//! variable (a shallow merge), within a size limit.

use super::super::instance::finish;
use crate::model::{TaskStatus, Workflow};

/// Conductor's default `maxWorkflowVariablesPayloadSizeThreshold`.
pub const MAX_VARIABLES_BYTES: usize = 256 * 1024;

pub(super) fn start(wf: &mut Workflow, i: usize, now: i64) {
    let before = wf.variables.clone();
    wf.variables.extend(
        wf.tasks[i]
            .input_data
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    let size = serde_json::to_vec(&wf.variables).map_or(usize::MAX, |v| v.len());
    let task = &mut wf.tasks[i];
    if size > MAX_VARIABLES_BYTES {
        task.reason_for_incompletion = Some(format!(
            "The variables payload size: {size} of workflow: {} is greater than the permissible limit: {} kilobytes",
            wf.workflow_id,
            MAX_VARIABLES_BYTES / 1024
        ));
        finish(task, TaskStatus::FailedWithTerminalError, now);
        wf.variables = before;
        return;
    }
    task.output_data.clear();
    finish(task, TaskStatus::Completed, now);
}
