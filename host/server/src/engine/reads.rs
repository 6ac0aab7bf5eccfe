//! Reads that gather several executions: one that cannot be read is left out (and logged),
//! never failing the answer for the others.

use super::Engine;
use crate::error::Result;
use fermata_core::model::{Task, Workflow};
use fermata_core::search::WorkflowQuery;
use fermata_core::task_search::TaskQuery;
use fermata_store::StoreError;

impl Engine {
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
