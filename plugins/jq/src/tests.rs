use super::*;

const NOW_MS: u64 = 1_700_000_000_123;

/// The output text for `data` plus `queryExpression: query`, or the failure.
fn jq(query: &str, data: Value) -> Result<String, Failure> {
    let mut input = data;
    input["queryExpression"] = query.into();
    transform(&input.to_string(), NOW_MS)
}

/// `result` and `resultList` of a successful run, as JSON text.
fn results(query: &str, data: Value) -> (String, String) {
    let out = jq(query, data).unwrap_or_else(|e| panic!("{query}: {e:?}"));
    let rest = out.strip_prefix("{\"result\":").expect("result first");
    let at = rest.rfind(",\"resultList\":").expect("then resultList");
    let list = rest[at..].strip_prefix(",\"resultList\":").unwrap();
    (
        rest[..at].to_string(),
        list.strip_suffix('}').unwrap().to_string(),
    )
}

fn result(query: &str, data: Value) -> String {
    results(query, data).0
}

fn error(query: &str, data: Value) -> String {
    match jq(query, data) {
        Err(Failure::Jq(message)) => message,
        other => panic!("{query}: {other:?}"),
    }
}

#[test]
fn result_is_the_first_output_and_result_list_all() {
    let data = json!({"list": [1, 2, 3]});
    assert_eq!(
        results(".list[]", data.clone()),
        ("1".into(), "[1,2,3]".into())
    );
    assert_eq!(
        results(".list | map(. * 10)", data),
        ("[10,20,30]".into(), "[[10,20,30]]".into())
    );
    // Conductor's JsonJQTransformSpec example.
    let data = json!({"in1": {"array": [{"a": "v1"}]}, "in2": {"array": [{"a": "v2"}]}});
    assert_eq!(
        jq("{ out: (.in1.array + .in2.array) }", data).unwrap(),
        r#"{"result":{"out":[{"a":"v1"},{"a":"v2"}]},"resultList":[{"out":[{"a":"v1"},{"a":"v2"}]}]}"#
    );
}

#[test]
fn no_output_is_null_and_an_empty_list() {
    assert_eq!(
        jq("empty", json!({})).unwrap(),
        r#"{"result":null,"resultList":[]}"#
    );
    assert_eq!(
        results(".missing", json!({})),
        ("null".into(), "[null]".into())
    );
}

#[test]
fn the_document_is_the_whole_input() {
    assert_eq!(
        result(".queryExpression", json!({})),
        r#"".queryExpression""#
    );
    assert_eq!(
        result("keys", json!({"b": 1, "a": 2})),
        r#"["a","b","queryExpression"]"#
    );
    // In the order the host sent (the guest's own map would sort it).
    let out = transform(
        r#"{"b": 1, "a": 2, "queryExpression": "keys_unsorted"}"#,
        NOW_MS,
    );
    assert_eq!(
        out.unwrap(),
        r#"{"result":["b","a","queryExpression"],"resultList":[["b","a","queryExpression"]]}"#
    );
}

