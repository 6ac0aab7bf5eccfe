//! WAIT_FOR_WEBHOOK (Orkes; reference conductor-signals-extra §2.7, §2.9): open from its
//! start until a delivery to an incoming webhook whose body satisfies every JSONPath of its
//! resolved `matches` completes it, with the body as output, through an ordinary task
//! update. The store indexes open ones by workflow name so a delivery finds them without
//! reading every execution. Without anything to match it fails at once, never to be
//! retried (OSS: "Webhook task missing matches field").

use super::super::instance::{begin, finish};
use crate::model::{Task, TaskStatus};
use crate::webhook::wait_matches;

pub(super) fn start(task: &mut Task, now: i64) {
    if wait_matches(&task.input_data).is_some() {
        begin(task, now);
    } else {
        task.reason_for_incompletion = Some(
            "Webhook task missing matches field: inputParameters.matches must map JSONPaths to values"
                .into(),
        );
        finish(task, TaskStatus::FailedWithTerminalError, now);
    }
}
