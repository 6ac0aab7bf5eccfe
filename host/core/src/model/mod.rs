//! Conductor's JSON model, shared by the API, the store and the decider.

pub mod defs;
pub mod events;
pub mod exec;
pub mod kind;
mod lenient;
pub mod requests;
pub mod status;
pub mod summary;
pub mod validate;

pub use defs::{
    Json, RetryLogic, SubWorkflowParams, TaskDef, TimeoutPolicy, WorkflowDef, WorkflowTask,
    WorkflowTimeoutPolicy, walk, walk_mut,
};
pub use exec::{EarlySignal, InboxMessage, Task, Workflow, strip_iteration};
pub use requests::*;
pub use status::{TaskResultStatus, TaskStatus, WorkflowStatus};
pub use summary::{TaskSummary, WorkflowStatusView, WorkflowSummary};
