//! INLINE (reference §9): evaluate the input's `expression` with the evaluator its
//! `evaluatorType` names: `javascript` (the default) or its alias `graaljs`, with `$` bound to
//! the whole input; or `value-param`, where the expression is the name of an input key. The
//! output is `{"result": value}`. Every failure is terminal, as in Conductor: the same input
//! would fail the same way on a retry.

// The plugin type is only used by the component's export (see below).
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

mod js;
mod json;

use fermata_plugin::{
    Capability, Guest, Map, Outcome, PluginInfo, TaskContext, Value, failed_terminal, json,
};

pub use js::Env;

struct Inline;

impl Guest for Inline {
    fn describe() -> PluginInfo {
        PluginInfo {
            task_type: "INLINE".into(),
            description: "Evaluate a JavaScript expression over the task's input".into(),
            capabilities: Vec::<Capability>::new(),
        }
    }

    fn execute(ctx: TaskContext, input: String) -> Outcome {
        let env = Env {
            now_ms: ctx.now_ms,
            seed: seed(&ctx),
        };
        run(&input, &env)
    }
}

// Exported only in the component: natively (unit tests) the export symbols cannot link.
#[cfg(target_arch = "wasm32")]
fermata_plugin::export_plugin!(Inline);

#[derive(Debug, PartialEq)]
pub enum Evaluator {
    JavaScript,
    ValueParam,
}

/// The outcome for a task input (JSON text): a failure keeps its reason as `error` too. With
/// `syntaxOnly: true` a JavaScript expression is parsed, not run (the host checks SWITCH
/// expressions when a definition is registered): the reason is then the parser's message.
pub fn run(input: &str, env: &Env) -> Outcome {
    let fields = fermata_plugin::input(input);
    if fields.get("syntaxOnly") == Some(&Value::Bool(true))
        && evaluator(&fields) == Ok(Evaluator::JavaScript)
    {
        return match expression(&fields).and_then(js::check_syntax) {
            Ok(()) => Outcome::Completed(json!({ "result": null }).to_string()),
            Err(reason) => failed_terminal(reason.clone(), json!({ "error": reason })),
        };
    }
    match evaluate(input, env) {
        Ok(output) => Outcome::Completed(output),
        Err(reason) => failed_terminal(reason.clone(), json!({ "error": reason })),
    }
}

/// The task's output as JSON text (`{"result": ...}`), or why the task fails. `input` is the
/// task's input as JSON text.
pub fn evaluate(input: &str, env: &Env) -> Result<String, String> {
    let fields = fermata_plugin::input(input);
    let evaluator = evaluator(&fields)?;
    let expression = expression(&fields)?;
    match evaluator {
        // A key that is not in the input gives null, as Java's `Map.get` does.
        Evaluator::ValueParam => Ok(json!({ "result": fields.get(expression) }).to_string()),
        Evaluator::JavaScript => js::evaluate(expression, input, env)
            .map(|result| format!("{{\"result\":{result}}}"))
            .map_err(|message| format!("Error evaluating the script `{message}`")),
    }
}

/// `evaluatorType`: absent (or null) means JavaScript; present, it must name an evaluator.
pub fn evaluator(input: &Map<String, Value>) -> Result<Evaluator, String> {
    let name = match input.get("evaluatorType") {
        None | Some(Value::Null) => return Ok(Evaluator::JavaScript),
        Some(Value::String(s)) => s.as_str(),
        // Not text: no evaluator has such a name.
        Some(other) => return Err(unknown(&other.to_string())),
    };
    match name {
        "javascript" | "graaljs" => Ok(Evaluator::JavaScript),
        "value-param" => Ok(Evaluator::ValueParam),
        blank if blank.trim().is_empty() => Err("Empty 'evaluatorType' in INLINE task's input \
             parameters. A non-empty String value must be provided."
            .into()),
        other => Err(unknown(other)),
    }
}

fn unknown(name: &str) -> String {
    format!("Unknown evaluator '{name}' in INLINE task.")
}

/// `expression`, as given (a script keeps its whitespace, a key is matched exactly); missing,
/// blank or not text is the same failure.
pub fn expression(input: &Map<String, Value>) -> Result<&str, String> {
    match input.get("expression") {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        _ => Err(
            "Empty 'expression' in Inline task's input parameters. A non-empty String \
             value must be provided."
                .into(),
        ),
    }
}

/// `Math.random`'s seed: fixed per task execution (FNV-1a of the workflow and task ids), so a
/// script's result depends only on what the host gives the plugin.
fn seed(ctx: &TaskContext) -> u64 {
    let bytes = ctx
        .workflow_id
        .bytes()
        .chain([0])
        .chain(ctx.task_id.bytes());
    bytes.fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests;
