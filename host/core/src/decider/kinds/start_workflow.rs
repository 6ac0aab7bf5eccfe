//! START_WORKFLOW (reference conductor-operators §6): start another, independent workflow
//! from `inputParameters.startWorkflow`, in the same commit; the task completes with its id.

use super::super::instance::finish;
use super::super::{Effect, NewWorkflow};
use super::{Decision, inline_def};
use crate::model::{StartWorkflowRequest, TaskStatus, Workflow};
use serde_json::{Value, json};

pub(super) fn start(wf: &mut Workflow, i: usize, d: &mut Decision) -> bool {
    let now = d.env.now();
    let started = request(wf, i, d);
    let task = &mut wf.tasks[i];
    match started {
        Ok(id) => {
            task.output_data.insert("workflowId".into(), json!(id));
            finish(task, TaskStatus::Completed, now);
        }
        Err(reason) => {
            task.reason_for_incompletion = Some(reason);
            finish(task, TaskStatus::Failed, now);
        }
    }
    true
}

fn request(wf: &Workflow, i: usize, d: &mut Decision) -> Result<String, String> {
    let raw = match wf.tasks[i].input_data.get("startWorkflow") {
        None | Some(Value::Null) => return Err("Missing 'startWorkflow' in input data.".into()),
        Some(v) => v.clone(),
    };
    let request: StartWorkflowRequest = serde_json::from_value(raw)
        .map_err(|e| format!("Error reading StartWorkflowRequest. {e}"))?;
    let mut problems = String::new();
    let name = request.name.clone().filter(|n| !n.trim().is_empty());
    if name.is_none() && request.workflow_def.is_none() {
        problems.push_str("'name' -> Workflow name cannot be null or empty. ");
    }
    if !(0..=99).contains(&request.priority) {
        problems.push_str("'priority' -> priority: Priority must be between 0 and 99. ");
    }
    if !problems.is_empty() {
        return Err(format!("startWorkflow validation failed. {problems}"));
    }
    let definition = match (&request.workflow_def, &name) {
        (Some(def), _) => inline_def::prepare(def.clone(), d)?,
        (None, Some(name)) => d.env.workflow_def(name, request.version).ok_or_else(|| {
            format!(
                "No such workflow defined. name={name}, version={}",
                request.version.map_or("null".into(), |v| v.to_string())
            )
        })?,
        (None, None) => unreachable!("checked above"),
    };
    if definition.tasks.is_empty() {
        return Err(format!(
            "Workflow definition {} has no tasks",
            definition.key()
        ));
    }
    let id = d.env.new_id();
    d.fx.push(Effect::StartWorkflow(Box::new(NewWorkflow {
        workflow_id: id.clone(),
        definition,
        input: request.input.unwrap_or_default(),
        correlation_id: request
            .correlation_id
            .filter(|c| !c.trim().is_empty())
            .or_else(|| wf.correlation_id.clone()),
        priority: request.priority,
        task_to_domain: if request.task_to_domain.is_empty() {
            wf.task_to_domain.clone()
        } else {
            request.task_to_domain
        },
        created_by: wf.created_by.clone(),
        idempotency_key: None,
        parent_workflow_id: None,
        parent_workflow_task_id: None,
    })));
    Ok(id)
}
