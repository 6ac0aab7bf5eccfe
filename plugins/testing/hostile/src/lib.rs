//! HOSTILE: what a buggy or malicious plugin might do, chosen by the `mode` input. fermata
//! must fail the task with a clear reason and keep serving.

// The plugin type is only used by the component's export (see the bottom of this file).
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use fermata_plugin::http::{self, Request};
use fermata_plugin::{
    Capability, Guest, Outcome, PluginInfo, TaskContext, completed, failed, json, text, workflow,
};

struct Hostile;

impl Guest for Hostile {
    fn describe() -> PluginInfo {
        PluginInfo {
            task_type: "HOSTILE".into(),
            description: "Misbehaves on purpose; for tests".into(),
            capabilities: vec![Capability::Http],
        }
    }

    fn execute(_ctx: TaskContext, input: String) -> Outcome {
        let input = fermata_plugin::input(&input);
        match text(&input, "mode").unwrap_or_default() {
            "spin" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "allocate" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "panic" => panic!("deliberate panic"),
            "call" => {
                let uri = text(&input, "uri")
                    .unwrap_or("http://169.254.169.254/latest/meta-data/")
                    .to_string();
                let req = Request {
                    method: "GET".into(),
                    uri,
                    headers: vec![],
                    body: None,
                    connect_timeout_ms: 1000,
                    read_timeout_ms: 1000,
                };
                match http::send(&req) {
                    Ok(r) => completed(json!({"status": r.status})),
                    Err(
                        http::HttpError::Denied(m)
                        | http::HttpError::Timeout(m)
                        | http::HttpError::InvalidRequest(m)
                        | http::HttpError::Failed(m),
                    ) => failed(m, json!({})),
                }
            }
            "bad-json" => Outcome::Completed("{not json".into()),
            // Signals another task: refused unless the operator granted `workflow`.
            "update-task" => {
                let update = workflow::TaskUpdate {
                    workflow_id: text(&input, "workflowId").map(str::to_string),
                    task_ref_name: text(&input, "taskRefName").map(str::to_string),
                    task_id: None,
                    status: workflow::TaskStatus::Completed,
                    output: "{}".into(),
                    merge_output: false,
                };
                match workflow::update_task(&update) {
                    Ok(()) => completed(json!({"updated": true})),
                    Err(m) => failed(m, json!({})),
                }
            }
            _ => completed(json!({"ok": true})),
        }
    }
}

// Exported only in the component: natively (unit tests) the export symbols cannot link.
#[cfg(target_arch = "wasm32")]
fermata_plugin::export_plugin!(Hostile);
