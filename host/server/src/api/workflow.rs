//! `/api/workflow`: start, read, search, and every workflow signal (reference §1.2, §1.3).

use super::State;
use super::extract::{Body, OptBody, Q, flag};
use crate::engine::{Answer, Call, NotFoundStyle, Op, Reply};
use crate::error::{Error, Result};
use axum::Json;
use axum::extract::{Path, RawQuery};
use fermata_core::Event;
use fermata_core::decider::Upgrade;
use fermata_core::model::{
    BulkResponse, Json as Map, RerunWorkflowRequest, SearchResult, SkipTaskRequest,
    StartWorkflowRequest, Task, TaskStatus, Workflow, WorkflowStatusView, WorkflowSummary,
};
use fermata_core::search::WorkflowQuery;
use fermata_store::SignalRecord;
use serde::Deserialize;
use std::collections::BTreeMap;

pub async fn start(
    s: State,
    call: Call,
    Body(request): Body<StartWorkflowRequest>,
) -> Result<Reply> {
    s.start(request, &call, NotFoundStyle::StartRequest).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartByName {
    version: Option<i32>,
    correlation_id: Option<String>,
    priority: Option<i32>,
}

pub async fn start_by_name(
    s: State,
    call: Call,
    Path(name): Path<String>,
    Q(q): Q<StartByName>,
    OptBody(input): OptBody<Map>,
) -> Result<Reply> {
    let request = StartWorkflowRequest {
        name: Some(name),
        version: q.version,
        correlation_id: q.correlation_id,
        input: Some(input.unwrap_or_default()),
        priority: q.priority.unwrap_or(0),
        ..Default::default()
    };
    s.start(request, &call, NotFoundStyle::ByName).await
}

/// `POST /workflow/start/{name}/{version}` (Orkes): the input as body, the idempotency key and
/// strategy in the `X-Idempotency-key` and `X-on-conflict` headers; the id as text.
pub async fn start_with_version(
    s: State,
    call: Call,
    headers: axum::http::HeaderMap,
    Path((name, version)): Path<(String, i32)>,
    Q(q): Q<StartByName>,
    OptBody(input): OptBody<Map>,
) -> Result<Reply> {
    let header = |h: &str| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let idempotency_strategy = match header("x-on-conflict") {
        None => Default::default(),
        Some(raw) => serde_json::from_value(serde_json::Value::String(raw.to_uppercase()))
            .map_err(|_| {
                Error::bad_request(format!(
                    "X-on-conflict must be FAIL, RETURN_EXISTING or FAIL_ON_RUNNING, not {raw}"
                ))
            })?,
    };
    let request = StartWorkflowRequest {
        name: Some(name),
        version: (version > 0).then_some(version),
        correlation_id: q.correlation_id,
        input: Some(input.unwrap_or_default()),
        priority: q.priority.unwrap_or(0),
        idempotency_key: header("x-idempotency-key"),
        idempotency_strategy,
        ..Default::default()
    };
    s.start(request, &call, NotFoundStyle::StartRequest).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetQuery {
    #[serde(default, deserialize_with = "flag")]
    include_tasks: Option<bool>,
}

/// `GET /workflow/{id}`: an unknown id is 404 "Workflow with id: {id} not found." (see
/// `Engine::execution_status`).
pub async fn get(s: State, Path(id): Path<String>, Q(q): Q<GetQuery>) -> Result<Json<Workflow>> {
    Ok(Json(
        s.execution_status(&id, q.include_tasks.unwrap_or(true))
            .await?,
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusQuery {
    #[serde(default, deserialize_with = "flag")]
    include_output: Option<bool>,
    #[serde(default, deserialize_with = "flag")]
    include_variables: Option<bool>,
}

pub async fn status(
    s: State,
    Path(id): Path<String>,
    Q(q): Q<StatusQuery>,
) -> Result<Json<WorkflowStatusView>> {
    let wf = s.workflow(&id, false).await?;
    Ok(Json(WorkflowStatusView::of(
        &wf,
        q.include_output.unwrap_or(false),
        q.include_variables.unwrap_or(false),
    )))
}

/// `?start=0&count=15&status=A&status=B`: repeated keys, so parsed by hand.
pub async fn tasks(
    s: State,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<SearchResult<Task>>> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|e| Error::bad_request(format!("Invalid query parameters: {e}")))?;
    let number = |key: &str, default: usize| -> Result<usize> {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map_or(Ok(default), |(_, v)| {
                v.parse()
                    .map_err(|_| Error::bad_request(format!("{key} must be a number")))
            })
    };
    let start = number("start", 0)?;
    let count = number("count", 15)?;
    let statuses = pairs
        .iter()
        .filter(|(k, _)| k == "status")
        .flat_map(|(_, v)| v.split(','))
        .map(|v| v.parse::<TaskStatus>().map_err(Error::bad_request))
        .collect::<Result<Vec<_>>>()?;
    let wf = s.workflow(&id, true).await?;
    let matching: Vec<Task> = wf
        .tasks
        .into_iter()
        .filter(|t| statuses.is_empty() || statuses.contains(&t.status))
        .collect();
    Ok(Json(SearchResult {
        total_hits: matching.len() as i64,
        results: matching.into_iter().skip(start).take(count).collect(),
    }))
}

pub async fn signal_log(s: State, Path(id): Path<String>) -> Result<Json<Vec<SignalRecord>>> {
    Ok(Json(s.signal_log(&id).await?))
}

pub async fn pause(s: State, call: Call, Path(id): Path<String>) -> Result<Reply> {
    s.signal(&id, Op::plain(Event::Pause), &call).await
}

pub async fn resume(s: State, call: Call, Path(id): Path<String>) -> Result<Reply> {
    s.signal(&id, Op::plain(Event::Resume), &call).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestartQuery {
    #[serde(default, deserialize_with = "flag")]
    use_latest_definitions: Option<bool>,
}

pub async fn restart(
    s: State,
    call: Call,
    Path(id): Path<String>,
    Q(q): Q<RestartQuery>,
) -> Result<Reply> {
    let op = restart_op(q.use_latest_definitions.unwrap_or(false));
    s.signal(&id, op, &call).await
}

pub async fn rerun(
    s: State,
    call: Call,
    Path(id): Path<String>,
    OptBody(request): OptBody<RerunWorkflowRequest>,
) -> Result<Reply> {
    let mut request = request.unwrap_or_default();
    request.re_run_from_workflow_id = Some(id.clone());
    s.signal(
        &id,
        Op::new(Event::Rerun(request), Answer::WorkflowId),
        &call,
    )
    .await
}

fn restart_op(use_latest_definitions: bool) -> Op {
    Op::new(
        Event::Restart {
            use_latest_definitions,
        },
        Answer::NoContent,
    )
}

fn retry_op(resume_subworkflow_tasks: bool) -> Op {
    Op::new(
        Event::Retry {
            resume_subworkflow_tasks,
        },
        Answer::NoContent,
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryQuery {
    #[serde(default, deserialize_with = "flag")]
    resume_subworkflow_tasks: Option<bool>,
}

pub async fn retry(
    s: State,
    call: Call,
    Path(id): Path<String>,
    Q(q): Q<RetryQuery>,
) -> Result<Reply> {
    let op = retry_op(q.resume_subworkflow_tasks.unwrap_or(false));
    s.signal(&id, op, &call).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TerminateQuery {
    reason: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    trigger_failure_workflow: Option<bool>,
    /// Accepted, with no effect (as in Orkes): see `Engine::remove`.
    #[serde(default, deserialize_with = "flag")]
    #[allow(dead_code)]
    archive_workflow: Option<bool>,
}

impl TerminateQuery {
    fn op(&self) -> Op {
        Op::plain(Event::Terminate {
            reason: self.reason.clone().filter(|r| !r.is_empty()),
            trigger_failure_workflow: self.trigger_failure_workflow.unwrap_or(false),
        })
    }
}

pub async fn terminate(
    s: State,
    call: Call,
    Path(id): Path<String>,
    Q(q): Q<TerminateQuery>,
) -> Result<Reply> {
    s.signal(&id, q.op(), &call).await
}

/// `archiveWorkflow` is accepted and has no effect (Orkes): see `Engine::remove`.
pub async fn remove(s: State, Path(id): Path<String>, Q(_q): Q<TerminateQuery>) -> Result<Reply> {
    s.remove(&id).await?;
    Ok(Reply::Ok)
}

pub async fn terminate_remove(
    s: State,
    call: Call,
    Path(id): Path<String>,
    Q(q): Q<TerminateQuery>,
) -> Result<Reply> {
    s.signal(&id, q.op(), &call).await?;
    s.remove(&id).await?;
    Ok(Reply::Ok)
}

pub async fn skip_task(
    s: State,
    call: Call,
    Path((id, reference)): Path<(String, String)>,
    OptBody(request): OptBody<SkipTaskRequest>,
) -> Result<Reply> {
    let op = Op::plain(Event::SkipTask {
        reference,
        request: request.unwrap_or_default(),
    });
    s.signal(&id, op, &call).await
}

pub async fn reset_callbacks(s: State, call: Call, Path(id): Path<String>) -> Result<Reply> {
    s.signal(&id, Op::plain(Event::ResetCallbacks), &call)
        .await?;
    Ok(Reply::NoContent)
}

pub async fn decide(s: State, Path(id): Path<String>) -> Result<Reply> {
    // Conductor answers 200 for unknown ids here.
    match s.internal(&id, Op::plain(Event::Decide)).await {
        Ok(_) => Ok(Reply::Ok),
        Err(e) if e.is_not_found() => Ok(Reply::Ok),
        Err(e) => Err(e),
    }
}

/// A search's parameters, read for either kind of search.
pub type SearchQuery = fermata_core::search::SearchRequest;

pub fn workflow_query(q: &SearchQuery) -> Result<WorkflowQuery> {
    WorkflowQuery::parse(q).map_err(Error::bad_request)
}

pub async fn search(s: State, Q(q): Q<SearchQuery>) -> Result<Json<SearchResult<WorkflowSummary>>> {
    let (total_hits, hits) = s.search_workflows(&workflow_query(&q)?).await?;
    Ok(Json(SearchResult {
        total_hits,
        results: hits.iter().map(WorkflowSummary::from).collect(),
    }))
}

pub async fn search_v2(s: State, Q(q): Q<SearchQuery>) -> Result<Json<SearchResult<Workflow>>> {
    let (total_hits, results) = s.search_workflows(&workflow_query(&q)?).await?;
    Ok(Json(SearchResult {
        total_hits,
        results,
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CorrelatedQuery {
    #[serde(default, deserialize_with = "flag")]
    include_closed: Option<bool>,
    #[serde(default, deserialize_with = "flag")]
    include_tasks: Option<bool>,
}

async fn correlated_workflows(
    s: &State,
    name: &str,
    correlation_id: &str,
    q: &CorrelatedQuery,
) -> Result<Vec<Workflow>> {
    s.correlated(
        name,
        correlation_id,
        q.include_closed.unwrap_or(false),
        q.include_tasks.unwrap_or(false),
    )
    .await
}

pub async fn correlated(
    s: State,
    Path((name, correlation_id)): Path<(String, String)>,
    Q(q): Q<CorrelatedQuery>,
) -> Result<Json<Vec<Workflow>>> {
    Ok(Json(
        correlated_workflows(&s, &name, &correlation_id, &q).await?,
    ))
}

/// Orkes' `CorrelationIdsSearchRequest`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CorrelationIdsSearch {
    #[serde(default)]
    correlation_ids: Vec<String>,
    #[serde(default)]
    workflow_names: Vec<String>,
}

/// `POST /workflow/correlated/batch` (Orkes): per correlation id, its executions of any of
/// the named workflows; every id asked for is a key, `[]` when nothing matches.
pub async fn correlated_batch(
    s: State,
    Q(q): Q<CorrelatedQuery>,
    Body(search): Body<CorrelationIdsSearch>,
) -> Result<Json<BTreeMap<String, Vec<Workflow>>>> {
    if search
        .correlation_ids
        .len()
        .saturating_mul(search.workflow_names.len().max(1))
        > BULK_MAX
    {
        return Err(Error::bad_request(format!(
            "Cannot look up more than {BULK_MAX} correlation ids and names at once"
        )));
    }
    let mut out = BTreeMap::new();
    for cid in &search.correlation_ids {
        let mut found = Vec::new();
        for name in &search.workflow_names {
            found.extend(correlated_workflows(&s, name, cid, &q).await?);
        }
        out.insert(cid.clone(), found);
    }
    Ok(Json(out))
}

pub async fn correlated_many(
    s: State,
    Path(name): Path<String>,
    Q(q): Q<CorrelatedQuery>,
    Body(ids): Body<Vec<String>>,
) -> Result<Json<BTreeMap<String, Vec<Workflow>>>> {
    if ids.len() > BULK_MAX {
        return Err(Error::bad_request(format!(
            "Cannot look up more than {BULK_MAX} correlation ids at once"
        )));
    }
    let ids: std::collections::BTreeSet<String> = ids.into_iter().collect();
    let mut out = BTreeMap::new();
    for cid in ids {
        let found = correlated_workflows(&s, &name, &cid, &q).await?;
        out.insert(cid, found);
    }
    Ok(Json(out))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunningQuery {
    version: Option<i32>,
    start_time: Option<i64>,
    end_time: Option<i64>,
}

pub async fn running(
    s: State,
    Path(name): Path<String>,
    Q(q): Q<RunningQuery>,
) -> Result<Json<Vec<String>>> {
    Ok(Json(
        s.running_workflows(&name, q.version, q.start_time, q.end_time)
            .await?,
    ))
}

// ---- bulk (reference §1.3): ids one at a time, per-id errors, always 200 ----

const BULK_MAX: usize = fermata_core::limits::MAX_IDS_PER_REQUEST;

async fn bulk(
    s: &State,
    call: &Call,
    ids: Vec<String>,
    op: impl Fn() -> Op,
) -> Result<Json<BulkResponse>> {
    if ids.is_empty() {
        return Err(Error::bad_request("WorkflowIds list cannot be null."));
    }
    if ids.len() > BULK_MAX {
        return Err(Error::bad_request(
            "Cannot process more than 1000 workflows. Please use multiple requests.",
        ));
    }
    let mut response = BulkResponse::default();
    for id in ids {
        match s.signal(&id, op(), &call.for_item(&id)).await {
            Ok(Reply::Replayed(first)) if super::answers::refused(&first) => {
                let message = serde_json::from_slice::<serde_json::Value>(&first.body)
                    .ok()
                    .and_then(|v| v["message"].as_str().map(str::to_string))
                    .unwrap_or_default();
                response.bulk_error_results.insert(id, message);
            }
            Ok(_) => response.bulk_successful_results.push(id),
            Err(e) => {
                response.bulk_error_results.insert(id, e.message);
            }
        }
    }
    Ok(Json(response))
}

pub async fn bulk_pause(
    s: State,
    call: Call,
    Body(ids): Body<Vec<String>>,
) -> Result<Json<BulkResponse>> {
    bulk(&s, &call, ids, || Op::plain(Event::Pause)).await
}

pub async fn bulk_resume(
    s: State,
    call: Call,
    Body(ids): Body<Vec<String>>,
) -> Result<Json<BulkResponse>> {
    bulk(&s, &call, ids, || Op::plain(Event::Resume)).await
}

pub async fn bulk_restart(
    s: State,
    call: Call,
    Q(q): Q<RestartQuery>,
    Body(ids): Body<Vec<String>>,
) -> Result<Json<BulkResponse>> {
    let latest = q.use_latest_definitions.unwrap_or(false);
    bulk(&s, &call, ids, || restart_op(latest)).await
}

pub async fn bulk_retry(
    s: State,
    call: Call,
    Body(ids): Body<Vec<String>>,
) -> Result<Json<BulkResponse>> {
    bulk(&s, &call, ids, || retry_op(false)).await
}

pub async fn bulk_terminate(
    s: State,
    call: Call,
    Q(q): Q<TerminateQuery>,
    Body(ids): Body<Vec<String>>,
) -> Result<Json<BulkResponse>> {
    bulk(&s, &call, ids, || q.op()).await
}

async fn bulk_delete(
    s: &State,
    ids: Vec<String>,
    terminate: Option<Op>,
    call: &Call,
) -> Result<Json<BulkResponse>> {
    if ids.is_empty() {
        return Err(Error::bad_request("WorkflowIds list cannot be null."));
    }
    if ids.len() > BULK_MAX {
        return Err(Error::bad_request(
            "Cannot process more than 1000 workflows. Please use multiple requests.",
        ));
    }
    let mut response = BulkResponse::default();
    for id in ids {
        let result = async {
            if let Some(op) = &terminate {
                s.signal(&id, op.clone(), &call.for_item(&id)).await?;
            }
            s.remove(&id).await
        }
        .await;
        match result {
            Ok(()) => response.bulk_successful_results.push(id),
            Err(e) => {
                response.bulk_error_results.insert(id, e.message);
            }
        }
    }
    Ok(Json(response))
}

pub async fn bulk_remove(
    s: State,
    call: Call,
    Q(_q): Q<TerminateQuery>,
    Body(ids): Body<Vec<String>>,
) -> Result<Json<BulkResponse>> {
    bulk_delete(&s, ids, None, &call).await
}

pub async fn bulk_terminate_remove(
    s: State,
    call: Call,
    Q(q): Q<TerminateQuery>,
    Body(ids): Body<Vec<String>>,
) -> Result<Json<BulkResponse>> {
    bulk_delete(&s, ids, Some(q.op()), &call).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkSearchQuery {
    #[serde(default, deserialize_with = "flag")]
    include_tasks: Option<bool>,
}

#[derive(serde::Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct BulkWorkflows {
    bulk_successful_results: Vec<Workflow>,
    bulk_error_results: BTreeMap<String, String>,
}

pub async fn bulk_search(
    s: State,
    Q(q): Q<BulkSearchQuery>,
    Body(ids): Body<Vec<String>>,
) -> Result<Json<BulkWorkflows>> {
    if ids.len() > BULK_MAX {
        return Err(Error::bad_request(
            "Cannot process more than 1000 workflows. Please use multiple requests.",
        ));
    }
    let mut out = BulkWorkflows::default();
    for id in ids {
        match s.workflow(&id, q.include_tasks.unwrap_or(true)).await {
            Ok(wf) => out.bulk_successful_results.push(wf),
            Err(e) => {
                out.bulk_error_results.insert(id, e.message);
            }
        }
    }
    Ok(Json(out))
}

/// `POST /workflow/{id}/variables` (Orkes): merged into the variables, then decided; the
/// workflow with its tasks. 409 once it has ended.
pub async fn update_variables(
    s: State,
    call: Call,
    Path(id): Path<String>,
    Body(variables): Body<Map>,
) -> Result<Reply> {
    let update = fermata_core::decider::VariablesUpdate {
        values: variables,
        append_arrays: false,
    };
    let op = Op::new(Event::UpdateVariables(update), Answer::Workflow);
    s.signal(&id, op, &call).await
}

/// `POST /workflow/{id}/messages`: a message for the workflow's inbox, which
/// PULL_WORKFLOW_MESSAGES tasks take from; its id as text. Only a RUNNING workflow takes
/// messages (409), at most 1000 waiting (429).
pub async fn send_message(
    s: State,
    call: Call,
    Path(id): Path<String>,
    Body(payload): Body<Map>,
) -> Result<Reply> {
    let message = fermata_core::model::InboxMessage::new(
        uuid::Uuid::new_v4().to_string(),
        id.clone(),
        payload,
        crate::engine::now_ms(),
    );
    let answer = Answer::Text(message.id.clone());
    s.signal(&id, Op::new(Event::MessageArrived(message), answer), &call)
        .await
}

/// `GET /workflow/{id}/messages` (beyond Conductor): what the inbox holds, oldest first.
pub async fn inbox(
    s: State,
    Path(id): Path<String>,
) -> Result<Json<Vec<fermata_core::model::InboxMessage>>> {
    Ok(Json(s.inbox(&id).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JumpQuery {
    task_reference_name: Option<String>,
}

/// `POST /workflow/{id}/jump/{taskReferenceName}` (Orkes). The SDKs leave the path segment as
/// the literal `{taskReferenceName}` and send the reference in the query: the query wins.
pub async fn jump(
    s: State,
    call: Call,
    Path((id, segment)): Path<(String, String)>,
    Q(q): Q<JumpQuery>,
    OptBody(input): OptBody<Map>,
) -> Result<Reply> {
    let reference = q
        .task_reference_name
        .or_else(|| (!segment.starts_with('{')).then_some(segment))
        .filter(|r| !r.trim().is_empty());
    let op = Op::plain(Event::Jump {
        reference,
        input: input.unwrap_or_default(),
    });
    s.signal(&id, op, &call).await?;
    Ok(Reply::Ok)
}

/// Orkes' `UpgradeWorkflowRequest`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeRequest {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<i32>,
    #[serde(default)]
    workflow_input: Option<Map>,
    #[serde(default)]
    task_output: Option<Map>,
}

/// `POST /workflow/{id}/upgrade` (Orkes).
pub async fn upgrade(
    s: State,
    call: Call,
    Path(id): Path<String>,
    Body(request): Body<UpgradeRequest>,
) -> Result<Reply> {
    let name = request
        .name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| Error::bad_request("Workflow name cannot be null or empty"))?;
    let op = Op::plain(Event::Upgrade(Upgrade {
        name,
        version: request.version,
        definition: None,
        input: request.workflow_input,
        task_output: request.task_output.unwrap_or_default(),
    }));
    s.signal(&id, op, &call).await?;
    Ok(Reply::Ok)
}
