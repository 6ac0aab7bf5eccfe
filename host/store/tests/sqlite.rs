use fermata_core::decider::{self, Env, NewWorkflow};
use fermata_core::model::{WorkflowDef, WorkflowStatus};
use fermata_store::{
    Commit, Definitions, ExecutionWrite, Executions, QueueOp, Queues, Schedules, SqliteStore,
    StoreError, Timers,
};
use serde_json::json;

struct E(u32);
impl Env for E {
    fn now(&self) -> i64 {
        1_000
    }
    fn new_id(&mut self) -> String {
        self.0 += 1;
        format!("x{}", self.0)
    }
    fn jitter_ms(&mut self, _: i64) -> i64 {
        0
    }
    fn workflow_def(&self, _: &str, _: Option<i32>) -> Option<WorkflowDef> {
        None
    }
}

fn workflow(id: &str) -> fermata_core::model::Workflow {
    let def: WorkflowDef = serde_json::from_value(json!({
        "name": "w", "tasks": [{"name": "a", "taskReferenceName": "a"}, {"name": "b", "taskReferenceName": "b"}]
    }))
    .unwrap();
    let new = NewWorkflow {
        workflow_id: id.into(),
        definition: def,
        input: Default::default(),
        correlation_id: Some("corr".into()),
        priority: 0,
        task_to_domain: Default::default(),
        created_by: None,
        idempotency_key: None,
        parent_workflow_id: None,
        parent_workflow_task_id: None,
    };
    decider::start(new, &mut E(0)).unwrap().0
}

async fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    (dir, store)
}

#[tokio::test]
async fn executions_round_trip_and_write_only_changes() {
    let (_d, s) = store().await;
    let wf = workflow("w1");
    s.commit(Commit {
        executions: vec![ExecutionWrite::new(wf.clone(), Some(5))],
        ..Default::default()
    })
    .await
    .unwrap();
    let loaded = s.load("w1").await.unwrap().unwrap();
    assert_eq!(loaded.workflow, wf);
    assert_eq!(loaded.revision, 1);
    let mut changed = loaded.workflow.clone();
    changed.status = WorkflowStatus::Paused;
    changed.tasks.clear();
    s.commit(Commit {
        executions: vec![loaded.into_write(changed.clone(), None)],
        ..Default::default()
    })
    .await
    .unwrap();
    let again = s.load("w1").await.unwrap().unwrap();
    assert_eq!(again.workflow, changed, "deleted tasks are gone");
    assert_eq!(again.revision, 2);
    assert_eq!(s.due(10, 10).await.unwrap(), Vec::<String>::new());
    assert!(
        s.workflow("w1", false)
            .await
            .unwrap()
            .unwrap()
            .tasks
            .is_empty()
    );
}

#[tokio::test]
async fn a_stale_write_conflicts_without_harming_its_batch() {
    let (_d, s) = store().await;
    s.commit(Commit {
        executions: vec![ExecutionWrite::new(workflow("w1"), None)],
        ..Default::default()
    })
    .await
    .unwrap();
    let a = s.load("w1").await.unwrap().unwrap();
    let b = s.load("w1").await.unwrap().unwrap();
    let mut wa = a.workflow.clone();
    wa.status = WorkflowStatus::Paused;
    let mut wb = b.workflow.clone();
    wb.status = WorkflowStatus::Terminated;
    let first = s.commit(Commit {
        executions: vec![a.into_write(wa, None)],
        ..Default::default()
    });
    let second = s.commit(Commit {
        executions: vec![b.into_write(wb, None)],
        queue: vec![QueueOp::Push {
            task_id: "t".into(),
            queue: "q".into(),
            workflow_id: "w1".into(),
            visible_at: 0,
        }],
        ..Default::default()
    });
    let third = s.commit(Commit {
        executions: vec![ExecutionWrite::new(workflow("w2"), None)],
        ..Default::default()
    });
    let (r1, r2, r3) = tokio::join!(first, second, third);
    assert!(r1.is_ok() && r3.is_ok());
    assert!(matches!(r2, Err(StoreError::Conflict(_))));
    assert_eq!(
        s.load("w1").await.unwrap().unwrap().workflow.status,
        WorkflowStatus::Paused
    );
    assert_eq!(
        s.queue_size("q").await.unwrap(),
        0,
        "the failed commit wrote nothing"
    );
    assert!(s.load("w2").await.unwrap().is_some());
}

