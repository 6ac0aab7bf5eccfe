//! The synchronous calls (reference conductor-operators §13) and variables: a synchronous
//! signal that finds its YIELD two levels down and answers by every return strategy, execute
//! with `waitUntilTaskRef`, and `POST /workflow/{id}/variables`.

use fermata_tests::{Server, child_of, latest, simple};
use serde_json::{Value, json};

/// root → mid → leaf; mid and leaf each hold a YIELD before their sub-workflow (leaf: the end).
async fn define_tree(s: &Server) {
    s.define(json!({"name": "leaf", "tasks": [
        {"name": "y", "taskReferenceName": "y", "type": "YIELD", "inputParameters": {"at": "leaf"}}]}))
        .await;
    s.define(json!({"name": "mid", "tasks": [
        {"name": "y", "taskReferenceName": "y", "type": "YIELD", "inputParameters": {"at": "mid"}},
        {"name": "sub", "taskReferenceName": "sub", "type": "SUB_WORKFLOW",
         "subWorkflowParam": {"name": "leaf"}}]}))
        .await;
    s.define(json!({"name": "root", "tasks": [
        {"name": "sub", "taskReferenceName": "sub", "type": "SUB_WORKFLOW",
         "subWorkflowParam": {"name": "mid"}}]}))
        .await;
}

