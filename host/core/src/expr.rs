//! Conductor's parameter expressions (reference §7): every string inside `inputParameters` /
//! `outputParameters` may hold `${...}` JSONPath references into a document built from the
//! workflow and its tasks. A string that is exactly one reference takes the raw JSON value;
//! otherwise results are spliced in as text. `$${` escapes a literal `${`.

use crate::model::{Json, Task, Workflow};
use serde_json::{Map, Value, json};
use serde_json_path::JsonPath;

/// The names an expression can reach: `workflow` plus one entry per task reference.
pub struct Scope {
    doc: Value,
    /// Id of the task being created, for `${CPEWF_TASK_ID}`.
    task_id: Option<String>,
}

impl Scope {
    pub fn of(workflow: &Workflow) -> Scope {
        let mut doc = Map::new();
        doc.insert(
            "workflow".into(),
            json!({
                "input": workflow.input,
                "output": workflow.output,
                "status": workflow.status,
                "workflowId": workflow.workflow_id,
                "parentWorkflowId": workflow.parent_workflow_id,
                "parentWorkflowTaskId": workflow.parent_workflow_task_id,
                "workflowType": workflow.workflow_name,
                "version": workflow.workflow_version,
                "correlationId": workflow.correlation_id,
                "reasonForIncompletion": workflow.reason_for_incompletion,
                "schemaVersion": workflow.workflow_definition.schema_version,
                "variables": workflow.variables,
                "createTime": workflow.create_time,
            }),
        );
        // Later instances of a reference overwrite earlier ones: the last attempt wins, and a
        // loop task is reachable under its reference without the `__N` suffix.
        for task in &workflow.tasks {
            let entry = task_entry(task);
            doc.insert(task.base_reference().to_string(), entry.clone());
            if task.base_reference() != task.reference_task_name {
                doc.insert(task.reference_task_name.clone(), entry);
            }
        }
        Scope {
            doc: Value::Object(doc),
            task_id: None,
        }
    }

    /// A scope over an arbitrary document, e.g. an event payload for event handlers.
    pub fn over(doc: Value) -> Scope {
        Scope { doc, task_id: None }
    }

    pub fn with_task_id(mut self, task_id: &str) -> Scope {
        self.task_id = Some(task_id.to_string());
        self
    }

    /// Evaluate every string in a parameter map.
    pub fn eval_map(&self, params: &Json) -> Json {
        params
            .iter()
            .map(|(k, v)| (k.clone(), self.eval(v)))
            .collect()
    }

    pub fn eval(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => self.eval_str(s),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.eval(v)).collect()),
            Value::Object(map) => Value::Object(self.eval_map(map)),
            other => other.clone(),
        }
    }

    fn eval_str(&self, s: &str) -> Value {
        if !s.contains("${") {
            return Value::String(s.to_string());
        }
        let (parts, _) = parse(s.as_bytes(), 0, false);
        if let [Part::Ref(inner)] = parts.as_slice() {
            return self.resolve(&self.render(inner));
        }
        Value::String(self.render(&parts))
    }

    fn render(&self, parts: &[Part]) -> String {
        let mut out = String::new();
        for part in parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Ref(inner) => match self.resolve(&self.render(inner)) {
                    Value::String(s) => out.push_str(&s),
                    other => out.push_str(&other.to_string()),
                },
            }
        }
        out
    }

    fn resolve(&self, expr: &str) -> Value {
        let expr = expr.trim();
        if expr.is_empty() {
            return Value::String(String::new());
        }
        if expr == "CPEWF_TASK_ID" {
            return self
                .task_id
                .as_deref()
                .map_or(Value::Null, |id| Value::String(id.into()));
        }
        query(&self.doc, expr)
    }
}

fn task_entry(task: &Task) -> Value {
    json!({
        "input": task.input_data,
        "output": task.output_data,
        "taskType": task.task_type,
        "status": task.status,
        "referenceTaskName": task.reference_task_name,
        "retryCount": task.retry_count,
        "correlationId": task.correlation_id,
        "pollCount": task.poll_count,
        "taskDefName": task.task_def_name,
        "scheduledTime": task.scheduled_time,
        "startTime": task.start_time,
        "endTime": task.end_time,
        "workflowInstanceId": task.workflow_instance_id,
        "taskId": task.task_id,
        "reasonForIncompletion": task.reason_for_incompletion,
        "callbackAfterSeconds": task.callback_after_seconds,
        "workerId": task.worker_id,
        "iteration": task.iteration,
    })
}

/// Evaluate one JSONPath expression the way Conductor (Jayway) does: a leading `$.` is
/// optional, a definite path yields its value, an indefinite one (wildcards, filters,
/// slices, descent) a list, and anything missing or malformed yields `null`.
pub fn query(doc: &Value, expr: &str) -> Value {
    let Some(path) = compile(expr) else {
        return Value::Null;
    };
    let nodes = path.query(doc).all();
    if is_indefinite(expr) {
        Value::Array(nodes.into_iter().cloned().collect())
    } else {
        nodes.first().map_or(Value::Null, |v| (*v).clone())
    }
}

fn compile(expr: &str) -> Option<JsonPath> {
    let rooted = if expr.starts_with('$') {
        expr.to_string()
    } else {
        format!("$.{expr}")
    };
    JsonPath::parse(&rooted)
        .ok()
        .or_else(|| JsonPath::parse(&bracketed(expr)?).ok())
}

