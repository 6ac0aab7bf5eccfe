//! A definition given inline — a sub-workflow's `workflowDefinition`, a START_WORKFLOW's
//! `workflowDef`, possibly computed from data — is checked as registration checks a
//! definition, and gets the registered task definitions its tasks name.

use super::Decision;
use crate::model::{WorkflowDef, validate, walk_mut};

pub(super) fn prepare(mut def: WorkflowDef, d: &mut Decision) -> Result<WorkflowDef, String> {
    let errors = {
        let env = &*d.env;
        let rules = validate::Rules {
            known_type: &|t| t.eq_ignore_ascii_case("SIMPLE") || env.is_plugin(t),
            // Its scripts are parsed when they run: a decision does not run the parser twice.
            script_error: &|_| None,
        };
        validate::workflow_def(&def, &rules)
    };
    if !errors.is_empty() {
        let problems: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.path, e.message))
            .collect();
        return Err(format!(
            "Invalid inline workflow definition {}: {}",
            def.name,
            problems.join("; ")
        ));
    }
    walk_mut(&mut def.tasks, &mut |t| {
        if t.task_definition.is_none() {
            t.task_definition = d.env.task_def(&t.name);
        }
    });
    Ok(def)
}
