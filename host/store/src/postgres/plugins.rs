//! [`Plugins`] for [`PgStore`].

use super::PgStore;
use crate::{Plugins, Result};
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
impl Plugins for PgStore {
    async fn put_plugin(&self, task_type: &str, wasm: &[u8], sha256: &str, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO plugins (task_type, wasm, sha256, created) VALUES ($1, $2, $3, $4)
             ON CONFLICT (task_type) DO UPDATE SET wasm = excluded.wasm, sha256 = excluded.sha256, created = excluded.created",
        )
        .bind(task_type)
        .bind(wasm)
        .bind(sha256)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn stored_plugins(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let rows = sqlx::query("SELECT task_type, wasm FROM plugins ORDER BY task_type")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn plugin_digests(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT task_type, sha256 FROM plugins ORDER BY task_type")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}
