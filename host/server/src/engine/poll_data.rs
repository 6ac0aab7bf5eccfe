//! Poll data (Conductor's `GET /tasks/queue/polldata`): who last polled each task type, in
//! which domain, and when. Every poll counts, even one that got nothing; the marks are kept
//! in memory and written at most once a second, so polling does not become writing.

use super::{Engine, now_ms};
use crate::error::Result;
use fermata_store::PollData;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const FLUSH: Duration = Duration::from_secs(1);

/// A queue as poll data names it: (task type, domain).
type Queue = (String, Option<String>);
/// The last poll of a queue: (worker, time).
type LastPoll = (Option<String>, i64);

/// Polls seen since the last flush.
#[derive(Default)]
pub struct PollMarks(Mutex<HashMap<Queue, LastPoll>>);

impl Engine {
    pub(super) fn mark_poll(&self, task_type: &str, domain: Option<&str>, worker: Option<&str>) {
        let key = (task_type.to_string(), domain.map(str::to_string));
        let mut marks = self.poll_marks.0.lock().expect("poll marks poisoned");
        // A bound on what a flood of distinct names can hold until the next flush.
        if marks.len() < 10_000 || marks.contains_key(&key) {
            marks.insert(key, (worker.map(str::to_string), now_ms()));
        }
    }

    pub async fn poll_data(&self, task_type: Option<&str>) -> Result<Vec<PollData>> {
        self.flush_polls().await;
        Ok(self.store.poll_data(task_type).await?)
    }

    async fn flush_polls(&self) {
        let marks: Vec<PollData> = {
            let mut marks = self.poll_marks.0.lock().expect("poll marks poisoned");
            marks
                .drain()
                .map(
                    |((queue_name, domain), (worker_id, last_poll_time))| PollData {
                        queue_name,
                        domain,
                        worker_id,
                        last_poll_time,
                    },
                )
                .collect()
        };
        if marks.is_empty() {
            return;
        }
        if let Err(e) = self.store.put_poll_data(&marks).await {
            tracing::warn!(error = %e, "writing poll data failed");
        }
    }

    pub async fn run_poll_data(self: Arc<Self>) {
        let mut shutdown = self.shutdown.clone();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(FLUSH) => self.flush_polls().await,
                _ = shutdown.changed() => {
                    self.flush_polls().await;
                    return;
                }
            }
        }
    }
}
