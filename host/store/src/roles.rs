//! What the engine asks of the store, split by role: each part of the engine needs only
//! the roles it uses. [`Store`] is all of them together (what a backend implements).

use crate::{
    Claimed, Commit, DefSummary, EventRow, IdempotencyRecord, OutboxRow, PollData, Result,
    SignalRecord, Stored, StoredSchedule, TagOwner, Wakeup, WebhookWait,
};
use async_trait::async_trait;
use fermata_core::model::events::EventHandler;
use fermata_core::model::{TaskDef, TaskExecLog, Workflow, WorkflowDef, WorkflowStatus};
use fermata_core::search::WorkflowQuery;
use std::collections::HashMap;

/// Everything fermata keeps: every role. Implemented for whatever implements them all.
pub trait Store:
    Executions
    + Queues
    + Timers
    + Definitions
    + SignalLog
    + Outbox
    + Schedules
    + Webhooks
    + Plugins
    + Events
    + Wakeups
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: Executions
        + Queues
        + Timers
        + Definitions
        + SignalLog
        + Outbox
        + Schedules
        + Webhooks
        + Plugins
        + Events
        + Wakeups
        + Send
        + Sync
        + 'static
{
}

/// Executions: loading, committing (every change an event makes, in one transaction),
/// reading and searching them and their tasks.
#[async_trait]
pub trait Executions: Send + Sync {
    /// Load an execution with its tasks, ready to be changed and written back.
    async fn load(&self, id: &str) -> Result<Option<Stored>>;
    /// Read an execution for display.
    async fn workflow(&self, id: &str, include_tasks: bool) -> Result<Option<Workflow>>;
    /// Apply a commit atomically. Fails with [`StoreError::Conflict`](crate::StoreError::Conflict)
    /// (and writes nothing) when an execution changed since it was loaded.
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
    async fn append_task_log(&self, task_id: &str, log: &TaskExecLog) -> Result<()>;
    async fn task_logs(&self, task_id: &str) -> Result<Vec<TaskExecLog>>;
}

/// Task queues (filled by commits) and who polls them.
#[async_trait]
pub trait Queues: Send + Sync {
    /// Up to `count` visible entries of `queue` that no other poller holds, held for this
    /// caller until [`Queues::release`] (or until `lease_ms` passes, should it never come).
    async fn claim(&self, queue: &str, count: u32, now: i64, lease_ms: i64)
    -> Result<Vec<Claimed>>;
    /// Give claimed entries back before their lease ends (the poll that claimed them is
    /// applied, or gave up).
    async fn release(&self, task_ids: &[String]) -> Result<()>;
    /// Keep holding claimed entries: their leases end `lease_ms` after `now` instead (a
    /// claim held for long work is extended while the work goes on, so a short lease still
    /// frees the work of a host that died).
    async fn extend(&self, task_ids: &[String], now: i64, lease_ms: i64) -> Result<()>;
    /// Like [`Queues::claim`], over every queue whose name starts with `prefix`.
    async fn claim_prefix(
        &self,
        prefix: &str,
        count: u32,
        now: i64,
        lease_ms: i64,
    ) -> Result<Vec<Claimed>>;
    async fn queue_size(&self, queue: &str) -> Result<i64>;
    async fn queue_sizes(&self) -> Result<HashMap<String, i64>>;
    async fn put_poll_data(&self, polls: &[PollData]) -> Result<()>;
    /// Every task type's (`None`), or one's.
    async fn poll_data(&self, task_type: Option<&str>) -> Result<Vec<PollData>>;
}

/// When executions wake up (their `next_wake_at`, kept by commits).
#[async_trait]
pub trait Timers: Send + Sync {
    /// Executions whose `next_wake_at` has come.
    async fn due(&self, now: i64, limit: u32) -> Result<Vec<String>>;
    async fn next_due(&self) -> Result<Option<i64>>;
}

/// Workflow and task definitions, and their tags.
#[async_trait]
pub trait Definitions: Send + Sync {
    /// Insert a workflow definition; `overwrite` replaces an existing name+version (else
    /// [`StoreError::AlreadyExists`](crate::StoreError::AlreadyExists); what the user is told
    /// is the engine's to word).
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
    async fn tags(&self, owner: TagOwner, name: &str) -> Result<Vec<serde_json::Value>>;
    async fn put_tags(&self, owner: TagOwner, name: &str, tags: &[serde_json::Value])
    -> Result<()>;
}

/// The signals sent to executions, and the first answers given for idempotency keys
/// (both written by commits).
#[async_trait]
pub trait SignalLog: Send + Sync {
    async fn signals(&self, workflow_id: &str) -> Result<Vec<SignalRecord>>;
    async fn idempotency(&self, key: &str) -> Result<Option<IdempotencyRecord>>;
}

/// Messages between executions, kept until delivered (written and deleted by commits).
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Undelivered messages, oldest first.
    async fn pending_messages(&self, limit: u32) -> Result<Vec<OutboxRow>>;
    /// Whether message `id` is still undelivered.
    async fn message_pending(&self, id: i64) -> Result<bool>;
}

/// Workflow schedules and their firings.
#[async_trait]
pub trait Schedules: Send + Sync {
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
}

/// Incoming webhooks: their configurations, deliveries, and the tasks waiting for them.
#[async_trait]
pub trait Webhooks: Send + Sync {
    /// Set `urlVerified` on a stored webhook, leaving the rest as it is now.
    async fn mark_webhook_verified(&self, id: &str) -> Result<()>;
    /// `create`: fail with [`StoreError::AlreadyExists`](crate::StoreError::AlreadyExists)
    /// if the id is taken; otherwise fail with
    /// [`StoreError::NotFound`](crate::StoreError::NotFound) if it is not.
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
    /// Record a delivery, keeping the latest [`MAX_WEBHOOK_DELIVERIES`](crate::MAX_WEBHOOK_DELIVERIES)
    /// of its webhook.
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
}

/// Task plugins registered at run time.
#[async_trait]
pub trait Plugins: Send + Sync {
    async fn put_plugin(&self, task_type: &str, wasm: &[u8], sha256: &str, now: i64) -> Result<()>;
    /// Every plugin registered at run time: (task type, component bytes).
    async fn stored_plugins(&self) -> Result<Vec<(String, Vec<u8>)>>;
    /// Every plugin registered at run time: (task type, SHA-256 of its bytes), to see
    /// cheaply what changed.
    async fn plugin_digests(&self) -> Result<Vec<(String, String)>>;
}

/// Fermata's own event queues (filled by commits), event handlers, and how far each Kafka
/// topic has been read.
#[async_trait]
pub trait Events: Send + Sync {
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

/// What hosts sharing the database tell each other: each commit's [`Wakeup`] reaches the
/// other hosts' listeners once the commit is durable.
#[async_trait]
pub trait Wakeups: Send + Sync {
    /// Hear what other hosts commit from now on; `None` when no other host can share this
    /// database. A listener that falls behind or loses its connection misses wakeups: hosts
    /// still look for work on their own, so a missed wakeup only delays it.
    async fn listen(&self) -> Result<Option<tokio::sync::mpsc::Receiver<Wakeup>>>;
}
