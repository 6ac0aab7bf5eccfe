//! The store's conformance suite: what the engine relies on from every role, written once
//! against `&dyn Store` and run against each backend.
//!
//! A backend runs the whole suite with one line in its own test file:
//!
//! ```ignore
//! #[macro_use]
//! mod conformance;
//! conformance_tests!(postgres, || async { /* (guard kept alive, fresh store) */ });
//! ```
//!
//! The opener is called once per check and must hand back an empty store (and anything to
//! keep alive while the check runs, such as a temporary directory).

use fermata_core::decider::{self, Env, NewWorkflow};
use fermata_core::model::{
    InboxMessage, TaskDef, TaskExecLog, TaskStatus, Workflow, WorkflowDef, WorkflowStatus,
};
use fermata_core::schedule::{ScheduleExecution, WorkflowSchedule};
use fermata_core::search::{SearchRequest, SortField, WorkflowQuery};
use fermata_core::task_search::TaskQuery;
use fermata_core::webhook::{WAIT_FOR_WEBHOOK, WebhookConfig, WebhookDelivery};
use fermata_store::{
    Commit, ExecutionWrite, IdempotencyRecord, InboxOp, NewEvent, PollData, QueueOp, ScheduleFired,
    SignalRecord, Store, StoreError, TagOwner,
};
use serde_json::json;
use std::time::Duration;

/// Run every check against one backend: `conformance_tests!(name, opener)`, where `opener`
/// is a closure returning a future of `(guard, store)`.
macro_rules! conformance_tests {
    ($backend:ident, $open:expr) => {
        conformance_tests!(@each $backend, $open;
            executions_round_trip_and_write_only_changes,
            a_stale_write_conflicts_and_writes_nothing,
            a_new_execution_with_a_taken_id_conflicts,
            the_deepest_accepted_values_round_trip,
            search_filters_sorts_and_pages,
            search_tasks_filters,
            correlated_running_and_idempotency_keys,
            task_logs_are_kept_in_order,
            remove_execution_takes_everything_of_it,
            quarantine_stops_work_but_keeps_the_rows,
            inbox_follows_commits,
            claims_hand_each_entry_to_one_poller,
            a_claim_never_takes_more_than_asked,
            an_extended_lease_holds_past_its_first_end,
            concurrent_claims_never_share_an_entry,
            a_lease_expires_and_release_frees_at_once,
            claim_prefix_queue_sizes_and_queue_ops,
            poll_data_round_trip,
            timers_follow_commits,
            workflow_definitions,
            task_definitions_and_tags,
            signals_are_logged_in_order_with_their_commit,
            idempotency_keeps_the_first_answer,
            outbox_messages_are_pending_until_delivered_once,
            schedules_crud_and_due,
            a_schedule_slot_fires_once,
            schedule_details_change_without_moving_its_next_slot,
            webhook_configs,
            webhook_deliveries_newest_first_and_bounded,
            webhook_waits_follow_task_commits,
            plugins_round_trip,
            events_from_commits,
            event_handlers_and_kafka_offsets,
        );
    };
    (@each $backend:ident, $open:expr; $($check:ident),* $(,)?) => {
        mod $backend {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $check() {
                    #[allow(clippy::redundant_closure_call)]
                    let (_guard, store) = ($open)().await;
                    crate::conformance::$check(&store).await;
                }
            )*
        }
    };
}

// ---------------------------------------------------------------------------------------
// Inputs

struct E {
    now: i64,
    ids: u32,
    prefix: String,
}

impl Env for E {
    fn now(&self) -> i64 {
        self.now
    }
    fn new_id(&mut self) -> String {
        self.ids += 1;
        format!("{}-t{}", self.prefix, self.ids)
    }
    fn jitter_ms(&mut self, _: i64) -> i64 {
        0
    }
    fn workflow_def(&self, _: &str, _: Option<i32>) -> Option<WorkflowDef> {
        None
    }
}

/// How to start a test execution.
struct Start<'a> {
    id: &'a str,
    name: &'a str,
    version: i32,
    correlation: Option<&'a str>,
    idempotency_key: Option<&'a str>,
    now: i64,
}

impl<'a> Start<'a> {
    fn new(id: &'a str) -> Self {
        Start {
            id,
            name: "w",
            version: 1,
            correlation: Some("corr"),
            idempotency_key: None,
            now: 1_000,
        }
    }
    fn name(mut self, name: &'a str) -> Self {
        self.name = name;
        self
    }
    fn version(mut self, version: i32) -> Self {
        self.version = version;
        self
    }
    fn correlation(mut self, correlation: Option<&'a str>) -> Self {
        self.correlation = correlation;
        self
    }
    fn idempotency_key(mut self, key: &'a str) -> Self {
        self.idempotency_key = Some(key);
        self
    }
    fn at(mut self, now: i64) -> Self {
        self.now = now;
        self
    }
    /// A RUNNING execution of two SIMPLE tasks `a`, `b`; `a` is scheduled (task id
    /// `<id>-t1`).
    fn build(self) -> Workflow {
        let def: WorkflowDef = serde_json::from_value(json!({
            "name": self.name, "version": self.version,
            "tasks": [{"name": "a", "taskReferenceName": "a"}, {"name": "b", "taskReferenceName": "b"}]
        }))
        .unwrap();
        let new = NewWorkflow {
            workflow_id: self.id.into(),
            definition: def,
            input: Default::default(),
            correlation_id: self.correlation.map(str::to_string),
            priority: 0,
            task_to_domain: Default::default(),
            created_by: None,
            idempotency_key: self.idempotency_key.map(str::to_string),
            parent_workflow_id: None,
            parent_workflow_task_id: None,
        };
        let mut env = E {
            now: self.now,
            ids: 0,
            prefix: self.id.to_string(),
        };
        decider::start(new, &mut env).unwrap().0
    }
}

pub fn workflow(id: &str) -> Workflow {
    Start::new(id).build()
}

async fn create(s: &dyn Store, wf: Workflow, wake: Option<i64>) {
    s.commit(Commit {
        executions: vec![ExecutionWrite::new(wf, wake)],
        ..Default::default()
    })
    .await
    .unwrap();
}

/// Load, change, write back.
async fn update(s: &dyn Store, id: &str, wake: Option<i64>, change: impl FnOnce(&mut Workflow)) {
    let stored = s.load(id).await.unwrap().unwrap();
    let mut wf = stored.workflow.clone();
    change(&mut wf);
    s.commit(Commit {
        executions: vec![stored.into_write(wf, wake)],
        ..Default::default()
    })
    .await
    .unwrap();
}

fn push(task_id: &str, queue: &str, workflow_id: &str, visible_at: i64) -> QueueOp {
    QueueOp::Push {
        task_id: task_id.into(),
        queue: queue.into(),
        workflow_id: workflow_id.into(),
        visible_at,
    }
}

async fn commit_queue(s: &dyn Store, ops: Vec<QueueOp>) {
    s.commit(Commit {
        queue: ops,
        ..Default::default()
    })
    .await
    .unwrap();
}

fn ids<T>(items: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|i| id(i).to_string()).collect()
}

fn query(
    q: &str,
    free_text: Option<&str>,
    sort: Option<&str>,
    start: i64,
    size: i64,
) -> WorkflowQuery {
    WorkflowQuery::parse(&SearchRequest {
        query: (!q.is_empty()).then(|| q.to_string()),
        free_text: free_text.map(str::to_string),
        sort: sort.map(str::to_string),
        start: Some(start),
        size: Some(size),
    })
    .unwrap()
}

fn task_query(q: &str, free_text: Option<&str>) -> TaskQuery {
    TaskQuery::parse(&SearchRequest {
        query: (!q.is_empty()).then(|| q.to_string()),
        free_text: free_text.map(str::to_string),
        sort: Some("startTime:ASC".into()),
        start: None,
        size: Some(100),
    })
    .unwrap()
}

fn signal(workflow_id: &str, op: &str, at: i64) -> SignalRecord {
    SignalRecord {
        id: 0,
        workflow_id: workflow_id.into(),
        op: op.into(),
        at,
        caller: Some("tester".into()),
        params: json!({"op": op}),
        status: 200,
        message: None,
        idempotency_key: None,
    }
}

fn schedule(name: &str) -> WorkflowSchedule {
    serde_json::from_value(json!({"name": name, "cronExpression": "0 0 2 * * ?"})).unwrap()
}

