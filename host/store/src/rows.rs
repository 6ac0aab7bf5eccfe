//! What every backend does the same way with the rows it reads and writes: parsing stored
//! JSON, deciding which tasks of an execution changed, the webhook index of a task, the
//! literal pattern of a free-text search, the summary of an unreadable execution.

use crate::{Result, StoreError};
use fermata_core::model::{Task, Workflow};
use sqlx::{Database, Encode, QueryBuilder, Type};
use std::collections::{HashMap, HashSet};

/// Deepest stored JSON read back. Everything fermata writes now stays far below it (inputs
/// are limited where they enter, derived values are pruned); an older version could store
/// values deeper than serde_json's default limit of 128, which are read on a growing stack
/// instead of failing.
const MAX_READ_DEPTH: usize = 1024;

pub(crate) fn parse<T: serde::de::DeserializeOwned>(json: &str) -> Result<T> {
    let depth = fermata_core::limits::raw_json_depth(json.as_bytes());
    if depth > MAX_READ_DEPTH {
        return Err(StoreError::Corrupt(format!(
            "nested {depth} levels deep, more than the {MAX_READ_DEPTH} fermata reads"
        )));
    }
    let mut de = serde_json::Deserializer::from_str(json);
    de.disable_recursion_limit();
    let value = T::deserialize(serde_stacker::Deserializer::new(&mut de)).map_err(corrupt)?;
    de.end().map_err(corrupt)?;
    Ok(value)
}

pub(crate) fn corrupt(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

pub(crate) fn closed() -> StoreError {
    StoreError::Database {
        message: "the store is closed".into(),
        transient: true,
    }
}

/// `%text%` for `LIKE … ESCAPE '\'`, the text matched literally: `%`, `_` and `\` in it are
/// not wildcards.
fn contains_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The tasks of an execution to write: each task whose JSON differs from what was loaded
/// (with that JSON), and the ids of loaded tasks that are gone.
pub(crate) struct TaskChanges<'a> {
    pub written: Vec<(&'a Task, String)>,
    pub gone: Vec<String>,
}

pub(crate) fn task_changes<'a>(
    tasks: &'a [Task],
    previous: &HashMap<String, String>,
) -> Result<TaskChanges<'a>> {
    let mut kept = HashSet::with_capacity(tasks.len());
    let mut written = Vec::new();
    for task in tasks {
        kept.insert(task.task_id.as_str());
        let json = serde_json::to_string(task).map_err(corrupt)?;
        if previous.get(&task.task_id) != Some(&json) {
            written.push((task, json));
        }
    }
    let gone = previous
        .keys()
        .filter(|k| !kept.contains(k.as_str()))
        .cloned()
        .collect();
    Ok(TaskChanges { written, gone })
}

/// What the webhook index keeps for a task just written (see [`WaitIndex`]).
pub(crate) fn webhook_wait_of(task: &Task) -> Result<WaitIndex> {
    use fermata_core::webhook::{WAIT_FOR_WEBHOOK, wait_matches};
    if task.task_type != WAIT_FOR_WEBHOOK {
        return Ok(WaitIndex::Untouched);
    }
    match wait_matches(&task.input_data).filter(|_| !task.status.is_terminal()) {
        Some(matches) => Ok(WaitIndex::Open(
            serde_json::to_string(&matches).map_err(corrupt)?,
        )),
        None => Ok(WaitIndex::Closed),
    }
}

pub(crate) enum WaitIndex {
    /// Not a WAIT_FOR_WEBHOOK task.
    Untouched,
    /// Open, with these matches (JSON).
    Open(String),
    /// Ended, or nothing to match.
    Closed,
}

/// The columns a search reads besides an execution's JSON.
pub(crate) struct SummaryColumns {
    pub id: String,
    pub name: String,
    pub version: i64,
    pub status: String,
    pub correlation_id: Option<String>,
    pub create_time: i64,
    pub update_time: i64,
    pub end_time: i64,
}

/// What a search shows for an execution whose stored JSON cannot be read: its columns, and
/// why, so one bad row never fails a whole list.
pub(crate) fn unreadable_summary(c: SummaryColumns, problem: &StoreError) -> Result<Workflow> {
    serde_json::from_value(serde_json::json!({
        "workflowId": c.id,
        "workflowName": c.name,
        "workflowVersion": c.version,
        "status": c.status,
        "correlationId": c.correlation_id,
        "createTime": c.create_time,
        "startTime": c.create_time,
        "updateTime": c.update_time,
        "endTime": c.end_time,
        "reasonForIncompletion": format!("fermata cannot read this execution: {problem}"),
        "workflowDefinition": {"name": c.name, "version": c.version, "tasks": []},
    }))
    .map_err(corrupt)
}

/// ` AND column IN (values…)`, nothing when there are no values.
pub(crate) fn push_in<'a, DB: Database>(
    b: &mut QueryBuilder<DB>,
    column: &str,
    values: impl IntoIterator<Item = &'a str>,
) where
    for<'q> String: Encode<'q, DB> + Type<DB>,
{
    let values: Vec<String> = values.into_iter().map(str::to_string).collect();
    if values.is_empty() {
        return;
    }
    b.push(format!(" AND {column} IN ("));
    let mut sep = b.separated(", ");
    for v in values {
        sep.push_bind(v);
    }
    b.push(")");
}

/// ` AND (column LIKE '%text%' OR …)`, the text matched literally: `%`, `_` and `\` in it are
/// not wildcards. `like`: the backend's case-insensitive LIKE (SQLite's own `LIKE` is).
pub(crate) fn push_contains<DB: Database>(
    b: &mut QueryBuilder<DB>,
    like: &str,
    columns: &[&str],
    text: &str,
) where
    for<'q> String: Encode<'q, DB> + Type<DB>,
{
    let pattern = contains_pattern(text);
    b.push(" AND (");
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            b.push(" OR ");
        }
        b.push(format!("{column} {like} "))
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\'");
    }
    b.push(")");
}

/// ` AND column op bound` for each bound given.
pub(crate) fn push_bounds<DB: Database, const N: usize>(
    b: &mut QueryBuilder<DB>,
    bounds: [(&str, &str, Option<i64>); N],
) where
    for<'q> i64: Encode<'q, DB> + Type<DB>,
{
    for (column, op, bound) in bounds {
        if let Some(v) = bound {
            b.push(format!(" AND {column} {op} ")).push_bind(v);
        }
    }
}
