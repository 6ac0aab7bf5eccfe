//! [`SignalLog`] for [`PgStore`].

use super::{PgStore, parse};
use crate::{IdempotencyRecord, Result, SignalLog, SignalRecord};
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
impl SignalLog for PgStore {
    async fn signals(&self, workflow_id: &str) -> Result<Vec<SignalRecord>> {
        let rows = sqlx::query(
            "SELECT id, op, at, caller, params, status, message, idempotency_key FROM signals WHERE workflow_id = $1 ORDER BY id",
        )
        .bind(workflow_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(SignalRecord {
                    id: r.get(0),
                    workflow_id: workflow_id.to_string(),
                    op: r.get(1),
                    at: r.get(2),
                    caller: r.get(3),
                    params: parse(r.get::<&str, _>(4))?,
                    status: r.get::<i32, _>(5) as u16,
                    message: r.get(6),
                    idempotency_key: r.get(7),
                })
            })
            .collect()
    }

    async fn idempotency(&self, key: &str) -> Result<Option<IdempotencyRecord>> {
        let row = sqlx::query(
            "SELECT fingerprint, status, content_type, body, created FROM idempotency WHERE key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| IdempotencyRecord {
            key: key.to_string(),
            fingerprint: r.get(0),
            status: r.get::<i32, _>(1) as u16,
            content_type: r.get(2),
            body: r.get(3),
            created: r.get(4),
        }))
    }
}
