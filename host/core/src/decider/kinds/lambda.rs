//! LAMBDA (legacy; reference conductor-operators §9.3): a JavaScript function body in
//! `inputParameters.scriptExpression`, run by the INLINE plugin inside the decision. Unlike
//! INLINE, its script errors are retriable FAILED.

use super::super::instance::finish;
use super::{Decision, script};
use crate::model::{Json, Task, TaskStatus};
use serde_json::{Value, json};

pub(super) fn start(task: &mut Task, d: &mut Decision) {
    let now = d.env.now();
    let body = task
        .input_data
        .get("scriptExpression")
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    if body.is_empty() {
        task.reason_for_incompletion = Some(
            "Empty 'scriptExpression' in Lambda task's input parameters. A non-empty String value must be provided.".into(),
        );
        finish(task, TaskStatus::Failed, now);
        return;
    }
    let expression = format!("function scriptFun(){{{body}}} scriptFun();");
    let input = task.input_data.clone();
    match script::eval(&expression, &input, task, d) {
        Ok(result) => {
            task.output_data = Json::from_iter([("result".to_string(), result)]);
            finish(task, TaskStatus::Completed, now);
        }
        Err(reason) => {
            task.output_data = Json::from_iter([("error".to_string(), json!(reason))]);
            task.reason_for_incompletion = Some(reason);
            finish(task, TaskStatus::Failed, now);
        }
    }
}