async fn sync_signal(s: &Server, id: &str, strategy: &str, body: Value) -> Value {
    let r = s
        .post(
            &format!(
                "/tasks/{id}/COMPLETED/signal/sync?returnStrategy={strategy}&timeoutMillis=5000"
            ),
            body,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

#[tokio::test]
async fn a_synchronous_signal_reaches_the_yield_two_levels_down_and_answers_the_next_blocking_task()
{
    let s = Server::start().await;
    define_tree(&s).await;
    let root = s.start_workflow("root", json!({})).await;
    let mid = child_of(&s.workflow(&root).await, "sub");
    let answer = sync_signal(&s, &root, "BLOCKING_TASK", json!({"result": "one"})).await;
    // The signal completed mid's YIELD; the next blocking task is the leaf's YIELD.
    let mw = s.workflow(&mid).await;
    assert_eq!(latest(&mw, "y")["status"], "COMPLETED");
    assert_eq!(latest(&mw, "y")["outputData"]["result"], "one");
    let leaf = child_of(&mw, "sub");
    assert_eq!(answer["responseType"], "BLOCKING_TASK");
    assert_eq!(answer["targetWorkflowId"], root.as_str());
    assert_eq!(answer["targetWorkflowStatus"], "RUNNING");
    assert_eq!(answer["workflowId"], leaf.as_str());
    assert_eq!(answer["taskType"], "YIELD");
    assert_eq!(answer["status"], "IN_PROGRESS");
    assert_eq!(answer["input"]["at"], "leaf");
    assert_eq!(answer["signalTimeout"], false);
    assert!(answer["taskId"].is_string() && answer["requestId"].is_string());
    // The second completes the leaf, and so the whole tree.
    let answer = sync_signal(&s, &root, "TARGET_WORKFLOW", json!({"result": "two"})).await;
    assert_eq!(answer["responseType"], "TARGET_WORKFLOW");
    assert_eq!(answer["workflowId"], root.as_str());
    assert_eq!(answer["status"], "COMPLETED");
    assert!(answer["tasks"].is_array());
    // Nothing blocked any more: 404.
    let r = s
        .post(&format!("/tasks/{root}/COMPLETED/signal/sync"), json!({}))
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
}

#[tokio::test]
async fn blocking_workflow_and_task_input_answer_the_child_and_its_task() {
    let s = Server::start().await;
    define_tree(&s).await;
    let root = s.start_workflow("root", json!({})).await;
    let mid = child_of(&s.workflow(&root).await, "sub");
    let answer = sync_signal(&s, &root, "BLOCKING_WORKFLOW", json!({})).await;
    let leaf = child_of(&s.workflow(&mid).await, "sub");
    assert_eq!(answer["responseType"], "BLOCKING_WORKFLOW");
    assert_eq!(answer["workflowId"], leaf.as_str());
    assert_eq!(answer["targetWorkflowId"], root.as_str());
    let answer = sync_signal(&s, &root, "BLOCKING_TASK_INPUT", json!({})).await;
    // The tree ended: no blocking task, so the root's run, as a TARGET_WORKFLOW answer.
    assert_eq!(answer["responseType"], "TARGET_WORKFLOW");
    assert_eq!(answer["status"], "COMPLETED");
}

#[tokio::test]
async fn execute_answers_when_the_named_task_has_ended_or_at_the_deadline() {
    let s = Server::start().await;
    s.define(json!({"name": "quick", "tasks": [
        {"name": "sv", "taskReferenceName": "sv", "type": "SET_VARIABLE", "inputParameters": {"x": 1}},
        simple("work")]}))
        .await;
    let r = s
        .post(
            "/workflow/execute/quick/1?waitUntilTaskRef=sv&waitForSeconds=5&requestId=r-1",
            json!({"input": {"a": 1}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let run = r.json();
    assert_eq!(run["requestId"], "r-1");
    assert_eq!(run["status"], "RUNNING");
    assert_eq!(run["signalTimeout"], false);
    assert_eq!(run["variables"]["x"], 1);
    // Nothing ends or blocks: the answer comes at the deadline, still running.
    let started = std::time::Instant::now();
    let r = s
        .post("/workflow/execute/quick/0?waitForSeconds=1", json!({}))
        .await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
    let run = r.json();
    assert_eq!(run["signalTimeout"], true);
    assert_eq!(run["status"], "RUNNING");
    // A workflow that ends at once answers at once.
    s.define(json!({"name": "instant", "tasks": [
        {"name": "sv", "taskReferenceName": "sv", "type": "SET_VARIABLE", "inputParameters": {"x": 2}}]}))
        .await;
    let run = s
        .post("/workflow/execute/instant/1", json!({}))
        .await
        .json();
    assert_eq!(run["status"], "COMPLETED");
    assert_eq!(run["responseType"], "TARGET_WORKFLOW");
}

#[tokio::test]
async fn variables_are_merged_and_a_waiting_workflow_sees_them() {
    let s = Server::start().await;
    s.define(json!({"name": "vars", "variables": {"a": 1}, "tasks": [
        simple("first"),
        {"name": "use", "taskReferenceName": "use", "type": "SIMPLE",
         "inputParameters": {"b": "${workflow.variables.b}"}}]}))
        .await;
    let id = s.start_workflow("vars", json!({})).await;
    let r = s
        .post(&format!("/workflow/{id}/variables"), json!({"b": "set"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["variables"], json!({"a": 1, "b": "set"}));
    s.complete(&id, "first", json!({})).await;
    let wf = s.workflow(&id).await;
    assert_eq!(latest(&wf, "use")["inputData"]["b"], "set");
    let signals = s.get(&format!("/workflow/{id}/signals")).await.json();
    assert!(
        signals
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["op"] == "update_variables")
    );
    assert_eq!(s.delete(&format!("/workflow/{id}")).await.status, 200);
    let r = s
        .post(&format!("/workflow/{id}/variables"), json!({"c": 1}))
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
}

#[tokio::test]
async fn a_state_update_sets_variables_completes_a_task_and_waits() {
    let s = Server::start().await;
    s.define(json!({"name": "stateful", "tasks": [
        {"name": "wait", "taskReferenceName": "wait_ref", "type": "WAIT"},
        {"name": "use", "taskReferenceName": "use", "type": "SET_VARIABLE",
         "inputParameters": {"copied": "${workflow.variables.fromState}"}},
        simple("after")]}))
        .await;
    let id = s.start_workflow("stateful", json!({})).await;
    let r = s
        .post(
            &format!("/workflow/{id}/state?requestId=q-1&waitUntilTaskRef=use&waitForSeconds=5"),
            json!({"taskReferenceName": "wait_ref",
                   "taskResult": {"taskId": "", "workflowInstanceId": id, "status": "COMPLETED",
                                  "outputData": {"stateUpdate": true}},
                   "variables": {"fromState": "updated"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let run = r.json();
    assert_eq!(run["requestId"], "q-1");
    assert_eq!(run["workflowId"], id.as_str());
    assert_eq!(run["variables"]["copied"], "updated");
    assert_eq!(run["signalTimeout"], false);
    let wf = s.workflow(&id).await;
    assert_eq!(latest(&wf, "wait_ref")["outputData"]["stateUpdate"], true);
    assert_eq!(latest(&wf, "after")["status"], "SCHEDULED");
}

#[tokio::test]
async fn orkes_start_with_version_and_correlated_batch() {
    let s = Server::start().await;
    s.define(json!({"name": "batched", "tasks": [simple("t")]}))
        .await;
    let r = s
        .http
        .post(s.url("/workflow/start/batched/1?correlationId=c-1"))
        .header("X-Idempotency-key", "k-1")
        .header("X-on-conflict", "RETURN_EXISTING")
        .json(&json!({"a": 1}))
        .send()
        .await
        .unwrap();
    let first = fermata_tests::Response::read(r).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let again = s
        .http
        .post(s.url("/workflow/start/batched/1?correlationId=c-1"))
        .header("X-Idempotency-key", "k-1")
        .header("X-on-conflict", "RETURN_EXISTING")
        .json(&json!({"a": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(fermata_tests::Response::read(again).await.text, first.text);
    let found = s
        .post(
            "/workflow/correlated/batch?includeClosed=true",
            json!({"correlationIds": ["c-1", "c-2"], "workflowNames": ["batched"]}),
        )
        .await;
    assert_eq!(found.status, 200, "{}", found.text);
    let found = found.json();
    assert_eq!(found["c-1"][0]["workflowId"], first.text.as_str());
    assert_eq!(found["c-2"], json!([]));
}
