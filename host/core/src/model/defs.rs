//! Metadata: `WorkflowDef`, `WorkflowTask`, `TaskDef` (reference §5.1, §6.3).
//! Fields fermata does not interpret are kept in `extra` so a definition reads back as it was
//! written.

use super::lenient::null_default;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub type Json = Map<String, Value>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TimeoutPolicy {
    Retry,
    #[default]
    TimeOutWf,
    AlertOnly,
}

impl TimeoutPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Retry => "RETRY",
            Self::TimeOutWf => "TIME_OUT_WF",
            Self::AlertOnly => "ALERT_ONLY",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkflowTimeoutPolicy {
    TimeOutWf,
    #[default]
    AlertOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RetryLogic {
    #[default]
    Fixed,
    ExponentialBackoff,
    LinearBackoff,
}

fn default_version() -> i32 {
    1
}
fn default_schema_version() -> i32 {
    2
}
fn default_true() -> bool {
    true
}
fn default_task_type() -> String {
    "SIMPLE".to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowDef {
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default = "default_version")]
    pub version: i32,
    #[serde(default, deserialize_with = "null_default")]
    pub tasks: Vec<WorkflowTask>,
    #[serde(default, deserialize_with = "null_default")]
    pub input_parameters: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub output_parameters: Json,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_workflow: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_workflow_version: Option<i32>,
    #[serde(default = "default_schema_version")]
    pub schema_version: i32,
    #[serde(default = "default_true")]
    pub restartable: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub workflow_status_listener_enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_email: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub timeout_policy: WorkflowTimeoutPolicy,
    #[serde(default, deserialize_with = "null_default")]
    pub timeout_seconds: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub variables: Json,
    #[serde(default, deserialize_with = "null_default")]
    pub input_template: Json,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
    #[serde(flatten)]
    pub extra: Json,
}

impl WorkflowDef {
    /// The task with this reference anywhere in the tree.
    pub fn task_by_ref(&self, reference: &str) -> Option<&WorkflowTask> {
        let mut found = None;
        walk(&self.tasks, &mut |t| {
            if found.is_none() && t.task_reference_name == reference {
                found = Some(t);
            }
        });
        found
    }

