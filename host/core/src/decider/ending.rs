//! How a workflow ends — completed, or failed, timed out or terminated — and what its end
//! tells others: the failure workflow it starts, the children it terminates, the parent it
//! answers.

use super::instance::dequeue;
use super::kind::{TaskKind, kind_of};
use super::kinds::terminate;
use super::messages::{ChildResult, Message, MessageBody};
use super::{Effect, Env, NewWorkflow};
use crate::expr::Scope;
use crate::model::{Json, TaskStatus, Workflow, WorkflowStatus};
use serde_json::{Value, json};

/// The graph is done: COMPLETED, unless a permissive task failed on the way.
pub(super) fn complete(wf: &mut Workflow, env: &mut dyn Env, fx: &mut Vec<Effect>) {
    // A permissive task lets the graph go on but still fails the workflow at the end.
    let permissive_failure = wf
        .tasks
        .iter()
        .filter(|t| !t.retried && t.workflow_task.permissive && !t.workflow_task.optional)
        .find(|t| t.status.is_terminal() && !t.status.is_successful())
        .map(|t| {
            (
                t.task_id.clone(),
                t.reason_for_incompletion.clone().unwrap_or_default(),
                t.status,
            )
        });
    if let Some((id, reason, status)) = permissive_failure {
        let reason = format!("Task {id} failed with status: {status} and reason: '{reason}'");
        let end = End::failure(WorkflowStatus::Failed, reason).task(id);
        end_workflow(wf, end, env, fx);
        return;
    }
    finish_completed(wf, None, env, fx);
}

/// COMPLETED (a TERMINATE task may give a reason even then).
pub(super) fn finish_completed(
    wf: &mut Workflow,
    reason: Option<String>,
    env: &mut dyn Env,
    fx: &mut Vec<Effect>,
) {
    wf.status = WorkflowStatus::Completed;
    wf.reason_for_incompletion = reason;
    wf.end_time = env.now();
    wf.output = workflow_output(wf);
    cancel_open_tasks(wf, env, fx);
}

/// An unsuccessful end (Conductor's TerminateWorkflowException and terminate API).
pub(super) struct End {
    pub status: WorkflowStatus,
    pub reason: Option<String>,
    pub failed_task_id: Option<String>,
    /// Start the definition's failure workflow, if it names one.
    pub failure_workflow: bool,
}

impl End {
    pub fn failure(status: WorkflowStatus, reason: String) -> End {
        End {
            status,
            reason: Some(reason),
            failed_task_id: None,
            failure_workflow: true,
        }
    }

    /// Terminated from outside (the API, a parent).
    pub fn terminated(reason: Option<String>, failure_workflow: bool) -> End {
        End {
            status: WorkflowStatus::Terminated,
            reason,
            failed_task_id: None,
            failure_workflow,
        }
    }

    pub fn task(mut self, task_id: String) -> End {
        self.failed_task_id = Some(task_id);
        self
    }
}

