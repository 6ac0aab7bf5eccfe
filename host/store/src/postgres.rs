//! The Postgres store, for many hosts on one database: every commit is one transaction;
//! an execution changes only from the revision it was loaded at (a second writer's commit
//! fails as a conflict and is applied again from a fresh load); queue claims are leases in
//! the rows (see `postgres/queues.rs`).
//!
//! This file opens the database and writes commits; each role is implemented in a file of
//! its own under `postgres/`, as for SQLite.

use crate::rows::{TaskChanges, WaitIndex, corrupt, task_changes, webhook_wait_of};
pub(crate) use crate::rows::{parse, push_bounds, push_contains, push_in};
use crate::{Commit, ExecutionWrite, InboxOp, QueueOp, Result, StoreError};
use fermata_core::model::{Task, Workflow};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Row};
use std::str::FromStr;
use std::time::Duration;

mod definitions;
mod events;
mod executions;
mod outbox;
mod plugins;
mod queues;
mod schedules;
mod signal_log;
mod task_search;
mod timers;
mod wakeups;
mod webhooks;

pub struct PgStore {
    pool: PgPool,
    /// This process, as the owner of the leases it takes.
    owner: String,
    /// Wakeups of durable commits, for the other hosts (see `postgres/wakeups.rs`).
    announcements: tokio::sync::mpsc::Sender<crate::Wakeup>,
    /// For the wakeup listener's own connection (outside the pool, which it would
    /// otherwise keep from closing).
    url: String,
    /// Set when the store closes: the wakeup listener stops.
    closing: tokio::sync::watch::Sender<bool>,
}

/// How the Postgres store is opened.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Connections this host keeps at most.
    pub max_connections: u32,
    /// How long to keep trying to reach the database at start.
    pub connect_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            max_connections: 16,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

impl PgStore {
    /// Connect and migrate (migrations take an advisory lock, so hosts starting together
    /// migrate once). `url`: `postgres://user:password@host:port/database`.
    pub async fn open(url: &str, options: PgOptions) -> Result<PgStore> {
        let connect = PgConnectOptions::from_str(url)
            .map_err(|e| {
                StoreError::Unreachable(format!("{} is not a Postgres URL: {e}", redact(url)))
            })?
            .log_statements(tracing::log::LevelFilter::Trace);
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(2))
            .acquire_timeout(options.connect_timeout)
            .connect_with(connect)
            .await
            .map_err(|e| {
                StoreError::Unreachable(format!(
                    "cannot reach the Postgres database {}: {e} (is it running, and are the host, port, user, password and database name right?)",
                    redact(url)
                ))
            })?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| crate::errors::migration(e, &MIGRATOR))?;
        let owner = lease_owner();
        let (announcements, pending) = tokio::sync::mpsc::channel(ANNOUNCEMENTS_QUEUED);
        tokio::spawn(wakeups::announce(pool.clone(), owner.clone(), pending));
        Ok(PgStore {
            pool,
            announcements,
            owner,
            url: url.to_string(),
            closing: tokio::sync::watch::Sender::new(false),
        })
    }

    /// Give back every lease this host still holds, so other hosts take its work at once
    /// rather than when the leases end, and close the connections.
    pub async fn close(&self) {
        let released = sqlx::query(
            "UPDATE queue SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1",
        )
        .bind(&self.owner)
        .execute(&self.pool)
        .await;
        if let Err(e) = released {
            tracing::warn!(error = %e, "releasing this host's leases failed; they end by themselves");
        }
        self.closing.send_replace(true);
        self.pool.close().await;
    }

    /// Every row's JSON column (the first) of a query, parsed; a row that cannot be read is
    /// logged and left out rather than failing the list.
    async fn json_rows<T: serde::de::DeserializeOwned>(&self, sql: &'static str) -> Result<Vec<T>> {
        let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
            .filter_map(|r| match parse(r.get::<&str, _>(0)) {
                Ok(v) => Some(v),
                Err(e) => {
                    tracing::error!(error = %e, query = sql, "a stored row cannot be read; left out");
                    None
                }
            })
            .collect())
    }

    /// Delete by key; whether something was there.
    async fn delete_by(&self, sql: &'static str, key: &str) -> Result<bool> {
        let done = sqlx::query(sql).bind(key).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn write_commit(&self, mut commit: Commit) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let wakeup = commit.wakeup.take();
        apply_commit(&mut tx, commit).await?;
        tx.commit().await?;
        if let Some(wakeup) = wakeup {
            // Announced after the commit, by the announcer, never inside it: a NOTIFY
            // takes a database-wide lock at commit, which would serialize every commit.
            let _ = self.announcements.try_send(wakeup);
        }
        Ok(())
    }
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}://{user}@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// A name for this process's leases: host, process id and start time, so a restarted host
/// does not mistake its predecessor's leases for its own.
fn lease_owner() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or_default();
    format!("{host}:{}:{started}", std::process::id())
}

