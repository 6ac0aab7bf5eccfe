use super::State;
use crate::fermata::task::log::{Host, Level};

impl Host for State {
    async fn log(&mut self, level: Level, message: String) {
        let (plugin, task) = (&self.task_type, &self.task_id);
        match level {
            Level::Debug => tracing::debug!(plugin, task, "{message}"),
            Level::Info => tracing::info!(plugin, task, "{message}"),
            Level::Warn => tracing::warn!(plugin, task, "{message}"),
            Level::Error => tracing::error!(plugin, task, "{message}"),
        }
    }
}
