//! What decisions look up: definitions the decider asked for (loaded, then the decision is
//! made again), the failure workflow loaded up front, the latest definition for a restart,
//! and sub-workflow versions pinned when a workflow starts.

use super::Engine;
use super::env::HostEnv;
use crate::error::{Error, Result};
use fermata_core::decider::{TaskKind, failure_workflow_target, kind_of};
use fermata_core::model::{Workflow, WorkflowDef, walk};
use serde_json::Value;

/// Rounds of "ask, load, decide again" one change may take: each round loads everything the
/// last one missed, so only a chain of definitions each naming the next goes this deep.
pub const MAX_LOOKUP_ROUNDS: usize = 64;

pub(super) fn too_many_lookups(what: &str) -> Error {
    Error::server(format!(
        "deciding {what} needed more than {MAX_LOOKUP_ROUNDS} rounds of definition lookups"
    ))
}

impl Engine {
    /// Load what the last decision asked for and did not find. True when anything was
    /// missing: the decision must then be made again.
    pub(super) async fn fill(&self, env: &mut HostEnv) -> Result<bool> {
        let missing = env.take_missing();
        if missing.is_empty() {
            return Ok(false);
        }
        for (name, version) in missing.workflow_defs {
            let def = match self.store.workflow_def(&name, version).await? {
                Some(def) => Some(self.with_task_defs(def).await?),
                None => None,
            };
            // The latest version is also that version, which a child pinned to it asks for.
            if let (None, Some(def)) = (version, &def) {
                env.with_def(&name, Some(def.version), Some(def.clone()));
            }
            env.with_def(&name, version, def);
        }
        for name in missing.task_defs {
            let def = self.store.task_def(&name).await?;
            env.with_task_def(&name, def);
        }
        Ok(true)
    }

    /// Complete an event with what only the store knows: the definition an upgrade moves
    /// to, with its task definitions and its sub-workflow versions pinned.
    pub(super) async fn resolve(&self, event: fermata_core::Event) -> Result<fermata_core::Event> {
        let fermata_core::Event::Upgrade(mut upgrade) = event else {
            return Ok(event);
        };
        if upgrade.definition.is_none()
            && let Some(def) = self
                .store
                .workflow_def(&upgrade.name, upgrade.version)
                .await?
        {
            let def = self.with_task_defs(def).await?;
            let def = self.pin_sub_workflow_versions(def).await?;
            upgrade.definition = Some(Box::new(def));
        }
        Ok(fermata_core::Event::Upgrade(upgrade))
    }

    /// Load the failure workflow this execution names before deciding it (most decisions
    /// that need a definition need that one).
    pub(super) async fn preload(&self, wf: &Workflow, env: &mut HostEnv) -> Result<()> {
        if let Some((name, version)) = failure_workflow_target(wf)
            && !env.has_def(&name, version)
        {
            let def = match self.store.workflow_def(&name, version).await? {
                Some(def) => Some(self.with_task_defs(def).await?),
                None => None,
            };
            env.with_def(&name, version, def);
        }
        Ok(())
    }

    /// Conductor pins a sub-workflow without a version to the latest one when its parent
    /// starts (a later version registered meanwhile does not change what runs), and refuses
    /// to start when there is none.
    pub(super) async fn pin_sub_workflow_versions(
        &self,
        mut def: WorkflowDef,
    ) -> Result<WorkflowDef> {
        let mut names = Vec::new();
        walk(&def.tasks, &mut |t| {
            if let Some(name) = unpinned(t) {
                names.push((t.name.clone(), name.to_string()));
            }
        });
        let mut latest = std::collections::HashMap::new();
        for (task, name) in names {
            match self.store.workflow_def(&name, None).await? {
                Some(found) => {
                    latest.insert(name, found.version);
                }
                None => {
                    return Err(Error::bad_request(format!(
                        "The Task {task} defined as a sub-workflow has no workflow definition available "
                    )));
                }
            }
        }
        fermata_core::model::walk_mut(&mut def.tasks, &mut |t| {
            if let Some(version) = unpinned(t).and_then(|n| latest.get(n)).copied()
                && let Some(param) = t.sub_workflow_param.as_mut()
            {
                param.version = Some(Value::from(version));
            }
        });
        Ok(def)
    }
}

/// The sub-workflow name of a SUB_WORKFLOW task given by a literal name, no version and no
/// inline definition.
fn unpinned(t: &fermata_core::model::WorkflowTask) -> Option<&str> {
    if kind_of(t) != TaskKind::SubWorkflow {
        return None;
    }
    let param = t.sub_workflow_param.as_ref()?;
    if param.workflow_definition.is_some() || param.version.as_ref().is_some_and(|v| !v.is_null()) {
        return None;
    }
    param.name.as_deref().filter(|n| !n.contains("${"))
}
