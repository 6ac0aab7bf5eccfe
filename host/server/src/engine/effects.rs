//! What a decision's effects become: store operations in the same commit, and who to wake
//! after it. Executions a decision starts (a sub-workflow's child, a START_WORKFLOW's
//! workflow, a failure workflow) are created — and decided — in that commit too, within
//! bounds: how deep sub-workflows nest, and how many executions one commit starts.

use super::env::HostEnv;
use super::{Engine, Reply, SYSTEM_QUEUE_PREFIX};
use crate::error::{Error, Result};
use fermata_core::NewWorkflow;
use fermata_core::decider::{Effect, next_wake};
use fermata_core::model::Workflow;
use fermata_store::{Commit, ExecutionWrite, InboxOp, QueueOp, SignalRecord};
use std::collections::HashSet;

/// Children started inside one commit, nested: deeper ones are created there and decided by
/// the timer (a sub-workflow that starts itself would otherwise never end its commit).
const MAX_INLINE_DEPTH: usize = 8;
/// Executions one commit creates and decides; past it they are decided by the timer, so a
/// fan-out of sub-workflows does not build one enormous transaction.
const MAX_INLINE_STARTS: usize = 256;
/// How deep sub-workflows may nest: a deeper child ends FAILED at once, and its parent's
/// task with it.
pub const MAX_NESTING: usize = 32;

/// Where the executions an effect starts sit: how many parents the deciding execution has,
/// and how many levels this commit has already started.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Lineage {
    pub nesting: usize,
    pub inline: usize,
}

#[derive(Default)]
pub(super) struct Wakes {
    /// Executions this commit writes.
    pub changed: Vec<String>,
    pub queues: HashSet<String>,
    pub deadlines: Vec<i64>,
    pub events: bool,
    pub messages: bool,
}

impl Wakes {
    /// What other hosts on the database should hear of this commit.
    pub(super) fn announcement(&self) -> fermata_store::Wakeup {
        fermata_store::Wakeup {
            executions: self.changed.clone(),
            queues: self.queues.iter().cloned().collect(),
            deadline: self.deadlines.iter().min().copied(),
            events: self.events,
            messages: self.messages,
        }
    }

    /// What another host committed, to act on here as if this host had.
    pub(super) fn heard(wakeup: fermata_store::Wakeup) -> Wakes {
        Wakes {
            changed: wakeup.executions,
            queues: wakeup.queues.into_iter().collect(),
            deadlines: wakeup.deadline.into_iter().collect(),
            events: wakeup.events,
            messages: wakeup.messages,
        }
    }
}

