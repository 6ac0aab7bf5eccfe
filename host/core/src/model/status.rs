//! Workflow and task statuses with Conductor's `terminal` / `successful` / `retriable` flags
//! (reference §2). The serialized names are exactly the ones the SDKs validate.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkflowStatus {
    #[default]
    Running,
    Completed,
    Failed,
    TimedOut,
    Terminated,
    Paused,
}

impl WorkflowStatus {
    pub const ALL: [WorkflowStatus; 6] = [
        Self::Running,
        Self::Completed,
        Self::Failed,
        Self::TimedOut,
        Self::Terminated,
        Self::Paused,
    ];

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Failed | Self::TimedOut | Self::Terminated
        )
    }

    /// Conductor marks PAUSED successful too; only the flag is copied, it decides nothing here.
    pub fn is_successful(self) -> bool {
        matches!(self, Self::Completed | Self::Paused)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::TimedOut => "TIMED_OUT",
            Self::Terminated => "TERMINATED",
            Self::Paused => "PAUSED",
        }
    }
}

impl fmt::Display for WorkflowStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for WorkflowStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("Invalid workflow status: {s}"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskStatus {
    #[default]
    Scheduled,
    InProgress,
    Completed,
    CompletedWithErrors,
    Skipped,
    Failed,
    TimedOut,
    FailedWithTerminalError,
    Canceled,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 9] = [
        Self::Scheduled,
        Self::InProgress,
        Self::Completed,
        Self::CompletedWithErrors,
        Self::Skipped,
        Self::Failed,
        Self::TimedOut,
        Self::FailedWithTerminalError,
        Self::Canceled,
    ];

    pub fn is_terminal(self) -> bool {
        !matches!(self, Self::Scheduled | Self::InProgress)
    }

    pub fn is_successful(self) -> bool {
        matches!(
            self,
            Self::Scheduled
                | Self::InProgress
                | Self::Completed
                | Self::CompletedWithErrors
                | Self::Skipped
        )
    }

    /// Whether the decider may retry a task that ended in this status (only FAILED and
    /// TIMED_OUT in practice: the other terminal-unsuccessful statuses are not retriable).
    pub fn is_retriable(self) -> bool {
        !matches!(
            self,
            Self::Skipped | Self::FailedWithTerminalError | Self::Canceled
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "SCHEDULED",
            Self::InProgress => "IN_PROGRESS",
            Self::Completed => "COMPLETED",
            Self::CompletedWithErrors => "COMPLETED_WITH_ERRORS",
            Self::Skipped => "SKIPPED",
            Self::Failed => "FAILED",
            Self::TimedOut => "TIMED_OUT",
            Self::FailedWithTerminalError => "FAILED_WITH_TERMINAL_ERROR",
            Self::Canceled => "CANCELED",
        }
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TaskStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("Invalid task status: {s}"))
    }
}

/// The status a caller may report for a task (`TaskResult.Status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskResultStatus {
    #[default]
    InProgress,
    Failed,
    FailedWithTerminalError,
    Completed,
    Canceled,
}

impl TaskResultStatus {
    pub const ALL: [TaskResultStatus; 5] = [
        Self::InProgress,
        Self::Failed,
        Self::FailedWithTerminalError,
        Self::Completed,
        Self::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "IN_PROGRESS",
            Self::Failed => "FAILED",
            Self::FailedWithTerminalError => "FAILED_WITH_TERMINAL_ERROR",
            Self::Completed => "COMPLETED",
            Self::Canceled => "CANCELED",
        }
    }

    pub fn task_status(self) -> TaskStatus {
        match self {
            Self::InProgress => TaskStatus::InProgress,
            Self::Failed => TaskStatus::Failed,
            Self::FailedWithTerminalError => TaskStatus::FailedWithTerminalError,
            Self::Completed => TaskStatus::Completed,
            Self::Canceled => TaskStatus::Canceled,
        }
    }
}

impl fmt::Display for TaskResultStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Conductor matches the status in `/tasks/{wf}/{ref}/{status}` case-sensitively.
impl FromStr for TaskResultStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                let valid: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                format!(
                    "Invalid task status '{s}': expected one of {}",
                    valid.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_flags_match_conductor() {
        use WorkflowStatus::*;
        let terminal: Vec<_> = WorkflowStatus::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(terminal, vec![Completed, Failed, TimedOut, Terminated]);
        assert!(Paused.is_successful() && !Paused.is_terminal());
        assert!(!Failed.is_successful());
    }

    #[test]
    fn task_flags_match_conductor() {
        use TaskStatus::*;
        let table = [
            (Scheduled, false, true, true),
            (InProgress, false, true, true),
            (Completed, true, true, true),
            (CompletedWithErrors, true, true, true),
            (Skipped, true, true, false),
            (Failed, true, false, true),
            (TimedOut, true, false, true),
            (FailedWithTerminalError, true, false, false),
            (Canceled, true, false, false),
        ];
        for (s, terminal, successful, retriable) in table {
            assert_eq!(s.is_terminal(), terminal, "{s} terminal");
            assert_eq!(s.is_successful(), successful, "{s} successful");
            assert_eq!(s.is_retriable(), retriable, "{s} retriable");
        }
    }

    #[test]
    fn result_status_in_path_is_case_sensitive() {
        assert_eq!(
            "COMPLETED".parse::<TaskResultStatus>(),
            Ok(TaskResultStatus::Completed)
        );
        let err = "completed".parse::<TaskResultStatus>().unwrap_err();
        assert!(err.contains("IN_PROGRESS"), "{err}");
    }

    #[test]
    fn serialized_names() {
        assert_eq!(
            serde_json::to_string(&TaskStatus::FailedWithTerminalError).unwrap(),
            "\"FAILED_WITH_TERMINAL_ERROR\""
        );
        assert_eq!(
            serde_json::to_string(&WorkflowStatus::TimedOut).unwrap(),
            "\"TIMED_OUT\""
        );
    }
}
