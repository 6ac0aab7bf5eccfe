//! Rerun from a task (reference §3.6, conductor-operators §14.6). Conductor OSS reruns only
//! ended workflows; like Orkes, fermata also reruns a running or paused one. What came after
//! the rerun task is removed, unless it runs beside it: the other branches of the forks it
//! sits in stay, and their JOINs wait again; the loop it sits in goes back to its iteration.

use super::ending::reopen;
use super::evaluate::decide;
use super::graph::Graph;
use super::instance::{Placement, begin, dequeue, enqueue, reset};
use super::kind::{TaskKind, kind_of};
use super::kinds::join;
use super::signals::{abandon, drop_all_tasks, recreate_node};
use super::{Effect, EngineError, Env};
use crate::model::{Json, RerunWorkflowRequest, Task, Workflow, WorkflowTask};
use serde_json::json;

pub(super) fn rerun(
    wf: &mut Workflow,
    request: RerunWorkflowRequest,
    env: &mut dyn Env,
    fx: &mut Vec<Effect>,
) -> Result<(), EngineError> {
    let from = match request
        .re_run_from_task_id
        .as_deref()
        .filter(|id| !id.is_empty())
    {
        Some(id) => Some(
            wf.task_index(id)
                .ok_or_else(|| EngineError::bad_request(format!("Task {id} not found")))?,
        ),
        None => None,
    };
    if let Some(correlation_id) = request.correlation_id.clone() {
        wf.correlation_id = Some(correlation_id);
    }
    if let Some(input) = request.workflow_input.clone() {
        wf.input = input;
    }
    reopen(wf);
    let Some(from) = from else {
        drop_all_tasks(wf, fx);
        decide(wf, env, fx);
        return Ok(());
    };
    let now = env.now();
    let def = wf.workflow_definition.clone();
    let graph = Graph::of(&def);
    let point = Point::of(wf, from, &graph);
    let id = wf.workflow_id.clone();
    for task in wf.tasks.iter().filter(|t| point.removes(t, &graph)) {
        abandon(&id, task, fx);
        dequeue(task, fx);
    }
    wf.tasks.retain(|t| !point.removes(t, &graph));
    for task in wf.tasks.iter_mut().filter(|t| point.joins(t, &graph)) {
        reopen_operator(task, now);
    }
    for task in wf.tasks.iter_mut() {
        let is_from = task.task_id == point.id;
        let failed_before = task.status.is_terminal()
            && !task.status.is_successful()
            && !task.retried
            && task.reference_task_name != point.reference;
        if !(is_from || failed_before) {
            continue;
        }
        match kind_of(&task.workflow_task) {
            // Open operators wait again where they stand; a rerun loop starts over.
            TaskKind::Join | TaskKind::ExclusiveJoin | TaskKind::DoWhile => {
                reopen_operator(task, now);
                if is_from && kind_of(&task.workflow_task) == TaskKind::DoWhile {
                    task.iteration = 0;
                    task.output_data = Json::new();
                }
            }
            _ => {
                abandon(&id, task, fx);
                let input = task.input_data.clone();
                reset(task, now);
                task.input_data = input;
                enqueue(task, 0, fx);
            }
        }
        if is_from && let Some(input) = request.task_input.clone() {
            task.input_data = input;
        }
    }
    reopen_loop(wf, &point, &graph, now);
    if let Some((wt, placement)) = point.recreate
        && !recreate_node(wf, &wt, placement, &graph, env, fx)
    {
        return Ok(());
    }
    decide(wf, env, fx);
    Ok(())
}

/// Where a rerun starts, and what runs beside it.
struct Point<'g> {
    id: String,
    reference: String,
    base: String,
    seq: i32,
    iteration: i32,
    /// Operators that decide when they are created (SWITCH, the forks) are created again:
    /// they evaluate afresh and their branches follow. Conductor OSS resets them in place,
    /// where they decide nothing.
    recreate: Option<(WorkflowTask, Placement)>,
    /// The static forks holding the task, innermost first, with the branch it is in.
    forks: Vec<(&'g WorkflowTask, usize)>,
    /// The JOIN of the dynamic fork that created the task, and the refs it joins on.
    dynamic: Option<(String, Vec<String>)>,
}

