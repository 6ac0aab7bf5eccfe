//! Conductor's parameter expressions (reference §7): every string inside `inputParameters` /
//! `outputParameters` may hold `${...}` JSONPath references into a document built from the
//! workflow and its tasks. A string that is exactly one reference takes the raw JSON value;
//! otherwise results are spliced in as text. `$${` escapes a literal `${`.

use crate::limits::{MAX_DERIVED_BYTES, MAX_EXPRESSION_NESTING, MAX_PATH_NESTING, size_within};
use crate::model::{Json, Task, Workflow};
use serde_json::{Map, Value, json};
use serde_json_path::JsonPath;
use std::borrow::Cow;
use std::cell::{Cell, OnceCell};

/// The names an expression can reach: `workflow` plus one entry per task reference.
///
/// Over a workflow the document is built on demand: a path that starts with a name gets a
/// document holding only that name's entry, so evaluating an input costs what it reads, not
/// the size of the whole execution (a loop of many iterations would otherwise be quadratic).
pub struct Scope<'a> {
    source: Source<'a>,
    /// Id of the task being created, for `${CPEWF_TASK_ID}`.
    task_id: Option<String>,
    /// Bytes this scope may still copy out of the document: a definition that references a
    /// large value many times (or `..*` over it) must not multiply it without bound.
    budget: Cell<usize>,
}

enum Source<'a> {
    Workflow {
        workflow: &'a Workflow,
        /// The whole document, for paths that do not start with a name.
        whole: OnceCell<Value>,
    },
    Doc(Value),
}

impl<'a> Scope<'a> {
    pub fn of(workflow: &'a Workflow) -> Scope<'a> {
        Scope {
            source: Source::Workflow {
                workflow,
                whole: OnceCell::new(),
            },
            task_id: None,
            budget: Cell::new(MAX_DERIVED_BYTES),
        }
    }

    /// A scope over an arbitrary document, e.g. an event payload for event handlers.
    pub fn over(doc: Value) -> Scope<'static> {
        Scope {
            source: Source::Doc(doc),
            task_id: None,
            budget: Cell::new(MAX_DERIVED_BYTES),
        }
    }

    /// The document `expr` is evaluated against.
    fn doc_for(&self, expr: &str) -> Cow<'_, Value> {
        match &self.source {
            Source::Doc(doc) => Cow::Borrowed(doc),
            Source::Workflow { workflow, whole } => match root_name(expr) {
                Some(name) => {
                    let mut doc = Map::new();
                    if let Some(entry) = entry_named(workflow, &name) {
                        doc.insert(name, entry);
                    }
                    Cow::Owned(Value::Object(doc))
                }
                None => Cow::Borrowed(whole.get_or_init(|| document(workflow))),
            },
        }
    }

    pub fn with_task_id(mut self, task_id: &str) -> Scope<'a> {
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
        let (parts, _) = parse(s.as_bytes(), 0, 0);
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

    /// Evaluate one reference the way Conductor (Jayway) evaluates a JSONPath: a leading
    /// `$.` is optional, a definite path yields its value, an indefinite one (wildcards,
    /// filters, slices, descent) a list, and anything missing or malformed yields `null`.
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
        let Some(path) = compile(expr) else {
            return Value::Null;
        };
        let doc = self.doc_for(expr);
        let nodes = path.query(&doc).all();
        // Measure before copying, and stop measuring past the budget.
        let mut left = self.budget.get();
        for node in &nodes {
            match size_within(node, left) {
                Some(size) => left -= size,
                None => {
                    self.budget.set(0);
                    return Value::String(format!(
                        "[cut: values derived here exceed {} MiB]",
                        MAX_DERIVED_BYTES >> 20
                    ));
                }
            }
        }
        self.budget.set(left);
        if is_indefinite(expr) {
            Value::Array(nodes.into_iter().cloned().collect())
        } else {
            nodes.first().map_or(Value::Null, |v| (*v).clone())
        }
    }
}

fn workflow_entry(workflow: &Workflow) -> Value {
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
    })
}

/// The whole document. Later instances of a reference overwrite earlier ones: the last
/// attempt wins, and a loop task is reachable under its reference without the `__N` suffix.
fn document(workflow: &Workflow) -> Value {
    let mut doc = Map::new();
    doc.insert("workflow".into(), workflow_entry(workflow));
    for task in &workflow.tasks {
        let entry = task_entry(task);
        doc.insert(task.base_reference().to_string(), entry.clone());
        if task.base_reference() != task.reference_task_name {
            doc.insert(task.reference_task_name.clone(), entry);
        }
    }
    Value::Object(doc)
}

