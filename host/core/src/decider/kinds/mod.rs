//! One module per kind of task, as Conductor keeps one mapper and one system-task class per
//! type. Each kind answers up to three questions: how it is created ([`schedule`]), what
//! happens when a created task is due ([`start`]), and what an open operator does on each
//! decide pass ([`execute`]). The decide loop and the signals only dispatch here.

mod do_while;
mod dynamic;
mod exclusive_join;
mod fork;
mod fork_dynamic;
mod inline_def;
pub(super) mod join;
mod lambda;
pub(super) mod plugin;
mod pull_messages;
mod script;
mod set_variable;
pub(super) use set_variable::MAX_VARIABLES_BYTES;
mod start_workflow;
pub(super) mod sub_workflow;
mod switch;
pub(super) mod terminate;
mod wait_for_webhook;

use super::graph::{Graph, Next};
use super::instance::{Placement, begin, build, finish, push, task_input};
use super::{Effect, Env};
use crate::model::{Json, Task, TaskStatus, Workflow, WorkflowTask};

pub use super::kind::{TaskKind, async_complete, kind_of, kind_of_type};
pub use script::truthy;

/// The decider's working context for one decision: the world, the effects it produces, and
/// the definition tree of the execution.
pub(super) struct Decision<'a> {
    pub env: &'a mut dyn Env,
    pub fx: &'a mut Vec<Effect>,
    pub graph: &'a Graph<'a>,
}

/// Why the workflow cannot go on (Conductor's TerminateWorkflowException): it fails with
/// this reason.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Fatal(pub String);

/// Skipped ahead of time (and not since superseded by a jump back over it).
pub(super) fn is_skipped(wf: &Workflow, reference: &str) -> bool {
    wf.tasks.iter().any(|t| {
        t.reference_task_name == reference && t.status == TaskStatus::Skipped && !t.retried
    })
}

/// Create the task(s) for definition node `wt`. A node already present (and not superseded by
/// a retry) is not created twice; a node skipped ahead of time hands over to its successor.
pub(super) fn schedule(
    wf: &mut Workflow,
    wt: &WorkflowTask,
    at: Placement,
    d: &mut Decision,
) -> Result<(), Fatal> {
    let reference = at.reference(&wt.task_reference_name);
    if is_skipped(wf, &wt.task_reference_name) {
        return match d.graph.next(&wt.task_reference_name) {
            Next::Task(next) => schedule(wf, next, at, d),
            _ => Ok(()),
        };
    }
    if wf
        .tasks
        .iter()
        .any(|t| t.reference_task_name == reference && !t.retried)
    {
        return Ok(());
    }
    match kind_of(wt) {
        TaskKind::Switch | TaskKind::Decision => switch::schedule(wf, wt, at, d),
        TaskKind::Fork => fork::schedule(wf, wt, at, d),
        TaskKind::ForkDynamic => fork_dynamic::schedule(wf, wt, at, d),
        TaskKind::DoWhile => do_while::schedule(wf, wt, at, d),
        TaskKind::Dynamic => dynamic::schedule(wf, wt, at, d),
        TaskKind::SubWorkflow => sub_workflow::schedule(wf, wt, at, d),
        TaskKind::Join | TaskKind::ExclusiveJoin => {
            join::create(wf, wt, at, None, d);
            Ok(())
        }
        kind => {
            let mut task = build(wf, wt, at, Json::new(), d.env);
            // NOOP's mapper takes no input (Conductor).
            if kind != TaskKind::Noop {
                task.input_data = task_input(wf, wt, &task.task_id);
            }
            push(wf, task, d.fx);
            Ok(())
        }
    }
}

/// A created task is due (its start delay has passed): the kinds the decider runs begin
/// here. True when the task changed.
pub(super) fn start(wf: &mut Workflow, i: usize, d: &mut Decision) -> Result<bool, Fatal> {
    let now = d.env.now();
    let task = &mut wf.tasks[i];
    match kind_of(&task.workflow_task) {
        TaskKind::Plugin => Ok(plugin::run_inline(task, d)),
        TaskKind::SubWorkflow => sub_workflow::start(wf, i, d),
        TaskKind::StartWorkflow => Ok(start_workflow::start(wf, i, d)),
        TaskKind::Terminate => {
            terminate::start(task, now);
            Ok(true)
        }
        TaskKind::SetVariable => {
            set_variable::start(wf, i, now);
            Ok(true)
        }
        TaskKind::Noop => {
            finish(task, TaskStatus::Completed, now);
            Ok(true)
        }
        TaskKind::Human | TaskKind::Yield | TaskKind::PullMessages => {
            begin(task, now);
            Ok(true)
        }
        TaskKind::WaitForWebhook => {
            wait_for_webhook::start(task, now);
            Ok(true)
        }
        TaskKind::Lambda => {
            lambda::start(task, d);
            Ok(true)
        }
        TaskKind::Join | TaskKind::ExclusiveJoin | TaskKind::DoWhile => {
            // Reset by a rerun: an operator is open while it waits, never queued.
            begin(task, now);
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// An open operator, on each decide pass. True when it changed.
pub(super) fn execute(wf: &mut Workflow, i: usize, d: &mut Decision) -> Result<bool, Fatal> {
    match kind_of(&wf.tasks[i].workflow_task) {
        TaskKind::Join => Ok(join::execute(wf, i, d.env.now())),
        TaskKind::ExclusiveJoin => Ok(exclusive_join::execute(wf, i, d.env.now())),
        TaskKind::DoWhile => do_while::execute(wf, i, d),
        TaskKind::PullMessages => Ok(pull_messages::execute(wf, i, d.env.now(), d.fx)),
        _ => Ok(false),
    }
}

/// What a task that has run hands on to: nothing for operators that scheduled their
/// children themselves, else the graph's next node.
pub(super) fn successors(wf: &mut Workflow, i: usize, d: &mut Decision) -> Result<(), Fatal> {
    let task = &wf.tasks[i];
    let kind = kind_of(&task.workflow_task);
    match kind {
        TaskKind::Fork | TaskKind::ForkDynamic | TaskKind::Terminate => return Ok(()),
        TaskKind::Switch | TaskKind::Decision if switch::has_children(task) => return Ok(()),
        _ => {}
    }
    // The task after a loop is outside it; anything else stays in the iteration it is in.
    let at = Placement {
        iteration: if kind == TaskKind::DoWhile {
            0
        } else {
            task.iteration
        },
        retry_count: 0,
    };
    let reference = task.base_reference().to_string();
    match d.graph.next(&reference) {
        Next::Task(next) => schedule(wf, next, at, d),
        Next::LoopEnd | Next::BranchEnd | Next::End => Ok(()),
    }
}

/// Ended without success, whatever the reason.
pub(super) fn failed(task: &Task) -> bool {
    task.status.is_terminal() && !task.status.is_successful()
}

/// Whether the decider has dealt with this ended task: an unsuccessful one may still be
/// retried or turned into COMPLETED_WITH_ERRORS, so joins and loops wait for that.
pub(super) fn settled(task: &Task) -> bool {
    task.status.is_terminal() && (task.executed || task.status.is_successful())
}
