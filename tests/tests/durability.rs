//! Crashes and restarts: nothing acknowledged is lost, and executions carry on afterwards
//! (queues and timers included).

use fermata_tests::{Server, pairs, statuses};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[tokio::test]
async fn kill_9_loses_no_acknowledged_change_and_work_continues() {
    let mut s = Server::start().await;
    // t1 times out 2 s after a worker takes it and is retried once: a timer to survive.
    let r = s
        .post("/metadata/taskdefs", json!([{"name": "k1", "retryCount": 1, "retryDelaySeconds": 0, "responseTimeoutSeconds": 2}]))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    s.define(json!({"name": "crash", "tasks": [
        {"name": "k1", "taskReferenceName": "a"},
        {"name": "k2", "taskReferenceName": "b"}
    ]}))
    .await;

    // One execution whose task is held by a worker when fermata dies.
    let timed = s.start_workflow("crash", json!({})).await;
    let polled = s
        .get("/tasks/poll/batch/k1?workerid=w&count=1&timeout=1000")
        .await
        .json();
    assert_eq!(polled[0]["workflowInstanceId"], json!(timed));

    let mut ids = Vec::new();
    for i in 0..40 {
        ids.push(s.start_workflow("crash", json!({"i": i})).await);
    }

    // Signal them concurrently and SIGKILL fermata while the signals are in flight.
    let acked = Arc::new(std::sync::Mutex::new(Vec::<(String, &'static str)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for lane in 0..8 {
        let mine: Vec<(usize, String)> = ids
            .iter()
            .cloned()
            .enumerate()
            .filter(|(n, _)| n % 8 == lane)
            .collect();
        let acked = acked.clone();
        let stop = stop.clone();
        let url = s.url("");
        workers.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for (n, id) in mine {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let (op, req) = if n % 2 == 0 {
                    (
                        "complete",
                        http.post(format!("{url}/tasks/{id}/a/COMPLETED"))
                            .json(&json!({"n": n})),
                    )
                } else {
                    ("pause", http.put(format!("{url}/workflow/{id}/pause")))
                };
                if let Ok(r) = req.send().await
                    && r.status().is_success()
                {
                    acked.lock().unwrap().push((id, op));
                }
            }
        }));
    }
    // Kill while signals are still in flight: after some were acknowledged, before all.
    while acked.lock().unwrap().len() < 12 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    s.kill9();

    stop.store(true, Ordering::SeqCst);
    for w in workers {
        let _ = w.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() < ids.len(),
        "the kill came before every signal was answered"
    );

    s.restart().await;
    for (id, op) in &acked {
        let wf = s.workflow(id).await;
        match *op {
            "complete" => assert_eq!(
                statuses(&wf),
                pairs(&[("a", "COMPLETED"), ("b", "SCHEDULED")]),
                "acknowledged completion of {id} survived"
            ),
            _ => assert_eq!(
                wf["status"], "PAUSED",
                "acknowledged pause of {id} survived"
            ),
        }
    }
    // Every execution is whole: either a signal landed entirely or not at all.
    for id in &ids {
        let wf = s.workflow(id).await;
        let st = statuses(&wf);
        assert!(
            st == pairs(&[("a", "SCHEDULED")])
                || st == pairs(&[("a", "COMPLETED"), ("b", "SCHEDULED")]),
            "{id}: {st:?}"
        );
    }
    // Queues survived: every scheduled `b` can be polled.
    let completes = acked.iter().filter(|(_, op)| *op == "complete").count();
    let polled = s
        .get("/tasks/poll/batch/k2?count=100&timeout=500")
        .await
        .json();
    assert!(polled.as_array().unwrap().len() >= completes);
    // Timers survived: the held task times out after the restart and is retried.
    let wf = s.wait_for(&timed, 15, |wf| statuses(wf).len() == 2).await;
    assert_eq!(
        statuses(&wf),
        pairs(&[("a", "TIMED_OUT"), ("a", "SCHEDULED")])
    );
    assert!(
        wf["tasks"][0]["reasonForIncompletion"]
            .as_str()
            .unwrap()
            .starts_with("responseTimeout: 2 exceeded")
    );
}

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_and_keeps_state() {
    let mut s = Server::start().await;
    s.define(json!({"name": "term", "tasks": [{"name": "slow", "taskReferenceName": "s"}]}))
        .await;
    // A long-poll is in flight when the signal arrives; it is answered, not cut off.
    let poll = s
        .http
        .get(s.url("/tasks/poll/batch/slow?count=1&timeout=3000"))
        .send();
    let stopper = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        s.terminate()
    };
    let (polled, status) = tokio::join!(poll, stopper);
    assert!(
        status.success(),
        "fermata exits cleanly on SIGTERM: {status}"
    );
    let polled = polled.expect("the in-flight poll got an answer");
    assert_eq!(polled.status().as_u16(), 200);
    assert!(s.log().contains("stopped"), "{}", s.log());
    s.restart().await;
    let id = s.start_workflow("term", json!({})).await;
    assert_eq!(s.workflow(&id).await["status"], "RUNNING");
}

#[tokio::test]
async fn definitions_directory_is_loaded_at_start() {
    let defs = tempfile::tempdir().unwrap();
    std::fs::write(
        defs.path().join("one.json"),
        json!({"name": "from_dir", "version": 3, "tasks": [{"name": "x", "taskReferenceName": "x"}]}).to_string(),
    )
    .unwrap();
    std::fs::write(defs.path().join("ignored.txt"), "not json").unwrap();
    let s = Server::start_with(&["--definitions", defs.path().to_str().unwrap()]).await;
    let def = s.get("/metadata/workflow/from_dir").await.json();
    assert_eq!(def["version"], 3);
}

#[tokio::test]
async fn the_shipped_example_definitions_load_and_run() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../definitions");
    let s = Server::start_with(&["--definitions", dir.to_str().unwrap()]).await;
    let id = s
        .start_workflow("order_fulfillment", json!({"orderId": "o-1", "amount": 12}))
        .await;
    assert_eq!(
        s.complete(&id, "charge", json!({"charged": 12}))
            .await
            .status,
        200
    );
    assert_eq!(
        s.complete(&id, "approval", json!({"approvedBy": "ann"}))
            .await
            .status,
        200
    );
    assert_eq!(
        s.complete(&id, "ship", json!({"trackingNumber": "T1"}))
            .await
            .status,
        200
    );
    let wf = s.workflow(&id).await;
    assert_eq!(wf["status"], "COMPLETED");
    assert_eq!(
        wf["output"],
        json!({"orderId": "o-1", "approvedBy": "ann", "trackingNumber": "T1"})
    );
    // Terminating with triggerFailureWorkflow starts the cleanup it names.
    let id = s
        .start_workflow("order_fulfillment", json!({"orderId": "o-2"}))
        .await;
    s.delete(&format!(
        "/workflow/{id}?reason=cancelled&triggerFailureWorkflow=true"
    ))
    .await;
    let cleanup = s.workflow(&id).await["output"]["conductor.failure_workflow"]
        .as_str()
        .unwrap()
        .to_string();
    let wf = s.workflow(&cleanup).await;
    assert_eq!(wf["workflowName"], "order_cleanup");
    assert_eq!(
        wf["tasks"][0]["inputData"],
        json!({"orderId": "o-2", "failedWorkflowId": id, "reason": "cancelled"})
    );
}
