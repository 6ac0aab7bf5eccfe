//! Request and response bodies of the REST API (reference §6.3, §1.3, §6).

use super::defs::{Json, WorkflowDef};
use super::lenient::null_default;
use super::status::TaskResultStatus;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IdempotencyStrategy {
    #[default]
    Fail,
    ReturnExisting,
    FailOnRunning,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartWorkflowRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub version: Option<i32>,
    #[serde(default)]
    pub correlation_id: Option<String>,
    #[serde(default)]
    pub input: Option<Json>,
    #[serde(default, deserialize_with = "null_default")]
    pub task_to_domain: BTreeMap<String, String>,
    #[serde(default)]
    pub workflow_def: Option<WorkflowDef>,
    #[serde(default, deserialize_with = "null_default")]
    pub priority: i32,
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub idempotency_key: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub idempotency_strategy: IdempotencyStrategy,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskExecLog {
    #[serde(default)]
    pub log: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub created_time: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskResult {
    #[serde(default, deserialize_with = "null_default")]
    pub workflow_instance_id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub task_id: String,
    #[serde(default)]
    pub status: Option<TaskResultStatus>,
    #[serde(default, deserialize_with = "null_default")]
    pub output_data: Json,
    #[serde(default)]
    pub reason_for_incompletion: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub callback_after_seconds: i64,
    #[serde(default)]
    pub worker_id: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub logs: Vec<TaskExecLog>,
    #[serde(default, deserialize_with = "null_default")]
    pub extend_lease: bool,
    #[serde(default)]
    pub sub_workflow_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RerunWorkflowRequest {
    #[serde(default)]
    pub re_run_from_workflow_id: Option<String>,
    #[serde(default)]
    pub workflow_input: Option<Json>,
    #[serde(default)]
    pub re_run_from_task_id: Option<String>,
    #[serde(default)]
    pub task_input: Option<Json>,
    #[serde(default)]
    pub correlation_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkipTaskRequest {
    #[serde(default, deserialize_with = "null_default")]
    pub task_input: Json,
    #[serde(default, deserialize_with = "null_default")]
    pub task_output: Json,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkResponse {
    pub bulk_successful_results: Vec<String>,
    pub bulk_error_results: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult<T> {
    pub total_hits: i64,
    pub results: Vec<T>,
}
