//! The evaluation loop (Conductor's `decide`, reference §3.1 and conductor-operators §14.2):
//! start what is due, run the open operators, apply timeouts and automatic retries, walk the
//! graph on from every task that ended, and end the workflow when it is done or has failed.

use super::ending::{self, End};
use super::graph::Graph;
use super::instance::{Placement, dequeue};
use super::kinds::{self, Decision, Fatal, TaskKind, kind_of};
use super::retry::{RetryVerdict, auto_retry};
use super::timeouts::{TaskTimeout, check_task, workflow_timed_out};
use super::{Effect, EngineError, Env, NewWorkflow};
use crate::limits::MAX_TASKS_PER_EXECUTION;
use crate::model::{Json, TaskStatus, Workflow, WorkflowStatus};
use serde_json::Value;

/// Passes over the tasks one decision makes at most: each pass ends or creates something,
/// so only a long loop of tasks that finish at once gets here; it goes on at the next
/// decision, which the host makes right after this one commits.
const MAX_PASSES: usize = 2_000;

pub(super) fn start(
    new: NewWorkflow,
    env: &mut dyn Env,
) -> Result<(Workflow, Vec<Effect>), EngineError> {
    let mut wf = create(new, env)?;
    let mut fx = Vec::new();
    decide(&mut wf, env, &mut fx);
    wf.tasks.sort_by_key(|t| t.seq);
    ending::tell_parent_of_start(&wf, &mut fx);
    Ok((wf, fx))
}

/// A new execution that may not run: it ends FAILED with `reason` at once, and tells its
/// parent so.
pub(super) fn refuse(
    new: NewWorkflow,
    reason: String,
    env: &mut dyn Env,
) -> Result<(Workflow, Vec<Effect>), EngineError> {
    let mut wf = create(new, env)?;
    let mut fx = Vec::new();
    let end = End {
        status: WorkflowStatus::Failed,
        reason: Some(reason),
        failed_task_id: None,
        failure_workflow: false,
    };
    ending::end_workflow(&mut wf, end, env, &mut fx);
    ending::tell_parent_of_start(&wf, &mut fx);
    Ok((wf, fx))
}

/// A new RUNNING execution with no tasks yet: its first decision comes later.
pub(super) fn create(new: NewWorkflow, env: &mut dyn Env) -> Result<Workflow, EngineError> {
    let def = new.definition;
    if def.tasks.is_empty() {
        return Err(EngineError::bad_request(format!(
            "Workflow definition {} has no tasks",
            def.key()
        )));
    }
    if !(0..=99).contains(&new.priority) {
        return Err(EngineError::bad_request(
            "priority: Priority must be between 0 and 99",
        ));
    }
    let mut input = new.input;
    for (k, v) in &def.input_template {
        if input.get(k).is_none_or(Value::is_null) {
            input.insert(k.clone(), v.clone());
        }
    }
    let now = env.now();
    let wf = Workflow {
        workflow_id: new.workflow_id,
        workflow_name: def.name.clone(),
        workflow_version: def.version,
        status: WorkflowStatus::Running,
        input,
        output: Json::new(),
        variables: def.variables.clone(),
        correlation_id: new.correlation_id,
        priority: new.priority,
        task_to_domain: new.task_to_domain,
        reason_for_incompletion: None,
        failed_reference_task_names: vec![],
        failed_task_names: vec![],
        failed_task_id: None,
        start_time: now,
        create_time: now,
        update_time: now,
        end_time: 0,
        last_retried_time: 0,
        parent_workflow_id: new.parent_workflow_id,
        parent_workflow_task_id: new.parent_workflow_task_id,
        re_run_from_workflow_id: None,
        event: None,
        created_by: new.created_by,
        idempotency_key: new.idempotency_key,
        workflow_definition: def,
        tasks: vec![],
        inbox: vec![],
        early_signals: vec![],
    };
    Ok(wf)
}

pub(super) fn decide(wf: &mut Workflow, env: &mut dyn Env, fx: &mut Vec<Effect>) {
    if wf.status.is_terminal() {
        if !wf.status.is_successful() {
            ending::cancel_open_tasks(wf, env, fx);
        }
        return;
    }
    // Conductor checks the workflow timeout before the pause: a paused workflow can time out.
    if let Some(reason) = workflow_timed_out(wf, env.now()) {
        ending::end_workflow(wf, End::failure(WorkflowStatus::TimedOut, reason), env, fx);
        return;
    }
    if wf.status == WorkflowStatus::Paused {
        return;
    }
    let def = wf.workflow_definition.clone();
    let graph = Graph::of(&def);
    let mut d = Decision {
        env,
        fx,
        graph: &graph,
    };
    if let Err(Fatal(reason)) = passes(wf, &mut d) {
        ending::end_workflow(
            wf,
            End::failure(WorkflowStatus::Failed, reason),
            d.env,
            d.fx,
        );
    }
}

