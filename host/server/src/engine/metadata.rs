//! Workflow and task definitions: validation, registration, and embedding task definitions
//! into a workflow definition when an execution starts (so the decider needs no lookups).

use super::{Engine, now_ms};
use crate::error::{Error, Result};
use fermata_core::model::validate;
use fermata_core::model::{BulkResponse, TaskDef, WorkflowDef};
use fermata_store::TagOwner;

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
        self.store
            .put_workflow_def(def, overwrite, now_ms())
            .await?;
        Ok(())
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

    /// The tags of a definition (Orkes); 404 for a definition that does not exist.
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

    /// `DELETE`: remove the tag with this key and value; 404 when there is none.
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
