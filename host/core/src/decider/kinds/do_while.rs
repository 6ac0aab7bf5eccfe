//! DO_WHILE (reference conductor-operators §4): open while it loops. Each iteration creates
//! the body's first task as `ref__N`; the graph walk does the rest of the body; when the
//! iteration has ended, the condition (or the list of `items`) decides whether another runs.

use super::super::instance::{Placement, begin, build, dequeue, finish, push, task_input};
use super::{Decision, Fatal, failed, schedule as schedule_node, script, settled};
use crate::expr::Scope;
use crate::model::{Json, Task, TaskStatus, Workflow, WorkflowTask};
use serde_json::{Value, json};

pub(super) fn schedule(
    wf: &mut Workflow,
    wt: &WorkflowTask,
    at: Placement,
    d: &mut Decision,
) -> Result<(), Fatal> {
    let mut task = build(wf, wt, at, Json::new(), d.env);
    task.input_data = task_input(wf, wt, &task.task_id);
    // Nested loops are not supported (as in Conductor): the loop itself is never suffixed.
    task.reference_task_name = wt.task_reference_name.clone();
    task.iteration = 0;
    task.loop_over_task = false;
    begin(&mut task, d.env.now());
    push(wf, task, d.fx);
    Ok(())
}

pub(super) fn execute(wf: &mut Workflow, i: usize, d: &mut Decision) -> Result<bool, Fatal> {
    let now = d.env.now();
    let n = wf.tasks[i].iteration;
    if n == 0 {
        if items(wf, i).is_some_and(|items| items.is_empty()) {
            let lp = &mut wf.tasks[i];
            lp.output_data.insert("iteration".into(), json!(0));
            finish(lp, TaskStatus::Completed, now);
            return Ok(true);
        }
        return next_iteration(wf, i, 1, d);
    }
    let own = wf.tasks[i].reference_task_name.clone();
    let body: Vec<usize> = (0..wf.tasks.len())
        .filter(|&j| {
            let t = &wf.tasks[j];
            j != i
                && t.iteration == n
                && !t.retried
                && t.status != TaskStatus::Skipped
                && d.graph.inside(&own, t.base_reference())
        })
        .collect();
    let mut results = Json::new();
    let mut failure = None;
    for &j in &body {
        let t = &wf.tasks[j];
        results.insert(
            t.base_reference().to_string(),
            Value::Object(t.output_data.clone()),
        );
        if settled(t) && failed(t) {
            failure = Some(t.reason_for_incompletion.clone().unwrap_or_default());
            break;
        }
    }
    let lp = &mut wf.tasks[i];
    let key = n.to_string();
    let mut changed = false;
    if lp.output_data.get(&key) != Some(&Value::Object(results.clone())) {
        lp.output_data.insert(key, Value::Object(results));
        lp.update_time = now;
        changed = true;
    }
    if let Some(reason) = failure {
        lp.reason_for_incompletion = Some(format!("{reason} "));
        finish(lp, TaskStatus::Failed, now);
        return Ok(true);
    }
    let heads: Vec<String> = lp
        .workflow_task
        .loop_over
        .iter()
        .flatten()
        .map(|b| b.task_reference_name.clone())
        .collect();
    let heads_done = heads.iter().all(|b| {
        let reference = format!("{b}__{n}");
        wf.last_task_by_ref(&reference)
            .is_some_and(|t| settled(t) && t.executed)
    });
    let body_done = body.iter().all(|&j| {
        let t = &wf.tasks[j];
        t.status.is_terminal() && t.executed
    });
    if !(heads_done && body_done) {
        return Ok(changed);
    }
    match again(wf, i, n, d) {
        Ok(true) => next_iteration(wf, i, n + 1, d),
        Ok(false) => {
            finish(&mut wf.tasks[i], TaskStatus::Completed, now);
            Ok(true)
        }
        Err(message) => {
            let lp = &mut wf.tasks[i];
            lp.reason_for_incompletion = Some(format!(
                "Unable to evaluate condition {}, exception {message}",
                lp.workflow_task
                    .loop_condition
                    .as_deref()
                    .unwrap_or_default()
            ));
            finish(lp, TaskStatus::FailedWithTerminalError, now);
            Ok(true)
        }
    }
}

