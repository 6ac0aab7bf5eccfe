//! The embedded SQLite store: WAL, `synchronous=FULL`, one writer connection fed by a batcher
//! that group-commits concurrent [`Commit`]s (each in its own savepoint, so one failing
//! commit does not take the others down), and a pool of readers.
//!
//! This file opens the database and writes commits; each role of the store is implemented
//! in a file of its own under `sqlite/` (`executions.rs`, `queues.rs`, ...).

use crate::rows::{TaskChanges, WaitIndex, corrupt, task_changes, webhook_wait_of};
pub(crate) use crate::rows::{closed, parse, push_bounds, push_contains, push_in};
use crate::{Commit, ExecutionWrite, InboxOp, QueueOp, Result, StoreError};
use fermata_core::model::{Task, Workflow};
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

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

const MAX_BATCH: usize = 128;

type Reply = oneshot::Sender<Result<()>>;

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    batches: mpsc::Sender<(Commit, Reply)>,
    /// Queue entries handed to a poller and not yet released. SQLite serves one process, so
    /// an in-memory set is a complete claim mechanism and costs no write.
    claimed: Mutex<HashMap<String, Instant>>,
    /// Held while open: a SQLite file serves one process, so a second fermata on the same
    /// file is refused rather than handing out the same tasks (the claims above are this
    /// process's memory). The kernel drops the lock when the process ends, however it ends.
    _exclusive: std::fs::File,
}

impl SqliteStore {
    /// Open (creating the file when missing) and migrate. `url`: `sqlite://path` or
    /// `sqlite::memory:` is not supported (readers and writer must share the file).
    pub async fn open(url: &str) -> Result<SqliteStore> {
        let unreachable = |e: sqlx::Error| {
            StoreError::Unreachable(format!(
                "cannot open the SQLite database {url}: {e} (is the path right, and its directory there and writable?)"
            ))
        };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unreachable(format!("{url} is not a SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30));
        let exclusive = lock_exclusively(options.get_filename(), url)?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.clone())
            .await
            .map_err(unreachable)?;
        MIGRATOR
            .run(&writer)
            .await
            .map_err(|e| crate::errors::migration(e, &MIGRATOR))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.read_only(true))
            .await?;
        let (batches, rx) = mpsc::channel(4096);
        tokio::spawn(batcher(writer.clone(), rx));
        Ok(SqliteStore {
            writer,
            reader,
            batches,
            claimed: Mutex::new(HashMap::new()),
            _exclusive: exclusive,
        })
    }

    /// Checkpoint the WAL and close every connection.
    pub async fn close(&self) {
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.writer)
            .await;
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// Lock `<database>.lock` beside the database file for this process.
fn lock_exclusively(database: &std::path::Path, url: &str) -> Result<std::fs::File> {
    let mut path = database.as_os_str().to_owned();
    path.push(".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| {
            StoreError::Unreachable(format!(
                "cannot open the SQLite database {url}: {e} (is the path right, and its directory there and writable?)"
            ))
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Unreachable(format!(
            "the SQLite database {url} is in use by another fermata: a SQLite file serves one host; to run several, share a Postgres database (--database-url postgres://...)"
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Unreachable(format!(
            "cannot lock the SQLite database {url}: {e}"
        ))),
    }
}

/// Group commit: take every commit waiting, write them in one transaction, each inside a
/// savepoint, and answer each with its own result once the transaction is durable.
async fn batcher(pool: SqlitePool, mut rx: mpsc::Receiver<(Commit, Reply)>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let outcome = write_batch(&pool, &mut batch).await;
        for (result, (_, reply)) in outcome.into_iter().zip(batch) {
            let _ = reply.send(result);
        }
    }
}

async fn write_batch(pool: &SqlitePool, batch: &mut [(Commit, Reply)]) -> Vec<Result<()>> {
    let mut conn = match pool.acquire().await {
        Ok(conn) => conn,
        Err(e) => {
            return batch.iter().map(|_| Err(StoreError::from(&e))).collect();
        }
    };
    if let Err(e) = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
        return batch.iter().map(|_| Err(StoreError::from(&e))).collect();
    }
    let mut results = Vec::with_capacity(batch.len());
    for (commit, _) in batch.iter_mut() {
        let commit = std::mem::take(commit);
        let result = async {
            sqlx::query("SAVEPOINT c").execute(&mut *conn).await?;
            match apply_commit(&mut conn, commit).await {
                Ok(()) => {
                    sqlx::query("RELEASE c").execute(&mut *conn).await?;
                    Ok(())
                }
                Err(e) => {
                    sqlx::query("ROLLBACK TO c").execute(&mut *conn).await?;
                    sqlx::query("RELEASE c").execute(&mut *conn).await?;
                    Err(e)
                }
            }
        }
        .await;
        results.push(result);
    }
    if let Err(e) = sqlx::query("COMMIT").execute(&mut *conn).await {
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        return batch.iter().map(|_| Err(StoreError::from(&e))).collect();
    }
    results
}

