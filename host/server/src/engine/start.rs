//! Starting a workflow from the API: the request checked, the definition found (or given),
//! its sub-workflow versions pinned, and the first decision made, all before the answer.

use super::effects::{Lineage, Wakes, wake_of};
use super::env;
use super::lookups::{MAX_LOOKUP_ROUNDS, too_many_lookups};
use super::{Call, Engine, Reply, idempotency_record, now_ms};
use crate::error::{Error, Result};
use fermata_core::NewWorkflow;
use fermata_core::model::{IdempotencyStrategy, StartWorkflowRequest};
use fermata_store::{Commit, ExecutionWrite, ScheduleFired, SignalRecord, StoreError};

impl Engine {
    /// Start a workflow (`POST /workflow`, `POST /workflow/{name}`): the first tasks are
    /// scheduled before this returns.
    pub async fn start(
        &self,
        request: StartWorkflowRequest,
        call: &Call,
        not_found: NotFoundStyle,
    ) -> Result<Reply> {
        match &call.idempotency_key {
            Some(key) => {
                let _key = self.keys.lock(key).await;
                if let Some(first) = self.replay(key, call).await? {
                    return Ok(first);
                }
                self.start_locked(request, call, not_found, None).await
            }
            None => self.start_locked(request, call, not_found, None).await,
        }
    }

    /// `fired`: a schedule's slot this start fires, committed with it (see `scheduler`).
    pub(super) async fn start_locked(
        &self,
        request: StartWorkflowRequest,
        call: &Call,
        not_found: NotFoundStyle,
        fired: Option<ScheduleFired>,
    ) -> Result<Reply> {
        check_start_request(&request)?;
        let name = request.name.clone().filter(|n| !n.trim().is_empty());
        let definition = match request.workflow_def.clone() {
            Some(def) => {
                self.validate_workflow_def(&def)?;
                def
            }
            None => {
                let name = name.clone().ok_or_else(|| {
                    Error::validation(vec![fermata_core::model::validate::ValidationError {
                        path: "startWorkflow.arg0.name".into(),
                        message: "Workflow name cannot be null or empty".into(),
                        invalid_value: serde_json::Value::Null,
                    }])
                })?;
                self.store
                    .workflow_def(&name, request.version)
                    .await?
                    .ok_or_else(|| not_found.error(&name, request.version))?
            }
        };
        let definition = self.with_task_defs(definition).await?;
        let definition = self.pin_sub_workflow_versions(definition).await?;
        // Conductor's (Orkes) request-level idempotency: one execution per name and key.
        let _dedup;
        if let Some(key) = &request.idempotency_key {
            _dedup = self
                .keys
                .lock(&format!("start/{}/{key}", definition.name))
                .await;
            if let Some((id, status)) = self.store.by_idempotency_key(&definition.name, key).await?
            {
                match request.idempotency_strategy {
                    IdempotencyStrategy::ReturnExisting => return Ok(Reply::Text(id)),
                    IdempotencyStrategy::FailOnRunning if status.is_terminal() => {}
                    _ => {
                        return Err(Error::conflict(format!(
                            "Workflow {} with idempotency key {key} already exists: {id} ({status})",
                            definition.name
                        )));
                    }
                }
            }
        }
        let now = now_ms();
        let started = serde_json::json!({
            "name": definition.name,
            "version": definition.version,
            "correlationId": request.correlation_id,
            "priority": request.priority,
            "idempotencyKey": request.idempotency_key,
        });
        let new = NewWorkflow {
            workflow_id: env::new_id(),
            definition,
            input: request.input.unwrap_or_default(),
            correlation_id: request.correlation_id,
            priority: request.priority,
            task_to_domain: request.task_to_domain,
            created_by: request.created_by,
            idempotency_key: request.idempotency_key,
            parent_workflow_id: None,
            parent_workflow_task_id: None,
        };
        let mut env = self.new_env(now);
        let mut rounds = 0;
        let (mut commit, mut wakes, id) = loop {
            let started = fermata_core::start(new.clone(), &mut env);
            let mut commit = Commit::default();
            let mut wakes = Wakes::default();
            let added = started.map_err(Error::from).and_then(|(wf, effects)| {
                let id = wf.workflow_id.clone();
                let wake = wake_of(&wf, &effects, now);
                wakes.deadlines.extend(wake);
                commit.executions.push(ExecutionWrite::new(wf, wake));
                self.add_effects(
                    &mut commit,
                    &mut wakes,
                    &id,
                    effects,
                    &mut env,
                    Lineage::default(),
                )?;
                Ok(id)
            });
            if self.fill(&mut env).await? {
                rounds += 1;
                if rounds > MAX_LOOKUP_ROUNDS {
                    return Err(too_many_lookups(&new.definition.name));
                }
                continue;
            }
            break (commit, wakes, added?);
        };
        let reply = Reply::Text(id.clone());
        let rendered = self.answers.reply(&reply);
        // Who started an execution is its first signal.
        commit.signals.push(SignalRecord {
            id: 0,
            workflow_id: id,
            op: "start".into(),
            at: now,
            caller: call.caller.clone(),
            params: started,
            status: rendered.status,
            message: None,
            idempotency_key: call.idempotency_key.clone(),
        });
        commit.idempotency = idempotency_record(call, &rendered, now);
        commit.schedule_fired = fired.map(|mut f| {
            if let Reply::Text(id) = &reply {
                f.execution.workflow_id = Some(id.clone());
            }
            f
        });
        wakes.changed = super::written(&commit);
        commit.wakeup = Some(wakes.announcement());
        match self.store.commit(commit).await {
            // The same start, by its Idempotency-Key, was answered meanwhile by another
            // host: answer as it did rather than start a second workflow.
            Err(StoreError::Conflict(_)) if call.idempotency_key.is_some() => {
                let key = call.idempotency_key.as_deref().unwrap_or_default();
                match self.replay(key, call).await? {
                    Some(first) => return Ok(first),
                    None => return Err(StoreError::Conflict(key.to_string()).into()),
                }
            }
            other => other?,
        }
        self.wake(wakes);
        Ok(reply)
    }
}

/// Conductor words "no such definition" differently on its two start endpoints.
#[derive(Debug, Clone, Copy)]
pub enum NotFoundStyle {
    StartRequest,
    ByName,
}

impl NotFoundStyle {
    fn error(self, name: &str, version: Option<i32>) -> Error {
        let version = version.map_or("null".to_string(), |v| v.to_string());
        match self {
            NotFoundStyle::StartRequest => Error::not_found(format!(
                "No such workflow defined. name={name}, version={version}"
            )),
            NotFoundStyle::ByName => Error::not_found(format!(
                "No such workflow found by name: {name}, version: {version}"
            )),
        }
    }
}

/// Bounds on a start request's own fields (its input is bounded by the body's depth limit).
fn check_start_request(request: &StartWorkflowRequest) -> Result<()> {
    let fields = [
        ("name", request.name.as_deref()),
        ("correlationId", request.correlation_id.as_deref()),
        ("idempotencyKey", request.idempotency_key.as_deref()),
    ];
    let domains = request
        .task_to_domain
        .iter()
        .flat_map(|(task, domain)| [task, domain])
        .map(|v| ("taskToDomain", Some(v.as_str())));
    match fermata_core::limits::check_names(fields.into_iter().chain(domains)) {
        Some(problem) => Err(Error::bad_request(problem)),
        None => Ok(()),
    }
}
