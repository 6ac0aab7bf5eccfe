//! The evaluation loop (Conductor's `decide`, reference §3.1): schedule what the graph allows,
//! apply timeouts and automatic retries, and end the workflow when it is done or has failed.

use super::retry::{RetryVerdict, auto_retry};
use super::schedule::{dequeue, first_task, graph_done, schedule, task_after};
use super::timeouts::{TaskTimeout, check_task, workflow_timed_out};
use super::{Effect, EngineError, Env, NewWorkflow};
use crate::expr::Scope;
use crate::model::{Json, TaskStatus, Workflow, WorkflowStatus};
use serde_json::{Value, json};

pub(super) fn start(
    new: NewWorkflow,
    env: &mut dyn Env,
) -> Result<(Workflow, Vec<Effect>), EngineError> {
    let def = new.definition;
    if def.tasks.is_empty() {
        return Err(EngineError::bad_request(format!(
            "Workflow definition {} has no tasks",
            def.key()
        )));
    }
    if !(0..=99).contains(&new.priority) {
        return Err(EngineError::bad_request(
            "priority: Priority must be between 0 and 99",
        ));
    }
    let mut input = new.input;
    for (k, v) in &def.input_template {
        if input.get(k).is_none_or(Value::is_null) {
            input.insert(k.clone(), v.clone());
        }
    }
    let now = env.now();
    let mut wf = Workflow {
        workflow_id: new.workflow_id,
        workflow_name: def.name.clone(),
        workflow_version: def.version,
        status: WorkflowStatus::Running,
        input,
        output: Json::new(),
        variables: def.variables.clone(),
        correlation_id: new.correlation_id,
        priority: new.priority,
        task_to_domain: new.task_to_domain,
        reason_for_incompletion: None,
        failed_reference_task_names: vec![],
        failed_task_names: vec![],
        failed_task_id: None,
        start_time: now,
        create_time: now,
        update_time: now,
        end_time: 0,
        last_retried_time: 0,
        parent_workflow_id: new.parent_workflow_id,
        parent_workflow_task_id: new.parent_workflow_task_id,
        re_run_from_workflow_id: None,
        event: None,
        created_by: new.created_by,
        idempotency_key: new.idempotency_key,
        workflow_definition: def,
        tasks: vec![],
    };
    let mut fx = Vec::new();
    decide(&mut wf, env, &mut fx);
    wf.tasks.sort_by_key(|t| t.seq);
    Ok((wf, fx))
}

