//! The guest side of `wit/task.wit` for the plugins in this repository: the generated
//! bindings, an `export_plugin!` macro, and JSON helpers. A plugin outside this repository
//! can use `wit-bindgen` against `wit/` directly (see `plugins/examples`).

wit_bindgen::generate!({
    path: "../../wit",
    world: "task-plugin",
    pub_export_macro: true,
    export_macro_name: "export_plugin",
    default_bindings_module: "fermata_plugin",
});

pub use exports::fermata::task::plugin::Guest;
pub use fermata::task::types::{Capability, Failure, Outcome, PluginInfo, TaskContext};
pub use fermata::task::{events, http, kafka, log, workflow};
pub use serde_json::{self, Map, Value, json};

/// Parse the task input (a JSON object, as the host guarantees).
pub fn input(json: &str) -> Map<String, Value> {
    match serde_json::from_str(json) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

pub fn completed(output: Value) -> Outcome {
    Outcome::Completed(output.to_string())
}

pub fn failed(reason: impl Into<String>, output: Value) -> Outcome {
    Outcome::Failed(Failure {
        reason: reason.into(),
        output: output.to_string(),
    })
}

pub fn failed_terminal(reason: impl Into<String>, output: Value) -> Outcome {
    Outcome::FailedTerminal(Failure {
        reason: reason.into(),
        output: output.to_string(),
    })
}

/// A string field of the input, if present and not blank.
pub fn text<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    m.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A number given as JSON number or numeric string (Conductor inputs often carry both).
pub fn number(m: &Map<String, Value>, key: &str) -> Option<i64> {
    match m.get(key)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// JSON values as Java's `String.valueOf` renders them: strings bare, the rest as JSON.
pub fn to_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A number computed as a float (JavaScript's, jq's) as JSON text: whole numbers in i64's
/// range as integers (`5`, not `5.0`, as Conductor's Java engines give them), non-finite
/// ones as `null`, the rest in their shortest round-trip form.
pub fn float_json(f: f64) -> String {
    // 2^63: the first double past i64::MAX.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if !f.is_finite() {
        "null".into()
    } else if f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) {
        (f as i64).to_string()
    } else {
        serde_json::Number::from_f64(f).map_or_else(|| "null".into(), |n| n.to_string())
    }
}
