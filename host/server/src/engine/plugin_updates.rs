//! A task update asked for by a plugin (UPDATE_TASK): resolved here to the task it names,
//! then applied as a signal like `POST /tasks`, so it is recorded in the target's signal
//! log, serialized with every other change to that execution, and — keyed by the asking
//! task — applied once even when the plugin runs again after a crash.

use super::{Call, Engine, Op, Reply};
use crate::error::{Error, Result};
use fermata_core::decider::pending_task_by_ref;
use fermata_core::model::{Task, TaskResult, Workflow, WorkflowStatus};
use fermata_wasm::{SignalCaller, TaskUpdateRequest, UpdateTarget};

impl Engine {
    pub async fn plugin_task_update(
        &self,
        caller: &SignalCaller,
        request: TaskUpdateRequest,
    ) -> Result<()> {
        let task = self.update_target(&request.target).await?;
        if task.task_id == caller.task_id {
            return Err(Error::bad_request(format!(
                "{} cannot update its own task",
                caller.task_type
            )));
        }
        let workflow_id = task.workflow_instance_id.clone();
        let op = if request.merge_output {
            Op::update_by_ref(
                task.reference_task_name.clone(),
                request.status,
                request.output,
                None,
                false,
            )
        } else {
            Op::task_result(TaskResult {
                workflow_instance_id: workflow_id.clone(),
                task_id: task.task_id.clone(),
                status: Some(request.status),
                output_data: request.output,
                ..TaskResult::default()
            })?
        };
        let call = Call {
            caller: Some(format!(
                "{} task {} of workflow {}",
                caller.task_type, caller.task_id, caller.workflow_id
            )),
            idempotency_key: Some(caller.idempotency_key()),
            fingerprint: format!("{} {workflow_id}/{}", caller.task_type, task.task_id),
        };
        match self.signal(&workflow_id, op, &call).await? {
            Reply::Replayed(first) if self.answers.refused(&first) => {
                Err(Error::conflict(format!(
                    "the update was refused before: {}",
                    String::from_utf8_lossy(&first.body)
                )))
            }
            _ => Ok(()),
        }
    }

    /// The open task a request names, in a running execution.
    async fn update_target(&self, target: &UpdateTarget) -> Result<Task> {
        match target {
            UpdateTarget::Reference {
                workflow_id,
                reference,
            } => {
                let wf = self.workflow(workflow_id, true).await?;
                running(&wf)?;
                pending_task_by_ref(&wf, reference).cloned().ok_or_else(|| {
                    Error::not_found(format!(
                        "No open task {reference} in workflow {workflow_id} to update"
                    ))
                })
            }
            UpdateTarget::TaskId {
                workflow_id,
                task_id,
            } => {
                let task = self.store.task(task_id).await?.ok_or_else(|| {
                    Error::not_found(format!("No such task found by id: {task_id}"))
                })?;
                if let Some(expected) = workflow_id
                    && *expected != task.workflow_instance_id
                {
                    return Err(Error::bad_request(format!(
                        "task {task_id} belongs to workflow {}, not {expected}",
                        task.workflow_instance_id
                    )));
                }
                running(&self.workflow(&task.workflow_instance_id, false).await?)?;
                if task.status.is_terminal() {
                    return Err(Error::conflict(format!(
                        "task {task_id} is already {}",
                        task.status.as_str()
                    )));
                }
                Ok(task)
            }
        }
    }
}

fn running(wf: &Workflow) -> Result<()> {
    if wf.status == WorkflowStatus::Running {
        Ok(())
    } else {
        Err(Error::conflict(format!(
            "workflow {} is {}: only a running workflow's tasks are updated",
            wf.workflow_id,
            wf.status.as_str()
        )))
    }
}
