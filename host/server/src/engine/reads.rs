//! Reads for the API: executions, tasks and their logs, queue sizes, signal logs. Reads that
//! gather several executions leave out one that cannot be read (and log it), never failing the
//! answer for the others.

use super::{Engine, now_ms};
use crate::error::{Error, Result};
use fermata_core::model::{Task, TaskExecLog, Workflow};
use fermata_core::search::WorkflowQuery;
use fermata_core::task_search::TaskQuery;
use fermata_store::{SignalRecord, StoreError};
use std::collections::HashMap;

impl Engine {
    /// `GET /workflow/{id}`. An unknown id is not found, with the message of Conductor's
    /// `WorkflowServiceImpl.getExecutionStatus`, which Orkes answers (conductor-python's
    /// `test_orkes_clients.py` checks it), not the "No such workflow found by id" of the other
    /// endpoints.
    pub async fn execution_status(&self, id: &str, include_tasks: bool) -> Result<Workflow> {
        self.store
            .workflow(id, include_tasks)
            .await?
            .ok_or_else(|| Error::not_found(format!("Workflow with id: {id} not found.")))
    }

    /// The signals an execution received, as recorded; not found for an unknown execution.
    pub async fn signal_log(&self, id: &str) -> Result<Vec<SignalRecord>> {
        self.workflow(id, false).await?;
        Ok(self.store.signals(id).await?)
    }

    /// Ids of the running executions of `name`, optionally of one version and started within
    /// a time range.
    pub async fn running_workflows(
        &self,
        name: &str,
        version: Option<i32>,
        start_time: Option<i64>,
        end_time: Option<i64>,
    ) -> Result<Vec<String>> {
        Ok(self
            .store
            .running(name, version, start_time, end_time)
            .await?)
    }

    /// `GET /tasks/{taskId}`.
    pub async fn task(&self, task_id: &str) -> Result<Task> {
        self.store
            .task(task_id)
            .await?
            .ok_or_else(|| task_not_found(task_id))
    }

    /// `POST /tasks/{taskId}/log`: append a line to a task's log, stamped now.
    pub async fn add_task_log(&self, task_id: &str, log: String) -> Result<()> {
        if self.store.task(task_id).await?.is_none() {
            return Err(task_not_found(task_id));
        }
        let log = TaskExecLog {
            log,
            task_id: Some(task_id.to_string()),
            created_time: now_ms(),
        };
        self.store.append_task_log(task_id, &log).await?;
        Ok(())
    }

    /// A task's log, oldest first (empty for an unknown task).
    pub async fn task_logs(&self, task_id: &str) -> Result<Vec<TaskExecLog>> {
        Ok(self.store.task_logs(task_id).await?)
    }

    /// Tasks waiting in the queue of a task type, in a domain when one is given (an empty
    /// domain is none).
    pub async fn queue_size(&self, task_type: &str, domain: Option<&str>) -> Result<i64> {
        let queue = match domain.filter(|d| !d.is_empty()) {
            Some(d) => format!("{d}:{task_type}"),
            None => task_type.to_string(),
        };
        Ok(self.store.queue_size(&queue).await?)
    }

    /// The size of every queue, by queue name.
    pub async fn queue_sizes(&self) -> Result<HashMap<String, i64>> {
        Ok(self.store.queue_sizes().await?)
    }

    /// Workflow search: the total and one page.
    pub async fn search_workflows(&self, query: &WorkflowQuery) -> Result<(i64, Vec<Workflow>)> {
        Ok(self.store.search(query).await?)
    }

    /// Task search across executions: the total and one page.
    pub async fn search_tasks(&self, query: &TaskQuery) -> Result<(i64, Vec<Task>)> {
        Ok(self.store.search_tasks(query).await?)
    }

    /// The executions of `name` with a correlation id, oldest first.
    pub async fn correlated(
        &self,
        name: &str,
        correlation_id: &str,
        include_closed: bool,
        include_tasks: bool,
    ) -> Result<Vec<Workflow>> {
        let ids = self
            .store
            .correlated(name, correlation_id, include_closed)
            .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            match self.store.workflow(&id, include_tasks).await {
                Ok(Some(wf)) => out.push(wf),
                Ok(None) => {}
                Err(StoreError::Corrupt(problem)) => {
                    tracing::error!(workflow = %id, %problem, "an unreadable execution is left out");
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }
}

fn task_not_found(task_id: &str) -> Error {
    Error::not_found(format!("Task not found for taskId: {task_id}"))
}
