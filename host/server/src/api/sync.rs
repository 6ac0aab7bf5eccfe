//! The synchronous calls (reference conductor-operators §13): the synchronous signal
//! `POST /tasks/{workflowId}/{status}/signal/sync`, `POST /workflow/execute/{name}/{version}`
//! and Orkes' `POST /workflow/{id}/state`.
//! Each applies its change, waits until the workflow tree ends or blocks (or the time is up),
//! and answers a `SignalResponse`: a `WorkflowRun` or a `TaskRun`, as `returnStrategy` asks.

use super::State;
use super::extract::{Body, OptBody, Q};
use crate::engine::{Answer, Blocked, Call, NotFoundStyle, Op, Reply, Until};
use crate::error::{Error, Result};
use axum::extract::Path;
use fermata_core::Event;
use fermata_core::decider::{RefUpdate, TaskChange, TaskUpdate, VariablesUpdate};
use fermata_core::model::{StartWorkflowRequest, Task, TaskResult, TaskResultStatus, Workflow};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::time::Duration;

/// The longest a synchronous call waits.
const MAX_WAIT: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Strategy {
    #[default]
    TargetWorkflow,
    BlockingWorkflow,
    BlockingTask,
    BlockingTaskInput,
}

impl Strategy {
    fn parse(raw: Option<&str>) -> Result<Strategy> {
        match raw.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(Strategy::TargetWorkflow),
            Some(s) => match s.to_ascii_uppercase().as_str() {
                "TARGET_WORKFLOW" => Ok(Strategy::TargetWorkflow),
                "BLOCKING_WORKFLOW" => Ok(Strategy::BlockingWorkflow),
                "BLOCKING_TASK" => Ok(Strategy::BlockingTask),
                "BLOCKING_TASK_INPUT" => Ok(Strategy::BlockingTaskInput),
                _ => Err(Error::bad_request(format!(
                    "returnStrategy must be TARGET_WORKFLOW, BLOCKING_WORKFLOW, BLOCKING_TASK or BLOCKING_TASK_INPUT, not {s}"
                ))),
            },
        }
    }

    fn name(self) -> &'static str {
        match self {
            Strategy::TargetWorkflow => "TARGET_WORKFLOW",
            Strategy::BlockingWorkflow => "BLOCKING_WORKFLOW",
            Strategy::BlockingTask => "BLOCKING_TASK",
            Strategy::BlockingTaskInput => "BLOCKING_TASK_INPUT",
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignalQuery {
    return_strategy: Option<String>,
    timeout_millis: Option<u64>,
}

/// `POST /tasks/{workflowId}/{status}/signal/sync`: completes the task blocking the tree (an
/// open YIELD or WAIT, in a child at any depth), then answers as `returnStrategy` asks. 404
/// when nothing is blocked.
pub async fn signal_sync(
    s: State,
    call: Call,
    Path((workflow_id, raw_status)): Path<(String, String)>,
    Q(q): Q<SignalQuery>,
    OptBody(body): OptBody<Value>,
) -> Result<Reply> {
    let strategy = Strategy::parse(q.return_strategy.as_deref())?;
    let timeout = Duration::from_millis(q.timeout_millis.unwrap_or(5_000)).min(MAX_WAIT);
    let status: TaskResultStatus = raw_status.parse().map_err(Error::bad_request)?;
    let output = match body {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(Error::bad_request(format!(
                "The task output must be a JSON object, not {other}"
            )));
        }
    };
    let changes = s.notifier().changes();
    let op = Op::signal(status, output, true);
    let reply = s.signal(&workflow_id, op, &call).await?;
    if refused_before(&reply) {
        return Ok(reply);
    }
    let until = Until {
        ended: &[],
        timeout,
    };
    let blocked = s.await_blocked(&workflow_id, until, changes).await?;
    Ok(Reply::Json(respond(&blocked, strategy, &new_request_id())))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteQuery {
    request_id: Option<String>,
    wait_until_task_ref: Option<String>,
    wait_for_seconds: Option<u64>,
    /// Accepted and ignored, as in Conductor OSS: every change is durable here.
    #[allow(dead_code)]
    consistency: Option<String>,
    return_strategy: Option<String>,
}

/// `POST /workflow/execute/{name}/{version}`: start, then wait up to `waitForSeconds` (10 by
/// default) for the workflow to end, block, or end one of the `waitUntilTaskRef` tasks.
pub async fn execute(
    s: State,
    call: Call,
    Path((name, version)): Path<(String, i32)>,
    Q(q): Q<ExecuteQuery>,
    Body(mut request): Body<StartWorkflowRequest>,
) -> Result<Reply> {
    let strategy = Strategy::parse(q.return_strategy.as_deref())?;
    let seconds = q.wait_for_seconds.filter(|s| *s > 0).unwrap_or(10);
    let timeout = Duration::from_secs(seconds).min(MAX_WAIT);
    let refs = refs_of(q.wait_until_task_ref.as_deref());
    request.name = Some(name);
    request.version = (version > 0).then_some(version);
    if request
        .workflow_def
        .as_ref()
        .is_some_and(|d| !d.tasks.is_empty())
    {
        let input = request.input.get_or_insert_with(Map::new);
        input.insert("_systemMetadata".into(), json!({"dynamic": true}));
    }
    let changes = s.notifier().changes();
    let id = match s.start(request, &call, NotFoundStyle::StartRequest).await? {
        Reply::Text(id) => id,
        Reply::Replayed(first) if !super::answers::refused(&first) => {
            String::from_utf8_lossy(&first.body).into_owned()
        }
        other => return Ok(other),
    };
    let until = Until {
        ended: &refs,
        timeout,
    };
    let blocked = s.await_blocked(&id, until, changes).await?;
    let request_id = q
        .request_id
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(new_request_id);
    Ok(Reply::Json(respond(&blocked, strategy, &request_id)))
}

/// Orkes' `WorkflowStateUpdate`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateRequest {
    task_reference_name: Option<String>,
    task_result: Option<TaskResult>,
    variables: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateQuery {
    request_id: Option<String>,
    wait_until_task_ref: Option<String>,
    wait_for_seconds: Option<u64>,
}

/// `POST /workflow/{id}/state` (Orkes): variables merged and a task updated (by its id, else
/// the open task with `taskReferenceName`) as one signal — both or neither — then the same
/// wait as execute; the workflow's run.
pub async fn update_state(
    s: State,
    call: Call,
    Path(workflow_id): Path<String>,
    Q(q): Q<StateQuery>,
    Body(update): Body<StateRequest>,
) -> Result<Reply> {
    let seconds = q.wait_for_seconds.filter(|s| *s > 0).unwrap_or(10);
    let refs = refs_of(q.wait_until_task_ref.as_deref());
    let variables = update
        .variables
        .filter(|v| !v.is_empty())
        .map(|values| VariablesUpdate {
            values,
            append_arrays: false,
        });
    let result = update.task_result.unwrap_or_default();
    let task = if !result.task_id.trim().is_empty() {
        let mut result = result;
        result.workflow_instance_id = workflow_id.clone();
        Some(TaskChange::ById(TaskUpdate::replacing(result)?))
    } else if let Some(reference) = update.task_reference_name.filter(|r| !r.is_empty()) {
        let status = result
            .status
            .ok_or_else(|| Error::bad_request("taskResult.status is needed to update a task"))?;
        Some(TaskChange::ByRef(RefUpdate {
            reference,
            status,
            output: result.output_data,
            worker_id: result.worker_id,
        }))
    } else {
        None
    };
    let changes = s.notifier().changes();
    if variables.is_some() || task.is_some() {
        let state = fermata_core::decider::StateUpdate { variables, task };
        let op = Op::new(Event::UpdateState(state), Answer::Workflow);
        let reply = s.signal(&workflow_id, op, &call).await?;
        if refused_before(&reply) {
            return Ok(reply);
        }
    }
    let until = Until {
        ended: &refs,
        timeout: Duration::from_secs(seconds).min(MAX_WAIT),
    };
    let blocked = s.await_blocked(&workflow_id, until, changes).await?;
    let request_id = q
        .request_id
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(new_request_id);
    Ok(Reply::Json(respond(
        &blocked,
        Strategy::TargetWorkflow,
        &request_id,
    )))
}

/// A repeated Idempotency-Key whose first request was refused gets that refusal again, not
/// a fresh wait.
fn refused_before(reply: &Reply) -> bool {
    matches!(reply, Reply::Replayed(first) if super::answers::refused(first))
}

/// `waitUntilTaskRef`: comma-separated references.
fn refs_of(raw: Option<&str>) -> Vec<String> {
    raw.iter()
        .flat_map(|r| r.split(','))
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect()
}

fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The `SignalResponse` for `blocked`. A blocking-task strategy with no blocking task (the
/// tree ended, or the time ran out) answers the root workflow: Conductor OSS fails there.
fn respond(blocked: &Blocked, strategy: Strategy, request_id: &str) -> Value {
    let root = &blocked.root;
    let common = |kind: Strategy| {
        let mut m = Map::new();
        m.insert("responseType".into(), json!(kind.name()));
        m.insert("targetWorkflowId".into(), json!(root.workflow_id));
        m.insert("targetWorkflowStatus".into(), json!(root.status));
        m.insert("requestId".into(), json!(request_id));
        m.insert("signalTimeout".into(), json!(blocked.timed_out));
        m
    };
    match (strategy, &blocked.blocking) {
        (Strategy::BlockingTask | Strategy::BlockingTaskInput, Some((_, task))) => {
            task_run(common(strategy), task)
        }
        (Strategy::BlockingWorkflow, Some((wf, _))) => workflow_run(common(strategy), wf),
        (Strategy::BlockingWorkflow, None) => workflow_run(common(strategy), root),
        _ => workflow_run(common(Strategy::TargetWorkflow), root),
    }
}

fn workflow_run(mut m: Map<String, Value>, wf: &Workflow) -> Value {
    m.insert("workflowId".into(), json!(wf.workflow_id));
    if let Some(c) = &wf.correlation_id {
        m.insert("correlationId".into(), json!(c));
    }
    m.insert("input".into(), Value::Object(wf.input.clone()));
    m.insert("output".into(), Value::Object(wf.output.clone()));
    m.insert("priority".into(), json!(wf.priority));
    m.insert("variables".into(), Value::Object(wf.variables.clone()));
    m.insert(
        "tasks".into(),
        serde_json::to_value(&wf.tasks).unwrap_or_default(),
    );
    if let Some(by) = &wf.created_by {
        m.insert("createdBy".into(), json!(by));
    }
    m.insert("createTime".into(), json!(wf.create_time));
    m.insert("status".into(), json!(wf.status));
    m.insert("updateTime".into(), json!(wf.update_time));
    Value::Object(m)
}

fn task_run(mut m: Map<String, Value>, t: &Task) -> Value {
    m.insert("workflowId".into(), json!(t.workflow_instance_id));
    if let Some(c) = &t.correlation_id {
        m.insert("correlationId".into(), json!(c));
    }
    m.insert("input".into(), Value::Object(t.input_data.clone()));
    m.insert("output".into(), Value::Object(t.output_data.clone()));
    m.insert("taskType".into(), json!(t.task_type));
    m.insert("taskId".into(), json!(t.task_id));
    m.insert("referenceTaskName".into(), json!(t.reference_task_name));
    m.insert("retryCount".into(), json!(t.retry_count));
    m.insert("taskDefName".into(), json!(t.task_def_name));
    if let Some(r) = &t.retried_task_id {
        m.insert("retriedTaskId".into(), json!(r));
    }
    m.insert("workflowType".into(), json!(t.workflow_type));
    if let Some(r) = &t.reason_for_incompletion {
        m.insert("reasonForIncompletion".into(), json!(r));
    }
    m.insert("priority".into(), json!(t.workflow_priority));
    if let Some(w) = &t.worker_id {
        m.insert("createdBy".into(), json!(w));
    }
    m.insert("createTime".into(), json!(t.start_time));
    m.insert("updateTime".into(), json!(t.update_time));
    m.insert("status".into(), json!(t.status));
    Value::Object(m)
}