#[test]
fn objects_keep_jq_order_and_whole_numbers_are_integers() {
    assert_eq!(
        result("{z: 1, a: 2, m: 3}", json!({})),
        r#"{"z":1,"a":2,"m":3}"#
    );
    assert_eq!(result(".x / 2", json!({"x": 4})), "2");
    assert_eq!(result("1.5 * 2", json!({})), "3");
    assert_eq!(result("1 / 4", json!({})), "0.25");
    assert_eq!(
        result(".big", json!({"big": 9_007_199_254_740_993u64})),
        "9007199254740993"
    );
    assert_eq!(
        result("[nan, infinite, -infinite]", json!({})),
        "[null,null,null]"
    );
    assert_eq!(result(".s", json!({"s": "q\"uote\n"})), r#""q\"uote\n""#);
    // jaq allows keys that are not strings; JSON does not, so they become text.
    assert_eq!(result("{(1): 2}", json!({})), r#"{"1":2}"#);
}

#[test]
fn missing_query_fails_without_output() {
    for query in [json!(null), json!(""), json!("  "), json!(7)] {
        let input = json!({"queryExpression": query}).to_string();
        assert_eq!(transform(&input, NOW_MS), Err(Failure::NoQuery), "{query}");
    }
    match run("{}", NOW_MS) {
        Outcome::Failed(f) => {
            assert_eq!(f.reason, "Missing 'queryExpression' in input parameters");
            assert_eq!(f.output, "{}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn runtime_errors_in_jqs_words() {
    // Conductor's JsonJQTransformSpec: the exact reason.
    assert_eq!(
        error(".in1.array", json!({"in1": "a"})),
        r#"Cannot index string with string "array""#
    );
    // A value that contains the separator jaq's message uses.
    assert_eq!(
        error(".a.b", json!({"a": "x with y"})),
        r#"Cannot index string with string "b""#
    );
    assert_eq!(
        error(".a[0]", json!({"a": true})),
        "Cannot index boolean with number"
    );
    assert_eq!(
        error(".a.b", json!({"a": [1]})),
        r#"Cannot index array with string "b""#
    );
    assert_eq!(
        error(".n[]", json!({"n": 1})),
        "Cannot iterate over number (1)"
    );
    assert_eq!(
        error(".s[]", json!({"s": "a long string value"})),
        r#"Cannot iterate over string ("a long str...)"#
    );
    assert_eq!(
        error(".a + \"x\"", json!({"a": 1})),
        r#"number (1) and string ("x") cannot be added"#
    );
    assert_eq!(
        error("{} - 1", json!({})),
        "object ({}) and number (1) cannot be subtracted"
    );
    assert_eq!(
        error("5 % 0", json!({})),
        "number (5) and number (0) cannot be divided (remainder) because the divisor is zero"
    );
    assert_eq!(
        error("-\"a\"", json!({})),
        r#"Cannot use string ("a") as number"#
    );
    // error/1: a string is the message, anything else its JSON.
    assert_eq!(error("error(\"custom\")", json!({})), "custom");
    assert_eq!(error("error({a: 1})", json!({})), r#"{"a":1}"#);
}

#[test]
fn compile_errors_are_readable() {
    assert_eq!(
        error(".a | nosuch", json!({})),
        "undefined filter nosuch/0 at line 1, column 6"
    );
    assert_eq!(
        error(".a |\n $x", json!({})),
        "undefined variable $x at line 2, column 2"
    );
    assert_eq!(
        error(".a |", json!({})),
        "syntax error: expected term, found end of input at line 1, column 5"
    );
    assert_eq!(
        error("if . then 1", json!({})),
        "syntax error: expected else or end, found end of input at line 1, column 12"
    );
    assert_eq!(
        error("(.a", json!({})),
        "syntax error: expected closing parenthesis at line 1, column 4"
    );
}

#[test]
fn failures_are_retriable_and_keep_the_message_as_error() {
    match run(r#"{"queryExpression": ".in1.array", "in1": "a"}"#, NOW_MS) {
        Outcome::Failed(f) => {
            assert_eq!(f.reason, r#"Cannot index string with string "array""#);
            assert_eq!(
                f.output,
                json!({"error": r#"Cannot index string with string "array""#}).to_string()
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn now_is_the_tasks_clock() {
    assert_eq!(result("now", json!({})), "1700000000.123");
    assert_eq!(
        result("now | todate", json!({})),
        r#""2023-11-14T22:13:20.123Z""#
    );
}

#[test]
fn halt_ends_the_program() {
    assert_eq!(results("1, halt, 2", json!({})).1, "[1]");
    assert_eq!(
        error("\"bye\" | halt_error", json!({})),
        "jq program halted with exit code 5"
    );
}

#[test]
fn results_nested_too_deep_fail() {
    assert_eq!(
        error("reduce range(70) as $i (0; [.])", json!({})),
        "a result nests deeper than 62 levels"
    );
    assert!(jq("reduce range(62) as $i (0; [.])", json!({})).is_ok());
}