/// The list a loop iterates over, when it iterates over one: the top-level `items` (OSS), or
/// `inputParameters.items` (Orkes) or `_items`.
fn items(wf: &Workflow, i: usize) -> Option<Vec<Value>> {
    let lp = &wf.tasks[i];
    let value = match &lp.workflow_task.items {
        Some(expression) => Scope::of(wf).eval(expression),
        None => lp
            .input_data
            .get("items")
            .or_else(|| lp.input_data.get("_items"))
            .cloned()?,
    };
    match value {
        Value::Array(items) => Some(items),
        Value::Null => Some(Vec::new()),
        other => Some(vec![other]),
    }
}

/// Whether iteration `n + 1` runs: the input is evaluated afresh and sees the loop's output
/// and every body task's latest output under its reference.
fn again(wf: &Workflow, i: usize, n: i32, d: &mut Decision) -> Result<bool, String> {
    let lp = &wf.tasks[i];
    let own = lp.reference_task_name.clone();
    let mut input = task_input(wf, &lp.workflow_task, &lp.task_id);
    input.insert(own.clone(), Value::Object(lp.output_data.clone()));
    // The latest instance of each body task, found from the end: copying every iteration's
    // output to keep only the last would make a long loop quadratic.
    for t in wf
        .tasks
        .iter()
        .rev()
        .filter(|t| !t.retried && t.iteration > 0)
    {
        let base = t.base_reference();
        if !input.contains_key(base) && d.graph.inside(&own, base) {
            input.insert(base.to_string(), Value::Object(t.output_data.clone()));
        }
    }
    let condition = lp
        .workflow_task
        .loop_condition
        .as_deref()
        .unwrap_or_default();
    let list = items(wf, i);
    let has_more = match &list {
        Some(items) => {
            let index = usize::try_from(n).unwrap_or(0);
            input.insert("loopIndex".into(), json!(n - 1));
            input.insert(
                "loopItem".into(),
                items
                    .get(index.saturating_sub(1))
                    .cloned()
                    .unwrap_or(Value::Null),
            );
            if index >= items.len() {
                return Ok(false);
            }
            true
        }
        None => true,
    };
    if condition.trim().is_empty() {
        return Ok(list.is_some() && has_more);
    }
    let value = match lp.workflow_task.evaluator_type.as_deref() {
        Some("value-param") => input.get(condition).cloned().unwrap_or(Value::Null),
        _ => script::eval(condition, &input, lp, d)?,
    };
    Ok(has_more && script::truthy(&value))
}

/// Begin iteration `n`: count it, expose the list item, drop iterations `keepLastN` no
/// longer keeps, and create the body's first task.
fn next_iteration(wf: &mut Workflow, i: usize, n: i32, d: &mut Decision) -> Result<bool, Fatal> {
    let list = items(wf, i);
    let lp = &mut wf.tasks[i];
    lp.iteration = n;
    lp.loop_over_task = true;
    lp.update_time = d.env.now();
    lp.output_data.insert("iteration".into(), json!(n));
    if let Some(items) = list {
        let index = usize::try_from(n - 1).unwrap_or(0);
        lp.output_data.insert("loopIndex".into(), json!(n - 1));
        lp.output_data.insert(
            "loopItem".into(),
            items.get(index).cloned().unwrap_or(Value::Null),
        );
    }
    let keep = lp
        .workflow_task
        .input_parameters
        .get("keepLastN")
        .and_then(Value::as_i64)
        .filter(|k| *k > 0);
    let head = lp
        .workflow_task
        .loop_over
        .as_ref()
        .and_then(|b| b.first().cloned());
    let own = lp.reference_task_name.clone();
    let at = Placement {
        iteration: n,
        retry_count: lp.retry_count,
    };
    if let Some(keep) = keep {
        forget_before(wf, i, &own, i64::from(n) - keep, d);
    }
    if let Some(head) = head {
        schedule_node(wf, &head, at, d)?;
    }
    Ok(true)
}

/// `keepLastN`: iterations up to `last` leave the output and the execution.
fn forget_before(wf: &mut Workflow, i: usize, own: &str, last: i64, d: &mut Decision) {
    if last < 1 {
        return;
    }
    let lp = &mut wf.tasks[i];
    lp.output_data
        .retain(|k, _| k.parse::<i64>().map_or(true, |n| n > last));
    let old = |t: &Task| {
        t.iteration > 0 && i64::from(t.iteration) <= last && d.graph.inside(own, t.base_reference())
    };
    for t in wf.tasks.iter().filter(|t| old(t)) {
        dequeue(t, d.fx);
    }
    wf.tasks.retain(|t| !old(t));
}
