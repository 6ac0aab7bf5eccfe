//! `/api/scheduler`: schedules (reference conductor-signals-extra §3), in Conductor OSS's
//! paths. Pause and resume answer both PUT (OSS) and GET (Orkes), as the SDKs try both.

use super::State;
use super::extract::{Body, Q};
use crate::engine::Reply;
use crate::error::{Error, Result};
use axum::Json;
use axum::extract::Path;
use fermata_core::model::{BulkResponse, SearchResult};
use fermata_core::schedule::{self, ScheduleExecution, WorkflowSchedule};
use fermata_core::schedule_search::ExecutionQuery;
use serde::Deserialize;

pub async fn save(
    s: State,
    Body(schedule): Body<WorkflowSchedule>,
) -> Result<Json<WorkflowSchedule>> {
    Ok(Json(s.save_schedule(schedule).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    workflow_name: Option<String>,
}

pub async fn list(s: State, Q(q): Q<ListQuery>) -> Result<Json<Vec<WorkflowSchedule>>> {
    Ok(Json(s.list_schedules(q.workflow_name.as_deref()).await?))
}

pub async fn get(s: State, Path(name): Path<String>) -> Result<Json<WorkflowSchedule>> {
    Ok(Json(s.get_schedule(&name).await?))
}

pub async fn delete(s: State, Path(name): Path<String>) -> Result<Reply> {
    s.delete_schedule(&name).await?;
    Ok(Reply::Ok)
}

#[derive(Deserialize)]
pub struct PauseQuery {
    reason: Option<String>,
}

pub async fn pause(s: State, Path(name): Path<String>, Q(q): Q<PauseQuery>) -> Result<Reply> {
    s.pause_schedule(&name, q.reason).await?;
    Ok(Reply::Ok)
}

pub async fn resume(s: State, Path(name): Path<String>) -> Result<Reply> {
    s.resume_schedule(&name).await?;
    Ok(Reply::Ok)
}

pub async fn bulk_pause(s: State, Body(names): Body<Vec<String>>) -> Json<BulkResponse> {
    let mut response = BulkResponse::default();
    for name in names.into_iter().take(1000) {
        match s.pause_schedule(&name, None).await {
            Ok(()) => response.bulk_successful_results.push(name),
            Err(e) => {
                response.bulk_error_results.insert(name, e.message);
            }
        }
    }
    Json(response)
}

pub async fn bulk_resume(s: State, Body(names): Body<Vec<String>>) -> Json<BulkResponse> {
    let mut response = BulkResponse::default();
    for name in names.into_iter().take(1000) {
        match s.resume_schedule(&name).await {
            Ok(()) => response.bulk_successful_results.push(name),
            Err(e) => {
                response.bulk_error_results.insert(name, e.message);
            }
        }
    }
    Json(response)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NextQuery {
    cron_expression: String,
    schedule_start_time: Option<i64>,
    schedule_end_time: Option<i64>,
    limit: Option<usize>,
}

/// Up to 5 next times of a cron expression (UTC); 400 for one that does not parse.
pub async fn next_few(Q(q): Q<NextQuery>) -> Result<Json<Vec<i64>>> {
    let start = q
        .schedule_start_time
        .filter(|t| *t > 0)
        .unwrap_or_else(crate::engine::now_ms);
    let times = schedule::next_few(
        &q.cron_expression,
        start,
        q.schedule_end_time,
        q.limit.unwrap_or(5),
    )
    .map_err(Error::bad_request)?;
    Ok(Json(times))
}

/// Firings in the query language of the other searches (see `ExecutionQuery`), newest
/// first unless `sort` says otherwise.
pub async fn search_executions(
    s: State,
    Q(q): Q<fermata_core::search::SearchRequest>,
) -> Result<Json<SearchResult<ScheduleExecution>>> {
    let query = ExecutionQuery::parse(&q).map_err(Error::bad_request)?;
    let mut all = Vec::new();
    if query.schedule_names.is_empty() {
        all = s.schedule_executions(None, 5_000).await?;
    } else {
        for name in &query.schedule_names {
            all.extend(s.schedule_executions(Some(name), 5_000).await?);
        }
    }
    let (total, results) = query.page(all);
    Ok(Json(SearchResult {
        total_hits: total as i64,
        results,
    }))
}

#[derive(Deserialize)]
pub struct TagQuery {
    tag: String,
}

/// `GET /scheduler/schedules/tags?tag=key:value` (Orkes).
pub async fn tagged(s: State, Q(q): Q<TagQuery>) -> Result<Json<Vec<WorkflowSchedule>>> {
    Ok(Json(s.schedules_tagged(&q.tag).await?))
}

/// `GET /scheduler/admin/pause` and `/resume`: this host stops or starts firing schedules
/// (Conductor's per-instance switch).
pub async fn admin_pause(s: State) -> Json<serde_json::Value> {
    s.hold_scheduler(true);
    Json(serde_json::json!({"status": "done"}))
}

pub async fn admin_resume(s: State) -> Json<serde_json::Value> {
    s.hold_scheduler(false);
    Json(serde_json::json!({"status": "done"}))
}

/// `GET /scheduler/admin/requeue`: Conductor re-pushes firings left POLLED; here a firing
/// is written in the commit that starts its workflow, so none is ever left half done.
pub async fn admin_requeue() -> Json<serde_json::Value> {
    Json(serde_json::json!({"recordIds.size": 0, "sampleIds": []}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleSearch {
    workflow_name: Option<String>,
    schedule_name: Option<String>,
    paused: Option<bool>,
    start: Option<usize>,
    size: Option<usize>,
}

pub async fn search_schedules(
    s: State,
    Q(q): Q<ScheduleSearch>,
) -> Result<Json<SearchResult<WorkflowSchedule>>> {
    let all = s.list_schedules(q.workflow_name.as_deref()).await?;
    let matching: Vec<_> = all
        .into_iter()
        .filter(|x| {
            q.schedule_name
                .as_deref()
                .is_none_or(|n| x.name.contains(n))
        })
        .filter(|x| q.paused.is_none_or(|p| x.paused == p))
        .collect();
    let total = matching.len() as i64;
    let results = matching
        .into_iter()
        .skip(q.start.unwrap_or(0))
        .take(q.size.unwrap_or(100))
        .collect();
    Ok(Json(SearchResult {
        total_hits: total,
        results,
    }))
}

pub async fn tags(s: State, Path(name): Path<String>) -> Result<Json<Vec<serde_json::Value>>> {
    Ok(Json(s.schedule_tags(&name).await?))
}

pub async fn put_tags(
    s: State,
    Path(name): Path<String>,
    Body(tags): Body<Vec<serde_json::Value>>,
) -> Result<Reply> {
    s.add_schedule_tags(&name, tags).await?;
    Ok(Reply::Ok)
}

pub async fn delete_tags(
    s: State,
    Path(name): Path<String>,
    Body(tags): Body<Vec<serde_json::Value>>,
) -> Result<Reply> {
    s.delete_schedule_tags(&name, tags).await?;
    Ok(Reply::Ok)
}