/// Jayway accepts member names in dot notation that RFC 9535 does not (`a.some-key`); quote
/// each dotted name so such paths still resolve.
fn bracketed(expr: &str) -> Option<String> {
    let body = expr.strip_prefix("$.").unwrap_or(expr);
    let mut out = String::from("$");
    for segment in body.split('.') {
        let (name, rest) = match segment.find('[') {
            Some(i) => segment.split_at(i),
            None => (segment, ""),
        };
        if name.is_empty() {
            return None;
        }
        if name == "*" {
            out.push_str("[*]");
        } else {
            out.push_str(&format!("['{}']", name.replace('\'', "\\'")));
        }
        out.push_str(rest);
    }
    Some(out)
}

fn is_indefinite(expr: &str) -> bool {
    expr.contains('*') || expr.contains("..") || expr.contains("?(") || expr.contains(':')
}

enum Part {
    Text(String),
    Ref(Vec<Part>),
}

/// Split a string into literal text and (possibly nested) `${...}` references. Inside a
/// reference, parsing stops at the matching `}`; an unterminated `${` is kept as text.
fn parse(s: &[u8], mut i: usize, nested: bool) -> (Vec<Part>, usize) {
    let mut parts = Vec::new();
    let mut text = Vec::new();
    while i < s.len() {
        if s[i..].starts_with(b"$${") {
            text.extend_from_slice(b"${");
            i += 3;
        } else if s[i..].starts_with(b"${") {
            let (inner, end) = parse(s, i + 2, true);
            if end < s.len() && s[end] == b'}' {
                flush(&mut text, &mut parts);
                parts.push(Part::Ref(inner));
                i = end + 1;
            } else {
                text.extend_from_slice(&s[i..end.min(s.len())]);
                i = end;
            }
        } else if nested && s[i] == b'}' {
            break;
        } else {
            text.push(s[i]);
            i += 1;
        }
    }
    flush(&mut text, &mut parts);
    (parts, i)
}

fn flush(text: &mut Vec<u8>, parts: &mut Vec<Part>) {
    if !text.is_empty() {
        parts.push(Part::Text(String::from_utf8_lossy(text).into_owned()));
        text.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope::over(json!({
            "workflow": {"input": {"orderId": 42, "name": "ann", "key": "name", "nested": {"a": [1, 2]}},
                         "variables": {"count": 3}},
            "t1": {"output": {"response": {"body": {"items": [{"id": "x1"}, {"id": "x2"}]}},
                              "some-key": "dash", "n": null}},
        }))
    }

    fn eval(v: Value) -> Value {
        scope().eval(&v)
    }

    #[test]
    fn whole_string_reference_keeps_json_type() {
        assert_eq!(eval(json!("${workflow.input.orderId}")), json!(42));
        assert_eq!(
            eval(json!("${workflow.input.nested}")),
            json!({"a": [1, 2]})
        );
        assert_eq!(
            eval(json!("${t1.output.response.body.items[0].id}")),
            json!("x1")
        );
        assert_eq!(eval(json!("${workflow.variables.count}")), json!(3));
    }

    #[test]
    fn references_inside_text_are_spliced_as_strings() {
        assert_eq!(eval(json!("id-${workflow.input.orderId}")), json!("id-42"));
        assert_eq!(
            eval(json!("${workflow.input.name}/${workflow.input.orderId}")),
            json!("ann/42")
        );
        assert_eq!(eval(json!("x-${t1.output.n}")), json!("x-null"));
        assert_eq!(eval(json!("x-${workflow.input.missing}")), json!("x-null"));
    }

    #[test]
    fn missing_paths_and_errors_are_null() {
        assert_eq!(eval(json!("${workflow.input.missing}")), Value::Null);
        assert_eq!(eval(json!("${nope.output.x}")), Value::Null);
        assert_eq!(eval(json!("${workflow.input[}")), Value::Null);
    }

    #[test]
    fn nesting_escape_and_empty() {
        assert_eq!(
            eval(json!("${workflow.input.${workflow.input.key}}")),
            json!("ann")
        );
        assert_eq!(
            eval(json!("$${workflow.input.orderId}")),
            json!("${workflow.input.orderId}")
        );
        assert_eq!(eval(json!("${}")), json!(""));
        assert_eq!(
            eval(json!("unterminated ${workflow")),
            json!("unterminated ${workflow")
        );
    }

    #[test]
    fn walks_maps_and_lists_and_leaves_other_values() {
        let out = eval(
            json!({"a": ["${workflow.input.orderId}", 1, true], "b": {"c": "${t1.output.some-key}"}}),
        );
        assert_eq!(out, json!({"a": [42, 1, true], "b": {"c": "dash"}}));
    }

    #[test]
    fn indefinite_paths_give_lists() {
        assert_eq!(
            eval(json!("${t1.output.response.body.items[*].id}")),
            json!(["x1", "x2"])
        );
    }

    #[test]
    fn task_id_placeholder() {
        let s = scope().with_task_id("task-9");
        assert_eq!(s.eval(&json!("${CPEWF_TASK_ID}")), json!("task-9"));
    }
}
