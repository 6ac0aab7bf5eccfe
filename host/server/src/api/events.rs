//! `/api/event`: event handlers (reference §1.5).

use super::App;
use super::extract::{Body, Q, flag};
use crate::error::Result;
use axum::Json;
use axum::extract::{Path, State};
use fermata_core::model::events::EventHandler;
use serde::Deserialize;

pub async fn add(State(app): State<App>, Body(handler): Body<EventHandler>) -> Result<()> {
    app.events.add(handler).await
}

pub async fn update(State(app): State<App>, Body(handler): Body<EventHandler>) -> Result<()> {
    app.events.update(handler).await
}

pub async fn list(State(app): State<App>) -> Result<Json<Vec<EventHandler>>> {
    Ok(Json(app.events.list(None, false).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForEvent {
    #[serde(default, deserialize_with = "flag")]
    active_only: Option<bool>,
}

pub async fn for_event(
    State(app): State<App>,
    Path(event): Path<String>,
    Q(q): Q<ForEvent>,
) -> Result<Json<Vec<EventHandler>>> {
    Ok(Json(
        app.events
            .list(Some(&event), q.active_only.unwrap_or(true))
            .await?,
    ))
}

pub async fn remove(State(app): State<App>, Path(name): Path<String>) -> Result<()> {
    app.events.remove(&name).await
}

#[derive(Deserialize)]
pub struct Count {
    count: Option<u32>,
}

/// `GET /api/queue/messages/{queue}`: the latest messages of one of fermata's own event
/// queues (what EVENT tasks published), newest first.
pub async fn queue_messages(
    State(app): State<App>,
    Path(queue): Path<String>,
    Q(q): Q<Count>,
) -> Result<Json<Vec<serde_json::Value>>> {
    let rows = app
        .events
        .queue_messages(&queue, q.count.unwrap_or(100).min(1000))
        .await?;
    Ok(Json(rows))
}
