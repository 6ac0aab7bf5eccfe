//! JOIN (reference conductor-operators §2.3): open from the moment its fork is created, it
//! completes once every task it joins on has ended, and fails as soon as one that matters
//! failed. fermata evaluates it on every decide pass instead of polling it.

use super::super::instance::{Placement, begin, build, finish, push};
use super::{Decision, TaskKind, failed, kind_of, settled};
use crate::model::{Json, Task, TaskStatus, Workflow, WorkflowTask};
use serde_json::{Value, json};

/// Create a JOIN (or EXCLUSIVE_JOIN), open. `computed`: the refs a dynamic fork created,
/// which a dynamic JOIN joins on besides its own (raw) inputParameters.
pub(super) fn create(
    wf: &mut Workflow,
    wt: &WorkflowTask,
    at: Placement,
    computed: Option<Vec<String>>,
    d: &mut Decision,
) {
    let mut task = build(wf, wt, at, Json::new(), d.env);
    let written = wt.join_on.clone().unwrap_or_default();
    task.input_data = match computed {
        Some(refs) => {
            let mut input = wt.input_parameters.clone();
            input.insert("joinOn".into(), json!(refs));
            input
        }
        None => {
            let mut input = Json::new();
            input.insert("joinOn".into(), json!(written));
            if kind_of(wt) == TaskKind::ExclusiveJoin {
                input.insert(
                    "defaultExclusiveJoinTask".into(),
                    json!(wt.default_exclusive_join_task.clone().unwrap_or_default()),
                );
            }
            input
        }
    };
    begin(&mut task, d.env.now());
    push(wf, task, d.fx);
}

/// The JOIN written right after fork `wt`, or why the workflow cannot go on.
pub(super) fn after<'a>(
    wt: &WorkflowTask,
    d: &Decision<'a>,
    missing: &str,
) -> Result<&'a WorkflowTask, super::Fatal> {
    d.graph
        .following(&wt.task_reference_name)
        .filter(|j| kind_of(j) == TaskKind::Join)
        .ok_or_else(|| super::Fatal(missing.to_string()))
}

/// The references a join waits for, with the iteration suffix when it sits in a loop.
pub(in super::super) fn refs(join: &Task, key: &str) -> Vec<String> {
    let suffix = |r: &str| {
        if join.iteration > 0 {
            format!("{r}__{}", join.iteration)
        } else {
            r.to_string()
        }
    };
    join.input_data
        .get(key)
        .and_then(Value::as_array)
        .map(|refs| refs.iter().filter_map(Value::as_str).map(suffix).collect())
        .unwrap_or_default()
}

/// The JOIN decides once every task it joins on has ended (or one that matters failed); its
/// output, each joined task's output by reference, is gathered then.
pub(super) fn execute(wf: &mut Workflow, i: usize, now: i64) -> bool {
    let refs = refs(&wf.tasks[i], "joinOn");
    let found: Vec<(&String, Option<&Task>)> =
        refs.iter().map(|r| (r, wf.last_task_by_ref(r))).collect();
    let all_settled = found.iter().all(|(_, t)| t.is_some_and(settled));
    let mut failures: Vec<&Task> = Vec::new();
    let mut with_errors = Vec::new();
    for task in found.iter().filter_map(|(_, t)| *t).filter(|t| settled(t)) {
        let wt = &task.workflow_task;
        if failed(task) && !wt.optional && (!wt.permissive || all_settled) {
            failures.push(task);
        }
        if task.status == TaskStatus::CompletedWithErrors {
            with_errors.push(format!("{}/{}", task.task_def_name, task.task_id));
        }
    }
    let (status, reason) = if !failures.is_empty() {
        let status = if failures.iter().all(|t| t.status == TaskStatus::Canceled) {
            TaskStatus::Canceled
        } else {
            TaskStatus::Failed
        };
        let reasons: Vec<_> = failures
            .iter()
            .filter_map(|t| t.reason_for_incompletion.clone())
            .collect();
        (status, Some(reasons.join(" ")))
    } else if all_settled && !with_errors.is_empty() {
        (
            TaskStatus::CompletedWithErrors,
            Some(format!("{} completed with errors", with_errors.join(" "))),
        )
    } else if all_settled {
        (TaskStatus::Completed, None)
    } else {
        return false;
    };
    let output: Json = found
        .iter()
        .filter_map(|(r, t)| Some(((*r).clone(), (*t)?)))
        .filter(|(_, t)| !t.output_data.is_empty())
        .map(|(r, t)| (r, Value::Object(t.output_data.clone())))
        .collect();
    let join = &mut wf.tasks[i];
    join.output_data = output;
    join.reason_for_incompletion = reason;
    finish(join, status, now);
    true
}
