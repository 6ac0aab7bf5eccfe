//! [`Timers`] for [`PgStore`].

use super::PgStore;
use crate::{Result, Timers};
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
impl Timers for PgStore {
    async fn due(&self, now: i64, limit: u32) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT id FROM executions WHERE next_wake_at IS NOT NULL AND next_wake_at <= $1 ORDER BY next_wake_at LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| r.get(0)).collect())
    }

    async fn next_due(&self) -> Result<Option<i64>> {
        Ok(
            sqlx::query("SELECT MIN(next_wake_at) FROM executions WHERE next_wake_at IS NOT NULL")
                .fetch_one(&self.pool)
                .await?
                .get(0),
        )
    }
}