pub(super) fn decide(wf: &mut Workflow, env: &mut dyn Env, fx: &mut Vec<Effect>) {
    if wf.status.is_terminal() {
        if !wf.status.is_successful() {
            cancel_open_tasks(wf, env, fx);
        }
        return;
    }
    // Conductor checks the workflow timeout before the pause: a paused workflow can time out.
    if let Some(reason) = workflow_timed_out(wf, env.now()) {
        end_workflow(
            wf,
            WorkflowStatus::TimedOut,
            Some(reason),
            None,
            true,
            env,
            fx,
        );
        return;
    }
    if wf.status == WorkflowStatus::Paused {
        return;
    }
    loop {
        let mut progressed = false;
        if wf.tasks.iter().all(|t| t.status == TaskStatus::Skipped) {
            match first_task(wf) {
                Some(wt) => {
                    schedule(wf, &wt, env, fx);
                    progressed = true;
                }
                None => break,
            }
        }
        let mut i = 0;
        while i < wf.tasks.len() {
            let task = &wf.tasks[i];
            if task.retried || task.executed || task.status == TaskStatus::Skipped {
                i += 1;
                continue;
            }
            // A timed wait whose time has come completes (its timer fired, or fermata was
            // down when it should have).
            if task.status == TaskStatus::InProgress
                && task.wait_timeout > 0
                && task.wait_timeout <= env.now()
            {
                let now = env.now();
                let task = &mut wf.tasks[i];
                task.status = TaskStatus::Completed;
                task.end_time = now;
                task.update_time = now;
                dequeue(task, fx);
            }
            let task = &wf.tasks[i];
            if !task.status.is_terminal() {
                match check_task(task, env.now()) {
                    None => {
                        i += 1;
                        continue;
                    }
                    Some(TaskTimeout {
                        reason,
                        fail_workflow,
                    }) => {
                        let task = &mut wf.tasks[i];
                        task.status = TaskStatus::TimedOut;
                        task.reason_for_incompletion = Some(reason.clone());
                        task.end_time = env.now();
                        task.update_time = env.now();
                        dequeue(task, fx);
                        if fail_workflow {
                            let id = task.task_id.clone();
                            end_workflow(
                                wf,
                                WorkflowStatus::TimedOut,
                                Some(reason),
                                Some(id),
                                true,
                                env,
                                fx,
                            );
                            return;
                        }
                    }
                }
            }
            if !wf.tasks[i].status.is_successful() {
                match auto_retry(wf, i, env, fx) {
                    RetryVerdict::Retried => {
                        progressed = true;
                        i += 1;
                        continue;
                    }
                    RetryVerdict::Continue => {}
                    RetryVerdict::FailWorkflow(status, reason) => {
                        let id = wf.tasks[i].task_id.clone();
                        end_workflow(wf, status, Some(reason), Some(id), true, env, fx);
                        return;
                    }
                }
            }
            wf.tasks[i].executed = true;
            progressed = true;
            let reference = wf.tasks[i].reference_task_name.clone();
            if let Some(next) = task_after(wf, &reference)
                && !wf
                    .tasks
                    .iter()
                    .any(|t| t.reference_task_name == next.task_reference_name)
            {
                schedule(wf, &next, env, fx);
            }
            i += 1;
        }
        if !progressed {
            break;
        }
    }
    if graph_done(wf) {
        complete(wf, env, fx);
    }
}

fn complete(wf: &mut Workflow, env: &mut dyn Env, fx: &mut Vec<Effect>) {
    // A permissive task lets the graph go on but still fails the workflow at the end.
    let permissive_failure = wf
        .workflow_definition
        .tasks
        .iter()
        .filter(|wt| wt.permissive && !wt.optional)
        .filter_map(|wt| wf.last_task_by_ref(&wt.task_reference_name))
        .find(|t| !t.status.is_successful())
        .map(|t| {
            (
                t.task_id.clone(),
                t.reason_for_incompletion.clone().unwrap_or_default(),
                t.status,
            )
        });
    if let Some((id, reason, status)) = permissive_failure {
        let reason = format!("Task {id} failed with status: {status} and reason: '{reason}'");
        end_workflow(
            wf,
            WorkflowStatus::Failed,
            Some(reason),
            Some(id),
            true,
            env,
            fx,
        );
        return;
    }
    wf.status = WorkflowStatus::Completed;
    wf.end_time = env.now();
    wf.output = workflow_output(wf);
    cancel_open_tasks(wf, env, fx);
}

/// `outputParameters` evaluated, or else the output of the last task that ran.
pub(super) fn workflow_output(wf: &Workflow) -> Json {
    let params = &wf.workflow_definition.output_parameters;
    if !params.is_empty() {
        let mut output = Scope::of(wf).eval_map(params);
        crate::limits::prune_map(&mut output, crate::limits::MAX_STORED_DEPTH - 4);
        return output;
    }
    wf.tasks
        .iter()
        .filter(|t| t.status.is_terminal() && t.status != TaskStatus::Skipped)
        .max_by_key(|t| t.seq)
        .map(|t| t.output_data.clone())
        .unwrap_or_default()
}

pub(super) fn cancel_open_tasks(wf: &mut Workflow, env: &mut dyn Env, fx: &mut Vec<Effect>) {
    let now = env.now();
    for task in wf.tasks.iter_mut().filter(|t| !t.status.is_terminal()) {
        task.status = TaskStatus::Canceled;
        task.end_time = now;
        task.update_time = now;
        dequeue(task, fx);
    }
}

