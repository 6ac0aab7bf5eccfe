//! Definition validation (Conductor's bean-validation constraints), answered as a list of
//! `validationErrors` so a client learns every problem at once.

use super::defs::{Json, TaskDef, WorkflowDef, WorkflowTask};
use super::kind::{OPERATOR_TYPES, TaskKind, kind_of_type};
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

/// What only the host can tell about a definition.
pub struct Rules<'a> {
    /// Whether a task type can run here: SIMPLE, an operator, or a plugin's type.
    pub known_type: &'a dyn Fn(&str) -> bool,
    /// The syntax error of a JavaScript expression, if it has one (SWITCH `javascript`
    /// expressions and DECISION `caseExpression`s are checked, as Conductor checks them).
    pub script_error: &'a dyn Fn(&str) -> Option<String>,
}

pub fn workflow_def(def: &WorkflowDef, rules: &Rules) -> Vec<ValidationError> {
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
    let mut walk = Walk {
        def,
        rules,
        refs: &mut refs,
        errors: &mut errors,
    };
    walk.list(&def.tasks, "tasks", false);
    errors
}

/// The registration checks of every task of the tree, with Conductor's messages
/// (reference conductor-operators §15).
struct Walk<'a> {
    def: &'a WorkflowDef,
    rules: &'a Rules<'a>,
    refs: &'a mut HashSet<&'a str>,
    errors: &'a mut Vec<ValidationError>,
}

impl<'a> Walk<'a> {
    fn list(&mut self, tasks: &'a [WorkflowTask], path: &str, in_loop: bool) {
        for (i, t) in tasks.iter().enumerate() {
            self.task(t, &format!("{path}[{i}]"), in_loop);
        }
    }

    fn task(&mut self, t: &'a WorkflowTask, at: &str, in_loop: bool) {
        let errors = &mut *self.errors;
        let path = |field: &str| format!("{at}.{field}");
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
        } else if !self.refs.insert(t.task_reference_name.as_str()) {
            errors.push(err(
                path("taskReferenceName"),
                format!("taskReferenceName: {} should be unique across tasks for a given workflowDefinition: {}", t.task_reference_name, self.def.name),
                t.task_reference_name.clone(),
            ));
        }
        let kind = kind_of_type(&t.task_type);
        let operator = OPERATOR_TYPES.contains(&t.task_type.as_str())
            || t.task_type.eq_ignore_ascii_case("FORK");
        if !operator && !(self.rules.known_type)(&t.task_type) {
            errors.push(err(
                path("type"),
                format!("Task type {} is not supported here: use SIMPLE, an operator, or a registered system task type", t.task_type),
                t.task_type.clone(),
            ));
        }
        if let Some(m) = check_seconds("startDelay", t.start_delay) {
            errors.push(err(path("startDelay"), m, t.start_delay));
        }
        if let Some(td) = &t.task_definition {
            // An embedded definition is named by its task (Conductor does not check it).
            let mut td = td.clone();
            if td.name.trim().is_empty() {
                td.name = t.name.clone();
            }
            errors.extend(task_def(&td).into_iter().map(|mut e| {
                e.path = format!("{at}.taskDefinition.{}", e.path);
                e
            }));
        }
        for (field, message) in operator_rules(t, kind, in_loop) {
            errors.push(err(path(field), message, Value::Null));
        }
        let script = match kind {
            TaskKind::Switch if t.evaluator_type.as_deref() == Some("javascript") => {
                t.expression.as_deref().map(|e| ("expression", e))
            }
            TaskKind::Decision => t.case_expression.as_deref().map(|e| ("caseExpression", e)),
            _ => None,
        };
        if let Some((field, expression)) = script
            && let Some(problem) = (self.rules.script_error)(expression)
        {
            errors.push(err(
                path(field),
                format!(
                    "Expression is not well formatted: {problem}, taskType: {} taskName {}",
                    t.task_type, t.name
                ),
                Value::Null,
            ));
        }
        let nested_loop = in_loop || kind == TaskKind::DoWhile;
        if let Some(cases) = &t.decision_cases {
            for (case, list) in cases {
                self.list(list, &path(&format!("decisionCases.{case}")), nested_loop);
            }
        }
        if let Some(list) = &t.default_case {
            self.list(list, &path("defaultCase"), nested_loop);
        }
        for (b, branch) in t.fork_tasks.iter().flatten().enumerate() {
            self.list(branch, &path(&format!("forkTasks[{b}]")), nested_loop);
        }
        if let Some(list) = &t.loop_over {
            self.list(list, &path("loopOver"), nested_loop);
        }
    }
}

fn required(field: &str, t: &WorkflowTask) -> String {
    format!(
        "{field} field is required for taskType: {} taskName: {}",
        t.task_type, t.name
    )
}

