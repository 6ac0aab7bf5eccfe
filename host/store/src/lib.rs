//! fermata-store: everything fermata keeps. The engine talks to the store by role
//! ([`Executions`], [`Queues`], [`Timers`], ...; [`Store`] is all of them); SQLite is the
//! embedded default ([`SqliteStore`]). A Postgres backend implements the same traits.

mod errors;
mod postgres;
mod roles;
mod rows;
mod sqlite;

use fermata_core::model::{TaskExecLog, Workflow};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub use postgres::{PgOptions, PgStore, redact as redact_url};
pub use roles::{
    Definitions, Events, Executions, Outbox, Plugins, Queues, Schedules, SignalLog, Store, Timers,
    Wakeups, Webhooks,
};
pub use sqlite::SqliteStore;

/// What went wrong in the store, without the driver's types: each backend maps its own
/// errors here, and says whether trying again may help.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// Another writer changed the execution since it was loaded: reload and apply again.
    #[error("execution {0} was changed concurrently")]
    Conflict(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    NotFound(String),
    /// A value the database cannot keep (Postgres refuses a NUL character in text): the
    /// request that carried it is at fault, and nothing of its commit was written.
    #[error("{0}")]
    Invalid(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database failed an operation; `transient`: the same operation may succeed later
    /// (the database was busy, full or unreachable for a moment).
    #[error("database error: {message}")]
    Database { message: String, transient: bool },
    /// The database cannot be opened or reached at all.
    #[error("{0}")]
    Unreachable(String),
    /// The database was migrated by a newer fermata.
    #[error(
        "the database was migrated by a newer fermata (schema version {found}; this fermata knows up to {known}): run that fermata or a newer one"
    )]
    TooNew { found: i64, known: i64 },
    #[error("migrating the database failed: {0}")]
    Migration(String),
}

impl StoreError {
    /// Whether the same request may succeed later, as opposed to failing the same way
    /// every time.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Conflict(_)
                | StoreError::Database {
                    transient: true,
                    ..
                }
        )
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
    /// What other hosts sharing the database should hear once this commit is durable (a
    /// store only one process uses has no one to tell). Not a change: it never makes a
    /// commit non-empty.
    pub wakeup: Option<Wakeup>,
}

/// New work and changes one host committed, for the others to act on at once rather than at
/// their next look.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Wakeup {
    /// Executions written (synchronous callers wait on them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub executions: Vec<String>,
    /// Queues that got entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<String>,
    /// The earliest deadline written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<i64>,
    #[serde(default)]
    pub events: bool,
    #[serde(default)]
    pub messages: bool,
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
