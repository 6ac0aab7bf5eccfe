//! fermata-store: everything fermata keeps. The engine talks to [`Store`]; SQLite is the
//! embedded default ([`SqliteStore`]). A Postgres backend implements the same trait.

mod sqlite;

use async_trait::async_trait;
use fermata_core::model::events::EventHandler;
use fermata_core::model::{TaskDef, TaskExecLog, Workflow, WorkflowDef, WorkflowStatus};
use fermata_core::search::WorkflowQuery;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another writer changed the execution since it was loaded: reload and apply again.
    #[error("execution {0} was changed concurrently")]
    Conflict(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    NotFound(String),

    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Whether the same request may succeed later (the database was busy, full or
    /// unreachable), as opposed to failing the same way every time.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Conflict(_) => true,
            StoreError::Database(sqlx::Error::Database(e)) => {
                // SQLite's primary result codes: BUSY, LOCKED, IOERR, FULL, CANTOPEN.
                let code = e.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0);
                matches!(code & 0xff, 5 | 6 | 10 | 13 | 14)
            }
            StoreError::Database(
                sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed,
            ) => true,
            _ => false,
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Deliveries kept per webhook.
pub const MAX_WEBHOOK_DELIVERIES: i64 = 1000;

/// An execution as loaded, with what is needed to write back only what changed.
#[derive(Debug, Clone)]
pub struct Stored {
    pub workflow: Workflow,
    pub revision: i64,
    task_json: HashMap<String, String>,
}

impl Stored {
    pub fn into_write(self, workflow: Workflow, next_wake_at: Option<i64>) -> ExecutionWrite {
        ExecutionWrite {
            workflow,
            next_wake_at,
            previous: Some(Previous {
                revision: self.revision,
                task_json: self.task_json,
            }),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Previous {
    revision: i64,
    task_json: HashMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct ExecutionWrite {
    pub workflow: Workflow,
    pub next_wake_at: Option<i64>,
    /// `None`: a new execution.
    pub previous: Option<Previous>,
}

impl ExecutionWrite {
    pub fn new(workflow: Workflow, next_wake_at: Option<i64>) -> Self {
        ExecutionWrite {
            workflow,
            next_wake_at,
            previous: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum QueueOp {
    Push {
        task_id: String,
        queue: String,
        workflow_id: String,
        visible_at: i64,
    },
    Remove {
        task_id: String,
    },
}

/// One signal as recorded in the execution's signal log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignalRecord {
    #[serde(default)]
    pub id: i64,
    pub workflow_id: String,
    pub op: String,
    /// Epoch ms.
    pub at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    pub params: serde_json::Value,
    /// The HTTP status the caller got.
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
}

/// The first response given for an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotencyRecord {
    pub key: String,
    /// Method and path of the request that used the key first.
    pub fingerprint: String,
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    pub created: i64,
}

/// A message for one of fermata's own event queues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub queue: String,
    pub message_id: String,
    pub payload: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub id: i64,
    pub queue: String,
    pub message_id: String,
    pub payload: String,
    pub created: i64,
}

/// Everything one event changes, written in one transaction.
/// A message for another execution, as the outbox keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub to_workflow_id: String,
    /// The message as JSON (the engine's `fermata_core::Message`).
    pub body: String,
}

#[derive(Debug, Default)]
pub struct Commit {
    pub executions: Vec<ExecutionWrite>,
    pub queue: Vec<QueueOp>,
    pub logs: Vec<(String, TaskExecLog)>,
    pub signals: Vec<SignalRecord>,
    pub idempotency: Option<IdempotencyRecord>,
    pub events: Vec<NewEvent>,
    /// New messages for other executions: (receiver, JSON body).
    pub messages: Vec<(String, String)>,
    /// Outbox rows this commit applied (deleted with it, so each is applied once).
    pub delivered: Vec<i64>,
    pub inbox: Vec<InboxOp>,
    pub schedule_fired: Option<ScheduleFired>,
}

/// A schedule as kept: when it runs next (`None`: paused, or no run left) and the slot it
/// last ran.
#[derive(Debug, Clone)]
pub struct StoredSchedule {
    pub schedule: fermata_core::schedule::WorkflowSchedule,
    pub next_run_at: Option<i64>,
    pub last_slot: Option<i64>,
}

/// A schedule fired slot `slot`: it runs next at `next`. Applied only while the schedule
/// still waits for `slot` (else the commit fails as a conflict: another host fired it).
#[derive(Debug, Clone)]
pub struct ScheduleFired {
    pub name: String,
    pub slot: i64,
    pub next: Option<i64>,
    pub execution: fermata_core::schedule::ScheduleExecution,
}

/// An open WAIT_FOR_WEBHOOK task, as the webhook index keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookWait {
    pub task_id: String,
    pub workflow_id: String,
    pub workflow_version: i32,
    /// The task's resolved `matches`.
    pub matches: fermata_core::model::Json,
}

/// Who last polled a task type (in a domain) and when (Conductor's `PollData`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollData {
    pub queue_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
    pub last_poll_time: i64,
}

/// Which definitions tags belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagOwner {
    Workflow,
    Task,
}

impl TagOwner {
    pub fn as_str(self) -> &'static str {
        match self {
            TagOwner::Workflow => "workflow",
            TagOwner::Task => "task",
        }
    }
}

