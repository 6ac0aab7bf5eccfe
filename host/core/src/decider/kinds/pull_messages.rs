//! PULL_WORKFLOW_MESSAGES (Conductor's workflow message queue, reference
//! conductor-signals-extra §1.4): takes up to `batchSize` messages from the workflow's inbox,
//! oldest first, and completes with them. With `blocking` (the default) and an empty inbox it
//! stays open: a message arriving decides the workflow again, and it is taken then. Taking
//! the messages and completing the task are one commit, so a message is delivered once.

use super::super::Effect;
use super::super::instance::finish;
use crate::model::{TaskStatus, Workflow};
use serde_json::{Value, json};

/// Conductor's `maxBatchSize`.
const MAX_BATCH: usize = 100;

pub(super) fn execute(wf: &mut Workflow, i: usize, now: i64, fx: &mut Vec<Effect>) -> bool {
    let input = &wf.tasks[i].input_data;
    let batch = match input.get("batchSize") {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(1.0).max(1.0).min(MAX_BATCH as f64) as usize,
        _ => 1,
    };
    // Only a JSON `false` makes it non-blocking (Conductor reads anything else as true).
    let blocking = input.get("blocking") != Some(&Value::Bool(false));
    if wf.inbox.is_empty() && blocking {
        return false;
    }
    let taken: Vec<_> = wf.inbox.drain(..batch.min(wf.inbox.len())).collect();
    if !taken.is_empty() {
        fx.push(Effect::InboxConsume {
            workflow_id: wf.workflow_id.clone(),
            message_ids: taken.iter().map(|m| m.id.clone()).collect(),
        });
    }
    let task = &mut wf.tasks[i];
    task.output_data = json!({"messages": taken, "count": taken.len()})
        .as_object()
        .cloned()
        .unwrap_or_default();
    finish(task, TaskStatus::Completed, now);
    true
}
