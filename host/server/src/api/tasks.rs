//! `/api/tasks`: the worker protocol and every way of completing a task (reference §1.4).

use super::State;
use super::extract::{Body, OptBody, Q, Text};
use crate::engine::{Call, Op, Reply};
use crate::error::{Error, Result};
use axum::Json;
use axum::extract::{Path, RawQuery};
use fermata_core::model::validate::ValidationError;
use fermata_core::model::{Json as Map, Task, TaskResult, TaskResultStatus};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// Conductor's `@NotEmpty` on TaskResult ids: a 400 with validationErrors.
fn check_result(result: &TaskResult) -> Result<()> {
    let mut errors = Vec::new();
    if result.workflow_instance_id.trim().is_empty() {
        errors.push(ValidationError {
            path: "updateTask.taskResult.workflowInstanceId".into(),
            message: "Workflow Id cannot be null or empty".into(),
            invalid_value: Value::Null,
        });
    }
    if result.task_id.trim().is_empty() {
        errors.push(ValidationError {
            path: "updateTask.taskResult.taskId".into(),
            message: "Task ID cannot be null or empty".into(),
            invalid_value: Value::Null,
        });
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::validation(errors))
    }
}

pub async fn update(s: State, call: Call, Body(result): Body<TaskResult>) -> Result<Reply> {
    check_result(&result)?;
    let workflow_id = result.workflow_instance_id.clone();
    s.signal(&workflow_id, Op::task_result(result)?, &call)
        .await
}

pub async fn update_v2(s: State, call: Call, Body(result): Body<TaskResult>) -> Result<Reply> {
    check_result(&result)?;
    Ok(Reply::Task(s.update_v2(result, &call).await?.map(Box::new)))
}

#[derive(Deserialize)]
pub struct PollQuery {
    workerid: Option<String>,
    domain: Option<String>,
    count: Option<u32>,
    timeout: Option<u64>,
}

pub async fn poll(s: State, Path(task_type): Path<String>, Q(q): Q<PollQuery>) -> Result<Reply> {
    let mut tasks = s
        .poll(
            &task_type,
            q.workerid,
            q.domain.as_deref(),
            1,
            Duration::ZERO,
        )
        .await?;
    Ok(Reply::Task(tasks.pop().map(Box::new)))
}

pub async fn batch_poll(
    s: State,
    Path(task_type): Path<String>,
    Q(q): Q<PollQuery>,
) -> Result<Json<Vec<Task>>> {
    let timeout = q.timeout.unwrap_or(100);
    if timeout > 5000 {
        return Err(Error::bad_request(
            "Long Poll Timeout value cannot be more than 5 seconds",
        ));
    }
    let count = q.count.unwrap_or(1).clamp(1, 1000);
    let tasks = s
        .poll(
            &task_type,
            q.workerid,
            q.domain.as_deref(),
            count,
            Duration::from_millis(timeout),
        )
        .await?;
    Ok(Json(tasks))
}

#[derive(Deserialize)]
pub struct WorkerQuery {
    workerid: Option<String>,
}

fn status(raw: &str) -> Result<TaskResultStatus> {
    raw.parse().map_err(Error::bad_request)
}

/// Python's `update_task_by_ref_name` sends the output wrapped as `{"result": …}` and JS's
/// `updateTaskResult` as `{"outputData": …}`; like Conductor, the body is kept as given.
fn output(body: Option<Value>) -> Result<Map> {
    match body {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m),
        Some(other) => Err(Error::bad_request(format!(
            "The task output must be a JSON object, not {other}"
        ))),
    }
}

type ByRefPath = Path<(String, String, String)>;

async fn by_ref(
    s: State,
    call: Call,
    path: ByRefPath,
    q: WorkerQuery,
    body: Option<Value>,
    sync: bool,
) -> Result<Reply> {
    let Path((workflow_id, reference, raw_status)) = path;
    let op = Op::update_by_ref(
        reference,
        status(&raw_status)?,
        output(body)?,
        q.workerid,
        sync,
    );
    s.signal(&workflow_id, op, &call).await
}

/// `POST /tasks/{workflowId}/{taskRefName}/{status}`: answers the task id.
pub async fn update_by_ref(
    s: State,
    call: Call,
    path: ByRefPath,
    Q(q): Q<WorkerQuery>,
    OptBody(body): OptBody<Value>,
) -> Result<Reply> {
    by_ref(s, call, path, q, body, false).await
}

