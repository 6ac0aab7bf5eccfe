//! Incoming webhooks (Orkes): configs under `/api/metadata/webhook`, deliveries at
//! `/webhook/{id}` (Orkes' path, outside `/api`) and `/api/webhook/{id}` (OSS's).

use super::State;
use super::extract::{Body, Q, Raw};
use crate::engine::{Call, Delivery, Reply};
use crate::error::{Error, Result};
use axum::Json;
use axum::extract::{Path, RawQuery};
use axum::http::HeaderMap;
use fermata_core::model::Json as JsonMap;
use fermata_core::webhook::{WebhookConfig, WebhookDelivery};
use serde::Deserialize;

pub async fn create(s: State, Body(config): Body<WebhookConfig>) -> Result<Json<WebhookConfig>> {
    Ok(Json(s.create_webhook(config).await?))
}

pub async fn list(s: State) -> Result<Json<Vec<WebhookConfig>>> {
    Ok(Json(s.list_webhooks().await?))
}

pub async fn get(s: State, Path(id): Path<String>) -> Result<Json<WebhookConfig>> {
    Ok(Json(s.get_webhook(&id).await?))
}

pub async fn update(
    s: State,
    Path(id): Path<String>,
    Body(config): Body<WebhookConfig>,
) -> Result<Json<WebhookConfig>> {
    Ok(Json(s.update_webhook(&id, config).await?))
}

pub async fn delete(s: State, Path(id): Path<String>) -> Result<Reply> {
    s.delete_webhook(&id).await?;
    Ok(Reply::Ok)
}

#[derive(Deserialize)]
pub struct DeliveriesQuery {
    limit: Option<u32>,
}

/// fermata's own: Orkes has no route for a webhook's deliveries.
pub async fn deliveries(
    s: State,
    Path(id): Path<String>,
    Q(q): Q<DeliveriesQuery>,
) -> Result<Json<Vec<WebhookDelivery>>> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(s.webhook_deliveries(&id, limit).await?))
}

/// `POST /webhook/{id}`: 200 with the delivery's id; 401 when its signature or token is
/// wrong; 404 for an unknown webhook.
pub async fn receive(
    s: State,
    Path(id): Path<String>,
    call: Call,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    Raw(body): Raw,
) -> Result<Reply> {
    let headers = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
            .map_err(|e| Error::bad_request(format!("Invalid query parameters: {e}")))?;
    let mut query = JsonMap::new();
    for (k, v) in pairs {
        query.entry(k).or_insert(v.into());
    }
    let delivery = Delivery {
        headers,
        query,
        body: body.to_vec(),
        caller: call.caller,
    };
    s.receive_webhook(&id, delivery).await
}