/// A change to a workflow's inbox.
#[derive(Debug, Clone, PartialEq)]
pub enum InboxOp {
    Push(fermata_core::model::InboxMessage),
    Take {
        workflow_id: String,
        message_ids: Vec<String>,
    },
    Clear {
        workflow_id: String,
    },
}

impl Commit {
    pub fn is_empty(&self) -> bool {
        self.executions.is_empty()
            && self.queue.is_empty()
            && self.logs.is_empty()
            && self.signals.is_empty()
            && self.idempotency.is_none()
            && self.events.is_empty()
            && self.messages.is_empty()
            && self.delivered.is_empty()
            && self.inbox.is_empty()
            && self.schedule_fired.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub task_id: String,
    pub workflow_id: String,
    pub queue: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DefSummary {
    pub name: String,
    pub version: i32,
    pub create_time: i64,
    pub update_time: i64,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    // ---- metadata ----
    /// Insert a workflow definition; `overwrite` replaces an existing name+version.
    async fn put_workflow_def(&self, def: &WorkflowDef, overwrite: bool, now: i64) -> Result<()>;
    /// `None` version: the latest.
    async fn workflow_def(&self, name: &str, version: Option<i32>) -> Result<Option<WorkflowDef>>;
    async fn workflow_defs(&self) -> Result<Vec<WorkflowDef>>;
    async fn workflow_def_versions(&self) -> Result<Vec<DefSummary>>;
    async fn delete_workflow_def(&self, name: &str, version: i32) -> Result<bool>;
    async fn put_task_def(&self, def: &TaskDef, now: i64) -> Result<()>;
    async fn task_def(&self, name: &str) -> Result<Option<TaskDef>>;
    async fn task_defs(&self) -> Result<Vec<TaskDef>>;
    async fn delete_task_def(&self, name: &str) -> Result<bool>;

    // ---- executions ----
    /// Load an execution with its tasks, ready to be changed and written back.
    async fn load(&self, id: &str) -> Result<Option<Stored>>;
    /// Read an execution for display.
    async fn workflow(&self, id: &str, include_tasks: bool) -> Result<Option<Workflow>>;
    /// Apply a commit atomically. Fails with [`StoreError::Conflict`] (and writes nothing)
    /// when an execution changed since it was loaded.
    async fn commit(&self, commit: Commit) -> Result<()>;
    async fn remove_execution(&self, id: &str) -> Result<bool>;
    /// Stop handing out work for an execution whose stored data cannot be read: no more
    /// timer wake-ups, no queue entries. Its rows stay for an operator to inspect.
    async fn quarantine(&self, id: &str) -> Result<()>;
    async fn task(&self, task_id: &str) -> Result<Option<fermata_core::model::Task>>;
    async fn search(&self, query: &WorkflowQuery) -> Result<(i64, Vec<Workflow>)>;
    /// Tasks of every execution matching the query: the total and one page.
    async fn search_tasks(
        &self,
        query: &fermata_core::task_search::TaskQuery,
    ) -> Result<(i64, Vec<fermata_core::model::Task>)>;
    async fn correlated(
        &self,
        name: &str,
        correlation_id: &str,
        include_closed: bool,
    ) -> Result<Vec<String>>;
    async fn running(
        &self,
        name: &str,
        version: Option<i32>,
        start: Option<i64>,
        end: Option<i64>,
    ) -> Result<Vec<String>>;
    async fn by_idempotency_key(
        &self,
        name: &str,
        key: &str,
    ) -> Result<Option<(String, WorkflowStatus)>>;

    // ---- queues and timers ----
    /// Up to `count` visible entries of `queue` that no other poller holds, held for this
    /// caller until [`Store::release`] (or until `lease_ms` passes, should it never come).
    async fn claim(&self, queue: &str, count: u32, now: i64, lease_ms: i64)
    -> Result<Vec<Claimed>>;
    fn release(&self, task_ids: &[String]);
    /// Like [`Store::claim`], over every queue whose name starts with `prefix`.
    async fn claim_prefix(
        &self,
        prefix: &str,
        count: u32,
        now: i64,
        lease_ms: i64,
    ) -> Result<Vec<Claimed>>;
    async fn queue_size(&self, queue: &str) -> Result<i64>;
    async fn queue_sizes(&self) -> Result<HashMap<String, i64>>;
    /// Executions whose `next_wake_at` has come.
    async fn due(&self, now: i64, limit: u32) -> Result<Vec<String>>;
    async fn next_due(&self) -> Result<Option<i64>>;

    // ---- logs, signals, idempotency ----
    async fn append_task_log(&self, task_id: &str, log: &TaskExecLog) -> Result<()>;
    async fn task_logs(&self, task_id: &str) -> Result<Vec<TaskExecLog>>;
    async fn signals(&self, workflow_id: &str) -> Result<Vec<SignalRecord>>;
    async fn idempotency(&self, key: &str) -> Result<Option<IdempotencyRecord>>;

    // ---- messages between executions ----
    /// Undelivered messages, oldest first.
    async fn pending_messages(&self, limit: u32) -> Result<Vec<OutboxRow>>;
    /// Whether message `id` is still undelivered.
    async fn message_pending(&self, id: i64) -> Result<bool>;

    // ---- poll data and tags ----
    async fn put_poll_data(&self, polls: &[PollData]) -> Result<()>;
    /// Every task type's (`None`), or one's.
    async fn poll_data(&self, task_type: Option<&str>) -> Result<Vec<PollData>>;
    async fn tags(&self, owner: TagOwner, name: &str) -> Result<Vec<serde_json::Value>>;
    async fn put_tags(&self, owner: TagOwner, name: &str, tags: &[serde_json::Value])
    -> Result<()>;

    // ---- schedules ----
    /// Create or replace; `next_run_at` as computed by the caller (`None`: paused).
    async fn put_schedule(
        &self,
        schedule: &fermata_core::schedule::WorkflowSchedule,
        next_run_at: Option<i64>,
    ) -> Result<()>;
    /// Change what is kept of an existing schedule (its tags, ...) and nothing about when
    /// it fires: a slot that fires meanwhile stays fired.
    async fn update_schedule_details(
        &self,
        schedule: &fermata_core::schedule::WorkflowSchedule,
    ) -> Result<bool>;
    async fn schedule(&self, name: &str) -> Result<Option<StoredSchedule>>;
    async fn schedules(&self) -> Result<Vec<StoredSchedule>>;
    async fn delete_schedule(&self, name: &str) -> Result<bool>;
    /// Schedules whose next run has come.
    async fn due_schedules(&self, now: i64, limit: u32) -> Result<Vec<StoredSchedule>>;
    async fn next_schedule_due(&self) -> Result<Option<i64>>;
    /// Firings, newest first.
    async fn schedule_executions(
        &self,
        schedule: Option<&str>,
        limit: u32,
    ) -> Result<Vec<fermata_core::schedule::ScheduleExecution>>;

    // ---- incoming webhooks ----
    /// Set `urlVerified` on a stored webhook, leaving the rest as it is now.
    async fn mark_webhook_verified(&self, id: &str) -> Result<()>;
    /// `create`: fail with [`StoreError::AlreadyExists`] if the id is taken; otherwise fail
    /// with [`StoreError::NotFound`] if it is not.
    async fn put_webhook(
        &self,
        config: &fermata_core::webhook::WebhookConfig,
        create: bool,
    ) -> Result<()>;
    async fn webhook(&self, id: &str) -> Result<Option<fermata_core::webhook::WebhookConfig>>;
    async fn webhooks(&self) -> Result<Vec<fermata_core::webhook::WebhookConfig>>;
    /// The webhook and its deliveries.
    async fn delete_webhook(&self, id: &str) -> Result<bool>;
    /// The open WAIT_FOR_WEBHOOK tasks of executions of `workflow_name` (`None` version:
    /// any), from the index the commits keep.
    async fn webhook_waits(
        &self,
        workflow_name: &str,
        version: Option<i32>,
    ) -> Result<Vec<WebhookWait>>;
    /// Record a delivery, keeping the latest [`MAX_WEBHOOK_DELIVERIES`] of its webhook.
    async fn add_webhook_delivery(
        &self,
        delivery: &fermata_core::webhook::WebhookDelivery,
    ) -> Result<()>;
    /// A webhook's deliveries, newest first.
    async fn webhook_deliveries(
        &self,
        webhook_id: &str,
        limit: u32,
    ) -> Result<Vec<fermata_core::webhook::WebhookDelivery>>;

    // ---- plugins ----
    async fn put_plugin(&self, task_type: &str, wasm: &[u8], sha256: &str, now: i64) -> Result<()>;
    /// Every plugin registered at run time: (task type, component bytes).
    async fn stored_plugins(&self) -> Result<Vec<(String, Vec<u8>)>>;

    // ---- event queues and handlers ----
    async fn pending_events(&self, limit: u32) -> Result<Vec<EventRow>>;
    async fn mark_events_processed(&self, ids: &[i64], now: i64) -> Result<()>;
    /// Messages of one queue, newest first (for inspection).
    async fn queue_events(&self, queue: &str, limit: u32) -> Result<Vec<EventRow>>;
    /// `create`: fail if it exists; otherwise fail if it does not.
    async fn put_event_handler(&self, handler: &EventHandler, create: bool) -> Result<()>;
    async fn event_handlers(&self) -> Result<Vec<EventHandler>>;
    async fn delete_event_handler(&self, name: &str) -> Result<bool>;
    async fn kafka_offsets(&self, topic: &str) -> Result<HashMap<i32, i64>>;
    async fn save_kafka_offset(&self, topic: &str, partition: i32, next_offset: i64) -> Result<()>;
}
