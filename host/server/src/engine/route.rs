//! Signals that reach into sub-workflows: which execution a signal sent to a parent really
//! concerns. `/signal` finds the WAIT a running child (or grandchild) waits in; a retry with
//! `resumeSubworkflowTasks` retries the deepest failed child in place; a rerun from a task of
//! a child reruns that child. Whatever happens there reaches the ancestors as messages.

use super::{Engine, Op};
use crate::error::Result;
use fermata_core::Event;
use fermata_core::decider::{TaskKind, blocked_wait_task, kind_of};
use fermata_core::model::Workflow;

/// How far down a parent's signal looks for its target.
const MAX_DEPTH: usize = 16;

impl Engine {
    /// The execution `op` should be applied to, starting from `workflow_id`.
    pub(super) async fn route(&self, workflow_id: &str, op: &Op) -> Result<String> {
        let mut id = workflow_id.to_string();
        for _ in 0..MAX_DEPTH {
            let Some(wf) = self.store.workflow(&id, true).await? else {
                return Ok(id);
            };
            let next = match &op.event {
                Event::Signal(_) if blocked_wait_task(&wf).is_none() => {
                    self.waiting_child(&wf).await?
                }
                Event::Retry {
                    resume_subworkflow_tasks: true,
                } => failed_child(&wf),
                Event::Rerun(request) => match request.re_run_from_task_id.as_deref() {
                    Some(task_id) if !task_id.is_empty() && wf.task(task_id).is_none() => {
                        self.child_with_task(&wf, task_id).await?
                    }
                    _ => None,
                },
                _ => None,
            };
            match next {
                Some(child) => id = child,
                None => return Ok(id),
            }
        }
        Ok(id)
    }

    /// The running child (at any depth) that has an open WAIT.
    async fn waiting_child(&self, wf: &Workflow) -> Result<Option<String>> {
        // Depth first, in task order: the stack holds children last-first.
        let mut open: Vec<String> = children(wf, |t| !t.status.is_terminal());
        open.reverse();
        let mut depth = 0;
        while let Some(id) = open.pop() {
            depth += 1;
            if depth > MAX_DEPTH * 8 {
                break;
            }
            let Some(child) = self.store.workflow(&id, true).await? else {
                continue;
            };
            if blocked_wait_task(&child).is_some() {
                return Ok(Some(id));
            }
            open.extend(
                children(&child, |t| !t.status.is_terminal())
                    .into_iter()
                    .rev(),
            );
        }
        Ok(None)
    }

    /// The child (at any depth) one of whose tasks is `task_id`.
    async fn child_with_task(&self, wf: &Workflow, task_id: &str) -> Result<Option<String>> {
        let mut open: Vec<String> = children(wf, |_| true);
        let mut seen = 0;
        while let Some(id) = open.pop() {
            seen += 1;
            if seen > MAX_DEPTH * 8 {
                break;
            }
            let Some(child) = self.store.workflow(&id, true).await? else {
                continue;
            };
            if child.task(task_id).is_some() {
                return Ok(Some(id));
            }
            open.extend(children(&child, |_| true));
        }
        Ok(None)
    }
}

fn children(wf: &Workflow, keep: impl Fn(&fermata_core::model::Task) -> bool) -> Vec<String> {
    wf.tasks
        .iter()
        .filter(|t| kind_of(&t.workflow_task) == TaskKind::SubWorkflow && keep(t))
        .filter_map(|t| t.sub_workflow_id.clone())
        .collect()
}

/// Conductor's `resumeSubworkflowTasks`: when the first failed task is a SUB_WORKFLOW, the
/// retry goes to its child instead. Tasks canceled because of that failure do not count.
fn failed_child(wf: &Workflow) -> Option<String> {
    let failed = |t: &&fermata_core::model::Task| {
        !t.retried
            && t.status.is_terminal()
            && !t.status.is_successful()
            && t.status != fermata_core::model::TaskStatus::Canceled
    };
    let first = wf.tasks.iter().find(failed)?;
    match kind_of(&first.workflow_task) {
        TaskKind::SubWorkflow => first.sub_workflow_id.clone(),
        TaskKind::DoWhile => wf
            .tasks
            .iter()
            .filter(|t| kind_of(&t.workflow_task) == TaskKind::SubWorkflow)
            .find(failed)
            .and_then(|t| t.sub_workflow_id.clone()),
        _ => None,
    }
}