/// Wakeups waiting to be announced; beyond, they are dropped (the hosts look anyway).
const ANNOUNCEMENTS_QUEUED: usize = 4096;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

async fn apply_commit(conn: &mut PgConnection, commit: Commit) -> Result<()> {
    for write in commit.executions {
        write_execution(conn, write).await?;
    }
    for op in commit.queue {
        match op {
            QueueOp::Push {
                task_id,
                queue,
                workflow_id,
                visible_at,
            } => {
                sqlx::query(
                    "INSERT INTO queue (task_id, queue, workflow_id, visible_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (task_id) DO UPDATE SET queue = excluded.queue, visible_at = excluded.visible_at",
                )
                .bind(task_id)
                .bind(queue)
                .bind(workflow_id)
                .bind(visible_at)
                .execute(&mut *conn)
                .await?;
            }
            QueueOp::Remove { task_id } => {
                sqlx::query("DELETE FROM queue WHERE task_id = $1")
                    .bind(task_id)
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    for (task_id, log) in commit.logs {
        sqlx::query("INSERT INTO task_logs (task_id, log, created_time) VALUES ($1, $2, $3)")
            .bind(task_id)
            .bind(log.log)
            .bind(log.created_time)
            .execute(&mut *conn)
            .await?;
    }
    for s in commit.signals {
        sqlx::query(
            "INSERT INTO signals (workflow_id, op, at, caller, params, status, message, idempotency_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(s.workflow_id)
        .bind(s.op)
        .bind(s.at)
        .bind(s.caller)
        .bind(s.params.to_string())
        .bind(i32::from(s.status))
        .bind(s.message)
        .bind(s.idempotency_key)
        .execute(&mut *conn)
        .await?;
    }
    for e in commit.events {
        sqlx::query(
            "INSERT INTO events (queue, message_id, payload, created)
             VALUES ($1, $2, $3, (extract(epoch from clock_timestamp()) * 1000)::bigint)",
        )
        .bind(e.queue)
        .bind(e.message_id)
        .bind(e.payload)
        .execute(&mut *conn)
        .await?;
    }
    for op in commit.inbox {
        match op {
            InboxOp::Push(message) => {
                let json = serde_json::to_string(&message).map_err(corrupt)?;
                sqlx::query("INSERT INTO inbox (workflow_id, id, message) VALUES ($1, $2, $3)")
                    .bind(&message.workflow_id)
                    .bind(&message.id)
                    .bind(json)
                    .execute(&mut *conn)
                    .await?;
            }
            InboxOp::Take {
                workflow_id,
                message_ids,
            } => {
                sqlx::query("DELETE FROM inbox WHERE workflow_id = $1 AND id = ANY($2)")
                    .bind(&workflow_id)
                    .bind(&message_ids)
                    .execute(&mut *conn)
                    .await?;
            }
            InboxOp::Clear { workflow_id } => {
                sqlx::query("DELETE FROM inbox WHERE workflow_id = $1")
                    .bind(workflow_id)
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    if let Some(fired) = commit.schedule_fired {
        let moved = sqlx::query(
            "UPDATE schedules SET next_run_at = $1, last_slot = $2 WHERE name = $3 AND next_run_at = $2",
        )
        .bind(fired.next)
        .bind(fired.slot)
        .bind(&fired.name)
        .execute(&mut *conn)
        .await?;
        if moved.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "schedule {} slot {}",
                fired.name, fired.slot
            )));
        }
        let json = serde_json::to_string(&fired.execution).map_err(corrupt)?;
        sqlx::query(
            "INSERT INTO schedule_executions (execution_id, schedule_name, scheduled_time, json) VALUES ($1, $2, $3, $4)",
        )
        .bind(&fired.execution.execution_id)
        .bind(&fired.name)
        .bind(fired.slot)
        .bind(json)
        .execute(&mut *conn)
        .await?;
        // Keep the latest firings of each schedule only.
        sqlx::query(
            "DELETE FROM schedule_executions WHERE schedule_name = $1 AND execution_id NOT IN
             (SELECT execution_id FROM schedule_executions WHERE schedule_name = $1 ORDER BY scheduled_time DESC LIMIT 100)",
        )
        .bind(&fired.name)
        .execute(&mut *conn)
        .await?;
    }
    for (to, body) in commit.messages {
        sqlx::query(
            "INSERT INTO outbox (to_workflow_id, body, created)
             VALUES ($1, $2, (extract(epoch from clock_timestamp()) * 1000)::bigint)",
        )
        .bind(to)
        .bind(body)
        .execute(&mut *conn)
        .await?;
    }
    for id in commit.delivered {
        let deleted = sqlx::query("DELETE FROM outbox WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        // Delivered by another host meanwhile: this commit must not apply it a second time.
        if deleted.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("message {id}")));
        }
    }
    if let Some(r) = commit.idempotency {
        let key = r.key.clone();
        let recorded = sqlx::query(
            "INSERT INTO idempotency (key, fingerprint, status, content_type, body, created)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO NOTHING",
        )
        .bind(r.key)
        .bind(r.fingerprint)
        .bind(i32::from(r.status))
        .bind(r.content_type)
        .bind(r.body)
        .bind(r.created)
        .execute(&mut *conn)
        .await?;
        // Answered meanwhile (by another host): this commit must not apply the request a
        // second time; the caller replays the first answer.
        if recorded.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("idempotency key {key}")));
        }
    }
    Ok(())
}

