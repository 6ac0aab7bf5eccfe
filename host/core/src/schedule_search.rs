//! The search of a scheduler's firings (`GET /scheduler/search/executions`), in the query
//! language of the other searches: `scheduleName`, `workflowName`, `state`, `executionId`,
//! `workflowId` with `=` or `IN`; `scheduledTime` and `executionTime` with `<`, `<=`, `>`,
//! `>=`; `freeText` over names and ids; sort by `scheduledTime` or `executionTime`.

use crate::schedule::ScheduleExecution;
use crate::search::{Clause, SearchRequest};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecutionQuery {
    pub schedule_names: Vec<String>,
    pub workflow_names: Vec<String>,
    pub states: Vec<String>,
    pub execution_ids: Vec<String>,
    pub workflow_ids: Vec<String>,
    /// Inclusive bounds, epoch ms.
    pub scheduled: (Option<i64>, Option<i64>),
    pub executed: (Option<i64>, Option<i64>),
    pub free_text: Option<String>,
    pub by_execution_time: bool,
    pub ascending: bool,
    pub offset: usize,
    pub limit: usize,
}

impl ExecutionQuery {
    /// Errors are the text of a 400.
    pub fn parse(request: &SearchRequest) -> Result<ExecutionQuery, String> {
        let c = request.common("executions")?;
        let mut q = ExecutionQuery {
            free_text: c.free_text,
            offset: c.offset as usize,
            limit: c.limit as usize,
            ..Default::default()
        };
        if let Some((field, descending)) = c.sort {
            q.by_execution_time = match field {
                "scheduledTime" | "startTime" => false,
                "executionTime" => true,
                other => return Err(format!("Unsupported sort field: {other}")),
            };
            q.ascending = !descending;
        }
        for clause in &c.clauses {
            q.apply(clause)?;
        }
        Ok(q)
    }

    fn apply(&mut self, text: &str) -> Result<(), String> {
        let listed = self.schedule_names.len()
            + self.workflow_names.len()
            + self.states.len()
            + self.execution_ids.len()
            + self.workflow_ids.len();
        let c = Clause::parse(text, listed)?;
        match (c.field.as_str(), c.op.as_str()) {
            ("scheduleName", "=" | "IN") => self.schedule_names.extend(c.values),
            ("workflowName" | "workflowType", "=" | "IN") => self.workflow_names.extend(c.values),
            ("state" | "status", "=" | "IN") => self
                .states
                .extend(c.values.iter().map(|v| v.to_ascii_uppercase())),
            ("executionId", "=" | "IN") => self.execution_ids.extend(c.values),
            ("workflowId", "=" | "IN") => self.workflow_ids.extend(c.values),
            ("scheduledTime", ">" | ">=" | "<" | "<=") => {
                c.narrow((&mut self.scheduled.0, &mut self.scheduled.1))?
            }
            ("executionTime", ">" | ">=" | "<" | "<=") => {
                c.narrow((&mut self.executed.0, &mut self.executed.1))?
            }
            _ => {
                return Err(format!(
                    "Unsupported search clause '{text}': use scheduleName, workflowName, state, executionId or workflowId with = or IN, scheduledTime or executionTime with <, <=, >, >="
                ));
            }
        }
        Ok(())
    }

    pub fn matches(&self, e: &ScheduleExecution) -> bool {
        let listed = |list: &[String], v: &str| list.is_empty() || list.iter().any(|x| x == v);
        let within = |(from, to): (Option<i64>, Option<i64>), v: i64| {
            from.is_none_or(|f| v >= f) && to.is_none_or(|t| v <= t)
        };
        let workflow_id = e.workflow_id.as_deref().unwrap_or_default();
        listed(&self.schedule_names, &e.schedule_name)
            && listed(&self.workflow_names, &e.workflow_name)
            && listed(&self.states, &e.state)
            && listed(&self.execution_ids, &e.execution_id)
            && (self.workflow_ids.is_empty() || listed(&self.workflow_ids, workflow_id))
            && within(self.scheduled, e.scheduled_time)
            && within(self.executed, e.execution_time)
            && self.free_text.as_deref().is_none_or(|t| {
                [
                    e.schedule_name.as_str(),
                    e.workflow_name.as_str(),
                    e.execution_id.as_str(),
                    workflow_id,
                ]
                .iter()
                .any(|f| f.contains(t))
            })
    }

    /// The matching firings, sorted (newest first unless asked otherwise): the total and
    /// the page.
    pub fn page(&self, all: Vec<ScheduleExecution>) -> (usize, Vec<ScheduleExecution>) {
        let mut hits: Vec<_> = all.into_iter().filter(|e| self.matches(e)).collect();
        hits.sort_by_key(|e| {
            if self.by_execution_time {
                e.execution_time
            } else {
                e.scheduled_time
            }
        });
        if !self.ascending {
            hits.reverse();
        }
        let total = hits.len();
        (
            total,
            hits.into_iter()
                .skip(self.offset)
                .take(self.limit)
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn execution(name: &str, at: i64, state: &str) -> ScheduleExecution {
        serde_json::from_value(serde_json::json!({
            "executionId": format!("{name}-{at}"), "scheduleName": name, "scheduledTime": at,
            "executionTime": at + 5, "workflowName": "w", "workflowId": format!("wf-{at}"),
            "startWorkflowRequest": {"name": "w"}, "state": state, "zoneId": "UTC"
        }))
        .unwrap()
    }

    fn query(q: &str, sort: Option<&str>) -> Result<ExecutionQuery, String> {
        ExecutionQuery::parse(&SearchRequest {
            query: Some(q.into()),
            sort: sort.map(str::to_string),
            ..Default::default()
        })
    }

    #[test]
    fn filters_sorts_and_pages() {
        let all = vec![
            execution("a", 100, "EXECUTED"),
            execution("a", 200, "FAILED"),
            execution("b", 300, "EXECUTED"),
        ];
        let q = query("scheduleName IN (a, b) AND state = executed", None).unwrap();
        let (total, hits) = q.page(all.clone());
        assert_eq!(total, 2);
        assert_eq!(hits[0].scheduled_time, 300, "newest first");
        let q = query("scheduledTime > 100", Some("scheduledTime:ASC")).unwrap();
        let (total, hits) = q.page(all.clone());
        assert_eq!((total, hits[0].scheduled_time), (2, 200));
        let q = query("workflowId = wf-100", None).unwrap();
        assert_eq!(q.page(all).0, 1);
    }

    #[test]
    fn refuses_what_it_cannot_run() {
        assert!(query("cron = x", None).is_err());
        assert!(query("state ~ x", None).is_err());
        assert!(query("", Some("name:ASC")).is_err());
    }
}
