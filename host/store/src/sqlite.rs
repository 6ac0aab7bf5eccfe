//! The embedded SQLite store: WAL, `synchronous=FULL`, one writer connection fed by a batcher
//! that group-commits concurrent [`Commit`]s (each in its own savepoint, so one failing
//! commit does not take the others down), and a pool of readers.

use crate::{
    Claimed, Commit, DefSummary, EventRow, ExecutionWrite, IdempotencyRecord, InboxOp, OutboxRow,
    PollData, QueueOp, Result, SignalRecord, Store, StoreError, Stored, StoredSchedule, TagOwner,
    WebhookWait,
};
use async_trait::async_trait;
use fermata_core::model::events::EventHandler;
use fermata_core::model::{Task, TaskDef, TaskExecLog, Workflow, WorkflowDef, WorkflowStatus};
use fermata_core::search::{SortField, WorkflowQuery};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

#[path = "sqlite_task_search.rs"]
mod task_search;

const MAX_BATCH: usize = 128;

type Reply = oneshot::Sender<Result<()>>;

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    batches: mpsc::Sender<(Commit, Reply)>,
    /// Queue entries handed to a poller and not yet released. SQLite serves one process, so
    /// an in-memory set is a complete claim mechanism and costs no write.
    claimed: Mutex<HashMap<String, Instant>>,
}

impl SqliteStore {
    /// Open (creating the file when missing) and migrate. `url`: `sqlite://path` or
    /// `sqlite::memory:` is not supported (readers and writer must share the file).
    pub async fn open(url: &str) -> Result<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&writer).await?;
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
            return batch
                .iter()
                .map(|_| Err(StoreError::Database(clone_err(&e))))
                .collect();
        }
    };
    if let Err(e) = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
        return batch
            .iter()
            .map(|_| Err(StoreError::Database(clone_err(&e))))
            .collect();
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
        return batch
            .iter()
            .map(|_| Err(StoreError::Database(clone_err(&e))))
            .collect();
    }
    results
}

fn clone_err(e: &sqlx::Error) -> sqlx::Error {
    sqlx::Error::Protocol(e.to_string())
}

fn stored_schedule(row: &sqlx::sqlite::SqliteRow) -> Result<StoredSchedule> {
    Ok(StoredSchedule {
        schedule: parse(row.get::<&str, _>(0))?,
        next_run_at: row.get(1),
        last_slot: row.get(2),
    })
}

