//! SWITCH and DECISION (reference conductor-operators §1): evaluated when created, born
//! COMPLETED (or FAILED when the evaluator throws), with the first task of the chosen case
//! created right after it.

use super::super::instance::{Placement, build, finish, push, task_input};
use super::{Decision, Fatal, TaskKind, kind_of, script};
use crate::model::{TaskStatus, Workflow, WorkflowTask};
use serde_json::{Value, json};

/// Whether the SWITCH scheduled a case: then the graph continues from that case's end, not
/// from the SWITCH.
pub(super) fn has_children(task: &crate::model::Task) -> bool {
    task.input_data.get("hasChildren").is_some_and(|v| match v {
        Value::String(s) => s == "true",
        Value::Bool(b) => *b,
        _ => false,
    })
}

pub(super) fn schedule(
    wf: &mut Workflow,
    wt: &WorkflowTask,
    at: Placement,
    d: &mut Decision,
) -> Result<(), Fatal> {
    let decision = kind_of(wt) == TaskKind::Decision;
    let mut task = build(wf, wt, at, Default::default(), d.env);
    let input = task_input(wf, wt, &task.task_id);
    let now = d.env.now();
    let evaluated = if decision {
        decision_case(wt, &input, &task, d)?
    } else {
        switch_case(wt, &input, &task, d)?
    };
    let case = match evaluated {
        Ok(case) => case,
        Err(reason) => {
            // Conductor creates the SWITCH already FAILED; being built-in it is not retried.
            task.input_data = input;
            task.reason_for_incompletion = Some(reason);
            finish(&mut task, TaskStatus::Failed, now);
            push(wf, task, d.fx);
            return Ok(());
        }
    };
    let cases = wt.decision_cases.as_ref();
    let branch = match cases.and_then(|c| c.get(&case)) {
        // DECISION (and Netflix 3.15) falls back to the default for an empty case too.
        Some(list) if !(decision && list.is_empty()) => list.as_slice(),
        _ => wt.default_case.as_deref().unwrap_or_default(),
    };
    task.input_data = if decision { Default::default() } else { input };
    task.input_data.insert("case".into(), json!(case));
    if !branch.is_empty() {
        task.input_data.insert("hasChildren".into(), json!("true"));
    }
    task.output_data = if decision {
        json!({"caseOutput": [case]})
    } else {
        json!({"evaluationResult": [case], "selectedCase": case})
    }
    .as_object()
    .cloned()
    .unwrap_or_default();
    finish(&mut task, TaskStatus::Completed, now);
    let retry_count = task.retry_count;
    push(wf, task, d.fx);
    if let Some(head) = branch.first() {
        let at = Placement { retry_count, ..at };
        super::schedule(wf, head, at, d)?;
    }
    Ok(())
}

type Evaluated = Result<String, String>;

fn switch_case(
    wt: &WorkflowTask,
    input: &crate::model::Json,
    task: &crate::model::Task,
    d: &mut Decision,
) -> Result<Evaluated, Fatal> {
    let expression = wt.expression.as_deref().unwrap_or_default();
    let evaluator = wt.evaluator_type.as_deref().unwrap_or("value-param");
    match evaluator {
        "value-param" => Ok(Ok(script::java_string(
            input.get(expression).unwrap_or(&Value::Null),
        ))),
        "javascript" | "graaljs" => {
            Ok(script::eval(expression, input, task, d).map(|v| script::java_string(&v)))
        }
        other => Err(Fatal(format!("No evaluator registered for type: {other}"))),
    }
}

fn decision_case(
    wt: &WorkflowTask,
    input: &crate::model::Json,
    task: &crate::model::Task,
    d: &mut Decision,
) -> Result<Evaluated, Fatal> {
    match wt
        .case_expression
        .as_deref()
        .filter(|e| !e.trim().is_empty())
    {
        Some(expression) => match script::eval(expression, input, task, d) {
            Ok(v) => Ok(Ok(script::java_string(&v))),
            Err(_) => Err(Fatal(format!(
                "Error while evaluating script: {expression}"
            ))),
        },
        None => {
            let param = wt.case_value_param.as_deref().unwrap_or_default();
            Ok(Ok(script::java_string(
                input.get(param).unwrap_or(&Value::Null),
            )))
        }
    }
}
