//! Schedules (reference conductor-signals-extra §3): saved, paused, resumed and fired here.
//! A slot fires in the commit that starts its workflow, and only while the schedule still
//! waits for that slot: several hosts, or a crash and restart, start one workflow per slot.
//! A slot missed while fermata was down fires once when it is back; with
//! `runCatchupScheduleInstances` every missed slot fires, one after another.

use super::{Call, Engine, NotFoundStyle, now_ms};
use crate::error::{Error, Result};
use fermata_core::schedule::{self, ScheduleExecution, WorkflowSchedule};
use fermata_store::{Commit, ScheduleFired, StoredSchedule};
use std::sync::Arc;
use std::time::Duration;

/// Look at the table at least this often (new schedules from other hosts).
const RECHECK_MS: i64 = 1_000;
const BATCH: u32 = 32;

impl Engine {
    pub async fn save_schedule(&self, mut s: WorkflowSchedule) -> Result<WorkflowSchedule> {
        schedule::check(&s).map_err(Error::bad_request)?;
        let now = now_ms();
        match self.store.schedule(&s.name).await? {
            Some(old) => {
                s.create_time = old.schedule.create_time;
                s.created_by = old.schedule.created_by;
            }
            None => s.create_time = now,
        }
        s.updated_time = now;
        let next = (!s.paused)
            .then(|| schedule::next_run(&s, None, now))
            .flatten();
        s.next_run_time = None;
        self.store.put_schedule(&s, next).await?;
        self.notifier.schedules_changed();
        s.next_run_time = next;
        Ok(s)
    }

    pub async fn get_schedule(&self, name: &str) -> Result<WorkflowSchedule> {
        let stored = self
            .store
            .schedule(name)
            .await?
            .ok_or_else(|| Error::not_found(format!("Schedule '{name}' not found")))?;
        Ok(shown(stored))
    }

    pub async fn list_schedules(&self, workflow: Option<&str>) -> Result<Vec<WorkflowSchedule>> {
        let all = self.store.schedules().await?;
        Ok(all
            .into_iter()
            .map(shown)
            .filter(|s| {
                workflow.is_none_or(|w| {
                    s.start_workflow_request
                        .as_ref()
                        .and_then(|r| r.name.as_deref())
                        == Some(w)
                })
            })
            .collect())
    }

    /// Deleting a schedule that does not exist is fine (Conductor accepts it too).
    pub async fn delete_schedule(&self, name: &str) -> Result<()> {
        self.store.delete_schedule(name).await?;
        Ok(())
    }

    pub async fn pause_schedule(&self, name: &str, reason: Option<String>) -> Result<()> {
        let mut s = self.get_schedule(name).await?;
        s.paused = true;
        s.paused_reason = reason;
        s.updated_time = now_ms();
        s.next_run_time = None;
        self.store.put_schedule(&s, None).await?;
        Ok(())
    }

    /// Resuming a schedule that runs is a no-op (Conductor OSS says not found, which looks like
    /// a bug). It runs next at its first slot after now: resuming never back-fills.
    pub async fn resume_schedule(&self, name: &str) -> Result<()> {
        let mut s = self.get_schedule(name).await?;
        if !s.paused {
            return Ok(());
        }
        let now = now_ms();
        s.paused = false;
        s.paused_reason = None;
        s.updated_time = now;
        s.next_run_time = None;
        let next = schedule::next_run(&s, None, now);
        self.store.put_schedule(&s, next).await?;
        self.notifier.schedules_changed();
        Ok(())
    }

    /// A schedule's tags (Orkes), kept on the schedule as `tags`.
    pub async fn schedule_tags(&self, name: &str) -> Result<Vec<serde_json::Value>> {
        let s = self.get_schedule(name).await?;
        Ok(tags_of(&s))
    }

    /// Add tags, a tag with a key already there replacing it.
    pub async fn add_schedule_tags(&self, name: &str, tags: Vec<serde_json::Value>) -> Result<()> {
        self.change_tags(name, |held| {
            for tag in tags {
                held.retain(|t| t.get("key") != tag.get("key"));
                held.push(tag);
            }
        })
        .await
    }

    /// Remove the tags with these keys and values.
    pub async fn delete_schedule_tags(
        &self,
        name: &str,
        tags: Vec<serde_json::Value>,
    ) -> Result<()> {
        self.change_tags(name, |held| {
            held.retain(|t| {
                !tags
                    .iter()
                    .any(|d| d.get("key") == t.get("key") && d.get("value") == t.get("value"))
            })
        })
        .await
    }

    async fn change_tags(
        &self,
        name: &str,
        change: impl FnOnce(&mut Vec<serde_json::Value>),
    ) -> Result<()> {
        let stored = self
            .store
            .schedule(name)
            .await?
            .ok_or_else(|| Error::not_found(format!("Schedule '{name}' not found")))?;
        let mut s = stored.schedule;
        let mut tags = tags_of(&s);
        change(&mut tags);
        s.extra
            .insert("tags".into(), serde_json::Value::Array(tags));
        if !self.store.update_schedule_details(&s).await? {
            return Err(Error::not_found(format!("Schedule '{name}' not found")));
        }
        Ok(())
    }

