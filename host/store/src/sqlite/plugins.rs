//! [`Plugins`] for [`SqliteStore`].

use super::SqliteStore;
use crate::{Plugins, Result};
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
impl Plugins for SqliteStore {
    async fn put_plugin(&self, task_type: &str, wasm: &[u8], sha256: &str, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO plugins (task_type, wasm, sha256, created) VALUES (?, ?, ?, ?)
             ON CONFLICT (task_type) DO UPDATE SET wasm = excluded.wasm, sha256 = excluded.sha256, created = excluded.created",
        )
        .bind(task_type)
        .bind(wasm)
        .bind(sha256)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn stored_plugins(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let rows = sqlx::query("SELECT task_type, wasm FROM plugins ORDER BY task_type")
            .fetch_all(&self.reader)
            .await?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn plugin_digests(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT task_type, sha256 FROM plugins ORDER BY task_type")
            .fetch_all(&self.reader)
            .await?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}
