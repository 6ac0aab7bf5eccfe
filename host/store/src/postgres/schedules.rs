//! [`Schedules`] for [`PgStore`].

use super::{PgStore, parse};
use crate::rows::corrupt;
use crate::{Result, Schedules, StoredSchedule};
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
impl Schedules for PgStore {
    async fn put_schedule(
        &self,
        schedule: &fermata_core::schedule::WorkflowSchedule,
        next_run_at: Option<i64>,
    ) -> Result<()> {
        let json = serde_json::to_string(schedule).map_err(corrupt)?;
        sqlx::query(
            "INSERT INTO schedules (name, json, next_run_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET json = excluded.json, next_run_at = excluded.next_run_at",
        )
        .bind(&schedule.name)
        .bind(json)
        .bind(next_run_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn update_schedule_details(
        &self,
        schedule: &fermata_core::schedule::WorkflowSchedule,
    ) -> Result<bool> {
        let json = serde_json::to_string(schedule).map_err(corrupt)?;
        let done = sqlx::query("UPDATE schedules SET json = $1 WHERE name = $2")
            .bind(json)
            .bind(&schedule.name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn schedule(&self, name: &str) -> Result<Option<StoredSchedule>> {
        let row = sqlx::query("SELECT json, next_run_at, last_slot FROM schedules WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| stored_schedule(&r)).transpose()
    }

    async fn schedules(&self) -> Result<Vec<StoredSchedule>> {
        let rows = sqlx::query("SELECT json, next_run_at, last_slot FROM schedules ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(stored_schedule).collect()
    }

    async fn delete_schedule(&self, name: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM schedules WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn due_schedules(&self, now: i64, limit: u32) -> Result<Vec<StoredSchedule>> {
        let rows = sqlx::query(
            "SELECT json, next_run_at, last_slot FROM schedules WHERE next_run_at IS NOT NULL AND next_run_at <= $1
             ORDER BY next_run_at LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(stored_schedule).collect()
    }

    async fn next_schedule_due(&self) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT MIN(next_run_at) FROM schedules")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.get::<Option<i64>, _>(0))
    }

    async fn schedule_executions(
        &self,
        schedule: Option<&str>,
        limit: u32,
    ) -> Result<Vec<fermata_core::schedule::ScheduleExecution>> {
        let rows = sqlx::query(
            "SELECT json FROM schedule_executions WHERE ($1 IS NULL OR schedule_name = $2)
             ORDER BY scheduled_time DESC LIMIT $3",
        )
        .bind(schedule)
        .bind(schedule)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| parse(r.get::<&str, _>(0))).collect()
    }
}

fn stored_schedule(row: &sqlx::postgres::PgRow) -> Result<StoredSchedule> {
    Ok(StoredSchedule {
        schedule: parse(row.get::<&str, _>(0))?,
        next_run_at: row.get(1),
        last_slot: row.get(2),
    })
}