/// The migrations this fermata knows.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

async fn apply_commit(conn: &mut SqliteConnection, commit: Commit) -> Result<()> {
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
                    "INSERT INTO queue (task_id, queue, workflow_id, visible_at) VALUES (?, ?, ?, ?)
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
                sqlx::query("DELETE FROM queue WHERE task_id = ?")
                    .bind(task_id)
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    for (task_id, log) in commit.logs {
        sqlx::query("INSERT INTO task_logs (task_id, log, created_time) VALUES (?, ?, ?)")
            .bind(task_id)
            .bind(log.log)
            .bind(log.created_time)
            .execute(&mut *conn)
            .await?;
    }
    for s in commit.signals {
        sqlx::query(
            "INSERT INTO signals (workflow_id, op, at, caller, params, status, message, idempotency_key)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(s.workflow_id)
        .bind(s.op)
        .bind(s.at)
        .bind(s.caller)
        .bind(s.params.to_string())
        .bind(i64::from(s.status))
        .bind(s.message)
        .bind(s.idempotency_key)
        .execute(&mut *conn)
        .await?;
    }
    for e in commit.events {
        sqlx::query("INSERT INTO events (queue, message_id, payload, created) VALUES (?, ?, ?, strftime('%s','now') * 1000)")
            .bind(e.queue)
            .bind(e.message_id)
            .bind(e.payload)
            .execute(&mut *conn)
            .await?;
    }
    for op in commit.inbox {
        match op {
            InboxOp::Push(message) => {
                let json = serde_json::to_string(&message)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                sqlx::query("INSERT INTO inbox (workflow_id, id, message) VALUES (?, ?, ?)")
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
                for id in message_ids {
                    sqlx::query("DELETE FROM inbox WHERE workflow_id = ? AND id = ?")
                        .bind(&workflow_id)
                        .bind(id)
                        .execute(&mut *conn)
                        .await?;
                }
            }
            InboxOp::Clear { workflow_id } => {
                sqlx::query("DELETE FROM inbox WHERE workflow_id = ?")
                    .bind(workflow_id)
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    if let Some(fired) = commit.schedule_fired {
        let moved = sqlx::query(
            "UPDATE schedules SET next_run_at = ?, last_slot = ? WHERE name = ? AND next_run_at = ?",
        )
        .bind(fired.next)
        .bind(fired.slot)
        .bind(&fired.name)
        .bind(fired.slot)
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
            "INSERT INTO schedule_executions (execution_id, schedule_name, scheduled_time, json) VALUES (?, ?, ?, ?)",
        )
        .bind(&fired.execution.execution_id)
        .bind(&fired.name)
        .bind(fired.slot)
        .bind(json)
        .execute(&mut *conn)
        .await?;
        // Keep the latest firings of each schedule only.
        sqlx::query(
            "DELETE FROM schedule_executions WHERE schedule_name = ? AND execution_id NOT IN
             (SELECT execution_id FROM schedule_executions WHERE schedule_name = ? ORDER BY scheduled_time DESC LIMIT 100)",
        )
        .bind(&fired.name)
        .bind(&fired.name)
        .execute(&mut *conn)
        .await?;
    }
    for (to, body) in commit.messages {
        sqlx::query(
            "INSERT INTO outbox (to_workflow_id, body, created) VALUES (?, ?, strftime('%s','now') * 1000)",
        )
        .bind(to)
        .bind(body)
        .execute(&mut *conn)
        .await?;
    }
    for id in commit.delivered {
        let deleted = sqlx::query("DELETE FROM outbox WHERE id = ?")
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
            "INSERT OR IGNORE INTO idempotency (key, fingerprint, status, content_type, body, created)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(r.key)
        .bind(r.fingerprint)
        .bind(i64::from(r.status))
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

async fn write_execution(conn: &mut SqliteConnection, write: ExecutionWrite) -> Result<()> {
    let ExecutionWrite {
        mut workflow,
        next_wake_at,
        previous,
    } = write;
    let tasks = std::mem::take(&mut workflow.tasks);
    let json = serde_json::to_string(&workflow).map_err(corrupt)?;
    let w = &workflow;
    let id = w.workflow_id.as_str();
    let mut previous_tasks = HashMap::new();
    match previous {
        None => {
            let inserted = sqlx::query(
                "INSERT OR IGNORE INTO executions (id, name, version, status, correlation_id, idempotency_key, parent_id,
                    create_time, update_time, end_time, next_wake_at, revision, json)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
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
        }
        Some(previous) => {
            let updated = sqlx::query(
                "UPDATE executions SET name = ?, version = ?, status = ?, correlation_id = ?, create_time = ?,
                    update_time = ?, end_time = ?, next_wake_at = ?, revision = revision + 1, json = ?
                 WHERE id = ? AND revision = ?",
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
            previous_tasks = previous.task_json;
        }
    }
    let TaskChanges { written, gone } = task_changes(&tasks, &previous_tasks)?;
    for (task, task_json) in written {
        sqlx::query(
            "INSERT INTO tasks (id, workflow_id, seq, json) VALUES (?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, json = excluded.json",
        )
        .bind(&task.task_id)
        .bind(id)
        .bind(task.seq)
        .bind(task_json)
        .execute(&mut *conn)
        .await?;
        index_webhook_wait(conn, w, task).await?;
    }
    for gone in gone {
        sqlx::query("DELETE FROM tasks WHERE id = ?")
            .bind(&gone)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM webhook_waits WHERE task_id = ?")
            .bind(&gone)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Keep the webhook index in step with a task just written: a row while an open
/// WAIT_FOR_WEBHOOK task has something to match, none otherwise.
async fn index_webhook_wait(conn: &mut SqliteConnection, w: &Workflow, task: &Task) -> Result<()> {
    match webhook_wait_of(task)? {
        WaitIndex::Untouched => {}
        WaitIndex::Open(json) => {
            sqlx::query(
                "INSERT INTO webhook_waits (task_id, workflow_id, workflow_name, workflow_version, matches)
                 VALUES (?, ?, ?, ?, ?)
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
            sqlx::query("DELETE FROM webhook_waits WHERE task_id = ?")
                .bind(&task.task_id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

impl SqliteStore {
    /// Every row's JSON column (the first) of a query, parsed; a row that cannot be read is
    /// logged and left out rather than failing the list.
    async fn json_rows<T: serde::de::DeserializeOwned>(&self, sql: &'static str) -> Result<Vec<T>> {
        let rows = sqlx::query(sql).fetch_all(&self.reader).await?;
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
        let done = sqlx::query(sql).bind(key).execute(&self.writer).await?;
        Ok(done.rows_affected() > 0)
    }
}