/// What one pass over a task found.
enum Step {
    /// Nothing happened to it.
    Idle,
    Progressed,
    /// The workflow ended.
    Ended,
}

fn passes(wf: &mut Workflow, d: &mut Decision) -> Result<(), Fatal> {
    let mut settled = false;
    for _ in 0..MAX_PASSES {
        if d.env.should_pause() {
            break;
        }
        if wf.tasks.len() > MAX_TASKS_PER_EXECUTION {
            return Err(Fatal(format!(
                "The workflow has more than {MAX_TASKS_PER_EXECUTION} tasks (every attempt and loop iteration counts): it cannot go on"
            )));
        }
        let mut progressed = false;
        if wf.tasks.iter().all(|t| t.status == TaskStatus::Skipped) {
            let Some(first) = d.graph.first() else {
                break;
            };
            let before = wf.tasks.len();
            kinds::schedule(wf, first, Placement::default(), d)?;
            progressed = wf.tasks.len() > before;
        }
        let mut i = 0;
        while i < wf.tasks.len() {
            match step(wf, i, d)? {
                Step::Idle => {}
                Step::Progressed => progressed = true,
                Step::Ended => return Ok(()),
            }
            i += 1;
        }
        if !progressed {
            settled = true;
            break;
        }
    }
    if !settled {
        d.fx.push(Effect::DecideAgain);
        return Ok(());
    }
    if done(wf, d) {
        ending::complete(wf, d.env, d.fx);
    }
    Ok(())
}

fn step(wf: &mut Workflow, i: usize, d: &mut Decision) -> Result<Step, Fatal> {
    let now = d.env.now();
    let task = &wf.tasks[i];
    if task.retried || task.executed || task.status == TaskStatus::Skipped {
        return Ok(Step::Idle);
    }
    let mut progressed = false;
    // A timed wait whose time has come completes (its timer fired, or fermata was down when
    // it should have).
    if task.status == TaskStatus::InProgress && task.wait_timeout > 0 && task.wait_timeout <= now {
        let task = &mut wf.tasks[i];
        super::instance::finish(task, TaskStatus::Completed, now);
        dequeue(task, d.fx);
        progressed = true;
    }
    let task = &wf.tasks[i];
    if super::kind::due_at(task).is_some_and(|at| at <= now) {
        progressed |= kinds::start(wf, i, d)?;
    }
    if wf.tasks[i].status == TaskStatus::InProgress {
        progressed |= kinds::execute(wf, i, d)?;
    }
    let task = &wf.tasks[i];
    if !task.status.is_terminal() {
        let Some(TaskTimeout {
            reason,
            fail_workflow,
        }) = check_task(task, now)
        else {
            return Ok(if progressed {
                Step::Progressed
            } else {
                Step::Idle
            });
        };
        let task = &mut wf.tasks[i];
        task.reason_for_incompletion = Some(reason.clone());
        super::instance::finish(task, TaskStatus::TimedOut, now);
        dequeue(task, d.fx);
        if fail_workflow {
            let end = End::failure(WorkflowStatus::TimedOut, reason).task(task.task_id.clone());
            ending::end_workflow(wf, end, d.env, d.fx);
            return Ok(Step::Ended);
        }
    }
    if !wf.tasks[i].status.is_successful() {
        match auto_retry(wf, i, d.env, d.fx) {
            RetryVerdict::Retried => return Ok(Step::Progressed),
            RetryVerdict::Continue => {}
            RetryVerdict::FailWorkflow(status, reason) => {
                let end = End::failure(status, reason).task(wf.tasks[i].task_id.clone());
                ending::end_workflow(wf, end, d.env, d.fx);
                return Ok(Step::Ended);
            }
        }
    }
    wf.tasks[i].executed = true;
    if kind_of(&wf.tasks[i].workflow_task) == TaskKind::Terminate
        && wf.tasks[i].status == TaskStatus::Completed
    {
        ending::by_terminate_task(wf, i, d.env, d.fx);
        return Ok(Step::Ended);
    }
    kinds::successors(wf, i, d)?;
    Ok(Step::Progressed)
}

/// Every task has ended, and every top-level task of the definition has run (or was
/// skipped): the cases not taken, and anything nested, are not required.
fn done(wf: &Workflow, d: &Decision) -> bool {
    if wf.tasks.iter().any(|t| !t.status.is_terminal()) {
        return false;
    }
    d.graph.top_level().iter().all(|wt| {
        wf.last_task_by_ref(&wt.task_reference_name)
            .is_some_and(|t| t.executed || t.status == TaskStatus::Skipped)
    })
}
