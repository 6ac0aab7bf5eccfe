//! [`Webhooks`] for [`SqliteStore`].

use super::{SqliteStore, parse};
use crate::rows::corrupt;
use crate::{Result, StoreError, WebhookWait, Webhooks};
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
impl Webhooks for SqliteStore {
    async fn mark_webhook_verified(&self, id: &str) -> Result<()> {
        sqlx::query(
            "UPDATE webhooks SET json = json_set(json, '$.urlVerified', json('true')) WHERE id = ?",
        )
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn put_webhook(
        &self,
        config: &fermata_core::webhook::WebhookConfig,
        create: bool,
    ) -> Result<()> {
        let id = config.id.clone().unwrap_or_default();
        let json = serde_json::to_string(config).map_err(corrupt)?;
        let sql = if create {
            "INSERT OR IGNORE INTO webhooks (id, json) VALUES (?, ?)"
        } else {
            "UPDATE webhooks SET json = ?2 WHERE id = ?1"
        };
        let done = sqlx::query(sql)
            .bind(&id)
            .bind(json)
            .execute(&self.writer)
            .await?;
        match (done.rows_affected(), create) {
            (0, true) => Err(StoreError::AlreadyExists(format!("webhook {id}"))),
            (0, false) => Err(StoreError::NotFound(format!("webhook {id}"))),
            _ => Ok(()),
        }
    }

    async fn webhook(&self, id: &str) -> Result<Option<fermata_core::webhook::WebhookConfig>> {
        let row = sqlx::query("SELECT json FROM webhooks WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| parse(r.get::<&str, _>(0))).transpose()
    }

    async fn webhooks(&self) -> Result<Vec<fermata_core::webhook::WebhookConfig>> {
        self.json_rows("SELECT json FROM webhooks ORDER BY id")
            .await
    }

    async fn delete_webhook(&self, id: &str) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM webhooks WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    async fn webhook_waits(
        &self,
        workflow_name: &str,
        version: Option<i32>,
    ) -> Result<Vec<WebhookWait>> {
        let rows = sqlx::query(
            "SELECT task_id, workflow_id, workflow_version, matches FROM webhook_waits
             WHERE workflow_name = ? AND (? IS NULL OR workflow_version = ?) ORDER BY rowid",
        )
        .bind(workflow_name)
        .bind(version)
        .bind(version)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(WebhookWait {
                    task_id: r.get(0),
                    workflow_id: r.get(1),
                    workflow_version: r.get(2),
                    matches: parse(r.get::<&str, _>(3))?,
                })
            })
            .collect()
    }

    async fn add_webhook_delivery(
        &self,
        delivery: &fermata_core::webhook::WebhookDelivery,
    ) -> Result<()> {
        let json = serde_json::to_string(delivery).map_err(corrupt)?;
        let mut tx = self.writer.begin().await?;
        sqlx::query("INSERT INTO webhook_deliveries (webhook_id, event_id, json) VALUES (?, ?, ?)")
            .bind(&delivery.webhook_id)
            .bind(&delivery.event_id)
            .bind(json)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM webhook_deliveries WHERE webhook_id = ?1 AND seq <=
             (SELECT seq FROM webhook_deliveries WHERE webhook_id = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
        )
        .bind(&delivery.webhook_id)
        .bind(crate::MAX_WEBHOOK_DELIVERIES)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn webhook_deliveries(
        &self,
        webhook_id: &str,
        limit: u32,
    ) -> Result<Vec<fermata_core::webhook::WebhookDelivery>> {
        let rows = sqlx::query(
            "SELECT json FROM webhook_deliveries WHERE webhook_id = ? ORDER BY seq DESC LIMIT ?",
        )
        .bind(webhook_id)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| parse(r.get::<&str, _>(0))).collect()
    }
}
