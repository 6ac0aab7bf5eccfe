//! FORK_JOIN_DYNAMIC (reference conductor-operators §3): the branches come from data. Three
//! input forms (`forkTaskName`/`forkTaskInputs`, `dynamicForkTasksParam` with
//! `dynamicForkTasksInputParamName`, and the legacy `dynamicForkJoinTasksParam`) produce the
//! same thing: a FORK born COMPLETED, one task per branch, and the JOIN after the fork
//! joining on them.

use super::super::instance::{Placement, build, finish, push, task_input};
use super::{Decision, Fatal, TaskKind, join, kind_of, kind_of_type, schedule as schedule_node};
use crate::limits::MAX_DYNAMIC_FORKS;
use crate::model::{Json, TaskStatus, Workflow, WorkflowTask};
use serde_json::{Value, json};

pub(super) fn schedule(
    wf: &mut Workflow,
    wt: &WorkflowTask,
    at: Placement,
    d: &mut Decision,
) -> Result<(), Fatal> {
    let join = join::after(
        wt,
        d,
        "Dynamic join definition is not followed by a join task.  Check the workflow definition.",
    )?;
    let mut fork = build(wf, wt, at, Json::new(), d.env);
    let input = task_input(wf, wt, &fork.task_id);
    let mut forks = forked_tasks(wf, wt, &input)?;
    if forks.len() > MAX_DYNAMIC_FORKS {
        return Err(Fatal(format!(
            "Dynamic fork {} asks for {} branches; at most {MAX_DYNAMIC_FORKS} are allowed",
            wt.task_reference_name,
            forks.len()
        )));
    }
    for f in &mut forks {
        if f.task_definition.is_none() {
            f.task_definition = d.env.task_def(&f.name);
        }
    }
    let mut fork_input = input;
    fork_input.insert(
        "forkedTasks".into(),
        json!(
            forks
                .iter()
                .map(|f| &f.task_reference_name)
                .collect::<Vec<_>>()
        ),
    );
    fork_input.insert("forkedTaskDefs".into(), json!(forks));
    fork.input_data = fork_input;
    finish(&mut fork, TaskStatus::Completed, d.env.now());
    // The decider never walks on from a dynamic fork: its JOIN is created right here.
    fork.executed = true;
    push(wf, fork, d.fx);
    let mut join_on = Vec::new();
    for f in &forks {
        let before = wf.tasks.len();
        schedule_node(wf, f, at, d)?;
        let Some(last) = wf.tasks.get(before..).and_then(<[_]>::last) else {
            return Err(Fatal(format!(
                "No dynamic tasks could be created for the Workflow: {}, Dynamic Fork Task: {} attempted to create a duplicate task reference name: {}",
                wf.workflow_name, wt.task_reference_name, f.task_reference_name
            )));
        };
        join_on.push(last.base_reference().to_string());
    }
    join::create(wf, join, at, Some(join_on), d);
    Ok(())
}

fn forked_tasks(
    wf: &Workflow,
    wt: &WorkflowTask,
    input: &Json,
) -> Result<Vec<WorkflowTask>, Fatal> {
    if let Some(Value::Array(items)) = input.get("forkTaskInputs") {
        return Ok(simple_form(wf, wt, input, items));
    }
    if let Some(param) = wt.dynamic_fork_tasks_param.as_deref() {
        let input_param = wt
            .dynamic_fork_tasks_input_param_name
            .as_deref()
            .unwrap_or_default();
        return classic_form(input, param, input_param);
    }
    if let Some(param) = wt.dynamic_fork_join_tasks_param.as_deref() {
        return legacy_form(input, param);
    }
    Ok(Vec::new())
}

