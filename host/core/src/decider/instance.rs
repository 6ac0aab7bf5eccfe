//! New task instances: a definition node turned into a `Task` of the execution, with its
//! input evaluated, and the queue effects that make workers or plugins see it.

use super::kind::{TaskKind, kind_of, queue_name};
use super::{Effect, Env};
use crate::expr::Scope;
use crate::model::{Json, Task, TaskStatus, Workflow, WorkflowTask};
use serde_json::Value;

/// Where a new task goes: the loop iteration it belongs to (0 outside loops; its reference
/// then carries `__N`) and the attempt of the operator that creates it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Placement {
    pub iteration: i32,
    pub retry_count: i32,
}

impl Placement {
    pub fn reference(&self, base: &str) -> String {
        if self.iteration > 0 {
            format!("{base}__{}", self.iteration)
        } else {
            base.to_string()
        }
    }
}

pub(super) fn enqueue(task: &Task, delay_seconds: i64, fx: &mut Vec<Effect>) {
    if let Some(queue) = queue_name(task) {
        fx.push(Effect::Enqueue {
            task_id: task.task_id.clone(),
            queue,
            delay_ms: delay_seconds.max(0).saturating_mul(1000),
        });
    }
}

pub(super) fn dequeue(task: &Task, fx: &mut Vec<Effect>) {
    if queue_name(task).is_some() {
        fx.push(Effect::Dequeue {
            task_id: task.task_id.clone(),
        });
    }
}

/// Evaluate a task's input: `inputParameters` through the expression scope, then the task
/// definition's `inputTemplate` for keys that are absent or resolved to null.
pub(super) fn task_input(wf: &Workflow, wt: &WorkflowTask, task_id: &str) -> Json {
    let scope = Scope::of(wf).with_task_id(task_id);
    let mut input = scope.eval_map(&wt.input_parameters);
    // Like Conductor's mappers, plugin tasks see their `asyncComplete` and `sink` as input.
    if kind_of(wt) == TaskKind::Plugin {
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
    // The task is stored inside the execution: leave room for the levels around its input.
    crate::limits::prune_map(&mut input, crate::limits::MAX_STORED_DEPTH - 4);
    input
}

/// A task instance of `wt` with this input and status, not yet part of the workflow.
pub(super) fn build(
    wf: &Workflow,
    wt: &WorkflowTask,
    at: Placement,
    input: Json,
    env: &mut dyn Env,
) -> Task {
    let now = env.now();
    let def = wt.task_definition.clone();
    let kind = kind_of(wt);
    let (task_type, def_name) = match kind {
        TaskKind::Worker => (wt.name.clone(), wt.name.clone()),
        TaskKind::Fork | TaskKind::ForkDynamic => ("FORK".to_string(), "FORK".to_string()),
        TaskKind::Switch | TaskKind::Decision | TaskKind::Join | TaskKind::ExclusiveJoin => {
            (wt.task_type.clone(), wt.task_type.clone())
        }
        _ => (wt.task_type.clone(), wt.name.clone()),
    };
    Task {
        task_id: env.new_id(),
        task_type,
        task_def_name: def_name,
        reference_task_name: at.reference(&wt.task_reference_name),
        status: TaskStatus::Scheduled,
        input_data: input,
        output_data: Json::new(),
        workflow_instance_id: wf.workflow_id.clone(),
        workflow_type: wf.workflow_name.clone(),
        workflow_priority: wf.priority,
        correlation_id: wf.correlation_id.clone(),
        seq: wf.next_seq(),
        retry_count: at.retry_count,
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
            .map_or(if kind == TaskKind::Worker { 3600 } else { 0 }, |d| {
                d.response_timeout_seconds
            }),
        callback_from_worker: true,
        worker_id: None,
        reason_for_incompletion: None,
        domain: match kind {
            TaskKind::Worker => wf
                .task_to_domain
                .get(&wt.name)
                .or_else(|| wf.task_to_domain.get("*"))
                .cloned(),
            _ => None,
        },
        sub_workflow_id: None,
        iteration: at.iteration,
        loop_over_task: at.iteration > 0,
        rate_limit_per_frequency: def.as_ref().map_or(0, |d| d.rate_limit_per_frequency),
        rate_limit_frequency_in_seconds: def
            .as_ref()
            .map_or(0, |d| d.rate_limit_frequency_in_seconds),
        wait_timeout: 0,
        queue_wait_time: 0,
        workflow_task: wt.clone(),
        task_definition: def,
    }
}

/// Append `task` to the workflow (queued when a worker or plugin runs it); its index.
pub(super) fn push(wf: &mut Workflow, task: Task, fx: &mut Vec<Effect>) -> usize {
    if task.status == TaskStatus::Scheduled {
        enqueue(&task, task.callback_after_seconds, fx);
    }
    wf.tasks.push(task);
    wf.tasks.len() - 1
}

/// Mark a task ended now with `status`.
pub(super) fn finish(task: &mut Task, status: TaskStatus, now: i64) {
    task.status = status;
    if task.start_time == 0 {
        task.start_time = now;
    }
    task.end_time = now;
    task.update_time = now;
}

/// Mark a task started now (IN_PROGRESS).
pub(super) fn begin(task: &mut Task, now: i64) {
    task.status = TaskStatus::InProgress;
    if task.start_time == 0 {
        task.start_time = now;
    }
    task.update_time = now;
}

/// A task made new in place: SCHEDULED again, nothing of its last run kept but its input.
pub(super) fn reset(task: &mut Task, now: i64) {
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

/// A SKIPPED instance of `wt` (the skip API, a jump or an upgrade over it). seq 0: a skipped
/// task sorts first, as in Conductor.
pub(super) fn skipped(
    wf: &Workflow,
    wt: WorkflowTask,
    input: Json,
    output: Json,
    env: &mut dyn Env,
) -> Task {
    let mut task = build(wf, &wt, Placement::default(), input, env);
    let now = env.now();
    task.status = TaskStatus::Skipped;
    task.output_data = output;
    task.seq = 0;
    task.start_time = now;
    task.end_time = now;
    task.start_delay_in_seconds = 0;
    task.callback_after_seconds = 0;
    task.response_timeout_seconds = 0;
    task.domain = None;
    task
}
