//! JavaScript for the operators that evaluate it (SWITCH `javascript`/`graaljs`, DECISION
//! `caseExpression`, DO_WHILE `loopCondition`): the INLINE plugin runs it in the sandbox,
//! inside the decision, through [`Env::run_pure`](super::super::Env::run_pure).

use super::super::{PluginOutcome, PureCall};
use super::Decision;
use crate::model::{Json, Task};
use serde_json::Value;

/// The value `expression` evaluates to with `$` bound to `input`, or why it could not.
pub(super) fn eval(
    expression: &str,
    input: &Json,
    task: &Task,
    d: &mut Decision,
) -> Result<Value, String> {
    let mut call_input = input.clone();
    call_input.insert("evaluatorType".into(), Value::from("javascript"));
    call_input.insert("expression".into(), Value::from(expression));
    let outcome = d.env.run_pure(PureCall {
        task_type: "INLINE",
        task,
        input: &call_input,
    });
    match outcome {
        Some(PluginOutcome::Completed(mut output)) => {
            Ok(output.remove("result").unwrap_or(Value::Null))
        }
        Some(PluginOutcome::Failed { reason, .. }) => Err(reason),
        Some(_) => Err("the INLINE plugin did not return a value".into()),
        None => Err("No evaluator registered for type: javascript (no INLINE plugin)".into()),
    }
}

/// Conductor's `evalBool`: only `true` or a number above zero is true.
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f > 0.0),
        _ => false,
    }
}

/// A value as Java's `String.valueOf` prints it: the case key of a SWITCH or DECISION.
pub(super) fn java_string(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or_default();
            if f.fract() == 0.0 && f.abs() < 1e7 {
                format!("{f:.1}")
            } else {
                f.to_string()
            }
        }
        Value::Number(n) => n.to_string(),
        Value::Array(items) => {
            let parts: Vec<_> = items.iter().map(java_string).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(map) => {
            let parts: Vec<_> = map
                .iter()
                .map(|(k, v)| format!("{k}={}", java_string(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn case_keys_print_like_java() {
        assert_eq!(java_string(&json!(null)), "null");
        assert_eq!(java_string(&json!(5)), "5");
        assert_eq!(java_string(&json!(5.0)), "5.0");
        assert_eq!(java_string(&json!(true)), "true");
        assert_eq!(java_string(&json!(["a", 1])), "[a, 1]");
        assert_eq!(java_string(&json!({"k": "v"})), "{k=v}");
    }

    #[test]
    fn only_true_and_positive_numbers_are_true() {
        assert!(truthy(&json!(true)));
        assert!(truthy(&json!(2)));
        assert!(!truthy(&json!("true")));
        assert!(!truthy(&json!(0)));
        assert!(!truthy(&json!(null)));
    }
}
