//! [`Outbox`] for [`PgStore`].

use super::PgStore;
use crate::{Outbox, OutboxRow, Result};
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
impl Outbox for PgStore {
    async fn pending_messages(&self, limit: u32) -> Result<Vec<OutboxRow>> {
        let rows = sqlx::query("SELECT id, to_workflow_id, body FROM outbox ORDER BY id LIMIT $1")
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| OutboxRow {
                id: r.get(0),
                to_workflow_id: r.get(1),
                body: r.get(2),
            })
            .collect())
    }

    async fn message_pending(&self, id: i64) -> Result<bool> {
        let row = sqlx::query("SELECT 1 FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }
}