fn firing(name: &str, slot: i64, next: Option<i64>, execution_id: &str) -> ScheduleFired {
    ScheduleFired {
        name: name.into(),
        slot,
        next,
        execution: ScheduleExecution {
            execution_id: execution_id.into(),
            schedule_name: name.into(),
            scheduled_time: slot,
            execution_time: slot + 1,
            workflow_name: "w".into(),
            workflow_id: Some(format!("wf-{execution_id}")),
            reason: None,
            start_workflow_request: Default::default(),
            state: "EXECUTED".into(),
            zone_id: "UTC".into(),
        },
    }
}

fn webhook(id: &str, name: &str) -> WebhookConfig {
    WebhookConfig {
        id: Some(id.into()),
        name: name.into(),
        verifier: Some("HEADER_BASED".into()),
        ..Default::default()
    }
}

fn delivery(webhook_id: &str, n: i64) -> WebhookDelivery {
    WebhookDelivery {
        event_id: format!("e{n}"),
        webhook_id: webhook_id.into(),
        time_stamp: n,
        outcome: "ACCEPTED".into(),
        status: 200,
        matched: n % 2 == 0,
        ..Default::default()
    }
}

fn event(queue: &str, message_id: &str) -> NewEvent {
    NewEvent {
        queue: queue.into(),
        message_id: message_id.into(),
        payload: format!("{{\"m\":\"{message_id}\"}}"),
    }
}

// ---------------------------------------------------------------------------------------
// Executions

pub async fn executions_round_trip_and_write_only_changes(s: &dyn Store) {
    assert!(s.load("w1").await.unwrap().is_none());
    assert!(s.workflow("w1", true).await.unwrap().is_none());
    let wf = workflow("w1");
    assert!(!wf.tasks.is_empty(), "the test execution has a task");
    create(s, wf.clone(), Some(5)).await;
    let loaded = s.load("w1").await.unwrap().unwrap();
    assert_eq!(loaded.workflow, wf);
    assert_eq!(loaded.revision, 1);
    assert_eq!(s.workflow("w1", true).await.unwrap().unwrap(), wf);
    assert!(
        s.workflow("w1", false)
            .await
            .unwrap()
            .unwrap()
            .tasks
            .is_empty()
    );
    let task_id = wf.tasks[0].task_id.clone();
    assert_eq!(s.task(&task_id).await.unwrap().as_ref(), Some(&wf.tasks[0]));
    assert!(s.task("nope").await.unwrap().is_none());

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
    assert!(s.task(&task_id).await.unwrap().is_none());
    assert_eq!(s.due(10, 10).await.unwrap(), Vec::<String>::new());

    // A task changed in place is written back changed.
    let mut with_task = again.workflow.clone();
    let mut t = wf.tasks[0].clone();
    t.status = TaskStatus::InProgress;
    t.poll_count = 3;
    with_task.tasks.push(t.clone());
    s.commit(Commit {
        executions: vec![again.into_write(with_task, None)],
        ..Default::default()
    })
    .await
    .unwrap();
    update(s, "w1", None, |w| w.tasks[0].status = TaskStatus::Completed).await;
    let last = s.load("w1").await.unwrap().unwrap();
    assert_eq!(last.revision, 4);
    assert_eq!(last.workflow.tasks.len(), 1);
    assert_eq!(last.workflow.tasks[0].status, TaskStatus::Completed);
    assert_eq!(last.workflow.tasks[0].poll_count, 3);
}

pub async fn a_stale_write_conflicts_and_writes_nothing(s: &dyn Store) {
    create(s, workflow("w1"), None).await;
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
        executions: vec![b.into_write(wb, Some(1))],
        queue: vec![push("t", "q", "w1", 0)],
        signals: vec![signal("w1", "terminate", 1)],
        events: vec![event("conflicted", "m1")],
        messages: vec![("w2".into(), "{}".into())],
        ..Default::default()
    });
    let third = s.commit(Commit {
        executions: vec![ExecutionWrite::new(workflow("w2"), None)],
        ..Default::default()
    });
    let (r1, r2, r3) = tokio::join!(first, second, third);
    let results = [r1.is_ok(), r2.is_ok()];
    assert_eq!(
        results.iter().filter(|ok| **ok).count(),
        1,
        "exactly one of two writes from the same revision wins: {results:?}"
    );
    assert!(r3.is_ok());
    let (winner, loser) = if results[0] {
        (WorkflowStatus::Paused, r2)
    } else {
        (WorkflowStatus::Terminated, r1)
    };
    let err = loser.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert!(err.is_transient());
    assert_eq!(s.load("w1").await.unwrap().unwrap().workflow.status, winner);
    assert_eq!(s.load("w1").await.unwrap().unwrap().revision, 2);
    if winner == WorkflowStatus::Paused {
        // The commit carrying everything else lost: none of it was written.
        assert_eq!(
            s.queue_size("q").await.unwrap(),
            0,
            "the failed commit wrote nothing"
        );
        assert!(s.signals("w1").await.unwrap().is_empty());
        assert!(s.pending_events(10).await.unwrap().is_empty());
        assert!(s.pending_messages(10).await.unwrap().is_empty());
        assert!(s.due(10, 10).await.unwrap().is_empty());
    }
    assert!(s.load("w2").await.unwrap().is_some());
}

