use super::*;

const ENV: Env = Env {
    now_ms: 1_700_000_000_123,
    seed: 42,
};

/// The output text for an input, or the failure reason.
fn eval(input: Value) -> Result<String, String> {
    assert!(input.is_object(), "inputs are objects");
    evaluate(&input.to_string(), &ENV)
}

/// The result of a JavaScript expression over `$` = `{"expression": script, ...data}`.
fn js(script: &str, data: Value) -> Result<String, String> {
    let mut input = data;
    input["expression"] = script.into();
    eval(input).map(|out| {
        let inner = out
            .strip_prefix("{\"result\":")
            .and_then(|r| r.strip_suffix('}'));
        inner.expect("output is {\"result\": ...}").to_string()
    })
}

fn js_error(script: &str) -> String {
    js(script, json!({})).expect_err("the script fails")
}

#[test]
fn value_param_picks_the_named_input() {
    let out = eval(json!({"value": 101, "expression": "value", "evaluatorType": "value-param"}));
    assert_eq!(out.unwrap(), r#"{"result":101}"#);
    let out = eval(json!({"value": "StringValue", "expression": "value",
        "evaluatorType": "value-param"}));
    assert_eq!(out.unwrap(), r#"{"result":"StringValue"}"#);
    let out = eval(json!({"value": {"a": [1, 2]}, "expression": "value",
        "evaluatorType": "value-param"}));
    assert_eq!(out.unwrap(), r#"{"result":{"a":[1,2]}}"#);
    // A key that is not there: null, not an error.
    let out = eval(json!({"expression": "missing", "evaluatorType": "value-param"}));
    assert_eq!(out.unwrap(), r#"{"result":null}"#);
}

#[test]
fn javascript_is_the_default_and_graaljs_an_alias() {
    for evaluator in [json!(null), json!("javascript"), json!("graaljs")] {
        let mut input = json!({"a": 2, "expression": "$.a * 3"});
        if !evaluator.is_null() {
            input["evaluatorType"] = evaluator.clone();
        }
        assert_eq!(eval(input).unwrap(), r#"{"result":6}"#, "{evaluator}");
    }
}

#[test]
fn whole_numbers_are_integers() {
    assert_eq!(js("$.a + 2", json!({"a": 3})).unwrap(), "5");
    assert_eq!(js("10 / 2", json!({})).unwrap(), "5");
    assert_eq!(js("1 / 2", json!({})).unwrap(), "0.5");
    assert_eq!(js("-0", json!({})).unwrap(), "0");
    assert_eq!(js("2 ** 53", json!({})).unwrap(), "9007199254740992");
    assert_eq!(js("1e300", json!({})).unwrap(), "1e+300");
    assert_eq!(js("5n * 2n", json!({})).unwrap(), "10");
    for none in [
        "NaN",
        "Infinity",
        "-Infinity",
        "undefined",
        "null",
        "Symbol('s')",
    ] {
        assert_eq!(js(none, json!({})).unwrap(), "null", "{none}");
    }
}

#[test]
fn objects_and_arrays_keep_their_order() {
    let out = js(
        "({zeta: 1, alpha: [1, 'x', null, undefined, 1.5, [true]], mid: {b: 2, a: 1}, \
         f: function () {}, s: 'q\"uote'})",
        json!({}),
    );
    assert_eq!(
        out.unwrap(),
        r#"{"zeta":1,"alpha":[1,"x",null,null,1.5,[true]],"mid":{"b":2,"a":1},"f":null,"s":"q\"uote"}"#
    );
    // Holes read as undefined; only own enumerable properties count.
    assert_eq!(js("[1, , 3]", json!({})).unwrap(), "[1,null,3]");
    let hidden = "var o = Object.create({inherited: 1}); \
                  Object.defineProperty(o, 'hidden', {value: 2}); o.shown = 3; o";
    assert_eq!(js(hidden, json!({})).unwrap(), r#"{"shown":3}"#);
    // A function as the result itself.
    assert_eq!(js("(function () {})", json!({})).unwrap(), "null");
}

#[test]
fn dollar_is_the_whole_input() {
    let data = json!({"list": [10, 20, 30], "user": {"name": "ada"}});
    assert_eq!(js("$.list[1] + $.list.length", data.clone()).unwrap(), "23");
    assert_eq!(
        js("$.user.name.toUpperCase()", data.clone()).unwrap(),
        r#""ADA""#
    );
    // In the order the host sent (the guest's own map would sort it).
    let out = evaluate(r#"{"b": 1, "a": 2, "expression": "Object.keys($)"}"#, &ENV);
    assert_eq!(out.unwrap(), r#"{"result":["b","a","expression"]}"#);
    // evaluatorType and expression are part of it.
    let out = eval(json!({"evaluatorType": "graaljs", "expression": "$.evaluatorType"}));
    assert_eq!(out.unwrap(), r#"{"result":"graaljs"}"#);
    assert_eq!(js("$.expression.length", json!({})).unwrap(), "19");
    // Conductor's documented form: a function declared and called.
    let script = "function scriptFun() { if ($.input.a == 1) { return {testvalue: true} } \
                  else { return {testvalue: false} } } scriptFun();";
    assert_eq!(
        js(script, json!({"input": {"a": 1}})).unwrap(),
        r#"{"testvalue":true}"#
    );
}

#[test]
fn console_is_not_defined() {
    assert_eq!(js("typeof console", json!({})).unwrap(), r#""undefined""#);
    assert_eq!(
        js_error("console.log('hi')"),
        "Error evaluating the script `ReferenceError: console is not defined`"
    );
}

#[test]
fn input_checks_have_conductors_texts() {
    let empty_type = "Empty 'evaluatorType' in INLINE task's input parameters. \
                      A non-empty String value must be provided.";
    let empty_expression = "Empty 'expression' in Inline task's input parameters. \
                            A non-empty String value must be provided.";
    for blank in ["", "  "] {
        let out = eval(json!({"evaluatorType": blank, "expression": "value"}));
        assert_eq!(out.unwrap_err(), empty_type);
    }
    let out = eval(json!({"evaluatorType": "python", "expression": "1"}));
    assert_eq!(
        out.unwrap_err(),
        "Unknown evaluator 'python' in INLINE task."
    );
    // The evaluator is checked before the expression.
    let out = eval(json!({"evaluatorType": "python"}));
    assert_eq!(
        out.unwrap_err(),
        "Unknown evaluator 'python' in INLINE task."
    );
    for expression in [json!(null), json!(""), json!(" \n"), json!(5)] {
        let out = eval(json!({"evaluatorType": "value-param", "expression": expression}));
        assert_eq!(out.unwrap_err(), empty_expression, "{expression}");
    }
    assert_eq!(eval(json!({})).unwrap_err(), empty_expression);
}

#[test]
fn script_errors_have_conductors_text() {
    assert_eq!(
        js_error("throw new Error('boom')"),
        "Error evaluating the script `Error: boom`"
    );
    assert_eq!(
        js_error("throw 'plain text'"),
        "Error evaluating the script `plain text`"
    );
    assert_eq!(
        js_error("nope + 1"),
        "Error evaluating the script `ReferenceError: nope is not defined`"
    );
    assert_eq!(
        js_error("$.missing.field"),
        "Error evaluating the script `TypeError: cannot convert 'null' or 'undefined' to object`"
    );
    let syntax = js_error("return 1; }");
    assert!(
        syntax.starts_with("Error evaluating the script `SyntaxError: "),
        "{syntax}"
    );
}

#[test]
fn failures_are_terminal_and_keep_the_reason_as_error() {
    match run(r#"{"expression": "throw new Error('x')"}"#, &ENV) {
        Outcome::FailedTerminal(f) => {
            assert_eq!(f.reason, "Error evaluating the script `Error: x`");
            assert_eq!(
                f.output,
                json!({"error": "Error evaluating the script `Error: x`"}).to_string()
            );
        }
        other => panic!("{other:?}"),
    }
    match run(r#"{"expression": "1 + 1"}"#, &ENV) {
        Outcome::Completed(out) => assert_eq!(out, r#"{"result":2}"#),
        other => panic!("{other:?}"),
    }
}

#[test]
fn results_json_cannot_hold_fail_the_script() {
    assert_eq!(
        js_error("var o = {}; o.self = o; o"),
        "Error evaluating the script `TypeError: cyclic object value`"
    );
    // The same object twice, not nested in itself, is fine.
    assert_eq!(
        js("var o = {a: 1}; [o, o]", json!({})).unwrap(),
        r#"[{"a":1},{"a":1}]"#
    );
    let deep = "var v = 0; for (var i = 0; i < 100; i++) v = [v]; v";
    assert_eq!(
        js_error(deep),
        "Error evaluating the script `RangeError: result nests deeper than 63 levels`"
    );
    let fits = "var v = 0; for (var i = 0; i < 63; i++) v = [v]; v";
    assert!(js(fits, json!({})).is_ok());
    assert_eq!(
        js_error("({get bad() { throw new TypeError('getter') }})"),
        "Error evaluating the script `TypeError: getter`"
    );
}

#[test]
fn the_clock_is_the_tasks_and_random_is_seeded() {
    assert_eq!(js("Date.now()", json!({})).unwrap(), "1700000000123");
    assert_eq!(
        js("new Date().toISOString()", json!({})).unwrap(),
        r#""2023-11-14T22:13:20.123Z""#
    );
    assert_eq!(
        js("new Date().getTimezoneOffset()", json!({})).unwrap(),
        "0"
    );
    let draws = "[Math.random(), Math.random(), Math.random()]";
    let first = js(draws, json!({})).unwrap();
    assert_eq!(first, js(draws, json!({})).unwrap());
    let values: Vec<f64> = fermata_plugin::serde_json::from_str(&first).unwrap();
    assert!(values.iter().all(|v| (0.0..1.0).contains(v)), "{values:?}");
    assert!(values[0] != values[1] && values[1] != values[2]);
}

#[test]
fn each_evaluation_starts_afresh() {
    // Top-level const would throw on a second run in a shared context.
    for _ in 0..2 {
        assert_eq!(
            js(
                "const x = 1; globalThis.y = (globalThis.y || 0) + x; y",
                json!({})
            )
            .unwrap(),
            "1"
        );
    }
    // A script that replaces Object.keys does not change how its result is read.
    assert_eq!(
        js("Object.keys = () => ['nope']; ({a: 1})", json!({})).unwrap(),
        r#"{"a":1}"#
    );
}

#[test]
fn syntax_only_parses_without_running() {
    match run(
        r#"{"syntaxOnly": true, "expression": "while (true) {}"}"#,
        &ENV,
    ) {
        Outcome::Completed(out) => assert_eq!(out, r#"{"result":null}"#),
        other => panic!("{other:?}"),
    }
    match run(r#"{"syntaxOnly": true, "expression": "$.a > "}"#, &ENV) {
        Outcome::FailedTerminal(f) => assert!(f.reason.contains("SyntaxError"), "{}", f.reason),
        other => panic!("{other:?}"),
    }
}
