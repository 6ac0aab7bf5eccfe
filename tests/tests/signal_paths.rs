//! One execution driven to its end by every way fermata is signalled — a schedule starts it;
//! the REST API, the synchronous signal, the state update, a message sent before it was
//! wanted, a webhook, another workflow's UPDATE_TASK, an event handler and a jump move it —
//! and each is in its signal log with who sent it.

use fermata_tests::{Server, latest};
use serde_json::{Value, json};

fn journey() -> Value {
    json!({"name": "journey", "version": 1, "tasks": [
        {"name": "pull", "taskReferenceName": "pull", "type": "PULL_WORKFLOW_MESSAGES",
         "inputParameters": {"batchSize": 5}},
        {"name": "y", "taskReferenceName": "y", "type": "YIELD"},
        {"name": "w_state", "taskReferenceName": "w_state", "type": "WAIT"},
        {"name": "hook", "taskReferenceName": "hook", "type": "WAIT_FOR_WEBHOOK",
         "inputParameters": {"matches": {"$.journey": "${workflow.workflowId}"}}},
        {"name": "w_other", "taskReferenceName": "w_other", "type": "WAIT"},
        {"name": "ask", "taskReferenceName": "ask", "type": "EVENT",
         "sink": "conductor:asks", "asyncComplete": true},
        {"name": "w_jump", "taskReferenceName": "w_jump", "type": "WAIT"},
        {"name": "done", "taskReferenceName": "done", "type": "SET_VARIABLE",
         "inputParameters": {"finished": true}}
    ]})
}