pub async fn a_new_execution_with_a_taken_id_conflicts(s: &dyn Store) {
    create(s, workflow("w1"), None).await;
    let mut other = workflow("w1");
    other.status = WorkflowStatus::Terminated;
    let err = s
        .commit(Commit {
            executions: vec![ExecutionWrite::new(other, None)],
            queue: vec![push("t", "q", "w1", 0)],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let stored = s.load("w1").await.unwrap().unwrap();
    assert_eq!(stored.workflow.status, WorkflowStatus::Running);
    assert_eq!(stored.revision, 1);
    assert_eq!(s.queue_size("q").await.unwrap(), 0);
}

/// `{"a": {"a": ... 1}}`, `depth` objects deep.
pub fn nested(depth: usize) -> serde_json::Value {
    (0..depth).fold(json!(1), |inner, _| json!({ "a": inner }))
}

pub async fn the_deepest_accepted_values_round_trip(s: &dyn Store) {
    use fermata_core::limits::{MAX_JSON_DEPTH, MAX_STORED_DEPTH, json_depth};
    let mut wf = workflow("deep");
    let serde_json::Value::Object(input) = nested(MAX_JSON_DEPTH) else {
        unreachable!()
    };
    wf.input = input;
    let serde_json::Value::Object(task_input) = nested(MAX_STORED_DEPTH) else {
        unreachable!()
    };
    wf.tasks[0].input_data = task_input;
    create(s, wf.clone(), None).await;
    let loaded = s.load("deep").await.unwrap().unwrap().workflow;
    assert_eq!(loaded, wf);
    assert_eq!(
        json_depth(&serde_json::Value::Object(loaded.input)),
        MAX_JSON_DEPTH
    );
    let (total, hits) = s.search(&query("", None, None, 0, 10)).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!(hits[0].workflow_id, "deep");
    let (_, tasks) = s.search_tasks(&task_query("", None)).await.unwrap();
    assert_eq!(tasks[0].input_data, wf.tasks[0].input_data);
}

pub async fn search_filters_sorts_and_pages(s: &dyn Store) {
    create(
        s,
        Start::new("s1")
            .name("alpha")
            .correlation(Some("c1"))
            .at(1_000)
            .build(),
        None,
    )
    .await;
    create(
        s,
        Start::new("s2")
            .name("alpha")
            .correlation(Some("c2"))
            .at(2_000)
            .build(),
        None,
    )
    .await;
    create(
        s,
        Start::new("s3")
            .name("beta")
            .correlation(Some("c1"))
            .at(3_000)
            .build(),
        None,
    )
    .await;
    update(s, "s2", None, |w| {
        w.status = WorkflowStatus::Completed;
        w.update_time = 5_000;
        w.end_time = 5_000;
    })
    .await;
    let found = |q: WorkflowQuery| async move {
        let (total, hits) = s.search(&q).await.unwrap();
        (total, ids(&hits, |w| w.workflow_id.as_str()))
    };
    let asc = Some("startTime:ASC");
    assert_eq!(
        found(query("", None, asc, 0, 10)).await,
        (3, vec!["s1".into(), "s2".into(), "s3".into()])
    );
    assert_eq!(
        found(query("", None, None, 0, 10)).await.1,
        ["s3", "s2", "s1"],
        "newest first by default"
    );
    assert_eq!(
        found(query("workflowType IN (alpha)", None, asc, 0, 10))
            .await
            .1,
        ["s1", "s2"]
    );
    assert_eq!(
        found(query("status = COMPLETED", None, asc, 0, 10)).await.1,
        ["s2"]
    );
    assert_eq!(
        found(query("status IN (RUNNING)", None, asc, 0, 10))
            .await
            .1,
        ["s1", "s3"]
    );
    assert_eq!(
        found(query("correlationId = 'c1'", None, asc, 0, 10))
            .await
            .1,
        ["s1", "s3"]
    );
    // Free text is matched literally: `%` and `_` are not wildcards.
    assert_eq!(
        found(query("", Some("lph"), asc, 0, 10)).await.1,
        ["s1", "s2"]
    );
    assert_eq!(found(query("", Some("%"), asc, 0, 10)).await.0, 0);
    assert_eq!(found(query("", Some("s_"), asc, 0, 10)).await.0, 0);
    assert_eq!(
        found(query("workflowId IN (s2, s3, nope)", None, asc, 0, 10))
            .await
            .1,
        ["s2", "s3"]
    );
    assert_eq!(
        found(query(
            "startTime >= 2000 AND startTime <= 3000",
            None,
            asc,
            0,
            10
        ))
        .await
        .1,
        ["s2", "s3"]
    );
    assert_eq!(
        found(query(
            "workflowType = alpha AND correlationId = 'c1'",
            None,
            asc,
            0,
            10
        ))
        .await
        .1,
        ["s1"]
    );
    assert_eq!(found(query("", Some("bet"), asc, 0, 10)).await.1, ["s3"]);
    assert_eq!(found(query("", Some("s2"), asc, 0, 10)).await.1, ["s2"]);
    assert_eq!(found(query("", Some("c2"), asc, 0, 10)).await.1, ["s2"]);
    // Paging: the total counts every match, the page holds `size` from `start`.
    assert_eq!(
        found(query("", None, asc, 1, 1)).await,
        (3, vec!["s2".into()])
    );
    assert_eq!(found(query("", None, asc, 3, 10)).await, (3, vec![]));
    let mut by_name = query("", None, Some("workflowType:DESC"), 0, 10);
    assert_eq!(by_name.sort.field, SortField::WorkflowType);
    by_name.limit = 1;
    assert_eq!(found(by_name).await.1, ["s3"]);
    assert_eq!(
        found(query("workflowType = gamma", None, asc, 0, 10)).await,
        (0, vec![])
    );
}

pub async fn search_tasks_filters(s: &dyn Store) {
    create(s, Start::new("p").name("alpha").at(1_000).build(), None).await;
    create(s, Start::new("q").name("beta").at(2_000).build(), None).await;
    update(s, "q", None, |w| {
        w.tasks[0].status = TaskStatus::Completed;
        w.tasks[0].update_time = 3_000;
    })
    .await;
    let found = |q: TaskQuery| async move {
        let (total, hits) = s.search_tasks(&q).await.unwrap();
        (total, ids(&hits, |t| t.task_id.as_str()))
    };
    assert_eq!(
        found(task_query("", None)).await,
        (2, vec!["p-t1".into(), "q-t1".into()])
    );
    assert_eq!(found(task_query("workflowId = q", None)).await.1, ["q-t1"]);
    assert_eq!(
        found(task_query("status = COMPLETED", None)).await.1,
        ["q-t1"]
    );
    assert_eq!(
        found(task_query("status = SCHEDULED", None)).await.1,
        ["p-t1"]
    );
    assert_eq!(found(task_query("taskType = a", None)).await.0, 2);
    assert_eq!(
        found(task_query("taskType = HTTP", None)).await,
        (0, vec![])
    );
    assert_eq!(
        found(task_query("taskId IN (p-t1)", None)).await.1,
        ["p-t1"]
    );
    assert_eq!(
        found(task_query("workflowType = beta", None)).await.1,
        ["q-t1"]
    );
    assert_eq!(found(task_query("taskDefName = a", None)).await.0, 2);
    assert_eq!(
        found(task_query("updateTime >= 3000", None)).await.1,
        ["q-t1"]
    );
    assert_eq!(found(task_query("", Some("q-t"))).await.1, ["q-t1"]);
    let mut page = task_query("", None);
    page.offset = 1;
    page.limit = 1;
    assert_eq!(found(page).await, (2, vec!["q-t1".into()]));
}

pub async fn correlated_running_and_idempotency_keys(s: &dyn Store) {
    create(
        s,
        Start::new("c1").at(1_000).idempotency_key("k").build(),
        None,
    )
    .await;
    create(s, Start::new("c2").at(2_000).version(2).build(), None).await;
    create(
        s,
        Start::new("c3").at(3_000).idempotency_key("k").build(),
        None,
    )
    .await;
    create(
        s,
        Start::new("c4")
            .at(4_000)
            .correlation(Some("other"))
            .build(),
        None,
    )
    .await;
    create(
        s,
        Start::new("c5")
            .name("v")
            .at(5_000)
            .idempotency_key("k")
            .build(),
        None,
    )
    .await;
    update(s, "c1", None, |w| w.status = WorkflowStatus::Completed).await;
    update(s, "c2", None, |w| w.status = WorkflowStatus::Paused).await;

    assert_eq!(
        s.correlated("w", "corr", false).await.unwrap(),
        ["c2", "c3"]
    );
    assert_eq!(
        s.correlated("w", "corr", true).await.unwrap(),
        ["c1", "c2", "c3"]
    );
    assert_eq!(s.correlated("w", "other", true).await.unwrap(), ["c4"]);
    assert!(s.correlated("v", "other", true).await.unwrap().is_empty());

    assert_eq!(
        s.running("w", None, None, None).await.unwrap(),
        ["c2", "c3", "c4"]
    );
    assert_eq!(s.running("w", Some(2), None, None).await.unwrap(), ["c2"]);
    assert_eq!(
        s.running("w", Some(1), None, None).await.unwrap(),
        ["c3", "c4"]
    );
    assert_eq!(
        s.running("w", None, Some(2_500), None).await.unwrap(),
        ["c3", "c4"]
    );
    assert_eq!(
        s.running("w", None, Some(2_000), Some(3_000))
            .await
            .unwrap(),
        ["c2", "c3"]
    );
    assert_eq!(s.running("v", None, None, None).await.unwrap(), ["c5"]);

    assert_eq!(
        s.by_idempotency_key("w", "k").await.unwrap(),
        Some(("c3".into(), WorkflowStatus::Running)),
        "the newest execution with the key"
    );
    assert_eq!(
        s.by_idempotency_key("v", "k").await.unwrap(),
        Some(("c5".into(), WorkflowStatus::Running))
    );
    assert_eq!(s.by_idempotency_key("w", "nope").await.unwrap(), None);
    update(s, "c3", None, |w| w.status = WorkflowStatus::Failed).await;
    assert_eq!(
        s.by_idempotency_key("w", "k").await.unwrap(),
        Some(("c3".into(), WorkflowStatus::Failed))
    );
}

pub async fn task_logs_are_kept_in_order(s: &dyn Store) {
    let log = |text: &str, at| TaskExecLog {
        log: text.into(),
        task_id: None,
        created_time: at,
    };
    assert!(s.task_logs("t1").await.unwrap().is_empty());
    s.append_task_log("t1", &log("first", 30)).await.unwrap();
    s.commit(Commit {
        logs: vec![
            ("t1".into(), log("second", 10)),
            ("t2".into(), log("elsewhere", 20)),
            ("t1".into(), log("third", 20)),
        ],
        ..Default::default()
    })
    .await
    .unwrap();
    let logs = s.task_logs("t1").await.unwrap();
    assert_eq!(
        ids(&logs, |l| l.log.as_str()),
        ["first", "second", "third"],
        "in the order written"
    );
    assert_eq!(logs[0].created_time, 30);
    assert!(logs.iter().all(|l| l.task_id.as_deref() == Some("t1")));
    assert_eq!(s.task_logs("t2").await.unwrap().len(), 1);
}

pub async fn remove_execution_takes_everything_of_it(s: &dyn Store) {
    let wf = workflow("gone");
    let task_id = wf.tasks[0].task_id.clone();
    s.commit(Commit {
        executions: vec![ExecutionWrite::new(wf, Some(5))],
        queue: vec![push(&task_id, "a", "gone", 0)],
        logs: vec![(
            task_id.clone(),
            TaskExecLog {
                log: "l".into(),
                task_id: None,
                created_time: 1,
            },
        )],
        signals: vec![signal("gone", "pause", 1)],
        ..Default::default()
    })
    .await
    .unwrap();
    create(s, workflow("kept"), Some(6)).await;
    commit_queue(s, vec![push("kept-t1", "a", "kept", 0)]).await;

    assert!(s.remove_execution("gone").await.unwrap());
    assert!(s.load("gone").await.unwrap().is_none());
    assert!(s.workflow("gone", true).await.unwrap().is_none());
    assert!(s.task(&task_id).await.unwrap().is_none());
    assert!(s.task_logs(&task_id).await.unwrap().is_empty());
    assert!(s.signals("gone").await.unwrap().is_empty());
    assert_eq!(s.queue_size("a").await.unwrap(), 1);
    assert_eq!(s.due(100, 10).await.unwrap(), ["kept"]);
    assert_eq!(s.search(&query("", None, None, 0, 10)).await.unwrap().0, 1);
    assert!(!s.remove_execution("gone").await.unwrap(), "already gone");
    assert!(s.load("kept").await.unwrap().is_some());
}

pub async fn quarantine_stops_work_but_keeps_the_rows(s: &dyn Store) {
    create(s, workflow("good"), Some(5)).await;
    create(s, workflow("bad"), Some(5)).await;
    commit_queue(
        s,
        vec![
            push("good-t1", "a", "good", 0),
            push("bad-t1", "a", "bad", 0),
        ],
    )
    .await;
    let mut due = s.due(10, 10).await.unwrap();
    due.sort();
    assert_eq!(due, ["bad", "good"]);
    s.quarantine("bad").await.unwrap();
    assert_eq!(s.due(10, 10).await.unwrap(), ["good"]);
    let claimed = s.claim("a", 5, 10, 60_000).await.unwrap();
    assert_eq!(ids(&claimed, |c| c.task_id.as_str()), ["good-t1"]);
    assert_eq!(s.queue_size("a").await.unwrap(), 1);
    assert!(s.load("bad").await.unwrap().is_some(), "its rows stay");
    assert!(s.task("bad-t1").await.unwrap().is_some());
}

pub async fn inbox_follows_commits(s: &dyn Store) {
    create(s, workflow("w"), None).await;
    let message = |id: &str, n: i64| {
        InboxMessage::new(
            id.into(),
            "w".into(),
            serde_json::Map::from_iter([("n".to_string(), json!(n))]),
            1_000 + n,
        )
    };
    let (m1, m2, m3) = (message("m1", 1), message("m2", 2), message("m3", 3));
    s.commit(Commit {
        inbox: vec![InboxOp::Push(m1.clone()), InboxOp::Push(m2.clone())],
        ..Default::default()
    })
    .await
    .unwrap();
    s.commit(Commit {
        inbox: vec![InboxOp::Push(m3.clone())],
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(
        s.load("w").await.unwrap().unwrap().workflow.inbox,
        [m1.clone(), m2.clone(), m3.clone()]
    );
    s.commit(Commit {
        inbox: vec![InboxOp::Take {
            workflow_id: "w".into(),
            message_ids: vec!["m2".into()],
        }],
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(s.load("w").await.unwrap().unwrap().workflow.inbox, [m1, m3]);
    s.commit(Commit {
        inbox: vec![InboxOp::Clear {
            workflow_id: "w".into(),
        }],
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(
        s.load("w")
            .await
            .unwrap()
            .unwrap()
            .workflow
            .inbox
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------
// Queues

pub async fn claims_hand_each_entry_to_one_poller(s: &dyn Store) {
    commit_queue(
        s,
        (0..3)
            .map(|i| push(&format!("t{i}"), "q", "w", i))
            .collect(),
    )
    .await;
    let a = s.claim("q", 2, 10, 60_000).await.unwrap();
    let b = s.claim("q", 2, 10, 60_000).await.unwrap();
    assert_eq!(
        ids(&a, |c| c.task_id.as_str()),
        ["t0", "t1"],
        "oldest visible first"
    );
    assert_eq!(ids(&b, |c| c.task_id.as_str()), ["t2"]);
    assert_eq!((a[0].workflow_id.as_str(), a[0].queue.as_str()), ("w", "q"));
    s.release(&["t0".into()]).await.unwrap();
    assert_eq!(s.claim("q", 5, 10, 60_000).await.unwrap()[0].task_id, "t0");
    assert_eq!(
        s.claim("q", 5, 10, 60_000).await.unwrap(),
        vec![],
        "all held"
    );
    assert_eq!(
        s.queue_size("q").await.unwrap(),
        3,
        "a claim does not remove the entry"
    );
}

/// Over a queue large enough for the database to plan differently than over a few rows.
pub async fn a_claim_never_takes_more_than_asked(s: &dyn Store) {
    commit_queue(
        s,
        (0..300)
            .map(|i| push(&format!("t{i:03}"), "q", "w", i % 7))
            .collect(),
    )
    .await;
    for round in 0..5 {
        let one = s.claim("q", 1, 10, 60_000).await.unwrap();
        assert_eq!(one.len(), 1, "round {round}: asked for one, got {one:?}");
    }
    let some = s.claim("q", 3, 10, 60_000).await.unwrap();
    assert_eq!(some.len(), 3, "asked for three, got {some:?}");
    let prefixed = s.claim_prefix("q", 2, 10, 60_000).await.unwrap();
    assert_eq!(prefixed.len(), 2, "asked for two, got {prefixed:?}");
}

pub async fn an_extended_lease_holds_past_its_first_end(s: &dyn Store) {
    let t0 = epoch_ms();
    commit_queue(s, vec![push("t0", "q", "w", t0 - 1)]).await;
    assert_eq!(s.claim("q", 1, epoch_ms(), 300).await.unwrap().len(), 1);
    s.extend(&["t0".into()], epoch_ms(), 1_000).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        s.claim("q", 1, epoch_ms(), 60_000)
            .await
            .unwrap()
            .is_empty(),
        "still held after the first lease would have ended"
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        s.claim("q", 1, epoch_ms(), 60_000).await.unwrap().len(),
        1,
        "free once the extended lease ended"
    );
}

pub async fn concurrent_claims_never_share_an_entry(s: &dyn Store) {
    commit_queue(
        s,
        (0..20)
            .map(|i| push(&format!("t{i:02}"), "q", "w", 0))
            .collect(),
    )
    .await;
    let claim = || s.claim("q", 3, 10, 60_000);
    let (a, b, c, d, e, f, g, h) = tokio::join!(
        claim(),
        claim(),
        claim(),
        claim(),
        claim(),
        claim(),
        claim(),
        claim()
    );
    let mut all: Vec<String> = [a, b, c, d, e, f, g, h]
        .into_iter()
        .flat_map(|r| r.unwrap())
        .map(|c| c.task_id)
        .collect();
    assert_eq!(all.len(), 20, "every entry claimed: {all:?}");
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 20, "no entry handed out twice");
}

/// Leases run on the wall clock: `now` is passed as the real time here, so a backend may
/// measure a lease from the `now` it is given or from its own clock.
pub async fn a_lease_expires_and_release_frees_at_once(s: &dyn Store) {
    let t0 = epoch_ms();
    commit_queue(
        s,
        vec![
            push("t0", "q", "w", t0 - 2),
            push("t1", "q", "w", t0 - 1),
            push("late", "q", "w", t0 + 30_000),
        ],
    )
    .await;
    let short = s.claim("q", 5, epoch_ms(), 200).await.unwrap();
    assert_eq!(
        ids(&short, |c| c.task_id.as_str()),
        ["t0", "t1"],
        "only entries visible then"
    );
    assert!(
        s.claim("q", 5, epoch_ms(), 200).await.unwrap().is_empty(),
        "held while the lease runs"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let again = s.claim("q", 5, epoch_ms(), 60_000).await.unwrap();
    assert_eq!(
        ids(&again, |c| c.task_id.as_str()),
        ["t0", "t1"],
        "an expired lease frees its entry"
    );
    assert!(
        s.claim("q", 5, epoch_ms(), 60_000)
            .await
            .unwrap()
            .is_empty(),
        "a new lease holds it again"
    );
    s.release(&["t1".into()]).await.unwrap();
    let released = s.claim("q", 5, t0 + 30_000, 60_000).await.unwrap();
    assert_eq!(ids(&released, |c| c.task_id.as_str()), ["t1", "late"]);
}

fn epoch_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

pub async fn claim_prefix_queue_sizes_and_queue_ops(s: &dyn Store) {
    assert!(s.queue_sizes().await.unwrap().is_empty());
    assert_eq!(s.queue_size("a").await.unwrap(), 0);
    commit_queue(
        s,
        vec![
            push("x1", "ab:x", "w", 0),
            push("y1", "ab:y", "w", 1),
            push("z1", "abc", "w", 2),
            push("o1", "b", "w", 0),
        ],
    )
    .await;
    let sizes = s.queue_sizes().await.unwrap();
    assert_eq!(sizes.len(), 4);
    assert_eq!((sizes["ab:x"], sizes["b"]), (1, 1));
    let got = s.claim_prefix("ab:", 10, 10, 60_000).await.unwrap();
    assert_eq!(ids(&got, |c| c.task_id.as_str()), ["x1", "y1"]);
    assert_eq!(ids(&got, |c| c.queue.as_str()), ["ab:x", "ab:y"]);
    assert!(
        s.claim_prefix("ab:", 10, 10, 60_000)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.claim("ab:x", 10, 10, 60_000).await.unwrap().is_empty(),
        "a prefix claim holds it for claim too"
    );
    s.release(&["x1".into(), "y1".into()]).await.unwrap();

    // Pushing a task again moves it (queue and visibility); removing takes it out.
    commit_queue(
        s,
        vec![
            push("x1", "b", "w", 50),
            QueueOp::Remove {
                task_id: "y1".into(),
            },
        ],
    )
    .await;
    assert_eq!(s.queue_size("ab:x").await.unwrap(), 0);
    assert_eq!(s.queue_size("ab:y").await.unwrap(), 0);
    assert_eq!(s.queue_size("b").await.unwrap(), 2);
    assert_eq!(
        ids(&s.claim("b", 10, 10, 60_000).await.unwrap(), |c| c
            .task_id
            .as_str()),
        ["o1"]
    );
    assert_eq!(
        ids(&s.claim("b", 10, 50, 60_000).await.unwrap(), |c| c
            .task_id
            .as_str()),
        ["x1"]
    );
    // Removing what is not there is no error.
    commit_queue(
        s,
        vec![QueueOp::Remove {
            task_id: "nope".into(),
        }],
    )
    .await;
}

pub async fn poll_data_round_trip(s: &dyn Store) {
    assert!(s.poll_data(None).await.unwrap().is_empty());
    let poll = |queue: &str, domain: Option<&str>, worker: &str, at| PollData {
        queue_name: queue.into(),
        domain: domain.map(str::to_string),
        worker_id: Some(worker.into()),
        last_poll_time: at,
    };
    s.put_poll_data(&[
        poll("a", None, "w1", 10),
        poll("a", Some("d"), "w2", 20),
        poll("b", None, "w3", 30),
    ])
    .await
    .unwrap();
    assert_eq!(
        s.poll_data(Some("a")).await.unwrap(),
        [poll("a", None, "w1", 10), poll("a", Some("d"), "w2", 20)]
    );
    assert_eq!(s.poll_data(None).await.unwrap().len(), 3);
    s.put_poll_data(&[poll("a", None, "w9", 40)]).await.unwrap();
    assert_eq!(
        s.poll_data(Some("a")).await.unwrap()[0],
        poll("a", None, "w9", 40)
    );
    assert!(s.poll_data(Some("c")).await.unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------
// Timers

pub async fn timers_follow_commits(s: &dyn Store) {
    assert_eq!(s.next_due().await.unwrap(), None);
    assert!(s.due(i64::MAX, 10).await.unwrap().is_empty());
    create(s, workflow("late"), Some(50)).await;
    create(s, workflow("early"), Some(10)).await;
    create(s, workflow("never"), None).await;
    create(s, workflow("mid"), Some(20)).await;
    assert_eq!(s.next_due().await.unwrap(), Some(10));
    assert_eq!(s.due(9, 10).await.unwrap(), Vec::<String>::new());
    assert_eq!(s.due(10, 10).await.unwrap(), ["early"], "due at its time");
    assert_eq!(
        s.due(100, 10).await.unwrap(),
        ["early", "mid", "late"],
        "soonest first"
    );
    assert_eq!(s.due(100, 2).await.unwrap(), ["early", "mid"]);
    update(s, "early", None, |_| {}).await;
    update(s, "late", Some(5), |_| {}).await;
    assert_eq!(s.next_due().await.unwrap(), Some(5));
    assert_eq!(s.due(100, 10).await.unwrap(), ["late", "mid"]);
    update(s, "late", None, |_| {}).await;
    update(s, "mid", None, |_| {}).await;
    assert_eq!(s.next_due().await.unwrap(), None);
}

// ---------------------------------------------------------------------------------------
// Definitions

pub async fn workflow_definitions(s: &dyn Store) {
    let def = |name: &str, version: i32| -> WorkflowDef {
        serde_json::from_value(
            json!({"name": name, "version": version, "description": format!("{name} v{version}"),
            "tasks": [{"name": "a", "taskReferenceName": "a"}]}),
        )
        .unwrap()
    };
    assert!(s.workflow_def("w", None).await.unwrap().is_none());
    s.put_workflow_def(&def("w", 1), false, 1).await.unwrap();
    let err = s
        .put_workflow_def(&def("w", 1), false, 2)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists(_)), "{err:?}");
    assert!(!err.is_transient());
    let mut changed = def("w", 1);
    changed.description = Some("changed".into());
    s.put_workflow_def(&changed, true, 3).await.unwrap();
    let stored = s.workflow_def("w", None).await.unwrap().unwrap();
    assert_eq!((stored.create_time, stored.update_time), (Some(1), Some(3)));
    assert_eq!(stored.description.as_deref(), Some("changed"));

    s.put_workflow_def(&def("w", 3), false, 4).await.unwrap();
    s.put_workflow_def(&def("w", 2), false, 5).await.unwrap();
    s.put_workflow_def(&def("v", 1), false, 6).await.unwrap();
    assert_eq!(
        s.workflow_def("w", None).await.unwrap().unwrap().version,
        3,
        "the latest"
    );
    let v2 = s.workflow_def("w", Some(2)).await.unwrap().unwrap();
    assert_eq!((v2.version, v2.description.as_deref()), (2, Some("w v2")));
    assert!(s.workflow_def("w", Some(9)).await.unwrap().is_none());
    let all = s.workflow_defs().await.unwrap();
    assert_eq!(
        all.iter()
            .map(|d| (d.name.as_str(), d.version))
            .collect::<Vec<_>>(),
        [("v", 1), ("w", 1), ("w", 2), ("w", 3)]
    );
    let versions = s.workflow_def_versions().await.unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|d| (d.name.as_str(), d.version))
            .collect::<Vec<_>>(),
        [("v", 1), ("w", 1), ("w", 2), ("w", 3)]
    );
    assert_eq!(versions[1].create_time, 1);
    assert_eq!(versions[1].update_time, 3);

    assert!(s.delete_workflow_def("w", 3).await.unwrap());
    assert!(!s.delete_workflow_def("w", 3).await.unwrap());
    assert_eq!(s.workflow_def("w", None).await.unwrap().unwrap().version, 2);
    assert_eq!(s.workflow_defs().await.unwrap().len(), 3);
}

pub async fn task_definitions_and_tags(s: &dyn Store) {
    let def = |name: &str, retries: i32| -> TaskDef {
        serde_json::from_value(json!({"name": name, "retryCount": retries})).unwrap()
    };
    assert!(s.task_def("b").await.unwrap().is_none());
    s.put_task_def(&def("b", 1), 10).await.unwrap();
    s.put_task_def(&def("a", 2), 11).await.unwrap();
    let b = s.task_def("b").await.unwrap().unwrap();
    assert_eq!(
        (b.retry_count, b.create_time, b.update_time),
        (1, Some(10), None)
    );
    s.put_task_def(&def("b", 5), 20).await.unwrap();
    let b = s.task_def("b").await.unwrap().unwrap();
    assert_eq!(
        (b.retry_count, b.create_time, b.update_time),
        (5, Some(10), Some(20)),
        "an update keeps the creation time"
    );
    assert_eq!(
        ids(&s.task_defs().await.unwrap(), |d| d.name.as_str()),
        ["a", "b"]
    );
    assert!(s.delete_task_def("a").await.unwrap());
    assert!(!s.delete_task_def("a").await.unwrap());
    assert_eq!(
        ids(&s.task_defs().await.unwrap(), |d| d.name.as_str()),
        ["b"]
    );

    assert!(s.tags(TagOwner::Workflow, "x").await.unwrap().is_empty());
    let tags = vec![
        json!({"key": "team", "value": "a"}),
        json!({"key": "tier", "value": 1}),
    ];
    s.put_tags(TagOwner::Workflow, "x", &tags).await.unwrap();
    assert_eq!(s.tags(TagOwner::Workflow, "x").await.unwrap(), tags);
    assert!(
        s.tags(TagOwner::Task, "x").await.unwrap().is_empty(),
        "tags are per owner kind"
    );
    s.put_tags(TagOwner::Task, "x", &tags[..1]).await.unwrap();
    s.put_tags(TagOwner::Workflow, "x", &tags[1..])
        .await
        .unwrap();
    assert_eq!(
        s.tags(TagOwner::Workflow, "x").await.unwrap(),
        &tags[1..],
        "replaced"
    );
    assert_eq!(s.tags(TagOwner::Task, "x").await.unwrap(), &tags[..1]);
    s.put_tags(TagOwner::Workflow, "x", &[]).await.unwrap();
    assert!(s.tags(TagOwner::Workflow, "x").await.unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------
// Signal log

pub async fn signals_are_logged_in_order_with_their_commit(s: &dyn Store) {
    assert!(s.signals("w").await.unwrap().is_empty());
    let mut first = signal("w", "pause", 30);
    first.message = Some("paused".into());
    first.idempotency_key = Some("k1".into());
    first.status = 409;
    first.params = json!({"deep": {"list": [1, 2, {"x": null}]}});
    let second = SignalRecord {
        caller: None,
        ..signal("w", "resume", 10)
    };
    s.commit(Commit {
        executions: vec![ExecutionWrite::new(workflow("w"), None)],
        signals: vec![first.clone(), second.clone()],
        ..Default::default()
    })
    .await
    .unwrap();
    s.commit(Commit {
        signals: vec![signal("w", "terminate", 20), signal("other", "pause", 5)],
        ..Default::default()
    })
    .await
    .unwrap();
    let log = s.signals("w").await.unwrap();
    assert_eq!(
        ids(&log, |r| r.op.as_str()),
        ["pause", "resume", "terminate"],
        "in the order written"
    );
    assert!(
        log.windows(2).all(|p| p[0].id < p[1].id),
        "ids grow: {log:?}"
    );
    assert_eq!(
        SignalRecord {
            id: 0,
            ..log[0].clone()
        },
        first
    );
    assert_eq!(
        SignalRecord {
            id: 0,
            ..log[1].clone()
        },
        second
    );
    assert_eq!(s.signals("other").await.unwrap().len(), 1);
}

pub async fn idempotency_keeps_the_first_answer(s: &dyn Store) {
    assert_eq!(s.idempotency("k").await.unwrap(), None);
    let record = IdempotencyRecord {
        key: "k".into(),
        fingerprint: "POST /workflow/w/pause".into(),
        status: 202,
        content_type: Some("application/json".into()),
        body: vec![0, 1, 2, 255, b'{'],
        created: 1_234,
    };
    s.commit(Commit {
        idempotency: Some(record.clone()),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(s.idempotency("k").await.unwrap().as_ref(), Some(&record));
    // A second answer for the key (another host applied the same request meanwhile) fails
    // its whole commit: the request is not applied twice.
    let second = s
        .commit(Commit {
            idempotency: Some(IdempotencyRecord {
                status: 500,
                body: b"later".to_vec(),
                content_type: None,
                ..record.clone()
            }),
            signals: vec![SignalRecord {
                id: 0,
                workflow_id: "w".into(),
                op: "pause".into(),
                at: 2,
                caller: None,
                params: json!({}),
                status: 202,
                message: None,
                idempotency_key: Some("k".into()),
            }],
            ..Default::default()
        })
        .await;
    assert!(matches!(second, Err(StoreError::Conflict(_))), "{second:?}");
    assert_eq!(
        s.idempotency("k").await.unwrap().as_ref(),
        Some(&record),
        "the first answer stays"
    );
    assert!(
        s.signals("w").await.unwrap().is_empty(),
        "nothing of the second commit is written"
    );
    assert_eq!(s.idempotency("other").await.unwrap(), None);
}

// ---------------------------------------------------------------------------------------
// Outbox

pub async fn outbox_messages_are_pending_until_delivered_once(s: &dyn Store) {
    assert!(s.pending_messages(10).await.unwrap().is_empty());
    s.commit(Commit {
        executions: vec![ExecutionWrite::new(workflow("from"), None)],
        messages: vec![
            ("to1".into(), "{\"n\":1}".into()),
            ("to2".into(), "{\"n\":2}".into()),
        ],
        ..Default::default()
    })
    .await
    .unwrap();
    s.commit(Commit {
        messages: vec![("to1".into(), "{\"n\":3}".into())],
        ..Default::default()
    })
    .await
    .unwrap();
    let pending = s.pending_messages(10).await.unwrap();
    assert_eq!(
        ids(&pending, |m| m.body.as_str()),
        ["{\"n\":1}", "{\"n\":2}", "{\"n\":3}"],
        "oldest first"
    );
    assert_eq!(
        ids(&pending, |m| m.to_workflow_id.as_str()),
        ["to1", "to2", "to1"]
    );
    assert_eq!(s.pending_messages(2).await.unwrap(), pending[..2]);
    for m in &pending {
        assert!(s.message_pending(m.id).await.unwrap());
    }
    let first = pending[0].id;
    s.commit(Commit {
        executions: vec![ExecutionWrite::new(workflow("to1"), None)],
        delivered: vec![first],
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(!s.message_pending(first).await.unwrap());
    assert_eq!(s.pending_messages(10).await.unwrap(), pending[1..]);

    // Delivering it again fails as a conflict and writes nothing else of that commit.
    let err = s
        .commit(Commit {
            executions: vec![ExecutionWrite::new(workflow("again"), None)],
            delivered: vec![first],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert!(s.load("again").await.unwrap().is_none());
    let err = s
        .commit(Commit {
            delivered: vec![pending[1].id, first],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert!(
        s.message_pending(pending[1].id).await.unwrap(),
        "the whole commit failed"
    );
}

// ---------------------------------------------------------------------------------------
// Schedules

pub async fn schedules_crud_and_due(s: &dyn Store) {
    assert!(s.schedule("b").await.unwrap().is_none());
    assert_eq!(s.next_schedule_due().await.unwrap(), None);
    s.put_schedule(&schedule("b"), Some(2_000)).await.unwrap();
    s.put_schedule(&schedule("a"), Some(1_000)).await.unwrap();
    s.put_schedule(&schedule("paused"), None).await.unwrap();
    let a = s.schedule("a").await.unwrap().unwrap();
    assert_eq!(
        (a.schedule.name.as_str(), a.next_run_at, a.last_slot),
        ("a", Some(1_000), None)
    );
    assert_eq!(a.schedule.cron_expression.as_deref(), Some("0 0 2 * * ?"));
    assert_eq!(
        s.schedules()
            .await
            .unwrap()
            .iter()
            .map(|x| x.schedule.name.as_str())
            .collect::<Vec<_>>(),
        ["a", "b", "paused"]
    );
    assert_eq!(s.next_schedule_due().await.unwrap(), Some(1_000));
    let names = |v: Vec<fermata_store::StoredSchedule>| {
        v.into_iter().map(|x| x.schedule.name).collect::<Vec<_>>()
    };
    assert!(s.due_schedules(999, 10).await.unwrap().is_empty());
    assert_eq!(names(s.due_schedules(1_000, 10).await.unwrap()), ["a"]);
    assert_eq!(
        names(s.due_schedules(5_000, 10).await.unwrap()),
        ["a", "b"],
        "soonest first; a paused one never"
    );
    assert_eq!(names(s.due_schedules(5_000, 1).await.unwrap()), ["a"]);

    // Replacing: a new definition and next run.
    let mut replaced = schedule("a");
    replaced.description = Some("replaced".into());
    s.put_schedule(&replaced, Some(3_000)).await.unwrap();
    let a = s.schedule("a").await.unwrap().unwrap();
    assert_eq!(
        (a.next_run_at, a.schedule.description.as_deref()),
        (Some(3_000), Some("replaced"))
    );
    assert_eq!(names(s.due_schedules(2_500, 10).await.unwrap()), ["b"]);
    assert!(s.delete_schedule("b").await.unwrap());
    assert!(!s.delete_schedule("b").await.unwrap());
    assert_eq!(s.next_schedule_due().await.unwrap(), Some(3_000));
    assert!(s.schedule("b").await.unwrap().is_none());
}

pub async fn a_schedule_slot_fires_once(s: &dyn Store) {
    s.put_schedule(&schedule("n"), Some(1_000)).await.unwrap();
    s.put_schedule(&schedule("m"), Some(1_500)).await.unwrap();
    let fire = |slot, next, execution: &str, wf: &str| Commit {
        executions: vec![ExecutionWrite::new(workflow(wf), None)],
        schedule_fired: Some(firing("n", slot, next, execution)),
        ..Default::default()
    };
    let (r1, r2) = tokio::join!(
        s.commit(fire(1_000, Some(2_000), "e1", "started-1")),
        s.commit(fire(1_000, Some(2_000), "e1b", "started-1b"))
    );
    let won = [r1.is_ok(), r2.is_ok()];
    assert_eq!(
        won.iter().filter(|ok| **ok).count(),
        1,
        "one of two firings of a slot: {won:?}"
    );
    let loser = if won[0] { r2 } else { r1 };
    assert!(matches!(loser, Err(StoreError::Conflict(_))), "{loser:?}");
    let (winner_wf, loser_wf, winner_exec) = if won[0] {
        ("started-1", "started-1b", "e1")
    } else {
        ("started-1b", "started-1", "e1b")
    };
    assert!(s.load(winner_wf).await.unwrap().is_some());
    assert!(
        s.load(loser_wf).await.unwrap().is_none(),
        "the losing firing wrote nothing"
    );
    let n = s.schedule("n").await.unwrap().unwrap();
    assert_eq!((n.next_run_at, n.last_slot), (Some(2_000), Some(1_000)));
    assert_eq!(s.next_schedule_due().await.unwrap(), Some(1_500));

    // A late firing of a slot already fired conflicts too.
    let late = s.commit(fire(1_000, Some(2_000), "e-late", "late")).await;
    assert!(matches!(late, Err(StoreError::Conflict(_))), "{late:?}");
    s.commit(fire(2_000, None, "e2", "started-2"))
        .await
        .unwrap();
    let n = s.schedule("n").await.unwrap().unwrap();
    assert_eq!(
        (n.next_run_at, n.last_slot),
        (None, Some(2_000)),
        "no run left"
    );
    assert!(names_due(s).await.contains(&"m".to_string()));
    s.commit(Commit {
        schedule_fired: Some(firing("m", 1_500, Some(9_000), "em")),
        ..Default::default()
    })
    .await
    .unwrap();
    let missing = s
        .commit(Commit {
            schedule_fired: Some(firing("nope", 1, None, "ex")),
            ..Default::default()
        })
        .await;
    assert!(
        matches!(missing, Err(StoreError::Conflict(_))),
        "{missing:?}"
    );

    let executions = s.schedule_executions(Some("n"), 10).await.unwrap();
    assert_eq!(
        ids(&executions, |e| e.execution_id.as_str()),
        ["e2", winner_exec],
        "newest first"
    );
    assert_eq!(executions[0].scheduled_time, 2_000);
    assert_eq!(executions[0].workflow_id.as_deref(), Some("wf-e2"));
    assert_eq!(executions[0].state, "EXECUTED");
    assert_eq!(
        ids(&s.schedule_executions(None, 10).await.unwrap(), |e| e
            .execution_id
            .as_str()),
        ["e2", "em", winner_exec]
    );
    assert_eq!(s.schedule_executions(None, 1).await.unwrap().len(), 1);
    assert!(
        s.schedule_executions(Some("nope"), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn names_due(s: &dyn Store) -> Vec<String> {
    s.due_schedules(i64::MAX, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.schedule.name)
        .collect()
}

pub async fn schedule_details_change_without_moving_its_next_slot(s: &dyn Store) {
    let mut schedule = schedule("nightly");
    assert!(!s.update_schedule_details(&schedule).await.unwrap());
    assert!(
        s.schedule("nightly").await.unwrap().is_none(),
        "an update creates nothing"
    );
    s.put_schedule(&schedule, Some(5_000)).await.unwrap();
    s.commit(Commit {
        schedule_fired: Some(firing("nightly", 5_000, Some(6_000), "e1")),
        ..Default::default()
    })
    .await
    .unwrap();
    schedule
        .extra
        .insert("tags".into(), json!([{"key": "team", "value": "a"}]));
    assert!(s.update_schedule_details(&schedule).await.unwrap());
    let stored = s.schedule("nightly").await.unwrap().unwrap();
    assert_eq!(
        (stored.next_run_at, stored.last_slot),
        (Some(6_000), Some(5_000))
    );
    assert_eq!(stored.schedule.extra["tags"][0]["key"], "team");
}

// ---------------------------------------------------------------------------------------
// Webhooks

pub async fn webhook_configs(s: &dyn Store) {
    assert!(s.webhook("h1").await.unwrap().is_none());
    let err = s
        .put_webhook(&webhook("h1", "one"), false)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert!(
        s.webhook("h1").await.unwrap().is_none(),
        "an update creates nothing"
    );
    let mut h1 = webhook("h1", "one");
    h1.extra
        .insert("tags".into(), json!([{"key": "k", "value": "v"}]));
    s.put_webhook(&h1, true).await.unwrap();
    s.put_webhook(&webhook("h0", "zero"), true).await.unwrap();
    let err = s
        .put_webhook(&webhook("h1", "dup"), true)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists(_)), "{err:?}");
    let stored = s.webhook("h1").await.unwrap().unwrap();
    assert_eq!(stored.name, "one", "a refused create changes nothing");
    assert_eq!(stored.extra["tags"][0]["key"], "k", "unknown fields kept");
    assert!(!stored.url_verified);

    let mut changed = stored.clone();
    changed.name = "renamed".into();
    s.put_webhook(&changed, false).await.unwrap();
    assert_eq!(s.webhook("h1").await.unwrap().unwrap().name, "renamed");
    s.mark_webhook_verified("h1").await.unwrap();
    let verified = s.webhook("h1").await.unwrap().unwrap();
    assert!(verified.url_verified);
    assert_eq!(
        (verified.name.as_str(), verified.verifier.as_deref()),
        ("renamed", Some("HEADER_BASED")),
        "the rest as it was"
    );
    s.mark_webhook_verified("nope").await.unwrap();
    assert!(s.webhook("nope").await.unwrap().is_none());
    assert!(!s.webhook("h0").await.unwrap().unwrap().url_verified);
    assert_eq!(
        s.webhooks()
            .await
            .unwrap()
            .iter()
            .map(|w| w.id.clone().unwrap())
            .collect::<Vec<_>>(),
        ["h0", "h1"]
    );
    assert!(s.delete_webhook("h0").await.unwrap());
    assert!(!s.delete_webhook("h0").await.unwrap());
    assert_eq!(s.webhooks().await.unwrap().len(), 1);
}

pub async fn webhook_deliveries_newest_first_and_bounded(s: &dyn Store) {
    use fermata_store::MAX_WEBHOOK_DELIVERIES as MAX;
    s.put_webhook(&webhook("h", "h"), true).await.unwrap();
    s.put_webhook(&webhook("other", "o"), true).await.unwrap();
    s.add_webhook_delivery(&delivery("other", 0)).await.unwrap();
    for n in 1..=MAX + 2 {
        s.add_webhook_delivery(&delivery("h", n)).await.unwrap();
    }
    let newest = s.webhook_deliveries("h", 3).await.unwrap();
    let n = MAX + 2;
    assert_eq!(
        newest,
        [delivery("h", n), delivery("h", n - 1), delivery("h", n - 2)]
    );
    let all = s.webhook_deliveries("h", u32::MAX).await.unwrap();
    assert_eq!(all.len() as i64, MAX, "only the latest are kept");
    assert_eq!(all.last().unwrap().event_id, "e3", "the oldest went first");
    assert_eq!(
        s.webhook_deliveries("other", 10).await.unwrap(),
        [delivery("other", 0)],
        "bounded per webhook"
    );
    assert!(s.delete_webhook("h").await.unwrap());
    assert!(
        s.webhook_deliveries("h", 10).await.unwrap().is_empty(),
        "deleted with its webhook"
    );
    assert_eq!(s.webhook_deliveries("other", 10).await.unwrap().len(), 1);
}

pub async fn webhook_waits_follow_task_commits(s: &dyn Store) {
    let waiting = |id: &str, name: &str, version: i32, order: i64| {
        let mut wf = Start::new(id).name(name).version(version).build();
        let t = &mut wf.tasks[0];
        t.task_type = WAIT_FOR_WEBHOOK.into();
        t.status = TaskStatus::InProgress;
        t.input_data =
            serde_json::Map::from_iter([("matches".to_string(), json!({"$.order": order}))]);
        wf
    };
    create(s, waiting("w1", "orders", 1, 1), None).await;
    create(s, waiting("w2", "orders", 2, 2), None).await;
    create(s, waiting("x", "other", 1, 3), None).await;
    create(s, workflow("plain"), None).await;
    let waits = s.webhook_waits("orders", None).await.unwrap();
    assert_eq!(ids(&waits, |w| w.task_id.as_str()), ["w1-t1", "w2-t1"]);
    assert_eq!(
        (waits[0].workflow_id.as_str(), waits[0].workflow_version),
        ("w1", 1)
    );
    assert_eq!(
        serde_json::Value::Object(waits[0].matches.clone()),
        json!({"$.order": 1})
    );
    assert_eq!(
        ids(&s.webhook_waits("orders", Some(2)).await.unwrap(), |w| w
            .task_id
            .as_str()),
        ["w2-t1"]
    );
    assert!(s.webhook_waits("orders", Some(3)).await.unwrap().is_empty());
    assert!(
        s.webhook_waits("w", None).await.unwrap().is_empty(),
        "other tasks are not indexed"
    );

    // New matches are seen; a completed task or a task taken out leaves the index.
    update(s, "w1", None, |w| {
        w.tasks[0].input_data =
            serde_json::Map::from_iter([("matches".to_string(), json!({"$.order": 7}))]);
    })
    .await;
    let waits = s.webhook_waits("orders", Some(1)).await.unwrap();
    assert_eq!(
        serde_json::Value::Object(waits[0].matches.clone()),
        json!({"$.order": 7})
    );
    update(s, "w1", None, |w| w.tasks[0].status = TaskStatus::Completed).await;
    assert_eq!(
        ids(&s.webhook_waits("orders", None).await.unwrap(), |w| w
            .task_id
            .as_str()),
        ["w2-t1"]
    );
    update(s, "w2", None, |w| w.tasks.clear()).await;
    assert!(s.webhook_waits("orders", None).await.unwrap().is_empty());
    assert!(s.remove_execution("x").await.unwrap());
    assert!(
        s.webhook_waits("other", None).await.unwrap().is_empty(),
        "removed with its execution"
    );
}

// ---------------------------------------------------------------------------------------
// Plugins

pub async fn plugins_round_trip(s: &dyn Store) {
    assert!(s.stored_plugins().await.unwrap().is_empty());
    s.put_plugin("zeta", &[0, 97, 115, 109, 1], "sha-z", 1)
        .await
        .unwrap();
    s.put_plugin("alpha", &[1, 2, 3], "sha-a", 2).await.unwrap();
    assert_eq!(
        s.stored_plugins().await.unwrap(),
        [
            ("alpha".to_string(), vec![1, 2, 3]),
            ("zeta".to_string(), vec![0, 97, 115, 109, 1])
        ]
    );
    s.put_plugin("alpha", &[9; 70_000], "sha-a2", 3)
        .await
        .unwrap();
    let stored = s.stored_plugins().await.unwrap();
    assert_eq!(stored.len(), 2, "replaced, not added");
    assert_eq!(stored[0].1, vec![9; 70_000]);
    assert_eq!(
        s.plugin_digests().await.unwrap(),
        [
            ("alpha".to_string(), "sha-a2".to_string()),
            ("zeta".to_string(), "sha-z".to_string())
        ],
        "what another host compares with what it runs"
    );
}

// ---------------------------------------------------------------------------------------
// Events

pub async fn events_from_commits(s: &dyn Store) {
    assert!(s.pending_events(10).await.unwrap().is_empty());
    s.commit(Commit {
        executions: vec![ExecutionWrite::new(workflow("w"), None)],
        events: vec![event("q1", "m1"), event("q2", "m2")],
        ..Default::default()
    })
    .await
    .unwrap();
    s.commit(Commit {
        events: vec![event("q1", "m3")],
        ..Default::default()
    })
    .await
    .unwrap();
    let pending = s.pending_events(10).await.unwrap();
    assert_eq!(
        ids(&pending, |e| e.message_id.as_str()),
        ["m1", "m2", "m3"],
        "oldest first"
    );
    assert_eq!(
        (pending[0].queue.as_str(), pending[0].payload.as_str()),
        ("q1", "{\"m\":\"m1\"}")
    );
    assert!(pending.windows(2).all(|p| p[0].id < p[1].id));
    assert!(
        pending[0].created > 1_600_000_000_000,
        "created is epoch ms: {}",
        pending[0].created
    );
    assert_eq!(s.pending_events(2).await.unwrap(), pending[..2]);
    s.mark_events_processed(&[pending[0].id, pending[2].id], 99)
        .await
        .unwrap();
    assert_eq!(s.pending_events(10).await.unwrap(), pending[1..2]);
    assert_eq!(
        ids(&s.queue_events("q1", 10).await.unwrap(), |e| e
            .message_id
            .as_str()),
        ["m3", "m1"],
        "a queue's messages newest first, processed or not"
    );
    assert_eq!(s.queue_events("q1", 1).await.unwrap().len(), 1);
    assert!(s.queue_events("q3", 10).await.unwrap().is_empty());
}

pub async fn event_handlers_and_kafka_offsets(s: &dyn Store) {
    let handler =
        |name: &str, event: &str, active: bool| -> fermata_core::model::events::EventHandler {
            serde_json::from_value(json!({"name": name, "event": event, "active": active,
            "actions": [{"action": "start_workflow", "start_workflow": {"name": "w"}}]}))
            .unwrap()
        };
    assert!(s.event_handlers().await.unwrap().is_empty());
    let err = s
        .put_event_handler(&handler("h", "conductor:q", true), false)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    s.put_event_handler(&handler("h", "conductor:q", true), true)
        .await
        .unwrap();
    s.put_event_handler(&handler("a", "kafka:t", false), true)
        .await
        .unwrap();
    let err = s
        .put_event_handler(&handler("h", "conductor:other", true), true)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists(_)), "{err:?}");
    assert_eq!(
        s.event_handlers().await.unwrap(),
        [
            handler("a", "kafka:t", false),
            handler("h", "conductor:q", true)
        ]
    );
    s.put_event_handler(&handler("h", "conductor:r", false), false)
        .await
        .unwrap();
    assert_eq!(
        s.event_handlers().await.unwrap()[1],
        handler("h", "conductor:r", false)
    );
    assert!(s.delete_event_handler("a").await.unwrap());
    assert!(!s.delete_event_handler("a").await.unwrap());
    assert_eq!(
        s.event_handlers().await.unwrap(),
        [handler("h", "conductor:r", false)]
    );

    assert!(s.kafka_offsets("t").await.unwrap().is_empty());
    s.save_kafka_offset("t", 0, 10).await.unwrap();
    s.save_kafka_offset("t", 1, 5).await.unwrap();
    s.save_kafka_offset("u", 0, 99).await.unwrap();
    s.save_kafka_offset("t", 0, 11).await.unwrap();
    let offsets = s.kafka_offsets("t").await.unwrap();
    assert_eq!(offsets, [(0, 11), (1, 5)].into_iter().collect());
    assert_eq!(
        s.kafka_offsets("u").await.unwrap(),
        [(0, 99)].into_iter().collect()
    );
}
