//! `/api/plugins`: the task types plugins provide, and registering new ones at run time.

use super::App;
use crate::error::{Error, Result};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use fermata_wasm::PluginSummary;

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

/// The body is the component (`.wasm`) itself.
pub async fn put(
    State(app): State<App>,
    Path(task_type): Path<String>,
    body: std::result::Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<PluginSummary>> {
    let body = body.map_err(|e| {
        Error::new(
            e.status().as_u16(),
            format!("Cannot read the plugin: {}", e.body_text()),
        )
    })?;
    if body.is_empty() {
        return Err(Error::bad_request(
            "The request body must be a WebAssembly component (.wasm)",
        ));
    }
    Ok(Json(app.plugins.register(&task_type, &body).await?))
}
