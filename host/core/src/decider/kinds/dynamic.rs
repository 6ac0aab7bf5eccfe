//! DYNAMIC (reference conductor-operators §11): the task to run is named by an input value;
//! it runs as that task would (a worker task, a plugin, or an operator).

use super::super::instance::{Placement, task_input};
use super::{Decision, Fatal, TaskKind, kind_of_type, schedule as schedule_node, script};
use crate::model::{Workflow, WorkflowTask};
use serde_json::Value;

pub(super) fn schedule(
    wf: &mut Workflow,
    wt: &WorkflowTask,
    at: Placement,
    d: &mut Decision,
) -> Result<(), Fatal> {
    let param = wt.dynamic_task_name_param.as_deref().unwrap_or_default();
    let input = task_input(wf, wt, "");
    let name = match input.get(param) {
        Some(Value::Null) | None => {
            return Err(Fatal(format!(
                "Cannot map a dynamic task based on the parameter and input. Parameter= {param}, input= {}",
                Value::Object(input.clone())
            )));
        }
        Some(v) => script::java_string(v),
    };
    let mut resolved = wt.clone();
    resolved.name = name.clone();
    resolved.task_type = match kind_of_type(&name) {
        TaskKind::Worker | TaskKind::Dynamic => "SIMPLE".into(),
        TaskKind::Plugin if !d.env.is_plugin(&name) => "SIMPLE".into(),
        _ => name.clone(),
    };
    // The placeholder's TaskDef (if any) applies, as in a running Conductor server.
    if resolved.task_definition.is_none() {
        resolved.task_definition = d.env.task_def(&name);
    }
    schedule_node(wf, &resolved, at, d)
}
