//! [`Executions`] for [`PgStore`].

use super::{PgStore, parse, push_bounds, push_contains, push_in};
use crate::{Commit, Executions, Result, StoreError, Stored};
use async_trait::async_trait;
use fermata_core::model::{Task, TaskExecLog, Workflow, WorkflowStatus};
use fermata_core::search::{SortField, WorkflowQuery};
use sqlx::{Postgres, QueryBuilder, Row};

#[async_trait]
impl Executions for PgStore {
    async fn load(&self, id: &str) -> Result<Option<Stored>> {
        let Some(row) = sqlx::query("SELECT json, revision FROM executions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let mut workflow: Workflow = parse(row.get::<&str, _>(0))?;
        let revision: i64 = row.get(1);
        let tasks = self.tasks_of(id).await?;
        workflow.tasks = tasks.iter().map(|(_, j)| parse(j)).collect::<Result<_>>()?;
        workflow.inbox =
            sqlx::query("SELECT message FROM inbox WHERE workflow_id = $1 ORDER BY seq")
                .bind(id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| parse(r.get::<&str, _>(0)))
                .collect::<Result<_>>()?;
        Ok(Some(Stored {
            workflow,
            revision,
            task_json: tasks.into_iter().collect(),
        }))
    }

    async fn workflow(&self, id: &str, include_tasks: bool) -> Result<Option<Workflow>> {
        let Some(row) = sqlx::query("SELECT json FROM executions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let mut workflow: Workflow = parse(row.get::<&str, _>(0))?;
        if include_tasks {
            workflow.tasks = self
                .tasks_of(id)
                .await?
                .iter()
                .map(|(_, j)| parse(j))
                .collect::<Result<_>>()?;
        }
        Ok(Some(workflow))
    }

    async fn commit(&self, commit: Commit) -> Result<()> {
        if commit.is_empty() {
            return Ok(());
        }
        self.write_commit(commit).await
    }

    async fn remove_execution(&self, id: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM task_logs WHERE task_id IN (SELECT id FROM tasks WHERE workflow_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        for table in ["tasks", "queue", "signals", "inbox", "webhook_waits"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE workflow_id = $1"
            )))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let done = sqlx::query("DELETE FROM executions WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    async fn quarantine(&self, id: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE executions SET next_wake_at = NULL WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM queue WHERE workflow_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn task(&self, task_id: &str) -> Result<Option<Task>> {
        let row = sqlx::query("SELECT json FROM tasks WHERE id = $1")
            .bind(task_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| parse(r.get::<&str, _>(0))).transpose()
    }

    async fn search(&self, q: &WorkflowQuery) -> Result<(i64, Vec<Workflow>)> {
        fn filter(b: &mut QueryBuilder<Postgres>, q: &WorkflowQuery) {
            b.push(" WHERE 1 = 1");
            push_in(b, "name", q.names.iter().map(String::as_str));
            push_in(b, "status", q.statuses.iter().map(|s| s.as_str()));
            push_in(
                b,
                "correlation_id",
                q.correlation_ids.iter().map(String::as_str),
            );
            push_in(b, "id", q.workflow_ids.iter().map(String::as_str));
            push_bounds(
                b,
                [
                    ("create_time", ">=", q.start_from),
                    ("create_time", "<=", q.start_to),
                    ("update_time", ">=", q.update_from),
                    ("update_time", "<=", q.update_to),
                ],
            );
            if let Some(text) = &q.free_text {
                push_contains(b, "ILIKE", &["id", "name", "correlation_id"], text);
            }
        }
        let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM executions");
        filter(&mut count, q);
        let total: i64 = count.build().fetch_one(&self.pool).await?.get(0);
        let mut page = QueryBuilder::<Postgres>::new(
            "SELECT json, id, name, version, status, correlation_id, create_time, update_time, end_time FROM executions",
        );
        filter(&mut page, q);
        let column = match q.sort.field {
            SortField::StartTime => "create_time",
            SortField::UpdateTime => "update_time",
            SortField::EndTime => "end_time",
            SortField::WorkflowType => "name",
            SortField::Status => "status",
        };
        let dir = if q.sort.descending { "DESC" } else { "ASC" };
        page.push(format!(" ORDER BY {column} {dir}, id {dir} LIMIT "))
            .push_bind(q.limit)
            .push(" OFFSET ")
            .push_bind(q.offset);
        let rows = page.build().fetch_all(&self.pool).await?;
        let hits = rows
            .iter()
            .map(|r| parse(r.get::<&str, _>(0)).or_else(|e| unreadable_summary(r, &e)))
            .collect::<Result<_>>()?;
        Ok((total, hits))
    }

    async fn search_tasks(
        &self,
        q: &fermata_core::task_search::TaskQuery,
    ) -> Result<(i64, Vec<Task>)> {
        self.find_tasks(q).await
    }

    async fn correlated(
        &self,
        name: &str,
        correlation_id: &str,
        include_closed: bool,
    ) -> Result<Vec<String>> {
        let sql = if include_closed {
            "SELECT id FROM executions WHERE name = $1 AND correlation_id = $2 ORDER BY create_time"
        } else {
            "SELECT id FROM executions WHERE name = $1 AND correlation_id = $2 AND status IN ('RUNNING', 'PAUSED') ORDER BY create_time"
        };
        let rows = sqlx::query(sql)
            .bind(name)
            .bind(correlation_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|r| r.get(0)).collect())
    }

    async fn running(
        &self,
        name: &str,
        version: Option<i32>,
        start: Option<i64>,
        end: Option<i64>,
    ) -> Result<Vec<String>> {
        let mut b = QueryBuilder::<Postgres>::new(
            "SELECT id FROM executions WHERE status IN ('RUNNING', 'PAUSED') AND name = ",
        );
        b.push_bind(name);
        if let Some(v) = version {
            b.push(" AND version = ").push_bind(v);
        }
        if let Some(s) = start {
            b.push(" AND create_time >= ").push_bind(s);
        }
        if let Some(e) = end {
            b.push(" AND create_time <= ").push_bind(e);
        }
        b.push(" ORDER BY create_time");
        let rows = b.build().fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|r| r.get(0)).collect())
    }

    async fn by_idempotency_key(
        &self,
        name: &str,
        key: &str,
    ) -> Result<Option<(String, WorkflowStatus)>> {
        let row = sqlx::query(
            "SELECT id, status FROM executions WHERE name = $1 AND idempotency_key = $2 ORDER BY create_time DESC LIMIT 1",
        )
        .bind(name)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let status: &str = r.get(1);
            Ok((r.get(0), status.parse().map_err(StoreError::Corrupt)?))
        })
        .transpose()
    }

    async fn append_task_log(&self, task_id: &str, log: &TaskExecLog) -> Result<()> {
        self.commit(Commit {
            logs: vec![(task_id.to_string(), log.clone())],
            ..Default::default()
        })
        .await
    }

    async fn task_logs(&self, task_id: &str) -> Result<Vec<TaskExecLog>> {
        let rows =
            sqlx::query("SELECT log, created_time FROM task_logs WHERE task_id = $1 ORDER BY id")
                .bind(task_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|r| TaskExecLog {
                log: r.get(0),
                task_id: Some(task_id.to_string()),
                created_time: r.get(1),
            })
            .collect())
    }
}

impl PgStore {
    async fn tasks_of(&self, id: &str) -> Result<Vec<(String, String)>> {
        let rows =
            sqlx::query("SELECT id, json FROM tasks WHERE workflow_id = $1 ORDER BY seq, ord")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}

fn unreadable_summary(row: &sqlx::postgres::PgRow, problem: &StoreError) -> Result<Workflow> {
    crate::rows::unreadable_summary(
        crate::rows::SummaryColumns {
            id: row.get("id"),
            name: row.get("name"),
            version: i64::from(row.get::<i32, _>("version")),
            status: row.get("status"),
            correlation_id: row.get("correlation_id"),
            create_time: row.get("create_time"),
            update_time: row.get("update_time"),
            end_time: row.get("end_time"),
        },
        problem,
    )
}
