//! The documented limits on what a client may send. Each is checked where input enters (the
//! API, plugin outputs, event payloads) so nothing stored can later overflow a stack, wrap a
//! number or make a read fail; the same checks guard what the decider derives from stored
//! data, so data written before a limit existed is handled safely too.

use serde_json::Value;

/// Deepest nesting of objects and arrays in any JSON a client sends. Stored documents wrap a
/// client's value in a few levels of their own, and derived values (task inputs built from
/// several sources) are checked against [`MAX_STORED_DEPTH`], so everything stays far below
/// what the store reads back and what recursion over a value can afford.
pub const MAX_JSON_DEPTH: usize = 64;
/// Deepest value the decider writes into an execution (a task's input, a workflow's output, a
/// failure workflow's input).
pub const MAX_STORED_DEPTH: usize = 96;
/// Bytes one evaluation of parameters (a task's input, a workflow's output) may copy out of
/// the execution; past it, each further reference resolves to a string saying so.
pub const MAX_DERIVED_BYTES: usize = 16 << 20;
/// `${` inside `${` (a reference whose path is computed by another reference).
pub const MAX_EXPRESSION_NESTING: usize = 8;
/// Parentheses and brackets inside one JSONPath (filters within filters).
pub const MAX_PATH_NESTING: usize = 32;
/// Any duration in seconds a definition or a worker gives: 100 years.
pub const MAX_SECONDS: i64 = 100 * 366 * 24 * 3600;
/// Any epoch-millisecond time a client gives: the end of year 9999.
pub const MAX_EPOCH_MS: i64 = 253_402_300_799_999;
/// Names and identifiers: task types, reference names, domains, correlation ids, workers.
pub const MAX_NAME_BYTES: usize = 512;
/// Ids or correlation ids in one request (bulk operations, correlated search).
pub const MAX_IDS_PER_REQUEST: usize = 1000;
/// `freeText` of a search.
pub const MAX_FREE_TEXT_CHARS: usize = 1024;
/// Tasks one execution may hold (every attempt and loop iteration counts): past it the
/// workflow fails instead of growing without end.
pub const MAX_TASKS_PER_EXECUTION: usize = 50_000;
/// Branches one dynamic fork may create.
pub const MAX_DYNAMIC_FORKS: usize = 10_000;

