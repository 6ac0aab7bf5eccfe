//! The store conformance suite against SQLite, and what only SQLite has: rows written
//! behind the store's back (by an older version, or damage).

#[macro_use]
mod conformance;

use fermata_store::{Commit, ExecutionWrite, Executions, Queues, SqliteStore, StoreError, Timers};
use serde_json::json;

conformance_tests!(sqlite, || async { store().await });

/// A fresh store in a directory of its own (kept while the test runs).
async fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    (dir, store)
}

#[tokio::test]
async fn values_an_older_version_nested_deeper_are_still_read() {
    use fermata_core::limits::json_depth;
    let (dir, s) = store().await;
    // An older version accepted inputs nested deeper than serde_json reads by default.
    let legacy = serde_json::to_string(&json!({"workflowId": "old", "workflowName": "w",
        "workflowVersion": 1, "status": "RUNNING", "input": conformance::nested(300),
        "workflowDefinition": {"name": "w", "tasks": []}}))
    .unwrap();
    raw(&dir, "INSERT INTO executions (id, name, version, status, create_time, update_time, end_time, revision, json) VALUES ('old', 'w', 1, 'RUNNING', 1, 1, 0, 1, ?)", &legacy).await;
    let old = s.workflow("old", true).await.unwrap().unwrap();
    assert_eq!(json_depth(&serde_json::Value::Object(old.input)), 300);
    assert_eq!(
        s.load("old").await.unwrap().unwrap().workflow.workflow_id,
        "old"
    );
}

#[tokio::test]
async fn an_unreadable_execution_is_reported_alone_and_can_be_set_aside() {
    let (dir, s) = store().await;
    let good = conformance::workflow("good");
    s.commit(Commit {
        executions: vec![ExecutionWrite::new(good, Some(5))],
        ..Default::default()
    })
    .await
    .unwrap();
    raw(&dir, "INSERT INTO executions (id, name, version, status, correlation_id, create_time, update_time, end_time, next_wake_at, revision, json) VALUES ('bad', 'w', 1, 'RUNNING', 'c', 2, 2, 0, 5, 1, ?)", "{\"workflowId\": \"bad\", truncated").await;
    raw(&dir, "INSERT INTO queue (task_id, queue, workflow_id, visible_at) VALUES ('t-bad', 'a', 'bad', 0)", "").await;
    assert!(matches!(s.load("bad").await, Err(StoreError::Corrupt(_))));
    let q = fermata_core::search::WorkflowQuery::parse(&fermata_core::search::SearchRequest {
        size: Some(10),
        ..Default::default()
    })
    .unwrap();
    let (total, hits) = s.search(&q).await.unwrap();
    assert_eq!(total, 2);
    let bad = hits.iter().find(|w| w.workflow_id == "bad").unwrap();
    assert_eq!(bad.correlation_id.as_deref(), Some("c"));
    assert!(
        bad.reason_for_incompletion
            .as_deref()
            .unwrap()
            .starts_with("fermata cannot read this execution"),
        "{bad:?}"
    );
    assert_eq!(s.due(10, 10).await.unwrap().len(), 2);
    s.quarantine("bad").await.unwrap();
    assert_eq!(s.due(10, 10).await.unwrap(), vec!["good".to_string()]);
    assert!(s.claim("a", 5, 10, 1000).await.unwrap().is_empty());
}

/// Write to the database behind the store's back, as an older version or damage would.
async fn raw(dir: &tempfile::TempDir, sql: &str, bind: &str) {
    use sqlx::Connection;
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
    if !bind.is_empty() {
        query = query.bind(bind.to_string());
    }
    query.execute(&mut conn).await.unwrap();
}
