//! SUB_WORKFLOW (reference conductor-operators §5): a child execution started in the same
//! commit as the task that asks for it. The task stays IN_PROGRESS until the child's end
//! arrives as a message (see `family`).

use super::super::instance::{Placement, begin, build, finish, push, task_input};
use super::super::{Effect, NewWorkflow};
use super::{Decision, Fatal, inline_def};
use crate::expr::Scope;
use crate::model::{Json, TaskStatus, Workflow, WorkflowDef, WorkflowTask};
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub(super) fn schedule(
    wf: &mut Workflow,
    wt: &WorkflowTask,
    at: Placement,
    d: &mut Decision,
) -> Result<(), Fatal> {
    let mut task = build(wf, wt, at, Json::new(), d.env);
    let workflow_input = task_input(wf, wt, &task.task_id);
    let params = wt.sub_workflow_param.clone().unwrap_or_default();
    let scope = Scope::of(wf).with_task_id(&task.task_id);
    let eval = |v: &Option<Value>| v.as_ref().map(|v| scope.eval(v)).unwrap_or(Value::Null);
    // Only a `${...}` string is resolved here: a definition written inline keeps its own
    // expressions, which belong to the child.
    let definition = match &params.workflow_definition {
        Some(Value::String(_)) => match eval(&params.workflow_definition) {
            Value::String(s) => serde_json::from_str(&s).unwrap_or(Value::String(s)),
            other => other,
        },
        Some(written) => written.clone(),
        None => Value::Null,
    };
    let mut name = match scope.eval(&json!(params.name)) {
        Value::String(s) => Some(s),
        _ => None,
    };
    let mut version = version_of(&eval(&params.version));
    if let Some(def) = definition.as_object() {
        name = def.get("name").and_then(Value::as_str).map(str::to_string);
        version = def.get("version").and_then(Value::as_i64).map(|v| v as i32);
    } else if version.is_none() {
        // Conductor pins a missing version to the latest one when the task is created.
        let Some(latest) = name.as_deref().and_then(|n| d.env.workflow_def(n, None)) else {
            return Err(Fatal(format!(
                "The Task {} defined as a sub-workflow has no workflow definition available ",
                wt.name
            )));
        };
        version = Some(latest.version);
    }
    task.input_data = Json::from_iter([
        ("subWorkflowName".to_string(), json!(name)),
        ("subWorkflowVersion".to_string(), json!(version)),
        ("priority".to_string(), eval(&params.priority)),
        (
            "subWorkflowTaskToDomain".to_string(),
            eval(&params.task_to_domain),
        ),
        ("subWorkflowDefinition".to_string(), definition),
        ("idempotencyKey".to_string(), json!(params.idempotency_key)),
        (
            "idempotencyStrategy".to_string(),
            json!(params.idempotency_strategy),
        ),
        ("workflowInput".to_string(), Value::Object(workflow_input)),
    ]);
    if let Some(p) = task.input_data.get("priority").and_then(Value::as_i64) {
        task.workflow_priority = p as i32;
    }
    push(wf, task, d.fx);
    Ok(())
}

fn version_of(v: &Value) -> Option<i32> {
    match v {
        Value::Number(n) => n.as_i64().filter(|v| *v > 0).map(|v| v as i32),
        Value::String(s) => s.trim().parse().ok().filter(|v| *v > 0),
        _ => None,
    }
}

/// Start the child of SCHEDULED task `i`: it is created (and decided) in this commit.
pub(super) fn start(wf: &mut Workflow, i: usize, d: &mut Decision) -> Result<bool, Fatal> {
    let now = d.env.now();
    let input = wf.tasks[i].input_data.clone();
    let input = &input;
    let name = input.get("subWorkflowName").and_then(Value::as_str);
    let version = input.get("subWorkflowVersion").and_then(version_of);
    let inline = input.get("subWorkflowDefinition").filter(|v| v.is_object());
    let definition: Result<WorkflowDef, String> = match (inline, name) {
        (Some(def), _) => serde_json::from_value(def.clone())
            .map_err(|e| format!("Invalid inline workflow definition: {e}"))
            .and_then(|def| inline_def::prepare(def, d)),
        (None, Some(name)) => d.env.workflow_def(name, version).ok_or_else(|| {
            format!(
                "No such workflow defined. name={name}, version={}",
                version.map_or("latest".into(), |v| v.to_string())
            )
        }),
        (None, None) => Err("SubWorkflow name is null and no workflowDefinition supplied".into()),
    };
    let definition = definition.and_then(|def| {
        if def.tasks.is_empty() {
            return Err(format!("Workflow definition {} has no tasks", def.key()));
        }
        Ok(def)
    });
    let priority = input.get("priority").and_then(Value::as_i64).unwrap_or(0);
    let definition = definition.and_then(|def| {
        (0..=99)
            .contains(&priority)
            .then_some(def)
            .ok_or_else(|| "priority: Priority must be between 0 and 99".to_string())
    });
    let task = &mut wf.tasks[i];
    let definition = match definition {
        Ok(def) => def,
        Err(reason) => {
            task.reason_for_incompletion = Some(reason);
            finish(task, TaskStatus::Failed, now);
            return Ok(true);
        }
    };
    let mut child_input = match input.get("workflowInput") {
        Some(Value::Object(m)) if !m.is_empty() => m.clone(),
        _ => input.clone(),
    };
    if inline.is_some() {
        child_input.insert("_systemMetadata".into(), json!({"dynamic": true}));
    }
    let task_to_domain: BTreeMap<String, String> = match input.get("subWorkflowTaskToDomain") {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect(),
        _ => wf.task_to_domain.clone(),
    };
    let child_id = d.env.new_id();
    d.fx.push(Effect::StartWorkflow(Box::new(NewWorkflow {
        workflow_id: child_id.clone(),
        definition,
        input: child_input,
        correlation_id: wf.correlation_id.clone(),
        priority: priority as i32,
        task_to_domain,
        created_by: wf.created_by.clone(),
        idempotency_key: None,
        parent_workflow_id: Some(wf.workflow_id.clone()),
        parent_workflow_task_id: Some(wf.tasks[i].task_id.clone()),
    })));
    let task = &mut wf.tasks[i];
    task.sub_workflow_id = Some(child_id.clone());
    task.output_data = Json::from_iter([("subWorkflowId".to_string(), json!(child_id))]);
    task.reason_for_incompletion = None;
    begin(task, now);
    Ok(true)
}
