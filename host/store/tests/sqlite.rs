use fermata_core::decider::{self, Env, NewWorkflow};
use fermata_core::model::{WorkflowDef, WorkflowStatus};
use fermata_store::{Commit, ExecutionWrite, QueueOp, SqliteStore, Store, StoreError};
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