impl<'g> Point<'g> {
    fn of(wf: &Workflow, from: usize, graph: &Graph<'g>) -> Point<'g> {
        let task = &wf.tasks[from];
        let base = task.base_reference().to_string();
        let kind = kind_of(&task.workflow_task);
        let recreate = matches!(
            kind,
            TaskKind::Switch | TaskKind::Decision | TaskKind::Fork | TaskKind::ForkDynamic
        )
        .then(|| {
            let at = Placement {
                iteration: task.iteration,
                retry_count: task.retry_count,
            };
            (task.workflow_task.clone(), at)
        });
        // A task the definition does not hold was created by a dynamic fork.
        let dynamic = if graph.holds(&base) {
            None
        } else {
            wf.tasks
                .iter()
                .filter(|t| kind_of(&t.workflow_task) == TaskKind::Join)
                .filter(|t| t.iteration == task.iteration && t.seq > task.seq)
                .map(|t| (t.task_id.clone(), join::refs(t, "joinOn")))
                .find(|(_, refs)| refs.contains(&task.reference_task_name))
        };
        Point {
            id: task.task_id.clone(),
            reference: task.reference_task_name.clone(),
            seq: task.seq,
            iteration: task.iteration,
            recreate,
            forks: graph.forks_around(&base),
            dynamic,
            base,
        }
    }

    /// A JOIN that waits for the rerun task (and so waits again).
    fn joins(&self, t: &Task, graph: &Graph) -> bool {
        if t.iteration != self.iteration {
            return false;
        }
        let static_join = self.forks.iter().any(|(fork, _)| {
            graph
                .following(&fork.task_reference_name)
                .is_some_and(|j| j.task_reference_name == t.base_reference())
        });
        static_join
            || self
                .dynamic
                .as_ref()
                .is_some_and(|(id, _)| *id == t.task_id)
    }

    /// A task created after the rerun task that does not depend on it: another branch of
    /// its fork (static or dynamic) in the same iteration, or the JOIN waiting for both.
    fn beside(&self, t: &Task, graph: &Graph) -> bool {
        if t.iteration != self.iteration {
            return false;
        }
        let other_branch = self.forks.iter().any(|(fork, branch)| {
            graph
                .branch_in(&fork.task_reference_name, t.base_reference())
                .is_some_and(|b| b != *branch)
        });
        let other_fork = self.dynamic.as_ref().is_some_and(|(_, refs)| {
            t.reference_task_name != self.reference && refs.contains(&t.reference_task_name)
        });
        other_branch || other_fork || self.joins(t, graph)
    }

    fn removes(&self, t: &Task, graph: &Graph) -> bool {
        let recreated = self.recreate.is_some() && t.task_id == self.id;
        recreated || (t.seq > self.seq && !self.beside(t, graph))
    }
}

fn reopen_operator(task: &mut Task, now: i64) {
    begin(task, now);
    task.end_time = 0;
    task.executed = false;
    task.reason_for_incompletion = None;
}

/// The loop holding the rerun task goes back to the task's iteration: what later
/// iterations did is gone, and the loop decides again when this one ends.
fn reopen_loop(wf: &mut Workflow, point: &Point, graph: &Graph, now: i64) {
    if point.iteration == 0 {
        return;
    }
    let holds = |t: &Task| {
        kind_of(&t.workflow_task) == TaskKind::DoWhile
            && graph.inside(&t.reference_task_name, &point.base)
    };
    for lp in wf.tasks.iter_mut().filter(|t| holds(t)) {
        reopen_operator(lp, now);
        lp.iteration = point.iteration;
        lp.output_data
            .retain(|k, _| k.parse::<i32>().map_or(true, |n| n <= point.iteration));
        lp.output_data
            .insert("iteration".into(), json!(point.iteration));
    }
}