/// Nesting depth of a JSON text, without parsing it (and so without recursion): `{}` is 1, a
/// scalar 0. Brackets inside strings do not count.
pub fn raw_json_depth(text: &[u8]) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut in_string = false;
    let mut escaped = false;
    for &b in text {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Nesting depth of a value, iteratively (a value from an older version may be deep).
pub fn json_depth(value: &Value) -> usize {
    let mut max = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((v, d)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match v {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        max = max.max(d + 1);
        stack.extend(children.map(|c| (c, d + 1)));
    }
    max
}

/// Roughly how many bytes `value` takes as JSON, or `None` once that passes `limit` (so
/// measuring costs at most about `limit` steps).
pub fn size_within(value: &Value, limit: usize) -> Option<usize> {
    let mut size = 0usize;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        size += match v {
            Value::String(s) => s.len() + 2,
            Value::Array(items) => {
                stack.extend(items.iter());
                2 + items.len()
            }
            Value::Object(map) => {
                stack.extend(map.values());
                map.keys().map(|k| k.len() + 4).sum::<usize>() + 2
            }
            _ => 8,
        };
        if size > limit {
            return None;
        }
    }
    Some(size)
}

/// Cut whatever in `value` nests deeper than `max` levels, replacing each container at the
/// limit with a string that says so; whether anything was cut. The decider applies this to
/// values it derives (a task input built from several references, a failure workflow's
/// input, which embeds the failed workflow), so an execution can never grow too deep to be
/// stored and read back, however a definition composes its values.
pub fn prune(value: &mut Value, max: usize) -> bool {
    let mut cut = false;
    let mut stack = vec![(value, 0usize)];
    while let Some((v, d)) = stack.pop() {
        if !(v.is_array() || v.is_object()) {
            continue;
        }
        if d >= max {
            *v = Value::String(format!("[cut: nested deeper than {max} levels]"));
            cut = true;
            continue;
        }
        match v {
            Value::Array(items) => stack.extend(items.iter_mut().map(|c| (c, d + 1))),
            Value::Object(map) => stack.extend(map.values_mut().map(|c| (c, d + 1))),
            _ => {}
        }
    }
    cut
}

/// [`prune`] for a map: its values may nest `max - 1` levels.
pub fn prune_map(map: &mut serde_json::Map<String, Value>, max: usize) -> bool {
    let mut cut = false;
    for v in map.values_mut() {
        cut |= prune(v, max.saturating_sub(1));
    }
    cut
}

/// The message of a 400 for a JSON text nested too deeply, or `None` when it is within
/// [`MAX_JSON_DEPTH`].
pub fn check_raw_json(text: &[u8]) -> Option<String> {
    let depth = raw_json_depth(text);
    (depth > MAX_JSON_DEPTH).then(|| {
        format!(
            "JSON nests {depth} levels deep, deeper than {MAX_JSON_DEPTH} levels are not accepted"
        )
    })
}

/// Why a duration in seconds is out of range, if it is.
pub fn check_seconds(field: &str, value: i64) -> Option<String> {
    if value < 0 {
        Some(format!("{field} must be >= 0"))
    } else if value > MAX_SECONDS {
        Some(format!(
            "{field} must be at most {MAX_SECONDS} seconds (100 years)"
        ))
    } else {
        None
    }
}

/// Why a name is unacceptable, if it is.
pub fn check_name(field: &str, value: &str) -> Option<String> {
    (value.len() > MAX_NAME_BYTES).then(|| format!("{field} is longer than {MAX_NAME_BYTES} bytes"))
}

/// [`check_name`] over several optional fields: the first problem.
pub fn check_names<'a>(
    fields: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> Option<String> {
    fields
        .into_iter()
        .find_map(|(field, value)| value.and_then(|v| check_name(field, v)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn raw_depth_ignores_brackets_in_strings() {
        assert_eq!(raw_json_depth(b"1"), 0);
        assert_eq!(raw_json_depth(b"{}"), 1);
        assert_eq!(raw_json_depth(br#"{"a": [1, {"b": "[[[{{{"}]}"#), 3);
        assert_eq!(raw_json_depth(br#"["\"[[", ["\\", [1]]]"#), 3);
    }

    #[test]
    fn value_depth_matches_raw_depth() {
        let v = json!({"a": [1, {"b": {"c": []}}], "d": {}});
        assert_eq!(json_depth(&v), 5);
        assert_eq!(json_depth(&v), raw_json_depth(v.to_string().as_bytes()));
        assert_eq!(json_depth(&json!(3)), 0);
    }

    #[test]
    fn deep_text_is_refused_at_the_limit() {
        let at = "[".repeat(MAX_JSON_DEPTH) + &"]".repeat(MAX_JSON_DEPTH);
        assert!(check_raw_json(at.as_bytes()).is_none());
        let over = format!("[{at}]");
        assert!(
            check_raw_json(over.as_bytes())
                .unwrap()
                .contains("deeper than 64")
        );
    }

    #[test]
    fn prune_cuts_at_the_limit_only() {
        let mut v = json!({"a": {"b": {"c": [1]}}, "x": 1});
        assert!(!prune(&mut v.clone(), 4));
        assert!(prune(&mut v, 3));
        assert_eq!(json_depth(&v), 3);
        assert_eq!(v["x"], json!(1));
        assert!(v["a"]["b"]["c"].as_str().unwrap().starts_with("[cut"));
    }

    #[test]
    fn seconds_are_range_checked() {
        assert!(check_seconds("t", 0).is_none());
        assert!(check_seconds("t", MAX_SECONDS).is_none());
        assert!(check_seconds("t", -1).is_some());
        assert!(check_seconds("t", 9_223_372_036_854_775).is_some());
    }
}
