//! More cells of the signal × operator matrix (reference conductor-operators §14.6), end to
//! end: rerun re-evaluates a SWITCH and restarts a loop, a JQ task fixed by a rerun with new
//! input, START_WORKFLOW on rerun, HUMAN under terminate, DECISION into EXCLUSIVE_JOIN.

use fermata_tests::{Server, latest, pairs, simple, statuses};
use serde_json::{Value, json};

fn id_of(wf: &Value, reference: &str) -> String {
    latest(wf, reference)["taskId"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn rerun(s: &Server, id: &str, body: Value) {
    let r = s.post(&format!("/workflow/{id}/rerun"), body).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn rerun_from_a_switch_evaluates_it_again_with_the_new_input() {
    let s = Server::start().await;
    s.define(json!({"name": "sw_rerun", "tasks": [
        {"name": "sw", "taskReferenceName": "sw", "type": "SWITCH", "evaluatorType": "value-param",
         "expression": "k", "inputParameters": {"k": "${workflow.input.k}"},
         "decisionCases": {"a": [simple("ta")], "b": [simple("tb")]}}]}))
        .await;
    let id = s.start_workflow("sw_rerun", json!({"k": "a"})).await;
    s.complete(&id, "ta", json!({})).await;
    let wf = s.workflow(&id).await;
    assert_eq!(wf["status"], "COMPLETED");
    let sw = id_of(&wf, "sw");
    rerun(
        &s,
        &id,
        json!({"reRunFromTaskId": sw, "workflowInput": {"k": "b"}}),
    )
    .await;
    let wf = s.workflow(&id).await;
    assert_eq!(
        statuses(&wf),
        pairs(&[("sw", "COMPLETED"), ("tb", "SCHEDULED")])
    );
    assert_eq!(latest(&wf, "sw")["outputData"]["selectedCase"], "b");
}

#[tokio::test]
async fn rerun_from_a_loop_starts_it_over_at_iteration_one() {
    let s = Server::start().await;
    s.define(json!({"name": "loop_rerun", "tasks": [
        {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopCondition": "",
         "items": ["x", "y"], "loopOver": [simple("body")]}]}))
        .await;
    let id = s.start_workflow("loop_rerun", json!({})).await;
    s.complete(&id, "body__1", json!({})).await;
    s.complete(&id, "body__2", json!({})).await;
    let wf = s.workflow(&id).await;
    assert_eq!(wf["status"], "COMPLETED");
    rerun(&s, &id, json!({"reRunFromTaskId": id_of(&wf, "loop")})).await;
    let wf = s.workflow(&id).await;
    assert_eq!(
        statuses(&wf),
        pairs(&[("loop", "IN_PROGRESS"), ("body__1", "SCHEDULED")])
    );
    assert_eq!(latest(&wf, "loop")["outputData"]["iteration"], 1);
}

#[tokio::test]
async fn a_failed_jq_transform_is_fixed_by_a_rerun_with_new_input() {
    let s = Server::start().await;
    s.define(json!({"name": "jq_rerun", "tasks": [
        {"name": "jq", "taskReferenceName": "jq", "type": "JSON_JQ_TRANSFORM",
         "inputParameters": {"in1": "${workflow.input.in1}", "queryExpression": ".in1.array"}}]}))
        .await;
    let id = s.start_workflow("jq_rerun", json!({"in1": "a"})).await;
    let wf = s.workflow(&id).await;
    assert_eq!(wf["status"], "FAILED");
    assert_eq!(
        latest(&wf, "jq")["reasonForIncompletion"],
        "Cannot index string with string \"array\""
    );
    let jq = id_of(&wf, "jq");
    rerun(
        &s,
        &id,
        json!({"reRunFromTaskId": jq,
               "taskInput": {"in1": {"array": [1, 2]}, "queryExpression": ".in1.array"}}),
    )
    .await;
    let wf = s.workflow(&id).await;
    assert_eq!(wf["status"], "COMPLETED", "{wf:#}");
    assert_eq!(latest(&wf, "jq")["outputData"]["result"], json!([1, 2]));
}

#[tokio::test]
async fn start_workflow_starts_another_workflow_each_time_it_is_rerun() {
    let s = Server::start().await;
    s.define(json!({"name": "started", "tasks": [simple("w")]}))
        .await;
    s.define(json!({"name": "starter", "tasks": [
        {"name": "sw", "taskReferenceName": "sw", "type": "START_WORKFLOW",
         "inputParameters": {"startWorkflow": {"name": "started", "input": {"a": 1}}}}]}))
        .await;
    let id = s.start_workflow("starter", json!({})).await;
    let wf = s.workflow(&id).await;
    assert_eq!(wf["status"], "COMPLETED");
    let first = latest(&wf, "sw")["outputData"]["workflowId"]
        .as_str()
        .unwrap()
        .to_string();
    let started = s.workflow(&first).await;
    assert_eq!(started["status"], "RUNNING");
    assert!(started.get("parentWorkflowId").is_none());
    rerun(&s, &id, json!({"reRunFromTaskId": id_of(&wf, "sw")})).await;
    let wf = s.workflow(&id).await;
    let second = latest(&wf, "sw")["outputData"]["workflowId"]
        .as_str()
        .unwrap();
    assert_ne!(second, first);
    assert_eq!(s.workflow(second).await["workflowName"], "started");
}

#[tokio::test]
async fn a_human_task_waits_for_an_update_and_terminate_cancels_it() {
    let s = Server::start().await;
    s.define(json!({"name": "approve", "tasks": [
        {"name": "review", "taskReferenceName": "review", "type": "HUMAN"}, simple("after")]}))
        .await;
    let id = s.start_workflow("approve", json!({})).await;
    assert_eq!(
        statuses(&s.workflow(&id).await),
        pairs(&[("review", "IN_PROGRESS")])
    );
    // The signal endpoints look for WAIT only, as in Conductor.
    s.post(&format!("/tasks/{id}/COMPLETED/signal"), json!({}))
        .await;
    assert_eq!(
        statuses(&s.workflow(&id).await),
        pairs(&[("review", "IN_PROGRESS")])
    );
    s.complete(&id, "review", json!({"ok": true})).await;
    assert_eq!(
        statuses(&s.workflow(&id).await),
        pairs(&[("review", "COMPLETED"), ("after", "SCHEDULED")])
    );
    let other = s.start_workflow("approve", json!({})).await;
    assert_eq!(s.delete(&format!("/workflow/{other}")).await.status, 200);
    assert_eq!(
        statuses(&s.workflow(&other).await),
        pairs(&[("review", "CANCELED")])
    );
}

#[tokio::test]
async fn a_decision_into_an_exclusive_join_takes_the_output_of_the_branch_that_ran() {
    let s = Server::start().await;
    s.define(json!({"name": "xjoin", "tasks": [
        {"name": "d", "taskReferenceName": "d", "type": "DECISION", "caseValueParam": "c",
         "inputParameters": {"c": "${workflow.input.c}"},
         "decisionCases": {"one": [simple("task1")], "two": [simple("task2")]}},
        {"name": "x", "taskReferenceName": "x", "type": "EXCLUSIVE_JOIN",
         "joinOn": ["task1", "task2"]}]}))
        .await;
    for (case, reference) in [("one", "task1"), ("two", "task2")] {
        let id = s.start_workflow("xjoin", json!({"c": case})).await;
        s.complete(&id, reference, json!({"taskReferenceName": reference}))
            .await;
        let wf = s.workflow(&id).await;
        assert_eq!(wf["status"], "COMPLETED", "{wf:#}");
        assert_eq!(
            latest(&wf, "x")["outputData"]["taskReferenceName"],
            reference
        );
        assert_eq!(latest(&wf, "d")["outputData"]["caseOutput"], json!([case]));
    }
}

#[tokio::test]
async fn jump_forward_skips_and_jump_back_runs_again() {
    let s = Server::start().await;
    s.define(json!({"name": "jumpy", "tasks": [simple("a"), simple("b"), simple("c")]}))
        .await;
    let id = s.start_workflow("jumpy", json!({})).await;
    // Forward, as the SDKs send it: the reference in the query, the segment a placeholder.
    let r = s
        .post(
            &format!("/workflow/{id}/jump/%7BtaskReferenceName%7D?taskReferenceName=c"),
            json!({"given": 1}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let wf = s.workflow(&id).await;
    assert_eq!(
        fermata_tests::statuses(&wf),
        pairs(&[("b", "SKIPPED"), ("a", "CANCELED"), ("c", "SCHEDULED")])
    );
    assert_eq!(latest(&wf, "c")["inputData"], json!({"given": 1}));
    // Back to a: it runs again, then b and c follow.
    let r = s.post(&format!("/workflow/{id}/jump/a"), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    for t in ["a", "b", "c"] {
        let r = s.complete(&id, t, json!({})).await;
        assert_eq!(r.status, 200, "{t}: {}", r.text);
    }
    assert_eq!(s.workflow(&id).await["status"], "COMPLETED");
    let r = s.post(&format!("/workflow/{id}/jump/a"), json!({})).await;
    assert_eq!(r.status, 409, "{}", r.text);
    let other = s.start_workflow("jumpy", json!({})).await;
    let r = s
        .post(&format!("/workflow/{other}/jump/nope"), json!({}))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
}

#[tokio::test]
async fn upgrade_moves_a_running_workflow_to_another_version() {
    let s = Server::start().await;
    s.define(json!({"name": "versions", "version": 1, "tasks": [simple("a"), simple("b")]}))
        .await;
    s.define(json!({"name": "versions", "version": 2,
        "tasks": [simple("pre"), simple("b"), simple("c")]}))
        .await;
    s.define(json!({"name": "other", "version": 1, "tasks": [simple("b")]}))
        .await;
    let id = s.start_workflow("versions?version=1", json!({})).await;
    assert_eq!(s.complete(&id, "a", json!({})).await.status, 200);
    // Another definition is not an upgrade.
    let r = s
        .post(
            &format!("/workflow/{id}/upgrade"),
            json!({"name": "other", "version": 1}),
        )
        .await;
    assert!(
        r.assert_error(400).contains("same definition"),
        "{}",
        r.text
    );
    let r = s
        .post(
            &format!("/workflow/{id}/upgrade"),
            json!({"name": "versions", "version": 2, "taskOutput": {"pre": {"given": true}},
                   "workflowInput": {"upgraded": true}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let wf = s.workflow(&id).await;
    assert_eq!(wf["workflowVersion"], 2);
    assert_eq!(wf["input"], json!({"upgraded": true}));
    assert_eq!(latest(&wf, "pre")["status"], "SKIPPED", "{wf:#}");
    assert_eq!(latest(&wf, "pre")["outputData"], json!({"given": true}));
    s.complete(&id, "b", json!({})).await;
    s.complete(&id, "c", json!({})).await;
    assert_eq!(s.workflow(&id).await["status"], "COMPLETED");
    let r = s
        .post(
            &format!("/workflow/{id}/upgrade"),
            json!({"name": "versions", "version": 9}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
}
