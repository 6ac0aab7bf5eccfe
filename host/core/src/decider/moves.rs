//! Moving a running workflow elsewhere in its definition, or to another definition (Orkes'
//! jump and upgrade, reference conductor-signals-extra §5).

use super::evaluate::decide;
use super::graph::Graph;
use super::instance::{dequeue, skipped};
use super::kinds::{self, Decision, Fatal};
use super::signals::abandon;
use super::{Effect, EngineError, Env};
use crate::model::{Json, TaskStatus, Workflow, WorkflowDef, WorkflowStatus};

fn must_run(wf: &Workflow, action: &str) -> Result<(), EngineError> {
    if wf.status.is_terminal() {
        return Err(EngineError::conflict(format!(
            "Workflow {} is {}: it cannot be {action}",
            wf.workflow_id, wf.status
        )));
    }
    Ok(())
}

/// `POST /workflow/{id}/jump/{ref}`: what is open is canceled; a jump forward skips the
/// top-level tasks it passes; a jump back keeps what ran as history; the target is
/// scheduled again (with `input` when given) and the workflow goes on from it. No reference
/// jumps to the start. Only top-level tasks are targets, as in Orkes.
pub(super) fn jump(
    wf: &mut Workflow,
    reference: Option<String>,
    input: Json,
    env: &mut dyn Env,
    fx: &mut Vec<Effect>,
) -> Result<(), EngineError> {
    must_run(wf, "jumped")?;
    let def = wf.workflow_definition.clone();
    let top = &def.tasks;
    let target = match reference.as_deref() {
        None => 0,
        Some(r) => top
            .iter()
            .position(|t| t.task_reference_name == r)
            .ok_or_else(|| {
                EngineError::bad_request(format!(
                    "{r} is not a top-level task of {}: only those can be jumped to",
                    def.key()
                ))
            })?,
    };
    let graph = Graph::of(&def);
    let now = env.now();
    let id = wf.workflow_id.clone();
    // What is open ends here; it stays as history, out of the way of what comes.
    for task in wf.tasks.iter_mut().filter(|t| !t.status.is_terminal()) {
        abandon(&id, task, fx);
        dequeue(task, fx);
        task.status = TaskStatus::Canceled;
        task.end_time = now;
        task.update_time = now;
    }
    // Tasks of the target and after it ran before (a jump back): history, superseded.
    let again: Vec<&str> = top[target..]
        .iter()
        .map(|t| t.task_reference_name.as_str())
        .collect();
    for task in wf.tasks.iter_mut() {
        let base = task.base_reference().to_string();
        if again.iter().any(|r| *r == base || graph.inside(r, &base)) {
            task.retried = true;
        }
        task.executed = true;
    }
    // Tasks before the target that never ran (a jump forward): skipped.
    for wt in &top[..target] {
        if wf.last_task_by_ref(&wt.task_reference_name).is_none() {
            let task = skipped(wf, wt.clone(), Json::new(), Json::new(), env);
            wf.tasks.push(task);
        }
    }
    let before = wf.tasks.len();
    let mut d = Decision {
        env: &mut *env,
        fx: &mut *fx,
        graph: &graph,
    };
    if let Err(Fatal(reason)) = kinds::schedule(wf, &top[target], Default::default(), &mut d) {
        return Err(EngineError::bad_request(reason));
    }
    if !input.is_empty()
        && let Some(task) = wf.tasks.get_mut(before)
    {
        task.input_data = input;
    }
    decide(wf, env, fx);
    Ok(())
}

/// What an upgrade moves the workflow to.
#[derive(Debug, Clone, PartialEq)]
pub struct Upgrade {
    pub name: String,
    /// `None`: the latest.
    pub version: Option<i32>,
    /// The definition named, with its task definitions and its sub-workflow versions
    /// pinned: filled in by the host, which knows what is registered, before deciding.
    pub definition: Option<Box<WorkflowDef>>,
    /// Replaces the workflow's input when given.
    pub input: Option<Json>,
    /// Output for the tasks the new definition has before where the workflow stands.
    pub task_output: Json,
}

/// `POST /workflow/{id}/upgrade`: the workflow carries on under another definition (version)
/// from where it stands; the new definition's top-level tasks before the first one that is
/// open now are skipped (with the output given for them), unless they ran.
pub(super) fn upgrade(
    wf: &mut Workflow,
    upgrade: Upgrade,
    env: &mut dyn Env,
    fx: &mut Vec<Effect>,
) -> Result<(), EngineError> {
    // The definition is checked first: a missing one is the caller's mistake whatever
    // state the workflow is in.
    let Some(def) = upgrade.definition.map(|d| *d) else {
        return Err(EngineError::not_found(format!(
            "No such workflow defined. name={}, version={}",
            upgrade.name,
            upgrade.version.map_or("null".into(), |v| v.to_string())
        )));
    };
    must_run(wf, "upgraded")?;
    if def.name != wf.workflow_name {
        return Err(EngineError::bad_request(format!(
            "Workflow {} runs {}: an upgrade moves it to another version of the same definition, not to {}",
            wf.workflow_id, wf.workflow_name, def.name
        )));
    }
    wf.workflow_name = def.name.clone();
    wf.workflow_version = def.version;
    if let Some(input) = upgrade.input {
        wf.input = input;
    }
    let open_at = def.tasks.iter().position(|t| {
        wf.tasks.iter().any(|task| {
            task.base_reference() == t.task_reference_name && !task.status.is_terminal()
        })
    });
    let upto = open_at.unwrap_or(def.tasks.len());
    for wt in &def.tasks[..upto] {
        if wf.last_task_by_ref(&wt.task_reference_name).is_none() {
            let output = match upgrade.task_output.get(&wt.task_reference_name) {
                Some(serde_json::Value::Object(m)) => m.clone(),
                _ => Json::new(),
            };
            let task = skipped(wf, wt.clone(), Json::new(), output, env);
            wf.tasks.push(task);
        }
    }
    wf.workflow_definition = def;
    if wf.status == WorkflowStatus::Running {
        decide(wf, env, fx);
    }
    Ok(())
}
