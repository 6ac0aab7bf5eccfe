//! Workflow and task definitions: validation, registration, and embedding task definitions
//! into a workflow definition when an execution starts (so the decider needs no lookups).

use super::{Engine, now_ms};
use crate::error::{Error, Result};
use fermata_core::model::validate;
use fermata_core::model::{BulkResponse, TaskDef, WorkflowDef};
use fermata_store::{DefSummary, TagOwner};
use std::collections::BTreeMap;

impl Engine {
    /// Task types a definition may use: SIMPLE (worker) tasks and every type a plugin runs.
    pub fn known_task_type(&self, task_type: &str) -> bool {
        task_type.eq_ignore_ascii_case("SIMPLE")
            || self
                .system_types
                .read()
                .expect("system types poisoned")
                .contains(task_type)
    }

    /// Make a system task type (one a plugin runs) usable in definitions.
    pub fn add_system_type(&self, task_type: &str) {
        self.system_types
            .write()
            .expect("system types poisoned")
            .insert(task_type.to_string());
    }

    pub fn validate_workflow_def(&self, def: &WorkflowDef) -> Result<()> {
        let runner = self.pure.read().expect("pure runner poisoned").clone();
        let rules = validate::Rules {
            known_type: &|t| self.known_task_type(t),
            script_error: &|expression| runner.as_ref()?.script_error(expression),
        };
        let errors = validate::workflow_def(def, &rules);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::validation(errors))
        }
    }

    pub async fn register_workflow_def(&self, def: &WorkflowDef, overwrite: bool) -> Result<()> {
        self.validate_workflow_def(def)?;
        match self.store.put_workflow_def(def, overwrite, now_ms()).await {
            Err(fermata_store::StoreError::AlreadyExists(_)) => Err(Error::conflict(format!(
                "Workflow with {}.{} already exists!",
                def.name, def.version
            ))),
            other => Ok(other?),
        }
    }

    /// `PUT /metadata/workflow`: create or update each; failures are reported per name.
    pub async fn upsert_workflow_defs(&self, defs: &[WorkflowDef]) -> BulkResponse {
        let mut response = BulkResponse::default();
        for def in defs {
            match self.register_workflow_def(def, true).await {
                Ok(()) => response.bulk_successful_results.push(def.name.clone()),
                Err(e) => {
                    let detail = e
                        .validation_errors
                        .iter()
                        .map(|v| format!("{}: {}", v.path, v.message))
                        .collect::<Vec<_>>();
                    let message = if detail.is_empty() {
                        e.message
                    } else {
                        detail.join("; ")
                    };
                    response
                        .bulk_error_results
                        .insert(def.name.clone(), message);
                }
            }
        }
        response
    }

    pub fn validate_task_def(&self, def: &TaskDef) -> Result<()> {
        let errors = validate::task_def(def);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::validation(errors))
        }
    }

    pub async fn register_task_defs(&self, defs: &[TaskDef]) -> Result<()> {
        let errors: Vec<_> = defs
            .iter()
            .enumerate()
            .flat_map(|(i, d)| {
                validate::task_def(d).into_iter().map(move |mut e| {
                    e.path = format!("[{i}].{}", e.path);
                    e
                })
            })
            .collect();
        if !errors.is_empty() {
            return Err(Error::validation(errors));
        }
        let now = now_ms();
        for def in defs {
            self.store.put_task_def(def, now).await?;
        }
        Ok(())
    }

    pub async fn update_task_def(&self, def: &TaskDef) -> Result<()> {
        self.validate_task_def(def)?;
        if self.store.task_def(&def.name).await?.is_none() {
            return Err(Error::not_found(format!(
                "No such task by name {}",
                def.name
            )));
        }
        self.store.put_task_def(def, now_ms()).await?;
        Ok(())
    }

    /// `GET /metadata/workflow`: every version of every workflow definition.
    pub async fn workflow_defs(&self) -> Result<Vec<WorkflowDef>> {
        Ok(self.store.workflow_defs().await?)
    }

    /// `GET /metadata/workflow/latest-versions`: the highest version of each name, by name.
    pub async fn latest_workflow_defs(&self) -> Result<Vec<WorkflowDef>> {
        let mut latest: BTreeMap<String, WorkflowDef> = BTreeMap::new();
        for def in self.store.workflow_defs().await? {
            match latest.get(&def.name) {
                Some(seen) if seen.version >= def.version => {}
                _ => {
                    latest.insert(def.name.clone(), def);
                }
            }
        }
        Ok(latest.into_values().collect())
    }

    /// `GET /metadata/workflow/names`: each workflow definition's name once.
    pub async fn workflow_def_names(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = self
            .store
            .workflow_def_versions()
            .await?
            .into_iter()
            .map(|d| d.name)
            .collect();
        names.dedup();
        Ok(names)
    }

    /// `GET /metadata/workflow/names-and-versions`: the versions of each name.
    pub async fn workflow_defs_by_name(&self) -> Result<BTreeMap<String, Vec<DefSummary>>> {
        let mut by_name: BTreeMap<String, Vec<DefSummary>> = BTreeMap::new();
        for d in self.store.workflow_def_versions().await? {
            by_name.entry(d.name.clone()).or_default().push(d);
        }
        Ok(by_name)
    }

    /// `GET /metadata/workflow/{name}`: one version (the latest when none is given).
    pub async fn workflow_def(&self, name: &str, version: Option<i32>) -> Result<WorkflowDef> {
        self.store
            .workflow_def(name, version)
            .await?
            .ok_or_else(|| {
                let version = version.map_or("null".into(), |v| v.to_string());
                Error::not_found(format!(
                    "No such workflow found by name: {name}, version: {version}"
                ))
            })
    }

    /// `GET /metadata/workflow/{name}/versions`: not found when the name has none.
    pub async fn workflow_def_versions(&self, name: &str) -> Result<Vec<DefSummary>> {
        let all = self.store.workflow_def_versions().await?;
        let mine: Vec<_> = all.into_iter().filter(|d| d.name == name).collect();
        if mine.is_empty() {
            return Err(Error::not_found(format!(
                "No such workflow found by name: {name}"
            )));
        }
        Ok(mine)
    }

    /// `DELETE /metadata/workflow/{name}/{version}`: not found when there is no such version.
    pub async fn delete_workflow_def(&self, name: &str, version: i32) -> Result<()> {
        if self.store.delete_workflow_def(name, version).await? {
            Ok(())
        } else {
            Err(Error::not_found(format!(
                "No such workflow found by name: {name}, version: {version}"
            )))
        }
    }

    /// `GET /metadata/taskdefs`.
    pub async fn task_defs(&self) -> Result<Vec<TaskDef>> {
        Ok(self.store.task_defs().await?)
    }

    /// `GET /metadata/taskdefs/{name}`. An unknown name is not found, "Task {name} not found", as
    /// Orkes answers (conductor-python's `test_orkes_clients.py` checks it; OSS says "No such
    /// taskType found by name").
    pub async fn task_def(&self, name: &str) -> Result<TaskDef> {
        self.store
            .task_def(name)
            .await?
            .ok_or_else(|| Error::not_found(format!("Task {name} not found")))
    }

    /// `DELETE /metadata/taskdefs/{name}`.
    pub async fn delete_task_def(&self, name: &str) -> Result<()> {
        if self.store.delete_task_def(name).await? {
            Ok(())
        } else {
            Err(Error::not_found(format!(
                "No such taskType found by name: {name}"
            )))
        }
    }

    /// The tags of a definition (Orkes); not found for a definition that does not exist.
    pub async fn tags(&self, owner: TagOwner, name: &str) -> Result<Vec<serde_json::Value>> {
        self.must_exist(owner, name).await?;
        Ok(self.store.tags(owner, name).await?)
    }

    /// `POST`: add a tag, replacing one with the same key.
    pub async fn add_tag(&self, owner: TagOwner, name: &str, tag: serde_json::Value) -> Result<()> {
        let mut tags = self.tags(owner, name).await?;
        tags.retain(|t| t.get("key") != tag.get("key"));
        tags.push(with_type(tag));
        self.store.put_tags(owner, name, &tags).await?;
        Ok(())
    }

    /// `PUT`: replace every tag.
    pub async fn set_tags(
        &self,
        owner: TagOwner,
        name: &str,
        tags: Vec<serde_json::Value>,
    ) -> Result<()> {
        self.must_exist(owner, name).await?;
        let tags: Vec<_> = tags.into_iter().map(with_type).collect();
        self.store.put_tags(owner, name, &tags).await?;
        Ok(())
    }

    /// `DELETE`: remove the tag with this key and value; not found when there is none.
    pub async fn delete_tag(
        &self,
        owner: TagOwner,
        name: &str,
        tag: serde_json::Value,
    ) -> Result<()> {
        let mut tags = self.tags(owner, name).await?;
        let before = tags.len();
        tags.retain(|t| !(t.get("key") == tag.get("key") && t.get("value") == tag.get("value")));
        if tags.len() == before {
            return Err(Error::not_found(format!(
                "Tag {} not found on {} {name}",
                tag.get("key").unwrap_or(&serde_json::Value::Null),
                owner.as_str()
            )));
        }
        self.store.put_tags(owner, name, &tags).await?;
        Ok(())
    }

    async fn must_exist(&self, owner: TagOwner, name: &str) -> Result<()> {
        let exists = match owner {
            TagOwner::Workflow => self.store.workflow_def(name, None).await?.is_some(),
            TagOwner::Task => self.store.task_def(name).await?.is_some(),
        };
        if !exists {
            return Err(Error::not_found(format!(
                "No such {} definition: {name}",
                owner.as_str()
            )));
        }
        Ok(())
    }

    /// Embed the registered TaskDef of every task that does not carry one: the execution then
    /// keeps the retry and timeout rules it started with.
    pub async fn with_task_defs(&self, mut def: WorkflowDef) -> Result<WorkflowDef> {
        let mut names = std::collections::BTreeSet::new();
        fermata_core::model::walk(&def.tasks, &mut |t| {
            if t.task_definition.is_none() {
                names.insert(t.name.clone());
            }
        });
        let mut found = std::collections::HashMap::new();
        for name in names {
            if let Some(td) = self.store.task_def(&name).await? {
                found.insert(name, td);
            }
        }
        fermata_core::model::walk_mut(&mut def.tasks, &mut |t| {
            if t.task_definition.is_none() {
                t.task_definition = found.get(&t.name).cloned();
            }
        });
        Ok(def)
    }
}

/// A tag as shown: `type` is METADATA unless given (the Python SDK refuses other types than
/// METADATA and RATE_LIMIT).
fn with_type(mut tag: serde_json::Value) -> serde_json::Value {
    if let Some(m) = tag.as_object_mut() {
        m.entry("type").or_insert_with(|| "METADATA".into());
    }
    tag
}
