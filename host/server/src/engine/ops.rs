//! What a caller applies to one execution: a decider event, what the caller is answered, and
//! what the commit carries besides. A new signal is an [`Event`] variant and its handler in
//! the decider; here it needs nothing.

use crate::error::{Error, Result};
use fermata_core::decider::{Message, PluginOutcome, RefUpdate, SignalUpdate, TaskUpdate};
use fermata_core::model::{Json, Task, TaskResult, TaskResultStatus, Workflow};
use fermata_core::{Event, Outcome};
use fermata_store::{IdempotencyRecord, NewEvent};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct Op {
    pub event: Event,
    pub answer: Answer,
    pub carry: Carry,
}

/// What the caller gets once the change is durable.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Nothing.
    Empty,
    /// Restart and retry: nothing, and no content.
    NoContent,
    /// The workflow's id.
    WorkflowId,
    /// The id of the task the event applied to, else this one.
    TaskId { otherwise: String },
    /// The workflow after the change.
    Workflow,
    /// The workflow with the synchronous signal's `TARGET_WORKFLOW` fields.
    SignalTarget,
    /// A text known in advance (a message's id).
    Text(String),
    /// The task the event handed out (a poll), or nothing.
    Task,
}

/// What the commit carries besides the execution's change.
#[derive(Debug, Clone, Default)]
pub enum Carry {
    #[default]
    Nothing,
    /// A message from another execution: its outbox row, deleted in the same commit.
    Outbox(i64),
    /// A plugin's `conductor:` events, published with its outcome when that is applied.
    Events(Vec<NewEvent>),
}

impl Op {
    pub fn new(event: Event, answer: Answer) -> Op {
        Op {
            event,
            answer,
            carry: Carry::Nothing,
        }
    }

    /// An event whose caller is answered with nothing.
    pub fn plain(event: Event) -> Op {
        Op::new(event, Answer::Empty)
    }

    /// `POST /tasks` and `update-v2`: a whole TaskResult, its output replacing the task's;
    /// answers the task's id.
    pub fn task_result(result: TaskResult) -> Result<Op> {
        let otherwise = result.task_id.clone();
        Ok(Op::new(
            Event::TaskUpdated(TaskUpdate::replacing(result)?),
            Answer::TaskId { otherwise },
        ))
    }

    /// `POST /tasks/{wf}/{ref}/{status}[/sync]`: output merged; answers the task's id, or
    /// the workflow when `sync`.
    pub fn update_by_ref(
        reference: String,
        status: TaskResultStatus,
        output: Json,
        worker_id: Option<String>,
        sync: bool,
    ) -> Op {
        let update = RefUpdate {
            reference,
            status,
            output,
            worker_id,
        };
        let answer = if sync {
            Answer::Workflow
        } else {
            Answer::TaskId {
                otherwise: String::new(),
            }
        };
        Op::new(Event::UpdateTaskByRef(update), answer)
    }

    /// `POST /tasks/{wf}/{status}/signal[/sync]`: the open WAIT or YIELD. The synchronous
    /// form refuses when nothing waits and answers the target workflow.
    pub fn signal(status: TaskResultStatus, output: Json, sync: bool) -> Op {
        let signal = SignalUpdate {
            status,
            output,
            required: sync,
        };
        let answer = if sync {
            Answer::SignalTarget
        } else {
            Answer::Empty
        };
        Op::new(Event::Signal(signal), answer)
    }

    /// A message another execution sent through the outbox.
    pub fn delivery(outbox_id: i64, message: Message) -> Op {
        Op {
            event: Event::Deliver {
                from: message.from,
                body: message.body,
            },
            answer: Answer::Empty,
            carry: Carry::Outbox(outbox_id),
        }
    }

    /// A plugin's outcome, and the `conductor:` events it published.
    pub fn plugin_finished(
        task_id: String,
        token: i32,
        outcome: PluginOutcome,
        events: Vec<NewEvent>,
    ) -> Op {
        Op {
            event: Event::PluginFinished {
                task_id,
                token,
                outcome,
            },
            answer: Answer::Empty,
            carry: Carry::Events(events),
        }
    }

    pub fn name(&self) -> &'static str {
        self.event.name()
    }

    pub fn recorded(&self) -> bool {
        self.event.is_signal()
    }

    pub fn params(&self) -> Value {
        self.event.params()
    }

    /// What the caller is answered once the change is durable.
    pub fn reply(&self, wf: &Workflow, outcome: &Outcome) -> Reply {
        match &self.answer {
            Answer::Empty => Reply::Ok,
            Answer::NoContent => Reply::NoContent,
            Answer::WorkflowId => Reply::Text(wf.workflow_id.clone()),
            Answer::TaskId { otherwise } => {
                Reply::Text(outcome.task_id.clone().unwrap_or_else(|| otherwise.clone()))
            }
            Answer::Workflow => Reply::Json(serde_json::to_value(wf).unwrap_or_default()),
            Answer::SignalTarget => {
                let mut body = serde_json::to_value(wf).unwrap_or_default();
                if let Value::Object(m) = &mut body {
                    m.insert("responseType".into(), json!("TARGET_WORKFLOW"));
                    m.insert("targetWorkflowId".into(), json!(wf.workflow_id));
                    m.insert("targetWorkflowStatus".into(), json!(wf.status));
                }
                Reply::Json(body)
            }
            Answer::Text(text) => Reply::Text(text.clone()),
            Answer::Task => Reply::Task(
                outcome
                    .task_id
                    .as_deref()
                    .and_then(|id| wf.task(id))
                    .cloned()
                    .map(Box::new),
            ),
        }
    }
}

/// A successful answer, before the API renders it.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Nothing.
    Ok,
    /// No content.
    NoContent,
    /// Text (ids, as Conductor sends them).
    Text(String),
    Json(Value),
    /// A polled task, or no content.
    Task(Option<Box<Task>>),
    /// The first answer to a repeated Idempotency-Key.
    Replayed(IdempotencyRecord),
}

/// An answer as the caller got it, encoded by the API ([`Answers`]): what the signal log
/// and a repeated Idempotency-Key replay.
pub struct Rendered {
    pub status: u16,
    pub content_type: Option<&'static str>,
    pub body: Vec<u8>,
}

/// How answers are recorded. The engine does not know their wire form: the API supplies this.
pub trait Answers: Send + Sync {
    fn reply(&self, reply: &Reply) -> Rendered;
    fn error(&self, error: &Error) -> Rendered;
    /// Whether a recorded answer refused the request.
    fn refused(&self, first: &IdempotencyRecord) -> bool;
}
