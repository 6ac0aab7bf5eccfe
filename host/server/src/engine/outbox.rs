//! Delivery of messages between executions (a child's end, a parent's terminate, a revived
//! child). Each message was written in the commit that caused it; here it is applied to its
//! receiver under the receiver's lock, in the same commit that deletes it, so it takes
//! effect exactly once even across crashes.

use super::{Call, Engine, Op};
use fermata_core::decider::Message;
use fermata_store::{Commit, OutboxRow};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

const BATCH: u32 = 256;
/// Messages are announced when written; this also finds those written before a restart.
const RECHECK: Duration = Duration::from_secs(1);

impl Engine {
    pub async fn run_outbox(self: Arc<Self>) {
        let mut shutdown = self.shutdown.clone();
        loop {
            if *shutdown.borrow() {
                return;
            }
            let full = match self.store.pending_messages(BATCH).await {
                Ok(rows) => {
                    let full = rows.len() as u32 == BATCH;
                    // A receiver whose message could not be applied gets none of its later
                    // ones in this round: they must arrive in order.
                    let mut held = HashSet::new();
                    let mut delivered = false;
                    for row in rows {
                        if held.contains(&row.to_workflow_id) {
                            continue;
                        }
                        let to = row.to_workflow_id.clone();
                        if self.deliver(row).await {
                            delivered = true;
                        } else {
                            held.insert(to);
                        }
                    }
                    full && delivered
                }
                Err(e) => {
                    tracing::warn!(error = %e, "reading the outbox failed");
                    false
                }
            };
            if full {
                continue;
            }
            tokio::select! {
                _ = self.notifier.messages_woken() => {}
                _ = tokio::time::sleep(RECHECK) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// True when the message is gone from the outbox (applied, or dropped as undeliverable).
    async fn deliver(&self, row: OutboxRow) -> bool {
        let message: Message = match serde_json::from_str(&row.body) {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(id = row.id, error = %e, "an unreadable message is dropped");
                self.drop_message(row.id).await;
                return true;
            }
        };
        let call = Call {
            caller: Some(format!("workflow {}", message.from)),
            idempotency_key: None,
            fingerprint: format!("message {}", row.id),
        };
        let to = row.to_workflow_id.clone();
        let op = Op::delivery(row.id, message);
        match self.run(&to, op, Some(&call)).await {
            Ok(_) => true,
            // The receiver is gone (removed): nobody is left to tell.
            Err(e) if e.is_not_found() => {
                self.drop_message(row.id).await;
                true
            }
            Err(e) if e.persistent() => {
                self.set_aside(&to, &e).await;
                self.drop_message(row.id).await;
                true
            }
            Err(e) => {
                tracing::warn!(workflow = %to, error = %e, "delivering a message failed; it is retried");
                false
            }
        }
    }

    async fn drop_message(&self, id: i64) {
        let commit = Commit {
            delivered: vec![id],
            ..Default::default()
        };
        if let Err(e) = self.store.commit(commit).await {
            tracing::warn!(id, error = %e, "could not drop a message");
        }
    }
}