impl Engine {
    /// Wake this host's loops and waiters for what other hosts on the database commit.
    pub async fn run_wakeups(self: std::sync::Arc<Self>) {
        let mut heard = match self.store.listen().await {
            Ok(Some(heard)) => heard,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for other hosts' changes; looking for them instead");
                return;
            }
        };
        let mut shutdown = self.shutdown.clone();
        loop {
            tokio::select! {
                wakeup = heard.recv() => match wakeup {
                    Some(wakeup) => self.wake(Wakes::heard(wakeup)),
                    None => return,
                },
                _ = shutdown.changed() => return,
            }
        }
    }

    /// Turn decider effects into store operations; started workflows are decided here and
    /// join the same commit.
    pub(super) fn add_effects(
        &self,
        commit: &mut Commit,
        wakes: &mut Wakes,
        workflow_id: &str,
        effects: Vec<Effect>,
        env: &mut HostEnv,
        lineage: Lineage,
    ) -> Result<()> {
        use fermata_core::Env as _;
        let now = env.now();
        for effect in effects {
            match effect {
                Effect::Enqueue {
                    task_id,
                    queue,
                    delay_ms,
                } => {
                    if delay_ms == 0 {
                        wakes.queues.insert(queue.clone());
                    }
                    commit.queue.push(QueueOp::Push {
                        task_id,
                        queue,
                        workflow_id: workflow_id.to_string(),
                        visible_at: now.saturating_add(delay_ms),
                    });
                }
                Effect::Dequeue { task_id } => commit.queue.push(QueueOp::Remove { task_id }),
                Effect::AppendLogs { task_id, logs } => {
                    commit.logs.extend(logs.into_iter().map(|mut l| {
                        if l.created_time == 0 {
                            l.created_time = now;
                        }
                        (task_id.clone(), l)
                    }));
                }
                Effect::StartWorkflow(new) => {
                    let answered = self.answers.reply(&Reply::Text(new.workflow_id.clone()));
                    commit
                        .signals
                        .push(started_by(workflow_id, &new, now, answered.status));
                    self.start_child(commit, wakes, *new, env, lineage)?;
                }
                // Handled where the execution is written (its wake time).
                Effect::DecideAgain => {}
                Effect::InboxPush(message) => commit.inbox.push(InboxOp::Push(message)),
                Effect::InboxConsume {
                    workflow_id,
                    message_ids,
                } => commit.inbox.push(InboxOp::Take {
                    workflow_id,
                    message_ids,
                }),
                Effect::InboxClear { workflow_id } => {
                    commit.inbox.push(InboxOp::Clear { workflow_id })
                }
                Effect::Send(message) => {
                    let body = serde_json::to_string(&message).map_err(|e| {
                        Error::server(format!("a message could not be written: {e}"))
                    })?;
                    commit.messages.push((message.to, body));
                    wakes.messages = true;
                }
            }
        }
        Ok(())
    }

    fn start_child(
        &self,
        commit: &mut Commit,
        wakes: &mut Wakes,
        new: NewWorkflow,
        env: &mut HostEnv,
        lineage: Lineage,
    ) -> Result<()> {
        use fermata_core::Env as _;
        let now = env.now();
        let nesting = if new.parent_workflow_id.is_some() {
            lineage.nesting + 1
        } else {
            0
        };
        let id = new.workflow_id.clone();
        let below = Lineage {
            nesting,
            inline: lineage.inline + 1,
        };
        if nesting > MAX_NESTING {
            let reason = format!(
                "Sub-workflows nest at most {MAX_NESTING} levels deep: {} is not started",
                new.definition.name
            );
            let (child, fx) = fermata_core::decider::refuse(new, reason, env)?;
            commit.executions.push(ExecutionWrite::new(child, None));
            return self.add_effects(commit, wakes, &id, fx, env, below);
        }
        if lineage.inline >= MAX_INLINE_DEPTH || commit.executions.len() >= MAX_INLINE_STARTS {
            let child = fermata_core::decider::create(new, env)?;
            wakes.deadlines.push(now);
            commit
                .executions
                .push(ExecutionWrite::new(child, Some(now)));
            return Ok(());
        }
        let (child, fx) = fermata_core::start(new, env)?;
        let wake = wake_of(&child, &fx, now);
        wakes.deadlines.extend(wake);
        commit.executions.push(ExecutionWrite::new(child, wake));
        self.add_effects(commit, wakes, &id, fx, env, below)
    }

    /// How many parents `wf` has (up to one past [`MAX_NESTING`]).
    pub(super) async fn nesting_of(&self, wf: &Workflow) -> Result<usize> {
        let mut nesting = 0;
        let mut parent = wf.parent_workflow_id.clone();
        while let Some(id) = parent {
            nesting += 1;
            if nesting > MAX_NESTING {
                break;
            }
            parent = self
                .store
                .workflow(&id, false)
                .await?
                .and_then(|p| p.parent_workflow_id);
        }
        Ok(nesting)
    }

    pub(super) fn wake(&self, wakes: Wakes) {
        self.notifier.changed(wakes.changed);
        for queue in wakes.queues {
            if queue.starts_with(SYSTEM_QUEUE_PREFIX) {
                self.notifier.system_work();
            } else {
                self.notifier.work_available(&queue);
            }
        }
        if wakes.events {
            self.notifier.events_published();
        }
        if wakes.messages {
            self.notifier.messages_sent();
        }
        if let Some(at) = wakes.deadlines.into_iter().min() {
            self.notifier.deadline(at);
        }
    }
}

/// Whether applying `effects` starts a child, so the engine must know how deep it sits.
pub(super) fn starts_children(effects: &[Effect]) -> bool {
    effects
        .iter()
        .any(|e| matches!(e, Effect::StartWorkflow(new) if new.parent_workflow_id.is_some()))
}

/// When the timer must decide `wf` next: its own deadlines, or at once when the decision
/// stopped before it settled (a long loop of tasks that finish at once).
pub(super) fn wake_of(wf: &Workflow, effects: &[Effect], now: i64) -> Option<i64> {
    let again = effects
        .iter()
        .any(|e| matches!(e, Effect::DecideAgain))
        .then_some(now);
    next_wake(wf).into_iter().chain(again).min()
}

/// The first entry of the signal log of an execution another one started (a sub-workflow's
/// child, a START_WORKFLOW's workflow, a failure workflow).
/// `status`: what a start answers, as the API records it.
pub(super) fn started_by(starter: &str, new: &NewWorkflow, now: i64, status: u16) -> SignalRecord {
    SignalRecord {
        id: 0,
        workflow_id: new.workflow_id.clone(),
        op: "start".into(),
        at: now,
        caller: Some(format!("workflow {starter}")),
        params: serde_json::json!({
            "name": new.definition.name,
            "version": new.definition.version,
            "correlationId": new.correlation_id,
            "priority": new.priority,
            "parentWorkflowId": new.parent_workflow_id,
            "parentWorkflowTaskId": new.parent_workflow_task_id,
        }),
        status,
        message: None,
        idempotency_key: None,
    }
}