/// The type-specific rules of `WorkflowTaskTypeConstraint`.
fn operator_rules(t: &WorkflowTask, kind: TaskKind, in_loop: bool) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let cases = |out: &mut Vec<(&'static str, String)>| match &t.decision_cases {
        None => out.push(("decisionCases", required("decisionCases", t))),
        Some(c) if c.is_empty() => out.push((
            "decisionCases",
            format!(
                "decisionCases should have atleast one task for taskType: {} taskName: {}",
                t.task_type, t.name
            ),
        )),
        _ => {}
    };
    match kind {
        TaskKind::Switch => {
            if t.evaluator_type.is_none() {
                out.push(("evaluatorType", required("evaluatorType", t)));
            } else if t.expression.is_none() {
                out.push(("expression", required("expression", t)));
            }
            cases(&mut out);
        }
        TaskKind::Decision => {
            if t.case_value_param.is_none() && t.case_expression.is_none() {
                out.push((
                    "caseValueParam",
                    required("caseValueParam or caseExpression", t),
                ));
            }
            cases(&mut out);
        }
        TaskKind::Fork if t.fork_tasks.as_ref().is_some_and(|f| f.is_empty()) => {
            out.push((
                "forkTasks",
                format!(
                    "forkTasks should have atleast one task for taskType: FORK_JOIN taskName: {}",
                    t.name
                ),
            ));
        }
        TaskKind::ForkDynamic => {
            let simple = t.input_parameters.contains_key("forkTaskInputs");
            let legacy = t.dynamic_fork_join_tasks_param.is_some();
            let classic = t.dynamic_fork_tasks_param.is_some()
                || t.dynamic_fork_tasks_input_param_name.is_some();
            if simple {
                // The simple form needs none of the other keys.
            } else if legacy && classic {
                out.push(("dynamicForkTasksParam", format!("dynamicForkJoinTasksParam or combination of dynamicForkTasksInputParamName and dynamicForkTasksParam cam be used for taskType: FORK_JOIN_DYNAMIC taskName: {}", t.name)));
            } else if !legacy {
                if t.dynamic_fork_tasks_param.is_none() {
                    out.push((
                        "dynamicForkTasksParam",
                        required("dynamicForkTasksParam", t),
                    ));
                }
                if t.dynamic_fork_tasks_input_param_name.is_none() {
                    out.push((
                        "dynamicForkTasksInputParamName",
                        required("dynamicForkTasksInputParamName", t),
                    ));
                }
            }
        }
        TaskKind::DoWhile => {
            if t.loop_condition.is_none() {
                out.push(("loopCondition", required("loopCondition", t)));
            }
            if t.loop_over.as_ref().is_none_or(|l| l.is_empty()) {
                out.push(("loopOver", required("loopOver", t)));
            }
            if in_loop {
                out.push((
                    "type",
                    format!(
                        "DO_WHILE {} is inside another DO_WHILE: nested loops are not supported (use a SUB_WORKFLOW inside the loop)",
                        t.task_reference_name
                    ),
                ));
            }
        }
        TaskKind::Dynamic if t.dynamic_task_name_param.is_none() => {
            out.push(("dynamicTaskNameParam", required("dynamicTaskNameParam", t)));
        }
        TaskKind::SubWorkflow if t.sub_workflow_param.is_none() => {
            out.push(("subWorkflowParam", required("subWorkflowParam", t)));
        }
        TaskKind::Terminate => {
            if t.optional {
                out.push((
                    "optional",
                    format!("terminate task cannot be optional, taskName: {}", t.name),
                ));
            }
            let status = t
                .input_parameters
                .get("terminationStatus")
                .and_then(Value::as_str);
            if !matches!(status, Some("COMPLETED" | "FAILED" | "TERMINATED")) {
                out.push(("inputParameters.terminationStatus", format!("terminate task must have an terminationStatus parameter and must be set to COMPLETED or FAILED, taskName: {}", t.name)));
            }
        }
        TaskKind::Plugin if t.task_type == "JSON_JQ_TRANSFORM" => {
            let in_template = t
                .task_definition
                .as_ref()
                .is_some_and(|d| d.input_template.contains_key("queryExpression"));
            if !t.input_parameters.contains_key("queryExpression") && !in_template {
                out.push((
                    "inputParameters.queryExpression",
                    required("inputParameters.queryExpression", t),
                ));
            }
        }
        _ => {}
    }
    out
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

    fn simple_only() -> Rules<'static> {
        Rules {
            known_type: &|t| t == "SIMPLE",
            script_error: &|_| None,
        }
    }

    #[test]
    fn reports_every_problem() {
        let def: WorkflowDef = serde_json::from_value(json!({
            "name": "", "schemaVersion": 1,
            "tasks": [{"name": "a", "taskReferenceName": "r"}, {"name": "", "taskReferenceName": "r", "type": "NOPE"}]
        }))
        .unwrap();
        let errors = workflow_def(&def, &simple_only());
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
        let errors = workflow_def(&def, &simple_only());
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
