//! EVENT (reference §4.3): publish one message, whose id is the task id and whose payload is
//! the task's output (input plus workflow identity plus `event_produced`), to the sink
//! named by `sink`: `conductor` (a queue named after the workflow and task), `conductor:<q>`
//! or `kafka:<topic>`. With `asyncComplete` the host keeps the task IN_PROGRESS afterwards
//! until, typically, an event handler completes it.

// The plugin type is only used by the component's export (see the bottom of this file).
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use fermata_plugin::{
    Capability, Guest, Map, Outcome, PluginInfo, TaskContext, Value, completed, events, failed,
    json,
};

struct Event;

impl Guest for Event {
    fn describe() -> PluginInfo {
        PluginInfo {
            task_type: "EVENT".into(),
            description: "Publish an event to a conductor queue or a Kafka topic".into(),
            capabilities: vec![Capability::Events],
        }
    }

    fn execute(ctx: TaskContext, input: String) -> Outcome {
        let input = fermata_plugin::input(&input);
        let raw = input
            .get("sink")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let sink = match resolve_sink(raw, &ctx.workflow_name, &ctx.reference_name, &ctx.task_id) {
            Ok(s) => s,
            Err(reason) => return failed(reason, json!({})),
        };
        let output = payload(&input, &ctx, &sink);
        match events::publish(
            &sink,
            &ctx.task_id,
            &Value::Object(output.clone()).to_string(),
        ) {
            Ok(()) => completed(Value::Object(output)),
            Err(reason) => failed(reason, Value::Object(output)),
        }
    }
}

// Exported only in the component: natively (unit tests) the export symbols cannot link.
#[cfg(target_arch = "wasm32")]
fermata_plugin::export_plugin!(Event);

/// The sink grammar: the provider is what comes before the first `:`.
pub fn resolve_sink(
    sink: &str,
    workflow: &str,
    reference: &str,
    task_id: &str,
) -> Result<String, String> {
    let sink = sink.trim();
    if sink.starts_with("conductor") {
        return if sink == "conductor" {
            Ok(format!("conductor:{workflow}:{reference}"))
        } else if let Some(queue) = sink.strip_prefix("conductor:").filter(|q| !q.is_empty()) {
            Ok(format!("conductor:{workflow}:{queue}"))
        } else {
            Err(format!("Invalid / Unsupported sink specified: {sink}"))
        };
    }
    match sink.split_once(':') {
        Some(("kafka", topic)) if !topic.is_empty() => Ok(sink.to_string()),
        Some((provider, _)) => Err(format!(
            "Error loading queue:{sink}, for task:{task_id}, error: Unknown queue type {provider}"
        )),
        None => Err(format!("Invalid / Unsupported sink specified: {sink}")),
    }
}

fn payload(input: &Map<String, Value>, ctx: &TaskContext, sink: &str) -> Map<String, Value> {
    let mut out = input.clone();
    out.insert("workflowInstanceId".into(), json!(ctx.workflow_id));
    out.insert("workflowType".into(), json!(ctx.workflow_name));
    if let Some(c) = &ctx.correlation_id {
        out.insert("correlationId".into(), json!(c));
    }
    out.insert("event_produced".into(), json!(sink));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sinks() {
        let r = |s| resolve_sink(s, "wf", "ref", "t1");
        assert_eq!(r("conductor"), Ok("conductor:wf:ref".into()));
        assert_eq!(r("conductor:orders"), Ok("conductor:wf:orders".into()));
        assert_eq!(r("kafka:topic-a"), Ok("kafka:topic-a".into()));
        assert_eq!(
            r("conductorx"),
            Err("Invalid / Unsupported sink specified: conductorx".into())
        );
        assert_eq!(
            r("sqs:q"),
            Err("Error loading queue:sqs:q, for task:t1, error: Unknown queue type sqs".into())
        );
        assert!(r("").is_err());
    }
}