#[tokio::test]
async fn claims_hand_each_entry_to_one_poller() {
    let (_d, s) = store().await;
    let queue = (0..3)
        .map(|i| QueueOp::Push {
            task_id: format!("t{i}"),
            queue: "q".into(),
            workflow_id: "w".into(),
            visible_at: i,
        })
        .collect();
    s.commit(Commit {
        queue,
        ..Default::default()
    })
    .await
    .unwrap();
    let a = s.claim("q", 2, 10, 60_000).await.unwrap();
    let b = s.claim("q", 2, 10, 60_000).await.unwrap();
    assert_eq!(
        a.iter().map(|c| c.task_id.as_str()).collect::<Vec<_>>(),
        ["t0", "t1"]
    );
    assert_eq!(
        b.iter().map(|c| c.task_id.as_str()).collect::<Vec<_>>(),
        ["t2"]
    );
    s.release(&["t0".into()]);
    assert_eq!(s.claim("q", 5, 10, 60_000).await.unwrap()[0].task_id, "t0");
    assert_eq!(
        s.claim("q", 5, 10, 60_000).await.unwrap(),
        vec![],
        "all held"
    );
    s.release(&["t0".into(), "t1".into(), "t2".into()]);
    let short = s.claim("q", 5, 1, 50).await.unwrap();
    assert_eq!(short.len(), 2, "only entries visible at that time");
    assert!(s.claim("q", 5, 1, 50).await.unwrap().is_empty());
    tokio::time::sleep(std::time::Duration::from_millis(80)).await;
    assert_eq!(
        s.claim("q", 5, 1, 50).await.unwrap().len(),
        2,
        "an expired lease frees its entry"
    );
}

#[tokio::test]
async fn definitions_conflict_unless_overwritten() {
    let (_d, s) = store().await;
    let def = workflow("w").workflow_definition;
    s.put_workflow_def(&def, false, 1).await.unwrap();
    assert!(matches!(
        s.put_workflow_def(&def, false, 2).await,
        Err(StoreError::AlreadyExists(_))
    ));
    s.put_workflow_def(&def, true, 3).await.unwrap();
    let stored = s.workflow_def("w", None).await.unwrap().unwrap();
    assert_eq!((stored.create_time, stored.update_time), (Some(1), Some(3)));
}

/// `{"a": {"a": ... 1}}`, `depth` objects deep.
fn nested(depth: usize) -> serde_json::Value {
    (0..depth).fold(json!(1), |inner, _| json!({ "a": inner }))
}

#[tokio::test]
async fn the_deepest_accepted_values_round_trip() {
    use fermata_core::limits::{MAX_JSON_DEPTH, MAX_STORED_DEPTH, json_depth};
    let (dir, s) = store().await;
    let mut wf = workflow("deep");
    let serde_json::Value::Object(input) = nested(MAX_JSON_DEPTH) else {
        unreachable!()
    };
    wf.input = input;
    let serde_json::Value::Object(task_input) = nested(MAX_STORED_DEPTH) else {
        unreachable!()
    };
    wf.tasks[0].input_data = task_input;
    s.commit(Commit {
        executions: vec![ExecutionWrite::new(wf.clone(), None)],
        ..Default::default()
    })
    .await
    .unwrap();
    let loaded = s.load("deep").await.unwrap().unwrap().workflow;
    assert_eq!(loaded, wf);
    assert_eq!(
        json_depth(&serde_json::Value::Object(loaded.input)),
        MAX_JSON_DEPTH
    );
    let q = fermata_core::search::WorkflowQuery::parse(&fermata_core::search::SearchRequest {
        size: Some(10),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(s.search(&q).await.unwrap().1.len(), 1);

    // An older version accepted inputs nested deeper than serde_json reads by default.
    let legacy = serde_json::to_string(&json!({"workflowId": "old", "workflowName": "w",
        "workflowVersion": 1, "status": "RUNNING", "input": nested(300),
        "workflowDefinition": {"name": "w", "tasks": []}}))
    .unwrap();
    raw(&dir, "INSERT INTO executions (id, name, version, status, create_time, update_time, end_time, revision, json) VALUES ('old', 'w', 1, 'RUNNING', 1, 1, 0, 1, ?)", &legacy).await;
    let old = s.workflow("old", true).await.unwrap().unwrap();
    assert_eq!(json_depth(&serde_json::Value::Object(old.input)), 300);
}

#[tokio::test]
async fn an_unreadable_execution_is_reported_alone_and_can_be_set_aside() {
    let (dir, s) = store().await;
    let good = workflow("good");
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

#[tokio::test]
async fn schedule_details_change_without_moving_its_next_slot() {
    let (_dir, store) = store().await;
    let mut schedule: fermata_core::schedule::WorkflowSchedule = serde_json::from_value(json!({
        "name": "nightly", "cronExpression": "0 0 2 * * ?"
    }))
    .unwrap();
    assert!(!store.update_schedule_details(&schedule).await.unwrap());
    store.put_schedule(&schedule, Some(5_000)).await.unwrap();
    schedule
        .extra
        .insert("tags".into(), json!([{"key": "team", "value": "a"}]));
    assert!(store.update_schedule_details(&schedule).await.unwrap());
    let stored = store.schedule("nightly").await.unwrap().unwrap();
    assert_eq!(stored.next_run_at, Some(5_000));
    assert_eq!(stored.schedule.extra["tags"][0]["key"], "team");
}