    pub async fn schedule_executions(
        &self,
        schedule: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ScheduleExecution>> {
        Ok(self.store.schedule_executions(schedule, limit).await?)
    }

    /// Hold (or release) the firing of schedules on this host.
    pub fn hold_scheduler(&self, held: bool) {
        self.scheduler_held
            .store(held, std::sync::atomic::Ordering::SeqCst);
        self.notifier.schedules_changed();
    }

    /// The schedules with this tag (`key:value`, or a key alone for any value).
    pub async fn schedules_tagged(&self, tag: &str) -> Result<Vec<WorkflowSchedule>> {
        let (key, value) = match tag.split_once(':') {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (tag.trim(), None),
        };
        let all = self.list_schedules(None).await?;
        Ok(all
            .into_iter()
            .filter(|s| {
                tags_of(s).iter().any(|t| {
                    t.get("key").and_then(|k| k.as_str()) == Some(key)
                        && value.is_none_or(|v| t.get("value").and_then(|x| x.as_str()) == Some(v))
                })
            })
            .collect())
    }

    pub async fn run_scheduler(self: Arc<Self>) {
        let mut shutdown = self.shutdown.clone();
        loop {
            if *shutdown.borrow() {
                return;
            }
            if self
                .scheduler_held
                .load(std::sync::atomic::Ordering::SeqCst)
            {
                tokio::select! {
                    _ = self.notifier.schedules_woken() => {}
                    _ = tokio::time::sleep(Duration::from_millis(RECHECK_MS as u64)) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            match self.store.due_schedules(now_ms(), BATCH).await {
                Ok(due) => {
                    let full = due.len() as u32 == BATCH;
                    for stored in due {
                        self.fire(stored).await;
                    }
                    if full {
                        continue;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "reading due schedules failed"),
            }
            let now = now_ms();
            let next = match self.store.next_schedule_due().await {
                Ok(Some(at)) => at.min(now + RECHECK_MS),
                _ => now + RECHECK_MS,
            };
            let sleep = Duration::from_millis((next - now).max(0) as u64);
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = self.notifier.schedules_woken() => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// Start the workflow of the slot the schedule waits for, and move the schedule on.
    async fn fire(&self, stored: StoredSchedule) {
        let Some(slot) = stored.next_run_at else {
            return;
        };
        let s = &stored.schedule;
        let now = now_ms();
        let entries = schedule::entries(s);
        let entry = entries
            .iter()
            .find(|e| schedule::next_of(e, slot - 1).ok().flatten() == Some(slot))
            .or(entries.first())
            .cloned();
        let (Some(entry), Some(mut request)) = (entry, s.start_workflow_request.clone()) else {
            return;
        };
        let execution_id = uuid::Uuid::new_v4().to_string();
        request.input = Some(schedule::scheduled_input(
            s,
            &entry,
            slot,
            now,
            &execution_id,
        ));
        if !s.created_by.is_empty() {
            request.created_by = Some(s.created_by.clone());
        }
        let fired = ScheduleFired {
            name: s.name.clone(),
            slot,
            next: schedule::next_run(s, Some(slot), now),
            execution: ScheduleExecution {
                execution_id,
                schedule_name: s.name.clone(),
                scheduled_time: slot,
                execution_time: now,
                workflow_name: request.name.clone().unwrap_or_default(),
                workflow_id: None,
                reason: None,
                start_workflow_request: request.clone(),
                state: "EXECUTED".into(),
                zone_id: entry.zone_id.clone(),
            },
        };
        let call = Call {
            caller: Some(format!("schedule {}", s.name)),
            idempotency_key: None,
            fingerprint: format!("schedule {} {slot}", s.name),
        };
        let started = self
            .start_locked(
                request,
                &call,
                NotFoundStyle::StartRequest,
                Some(fired.clone()),
            )
            .await;
        let Err(e) = started else {
            return;
        };
        // Fired meanwhile by another host, or changed: nothing to record.
        let still = self.store.schedule(&s.name).await.ok().flatten();
        if still.and_then(|s| s.next_run_at) != Some(slot) {
            return;
        }
        tracing::warn!(schedule = %s.name, error = %e.message, "a scheduled start failed");
        let mut failed = fired;
        failed.execution.state = "FAILED".into();
        failed.execution.reason = Some(e.message.chars().take(999).collect());
        let commit = Commit {
            schedule_fired: Some(failed),
            ..Default::default()
        };
        if let Err(e) = self.store.commit(commit).await {
            tracing::warn!(schedule = %s.name, error = %e, "recording a failed firing failed");
        }
    }
}

fn tags_of(s: &WorkflowSchedule) -> Vec<serde_json::Value> {
    match s.extra.get("tags") {
        Some(serde_json::Value::Array(tags)) => tags.clone(),
        _ => Vec::new(),
    }
}

/// A schedule as the API shows it: `nextRunTime` filled in (Conductor OSS never does).
fn shown(stored: StoredSchedule) -> WorkflowSchedule {
    let mut s = stored.schedule;
    s.next_run_time = stored.next_run_at;
    s
}
