//! [`Queues`] for [`PgStore`]: a claim is a lease written in the entry's row, taken with
//! `FOR UPDATE SKIP LOCKED`, so concurrent pollers on any number of hosts never share an
//! entry and never wait for each other.

use super::PgStore;
use crate::{Claimed, PollData, Queues, Result};
use async_trait::async_trait;
use sqlx::Row;
use std::collections::HashMap;

/// Claim up to $4 entries visible at $3 and not leased then, among those the condition
/// (on $5) selects; lease them to $1 until $2. The candidates are a materialized CTE: as
/// `WHERE task_id IN (SELECT … LIMIT n)` the planner may run the subquery more than once
/// and lease more than `n` entries.
const CLAIM: &str = "WITH picked AS MATERIALIZED (
        SELECT task_id FROM queue
        WHERE {condition} AND visible_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
        ORDER BY visible_at, ord LIMIT $4
        FOR UPDATE SKIP LOCKED)
     UPDATE queue SET lease_owner = $1, lease_until = $2
     FROM picked WHERE queue.task_id = picked.task_id
     RETURNING queue.task_id, queue.workflow_id, queue.queue, queue.visible_at, queue.ord";

#[async_trait]
impl Queues for PgStore {
    async fn claim(
        &self,
        queue: &str,
        count: u32,
        now: i64,
        lease_ms: i64,
    ) -> Result<Vec<Claimed>> {
        self.claim_where("queue = $5", queue, count, now, lease_ms)
            .await
    }

    async fn release(&self, task_ids: &[String]) -> Result<()> {
        sqlx::query(
            "UPDATE queue SET lease_owner = NULL, lease_until = NULL
             WHERE task_id = ANY($1) AND lease_owner = $2",
        )
        .bind(task_ids)
        .bind(&self.owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn extend(&self, task_ids: &[String], now: i64, lease_ms: i64) -> Result<()> {
        sqlx::query(
            "UPDATE queue SET lease_until = $1 WHERE task_id = ANY($2) AND lease_owner = $3",
        )
        .bind(now.saturating_add(lease_ms.max(0)))
        .bind(task_ids)
        .bind(&self.owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn claim_prefix(
        &self,
        prefix: &str,
        count: u32,
        now: i64,
        lease_ms: i64,
    ) -> Result<Vec<Claimed>> {
        self.claim_where("starts_with(queue, $5)", prefix, count, now, lease_ms)
            .await
    }

    async fn queue_size(&self, queue: &str) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM queue WHERE queue = $1")
            .bind(queue)
            .fetch_one(&self.pool)
            .await?
            .get(0))
    }

    async fn queue_sizes(&self) -> Result<HashMap<String, i64>> {
        let rows = sqlx::query("SELECT queue, COUNT(*) FROM queue GROUP BY queue")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn put_poll_data(&self, polls: &[PollData]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for p in polls {
            sqlx::query(
                "INSERT INTO poll_data (task_type, domain, worker_id, last_poll_time) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (task_type, domain) DO UPDATE SET worker_id = excluded.worker_id,
                 last_poll_time = GREATEST(poll_data.last_poll_time, excluded.last_poll_time)",
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
             WHERE ($1::text IS NULL OR task_type = $1) ORDER BY task_type, domain",
        )
        .bind(task_type)
        .fetch_all(&self.pool)
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

impl PgStore {
    async fn claim_where(
        &self,
        condition: &str,
        value: &str,
        count: u32,
        now: i64,
        lease_ms: i64,
    ) -> Result<Vec<Claimed>> {
        let sql = CLAIM.replace("{condition}", condition);
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&self.owner)
            .bind(now.saturating_add(lease_ms.max(0)))
            .bind(now)
            .bind(i64::from(count))
            .bind(value)
            .fetch_all(&self.pool)
            .await?;
        let mut claimed: Vec<(i64, i64, Claimed)> = rows
            .into_iter()
            .map(|r| {
                (
                    r.get(3),
                    r.get(4),
                    Claimed {
                        task_id: r.get(0),
                        workflow_id: r.get(1),
                        queue: r.get(2),
                    },
                )
            })
            .collect();
        // RETURNING keeps no order: hand them out oldest first.
        claimed.sort_by_key(|(visible_at, ord, _)| (*visible_at, *ord));
        Ok(claimed.into_iter().map(|(_, _, c)| c).collect())
    }
}
