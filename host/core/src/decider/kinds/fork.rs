//! FORK_JOIN (reference conductor-operators §2.2): a FORK task born COMPLETED, the first task
//! of every branch, and the JOIN written after the fork, all created together.

use super::super::instance::{Placement, build, finish, push, task_input};
use super::{Decision, Fatal, join, schedule as schedule_node};
use crate::model::{TaskStatus, Workflow, WorkflowTask};

pub(super) fn schedule(
    wf: &mut Workflow,
    wt: &WorkflowTask,
    at: Placement,
    d: &mut Decision,
) -> Result<(), Fatal> {
    let join = join::after(
        wt,
        d,
        "Fork task definition is not followed by a join task.  Check the blueprint",
    )?;
    let mut fork = build(wf, wt, at, Default::default(), d.env);
    fork.input_data = task_input(wf, wt, &fork.task_id);
    finish(&mut fork, TaskStatus::Completed, d.env.now());
    push(wf, fork, d.fx);
    for branch in wt.fork_tasks.iter().flatten() {
        if let Some(head) = branch.first() {
            schedule_node(wf, head, at, d)?;
        }
    }
    join::create(wf, join, at, None, d);
    Ok(())
}