    pub fn key(&self) -> String {
        format!("{}.{}", self.name, self.version)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowTask {
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub task_reference_name: String,
    #[serde(rename = "type", default = "default_task_type")]
    pub task_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub input_parameters: Json,
    #[serde(default, deserialize_with = "null_default")]
    pub optional: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub permissive: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub async_complete: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub start_delay: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<TaskDef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sink: Option<String>,
    // Operator keys (reference conductor-operators §1–§11). `None` and empty differ: the
    // registration checks tell "missing" from "empty", as Conductor's do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluator_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_value_param: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_expression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_cases: Option<IndexMap<String, Vec<WorkflowTask>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_case: Option<Vec<WorkflowTask>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fork_tasks: Option<Vec<Vec<WorkflowTask>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_on: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_exclusive_join_task: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_fork_tasks_param: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_fork_tasks_input_param_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_fork_join_tasks_param: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_task_name_param: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loop_condition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loop_over: Option<Vec<WorkflowTask>>,
    /// DO_WHILE list iteration (OSS spelling; `inputParameters.items` and `_items` also work).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_workflow_param: Option<SubWorkflowParams>,
    #[serde(flatten)]
    pub extra: Json,
}

impl WorkflowTask {
    pub fn is_simple(&self) -> bool {
        self.task_type.eq_ignore_ascii_case("SIMPLE")
    }

    /// A task of `task_type` named and referenced `name`, everything else default.
    pub fn new(name: &str, reference: &str, task_type: &str) -> WorkflowTask {
        serde_json::from_value(serde_json::json!({
            "name": name, "taskReferenceName": reference, "type": task_type
        }))
        .expect("a minimal workflow task deserializes")
    }

    /// The task lists directly inside this one: switch cases (then the default), fork
    /// branches, the loop body.
    pub fn children(&self) -> impl Iterator<Item = &[WorkflowTask]> {
        let cases = self.decision_cases.iter().flat_map(|c| c.values());
        cases
            .chain(self.default_case.iter())
            .chain(self.fork_tasks.iter().flatten())
            .chain(self.loop_over.iter())
            .map(Vec::as_slice)
    }

    pub fn children_mut(&mut self) -> impl Iterator<Item = &mut Vec<WorkflowTask>> {
        let cases = self.decision_cases.iter_mut().flat_map(|c| c.values_mut());
        cases
            .chain(self.default_case.iter_mut())
            .chain(self.fork_tasks.iter_mut().flatten())
            .chain(self.loop_over.iter_mut())
    }
}

/// Every task of a definition tree, depth first, parents before their children.
pub fn walk<'a>(tasks: &'a [WorkflowTask], visit: &mut dyn FnMut(&'a WorkflowTask)) {
    for task in tasks {
        visit(task);
        for list in task.children() {
            walk(list, visit);
        }
    }
}

pub fn walk_mut(tasks: &mut [WorkflowTask], visit: &mut dyn FnMut(&mut WorkflowTask)) {
    for task in tasks {
        visit(task);
        for list in task.children_mut() {
            walk_mut(list, visit);
        }
    }
}

/// `subWorkflowParam` of a SUB_WORKFLOW task (reference conductor-operators §5.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SubWorkflowParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_to_domain: Option<Value>,
    /// An inline definition, or a `${...}` expression resolved when the task is scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_definition: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_strategy: Option<String>,
    #[serde(flatten)]
    pub extra: Json,
}

fn default_retry_count() -> i32 {
    3
}
fn default_retry_delay() -> i64 {
    60
}
fn default_response_timeout() -> i64 {
    3600
}
fn default_backoff_scale() -> i64 {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskDef {
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default = "default_retry_count")]
    pub retry_count: i32,
    #[serde(default, deserialize_with = "null_default")]
    pub timeout_seconds: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub input_keys: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub output_keys: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub timeout_policy: TimeoutPolicy,
    #[serde(default, deserialize_with = "null_default")]
    pub retry_logic: RetryLogic,
    #[serde(default = "default_retry_delay")]
    pub retry_delay_seconds: i64,
    #[serde(default = "default_response_timeout")]
    pub response_timeout_seconds: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrent_exec_limit: Option<i32>,
    #[serde(default, deserialize_with = "null_default")]
    pub input_template: Json,
    #[serde(default, deserialize_with = "null_default")]
    pub rate_limit_per_frequency: i32,
    #[serde(default, deserialize_with = "null_default")]
    pub rate_limit_frequency_in_seconds: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_timeout_seconds: Option<i64>,
    #[serde(default = "default_backoff_scale")]
    pub backoff_scale_factor: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub max_retry_delay_seconds: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub backoff_jitter_ms: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub total_timeout_seconds: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
    #[serde(flatten)]
    pub extra: Json,
}

impl TaskDef {
    /// The definition Conductor gives a task whose name has no registered TaskDef.
    /// SIMPLE tasks get TaskDef's own defaults (3 retries, 60 s apart, 3600 s response
    /// timeout); system tasks get no retries and no response timeout (reference §4).
    pub fn implicit(name: &str, simple: bool) -> TaskDef {
        let mut def = TaskDef::named(name);
        if !simple {
            def.retry_count = 0;
            def.response_timeout_seconds = 0;
        }
        def
    }

