//! [`Events`] for [`PgStore`].

use super::PgStore;
use crate::rows::corrupt;
use crate::{EventRow, Events, Result, StoreError};
use async_trait::async_trait;
use fermata_core::model::events::EventHandler;
use sqlx::Row;
use std::collections::HashMap;

#[async_trait]
impl Events for PgStore {
    async fn pending_events(&self, limit: u32) -> Result<Vec<EventRow>> {
        let rows = sqlx::query(
            "SELECT id, queue, message_id, payload, created FROM events WHERE processed IS NULL ORDER BY id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(event_row).collect())
    }

    async fn mark_events_processed(&self, ids: &[i64], now: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for id in ids {
            sqlx::query("UPDATE events SET processed = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn queue_events(&self, queue: &str, limit: u32) -> Result<Vec<EventRow>> {
        let rows = sqlx::query(
            "SELECT id, queue, message_id, payload, created FROM events WHERE queue = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(queue)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(event_row).collect())
    }

    async fn put_event_handler(&self, handler: &EventHandler, create: bool) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let exists = sqlx::query("SELECT 1 FROM event_handlers WHERE name = $1")
            .bind(&handler.name)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if create && exists {
            return Err(StoreError::AlreadyExists(format!(
                "event handler {}",
                handler.name
            )));
        }
        if !create && !exists {
            return Err(StoreError::NotFound(format!(
                "event handler {}",
                handler.name
            )));
        }
        sqlx::query(
            "INSERT INTO event_handlers (name, event, active, json) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET event = excluded.event, active = excluded.active, json = excluded.json",
        )
        .bind(&handler.name)
        .bind(&handler.event)
        .bind(handler.active)
        .bind(serde_json::to_string(handler).map_err(corrupt)?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn event_handlers(&self) -> Result<Vec<EventHandler>> {
        self.json_rows("SELECT json FROM event_handlers ORDER BY name")
            .await
    }

    async fn delete_event_handler(&self, name: &str) -> Result<bool> {
        self.delete_by("DELETE FROM event_handlers WHERE name = $1", name)
            .await
    }

    async fn kafka_offsets(&self, topic: &str) -> Result<HashMap<i32, i64>> {
        let rows = sqlx::query("SELECT partition, next_offset FROM kafka_offsets WHERE topic = $1")
            .bind(topic)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn save_kafka_offset(&self, topic: &str, partition: i32, next_offset: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO kafka_offsets (topic, partition, next_offset) VALUES ($1, $2, $3)
             ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset",
        )
        .bind(topic)
        .bind(partition)
        .bind(next_offset)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

fn event_row(r: sqlx::postgres::PgRow) -> EventRow {
    EventRow {
        id: r.get(0),
        queue: r.get(1),
        message_id: r.get(2),
        payload: r.get(3),
        created: r.get(4),
    }
}