async fn write_execution(conn: &mut PgConnection, write: ExecutionWrite) -> Result<()> {
    let ExecutionWrite {
        mut workflow,
        next_wake_at,
        previous,
    } = write;
    let tasks = std::mem::take(&mut workflow.tasks);
    let json = serde_json::to_string(&workflow).map_err(corrupt)?;
    let w = &workflow;
    let id = w.workflow_id.as_str();
    let previous_tasks = match previous {
        None => {
            let inserted = sqlx::query(
                "INSERT INTO executions (id, name, version, status, correlation_id, idempotency_key, parent_id,
                    create_time, update_time, end_time, next_wake_at, revision, json)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12)
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(id)
            .bind(&w.workflow_name)
            .bind(w.workflow_version)
            .bind(w.status.as_str())
            .bind(&w.correlation_id)
            .bind(&w.idempotency_key)
            .bind(&w.parent_workflow_id)
            .bind(w.create_time)
            .bind(w.update_time)
            .bind(w.end_time)
            .bind(next_wake_at)
            .bind(&json)
            .execute(&mut *conn)
            .await?;
            if inserted.rows_affected() == 0 {
                return Err(StoreError::Conflict(id.to_string()));
            }
            Default::default()
        }
        Some(previous) => {
            let updated = sqlx::query(
                "UPDATE executions SET name = $1, version = $2, status = $3, correlation_id = $4, create_time = $5,
                    update_time = $6, end_time = $7, next_wake_at = $8, revision = revision + 1, json = $9
                 WHERE id = $10 AND revision = $11",
            )
            .bind(&w.workflow_name)
            .bind(w.workflow_version)
            .bind(w.status.as_str())
            .bind(&w.correlation_id)
            .bind(w.create_time)
            .bind(w.update_time)
            .bind(w.end_time)
            .bind(next_wake_at)
            .bind(&json)
            .bind(id)
            .bind(previous.revision)
            .execute(&mut *conn)
            .await?;
            if updated.rows_affected() == 0 {
                return Err(StoreError::Conflict(id.to_string()));
            }
            previous.task_json
        }
    };
    let TaskChanges { written, gone } = task_changes(&tasks, &previous_tasks)?;
    for (task, task_json) in written {
        sqlx::query(
            "INSERT INTO tasks (id, workflow_id, seq, json, task_type, status, scheduled_time, update_time,
                reference_name, task_def_name, workflow_type)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, json = excluded.json,
                task_type = excluded.task_type, status = excluded.status,
                scheduled_time = excluded.scheduled_time, update_time = excluded.update_time,
                reference_name = excluded.reference_name, task_def_name = excluded.task_def_name,
                workflow_type = excluded.workflow_type",
        )
        .bind(&task.task_id)
        .bind(id)
        .bind(task.seq)
        .bind(task_json)
        .bind(&task.task_type)
        .bind(task.status.as_str())
        .bind(task.scheduled_time)
        .bind(task.update_time)
        .bind(&task.reference_task_name)
        .bind(&task.task_def_name)
        .bind(&task.workflow_type)
        .execute(&mut *conn)
        .await?;
        index_webhook_wait(conn, w, task).await?;
    }
    if !gone.is_empty() {
        sqlx::query("DELETE FROM tasks WHERE id = ANY($1)")
            .bind(&gone)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM webhook_waits WHERE task_id = ANY($1)")
            .bind(&gone)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Keep the webhook index in step with a task just written.
async fn index_webhook_wait(conn: &mut PgConnection, w: &Workflow, task: &Task) -> Result<()> {
    match webhook_wait_of(task)? {
        WaitIndex::Untouched => {}
        WaitIndex::Open(json) => {
            sqlx::query(
                "INSERT INTO webhook_waits (task_id, workflow_id, workflow_name, workflow_version, matches)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (task_id) DO UPDATE SET workflow_name = excluded.workflow_name,
                    workflow_version = excluded.workflow_version, matches = excluded.matches",
            )
            .bind(&task.task_id)
            .bind(&w.workflow_id)
            .bind(&w.workflow_name)
            .bind(w.workflow_version)
            .bind(json)
            .execute(&mut *conn)
            .await?;
        }
        WaitIndex::Closed => {
            sqlx::query("DELETE FROM webhook_waits WHERE task_id = $1")
                .bind(&task.task_id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}
