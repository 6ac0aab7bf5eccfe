//! Creating task instances from the definition graph. Adding a task type means teaching
//! [`kind_of`] about it and, if it needs one, giving it a start state here.

use super::{Effect, Env};
use crate::expr::Scope;
use crate::model::{Task, TaskStatus, Workflow, WorkflowTask};
use serde_json::Value;

/// Who executes a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// An external worker polls it from the queue named after the task definition.
    Worker,
    /// The host runs it (a plugin), from an internal queue named after the task type.
    System,
}

pub fn kind_of(wt: &WorkflowTask) -> TaskKind {
    if wt.is_simple() {
        TaskKind::Worker
    } else {
        TaskKind::System
    }
}

/// Queue of a task: `[domain:]defName` for workers (Conductor's naming, which pollers use),
/// `system:TYPE` for host-executed tasks so they never collide with a worker's name.
pub fn queue_name(task: &Task) -> String {
    match kind_of(&task.workflow_task) {
        TaskKind::Worker => match &task.domain {
            Some(domain) => format!("{domain}:{}", task.task_def_name),
            None => task.task_def_name.clone(),
        },
        TaskKind::System => format!("system:{}", task.task_type),
    }
}

pub(super) fn enqueue(task: &Task, delay_seconds: i64, fx: &mut Vec<Effect>) {
    fx.push(Effect::Enqueue {
        task_id: task.task_id.clone(),
        queue: queue_name(task),
        delay_ms: delay_seconds.max(0).saturating_mul(1000),
    });
}

pub(super) fn dequeue(task: &Task, fx: &mut Vec<Effect>) {
    fx.push(Effect::Dequeue {
        task_id: task.task_id.clone(),
    });
}

/// Evaluate a task's input: `inputParameters` through the expression scope, then the task
/// definition's `inputTemplate` for keys that are absent or resolved to null.
pub(super) fn task_input(wf: &Workflow, wt: &WorkflowTask, task_id: &str) -> crate::model::Json {
    let scope = Scope::of(wf).with_task_id(task_id);
    let mut input = scope.eval_map(&wt.input_parameters);
    // Like Conductor's mappers, system tasks see their `asyncComplete` and `sink` as input.
    if kind_of(wt) == TaskKind::System {
        input
            .entry("asyncComplete")
            .or_insert(Value::Bool(wt.async_complete));
        if let Some(sink) = &wt.sink {
            input.insert("sink".into(), scope.eval(&Value::String(sink.clone())));
        }
    }

    if let Some(def) = &wt.task_definition {
        for (k, v) in &def.input_template {
            if input.get(k).is_none_or(Value::is_null) {
                input.insert(k.clone(), v.clone());
            }
        }
    }
    input
}

/// A fresh instance of `wt`, appended to the workflow and queued.
pub(super) fn schedule(
    wf: &mut Workflow,
    wt: &WorkflowTask,
    env: &mut dyn Env,
    fx: &mut Vec<Effect>,
) -> usize {
    let task_id = env.new_id();
    let now = env.now();
    let mut input = task_input(wf, wt, &task_id);
    // The task is stored inside the execution: leave room for the levels around its input.
    crate::limits::prune_map(&mut input, crate::limits::MAX_STORED_DEPTH - 4);
    let def = wt.task_definition.clone();
    let task = Task {
        task_id,
        task_type: match kind_of(wt) {
            TaskKind::Worker => wt.name.clone(),
            TaskKind::System => wt.task_type.clone(),
        },
        task_def_name: wt.name.clone(),
        reference_task_name: wt.task_reference_name.clone(),
        status: TaskStatus::Scheduled,
        input_data: input,
        output_data: Default::default(),
        workflow_instance_id: wf.workflow_id.clone(),
        workflow_type: wf.workflow_name.clone(),
        workflow_priority: wf.priority,
        correlation_id: wf.correlation_id.clone(),
        seq: wf.next_seq(),
        retry_count: 0,
        retried_task_id: None,
        retried: false,
        executed: false,
        poll_count: 0,
        scheduled_time: now,
        start_time: 0,
        end_time: 0,
        update_time: now,
        first_scheduled_time: now,
        start_delay_in_seconds: wt.start_delay,
        callback_after_seconds: wt.start_delay,
        response_timeout_seconds: def
            .as_ref()
            .map_or(if wt.is_simple() { 3600 } else { 0 }, |d| {
                d.response_timeout_seconds
            }),
        callback_from_worker: true,
        worker_id: None,
        reason_for_incompletion: None,
        domain: wf
            .task_to_domain
            .get(&wt.name)
            .or_else(|| wf.task_to_domain.get("*"))
            .cloned(),
        sub_workflow_id: None,
        iteration: 0,
        loop_over_task: false,
        rate_limit_per_frequency: def.as_ref().map_or(0, |d| d.rate_limit_per_frequency),
        rate_limit_frequency_in_seconds: def
            .as_ref()
            .map_or(0, |d| d.rate_limit_frequency_in_seconds),
        wait_timeout: 0,
        queue_wait_time: 0,
        workflow_task: wt.clone(),
        task_definition: def,
    };
    enqueue(&task, task.start_delay_in_seconds, fx);
    wf.tasks.push(task);
    wf.tasks.len() - 1
}

/// The definition's tasks in order: today's graphs are sequences. Operators that branch
/// (SWITCH, FORK) would answer these two questions differently.
fn position(wf: &Workflow, reference: &str) -> Option<usize> {
    wf.workflow_definition
        .tasks
        .iter()
        .position(|t| t.task_reference_name == reference)
}

fn is_skipped(wf: &Workflow, reference: &str) -> bool {
    wf.tasks
        .iter()
        .any(|t| t.reference_task_name == reference && t.status == TaskStatus::Skipped)
}

/// The first definition task at or after `from` that was not skipped ahead of time.
fn next_unskipped(wf: &Workflow, from: usize) -> Option<WorkflowTask> {
    wf.workflow_definition
        .tasks
        .iter()
        .skip(from)
        .find(|t| !is_skipped(wf, &t.task_reference_name))
        .cloned()
}

pub(super) fn first_task(wf: &Workflow) -> Option<WorkflowTask> {
    next_unskipped(wf, 0)
}

/// The task that follows `reference` in the graph, if the graph has one left.
pub(super) fn task_after(wf: &Workflow, reference: &str) -> Option<WorkflowTask> {
    next_unskipped(wf, position(wf, reference)? + 1)
}

/// Whether every task of the graph has been reached and has ended.
pub(super) fn graph_done(wf: &Workflow) -> bool {
    wf.workflow_definition.tasks.iter().all(|wt| {
        wf.last_task_by_ref(&wt.task_reference_name)
            .is_some_and(|t| {
                t.status.is_terminal() && (t.executed || t.status == TaskStatus::Skipped)
            })
    })
}
