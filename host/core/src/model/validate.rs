//! Definition validation (Conductor's bean-validation constraints), answered as a list of
//! `validationErrors` so a client learns every problem at once.

use super::defs::{Json, TaskDef, WorkflowDef};
use crate::expr;
use crate::limits::{MAX_SECONDS, check_name, check_seconds};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationError {
    pub path: String,
    pub message: String,
    pub invalid_value: Value,
}

fn err(
    path: impl Into<String>,
    message: impl Into<String>,
    value: impl Into<Value>,
) -> ValidationError {
    ValidationError {
        path: path.into(),
        message: message.into(),
        invalid_value: value.into(),
    }
}

/// `known_type` answers whether a task type can run here (SIMPLE, or a system task type the
/// host provides).
pub fn workflow_def(def: &WorkflowDef, known_type: &dyn Fn(&str) -> bool) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    if def.name.trim().is_empty() {
        errors.push(err(
            "name",
            "WorkflowDef name cannot be null or empty",
            def.name.clone(),
        ));
    }
    if def.version < 1 {
        errors.push(err(
            "version",
            "WorkflowDef version must be 1 or more",
            def.version,
        ));
    }
    if def.schema_version != 2 {
        errors.push(err(
            "schemaVersion",
            "workflowDef schemaVersion: 2 is only supported",
            def.schema_version,
        ));
    }
    if def.tasks.is_empty() {
        errors.push(err(
            "tasks",
            "WorkflowTask list cannot be empty",
            Value::Array(vec![]),
        ));
    }
    if let Some(m) = check_seconds("timeoutSeconds", def.timeout_seconds) {
        errors.push(err("timeoutSeconds", m, def.timeout_seconds));
    }
    if let Some(m) = check_name("name", &def.name) {
        errors.push(err("name", m, Value::Null));
    }
    errors.extend(expressions("outputParameters", &def.output_parameters));
    let mut refs = HashSet::new();
    for (i, t) in def.tasks.iter().enumerate() {
        let path = |field: &str| format!("tasks[{i}].{field}");
        for (field, value) in [
            ("name", &t.name),
            ("taskReferenceName", &t.task_reference_name),
            ("type", &t.task_type),
        ] {
            if let Some(m) = check_name(field, value) {
                errors.push(err(path(field), m, Value::Null));
            }
        }
        errors.extend(expressions(&path("inputParameters"), &t.input_parameters));
        if let Some(sink) = &t.sink
            && let Err(m) = expr::check(sink)
        {
            errors.push(err(path("sink"), m, Value::Null));
        }
        if t.name.trim().is_empty() {
            errors.push(err(
                path("name"),
                "WorkflowTask name cannot be empty or null",
                t.name.clone(),
            ));
        }
        if t.task_reference_name.trim().is_empty() {
            errors.push(err(
                path("taskReferenceName"),
                "WorkflowTask taskReferenceName name cannot be empty or null",
                t.task_reference_name.clone(),
            ));
        } else if !refs.insert(t.task_reference_name.as_str()) {
            errors.push(err(
                path("taskReferenceName"),
                format!("taskReferenceName: {} should be unique across tasks for a given workflowDefinition: {}", t.task_reference_name, def.name),
                t.task_reference_name.clone(),
            ));
        }
        if !known_type(&t.task_type) {
            errors.push(err(
                path("type"),
                format!("Task type {} is not supported here: use SIMPLE or a registered system task type", t.task_type),
                t.task_type.clone(),
            ));
        }
        if let Some(m) = check_seconds("startDelay", t.start_delay) {
            errors.push(err(path("startDelay"), m, t.start_delay));
        }
        if let Some(td) = &t.task_definition {
            errors.extend(task_def(td).into_iter().map(|mut e| {
                e.path = format!("tasks[{i}].taskDefinition.{}", e.path);
                e
            }));
        }
    }
    errors
}

