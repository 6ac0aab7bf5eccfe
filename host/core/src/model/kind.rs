//! What kind of task a definition node is — a worker's, a plugin's, or an operator the
//! decider runs — from its `type` alone.

use super::defs::WorkflowTask;

/// What kind of task a definition node is, and so who runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// An external worker polls it from the queue named after the task definition.
    Worker,
    /// A plugin runs it (inside the decision when it is pure, else from `system:TYPE`).
    Plugin,
    Switch,
    Decision,
    Fork,
    ForkDynamic,
    Join,
    ExclusiveJoin,
    DoWhile,
    SubWorkflow,
    StartWorkflow,
    Terminate,
    SetVariable,
    Noop,
    /// Waits until a task update completes it.
    Human,
    /// Waits until a signal (the `/signal` endpoints) completes it: Orkes' YIELD.
    Yield,
    /// Takes messages from the workflow's inbox (Conductor's PULL_WORKFLOW_MESSAGES).
    PullMessages,
    /// Waits until a delivery to an incoming webhook matches it (Orkes' WAIT_FOR_WEBHOOK).
    WaitForWebhook,
    Lambda,
    Dynamic,
}

pub fn kind_of(wt: &WorkflowTask) -> TaskKind {
    kind_of_type(&wt.task_type)
}

pub fn kind_of_type(task_type: &str) -> TaskKind {
    match task_type.to_ascii_uppercase().as_str() {
        "SIMPLE" => TaskKind::Worker,
        "SWITCH" => TaskKind::Switch,
        "DECISION" => TaskKind::Decision,
        "FORK_JOIN" | "FORK" => TaskKind::Fork,
        "FORK_JOIN_DYNAMIC" => TaskKind::ForkDynamic,
        "JOIN" => TaskKind::Join,
        "EXCLUSIVE_JOIN" => TaskKind::ExclusiveJoin,
        "DO_WHILE" => TaskKind::DoWhile,
        "SUB_WORKFLOW" => TaskKind::SubWorkflow,
        "START_WORKFLOW" => TaskKind::StartWorkflow,
        "TERMINATE" => TaskKind::Terminate,
        "SET_VARIABLE" => TaskKind::SetVariable,
        "NOOP" => TaskKind::Noop,
        "HUMAN" => TaskKind::Human,
        "DYNAMIC" => TaskKind::Dynamic,
        "LAMBDA" => TaskKind::Lambda,
        "YIELD" => TaskKind::Yield,
        "PULL_WORKFLOW_MESSAGES" => TaskKind::PullMessages,
        "WAIT_FOR_WEBHOOK" => TaskKind::WaitForWebhook,
        _ => TaskKind::Plugin,
    }
}

/// The task types the decider itself implements (besides SIMPLE and plugins).
pub const OPERATOR_TYPES: [&str; 18] = [
    "SWITCH",
    "DECISION",
    "FORK_JOIN",
    "FORK_JOIN_DYNAMIC",
    "JOIN",
    "EXCLUSIVE_JOIN",
    "DO_WHILE",
    "SUB_WORKFLOW",
    "START_WORKFLOW",
    "TERMINATE",
    "SET_VARIABLE",
    "NOOP",
    "HUMAN",
    "DYNAMIC",
    "LAMBDA",
    "YIELD",
    "PULL_WORKFLOW_MESSAGES",
    "WAIT_FOR_WEBHOOK",
];

impl TaskKind {
    /// Control-flow operators: never retried automatically, whatever a TaskDef says.
    pub fn is_builtin(self) -> bool {
        matches!(
            self,
            Self::Switch
                | Self::Decision
                | Self::Fork
                | Self::ForkDynamic
                | Self::Join
                | Self::ExclusiveJoin
                | Self::DoWhile
        )
    }
}
