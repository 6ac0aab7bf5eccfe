//! `/api/plugins`: the task types plugins provide, and registering new ones at run time.

use super::App;
use crate::error::{Error, Result};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_LENGTH;
use fermata_wasm::PluginSummary;
use tokio::sync::Semaphore;

pub async fn list(State(app): State<App>) -> Json<Vec<PluginSummary>> {
    Json(app.plugins.list())
}

pub async fn get(
    State(app): State<App>,
    Path(task_type): Path<String>,
) -> Result<Json<PluginSummary>> {
    app.plugins
        .get(&task_type)
        .map(Json)
        .ok_or_else(|| Error::not_found(format!("No plugin implements task type {task_type}")))
}

/// Plugin bodies held in memory at once, over all uploads: each upload reserves its size
/// before its body is read, so concurrent uploads cannot exhaust memory.
const UPLOAD_BUDGET_BYTES: usize = 2 * super::MAX_PLUGIN_BYTES;
/// How long an upload waits for room in the budget before it is refused.
const UPLOAD_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
const KIB: usize = 1024;

static UPLOADS: Semaphore = Semaphore::const_new(UPLOAD_BUDGET_BYTES / KIB);

/// The body is the component (`.wasm`) itself.
pub async fn put(
    State(app): State<App>,
    Path(task_type): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<PluginSummary>> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > super::MAX_PLUGIN_BYTES) {
        return Err(too_large());
    }
    let reserve = declared
        .unwrap_or(super::MAX_PLUGIN_BYTES)
        .div_ceil(KIB)
        .max(1);
    let reserved = tokio::time::timeout(UPLOAD_WAIT, UPLOADS.acquire_many(reserve as u32))
        .await
        .ok()
        .and_then(|permit| permit.ok())
        .ok_or_else(|| {
            Error::too_many("Too many plugin uploads in flight; try again in a moment")
        })?;
    let limit = declared.unwrap_or(super::MAX_PLUGIN_BYTES);
    let body = axum::body::to_bytes(body, limit).await.map_err(|e| {
        if declared.is_none() {
            too_large()
        } else {
            Error::bad_request(format!("Cannot read the plugin: {e}"))
        }
    })?;
    if body.is_empty() {
        return Err(Error::bad_request(
            "The request body must be a WebAssembly component (.wasm)",
        ));
    }
    // Registered in a task of its own, which keeps the memory reserved until compiling is
    // over: a client that hangs up mid-way must not free the budget while the work goes on.
    let plugins = app.plugins.clone();
    tokio::spawn(async move {
        let _reserved = reserved;
        plugins.register(&task_type, &body).await
    })
    .await
    .map_err(|e| Error::server(format!("registering the plugin failed: {e}")))?
    .map(Json)
}

fn too_large() -> Error {
    Error::new(
        crate::error::ErrorKind::TooLarge,
        format!("A plugin is at most {} MiB", super::MAX_PLUGIN_BYTES >> 20),
    )
}
