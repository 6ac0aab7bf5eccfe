//! UPDATE_TASK (Orkes; reference conductor-operators §12.4): a signal from inside a
//! workflow. It updates a task of a running execution — named by `workflowId` (this one when
//! left out) and `taskRefName`, or by `taskId` — to `taskStatus` with `taskOutput`, replacing
//! the task's output or, with `mergeOutput`, merging into it. The engine applies the update
//! as it applies the REST signal; this plugin only reads its input and reports the answer.

// The plugin type is only used by the component's export (see the bottom of this file).
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use fermata_plugin::workflow::{TaskStatus, TaskUpdate, update_task};
use fermata_plugin::{
    Guest, Map, Outcome, PluginInfo, TaskContext, Value, completed, failed, failed_terminal, json,
    text,
};

struct UpdateTask;

impl Guest for UpdateTask {
    fn describe() -> PluginInfo {
        PluginInfo {
            task_type: "UPDATE_TASK".into(),
            description: "Complete or fail a task of a running workflow".into(),
            // It asks for the `workflow` capability by importing that interface.
            capabilities: vec![],
        }
    }

    fn execute(ctx: TaskContext, input: String) -> Outcome {
        let input = fermata_plugin::input(&input);
        let update = match parse(&input, &ctx.workflow_id) {
            Ok(u) => u,
            Err(reason) => return failed_terminal(reason, json!({})),
        };
        let output = summary(&update);
        match update_task(&update) {
            Ok(()) => completed(output),
            Err(reason) => failed(reason, output),
        }
    }
}

// Exported only in the component: natively (unit tests) the export symbols cannot link.
#[cfg(target_arch = "wasm32")]
fermata_plugin::export_plugin!(UpdateTask);

/// The task's input as an update; `this_workflow` stands in for a missing `workflowId`
/// when the target is named by reference.
pub fn parse(input: &Map<String, Value>, this_workflow: &str) -> Result<TaskUpdate, String> {
    let status = match text(input, "taskStatus")
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("COMPLETED") => TaskStatus::Completed,
        Some("FAILED") => TaskStatus::Failed,
        Some("FAILED_WITH_TERMINAL_ERROR") => TaskStatus::FailedWithTerminalError,
        Some(other) => {
            return Err(format!(
                "taskStatus {other} is not one UPDATE_TASK sets: use COMPLETED, FAILED or FAILED_WITH_TERMINAL_ERROR"
            ));
        }
        None => return Err("taskStatus is required".into()),
    };
    let task_id = text(input, "taskId").map(str::to_string);
    let task_ref_name = text(input, "taskRefName").map(str::to_string);
    if task_id.is_none() && task_ref_name.is_none() {
        return Err("name the task to update: taskRefName (with workflowId) or taskId".into());
    }
    let workflow_id = text(input, "workflowId")
        .map(str::to_string)
        .or_else(|| task_id.is_none().then(|| this_workflow.to_string()));
    let output = match input.get("taskOutput") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => return Err("taskOutput must be an object".into()),
    };
    let merge_output = match input.get("mergeOutput") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => true,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => false,
        Some(_) => return Err("mergeOutput must be true or false".into()),
    };
    Ok(TaskUpdate {
        workflow_id,
        task_ref_name,
        task_id,
        status,
        output: output.to_string(),
        merge_output,
    })
}

/// What the task's output says it did.
fn summary(u: &TaskUpdate) -> Value {
    let status = match u.status {
        TaskStatus::Completed => "COMPLETED",
        TaskStatus::Failed => "FAILED",
        TaskStatus::FailedWithTerminalError => "FAILED_WITH_TERMINAL_ERROR",
    };
    let mut out = Map::new();
    out.insert("taskStatus".into(), json!(status));
    for (key, value) in [
        ("workflowId", &u.workflow_id),
        ("taskRefName", &u.task_ref_name),
        ("taskId", &u.task_id),
    ] {
        if let Some(v) = value {
            out.insert(key.into(), json!(v));
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn by_reference_defaults_to_this_workflow() {
        let u = parse(
            &input(json!({"taskStatus": "completed", "taskRefName": "w", "taskOutput": {"a": 1}})),
            "wf-1",
        )
        .unwrap();
        assert_eq!(u.workflow_id.as_deref(), Some("wf-1"));
        assert_eq!(u.task_ref_name.as_deref(), Some("w"));
        assert!(matches!(u.status, TaskStatus::Completed));
        assert_eq!(u.output, r#"{"a":1}"#);
        assert!(!u.merge_output);
    }

    #[test]
    fn by_task_id_needs_no_workflow() {
        let u = parse(
            &input(json!({"taskStatus": "FAILED", "taskId": "t1", "mergeOutput": "true"})),
            "wf-1",
        )
        .unwrap();
        assert_eq!(u.workflow_id, None);
        assert!(u.merge_output);
        assert_eq!(u.output, "{}");
    }

    #[test]
    fn refuses_what_it_cannot_do() {
        for bad in [
            json!({"taskRefName": "w"}),
            json!({"taskStatus": "IN_PROGRESS", "taskRefName": "w"}),
            json!({"taskStatus": "COMPLETED"}),
            json!({"taskStatus": "COMPLETED", "taskRefName": "w", "taskOutput": [1]}),
            json!({"taskStatus": "COMPLETED", "taskRefName": "w", "mergeOutput": 3}),
        ] {
            assert!(parse(&input(bad.clone()), "wf").is_err(), "{bad}");
        }
    }
}