    pub fn named(name: &str) -> TaskDef {
        TaskDef {
            name: name.to_string(),
            description: None,
            retry_count: default_retry_count(),
            timeout_seconds: 0,
            input_keys: vec![],
            output_keys: vec![],
            timeout_policy: TimeoutPolicy::TimeOutWf,
            retry_logic: RetryLogic::Fixed,
            retry_delay_seconds: default_retry_delay(),
            response_timeout_seconds: default_response_timeout(),
            concurrent_exec_limit: None,
            input_template: Json::new(),
            rate_limit_per_frequency: 0,
            rate_limit_frequency_in_seconds: 0,
            owner_email: None,
            poll_timeout_seconds: None,
            backoff_scale_factor: default_backoff_scale(),
            max_retry_delay_seconds: 0,
            backoff_jitter_ms: 0,
            total_timeout_seconds: 0,
            create_time: None,
            update_time: None,
            created_by: None,
            updated_by: None,
            extra: Json::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_follow_conductor() {
        let def: WorkflowDef = serde_json::from_value(
            json!({"name": "w", "tasks": [{"name": "t", "taskReferenceName": "t"}]}),
        )
        .unwrap();
        assert_eq!(def.version, 1);
        assert_eq!(def.schema_version, 2);
        assert!(def.restartable);
        assert_eq!(def.timeout_policy, WorkflowTimeoutPolicy::AlertOnly);
        assert_eq!(def.tasks[0].task_type, "SIMPLE");

        let td: TaskDef = serde_json::from_value(json!({"name": "t"})).unwrap();
        assert_eq!(td.retry_count, 3);
        assert_eq!(td.retry_delay_seconds, 60);
        assert_eq!(td.response_timeout_seconds, 3600);
        assert_eq!(td.timeout_policy, TimeoutPolicy::TimeOutWf);
        assert_eq!(td.backoff_scale_factor, 1);
    }

    #[test]
    fn null_primitives_read_as_zero_and_unknown_fields_round_trip() {
        let def: WorkflowDef = serde_json::from_value(json!({
            "name": "w", "tasks": null, "timeoutSeconds": null, "restartable": true,
            "rateLimitConfig": {"concurrentExecLimit": 2}
        }))
        .unwrap();
        assert!(def.tasks.is_empty());
        assert_eq!(def.timeout_seconds, 0);
        let back = serde_json::to_value(&def).unwrap();
        assert_eq!(back["rateLimitConfig"], json!({"concurrentExecLimit": 2}));
    }

    #[test]
    fn implicit_defs() {
        let simple = TaskDef::implicit("t", true);
        assert_eq!(
            (simple.retry_count, simple.response_timeout_seconds),
            (3, 3600)
        );
        let system = TaskDef::implicit("h", false);
        assert_eq!(
            (system.retry_count, system.response_timeout_seconds),
            (0, 0)
        );
    }

    #[test]
    fn every_operator_key_round_trips_at_every_depth() {
        let written: Value = serde_json::from_str(
            r#"{"name": "ops", "version": 1, "tasks": [
            {"name": "s", "taskReferenceName": "s", "type": "SWITCH", "evaluatorType": "graaljs",
             "expression": "$.x", "decisionCases": {"b": [], "a": [
                {"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN", "forkTasks": [[
                    {"name": "l", "taskReferenceName": "l", "type": "DO_WHILE", "loopCondition": "false",
                     "items": "${workflow.input.items}", "loopOver": [
                        {"name": "sub", "taskReferenceName": "sub", "type": "SUB_WORKFLOW",
                         "subWorkflowParam": {"name": "child", "version": 2, "priority": "${workflow.input.p}",
                            "taskToDomain": {"*": "d"}, "idempotencyKey": "k", "idempotencyStrategy": "FAIL",
                            "workflowDefinition": {"name": "inline", "tasks": [{"name": "x", "taskReferenceName": "x"}]}}}]}]]},
                {"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["l"], "joinMode": "SYNC"}]},
             "defaultCase": [{"name": "d", "taskReferenceName": "d", "type": "DECISION",
                "caseValueParam": "c", "caseExpression": "1", "decisionCases": {}}]},
            {"name": "df", "taskReferenceName": "df", "type": "FORK_JOIN_DYNAMIC",
             "dynamicForkTasksParam": "t", "dynamicForkTasksInputParamName": "i",
             "dynamicForkJoinTasksParam": "legacy"},
            {"name": "ej", "taskReferenceName": "ej", "type": "EXCLUSIVE_JOIN", "joinOn": ["a"],
             "defaultExclusiveJoinTask": ["b"]},
            {"name": "dy", "taskReferenceName": "dy", "type": "DYNAMIC", "dynamicTaskNameParam": "n"}
        ]}"#,
        )
        .unwrap();
        let def: WorkflowDef = serde_json::from_value(written.clone()).unwrap();
        let back = serde_json::to_value(&def).unwrap();
        // Every key written comes back with its value (defaults may be added beside them).
        fn contains(back: &Value, written: &Value, at: &str) {
            match (back, written) {
                (Value::Object(b), Value::Object(w)) => {
                    for (k, v) in w {
                        let path = format!("{at}.{k}");
                        contains(b.get(k).unwrap_or_else(|| panic!("{path} lost")), v, &path);
                    }
                }
                (Value::Array(b), Value::Array(w)) => {
                    assert_eq!(b.len(), w.len(), "{at}");
                    for (i, (b, w)) in b.iter().zip(w).enumerate() {
                        contains(b, w, &format!("{at}[{i}]"));
                    }
                }
                (b, w) => assert_eq!(b, w, "{at}"),
            }
        }
        contains(&back, &written, "");
        let cases: Vec<&String> = def.tasks[0]
            .decision_cases
            .as_ref()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(cases, ["b", "a"], "case order is kept");
    }
}
