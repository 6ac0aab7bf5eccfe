//! The worker protocol: polling, long-polling, update-v2, callbacks, logs, timeouts.

use fermata_tests::{Server, pairs, statuses};
use serde_json::json;
use std::time::{Duration, Instant};

async fn define(s: &Server) {
    s.define(json!({"name": "work", "tasks": [
        {"name": "w1", "taskReferenceName": "one", "inputParameters": {"n": "${workflow.input.n}"}},
        {"name": "w1", "taskReferenceName": "two", "inputParameters": {"prev": "${one.output.doubled}"}}
    ]}))
    .await;
}

#[tokio::test]
async fn empty_queues_answer_204_and_empty_lists() {
    let s = Server::start().await;
    let r = s.get("/tasks/poll/nothing?workerid=w").await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    let r = s.get("/tasks/poll/batch/nothing?count=3&timeout=50").await;
    assert_eq!((r.status, r.json()), (200, json!([])));
}

#[tokio::test]
async fn long_poll_wakes_when_work_arrives() {
    let s = Server::start().await;
    define(&s).await;
    let started = Instant::now();
    let poll = s.get("/tasks/poll/batch/w1?workerid=w&count=1&timeout=4000");
    let start = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        s.start_workflow("work", json!({"n": 2})).await
    };
    let (polled, id) = tokio::join!(poll, start);
    let tasks = polled.json();
    assert_eq!(tasks[0]["workflowInstanceId"], json!(id));
    assert_eq!(tasks[0]["status"], "IN_PROGRESS");
    assert_eq!(tasks[0]["workerId"], "w");
    assert_eq!(tasks[0]["pollCount"], 1);
    assert_eq!(tasks[0]["inputData"], json!({"n": 2}));
    assert!(
        started.elapsed() < Duration::from_millis(3000),
        "woken, not timed out: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn update_v2_hands_out_the_next_task() {
    let s = Server::start().await;
    define(&s).await;
    let id = s.start_workflow("work", json!({"n": 3})).await;
    let task = s.get("/tasks/poll/w1?workerid=w").await.json();
    let r = s
        .post("/tasks/update-v2", json!({"workflowInstanceId": id, "taskId": task["taskId"], "workerId": "w", "status": "COMPLETED", "outputData": {"doubled": 6}}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let next = r.json();
    assert_eq!(next["referenceTaskName"], "two");
    assert_eq!(next["status"], "IN_PROGRESS");
    assert_eq!(next["inputData"], json!({"prev": 6}));
    let r = s
        .post("/tasks/update-v2", json!({"workflowInstanceId": id, "taskId": next["taskId"], "status": "COMPLETED", "outputData": {}}))
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(s.workflow(&id).await["status"], "COMPLETED");
}

#[tokio::test]
async fn in_progress_with_callback_is_handed_out_again_later() {
    let s = Server::start().await;
    define(&s).await;
    let id = s.start_workflow("work", json!({})).await;
    let task = s.get("/tasks/poll/w1").await.json();
    let r = s
        .post("/tasks", json!({"workflowInstanceId": id, "taskId": task["taskId"], "status": "IN_PROGRESS", "callbackAfterSeconds": 1, "outputData": {"step": 1}}))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        s.get("/tasks/poll/w1").await.status,
        204,
        "not before the callback"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let again = s.get("/tasks/poll/batch/w1?timeout=1000").await.json();
    assert_eq!(again[0]["taskId"], task["taskId"]);
    assert_eq!(again[0]["pollCount"], 2);
    assert_eq!(again[0]["outputData"], json!({"step": 1}));
}

#[tokio::test]
async fn domains_route_tasks_to_their_pollers() {
    let s = Server::start().await;
    define(&s).await;
    let r = s
        .post(
            "/workflow",
            json!({"name": "work", "input": {}, "taskToDomain": {"w1": "blue"}}),
        )
        .await;
    let id = r.text;
    assert_eq!(s.get("/tasks/poll/w1").await.status, 204);
    let task = s.get("/tasks/poll/w1?domain=blue").await.json();
    assert_eq!(task["workflowInstanceId"], json!(id));
    assert_eq!(task["domain"], "blue");
    let sizes = s.get("/tasks/queue/all").await.json();
    assert_eq!(sizes, json!({}));
}

#[tokio::test]
async fn a_polled_task_is_handed_to_one_worker_only() {
    let s = Server::start().await;
    define(&s).await;
    for _ in 0..10 {
        s.start_workflow("work", json!({})).await;
    }
    let polls: Vec<_> = (0..8)
        .map(|_| s.get("/tasks/poll/batch/w1?count=3&timeout=200"))
        .collect();
    let results = futures::future::join_all(polls).await;
    let mut ids: Vec<String> = results
        .iter()
        .flat_map(|r| r.json().as_array().unwrap().clone())
        .map(|t| t["taskId"].as_str().unwrap().to_string())
        .collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!((total, ids.len()), (10, 10), "each task exactly once");
}

#[tokio::test]
async fn task_logs_and_lookup() {
    let s = Server::start().await;
    define(&s).await;
    let id = s.start_workflow("work", json!({})).await;
    let task = s.get("/tasks/poll/w1").await.json();
    let task_id = task["taskId"].as_str().unwrap();
    assert_eq!(s.get(&format!("/tasks/{task_id}/log")).await.status, 204);
    let r = s
        .http
        .post(s.url(&format!("/tasks/{task_id}/log")))
        .body("started step 1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    s.post("/tasks", json!({"workflowInstanceId": id, "taskId": task_id, "status": "IN_PROGRESS", "logs": [{"log": "halfway", "createdTime": 5}]}))
        .await;
    let logs = s.get(&format!("/tasks/{task_id}/log")).await.json();
    assert_eq!(logs[0]["log"], "started step 1");
    assert_eq!(
        logs[1],
        json!({"log": "halfway", "taskId": task_id, "createdTime": 5})
    );
    assert_eq!(
        s.get(&format!("/tasks/{task_id}")).await.json()["referenceTaskName"],
        "one"
    );
    s.get("/tasks/nope").await.assert_error(404);
    assert_eq!(
        s.post(&format!("/tasks/{task_id}/ack?workerid=w"), json!({}))
            .await
            .text,
        "true"
    );
}

#[tokio::test]
async fn response_timeout_retries_with_backoff_through_the_timer() {
    let s = Server::start().await;
    s.post(
        "/metadata/taskdefs",
        json!([{"name": "rt", "retryCount": 2, "retryDelaySeconds": 1, "retryLogic": "EXPONENTIAL_BACKOFF", "responseTimeoutSeconds": 1, "timeoutSeconds": 10}]),
    )
    .await;
    s.define(json!({"name": "rtw", "tasks": [{"name": "rt", "taskReferenceName": "r"}]}))
        .await;
    let id = s.start_workflow("rtw", json!({})).await;
    s.get("/tasks/poll/rt").await;
    let wf = s.wait_for(&id, 10, |wf| statuses(wf).len() == 2).await;
    assert_eq!(
        statuses(&wf),
        pairs(&[("r", "TIMED_OUT"), ("r", "SCHEDULED")])
    );
    assert_eq!(
        wf["tasks"][1]["callbackAfterSeconds"], 1,
        "first retry waits retryDelaySeconds"
    );
    assert_eq!(
        s.get("/tasks/poll/rt").await.status,
        204,
        "not visible before its delay"
    );
    let again = s.get("/tasks/poll/batch/rt?timeout=2000").await.json();
    assert_eq!(again[0]["retryCount"], 1);
    let wf = s.wait_for(&id, 10, |wf| statuses(wf).len() == 3).await;
    assert_eq!(
        wf["tasks"][2]["callbackAfterSeconds"], 2,
        "exponential: 1 s, then 2 s"
    );
}

#[tokio::test]
async fn workflow_timeout_fires_without_any_request() {
    let s = Server::start().await;
    s.define(
        json!({"name": "wto", "timeoutSeconds": 1, "timeoutPolicy": "TIME_OUT_WF",
                    "tasks": [{"name": "z", "taskReferenceName": "z"}]}),
    )
    .await;
    let id = s.start_workflow("wto", json!({})).await;
    let wf = s.wait_for(&id, 10, |wf| wf["status"] == "TIMED_OUT").await;
    assert_eq!(statuses(&wf), pairs(&[("z", "CANCELED")]));
    assert!(
        wf["reasonForIncompletion"]
            .as_str()
            .unwrap()
            .starts_with("Workflow timed out after")
    );
}
