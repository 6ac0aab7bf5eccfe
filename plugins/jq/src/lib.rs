//! JSON_JQ_TRANSFORM (reference §10): run the jq program `queryExpression` (with jaq) over the
//! whole task input, `queryExpression` included. The output is the first result and all of
//! them: `{"result": first or null, "resultList": [...]}`. Failures are plain FAILED, so a task
//! definition's retries apply, as in Conductor.

// The plugin type is only used by the component's export (see below).
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

mod convert;
mod engine;
mod message;

use fermata_plugin::{Capability, Guest, Outcome, PluginInfo, TaskContext, Value, failed, json};

struct Jq;

impl Guest for Jq {
    fn describe() -> PluginInfo {
        PluginInfo {
            task_type: "JSON_JQ_TRANSFORM".into(),
            description: "Transform the task's input with a jq program".into(),
            capabilities: Vec::<Capability>::new(),
        }
    }

    fn execute(ctx: TaskContext, input: String) -> Outcome {
        run(&input, ctx.now_ms)
    }
}

// Exported only in the component: natively (unit tests) the export symbols cannot link.
#[cfg(target_arch = "wasm32")]
fermata_plugin::export_plugin!(Jq);

/// The outcome for a task input (JSON text); `now_ms` is what jq's `now` returns (in seconds).
pub fn run(input: &str, now_ms: u64) -> Outcome {
    match transform(input, now_ms) {
        Ok(output) => Outcome::Completed(output),
        // Conductor keeps no output for a missing program, and the message as `error` otherwise.
        Err(Failure::NoQuery) => failed("Missing 'queryExpression' in input parameters", json!({})),
        Err(Failure::Jq(reason)) => failed(reason.clone(), json!({ "error": reason })),
    }
}

#[derive(Debug, PartialEq)]
pub enum Failure {
    NoQuery,
    /// The program does not compile, or fails as it runs.
    Jq(String),
}

/// The output as JSON text, or why the task fails. `input` is the task's input as JSON text.
pub fn transform(input: &str, now_ms: u64) -> Result<String, Failure> {
    let fields = fermata_plugin::input(input);
    let query = match fields.get("queryExpression") {
        Some(Value::String(q)) if !q.trim().is_empty() => q,
        _ => return Err(Failure::NoQuery),
    };
    // Parsed by jaq rather than from the guest's map, which sorts keys: the document keeps
    // the order the host sent them in. (It is JSON: the guest just read a query from it.)
    let document = jaq_json::read::parse_single(input.as_bytes())
        .map_err(|e| Failure::Jq(format!("the task input is not JSON: {e}")))?;
    let outputs = engine::run(query, document, now_ms).map_err(Failure::Jq)?;
    convert::output(&outputs).map_err(Failure::Jq)
}

#[cfg(test)]
mod tests;
