//! Waiting until a workflow tree blocks (reference conductor-operators §13): the synchronous
//! signal and execute answer once the root has ended, or a task somewhere in the tree waits
//! for a signal (an open YIELD, a WAIT without a time), or one of the named tasks has ended —
//! or when their time is up. They wait on the engine's own change notifications, looking at
//! the store again only when an execution of the tree changed.

use super::Engine;
use crate::error::Result;
use fermata_core::decider::{TaskKind, is_blocking, kind_of};
use fermata_core::model::{Task, Workflow};
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::Instant;

/// How deep the search for a blocking task follows sub-workflows.
const MAX_DEPTH: usize = 32;

/// The state a synchronous call answers with.
pub struct Blocked {
    pub root: Workflow,
    /// The workflow holding the first blocking task (depth first, in task order), and it.
    pub blocking: Option<(Workflow, Task)>,
    /// The time ran out before the tree ended or blocked.
    pub timed_out: bool,
}

/// What to wait for besides the root's end and a blocking task.
pub struct Until<'a> {
    /// Tasks (by reference name) whose end also ends the wait (`waitUntilTaskRef`).
    pub ended: &'a [String],
    pub timeout: Duration,
}

type Found = Option<(Workflow, Task)>;

/// How often a wait looks again without a notification.
const RECHECK: Duration = Duration::from_secs(1);

impl Engine {
    /// `changes` must be taken (`notifier().changes()`) before the change the caller waits
    /// after, so nothing committed in between is missed.
    pub async fn await_blocked(
        &self,
        root_id: &str,
        until: Until<'_>,
        mut changes: broadcast::Receiver<String>,
    ) -> Result<Blocked> {
        let deadline = Instant::now() + until.timeout;
        let mut last_look = false;
        loop {
            let mut tree = HashSet::new();
            let root = self.workflow(root_id, true).await?;
            tree.insert(root.workflow_id.clone());
            let blocking = self
                .find_blocking(root.clone(), until.ended, &mut tree, 0)
                .await?;
            let done = root.status.is_terminal() || blocking.is_some();
            let mut blocked = Blocked {
                root,
                blocking,
                timed_out: false,
            };
            if done || last_look {
                blocked.timed_out = !done;
                return Ok(blocked);
            }
            // Sleep until an execution of the tree changes (a new child changes its parent).
            // Notifications come from this host; a look every RECHECK also sees what another
            // host changed, and the deadline gets a last look.
            loop {
                let wake = deadline.min(Instant::now() + RECHECK);
                match tokio::time::timeout_at(wake, changes.recv()).await {
                    Err(_) if wake >= deadline => {
                        last_look = true;
                        break;
                    }
                    Err(_) => break,
                    Ok(Err(RecvError::Closed)) => {
                        last_look = true;
                        break;
                    }
                    Ok(Ok(id)) if !tree.contains(&id) => continue,
                    Ok(_) => break,
                }
            }
        }
    }

    /// The first blocking task of `wf`'s tree: depth first, each running child searched at
    /// the place of its SUB_WORKFLOW task.
    fn find_blocking<'a>(
        &'a self,
        wf: Workflow,
        ended: &'a [String],
        tree: &'a mut HashSet<String>,
        depth: usize,
    ) -> Pin<Box<dyn Future<Output = Result<Found>> + Send + 'a>> {
        Box::pin(async move {
            for task in &wf.tasks {
                let named = ended
                    .iter()
                    .any(|r| *r == task.reference_task_name || *r == task.base_reference());
                if is_blocking(task) || (named && task.status.is_terminal()) {
                    return Ok(Some((wf.clone(), task.clone())));
                }
                if kind_of(&task.workflow_task) != TaskKind::SubWorkflow
                    || task.status.is_terminal()
                    || depth >= MAX_DEPTH
                {
                    continue;
                }
                let Some(child_id) = &task.sub_workflow_id else {
                    continue;
                };
                let Some(child) = self.store.workflow(child_id, true).await? else {
                    continue;
                };
                tree.insert(child.workflow_id.clone());
                if let Some(found) = self.find_blocking(child, ended, tree, depth + 1).await? {
                    return Ok(Some(found));
                }
            }
            Ok(None)
        })
    }
}