pub(super) fn end_workflow(wf: &mut Workflow, end: End, env: &mut dyn Env, fx: &mut Vec<Effect>) {
    let now = env.now();
    wf.status = end.status;
    wf.reason_for_incompletion = end.reason;
    if end.failed_task_id.is_some() {
        wf.failed_task_id = end.failed_task_id.clone();
    }
    wf.end_time = now;
    for task in &wf.tasks {
        if matches!(
            task.status,
            TaskStatus::Failed | TaskStatus::FailedWithTerminalError
        ) || Some(&task.task_id) == end.failed_task_id.as_ref()
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
    if end.failure_workflow {
        start_failure_workflow(wf, end.failed_task_id, env, fx);
    }
}

/// Running again (restart, rerun, retry, a revived child): nothing of the last end is kept.
pub(super) fn reopen(wf: &mut Workflow) {
    wf.status = WorkflowStatus::Running;
    wf.reason_for_incompletion = None;
    wf.failed_task_id = None;
    wf.failed_reference_task_names.clear();
    wf.failed_task_names.clear();
    wf.end_time = 0;
    wf.output = Json::new();
}

/// The TERMINATE task that has run, if one has.
pub(super) fn terminated_by(wf: &Workflow) -> Option<&crate::model::Task> {
    wf.tasks.iter().find(|t| {
        kind_of(&t.workflow_task) == TaskKind::Terminate
            && t.status == TaskStatus::Completed
            && t.executed
    })
}

/// End the workflow as TERMINATE task `i` says.
pub(super) fn by_terminate_task(
    wf: &mut Workflow,
    i: usize,
    env: &mut dyn Env,
    fx: &mut Vec<Effect>,
) {
    let (status, reason) = terminate::verdict(&wf.tasks[i]);
    if status == WorkflowStatus::Completed {
        finish_completed(wf, Some(reason), env, fx);
        return;
    }
    let id = wf.tasks[i].task_id.clone();
    end_workflow(wf, End::failure(status, reason).task(id), env, fx);
}

/// The TERMINATE task's output, else `outputParameters` evaluated, else the output of the
/// last task that ran.
pub(super) fn workflow_output(wf: &Workflow) -> Json {
    if let Some(t) = terminated_by(wf) {
        return t.output_data.clone();
    }
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

/// Cancel every open task; a canceled sub-workflow terminates its child.
pub(super) fn cancel_open_tasks(wf: &mut Workflow, env: &mut dyn Env, fx: &mut Vec<Effect>) {
    let now = env.now();
    // What the inbox still holds goes with the end (Conductor deletes the queue).
    if wf.status.is_terminal() && !wf.inbox.is_empty() {
        wf.inbox.clear();
        fx.push(Effect::InboxClear {
            workflow_id: wf.workflow_id.clone(),
        });
    }
    let reason = match &wf.reason_for_incompletion {
        Some(r) => format!("Parent workflow has been terminated with reason: {r}"),
        None => format!(
            "Parent workflow has been terminated with status {}",
            wf.status
        ),
    };
    for task in wf.tasks.iter_mut().filter(|t| !t.status.is_terminal()) {
        task.status = TaskStatus::Canceled;
        task.end_time = now;
        task.update_time = now;
        dequeue(task, fx);
        if kind_of(&task.workflow_task) == TaskKind::SubWorkflow
            && let Some(child) = &task.sub_workflow_id
        {
            fx.push(Effect::Send(Message {
                to: child.clone(),
                from: wf.workflow_id.clone(),
                body: MessageBody::Terminate {
                    reason: reason.clone(),
                },
            }));
        }
    }
}

/// A child that ended answers its parent; a child that runs again revives it.
pub(super) fn tell_relatives(before: &Workflow, wf: &Workflow, event: &str, fx: &mut Vec<Effect>) {
    let (Some(parent), Some(task_id)) = (&wf.parent_workflow_id, &wf.parent_workflow_task_id)
    else {
        return;
    };
    let body = match (before.status.is_terminal(), wf.status.is_terminal()) {
        (false, true) => MessageBody::ChildEnded {
            task_id: task_id.clone(),
            child: child_result(wf),
        },
        (true, false) => MessageBody::Revive {
            task_id: task_id.clone(),
            child_id: wf.workflow_id.clone(),
            operation: match event {
                "retry" => "retried",
                "rerun" => "reran",
                "restart" => "restarted",
                other => other,
            }
            .to_string(),
        },
        _ => return,
    };
    fx.push(Effect::Send(Message {
        to: parent.clone(),
        from: wf.workflow_id.clone(),
        body,
    }));
}

/// A child that ended in its very first decision.
pub(super) fn tell_parent_of_start(wf: &Workflow, fx: &mut Vec<Effect>) {
    let mut before = wf.clone();
    before.status = WorkflowStatus::Running;
    tell_relatives(&before, wf, "start", fx);
}

fn child_result(wf: &Workflow) -> ChildResult {
    ChildResult {
        workflow_id: wf.workflow_id.clone(),
        name: wf.workflow_name.clone(),
        version: wf.workflow_version,
        status: wf.status,
        output: wf.output.clone(),
        reason: wf.reason_for_incompletion.clone(),
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
