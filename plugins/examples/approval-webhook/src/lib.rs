//! APPROVAL_WEBHOOK, an example of a custom task type built only against `wit/`.
//!
//! It posts an approval request to `webhookUrl` (through the host's `http` capability, so
//! the operator must grant it: `--grant APPROVAL_WEBHOOK=http`), then holds the workflow until
//! someone answers with `POST /api/tasks/{workflowId}/{ref}/COMPLETED` (or FAILED).

wit_bindgen::generate!({
    path: "../../../wit",
    world: "task-plugin",
});

use exports::fermata::task::plugin::Guest;
use fermata::task::http::{self, Request};
use fermata::task::types::{Capability, Failure, Outcome, PluginInfo, TaskContext};
use serde_json::{Value, json};

struct ApprovalWebhook;

impl Guest for ApprovalWebhook {
    fn describe() -> PluginInfo {
        PluginInfo {
            task_type: "APPROVAL_WEBHOOK".into(),
            description: "Post an approval request to a webhook, then wait for the answer".into(),
            capabilities: vec![Capability::Http],
        }
    }

    fn execute(ctx: TaskContext, input: String) -> Outcome {
        let input: Value = serde_json::from_str(&input).unwrap_or(Value::Null);
        let Some(url) = input["webhookUrl"].as_str() else {
            return Outcome::FailedTerminal(Failure {
                reason: "APPROVAL_WEBHOOK needs a webhookUrl input".into(),
                output: "{}".into(),
            });
        };
        let request = json!({
            "workflowId": ctx.workflow_id,
            "taskId": ctx.task_id,
            "approver": input["approver"],
            "subject": input["subject"],
            "approve": format!("POST /api/tasks/{}/{}/COMPLETED", ctx.workflow_id, ctx.reference_name),
            "reject": format!("POST /api/tasks/{}/{}/FAILED", ctx.workflow_id, ctx.reference_name),
        });
        let sent = http::send(&Request {
            method: "POST".into(),
            uri: url.into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Some(request.to_string().into_bytes()),
            connect_timeout_ms: 3000,
            read_timeout_ms: 5000,
        });
        match sent {
            Ok(r) if (200..300).contains(&r.status) => Outcome::WaitForSignal(
                json!({"requested": true, "webhookStatus": r.status}).to_string(),
            ),
            Ok(r) => Outcome::Failed(Failure {
                reason: format!("webhook answered {} {}", r.status, r.reason),
                output: json!({"webhookStatus": r.status}).to_string(),
            }),
            Err(
                http::HttpError::Denied(m)
                | http::HttpError::Timeout(m)
                | http::HttpError::InvalidRequest(m)
                | http::HttpError::Failed(m),
            ) => Outcome::Failed(Failure {
                reason: format!("webhook not reached: {m}"),
                output: "{}".into(),
            }),
        }
    }
}

export!(ApprovalWebhook);
