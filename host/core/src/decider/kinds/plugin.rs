//! Plugin tasks: WAIT, HTTP, INLINE, JSON_JQ_TRANSFORM, EVENT, KAFKA_PUBLISH and users' own
//! types. A plugin that needs no capabilities is pure computation and runs inside the
//! decision; the others run from their `system:` queue and report back.

use super::super::instance::{begin, dequeue, finish};
use super::super::{PluginOutcome, PureCall};
use super::{Decision, async_complete};
use crate::model::{Task, TaskStatus};

/// Run a due plugin task inside the decision when the host can (it is pure). True when it
/// ran.
pub(super) fn run_inline(task: &mut Task, d: &mut Decision) -> bool {
    let input = task.input_data.clone();
    let task_type = task.task_type.clone();
    let Some(outcome) = d.env.run_pure(PureCall {
        task_type: &task_type,
        task,
        input: &input,
    }) else {
        return false;
    };
    let now = d.env.now();
    begin(task, now);
    task.poll_count += 1;
    dequeue(task, d.fx);
    apply(task, outcome, now);
    true
}

/// What a plugin computed becomes the task's state. An asyncComplete task and a wait stay
/// IN_PROGRESS with the plugin's output until something completes them (or, for
/// `wait-until`, the timer).
pub(in super::super) fn apply(task: &mut Task, outcome: PluginOutcome, now: i64) {
    task.update_time = now;
    match outcome {
        PluginOutcome::Completed(output) => {
            task.output_data = output;
            if !async_complete(task) {
                finish(task, TaskStatus::Completed, now);
            }
        }
        PluginOutcome::Failed {
            reason,
            output,
            terminal,
        } => {
            task.output_data = output;
            task.reason_for_incompletion = Some(reason);
            let status = if terminal {
                TaskStatus::FailedWithTerminalError
            } else {
                TaskStatus::Failed
            };
            finish(task, status, now);
        }
        PluginOutcome::WaitUntil { at_ms, output } => {
            task.output_data = output;
            task.wait_timeout = at_ms.max(1);
            task.callback_after_seconds =
                at_ms.saturating_sub(now).max(0).saturating_add(999) / 1000;
        }
        PluginOutcome::WaitForSignal(output) => {
            task.output_data = output;
        }
    }
}
