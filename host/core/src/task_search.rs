//! Conductor's task search (`GET /tasks/search`, `/search-v2`): the same query language as
//! workflow search, over tasks. Clauses: `taskType`, `taskDefName`, `status`, `workflowId`,
//! `workflowType`, `taskId` with `=` or `IN`; `startTime` (scheduled time) and `updateTime`
//! with `<`, `<=`, `>`, `>=`. `freeText` matches task id, type, reference and workflow id.

use crate::model::TaskStatus;
use crate::search::{Clause, SearchRequest};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskQuery {
    pub task_types: Vec<String>,
    pub task_def_names: Vec<String>,
    pub statuses: Vec<TaskStatus>,
    pub workflow_ids: Vec<String>,
    pub workflow_types: Vec<String>,
    pub task_ids: Vec<String>,
    /// Inclusive bounds on the scheduled time, epoch ms.
    pub scheduled_from: Option<i64>,
    pub scheduled_to: Option<i64>,
    pub update_from: Option<i64>,
    pub update_to: Option<i64>,
    pub free_text: Option<String>,
    pub sort: TaskSort,
    pub offset: i64,
    pub limit: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TaskSortField {
    #[default]
    ScheduledTime,
    UpdateTime,
    TaskType,
    Status,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskSort {
    pub field: TaskSortField,
    pub descending: bool,
}

impl TaskQuery {
    /// Build from the REST parameters. Errors are the text of a 400.
    pub fn parse(request: &SearchRequest) -> Result<TaskQuery, String> {
        let c = request.common("tasks")?;
        let mut q = TaskQuery {
            offset: c.offset,
            limit: c.limit,
            free_text: c.free_text,
            sort: TaskSort {
                field: TaskSortField::ScheduledTime,
                descending: true,
            },
            ..Default::default()
        };
        if let Some((field, descending)) = c.sort {
            let field = match field {
                "scheduledTime" | "startTime" => TaskSortField::ScheduledTime,
                "updateTime" => TaskSortField::UpdateTime,
                "taskType" => TaskSortField::TaskType,
                "status" => TaskSortField::Status,
                other => return Err(format!("Unsupported sort field: {other}")),
            };
            q.sort = TaskSort { field, descending };
        }
        for clause in &c.clauses {
            q.apply(clause)?;
        }
        Ok(q)
    }

    fn listed(&self) -> usize {
        self.task_types.len()
            + self.task_def_names.len()
            + self.statuses.len()
            + self.workflow_ids.len()
            + self.workflow_types.len()
            + self.task_ids.len()
    }

    fn apply(&mut self, text: &str) -> Result<(), String> {
        let c = Clause::parse(text, self.listed())?;
        match (c.field.as_str(), c.op.as_str()) {
            ("taskType", "=" | "IN") => self.task_types.extend(c.values),
            ("taskDefName", "=" | "IN") => self.task_def_names.extend(c.values),
            ("status", "=" | "IN") => {
                for v in &c.values {
                    self.statuses.push(v.parse()?);
                }
            }
            ("workflowId", "=" | "IN") => self.workflow_ids.extend(c.values),
            ("workflowType", "=" | "IN") => self.workflow_types.extend(c.values),
            ("taskId", "=" | "IN") => self.task_ids.extend(c.values),
            ("startTime" | "scheduledTime", ">" | ">=" | "<" | "<=") => {
                c.narrow((&mut self.scheduled_from, &mut self.scheduled_to))?
            }
            ("updateTime", ">" | ">=" | "<" | "<=") => {
                c.narrow((&mut self.update_from, &mut self.update_to))?
            }
            _ => {
                return Err(format!(
                    "Unsupported search clause '{text}': use taskType, taskDefName, status, workflowId, workflowType or taskId with = or IN, startTime or updateTime with <, <=, >, >="
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(
        query: Option<&str>,
        free_text: Option<&str>,
        sort: Option<&str>,
        start: i64,
        size: i64,
    ) -> Result<TaskQuery, String> {
        TaskQuery::parse(&SearchRequest {
            query: query.map(str::to_string),
            free_text: free_text.map(str::to_string),
            sort: sort.map(str::to_string),
            start: Some(start),
            size: Some(size),
        })
    }

    #[test]
    fn parses_task_queries() {
        let q = parse(
            Some("taskType IN (HTTP, WAIT) AND status = IN_PROGRESS AND workflowType = 'w 1' AND updateTime > 5"),
            Some("abc"),
            Some("updateTime:ASC"),
            2,
            3,
        )
        .unwrap();
        assert_eq!(q.task_types, vec!["HTTP", "WAIT"]);
        assert_eq!(q.statuses, vec![TaskStatus::InProgress]);
        assert_eq!(q.workflow_types, vec!["w 1"]);
        assert_eq!(q.update_from, Some(6));
        assert_eq!(q.free_text.as_deref(), Some("abc"));
        assert_eq!(
            q.sort,
            TaskSort {
                field: TaskSortField::UpdateTime,
                descending: false
            }
        );
        assert_eq!((q.offset, q.limit), (2, 3));
    }

    #[test]
    fn rejects_what_it_cannot_run() {
        for bad in ["status = NOPE", "correlationId = x", "taskType ~ 1"] {
            assert!(parse(Some(bad), None, None, 0, 1).is_err(), "{bad}");
        }
        assert!(parse(None, None, Some("bogus"), 0, 1).is_err());
        assert!(parse(None, None, None, 0, 5001).is_err());
        assert!(parse(None, None, None, -1, 1).is_err());
    }
}