/// The entry `name` has in [`document`], built alone.
fn entry_named(workflow: &Workflow, name: &str) -> Option<Value> {
    let task = workflow
        .tasks
        .iter()
        .rev()
        .find(|t| t.reference_task_name == name || t.base_reference() == name);
    match task {
        Some(task) => Some(task_entry(task)),
        None if name == "workflow" => Some(workflow_entry(workflow)),
        None => None,
    }
}

/// The member name a path starts with (`a` in `a.b`, `$.a[0]`, `$['a'].b`), when it starts
/// with one: then only that entry of the document can matter.
fn root_name(expr: &str) -> Option<String> {
    let body = expr.strip_prefix('$').unwrap_or(expr);
    let body = body.strip_prefix('.').unwrap_or(body);
    if body.starts_with('.') || body.starts_with('*') {
        return None;
    }
    if let Some(rest) = body.strip_prefix('[') {
        let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
        let inner = &rest[1..];
        let end = inner.find(quote)?;
        let name = &inner[..end];
        return (!name.contains('\\')).then(|| name.to_string());
    }
    let end = body.find(['.', '[']).unwrap_or(body.len());
    let name = &body[..end];
    (!name.is_empty() && !name.contains(['*', '?', '(', ' ', '\'', '"'])).then(|| name.to_string())
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

fn compile(expr: &str) -> Option<JsonPath> {
    // The JSONPath parser recurses once per bracket: a path nested deeper would overflow the
    // stack, so it resolves to nothing (registration refuses it with a reason).
    if path_nesting(expr) > MAX_PATH_NESTING {
        return None;
    }
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

/// Read one JSONPath over a document as Conductor (Jayway) does, outside any workflow: a
/// leading `$.` optional, an indefinite path yields the list of what it selects, anything
/// missing or malformed `null` (webhook `matches`).
pub fn read_path(doc: &Value, expr: &str) -> Value {
    let expr = expr.trim();
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

fn is_indefinite(expr: &str) -> bool {
    expr.contains('*') || expr.contains("..") || expr.contains("?(") || expr.contains(':')
}

enum Part {
    Text(String),
    Ref(Vec<Part>),
}

/// Split a string into literal text and (possibly nested) `${...}` references. Inside a
/// reference, parsing stops at the matching `}`; an unterminated `${` is kept as text, and
/// so is a `${` nested deeper than [`MAX_EXPRESSION_NESTING`] (the recursion stays bounded
/// whatever a stored definition holds).
fn parse(s: &[u8], mut i: usize, depth: usize) -> (Vec<Part>, usize) {
    let mut parts = Vec::new();
    let mut text = Vec::new();
    while i < s.len() {
        if s[i..].starts_with(b"$${") {
            text.extend_from_slice(b"${");
            i += 3;
        } else if s[i..].starts_with(b"${") && depth < MAX_EXPRESSION_NESTING {
            let (inner, end) = parse(s, i + 2, depth + 1);
            if end < s.len() && s[end] == b'}' {
                flush(&mut text, &mut parts);
                parts.push(Part::Ref(inner));
                i = end + 1;
            } else {
                text.extend_from_slice(&s[i..end.min(s.len())]);
                i = end;
            }
        } else if depth > 0 && s[i] == b'}' {
            break;
        } else {
            text.push(s[i]);
            i += 1;
        }
    }
    flush(&mut text, &mut parts);
    (parts, i)
}

/// Deepest nesting of parentheses and brackets in a path.
fn path_nesting(expr: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in expr.bytes() {
        match b {
            b'(' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Why a parameter string cannot be registered, if it cannot: references nested deeper than
/// [`MAX_EXPRESSION_NESTING`] or a path nested deeper than [`MAX_PATH_NESTING`].
pub fn check(s: &str) -> Result<(), String> {
    if !s.contains("${") {
        return Ok(());
    }
    let bytes = s.as_bytes();
    let (mut open, mut max_open) = (0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"$${") {
            i += 3;
            continue;
        }
        if bytes[i..].starts_with(b"${") {
            open += 1;
            max_open = max_open.max(open);
            i += 2;
            continue;
        }
        if bytes[i] == b'}' && open > 0 {
            open -= 1;
        }
        i += 1;
    }
    if max_open > MAX_EXPRESSION_NESTING {
        return Err(format!(
            "expression nests ${{...}} {max_open} levels deep; at most {MAX_EXPRESSION_NESTING} are allowed"
        ));
    }
    let nesting = path_nesting(s);
    if nesting > MAX_PATH_NESTING {
        return Err(format!(
            "expression nests brackets or parentheses {nesting} levels deep; at most {MAX_PATH_NESTING} are allowed"
        ));
    }
    Ok(())
}

/// Every parameter string in `value` that [`check`] refuses, with its path below `path`.
/// Iterative, and a path is spelled out only for a string refused: the value comes from a
/// client, who chooses its depth, its width and the length of its keys.
pub fn check_all(path: &str, value: &Value) -> Vec<(String, String)> {
    const MAX_REPORTED_PROBLEMS: usize = 20;
    const MAX_REPORTED_PATH: usize = 1024;
    enum Step<'a> {
        Key(&'a str),
        Index(usize),
    }
    let mut problems = Vec::new();
    let mut branch: Vec<Step> = Vec::new();
    let mut stack: Vec<(&Value, usize, Option<Step>)> = vec![(value, 0, None)];
    while let Some((v, depth, step)) = stack.pop() {
        branch.truncate(depth.saturating_sub(1));
        branch.extend(step);
        match v {
            Value::String(s) => {
                if let Err(e) = check(s) {
                    let mut at = path.to_string();
                    for step in &branch {
                        match step {
                            Step::Key(k) => at.push_str(&format!(".{k}")),
                            Step::Index(i) => at.push_str(&format!("[{i}]")),
                        }
                        if at.len() > MAX_REPORTED_PATH {
                            at.truncate(at.floor_char_boundary(MAX_REPORTED_PATH));
                            at.push('…');
                            break;
                        }
                    }
                    problems.push((at, e));
                    if problems.len() == MAX_REPORTED_PROBLEMS {
                        break;
                    }
                }
            }
            Value::Array(items) => stack.extend(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c, depth + 1, Some(Step::Index(i)))),
            ),
            Value::Object(map) => stack.extend(
                map.iter()
                    .map(|(k, c)| (c, depth + 1, Some(Step::Key(k.as_str())))),
            ),
            _ => {}
        }
    }
    problems.sort();
    problems
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

    fn scope() -> Scope<'static> {
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
    fn a_path_names_the_one_entry_it_reads() {
        assert_eq!(root_name("t1.output.a").as_deref(), Some("t1"));
        assert_eq!(root_name("$.workflow.input").as_deref(), Some("workflow"));
        assert_eq!(root_name("$['my task'].output").as_deref(), Some("my task"));
        assert_eq!(root_name("t[0]").as_deref(), Some("t"));
        assert_eq!(root_name("$..output"), None);
        assert_eq!(root_name("$.*"), None);
        assert_eq!(root_name("$[?(@.x)]"), None);
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
    fn nesting_beyond_the_limits_is_inert_and_refused() {
        let deep_ref = "${".repeat(50_000);
        assert_eq!(eval(json!(deep_ref.clone())), json!(deep_ref));
        assert!(check(&deep_ref).is_err());
        let parens = format!(
            "${{workflow.input[?({}@.a{})]}}",
            "(".repeat(1000),
            ")".repeat(1000)
        );
        assert_eq!(eval(json!(parens.clone())), Value::Null);
        assert!(check(&parens).unwrap_err().contains("at most 32"));
        let mut eight = "${workflow.input.key}".to_string();
        for _ in 1..MAX_EXPRESSION_NESTING {
            eight = format!("${{workflow.input.{eight}}}");
        }
        assert!(check(&eight).is_ok(), "{eight}");
        assert!(check(&format!("${{workflow.input.{eight}}}")).is_err());
        let ok_parens = format!("${{workflow.input[{}0{}]}}", "(".repeat(31), ")".repeat(31));
        assert!(check(&ok_parens).is_ok());
    }

    #[test]
    fn copies_out_of_the_execution_are_budgeted() {
        let big = "x".repeat(MAX_DERIVED_BYTES / 3);
        let s = Scope::over(json!({"workflow": {"input": {"big": big}}}));
        let params: Json = (0..5)
            .map(|i| (format!("k{i}"), json!("${workflow.input.big}")))
            .collect();
        let out = s.eval_map(&params);
        let full = out
            .values()
            .filter(|v| v.as_str() == Some(big.as_str()))
            .count();
        assert_eq!(full, 2, "two copies fit in the budget");
        assert!(out["k4"].as_str().unwrap().starts_with("[cut"));
    }

    #[test]
    fn task_id_placeholder() {
        let s = scope().with_task_id("task-9");
        assert_eq!(s.eval(&json!("${CPEWF_TASK_ID}")), json!("task-9"));
    }
}
