//! `/api/metadata`: workflow and task definitions (reference §1.1).

use super::State;
use super::extract::{Body, Q, flag};
use crate::engine::Reply;
use crate::error::{Error, Result};
use axum::Json;
use axum::extract::Path;
use fermata_core::model::{BulkResponse, TaskDef, WorkflowDef};
use fermata_store::{DefSummary, TagOwner};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
pub struct Overwrite {
    #[serde(default, deserialize_with = "flag")]
    overwrite: Option<bool>,
}

pub async fn create_workflow(
    s: State,
    Q(q): Q<Overwrite>,
    Body(def): Body<WorkflowDef>,
) -> Result<()> {
    s.register_workflow_def(&def, q.overwrite.unwrap_or(false))
        .await
}

pub async fn update_workflows(s: State, Body(defs): Body<Vec<WorkflowDef>>) -> Json<BulkResponse> {
    Json(s.upsert_workflow_defs(&defs).await)
}

pub async fn validate_workflow(s: State, Body(def): Body<WorkflowDef>) -> Result<()> {
    s.validate_workflow_def(&def)
}

pub async fn list_workflows(s: State) -> Result<Json<Vec<WorkflowDef>>> {
    Ok(Json(s.workflow_defs().await?))
}

pub async fn latest_versions(s: State) -> Result<Json<Vec<WorkflowDef>>> {
    Ok(Json(s.latest_workflow_defs().await?))
}

pub async fn names(s: State) -> Result<Json<Vec<String>>> {
    Ok(Json(s.workflow_def_names().await?))
}

pub async fn names_and_versions(s: State) -> Result<Json<BTreeMap<String, Vec<DefSummary>>>> {
    Ok(Json(s.workflow_defs_by_name().await?))
}

#[derive(Deserialize)]
pub struct Version {
    version: Option<i32>,
}

pub async fn get_workflow(
    s: State,
    Path(name): Path<String>,
    Q(q): Q<Version>,
) -> Result<Json<WorkflowDef>> {
    Ok(Json(s.workflow_def(&name, q.version).await?))
}

pub async fn versions(s: State, Path(name): Path<String>) -> Result<Json<Vec<DefSummary>>> {
    Ok(Json(s.workflow_def_versions(&name).await?))
}

pub async fn delete_workflow(
    s: State,
    Path((name, version)): Path<(String, String)>,
) -> Result<()> {
    let version: i32 = version
        .parse()
        .map_err(|_| Error::bad_request(format!("Invalid workflow version: {version}")))?;
    s.delete_workflow_def(&name, version).await
}

pub async fn create_task_defs(s: State, Body(defs): Body<Vec<TaskDef>>) -> Result<()> {
    s.register_task_defs(&defs).await
}

pub async fn update_task_def(s: State, Body(def): Body<TaskDef>) -> Result<()> {
    s.update_task_def(&def).await
}

pub async fn list_task_defs(s: State) -> Result<Json<Vec<TaskDef>>> {
    Ok(Json(s.task_defs().await?))
}

/// `GET /metadata/taskdefs/{name}`: 404 "Task {name} not found" (see `Engine::task_def`).
pub async fn get_task_def(s: State, Path(name): Path<String>) -> Result<Json<TaskDef>> {
    Ok(Json(s.task_def(&name).await?))
}

pub async fn delete_task_def(s: State, Path(name): Path<String>) -> Result<()> {
    s.delete_task_def(&name).await
}

/// The tag routes of one kind of definition (Orkes): `/metadata/workflow/{name}/tags` and
/// `/metadata/task/{name}/tags`.
macro_rules! tag_routes {
    ($module:ident, $owner:expr) => {
        pub mod $module {
            use super::*;

            pub async fn list(
                s: State,
                Path(name): Path<String>,
            ) -> Result<Json<Vec<serde_json::Value>>> {
                Ok(Json(s.tags($owner, &name).await?))
            }

            pub async fn add(
                s: State,
                Path(name): Path<String>,
                Body(tag): Body<serde_json::Value>,
            ) -> Result<Reply> {
                s.add_tag($owner, &name, tag).await?;
                Ok(Reply::Ok)
            }

            pub async fn set(
                s: State,
                Path(name): Path<String>,
                Body(tags): Body<Vec<serde_json::Value>>,
            ) -> Result<Reply> {
                s.set_tags($owner, &name, tags).await?;
                Ok(Reply::Ok)
            }

            pub async fn delete(
                s: State,
                Path(name): Path<String>,
                Body(tag): Body<serde_json::Value>,
            ) -> Result<Reply> {
                s.delete_tag($owner, &name, tag).await?;
                Ok(Reply::Ok)
            }
        }
    };
}

tag_routes!(workflow_tags, TagOwner::Workflow);
tag_routes!(task_tags, TagOwner::Task);
