//! Read-side projections: `WorkflowSummary` (search) and `WorkflowStatus` (`/status`).

use super::defs::Json;
use super::exec::Workflow;
use super::status::WorkflowStatus;
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
