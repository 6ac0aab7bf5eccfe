//! [`Queues`] for [`SqliteStore`].

use super::SqliteStore;
use crate::{Claimed, PollData, Queues, Result};
use async_trait::async_trait;
use sqlx::Row;
use std::collections::HashMap;
use std::time::{Duration, Instant};

#[async_trait]
impl Queues for SqliteStore {
    async fn claim(
        &self,
        queue: &str,
        count: u32,
        now: i64,
        lease_ms: i64,
    ) -> Result<Vec<Claimed>> {
        let rows = sqlx::query(
            "SELECT task_id, workflow_id, queue FROM queue WHERE queue = ? AND visible_at <= ? ORDER BY visible_at, rowid LIMIT ?",
        )
        .bind(queue)
        .bind(now)
        .bind(claim_window(count))
        .fetch_all(&self.reader)
        .await?;
        Ok(self.take_unclaimed(rows, count, lease_ms))
    }

    async fn release(&self, task_ids: &[String]) -> Result<()> {
        let mut claimed = self.claimed.lock().expect("claim set poisoned");
        for id in task_ids {
            claimed.remove(id);
        }
        Ok(())
    }

    async fn extend(&self, task_ids: &[String], _now: i64, lease_ms: i64) -> Result<()> {
        let until = Instant::now() + Duration::from_millis(lease_ms.max(0) as u64);
        let mut claimed = self.claimed.lock().expect("claim set poisoned");
        for id in task_ids {
            if let Some(held) = claimed.get_mut(id) {
                *held = until;
            }
        }
        Ok(())
    }

    async fn claim_prefix(
        &self,
        prefix: &str,
        count: u32,
        now: i64,
        lease_ms: i64,
    ) -> Result<Vec<Claimed>> {
        let rows = sqlx::query(
            "SELECT task_id, workflow_id, queue FROM queue WHERE queue >= ? AND queue < ? AND visible_at <= ? ORDER BY visible_at, rowid LIMIT ?",
        )
        .bind(prefix)
        .bind(format!("{prefix}\u{10FFFF}"))
        .bind(now)
        .bind(claim_window(count))
        .fetch_all(&self.reader)
        .await?;
        Ok(self.take_unclaimed(rows, count, lease_ms))
    }

    async fn queue_size(&self, queue: &str) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM queue WHERE queue = ?")
            .bind(queue)
            .fetch_one(&self.reader)
            .await?
            .get(0))
    }

    async fn queue_sizes(&self) -> Result<HashMap<String, i64>> {
        let rows = sqlx::query("SELECT queue, COUNT(*) FROM queue GROUP BY queue")
            .fetch_all(&self.reader)
            .await?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn put_poll_data(&self, polls: &[PollData]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for p in polls {
            sqlx::query(
                "INSERT INTO poll_data (task_type, domain, worker_id, last_poll_time) VALUES (?, ?, ?, ?)
                 ON CONFLICT (task_type, domain) DO UPDATE SET worker_id = excluded.worker_id,
                 last_poll_time = MAX(poll_data.last_poll_time, excluded.last_poll_time)",
            )
            .bind(&p.queue_name)
            .bind(p.domain.as_deref().unwrap_or("DEFAULT"))
            .bind(&p.worker_id)
            .bind(p.last_poll_time)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn poll_data(&self, task_type: Option<&str>) -> Result<Vec<PollData>> {
        let rows = sqlx::query(
            "SELECT task_type, domain, worker_id, last_poll_time FROM poll_data
             WHERE (? IS NULL OR task_type = ?) ORDER BY task_type, domain",
        )
        .bind(task_type)
        .bind(task_type)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let domain: String = r.get(1);
                PollData {
                    queue_name: r.get(0),
                    domain: (domain != "DEFAULT").then_some(domain),
                    worker_id: r.get(2),
                    last_poll_time: r.get(3),
                }
            })
            .collect())
    }
}

impl SqliteStore {
    fn take_unclaimed(
        &self,
        rows: Vec<sqlx::sqlite::SqliteRow>,
        count: u32,
        lease_ms: i64,
    ) -> Vec<Claimed> {
        let lease = Duration::from_millis(lease_ms.max(0) as u64);
        let mut claimed = self.claimed.lock().expect("claim set poisoned");
        let now = Instant::now();
        claimed.retain(|_, until| *until > now);
        let mut out = Vec::new();
        for row in rows {
            if out.len() >= count as usize {
                break;
            }
            let task_id: String = row.get(0);
            if claimed.contains_key(&task_id) {
                continue;
            }
            claimed.insert(task_id.clone(), now + lease);
            out.push(Claimed {
                task_id,
                workflow_id: row.get(1),
                queue: row.get(2),
            });
        }
        out
    }
}

/// Read a few more entries than asked so ones other pollers hold can be passed over.
fn claim_window(count: u32) -> i64 {
    i64::from(count) * 2 + 16
}
