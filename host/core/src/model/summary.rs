//! Read-side projections: `WorkflowSummary` and `TaskSummary` (search) and `WorkflowStatus`
//! (`/status`).

use super::defs::Json;
use super::exec::{Task, Workflow};
use super::status::{TaskStatus, WorkflowStatus};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// Search hit. Conductor writes times as ISO-8601 strings and input/output as JSON text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowSummary {
    pub workflow_type: String,
    pub version: i32,
    pub workflow_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    pub start_time: String,
    pub update_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    pub status: WorkflowStatus,
    pub input: String,
    pub output: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_for_incompletion: Option<String>,
    pub execution_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    pub failed_reference_task_names: String,
    pub priority: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_workflow_id: Option<String>,
}

pub fn iso_millis(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl From<&Workflow> for WorkflowSummary {
    fn from(w: &Workflow) -> Self {
        WorkflowSummary {
            workflow_type: w.workflow_name.clone(),
            version: w.workflow_version,
            workflow_id: w.workflow_id.clone(),
            correlation_id: w.correlation_id.clone(),
            start_time: iso_millis(w.start_time),
            update_time: iso_millis(w.update_time),
            end_time: (w.end_time > 0).then(|| iso_millis(w.end_time)),
            status: w.status,
            input: serde_json::to_string(&w.input).unwrap_or_default(),
            output: serde_json::to_string(&w.output).unwrap_or_default(),
            reason_for_incompletion: w.reason_for_incompletion.clone(),
            execution_time: if w.end_time > 0 {
                w.end_time - w.start_time
            } else {
                0
            },
            event: w.event.clone(),
            failed_reference_task_names: w.failed_reference_task_names.join(","),
            priority: w.priority,
            created_by: w.created_by.clone(),
            parent_workflow_id: w.parent_workflow_id.clone(),
        }
    }
}

/// Task search hit, in Conductor's `TaskSummary` shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskSummary {
    pub workflow_id: String,
    pub workflow_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    pub scheduled_time: String,
    pub start_time: String,
    pub update_time: String,
    pub end_time: String,
    pub status: TaskStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_for_incompletion: Option<String>,
    pub execution_time: i64,
    pub queue_wait_time: i64,
    pub task_def_name: String,
    pub task_type: String,
    pub input: String,
    pub output: String,
    pub task_id: String,
    pub workflow_priority: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

impl From<&Task> for TaskSummary {
    fn from(t: &Task) -> Self {
        let time = |ms: i64| {
            if ms > 0 {
                iso_millis(ms)
            } else {
                String::new()
            }
        };
        TaskSummary {
            workflow_id: t.workflow_instance_id.clone(),
            workflow_type: t.workflow_type.clone(),
            correlation_id: t.correlation_id.clone(),
            scheduled_time: time(t.scheduled_time),
            start_time: time(t.start_time),
            update_time: time(t.update_time),
            end_time: time(t.end_time),
            status: t.status,
            reason_for_incompletion: t.reason_for_incompletion.clone(),
            execution_time: if t.end_time > 0 && t.start_time > 0 {
                t.end_time - t.start_time
            } else {
                0
            },
            queue_wait_time: if t.start_time > 0 && t.scheduled_time > 0 {
                t.start_time - t.scheduled_time
            } else {
                0
            },
            task_def_name: t.task_def_name.clone(),
            task_type: t.task_type.clone(),
            input: serde_json::to_string(&t.input_data).unwrap_or_default(),
            output: serde_json::to_string(&t.output_data).unwrap_or_default(),
            task_id: t.task_id.clone(),
            workflow_priority: t.workflow_priority,
            domain: t.domain.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowStatusView {
    pub workflow_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    pub status: WorkflowStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variables: Option<Json>,
}

impl WorkflowStatusView {
    pub fn of(w: &Workflow, include_output: bool, include_variables: bool) -> Self {
        WorkflowStatusView {
            workflow_id: w.workflow_id.clone(),
            correlation_id: w.correlation_id.clone(),
            status: w.status,
            output: include_output.then(|| w.output.clone()),
            variables: include_variables.then(|| w.variables.clone()),
        }
    }
}
