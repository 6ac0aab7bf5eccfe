//! Event handlers (reference §1.5): on a message from an event queue, run actions whose
//! parameters are `${...}` expressions over the message.

use super::defs::Json;
use super::lenient::null_default;
use super::validate::ValidationError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventHandler {
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// `conductor:<queue>` or `kafka:<topic>`.
    #[serde(default, deserialize_with = "null_default")]
    pub event: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluator_type: Option<String>,
    #[serde(default = "default_true")]
    pub active: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub actions: Vec<EventAction>,
    #[serde(flatten)]
    pub extra: Json,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventAction {
    #[serde(default, deserialize_with = "null_default")]
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_workflow: Option<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete_task: Option<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_task: Option<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminate_workflow: Option<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_workflow_variables: Option<Json>,
    #[serde(
        default,
        rename = "expandInlineJSON",
        deserialize_with = "null_default"
    )]
    pub expand_inline_json: bool,
    #[serde(flatten)]
    pub extra: Json,
}

pub const ACTIONS: [&str; 5] = [
    "start_workflow",
    "complete_task",
    "fail_task",
    "terminate_workflow",
    "update_workflow_variables",
];

impl EventAction {
    /// The parameters of this action's kind.
    pub fn params(&self) -> Option<&Json> {
        match self.action.as_str() {
            "start_workflow" => self.start_workflow.as_ref(),
            "complete_task" => self.complete_task.as_ref(),
            "fail_task" => self.fail_task.as_ref(),
            "terminate_workflow" => self.terminate_workflow.as_ref(),
            "update_workflow_variables" => self.update_workflow_variables.as_ref(),
            _ => None,
        }
    }
}

impl EventHandler {
    pub fn validate(&self) -> Vec<ValidationError> {
        let mut errors = Vec::new();
        let mut err = |path: String, message: String, value: Value| {
            errors.push(ValidationError {
                path,
                message,
                invalid_value: value,
            })
        };
        if self.name.trim().is_empty() {
            err(
                "name".into(),
                "Missing event handler name".into(),
                Value::Null,
            );
        }
        let event_ok = self
            .event
            .split_once(':')
            .is_some_and(|(p, q)| matches!(p, "conductor" | "kafka") && !q.is_empty());
        if !event_ok {
            err(
                "event".into(),
                "event must be conductor:<queue> or kafka:<topic>".into(),
                Value::String(self.event.clone()),
            );
        }
        // A condition is JavaScript over the message (`$`), or with `value-param` the name of
        // a message field; the host evaluates it in the sandbox.
        if let Some(evaluator) = self.evaluator_type.as_deref().filter(|e| !e.is_empty())
            && !matches!(evaluator, "javascript" | "graaljs" | "value-param")
        {
            err(
                "evaluatorType".into(),
                "evaluatorType must be javascript, graaljs or value-param".into(),
                Value::String(evaluator.to_string()),
            );
        }
        if self.actions.is_empty() {
            err(
                "actions".into(),
                "No actions specified. Please specify at-least one action".into(),
                Value::Null,
            );
        }
        for (i, a) in self.actions.iter().enumerate() {
            if !ACTIONS.contains(&a.action.as_str()) {
                err(
                    format!("actions[{i}].action"),
                    format!(
                        "unsupported action '{}': use one of {}",
                        a.action,
                        ACTIONS.join(", ")
                    ),
                    Value::String(a.action.clone()),
                );
            } else if a.params().is_none() {
                err(
                    format!("actions[{i}].{}", a.action),
                    format!("action {} needs its {} parameters", a.action, a.action),
                    Value::Null,
                );
            }
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn validation() {
        let ok: EventHandler = serde_json::from_value(json!({
            "name": "h", "event": "kafka:replies",
            "actions": [{"action": "complete_task", "complete_task": {"workflowId": "${wf}", "taskRefName": "t"}}]
        }))
        .unwrap();
        assert!(ok.validate().is_empty());
        assert!(ok.active);
        let bad: EventHandler = serde_json::from_value(json!({
            "name": "", "event": "sqs:q", "condition": "$.a == 1", "evaluatorType": "python",
            "actions": [{"action": "do_magic"}, {"action": "fail_task"}]
        }))
        .unwrap();
        let paths: Vec<_> = bad.validate().into_iter().map(|e| e.path).collect();
        assert_eq!(
            paths,
            [
                "name",
                "event",
                "evaluatorType",
                "actions[0].action",
                "actions[1].fail_task"
            ]
        );
    }
}
