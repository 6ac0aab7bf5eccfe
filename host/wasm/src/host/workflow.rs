//! `workflow.update-task`: a plugin signals another task (UPDATE_TASK). This crate does not
//! know the engine; the server hands it a [`WorkflowSignals`] that applies the update as a
//! signal, keyed by the asking task so that running the plugin again does not apply it twice.

use super::{Capability, State};
use crate::fermata::task::workflow::{Host, TaskStatus, TaskUpdate};
use fermata_core::model::{Json, TaskResultStatus};
use std::future::Future;
use std::pin::Pin;

/// Who asks for an update: the plugin's task, and which of its requests this is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalCaller {
    pub workflow_id: String,
    pub task_id: String,
    pub task_type: String,
    /// The task's run: a task reset in place asks anew.
    pub run: i64,
    /// 0 for the execution's first request, then one more per request: with the task id,
    /// the idempotency key of the update.
    pub sequence: u32,
}

impl SignalCaller {
    pub fn idempotency_key(&self) -> String {
        format!(
            "plugin-task/{}/{}/{}",
            self.task_id, self.run, self.sequence
        )
    }
}

/// The target of an update and what to write.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskUpdateRequest {
    pub target: UpdateTarget,
    pub status: TaskResultStatus,
    pub output: Json,
    pub merge_output: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateTarget {
    Reference {
        workflow_id: String,
        reference: String,
    },
    TaskId {
        /// Checked against the task's own execution when given.
        workflow_id: Option<String>,
        task_id: String,
    },
}

type Answer<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// The engine's side of `workflow.update-task`.
pub trait WorkflowSignals: Send + Sync {
    fn update_task<'a>(&'a self, caller: SignalCaller, request: TaskUpdateRequest) -> Answer<'a>;
}

impl Host for State {
    async fn update_task(&mut self, update: TaskUpdate) -> Result<(), String> {
        self.require(Capability::Workflow)?;
        let request = request(update)?;
        let Some(signals) = self.services.signals.get().cloned() else {
            return Err("the engine does not accept task updates from plugins here".into());
        };
        let caller = SignalCaller {
            workflow_id: self.workflow_id.clone(),
            task_id: self.task_id.clone(),
            task_type: self.task_type.clone(),
            run: self.run,
            sequence: self.updates_asked,
        };
        self.updates_asked += 1;
        match tokio::time::timeout(self.remaining(), signals.update_task(caller, request)).await {
            Ok(answer) => answer,
            Err(_) => Err("the task update did not finish before the plugin's deadline".into()),
        }
    }
}

fn request(update: TaskUpdate) -> Result<TaskUpdateRequest, String> {
    let text = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let workflow_id = text(update.workflow_id);
    let target = match (
        text(update.task_id),
        text(update.task_ref_name),
        workflow_id,
    ) {
        (Some(task_id), _, workflow_id) => UpdateTarget::TaskId {
            workflow_id,
            task_id,
        },
        (None, Some(reference), Some(workflow_id)) => UpdateTarget::Reference {
            workflow_id,
            reference,
        },
        (None, Some(_), None) => return Err("taskRefName needs a workflowId".into()),
        (None, None, _) => {
            return Err("name the task: taskId, or workflowId and taskRefName".into());
        }
    };
    if let Some(problem) = fermata_core::limits::check_raw_json(update.output.as_bytes()) {
        return Err(format!("taskOutput refused: {problem}"));
    }
    let output = match serde_json::from_str::<serde_json::Value>(&update.output) {
        Ok(serde_json::Value::Object(m)) => m,
        Ok(serde_json::Value::Null) => Json::new(),
        _ => return Err("taskOutput must be a JSON object".into()),
    };
    Ok(TaskUpdateRequest {
        target,
        status: match update.status {
            TaskStatus::Completed => TaskResultStatus::Completed,
            TaskStatus::Failed => TaskResultStatus::Failed,
            TaskStatus::FailedWithTerminalError => TaskResultStatus::FailedWithTerminalError,
        },
        output,
        merge_output: update.merge_output,
    })
}
