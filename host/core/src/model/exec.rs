//! Executions: `Workflow` and `Task` as Conductor serializes them (reference §6.1, §6.2).
//! Null fields are omitted, primitives are always written, times are epoch milliseconds.

use super::defs::{Json, TaskDef, WorkflowDef, WorkflowTask};
use super::lenient::null_default;
use super::status::{TaskResultStatus, TaskStatus, WorkflowStatus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workflow {
    pub workflow_id: String,
    pub workflow_name: String,
    pub workflow_version: i32,
    pub status: WorkflowStatus,
    #[serde(default, deserialize_with = "null_default")]
    pub input: Json,
    #[serde(default, deserialize_with = "null_default")]
    pub output: Json,
    #[serde(default, deserialize_with = "null_default")]
    pub variables: Json,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(default)]
    pub priority: i32,
    #[serde(default)]
    pub task_to_domain: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_for_incompletion: Option<String>,
    #[serde(default)]
    pub failed_reference_task_names: Vec<String>,
    #[serde(default)]
    pub failed_task_names: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_task_id: Option<String>,
    #[serde(default)]
    pub start_time: i64,
    #[serde(default)]
    pub create_time: i64,
    #[serde(default)]
    pub update_time: i64,
    #[serde(default)]
    pub end_time: i64,
    #[serde(default)]
    pub last_retried_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_workflow_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_workflow_task_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub re_run_from_workflow_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    pub workflow_definition: WorkflowDef,
    #[serde(default)]
    pub tasks: Vec<Task>,
    /// Messages sent to the execution and not yet pulled (Conductor's workflow message
    /// queue). The store keeps them apart from the execution's JSON and loads them with it.
    #[serde(skip)]
    pub inbox: Vec<InboxMessage>,
    /// Asynchronous signals sent before any task waited for one: the next task that waits
    /// for a signal (a YIELD, a WAIT without a time) takes the first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub early_signals: Vec<EarlySignal>,
}

/// A signal kept for the next task that waits for one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EarlySignal {
    pub status: TaskResultStatus,
    #[serde(default)]
    pub output: Json,
    pub received_time: i64,
}

/// A message sent to a running workflow (`POST /workflow/{id}/messages`), in Conductor's
/// `WorkflowMessage` shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxMessage {
    pub id: String,
    pub workflow_id: String,
    pub payload: Json,
    /// ISO-8601, UTC.
    pub received_at: String,
}

impl InboxMessage {
    /// A message received at `now_ms` (epoch milliseconds).
    pub fn new(id: String, workflow_id: String, payload: Json, now_ms: i64) -> InboxMessage {
        let received_at = chrono::DateTime::from_timestamp_millis(now_ms)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        InboxMessage {
            id,
            workflow_id,
            payload,
            received_at,
        }
    }
}

impl Workflow {
    pub fn key(&self) -> String {
        format!(
            "{}.{}/{}",
            self.workflow_name, self.workflow_version, self.workflow_id
        )
    }

    pub fn task(&self, task_id: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.task_id == task_id)
    }

    pub fn task_mut(&mut self, task_id: &str) -> Option<&mut Task> {
        self.tasks.iter_mut().find(|t| t.task_id == task_id)
    }

    pub fn task_index(&self, task_id: &str) -> Option<usize> {
        self.tasks.iter().position(|t| t.task_id == task_id)
    }

    /// The latest instance of a reference name (Conductor: "for repeated refs, the last wins").
    pub fn last_task_by_ref(&self, reference: &str) -> Option<&Task> {
        self.tasks
            .iter()
            .rev()
            .find(|t| t.reference_task_name == reference)
    }

    pub fn next_seq(&self) -> i32 {
        self.tasks.iter().map(|t| t.seq).max().unwrap_or(0) + 1
    }
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub task_id: String,
    pub task_type: String,
    pub task_def_name: String,
    pub reference_task_name: String,
    pub status: TaskStatus,
    #[serde(default, deserialize_with = "null_default")]
    pub input_data: Json,
    #[serde(default, deserialize_with = "null_default")]
    pub output_data: Json,
    pub workflow_instance_id: String,
    pub workflow_type: String,
    #[serde(default)]
    pub workflow_priority: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(default)]
    pub seq: i32,
    #[serde(default)]
    pub retry_count: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retried_task_id: Option<String>,
    #[serde(default)]
    pub retried: bool,
    #[serde(default)]
    pub executed: bool,
    #[serde(default)]
    pub poll_count: i32,
    #[serde(default)]
    pub scheduled_time: i64,
    #[serde(default)]
    pub start_time: i64,
    #[serde(default)]
    pub end_time: i64,
    #[serde(default)]
    pub update_time: i64,
    /// When the first attempt of this reference was scheduled: the base of
    /// `totalTimeoutSeconds`, carried across automatic retries.
    #[serde(default)]
    pub first_scheduled_time: i64,
    #[serde(default)]
    pub start_delay_in_seconds: i64,
    #[serde(default)]
    pub callback_after_seconds: i64,
    #[serde(default)]
    pub response_timeout_seconds: i64,
    #[serde(default = "default_true")]
    pub callback_from_worker: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_for_incompletion: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_workflow_id: Option<String>,
    #[serde(default)]
    pub iteration: i32,
    #[serde(default)]
    pub loop_over_task: bool,
    #[serde(default)]
    pub rate_limit_per_frequency: i32,
    #[serde(default)]
    pub rate_limit_frequency_in_seconds: i32,
    /// Epoch ms at which a timed wait ends (0: none). Conductor's internal `waitTimeout`.
    #[serde(default)]
    pub wait_timeout: i64,
    #[serde(default)]
    pub queue_wait_time: i64,
    pub workflow_task: WorkflowTask,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<TaskDef>,
}

impl Task {
    /// The reference name without the `__<iteration>` suffix loop tasks carry. A task
    /// outside a loop keeps its reference whole, even one that ends in `__<digits>`.
    pub fn base_reference(&self) -> &str {
        if self.iteration > 0 {
            strip_iteration(&self.reference_task_name)
        } else {
            &self.reference_task_name
        }
    }

    /// The definition the decider applies: the registered one embedded at schedule time, or
    /// Conductor's implicit defaults for this kind of task.
    pub fn effective_def(&self) -> TaskDef {
        self.task_definition.clone().unwrap_or_else(|| {
            TaskDef::implicit(&self.task_def_name, self.workflow_task.is_simple())
        })
    }
}

pub fn strip_iteration(reference: &str) -> &str {
    match reference.rsplit_once("__") {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => reference,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iteration_suffix() {
        assert_eq!(strip_iteration("wait_ref__3"), "wait_ref");
        assert_eq!(strip_iteration("wait__ref"), "wait__ref");
        assert_eq!(strip_iteration("plain"), "plain");
    }
}
