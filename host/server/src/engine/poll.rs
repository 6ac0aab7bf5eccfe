//! The worker protocol: (long-)polling a queue and `update-v2`'s "update, then hand me the
//! next one".

use super::{Answer, Call, Engine, Op, Reply, now_ms};
use crate::error::Result;
use fermata_core::Event;
use fermata_core::decider::queue_name;
use fermata_core::model::{Task, TaskResult};
use std::time::Duration;

/// How long a claimed queue entry stays reserved for the poller that took it.
const CLAIM_LEASE_MS: i64 = 30_000;
/// Delayed entries become visible without a notification; long-polls look again this often.
const RECHECK: Duration = Duration::from_millis(200);

impl Engine {
    pub async fn poll(
        &self,
        task_type: &str,
        worker_id: Option<String>,
        domain: Option<&str>,
        count: u32,
        timeout: Duration,
    ) -> Result<Vec<Task>> {
        if let Some(problem) = fermata_core::limits::check_names([
            ("taskType", Some(task_type)),
            ("domain", domain),
            ("workerid", worker_id.as_deref()),
        ]) {
            return Err(crate::error::Error::bad_request(problem));
        }
        let domain = domain.filter(|d| !d.is_empty());
        self.mark_poll(task_type, domain, worker_id.as_deref());
        let queue = match domain {
            Some(d) => format!("{d}:{task_type}"),
            None => task_type.to_string(),
        };
        let notify = self.notifier.queue(&queue);
        let deadline = tokio::time::Instant::now() + timeout;
        let mut tasks = Vec::new();
        loop {
            let woken = notify.notified();
            tasks.extend(
                self.take(&queue, worker_id.clone(), count - tasks.len() as u32)
                    .await?,
            );
            let now = tokio::time::Instant::now();
            if tasks.len() as u32 >= count || now >= deadline || self.is_shutting_down() {
                return Ok(tasks);
            }
            let _ = tokio::time::timeout((deadline - now).min(RECHECK), woken).await;
        }
    }

    async fn take(&self, queue: &str, worker_id: Option<String>, count: u32) -> Result<Vec<Task>> {
        let claimed = self
            .store
            .claim(queue, count, now_ms(), CLAIM_LEASE_MS)
            .await?;
        let mut tasks = Vec::with_capacity(claimed.len());
        for c in &claimed {
            let op = Op::new(
                Event::TaskPolled {
                    task_id: c.task_id.clone(),
                    worker_id: worker_id.clone(),
                },
                Answer::Task,
            );
            let polled = self.internal(&c.workflow_id, op).await;
            if let Err(e) = self.store.release(std::slice::from_ref(&c.task_id)).await {
                // The lease ends by itself; until then no other poller gets the entry.
                tracing::warn!(error = %e, task_id = %c.task_id, "releasing a claim failed");
            }
            match polled {
                Ok(Reply::Task(Some(task))) => tasks.push(*task),
                Ok(_) => {}
                // The execution vanished (removed): drop its stale queue entry and go on.
                Err(e) if e.is_not_found() => {
                    self.store
                        .commit(fermata_store::Commit {
                            queue: vec![fermata_store::QueueOp::Remove {
                                task_id: c.task_id.clone(),
                            }],
                            ..Default::default()
                        })
                        .await?;
                }
                // One execution that cannot be processed must not fail every poll of its
                // queue: set it aside and hand out the rest.
                Err(e) if e.persistent() => self.set_aside(&c.workflow_id, &e).await,
                Err(e) => return Err(e),
            }
        }
        Ok(tasks)
    }

    /// `POST /tasks/update-v2`: apply the result, then poll the next task of the same queue
    /// for the same worker when this one ended.
    pub async fn update_v2(&self, result: TaskResult, call: &Call) -> Result<Option<Task>> {
        let workflow_id = result.workflow_instance_id.clone();
        let worker_id = result.worker_id.clone();
        let task_id = result.task_id.clone();
        let terminal = result.status.is_some_and(|s| s.task_status().is_terminal());
        self.signal(&workflow_id, Op::task_result(result)?, call)
            .await?;
        if !terminal {
            return Ok(None);
        }
        let Some(task) = self.store.task(&task_id).await? else {
            return Ok(None);
        };
        let Some(queue) = queue_name(&task) else {
            return Ok(None);
        };
        Ok(self.take(&queue, worker_id, 1).await?.pop())
    }
}
