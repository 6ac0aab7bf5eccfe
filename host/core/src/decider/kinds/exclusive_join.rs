//! EXCLUSIVE_JOIN (reference conductor-operators §2.4): the node after a SWITCH or DECISION
//! whose cases end in different tasks; it takes the output of whichever ran.

use super::super::instance::finish;
use super::join::refs;
use super::{failed, settled};
use crate::model::{TaskStatus, Workflow};

pub(super) fn execute(wf: &mut Workflow, i: usize, now: i64) -> bool {
    let join = &wf.tasks[i];
    let primary = refs(join, "joinOn");
    let fallback = refs(join, "defaultExclusiveJoinTask");
    let all_settled = primary
        .iter()
        .all(|r| wf.last_task_by_ref(r).is_some_and(settled));
    let chosen = |refs: &[String], permissive_rule: bool| {
        refs.iter()
            .filter_map(|r| wf.last_task_by_ref(r))
            .find(|t| t.status != TaskStatus::Skipped)
            .map(|t| {
                let permissive = permissive_rule && t.workflow_task.permissive && !all_settled;
                (t, settled(t), failed(t) && !permissive)
            })
    };
    let Some((task, found, failure)) = chosen(&primary, true).or_else(|| chosen(&fallback, false))
    else {
        return false;
    };
    if !found {
        return false;
    }
    let output = task.output_data.clone();
    let reason = task.reason_for_incompletion.clone();
    let join = &mut wf.tasks[i];
    if failure {
        join.reason_for_incompletion = reason;
        finish(join, TaskStatus::Failed, now);
    } else {
        join.output_data = output;
        finish(join, TaskStatus::Completed, now);
    }
    true
}