/// `forkTaskName` / `forkTaskType` / `forkTaskWorkflow` with one branch per `forkTaskInputs`
/// item.
fn simple_form(
    wf: &Workflow,
    wt: &WorkflowTask,
    input: &Json,
    items: &[Value],
) -> Vec<WorkflowTask> {
    let text = |k: &str| input.get(k).and_then(Value::as_str).map(str::to_string);
    let task_type = text("forkTaskType").unwrap_or_else(|| "SIMPLE".into());
    let workflow = text("forkTaskWorkflow");
    let name = text("forkTaskName")
        .or_else(|| (kind_of_type(&task_type) != TaskKind::Worker).then(|| task_type.clone()))
        .unwrap_or_else(|| wt.task_reference_name.clone());
    // A second dynamic fork (or a later loop iteration) prefixes its refs with its own.
    let another_fork = wf
        .tasks
        .iter()
        .any(|t| kind_of(&t.workflow_task) == TaskKind::ForkDynamic);
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut task: WorkflowTask = match item {
                Value::Object(_) => serde_json::from_value(item.clone())
                    .unwrap_or_else(|_| WorkflowTask::new("", "", "SIMPLE")),
                _ => WorkflowTask::new("", "", "SIMPLE"),
            };
            task.name = name.clone();
            task.task_type = task_type.clone();
            task.task_reference_name = if another_fork {
                format!("_{}_{name}_{i}", wt.task_reference_name)
            } else {
                format!("_{name}_{i}")
            };
            let mut params = match item {
                Value::Object(m) => m.clone(),
                other => Json::from_iter([("input".to_string(), other.clone())]),
            };
            params.insert("__index".into(), json!(i));
            task.input_parameters = params;
            task.optional = wt.optional;
            if let Some(workflow) = &workflow {
                task.task_type = "SUB_WORKFLOW".into();
                task.sub_workflow_param = Some(crate::model::SubWorkflowParams {
                    name: Some(workflow.clone()),
                    version: input.get("forkTaskWorkflowVersion").cloned(),
                    task_to_domain: item.get("taskToDomain").cloned(),
                    ..Default::default()
                });
            }
            task
        })
        .collect()
}

fn classic_form(input: &Json, param: &str, input_param: &str) -> Result<Vec<WorkflowTask>, Fatal> {
    let value = input.get(param).cloned().unwrap_or(Value::Null);
    let invalid = || {
        Fatal(format!(
            "Input '{param}' is invalid. Cannot deserialize a list of Workflow Tasks from '{value}'"
        ))
    };
    let mut tasks: Vec<WorkflowTask> =
        serde_json::from_value(value.clone()).map_err(|_| invalid())?;
    if value.is_null() || tasks.iter().any(|t| t.task_reference_name.is_empty()) {
        return Err(invalid());
    }
    let inputs = match input.get(input_param) {
        Some(Value::Object(m)) => m.clone(),
        other => {
            return Err(Fatal(format!(
                "Input to the dynamically forked tasks is not a map -> expecting a map of K,V  but found {}",
                other.unwrap_or(&Value::Null)
            )));
        }
    };
    for task in &mut tasks {
        match inputs.get(&task.task_reference_name) {
            Some(Value::Object(m)) => task.input_parameters.extend(m.clone()),
            None | Some(Value::Null) => {}
            Some(other) => {
                return Err(Fatal(format!(
                    "Tasks could not be dynamically forked due to invalid input: input of {} is not a map but {other}",
                    task.task_reference_name
                )));
            }
        }
    }
    Ok(tasks)
}

fn legacy_form(input: &Json, param: &str) -> Result<Vec<WorkflowTask>, Fatal> {
    let listed = input
        .get(param)
        .and_then(|v| v.get("dynamicTasks"))
        .and_then(Value::as_array)
        .ok_or_else(|| {
            Fatal(format!(
                "Dynamic tasks could not be created. The value of {param} from task's input {} has no dynamic tasks to be scheduled",
                Value::Object(input.clone())
            ))
        })?;
    Ok(listed
        .iter()
        .map(|t| {
            let text = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or_default();
            let task_type = match text("type") {
                "" => "SIMPLE",
                other => other,
            };
            let mut task = WorkflowTask::new(text("taskName"), text("referenceName"), task_type);
            if let Some(Value::Object(m)) = t.get("input") {
                task.input_parameters = m.clone();
            }
            task
        })
        .collect())
}
