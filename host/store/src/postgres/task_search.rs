//! Task search on SQLite: indexed generated columns for type, status and times (migration
//! 0008), the JSON itself for the rarer filters.

use super::{PgStore, parse, push_bounds, push_contains, push_in};
use crate::Result;
use fermata_core::model::Task;
use fermata_core::task_search::{TaskQuery, TaskSortField};
use sqlx::{Postgres, QueryBuilder, Row};

impl PgStore {
    pub(super) async fn find_tasks(&self, q: &TaskQuery) -> Result<(i64, Vec<Task>)> {
        let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM tasks");
        filter(&mut count, q);
        let total: i64 = count.build().fetch_one(&self.pool).await?.get(0);
        let mut page = QueryBuilder::<Postgres>::new("SELECT json FROM tasks");
        filter(&mut page, q);
        let column = match q.sort.field {
            TaskSortField::ScheduledTime => "scheduled_time",
            TaskSortField::UpdateTime => "update_time",
            TaskSortField::TaskType => "task_type",
            TaskSortField::Status => "status",
        };
        let dir = if q.sort.descending { "DESC" } else { "ASC" };
        page.push(format!(" ORDER BY {column} {dir}, id {dir} LIMIT "))
            .push_bind(q.limit)
            .push(" OFFSET ")
            .push_bind(q.offset);
        let rows = page.build().fetch_all(&self.pool).await?;
        let mut hits = Vec::with_capacity(rows.len());
        for row in &rows {
            match parse::<Task>(row.get::<&str, _>(0)) {
                Ok(task) => hits.push(task),
                // One unreadable task does not fail the page; it is counted but left out.
                Err(e) => tracing::error!(error = %e, "an unreadable task is left out of a search"),
            }
        }
        Ok((total, hits))
    }
}

fn filter(b: &mut QueryBuilder<Postgres>, q: &TaskQuery) {
    b.push(" WHERE 1 = 1");
    push_in(b, "task_type", q.task_types.iter().map(String::as_str));
    push_in(b, "status", q.statuses.iter().map(|s| s.as_str()));
    push_in(b, "workflow_id", q.workflow_ids.iter().map(String::as_str));
    push_in(b, "id", q.task_ids.iter().map(String::as_str));
    push_in(
        b,
        "task_def_name",
        q.task_def_names.iter().map(String::as_str),
    );
    push_in(
        b,
        "workflow_type",
        q.workflow_types.iter().map(String::as_str),
    );
    push_bounds(
        b,
        [
            ("scheduled_time", ">=", q.scheduled_from),
            ("scheduled_time", "<=", q.scheduled_to),
            ("update_time", ">=", q.update_from),
            ("update_time", "<=", q.update_to),
        ],
    );
    if let Some(text) = &q.free_text {
        push_contains(
            b,
            "ILIKE",
            &["id", "task_type", "workflow_id", "reference_name"],
            text,
        );
    }
}
