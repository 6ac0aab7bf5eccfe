//! SUB_WORKFLOW (reference conductor-operators §5): a child execution started in the same
//! commit as the task that asks for it. The task stays IN_PROGRESS until the child's end
//! arrives as a message; a child that runs again revives the task and its workflow.

use super::super::instance::{Placement, begin, build, enqueue, finish, push, task_input};
use super::super::messages::ChildResult;
use super::super::{Effect, NewWorkflow};
use super::{Decision, Fatal, TaskKind, inline_def, kind_of};
use crate::expr::Scope;
use crate::model::{Json, Task, TaskStatus, Workflow, WorkflowDef, WorkflowStatus, WorkflowTask};
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

/// The child behind `task_id` ended: the task takes its status, output and reason. A task
/// that moved on (ended, retried, or now waiting for another child) ignores it.
pub(in super::super) fn child_ended(
    wf: &mut Workflow,
    task_id: &str,
    child: ChildResult,
    now: i64,
) -> bool {
    let Some(task) = wf.task_mut(task_id) else {
        return false;
    };
    if task.status.is_terminal() || task.sub_workflow_id.as_deref() != Some(&child.workflow_id) {
        return false;
    }
    let status = match child.status {
        WorkflowStatus::Completed => TaskStatus::Completed,
        WorkflowStatus::Failed => TaskStatus::Failed,
        WorkflowStatus::Terminated => TaskStatus::Canceled,
        WorkflowStatus::TimedOut => TaskStatus::TimedOut,
        WorkflowStatus::Running | WorkflowStatus::Paused => return false,
    };
    task.output_data.extend(child.output);
    if !status.is_successful() {
        task.reason_for_incompletion = Some(format!(
            "Sub workflow {}.{}/{} failure reason: {}",
            child.name,
            child.version,
            child.workflow_id,
            child.reason.unwrap_or_default()
        ));
    }
    finish(task, status, now);
    true
}

/// The child behind `task_id` runs again: the task waits for it again, and its workflow is
/// running again with whatever the child's failure had canceled put back (reference
/// conductor-operators §5.7). False when the task moved on: optional, superseded, or gone.
pub(in super::super) fn revive(
    wf: &mut Workflow,
    task_id: &str,
    child_id: &str,
    now: i64,
    fx: &mut Vec<Effect>,
) -> bool {
    let Some(task) = wf.task_mut(task_id) else {
        return false;
    };
    if task.workflow_task.optional
        || task.retried
        || task.sub_workflow_id.as_deref() != Some(child_id)
    {
        return false;
    }
    begin(task, now);
    task.end_time = 0;
    task.executed = false;
    task.reason_for_incompletion = None;
    super::super::ending::reopen(wf);
    wf.last_retried_time = now;
    for t in wf.tasks.iter_mut() {
        if t.status != TaskStatus::Canceled || t.retried {
            continue;
        }
        match kind_of(&t.workflow_task) {
            TaskKind::Join | TaskKind::ExclusiveJoin | TaskKind::DoWhile => {
                begin(t, now);
                t.end_time = 0;
                t.executed = false;
            }
            _ => {
                reset(t, now);
                t.retry_count += 1;
                enqueue(t, 0, fx);
            }
        }
    }
    true
}

/// A task made new in place: SCHEDULED again, nothing of its last run kept but its input.
pub(in super::super) fn reset(task: &mut Task, now: i64) {
    task.status = TaskStatus::Scheduled;
    task.scheduled_time = now;
    task.start_time = 0;
    task.end_time = 0;
    task.update_time = now;
    task.retried = false;
    task.executed = false;
    task.poll_count = 0;
    task.reason_for_incompletion = None;
    task.worker_id = None;
    task.wait_timeout = 0;
    task.callback_after_seconds = 0;
    task.output_data = Json::new();
    task.sub_workflow_id = None;
}