/// The `/sync` form: answers the workflow after the update.
pub async fn update_by_ref_sync(
    s: State,
    call: Call,
    path: ByRefPath,
    Q(q): Q<WorkerQuery>,
    OptBody(body): OptBody<Value>,
) -> Result<Reply> {
    by_ref(s, call, path, q, body, true).await
}

/// `POST /tasks/{workflowId}/{status}/signal`: 200, whether or not a WAIT or YIELD was
/// waiting (see `sync` for the synchronous form).
pub async fn signal(
    s: State,
    call: Call,
    Path((workflow_id, raw_status)): Path<(String, String)>,
    OptBody(body): OptBody<Value>,
) -> Result<Reply> {
    let op = Op::signal(status(&raw_status)?, output(body)?, false);
    s.signal(&workflow_id, op, &call).await?;
    Ok(Reply::Ok)
}

pub async fn get(s: State, Path(task_id): Path<String>) -> Result<Json<Task>> {
    Ok(Json(s.task(&task_id).await?))
}

pub async fn add_log(s: State, Path(task_id): Path<String>, Text(log): Text) -> Result<Reply> {
    s.add_task_log(&task_id, log).await?;
    Ok(Reply::Ok)
}

pub async fn logs(s: State, Path(task_id): Path<String>) -> Result<Reply> {
    let logs = s.task_logs(&task_id).await?;
    if logs.is_empty() {
        return Ok(Reply::NoContent);
    }
    Ok(Reply::Json(serde_json::to_value(logs).unwrap_or_default()))
}

/// Gone from Conductor OSS (poll acknowledges); kept for old clients.
pub async fn ack(OptBody(_): OptBody<Value>) -> Reply {
    Reply::Json(Value::Bool(true))
}

pub async fn queue_sizes(s: State, RawQuery(raw): RawQuery) -> Result<Json<BTreeMap<String, i64>>> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|e| Error::bad_request(format!("Invalid query parameters: {e}")))?;
    let mut out = BTreeMap::new();
    for (_, task_type) in pairs.into_iter().filter(|(k, _)| k == "taskType") {
        let size = s.queue_size(&task_type, None).await?;
        out.insert(task_type, size);
    }
    Ok(Json(out))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueSizeQuery {
    task_type: String,
    domain: Option<String>,
}

pub async fn queue_size(s: State, Q(q): Q<QueueSizeQuery>) -> Result<Json<i64>> {
    Ok(Json(s.queue_size(&q.task_type, q.domain.as_deref()).await?))
}

pub async fn queue_all(s: State) -> Result<Json<std::collections::HashMap<String, i64>>> {
    Ok(Json(s.queue_sizes().await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollDataQuery {
    task_type: Option<String>,
}

/// `GET /tasks/queue/polldata?taskType=`: who last polled it, per domain.
pub async fn poll_data(
    s: State,
    Q(q): Q<PollDataQuery>,
) -> Result<Json<Vec<fermata_store::PollData>>> {
    let task_type = q
        .task_type
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::bad_request("taskType is required"))?;
    Ok(Json(s.poll_data(Some(&task_type)).await?))
}

/// `GET /tasks/queue/polldata/all`.
pub async fn poll_data_all(s: State) -> Result<Json<Vec<fermata_store::PollData>>> {
    Ok(Json(s.poll_data(None).await?))
}

/// `GET /tasks/search`: task summaries across executions, in Conductor's query language.
pub async fn search(
    s: State,
    Q(q): Q<super::workflow::SearchQuery>,
) -> Result<axum::Json<fermata_core::model::SearchResult<fermata_core::model::TaskSummary>>> {
    let query = fermata_core::task_search::TaskQuery::parse(&q).map_err(Error::bad_request)?;
    let (total_hits, hits) = s.search_tasks(&query).await?;
    Ok(axum::Json(fermata_core::model::SearchResult {
        total_hits,
        results: hits.iter().map(Into::into).collect(),
    }))
}

/// `GET /tasks/search-v2`: the same, whole tasks.
pub async fn search_v2(
    s: State,
    Q(q): Q<super::workflow::SearchQuery>,
) -> Result<axum::Json<fermata_core::model::SearchResult<fermata_core::model::Task>>> {
    let query = fermata_core::task_search::TaskQuery::parse(&q).map_err(Error::bad_request)?;
    let (total_hits, results) = s.search_tasks(&query).await?;
    Ok(axum::Json(fermata_core::model::SearchResult {
        total_hits,
        results,
    }))
}