pub fn task_def(def: &TaskDef) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    if def.name.trim().is_empty() {
        errors.push(err(
            "name",
            "TaskDef name cannot be null or empty",
            def.name.clone(),
        ));
    }
    if def.retry_count < 0 {
        errors.push(err(
            "retryCount",
            "TaskDef retryCount: must be >= 0",
            def.retry_count,
        ));
    }
    if def.response_timeout_seconds < 1 {
        errors.push(err(
            "responseTimeoutSeconds",
            format!(
                "TaskDef responseTimeoutSeconds: {} must be greater than 0",
                def.response_timeout_seconds
            ),
            def.response_timeout_seconds,
        ));
    }
    if def.timeout_seconds > 0 && def.response_timeout_seconds > def.timeout_seconds {
        errors.push(err(
            "responseTimeoutSeconds",
            format!(
                "TaskDef: {} responseTimeoutSeconds: {} must be less than timeoutSeconds: {}",
                def.name, def.response_timeout_seconds, def.timeout_seconds
            ),
            def.response_timeout_seconds,
        ));
    }
    if def.timeout_seconds > 0
        && def.total_timeout_seconds > 0
        && def.timeout_seconds > def.total_timeout_seconds
    {
        errors.push(err(
            "timeoutSeconds",
            format!(
                "TaskDef: {} timeoutSeconds: {} must be less than or equal to totalTimeoutSeconds: {}",
                def.name, def.timeout_seconds, def.total_timeout_seconds
            ),
            def.timeout_seconds,
        ));
    }
    if let Some(m) = check_name("name", &def.name) {
        errors.push(err("name", m, Value::Null));
    }
    for (field, v) in [
        ("timeoutSeconds", def.timeout_seconds),
        ("retryDelaySeconds", def.retry_delay_seconds),
        ("totalTimeoutSeconds", def.total_timeout_seconds),
        ("maxRetryDelaySeconds", def.max_retry_delay_seconds),
        ("responseTimeoutSeconds", def.response_timeout_seconds),
        ("pollTimeoutSeconds", def.poll_timeout_seconds.unwrap_or(0)),
        (
            "rateLimitFrequencyInSeconds",
            i64::from(def.rate_limit_frequency_in_seconds),
        ),
    ] {
        if let Some(m) = check_seconds(&format!("TaskDef {field}"), v) {
            errors.push(err(field, m, v));
        }
    }
    if !(0..=MAX_SECONDS * 1000).contains(&def.backoff_jitter_ms) {
        errors.push(err(
            "backoffJitterMs",
            format!(
                "TaskDef backoffJitterMs must be between 0 and {}",
                MAX_SECONDS * 1000
            ),
            def.backoff_jitter_ms,
        ));
    }
    if !(1..=1_000_000).contains(&def.backoff_scale_factor) {
        errors.push(err(
            "backoffScaleFactor",
            "TaskDef backoffScaleFactor: must be between 1 and 1000000",
            def.backoff_scale_factor,
        ));
    }
    errors.extend(expressions("inputTemplate", &def.input_template));
    errors
}

/// Parameter expressions the evaluator would not resolve: nested too deeply.
fn expressions(path: &str, params: &Json) -> Vec<ValidationError> {
    params
        .iter()
        .flat_map(|(k, v)| expr::check_all(&format!("{path}.{k}"), v))
        .map(|(at, message)| err(at, message, Value::Null))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_every_problem() {
        let def: WorkflowDef = serde_json::from_value(json!({
            "name": "", "schemaVersion": 1,
            "tasks": [{"name": "a", "taskReferenceName": "r"}, {"name": "", "taskReferenceName": "r", "type": "NOPE"}]
        }))
        .unwrap();
        let errors = workflow_def(&def, &|t| t == "SIMPLE");
        let paths: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "name",
                "schemaVersion",
                "tasks[1].name",
                "tasks[1].taskReferenceName",
                "tasks[1].type"
            ]
        );
    }

    #[test]
    fn numbers_names_and_expressions_are_bounded() {
        let def: WorkflowDef = serde_json::from_value(json!({
            "name": "w", "timeoutSeconds": 9_223_372_036_854_775_i64,
            "outputParameters": {"o": "${".repeat(20)},
            "tasks": [{"name": "a", "taskReferenceName": "a", "startDelay": i64::MAX,
                       "inputParameters": {"p": ["${workflow.input[?((((((((((((((((((((((((((((((((((@.a))))))))))))))))))))))))))))))))]}"]}},
                      {"name": "b".repeat(600), "taskReferenceName": "b"}]
        }))
        .unwrap();
        let errors = workflow_def(&def, &|t| t == "SIMPLE");
        let paths: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "timeoutSeconds",
                "outputParameters.o",
                "tasks[0].inputParameters.p[0]",
                "tasks[0].startDelay",
                "tasks[1].name"
            ]
        );
    }

    #[test]
    fn task_timeouts_must_nest() {
        let mut td = TaskDef::named("t");
        td.timeout_seconds = 10;
        td.response_timeout_seconds = 20;
        assert_eq!(task_def(&td).len(), 1);
        td.response_timeout_seconds = 5;
        td.total_timeout_seconds = 8;
        assert_eq!(task_def(&td)[0].path, "timeoutSeconds");
        td.total_timeout_seconds = 0;
        assert!(task_def(&td).is_empty());
    }
}
