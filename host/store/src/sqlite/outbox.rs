//! [`Outbox`] for [`SqliteStore`].

use super::SqliteStore;
use crate::{Outbox, OutboxRow, Result};
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
impl Outbox for SqliteStore {
    async fn pending_messages(&self, limit: u32) -> Result<Vec<OutboxRow>> {
        let rows = sqlx::query("SELECT id, to_workflow_id, body FROM outbox ORDER BY id LIMIT ?")
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
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
        let row = sqlx::query("SELECT 1 FROM outbox WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.is_some())
    }
}
