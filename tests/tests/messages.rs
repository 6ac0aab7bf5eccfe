//! The workflow message queue (reference conductor-signals-extra §1): messages sent to a
//! running workflow wait in its inbox — also when they come before the task that reads them,
//! and across a crash — and PULL_WORKFLOW_MESSAGES takes them, each once.

use fermata_tests::{Server, latest, simple};
use serde_json::{Value, json};

fn pull(reference: &str, input: Value) -> Value {
    json!({"name": reference, "taskReferenceName": reference, "type": "PULL_WORKFLOW_MESSAGES",
           "inputParameters": input})
}

async fn send(s: &Server, id: &str, payload: Value) -> String {
    let r = s.post(&format!("/workflow/{id}/messages"), payload).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.content_type.starts_with("text/plain"),
        "{}",
        r.content_type
    );
    r.text
}

#[tokio::test]
async fn messages_that_come_early_wait_for_the_task_that_reads_them() {
    let mut s = Server::start().await;
    s.define(json!({"name": "inbox", "tasks": [simple("first"), pull("read", json!({"batchSize": 10}))]}))
        .await;
    let id = s.start_workflow("inbox", json!({})).await;
    let m1 = send(&s, &id, json!({"n": 1})).await;
    let m2 = send(&s, &id, json!({"n": 2})).await;
    // Kept across a crash.
    s.kill9();
    s.restart().await;
    s.complete(&id, "first", json!({})).await;
    let wf = s.workflow(&id).await;
    let read = latest(&wf, "read");
    assert_eq!(read["status"], "COMPLETED", "{wf:#}");
    assert_eq!(read["outputData"]["count"], 2);
    let messages = read["outputData"]["messages"].as_array().unwrap();
    assert_eq!(messages[0]["id"], m1.as_str());
    assert_eq!(messages[0]["payload"], json!({"n": 1}));
    assert_eq!(messages[0]["workflowId"], id.as_str());
    assert!(messages[0]["receivedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(messages[1]["id"], m2.as_str());
    assert_eq!(wf["status"], "COMPLETED");
}

#[tokio::test]
async fn a_waiting_pull_takes_the_next_message_at_once_and_each_message_once() {
    let s = Server::start().await;
    s.define(json!({"name": "listen", "tasks": [
        pull("a", json!({"batchSize": 2})), pull("b", json!({"batchSize": 2})), pull("c", json!({}))]}))
        .await;
    let id = s.start_workflow("listen", json!({})).await;
    assert_eq!(latest(&s.workflow(&id).await, "a")["status"], "IN_PROGRESS");
    send(&s, &id, json!({"x": 1})).await;
    let wf = s.workflow(&id).await;
    assert_eq!(latest(&wf, "a")["outputData"]["count"], 1);
    assert_eq!(latest(&wf, "b")["status"], "IN_PROGRESS");
    for x in 2..=3 {
        send(&s, &id, json!({"x": x})).await;
    }
    let wf = s.workflow(&id).await;
    // b took the first one that came after it opened (x=2), c the next (x=3).
    assert_eq!(
        latest(&wf, "b")["outputData"]["messages"][0]["payload"]["x"],
        2
    );
    assert_eq!(
        latest(&wf, "c")["outputData"]["messages"][0]["payload"]["x"],
        3
    );
    assert_eq!(wf["status"], "COMPLETED");
    let r = s
        .post(&format!("/workflow/{id}/messages"), json!({"late": true}))
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(
        r.text
            .contains("is not in RUNNING state (current: COMPLETED)"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn a_non_blocking_pull_on_an_empty_inbox_completes_with_nothing() {
    let s = Server::start().await;
    s.define(json!({"name": "peek", "tasks": [pull("p", json!({"blocking": false}))]}))
        .await;
    let id = s.start_workflow("peek", json!({})).await;
    let wf = s.workflow(&id).await;
    assert_eq!(
        latest(&wf, "p")["outputData"],
        json!({"messages": [], "count": 0})
    );
    assert_eq!(wf["status"], "COMPLETED");
    let r = s.post("/workflow/nope/messages", json!({})).await;
    assert_eq!(r.status, 404, "{}", r.text);
}

#[tokio::test]
async fn what_the_inbox_holds_is_visible_and_dropped_when_the_workflow_ends() {
    let s = Server::start().await;
    s.define(json!({"name": "unread", "tasks": [simple("first")]}))
        .await;
    let id = s.start_workflow("unread", json!({})).await;
    let m = send(&s, &id, json!({"k": "v"})).await;
    let inbox = s.get(&format!("/workflow/{id}/messages")).await.json();
    assert_eq!(inbox[0]["id"], m.as_str());
    assert_eq!(inbox[0]["payload"], json!({"k": "v"}));
    assert_eq!(s.delete(&format!("/workflow/{id}")).await.status, 200);
    let inbox = s.get(&format!("/workflow/{id}/messages")).await.json();
    assert_eq!(inbox, json!([]));
}

/// Event handlers: a JavaScript condition chooses which messages act, and
/// `update_workflow_variables` sets (or appends to) a workflow's variables.
#[tokio::test]
async fn an_event_condition_chooses_and_update_workflow_variables_acts() {
    let s = Server::start().await;
    s.define(json!({"name": "holder", "variables": {"seen": ["start"]},
                    "tasks": [{"name": "hold", "taskReferenceName": "hold", "type": "WAIT"}]}))
        .await;
    let target = s.start_workflow("holder", json!({})).await;
    let r = s
        .post(
            "/event",
            json!({"name": "vars", "event": "conductor:emitter:vars",
            "condition": "$.kind == 'keep'",
            "actions": [{"action": "update_workflow_variables", "update_workflow_variables": {
                "workflowId": "${target}", "variables": {"seen": ["${label}"], "last": "${label}"},
                "appendArray": true}}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    s.define(json!({"name": "emitter", "tasks": [
        {"name": "e1", "taskReferenceName": "e1", "type": "EVENT", "sink": "conductor:vars",
         "inputParameters": {"target": "${workflow.input.t}", "kind": "skip", "label": "one"}},
        {"name": "e2", "taskReferenceName": "e2", "type": "EVENT", "sink": "conductor:vars",
         "inputParameters": {"target": "${workflow.input.t}", "kind": "keep", "label": "two"}}]}))
        .await;
    s.start_workflow("emitter", json!({"t": target})).await;
    let wf = s
        .wait_for(&target, 10, |w| w["variables"]["last"] == "two")
        .await;
    // The first message did not pass the condition; the second appended to the array.
    assert_eq!(wf["variables"]["seen"], json!(["start", "two"]));
    let signals = s.get(&format!("/workflow/{target}/signals")).await.json();
    let update = signals
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["op"] == "update_variables")
        .unwrap();
    assert_eq!(update["caller"], "event-handler:vars");
}
