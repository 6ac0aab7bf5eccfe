//! What one execution tells another: a child's end reaches its parent, a parent's end or
//! terminate reaches its children, a child brought back to life (retry, rerun, restart)
//! revives its parent. The host stores each message in the same commit as the change that
//! caused it and delivers it to the other execution under that execution's own lock, so a
//! crash between the two loses nothing and applies nothing twice.

use crate::model::{Json, WorkflowStatus};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The execution it is for.
    pub to: String,
    pub from: String,
    pub body: MessageBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum MessageBody {
    /// The child behind SUB_WORKFLOW task `task_id` ended.
    #[serde(rename_all = "camelCase")]
    ChildEnded { task_id: String, child: ChildResult },
    /// The parent ended: terminate this child.
    #[serde(rename_all = "camelCase")]
    Terminate { reason: String },
    /// The child behind `task_id` runs again (`operation`: retried, reran, restarted).
    #[serde(rename_all = "camelCase")]
    Revive {
        task_id: String,
        child_id: String,
        operation: String,
    },
}

impl MessageBody {
    /// How the receiving execution's signal log names it.
    pub fn name(&self) -> &'static str {
        match self {
            MessageBody::ChildEnded { .. } => "child_ended",
            MessageBody::Terminate { .. } => "terminate_from_parent",
            MessageBody::Revive { .. } => "revive_from_child",
        }
    }
}

/// What a parent learns of its child's end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChildResult {
    pub workflow_id: String,
    pub name: String,
    pub version: i32,
    pub status: WorkflowStatus,
    pub output: Json,
    pub reason: Option<String>,
}