fn corrupt(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

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
        sqlx::query(
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
    let mut kept = HashSet::with_capacity(tasks.len());
    for task in &tasks {
        kept.insert(task.task_id.as_str());
        let task_json = serde_json::to_string(task).map_err(corrupt)?;
        if previous_tasks.get(&task.task_id) == Some(&task_json) {
            continue;
        }
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
    for gone in previous_tasks.keys().filter(|k| !kept.contains(k.as_str())) {
        sqlx::query("DELETE FROM tasks WHERE id = ?")
            .bind(gone)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM webhook_waits WHERE task_id = ?")
            .bind(gone)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Keep the webhook index in step with a task just written: a row while an open
/// WAIT_FOR_WEBHOOK task has something to match, none otherwise.
async fn index_webhook_wait(conn: &mut SqliteConnection, w: &Workflow, task: &Task) -> Result<()> {
    use fermata_core::webhook::{WAIT_FOR_WEBHOOK, wait_matches};
    if task.task_type != WAIT_FOR_WEBHOOK {
        return Ok(());
    }
    let matches = wait_matches(&task.input_data).filter(|_| !task.status.is_terminal());
    match matches {
        Some(matches) => {
            let json = serde_json::to_string(&matches).map_err(corrupt)?;
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
        None => {
            sqlx::query("DELETE FROM webhook_waits WHERE task_id = ?")
                .bind(&task.task_id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Read a few more entries than asked so ones other pollers hold can be passed over.
fn claim_window(count: u32) -> i64 {
    i64::from(count) * 2 + 16
}

/// Deepest stored JSON read back. Everything fermata writes now stays far below it (inputs
/// are limited where they enter, derived values are pruned); an older version could store
/// values deeper than serde_json's default limit of 128, which are read on a growing stack
/// instead of failing.
const MAX_READ_DEPTH: usize = 1024;

fn parse<T: serde::de::DeserializeOwned>(json: &str) -> Result<T> {
    let depth = fermata_core::limits::raw_json_depth(json.as_bytes());
    if depth > MAX_READ_DEPTH {
        return Err(StoreError::Corrupt(format!(
            "nested {depth} levels deep, more than the {MAX_READ_DEPTH} fermata reads"
        )));
    }
    let mut de = serde_json::Deserializer::from_str(json);
    de.disable_recursion_limit();
    let value = T::deserialize(serde_stacker::Deserializer::new(&mut de)).map_err(corrupt)?;
    de.end().map_err(corrupt)?;
    Ok(value)
}

/// What a search shows for an execution whose stored JSON cannot be read: its columns, and
/// why, so one bad row never fails a whole list.
/// ` AND column IN (values…)`, nothing when there are no values.
fn push_in<'a>(
    b: &mut QueryBuilder<Sqlite>,
    column: &str,
    values: impl IntoIterator<Item = &'a str>,
) {
    let values: Vec<String> = values.into_iter().map(str::to_string).collect();
    if values.is_empty() {
        return;
    }
    b.push(format!(" AND {column} IN ("));
    let mut sep = b.separated(", ");
    for v in values {
        sep.push_bind(v);
    }
    b.push(")");
}

/// ` AND column op bound` for each bound given.
fn push_bounds<const N: usize>(
    b: &mut QueryBuilder<Sqlite>,
    bounds: [(&str, &str, Option<i64>); N],
) {
    for (column, op, bound) in bounds {
        if let Some(v) = bound {
            b.push(format!(" AND {column} {op} ")).push_bind(v);
        }
    }
}

fn unreadable_summary(row: &sqlx::sqlite::SqliteRow, problem: &StoreError) -> Result<Workflow> {
    let name: String = row.get("name");
    let version: i64 = row.get("version");
    serde_json::from_value(serde_json::json!({
        "workflowId": row.get::<String, _>("id"),
        "workflowName": name,
        "workflowVersion": version,
        "status": row.get::<String, _>("status"),
        "correlationId": row.get::<Option<String>, _>("correlation_id"),
        "createTime": row.get::<i64, _>("create_time"),
        "startTime": row.get::<i64, _>("create_time"),
        "updateTime": row.get::<i64, _>("update_time"),
        "endTime": row.get::<i64, _>("end_time"),
        "reasonForIncompletion": format!("fermata cannot read this execution: {problem}"),
        "workflowDefinition": {"name": name, "version": version, "tasks": []},
    }))
    .map_err(corrupt)
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

    async fn tasks_of(&self, id: &str) -> Result<Vec<(String, String)>> {
        let rows =
            sqlx::query("SELECT id, json FROM tasks WHERE workflow_id = ? ORDER BY seq, rowid")
                .bind(id)
                .fetch_all(&self.reader)
                .await?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn put_workflow_def(&self, def: &WorkflowDef, overwrite: bool, now: i64) -> Result<()> {
        let mut def = def.clone();
        let mut tx = self.writer.begin().await?;
        let existing: Option<(i64,)> =
            sqlx::query_as("SELECT create_time FROM workflow_defs WHERE name = ? AND version = ?")
                .bind(&def.name)
                .bind(def.version)
                .fetch_optional(&mut *tx)
                .await?;
        if existing.is_some() && !overwrite {
            return Err(StoreError::AlreadyExists(format!(
                "Workflow with {}.{} already exists!",
                def.name, def.version
            )));
        }
        let create_time = existing.map_or(now, |(t,)| t);
        def.create_time = Some(create_time);
        def.update_time = existing.is_some().then_some(now);
        sqlx::query(
            "INSERT INTO workflow_defs (name, version, json, create_time, update_time) VALUES (?, ?, ?, ?, ?)
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
                    sqlx::query("SELECT json FROM workflow_defs WHERE name = ? AND version = ?")
                        .bind(name)
                        .bind(v)
                        .fetch_optional(&self.reader)
                        .await?
                }
                None => sqlx::query(
                    "SELECT json FROM workflow_defs WHERE name = ? ORDER BY version DESC LIMIT 1",
                )
                .bind(name)
                .fetch_optional(&self.reader)
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
            .fetch_all(&self.reader)
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
        let done = sqlx::query("DELETE FROM workflow_defs WHERE name = ? AND version = ?")
            .bind(name)
            .bind(version)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn put_task_def(&self, def: &TaskDef, now: i64) -> Result<()> {
        let mut def = def.clone();
        let mut tx = self.writer.begin().await?;
        let existing: Option<(i64,)> =
            sqlx::query_as("SELECT create_time FROM task_defs WHERE name = ?")
                .bind(&def.name)
                .fetch_optional(&mut *tx)
                .await?;
        let create_time = existing.map_or(now, |(t,)| t);
        def.create_time = Some(create_time);
        def.update_time = existing.is_some().then_some(now);
        sqlx::query(
            "INSERT INTO task_defs (name, json, create_time, update_time) VALUES (?, ?, ?, ?)
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
        let row = sqlx::query("SELECT json FROM task_defs WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| parse(r.get::<&str, _>(0))).transpose()
    }

    async fn task_defs(&self) -> Result<Vec<TaskDef>> {
        self.json_rows("SELECT json FROM task_defs ORDER BY name")
            .await
    }

    async fn delete_task_def(&self, name: &str) -> Result<bool> {
        self.delete_by("DELETE FROM task_defs WHERE name = ?", name)
            .await
    }

    async fn load(&self, id: &str) -> Result<Option<Stored>> {
        let Some(row) = sqlx::query("SELECT json, revision FROM executions WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?
        else {
            return Ok(None);
        };
        let mut workflow: Workflow = parse(row.get::<&str, _>(0))?;
        let revision: i64 = row.get(1);
        let tasks = self.tasks_of(id).await?;
        workflow.tasks = tasks.iter().map(|(_, j)| parse(j)).collect::<Result<_>>()?;
        workflow.inbox =
            sqlx::query("SELECT message FROM inbox WHERE workflow_id = ? ORDER BY seq")
                .bind(id)
                .fetch_all(&self.reader)
                .await?
                .iter()
                .map(|r| parse(r.get::<&str, _>(0)))
                .collect::<Result<_>>()?;
        Ok(Some(Stored {
            workflow,
            revision,
            task_json: tasks.into_iter().collect(),
        }))
    }

    async fn workflow(&self, id: &str, include_tasks: bool) -> Result<Option<Workflow>> {
        let Some(row) = sqlx::query("SELECT json FROM executions WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?
        else {
            return Ok(None);
        };
        let mut workflow: Workflow = parse(row.get::<&str, _>(0))?;
        if include_tasks {
            workflow.tasks = self
                .tasks_of(id)
                .await?
                .iter()
                .map(|(_, j)| parse(j))
                .collect::<Result<_>>()?;
        }
        Ok(Some(workflow))
    }

    async fn commit(&self, commit: Commit) -> Result<()> {
        if commit.is_empty() {
            return Ok(());
        }
        let (tx, rx) = oneshot::channel();
        self.batches
            .send((commit, tx))
            .await
            .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?;
        rx.await
            .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?
    }

    async fn remove_execution(&self, id: &str) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "DELETE FROM task_logs WHERE task_id IN (SELECT id FROM tasks WHERE workflow_id = ?)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        for table in ["tasks", "queue", "signals", "inbox", "webhook_waits"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE workflow_id = ?"
            )))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let done = sqlx::query("DELETE FROM executions WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    async fn quarantine(&self, id: &str) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE executions SET next_wake_at = NULL WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM queue WHERE workflow_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn task(&self, task_id: &str) -> Result<Option<Task>> {
        let row = sqlx::query("SELECT json FROM tasks WHERE id = ?")
            .bind(task_id)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| parse(r.get::<&str, _>(0))).transpose()
    }

    async fn search_tasks(
        &self,
        q: &fermata_core::task_search::TaskQuery,
    ) -> Result<(i64, Vec<Task>)> {
        self.find_tasks(q).await
    }

    async fn search(&self, q: &WorkflowQuery) -> Result<(i64, Vec<Workflow>)> {
        fn filter(b: &mut QueryBuilder<Sqlite>, q: &WorkflowQuery) {
            b.push(" WHERE 1 = 1");
            push_in(b, "name", q.names.iter().map(String::as_str));
            push_in(b, "status", q.statuses.iter().map(|s| s.as_str()));
            push_in(
                b,
                "correlation_id",
                q.correlation_ids.iter().map(String::as_str),
            );
            push_in(b, "id", q.workflow_ids.iter().map(String::as_str));
            push_bounds(
                b,
                [
                    ("create_time", ">=", q.start_from),
                    ("create_time", "<=", q.start_to),
                    ("update_time", ">=", q.update_from),
                    ("update_time", "<=", q.update_to),
                ],
            );
            if let Some(text) = &q.free_text {
                b.push(" AND (id LIKE ")
                    .push_bind(format!("%{text}%"))
                    .push(" OR name LIKE ")
                    .push_bind(format!("%{text}%"))
                    .push(" OR correlation_id LIKE ")
                    .push_bind(format!("%{text}%"))
                    .push(")");
            }
        }
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM executions");
        filter(&mut count, q);
        let total: i64 = count.build().fetch_one(&self.reader).await?.get(0);
        let mut page = QueryBuilder::<Sqlite>::new(
            "SELECT json, id, name, version, status, correlation_id, create_time, update_time, end_time FROM executions",
        );
        filter(&mut page, q);
        let column = match q.sort.field {
            SortField::StartTime => "create_time",
            SortField::UpdateTime => "update_time",
            SortField::EndTime => "end_time",
            SortField::WorkflowType => "name",
            SortField::Status => "status",
        };
        let dir = if q.sort.descending { "DESC" } else { "ASC" };
        page.push(format!(" ORDER BY {column} {dir}, id {dir} LIMIT "))
            .push_bind(q.limit)
            .push(" OFFSET ")
            .push_bind(q.offset);
        let rows = page.build().fetch_all(&self.reader).await?;
        let hits = rows
            .iter()
            .map(|r| parse(r.get::<&str, _>(0)).or_else(|e| unreadable_summary(r, &e)))
            .collect::<Result<_>>()?;
        Ok((total, hits))
    }

    async fn correlated(
        &self,
        name: &str,
        correlation_id: &str,
        include_closed: bool,
    ) -> Result<Vec<String>> {
        let sql = if include_closed {
            "SELECT id FROM executions WHERE name = ? AND correlation_id = ? ORDER BY create_time"
        } else {
            "SELECT id FROM executions WHERE name = ? AND correlation_id = ? AND status IN ('RUNNING', 'PAUSED') ORDER BY create_time"
        };
        let rows = sqlx::query(sql)
            .bind(name)
            .bind(correlation_id)
            .fetch_all(&self.reader)
            .await?;
        Ok(rows.into_iter().map(|r| r.get(0)).collect())
    }

    async fn running(
        &self,
        name: &str,
        version: Option<i32>,
        start: Option<i64>,
        end: Option<i64>,
    ) -> Result<Vec<String>> {
        let mut b = QueryBuilder::<Sqlite>::new(
            "SELECT id FROM executions WHERE status IN ('RUNNING', 'PAUSED') AND name = ",
        );
        b.push_bind(name);
        if let Some(v) = version {
            b.push(" AND version = ").push_bind(v);
        }
        if let Some(s) = start {
            b.push(" AND create_time >= ").push_bind(s);
        }
        if let Some(e) = end {
            b.push(" AND create_time <= ").push_bind(e);
        }
        b.push(" ORDER BY create_time");
        let rows = b.build().fetch_all(&self.reader).await?;
        Ok(rows.into_iter().map(|r| r.get(0)).collect())
    }

    async fn by_idempotency_key(
        &self,
        name: &str,
        key: &str,
    ) -> Result<Option<(String, WorkflowStatus)>> {
        let row = sqlx::query(
            "SELECT id, status FROM executions WHERE name = ? AND idempotency_key = ? ORDER BY create_time DESC LIMIT 1",
        )
        .bind(name)
        .bind(key)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| {
            let status: &str = r.get(1);
            Ok((r.get(0), status.parse().map_err(StoreError::Corrupt)?))
        })
        .transpose()
    }

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

    fn release(&self, task_ids: &[String]) {
        let mut claimed = self.claimed.lock().expect("claim set poisoned");
        for id in task_ids {
            claimed.remove(id);
        }
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

    async fn due(&self, now: i64, limit: u32) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT id FROM executions WHERE next_wake_at IS NOT NULL AND next_wake_at <= ? ORDER BY next_wake_at LIMIT ?",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(|r| r.get(0)).collect())
    }

    async fn next_due(&self) -> Result<Option<i64>> {
        Ok(
            sqlx::query("SELECT MIN(next_wake_at) FROM executions WHERE next_wake_at IS NOT NULL")
                .fetch_one(&self.reader)
                .await?
                .get(0),
        )
    }

    async fn append_task_log(&self, task_id: &str, log: &TaskExecLog) -> Result<()> {
        self.commit(Commit {
            logs: vec![(task_id.to_string(), log.clone())],
            ..Default::default()
        })
        .await
    }

    async fn task_logs(&self, task_id: &str) -> Result<Vec<TaskExecLog>> {
        let rows =
            sqlx::query("SELECT log, created_time FROM task_logs WHERE task_id = ? ORDER BY id")
                .bind(task_id)
                .fetch_all(&self.reader)
                .await?;
        Ok(rows
            .into_iter()
            .map(|r| TaskExecLog {
                log: r.get(0),
                task_id: Some(task_id.to_string()),
                created_time: r.get(1),
            })
            .collect())
    }

    async fn signals(&self, workflow_id: &str) -> Result<Vec<SignalRecord>> {
        let rows = sqlx::query(
            "SELECT id, op, at, caller, params, status, message, idempotency_key FROM signals WHERE workflow_id = ? ORDER BY id",
        )
        .bind(workflow_id)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(SignalRecord {
                    id: r.get(0),
                    workflow_id: workflow_id.to_string(),
                    op: r.get(1),
                    at: r.get(2),
                    caller: r.get(3),
                    params: parse(r.get::<&str, _>(4))?,
                    status: r.get::<i64, _>(5) as u16,
                    message: r.get(6),
                    idempotency_key: r.get(7),
                })
            })
            .collect()
    }

    async fn idempotency(&self, key: &str) -> Result<Option<IdempotencyRecord>> {
        let row = sqlx::query(
            "SELECT fingerprint, status, content_type, body, created FROM idempotency WHERE key = ?",
        )
        .bind(key)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|r| IdempotencyRecord {
            key: key.to_string(),
            fingerprint: r.get(0),
            status: r.get::<i64, _>(1) as u16,
            content_type: r.get(2),
            body: r.get(3),
            created: r.get(4),
        }))
    }

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
            (0, true) => Err(StoreError::AlreadyExists(format!(
                "Webhook with id {id} already exists"
            ))),
            (0, false) => Err(StoreError::NotFound(format!(
                "Webhook with id {id} does not exist"
            ))),
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

    async fn pending_messages(&self, limit: u32) -> Result<Vec<OutboxRow>> {
        let rows = sqlx::query("SELECT id, to_workflow_id, body FROM outbox ORDER BY id LIMIT ?")
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| OutboxRow {
                id: r.get(0),
                to_workflow_id: r.get(1),
                body: r.get(2),
            })
            .collect())
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

    async fn tags(&self, owner: TagOwner, name: &str) -> Result<Vec<serde_json::Value>> {
        let row = sqlx::query("SELECT tags FROM definition_tags WHERE kind = ? AND name = ?")
            .bind(owner.as_str())
            .bind(name)
            .fetch_optional(&self.reader)
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
            "INSERT INTO definition_tags (kind, name, tags) VALUES (?, ?, ?)
             ON CONFLICT (kind, name) DO UPDATE SET tags = excluded.tags",
        )
        .bind(owner.as_str())
        .bind(name)
        .bind(json)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn put_schedule(
        &self,
        schedule: &fermata_core::schedule::WorkflowSchedule,
        next_run_at: Option<i64>,
    ) -> Result<()> {
        let json = serde_json::to_string(schedule).map_err(corrupt)?;
        sqlx::query(
            "INSERT INTO schedules (name, json, next_run_at) VALUES (?, ?, ?)
             ON CONFLICT (name) DO UPDATE SET json = excluded.json, next_run_at = excluded.next_run_at",
        )
        .bind(&schedule.name)
        .bind(json)
        .bind(next_run_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn update_schedule_details(
        &self,
        schedule: &fermata_core::schedule::WorkflowSchedule,
    ) -> Result<bool> {
        let json = serde_json::to_string(schedule).map_err(corrupt)?;
        let done = sqlx::query("UPDATE schedules SET json = ? WHERE name = ?")
            .bind(json)
            .bind(&schedule.name)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn schedule(&self, name: &str) -> Result<Option<StoredSchedule>> {
        let row = sqlx::query("SELECT json, next_run_at, last_slot FROM schedules WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| stored_schedule(&r)).transpose()
    }

    async fn schedules(&self) -> Result<Vec<StoredSchedule>> {
        let rows = sqlx::query("SELECT json, next_run_at, last_slot FROM schedules ORDER BY name")
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(stored_schedule).collect()
    }

    async fn delete_schedule(&self, name: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM schedules WHERE name = ?")
            .bind(name)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn due_schedules(&self, now: i64, limit: u32) -> Result<Vec<StoredSchedule>> {
        let rows = sqlx::query(
            "SELECT json, next_run_at, last_slot FROM schedules WHERE next_run_at IS NOT NULL AND next_run_at <= ?
             ORDER BY next_run_at LIMIT ?",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.writer)
        .await?;
        rows.iter().map(stored_schedule).collect()
    }

    async fn next_schedule_due(&self) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT MIN(next_run_at) FROM schedules")
            .fetch_one(&self.reader)
            .await?;
        Ok(row.get::<Option<i64>, _>(0))
    }

    async fn schedule_executions(
        &self,
        schedule: Option<&str>,
        limit: u32,
    ) -> Result<Vec<fermata_core::schedule::ScheduleExecution>> {
        let rows = sqlx::query(
            "SELECT json FROM schedule_executions WHERE (? IS NULL OR schedule_name = ?)
             ORDER BY scheduled_time DESC LIMIT ?",
        )
        .bind(schedule)
        .bind(schedule)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| parse(r.get::<&str, _>(0))).collect()
    }

    async fn message_pending(&self, id: i64) -> Result<bool> {
        let row = sqlx::query("SELECT 1 FROM outbox WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.is_some())
    }

    async fn pending_events(&self, limit: u32) -> Result<Vec<EventRow>> {
        let rows = sqlx::query(
            "SELECT id, queue, message_id, payload, created FROM events WHERE processed IS NULL ORDER BY id LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(event_row).collect())
    }

    async fn mark_events_processed(&self, ids: &[i64], now: i64) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for id in ids {
            sqlx::query("UPDATE events SET processed = ? WHERE id = ?")
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
            "SELECT id, queue, message_id, payload, created FROM events WHERE queue = ? ORDER BY id DESC LIMIT ?",
        )
        .bind(queue)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(event_row).collect())
    }

    async fn put_event_handler(&self, handler: &EventHandler, create: bool) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let exists = sqlx::query("SELECT 1 FROM event_handlers WHERE name = ?")
            .bind(&handler.name)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if create && exists {
            return Err(StoreError::AlreadyExists(format!(
                "EventHandler with name {} already exists!",
                handler.name
            )));
        }
        if !create && !exists {
            return Err(StoreError::NotFound(format!(
                "EventHandler with name {} not found!",
                handler.name
            )));
        }
        sqlx::query(
            "INSERT INTO event_handlers (name, event, active, json) VALUES (?, ?, ?, ?)
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
        self.delete_by("DELETE FROM event_handlers WHERE name = ?", name)
            .await
    }

    async fn kafka_offsets(&self, topic: &str) -> Result<HashMap<i32, i64>> {
        let rows = sqlx::query("SELECT partition, next_offset FROM kafka_offsets WHERE topic = ?")
            .bind(topic)
            .fetch_all(&self.reader)
            .await?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn save_kafka_offset(&self, topic: &str, partition: i32, next_offset: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO kafka_offsets (topic, partition, next_offset) VALUES (?, ?, ?)
             ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset",
        )
        .bind(topic)
        .bind(partition)
        .bind(next_offset)
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}

fn event_row(r: sqlx::sqlite::SqliteRow) -> EventRow {
    EventRow {
        id: r.get(0),
        queue: r.get(1),
        message_id: r.get(2),
        payload: r.get(3),
        created: r.get(4),
    }
}