/// End a workflow unsuccessfully: the decider's TerminateWorkflowException and the terminate
/// API share this. `failure_workflow` starts the definition's failure workflow, if any.
pub(super) fn end_workflow(
    wf: &mut Workflow,
    status: WorkflowStatus,
    reason: Option<String>,
    failed_task_id: Option<String>,
    failure_workflow: bool,
    env: &mut dyn Env,
    fx: &mut Vec<Effect>,
) {
    let now = env.now();
    wf.status = status;
    wf.reason_for_incompletion = reason;
    if failed_task_id.is_some() {
        wf.failed_task_id = failed_task_id.clone();
    }
    wf.end_time = now;
    for task in &wf.tasks {
        if matches!(
            task.status,
            TaskStatus::Failed | TaskStatus::FailedWithTerminalError
        ) || Some(&task.task_id) == failed_task_id.as_ref()
        {
            if !wf
                .failed_reference_task_names
                .contains(&task.reference_task_name)
            {
                wf.failed_reference_task_names
                    .push(task.reference_task_name.clone());
            }
            if !wf.failed_task_names.contains(&task.task_def_name) {
                wf.failed_task_names.push(task.task_def_name.clone());
            }
        }
    }
    cancel_open_tasks(wf, env, fx);
    wf.output = workflow_output(wf);
    if failure_workflow {
        start_failure_workflow(wf, failed_task_id, env, fx);
    }
}

/// The failure workflow a definition names (`${...}` resolved against the workflow), with its
/// version: what the host must make available through [`Env::workflow_def`].
pub fn failure_workflow_target(wf: &Workflow) -> Option<(String, Option<i32>)> {
    let raw = wf.workflow_definition.failure_workflow.as_deref()?.trim();
    if raw.is_empty() {
        return None;
    }
    let name = match Scope::of(wf).eval(&Value::String(raw.to_string())) {
        Value::String(s) => s,
        Value::Null => return None,
        other => other.to_string(),
    };
    (!name.is_empty()).then_some((name, wf.workflow_definition.failure_workflow_version))
}

fn start_failure_workflow(
    wf: &mut Workflow,
    failed_task_id: Option<String>,
    env: &mut dyn Env,
    fx: &mut Vec<Effect>,
) {
    let Some((name, version)) = failure_workflow_target(wf) else {
        return;
    };
    let Some(definition) = env.workflow_def(&name, version) else {
        let version = version.map_or("latest".to_string(), |v| v.to_string());
        wf.output.insert(
            "conductor.failure_workflow".into(),
            Value::String(format!(
                "Error starting failure workflow: No such workflow found by name: {name}, version: {version}"
            )),
        );
        return;
    };
    let id = env.new_id();
    let mut input = wf.input.clone();
    input.insert("workflowId".into(), json!(wf.workflow_id));
    input.insert("reason".into(), json!(wf.reason_for_incompletion));
    input.insert("failureStatus".into(), json!(wf.status));
    if let Some(task_id) = failed_task_id {
        input.insert("failureTaskId".into(), json!(task_id));
    }
    input.insert(
        "failedWorkflow".into(),
        serde_json::to_value(&*wf).unwrap_or(Value::Null),
    );
    // Each generation of a failure workflow embeds the one before: cut the oldest.
    crate::limits::prune_map(&mut input, crate::limits::MAX_STORED_DEPTH - 4);
    wf.output
        .insert("conductor.failure_workflow".into(), json!(id));
    fx.push(Effect::StartWorkflow(Box::new(NewWorkflow {
        workflow_id: id,
        definition,
        input,
        correlation_id: wf.correlation_id.clone(),
        priority: wf.priority,
        task_to_domain: wf.task_to_domain.clone(),
        created_by: wf.created_by.clone(),
        idempotency_key: None,
        parent_workflow_id: None,
        parent_workflow_task_id: None,
    })));
}