async fn waits_at(s: &Server, id: &str, reference: &str) -> Value {
    s.wait_for(id, 20, |wf| {
        wf["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["referenceTaskName"] == reference && t["status"] == "IN_PROGRESS")
    })
    .await
}

#[tokio::test]
async fn every_signal_path_drives_one_workflow_and_is_in_its_signal_log() {
    let s = Server::start().await;
    s.define(journey()).await;
    s.define(json!({"name": "releaser", "tasks": [
        {"name": "update", "taskReferenceName": "update", "type": "UPDATE_TASK",
         "inputParameters": {"workflowId": "${workflow.input.target}", "taskRefName": "w_other",
                             "taskStatus": "COMPLETED", "taskOutput": {"by": "releaser"}}}]}))
        .await;
    let r = s
        .post(
            "/event",
            json!({"name": "answer_asks", "event": "conductor:journey:asks",
            "actions": [{"action": "complete_task", "complete_task": {
                "workflowId": "${workflowInstanceId}", "taskRefName": "ask",
                "output": {"answered": true}}}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s
        .post(
            "/metadata/webhook",
            json!({"id": "journey-hook", "name": "journey hook",
            "verifier": "HEADER_BASED", "headers": {"X-Token": "t"},
            "receiverWorkflowNamesToVersions": {"journey": 1}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // A schedule starts it; the schedule is paused once it has.
    let r = s
        .post(
            "/scheduler/schedules",
            json!({"name": "journey_schedule",
            "cronExpression": "* * * * * *", "zoneId": "UTC", "paused": false,
            "startWorkflowRequest": {"name": "journey", "version": 1}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut id = String::new();
    for _ in 0..100 {
        let found = s
            .get("/scheduler/search/executions?query=scheduleName%3Djourney_schedule")
            .await
            .json();
        if let Some(w) = found["results"][0]["workflowId"].as_str() {
            id = w.to_string();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!id.is_empty(), "the schedule started nothing");
    s.put("/scheduler/schedules/journey_schedule/pause", json!({}))
        .await;

    // REST: paused and resumed.
    s.put(&format!("/workflow/{id}/pause"), json!({})).await;
    s.put(&format!("/workflow/{id}/resume"), json!({})).await;
    // A message before anything asks for it; PULL_WORKFLOW_MESSAGES takes it.
    let r = s
        .post(&format!("/workflow/{id}/messages"), json!({"early": true}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The synchronous signal completes the YIELD.
    waits_at(&s, &id, "y").await;
    let r = s
        .post(
            &format!("/tasks/{id}/COMPLETED/signal/sync?returnStrategy=TARGET_WORKFLOW"),
            json!({"yielded": 1}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The state update: variables and the WAIT together.
    waits_at(&s, &id, "w_state").await;
    let r = s
        .post(
            &format!("/workflow/{id}/state?waitForSeconds=1"),
            json!({"taskReferenceName": "w_state", "variables": {"stage": "state"},
                   "taskResult": {"status": "COMPLETED", "outputData": {"via": "state"}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // A webhook delivery.
    waits_at(&s, &id, "hook").await;
    let r = s
        .http
        .post(format!("{}/webhook/journey-hook", s.base))
        .header("X-Token", "t")
        .json(&json!({"journey": id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // Another workflow's UPDATE_TASK.
    waits_at(&s, &id, "w_other").await;
    s.start_workflow("releaser", json!({"target": id})).await;
    // The EVENT task's message, answered by an event handler; then a jump past the last WAIT.
    waits_at(&s, &id, "w_jump").await;
    let r = s
        .post(&format!("/workflow/{id}/jump/done"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    let wf = s.wait_for(&id, 20, |wf| wf["status"] != "RUNNING").await;
    assert_eq!(wf["status"], "COMPLETED", "{wf:#}");
    assert_eq!(latest(&wf, "pull")["outputData"]["count"], 1);
    assert_eq!(latest(&wf, "y")["outputData"]["yielded"], 1);
    assert_eq!(latest(&wf, "w_state")["outputData"]["via"], "state");
    assert_eq!(wf["variables"]["stage"], "state");
    assert_eq!(latest(&wf, "hook")["outputData"]["journey"], id.as_str());
    assert_eq!(latest(&wf, "w_other")["outputData"]["by"], "releaser");
    assert_eq!(latest(&wf, "ask")["outputData"]["answered"], true);
    assert_eq!(latest(&wf, "w_jump")["status"], "CANCELED");
    assert_eq!(wf["variables"]["finished"], true);

    let log = s.get(&format!("/workflow/{id}/signals")).await.json();
    let entries: Vec<(String, String)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["op"].as_str().unwrap_or_default().to_string(),
                e["caller"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let has = |op: &str, caller: &str| entries.iter().any(|(o, c)| o == op && c.contains(caller));
    for (op, caller) in [
        ("start", "schedule journey_schedule"),
        ("pause", ""),
        ("resume", ""),
        ("message", ""),
        ("signal", ""),
        ("update_state", ""),
        ("webhook", "webhook journey hook"),
        ("update_task", "UPDATE_TASK"),
        ("update_task", "event-handler:answer_asks"),
        ("jump", ""),
    ] {
        assert!(has(op, caller), "no {op} from {caller:?} in {entries:#?}");
    }
}

#[tokio::test]
async fn a_state_update_is_all_or_nothing_and_a_refused_sync_signal_stays_refused() {
    let s = Server::start().await;
    s.define(json!({"name": "holder", "tasks": [
        {"name": "w", "taskReferenceName": "w", "type": "WAIT"}]}))
        .await;
    let id = s.start_workflow("holder", json!({})).await;
    // The task named does not wait: the variables are not changed either.
    let r = s
        .post(
            &format!("/workflow/{id}/state"),
            json!({"taskReferenceName": "nope", "variables": {"half": true},
                   "taskResult": {"status": "COMPLETED"}}),
        )
        .await;
    r.assert_error(404);
    let wf = s.workflow(&id).await;
    assert!(wf["variables"].get("half").is_none(), "{wf:#}");
    // A missing status is refused before anything is applied.
    let r = s
        .post(
            &format!("/workflow/{id}/state"),
            json!({"taskReferenceName": "w", "variables": {"half": true}, "taskResult": {}}),
        )
        .await;
    r.assert_error(400);
    assert!(s.workflow(&id).await["variables"].get("half").is_none());

    // A synchronous signal refused (nothing blocked) is refused again when its key repeats.
    s.define(json!({"name": "worker_only", "tasks": [fermata_tests::simple("t")]}))
        .await;
    let busy = s.start_workflow("worker_only", json!({})).await;
    for _ in 0..2 {
        let r = s
            .http
            .post(s.url(&format!("/tasks/{busy}/COMPLETED/signal/sync")))
            .header("Idempotency-Key", "sync-1")
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 404);
    }
}

#[tokio::test]
async fn an_asynchronous_signal_sent_early_is_kept_for_the_next_waiting_task_across_a_crash() {
    let mut s = Server::start().await;
    s.define(json!({"name": "early", "tasks": [
        fermata_tests::simple("first"),
        {"name": "w", "taskReferenceName": "w", "type": "WAIT"},
        {"name": "y", "taskReferenceName": "y", "type": "YIELD"}]}))
        .await;
    let id = s.start_workflow("early", json!({})).await;
    for n in [1, 2] {
        let r = s
            .post(&format!("/tasks/{id}/COMPLETED/signal"), json!({"n": n}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let wf = s.workflow(&id).await;
    assert_eq!(wf["earlySignals"].as_array().unwrap().len(), 2, "{wf:#}");
    s.kill9();
    s.restart().await;
    // The worker task ends: the WAIT takes the first signal, the YIELD after it the second.
    assert_eq!(s.complete(&id, "first", json!({})).await.status, 200);
    let wf = s.wait_for(&id, 10, |wf| wf["status"] != "RUNNING").await;
    assert_eq!(wf["status"], "COMPLETED", "{wf:#}");
    assert_eq!(latest(&wf, "w")["outputData"]["n"], 1);
    assert_eq!(latest(&wf, "y")["outputData"]["n"], 2);
    assert!(wf.get("earlySignals").is_none(), "{wf:#}");
    // A synchronous signal does not wait for a future task: with nothing blocked it is 404.
    let other = s.start_workflow("early", json!({})).await;
    s.post(&format!("/tasks/{other}/COMPLETED/signal/sync"), json!({}))
        .await
        .assert_error(404);
}
