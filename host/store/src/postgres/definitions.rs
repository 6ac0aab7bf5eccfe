//! [`Definitions`] for [`PgStore`].

use super::{PgStore, parse};
use crate::rows::corrupt;
use crate::{DefSummary, Definitions, Result, StoreError, TagOwner};
use async_trait::async_trait;
use fermata_core::model::{TaskDef, WorkflowDef};
use sqlx::Row;

#[async_trait]
impl Definitions for PgStore {
    async fn put_workflow_def(&self, def: &WorkflowDef, overwrite: bool, now: i64) -> Result<()> {
        let mut def = def.clone();
        let mut tx = self.pool.begin().await?;
        let existing: Option<(i64,)> = sqlx::query_as(
            "SELECT create_time FROM workflow_defs WHERE name = $1 AND version = $2",
        )
        .bind(&def.name)
        .bind(def.version)
        .fetch_optional(&mut *tx)
        .await?;
        if existing.is_some() && !overwrite {
            return Err(StoreError::AlreadyExists(format!(
                "workflow definition {} version {}",
                def.name, def.version
            )));
        }
        let create_time = existing.map_or(now, |(t,)| t);
        def.create_time = Some(create_time);
        def.update_time = existing.is_some().then_some(now);
        sqlx::query(
            "INSERT INTO workflow_defs (name, version, json, create_time, update_time) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (name, version) DO UPDATE SET json = excluded.json, update_time = excluded.update_time",
        )
        .bind(&def.name)
        .bind(def.version)
        .bind(serde_json::to_string(&def).map_err(corrupt)?)
        .bind(create_time)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn workflow_def(&self, name: &str, version: Option<i32>) -> Result<Option<WorkflowDef>> {
        let row =
            match version {
                Some(v) => {
                    sqlx::query("SELECT json FROM workflow_defs WHERE name = $1 AND version = $2")
                        .bind(name)
                        .bind(v)
                        .fetch_optional(&self.pool)
                        .await?
                }
                None => sqlx::query(
                    "SELECT json FROM workflow_defs WHERE name = $1 ORDER BY version DESC LIMIT 1",
                )
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
            };
        row.map(|r| parse(r.get::<&str, _>(0))).transpose()
    }

    async fn workflow_defs(&self) -> Result<Vec<WorkflowDef>> {
        self.json_rows("SELECT json FROM workflow_defs ORDER BY name, version")
            .await
    }

    async fn workflow_def_versions(&self) -> Result<Vec<DefSummary>> {
        let rows = sqlx::query("SELECT name, version, create_time, update_time FROM workflow_defs ORDER BY name, version")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| DefSummary {
                name: r.get(0),
                version: r.get(1),
                create_time: r.get(2),
                update_time: r.get(3),
            })
            .collect())
    }

    async fn delete_workflow_def(&self, name: &str, version: i32) -> Result<bool> {
        let done = sqlx::query("DELETE FROM workflow_defs WHERE name = $1 AND version = $2")
            .bind(name)
            .bind(version)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn put_task_def(&self, def: &TaskDef, now: i64) -> Result<()> {
        let mut def = def.clone();
        let mut tx = self.pool.begin().await?;
        let existing: Option<(i64,)> =
            sqlx::query_as("SELECT create_time FROM task_defs WHERE name = $1")
                .bind(&def.name)
                .fetch_optional(&mut *tx)
                .await?;
        let create_time = existing.map_or(now, |(t,)| t);
        def.create_time = Some(create_time);
        def.update_time = existing.is_some().then_some(now);
        sqlx::query(
            "INSERT INTO task_defs (name, json, create_time, update_time) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET json = excluded.json, update_time = excluded.update_time",
        )
        .bind(&def.name)
        .bind(serde_json::to_string(&def).map_err(corrupt)?)
        .bind(create_time)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn task_def(&self, name: &str) -> Result<Option<TaskDef>> {
        let row = sqlx::query("SELECT json FROM task_defs WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| parse(r.get::<&str, _>(0))).transpose()
    }

    async fn task_defs(&self) -> Result<Vec<TaskDef>> {
        self.json_rows("SELECT json FROM task_defs ORDER BY name")
            .await
    }

    async fn delete_task_def(&self, name: &str) -> Result<bool> {
        self.delete_by("DELETE FROM task_defs WHERE name = $1", name)
            .await
    }

    async fn tags(&self, owner: TagOwner, name: &str) -> Result<Vec<serde_json::Value>> {
        let row = sqlx::query("SELECT tags FROM definition_tags WHERE kind = $1 AND name = $2")
            .bind(owner.as_str())
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => parse(r.get::<&str, _>(0)),
            None => Ok(Vec::new()),
        }
    }

    async fn put_tags(
        &self,
        owner: TagOwner,
        name: &str,
        tags: &[serde_json::Value],
    ) -> Result<()> {
        let json = serde_json::to_string(tags).map_err(corrupt)?;
        sqlx::query(
            "INSERT INTO definition_tags (kind, name, tags) VALUES ($1, $2, $3)
             ON CONFLICT (kind, name) DO UPDATE SET tags = excluded.tags",
        )
        .bind(owner.as_str())
        .bind(name)
        .bind(json)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
