//! Automatic retries (reference §5.3) and the new attempt both they and the retry API create.

use super::instance::{enqueue, task_input};
use super::kind::{TaskKind, kind_of};
use super::{Effect, Env};
use crate::model::{Json, RetryLogic, TaskDef, TaskStatus, Workflow, WorkflowStatus};

pub(super) enum RetryVerdict {
    /// A new attempt was appended; the failed one is marked `retried`.
    Retried,
    /// No retry, but the graph goes on (optional or permissive task).
    Continue,
    /// No retry left: the workflow ends with this status and reason.
    FailWorkflow(WorkflowStatus, String),
}

pub(super) fn auto_retry(
    wf: &mut Workflow,
    i: usize,
    env: &mut dyn Env,
    fx: &mut Vec<Effect>,
) -> RetryVerdict {
    let task = &wf.tasks[i];
    let def = task.effective_def();
    let allowed = task.workflow_task.retry_count.unwrap_or(def.retry_count);
    let total_exceeded = def.total_timeout_seconds > 0
        && env.now() >= super::kind::after(task.first_scheduled_time, def.total_timeout_seconds);
    let builtin = kind_of(&task.workflow_task).is_builtin();
    if task.status.is_retriable() && task.retry_count < allowed && !total_exceeded && !builtin {
        let delay = backoff_seconds(&def, task.retry_count, env);
        new_attempt(wf, i, delay, false, env, fx);
        return RetryVerdict::Retried;
    }
    let task = &mut wf.tasks[i];
    if task.workflow_task.optional {
        task.status = TaskStatus::CompletedWithErrors;
        return RetryVerdict::Continue;
    }
    if task.workflow_task.permissive {
        return RetryVerdict::Continue;
    }
    let status = match task.status {
        TaskStatus::Canceled => WorkflowStatus::Terminated,
        TaskStatus::TimedOut => WorkflowStatus::TimedOut,
        _ => WorkflowStatus::Failed,
    };
    let reason = format!(
        "Task {} failed with status: {} and reason: '{}'",
        task.task_id,
        status,
        task.reason_for_incompletion.as_deref().unwrap_or_default()
    );
    RetryVerdict::FailWorkflow(status, reason)
}

/// Delay before the next attempt, in seconds: FIXED, LINEAR or EXPONENTIAL, capped by
/// `maxRetryDelaySeconds`, plus up to `backoffJitterMs` of jitter (rounded up to a second).
pub(super) fn backoff_seconds(def: &TaskDef, retry_count: i32, env: &mut dyn Env) -> i64 {
    let base = def.retry_delay_seconds.max(0);
    let n = i64::from(retry_count.max(0));
    let mut delay = match def.retry_logic {
        RetryLogic::Fixed => base,
        RetryLogic::LinearBackoff => base
            .saturating_mul(def.backoff_scale_factor.max(1))
            .saturating_mul(n + 1),
        RetryLogic::ExponentialBackoff => u32::try_from(n)
            .ok()
            .and_then(|n| 2i64.checked_pow(n))
            .map_or(i64::from(i32::MAX), |f| base.saturating_mul(f)),
    }
    .min(i64::from(i32::MAX));
    if def.max_retry_delay_seconds > 0 {
        delay = delay.min(def.max_retry_delay_seconds);
    }
    if def.backoff_jitter_ms > 0 {
        let jitter = env.jitter_ms(def.backoff_jitter_ms);
        delay = delay.saturating_add(jitter.saturating_add(999) / 1000);
    }
    delay
}

/// Append a new attempt of task `i`: a new id linked by `retriedTaskId`, `retryCount + 1`,
/// input re-evaluated over the old input (so `${CPEWF_TASK_ID}` is the new id). The
/// automatic retry keeps the failure reason on the new attempt; the retry API clears it.
pub(super) fn new_attempt(
    wf: &mut Workflow,
    i: usize,
    delay_seconds: i64,
    manual: bool,
    env: &mut dyn Env,
    fx: &mut Vec<Effect>,
) -> usize {
    let now = env.now();
    let new_id = env.new_id();
    let seq = wf.next_seq();
    let old = &mut wf.tasks[i];
    old.retried = true;
    old.executed = true;
    let mut task = old.clone();
    let mut input: Json = task.input_data.clone();
    let fresh = task_input(wf, &task.workflow_task, &new_id);
    if kind_of(&task.workflow_task) == TaskKind::SubWorkflow {
        // A child's input sits under `workflowInput`.
        input.insert("workflowInput".into(), serde_json::Value::Object(fresh));
    } else {
        input.extend(fresh);
    }
    task.task_id = new_id;
    task.input_data = input;
    task.retried_task_id = Some(wf.tasks[i].task_id.clone());
    task.retry_count += 1;
    task.status = TaskStatus::Scheduled;
    task.retried = false;
    task.executed = false;
    task.poll_count = 0;
    task.seq = seq;
    task.output_data = Json::new();
    task.worker_id = None;
    task.scheduled_time = now;
    task.start_time = 0;
    task.end_time = 0;
    task.update_time = now;
    task.wait_timeout = 0;
    task.sub_workflow_id = None;
    task.start_delay_in_seconds = delay_seconds;
    task.callback_after_seconds = delay_seconds;
    if manual {
        task.reason_for_incompletion = None;
        task.first_scheduled_time = now;
    }
    enqueue(&task, delay_seconds, fx);
    wf.tasks.push(task);
    wf.tasks.len() - 1
}
