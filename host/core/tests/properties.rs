//! Property tests over what clients control: parameter expressions and JSON values. Whatever
//! the input, evaluation terminates without panicking, the registration check and the
//! evaluator agree on what is too deep, and every value within the limits survives the
//! JSON model unchanged.

use fermata_core::expr::{self, Scope};
use fermata_core::limits::{MAX_JSON_DEPTH, check_raw_json, json_depth, raw_json_depth};
use fermata_core::model::Workflow;
use proptest::prelude::*;
use serde_json::{Value, json};

/// Strings made of the characters that matter to the parsers, plus some text.
fn expression() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("${".to_string()),
        Just("$${".to_string()),
        Just("}".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("?(@.a".to_string()),
        Just("workflow.input.".to_string()),
        Just("..".to_string()),
        Just("*".to_string()),
        Just("'".to_string()),
        "[a-z0-9_.:-]{0,6}",
    ];
    prop::collection::vec(piece, 0..400).prop_map(|parts| parts.concat())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        (-1e300f64..1e300).prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(MAX_JSON_DEPTH as u32, 400, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn scope() -> Scope<'static> {
    Scope::over(json!({
        "workflow": {"input": {"a": [1, {"a": 2}], "k": "a", "deep": {"a": {"a": {"a": 3}}}}},
        "t": {"output": {"a": "x"}},
    }))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_expression_evaluates_without_panicking(s in expression()) {
        let _ = expr::check(&s);
        let _ = scope().eval(&Value::String(s));
    }

    #[test]
    fn deep_nesting_is_refused_by_check_and_inert_in_eval(n in 9usize..3000, parens in 33usize..3000) {
        let refs = "${".repeat(n) + &"}".repeat(n);
        prop_assert!(expr::check(&refs).is_err());
        let _ = scope().eval(&Value::String(refs));
        let path = format!("${{workflow.input[?({}@.a{})]}}", "(".repeat(parens), ")".repeat(parens));
        prop_assert!(expr::check(&path).is_err());
        prop_assert_eq!(scope().eval(&Value::String(path)), Value::Null);
    }

    #[test]
    fn values_within_the_limit_round_trip_through_the_model(v in json_value()) {
        let text = v.to_string();
        prop_assert_eq!(raw_json_depth(text.as_bytes()), json_depth(&v));
        prop_assert!(check_raw_json(text.as_bytes()).is_none());
        let wf: Workflow = serde_json::from_value(json!({
            "workflowId": "w", "workflowName": "n", "workflowVersion": 1, "status": "RUNNING",
            "input": {"v": v.clone()}, "workflowDefinition": {"name": "n", "tasks": []},
        })).unwrap();
        let back: Workflow = serde_json::from_str(&serde_json::to_string(&wf).unwrap()).unwrap();
        prop_assert_eq!(&back.input["v"], &v);
    }
}
