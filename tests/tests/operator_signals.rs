//! The seed signals on operators and sub-workflow trees (reference conductor-operators
//! §14.6, §17.2), against the real binary over HTTP.

use fermata_tests::{Server, child_of, latest, pairs, simple, statuses};
use serde_json::{Value, json};

fn latest_id(wf: &Value, reference: &str) -> String {
    latest(wf, reference)["taskId"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn define_fork(s: &Server) {
    s.define(json!({"name": "forked", "tasks": [
        {"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN",
         "forkTasks": [[simple("a1"), simple("a2")], [simple("b1")]]},
        {"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["a2", "b1"]},
        simple("after")
    ]}))
    .await;
}

#[tokio::test]
async fn pause_holds_every_branch_and_resume_continues_them() {
    let s = Server::start().await;
    define_fork(&s).await;
    let id = s.start_workflow("forked", json!({})).await;
    assert_eq!(
        s.put(&format!("/workflow/{id}/pause"), json!({}))
            .await
            .status,
        200
    );
    s.complete(&id, "a1", json!({})).await;
    let wf = s.workflow(&id).await;
    assert_eq!(wf["status"], "PAUSED");
    assert!(
        !statuses(&wf).iter().any(|(r, _)| r == "a2"),
        "nothing new while paused: {wf:#}"
    );
    assert_eq!(
        s.put(&format!("/workflow/{id}/resume"), json!({}))
            .await
            .status,
        200
    );
    let wf = s.workflow(&id).await;
    assert!(statuses(&wf).contains(&("a2".to_string(), "SCHEDULED".to_string())));
}

#[tokio::test]
async fn skipping_a_task_in_a_branch_lets_the_join_go_on() {
    let s = Server::start().await;
    define_fork(&s).await;
    let id = s.start_workflow("forked", json!({})).await;
    let r = s
        .put(
            &format!("/workflow/{id}/skiptask/a2"),
            json!({"taskOutput": {"skipped": true}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    s.complete(&id, "a1", json!({})).await;
    s.complete(&id, "b1", json!({"b": 1})).await;
    let wf = s.workflow(&id).await;
    let join = wf["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["referenceTaskName"] == "j")
        .unwrap();
    assert_eq!(join["status"], "COMPLETED", "{wf:#}");
    assert_eq!(
        join["outputData"],
        json!({"a2": {"skipped": true}, "b1": {"b": 1}})
    );
}

#[tokio::test]
async fn rerun_from_a_task_inside_a_fork_keeps_the_other_branch() {
    let s = Server::start().await;
    define_fork(&s).await;
    let id = s.start_workflow("forked", json!({})).await;
    for r in ["a1", "b1", "a2", "after"] {
        s.complete(&id, r, json!({"r": r})).await;
    }
    let wf = s.workflow(&id).await;
    assert_eq!(wf["status"], "COMPLETED");
    let a1 = latest_id(&wf, "a1");
    let r = s
        .post(
            &format!("/workflow/{id}/rerun"),
            json!({"reRunFromTaskId": a1}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let wf = s.workflow(&id).await;
    assert_eq!(
        statuses(&wf),
        pairs(&[
            ("f", "COMPLETED"),
            ("a1", "SCHEDULED"),
            ("b1", "COMPLETED"),
            ("j", "IN_PROGRESS")
        ])
    );
    s.complete(&id, "a1", json!({})).await;
    s.complete(&id, "a2", json!({})).await;
    s.complete(&id, "after", json!({})).await;
    assert_eq!(s.workflow(&id).await["status"], "COMPLETED");
}

/// root → mid → leaf; the leaf's only task fails without retries, so all three fail.
async fn failed_tree(s: &Server) -> (String, String, String) {
    s.define(json!({"name": "leaf", "tasks": [simple("t1"), simple("t2")]}))
        .await;
    for (name, child) in [("mid", "leaf"), ("root", "mid")] {
        s.define(json!({"name": name, "tasks": [
            {"name": "sub", "taskReferenceName": "sub", "type": "SUB_WORKFLOW",
             "subWorkflowParam": {"name": child}}]}))
            .await;
    }
    let root = s.start_workflow("root", json!({})).await;
    let mid = child_of(&s.workflow(&root).await, "sub");
    let leaf = child_of(&s.workflow(&mid).await, "sub");
    s.complete(&leaf, "t1", json!({})).await;
    let r = s
        .post(
            &format!("/tasks/{leaf}/t2/FAILED_WITH_TERMINAL_ERROR"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200);
    s.wait_for(&root, 10, |w| w["status"] == "FAILED").await;
    assert_eq!(s.workflow(&mid).await["status"], "FAILED");
    (root, mid, leaf)
}

async fn finish_tree(s: &Server, root: &str) {
    let mid = child_of(&s.workflow(root).await, "sub");
    let leaf = child_of(&s.workflow(&mid).await, "sub");
    let lw = s.workflow(&leaf).await;
    for (r, status) in statuses(&lw) {
        if status == "SCHEDULED" {
            s.complete(&leaf, &r, json!({})).await;
        }
    }
    let lw = s.workflow(&leaf).await;
    if lw["status"] != "COMPLETED" {
        s.complete(&leaf, "t2", json!({})).await;
    }
    s.wait_for(root, 10, |w| w["status"] == "COMPLETED").await;
}

#[tokio::test]
async fn retrying_the_root_makes_new_children_all_the_way_down() {
    let s = Server::start().await;
    let (root, mid, leaf) = failed_tree(&s).await;
    assert_eq!(
        s.post(&format!("/workflow/{root}/retry"), json!({}))
            .await
            .status,
        204
    );
    let wf = s.workflow(&root).await;
    assert_eq!(
        statuses(&wf),
        pairs(&[("sub", "FAILED"), ("sub", "IN_PROGRESS")])
    );
    assert_eq!(wf["tasks"][1]["retriedTaskId"], wf["tasks"][0]["taskId"]);
    let new_mid = child_of(&wf, "sub");
    assert_ne!(new_mid, mid);
    let new_leaf = child_of(&s.workflow(&new_mid).await, "sub");
    assert_ne!(new_leaf, leaf);
    finish_tree(&s, &root).await;
}

#[tokio::test]
async fn retrying_the_root_with_resume_retries_the_leaf_in_place() {
    let s = Server::start().await;
    let (root, mid, leaf) = failed_tree(&s).await;
    let r = s
        .post(
            &format!("/workflow/{root}/retry?resumeSubworkflowTasks=true"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 204);
    let lw = s.wait_for(&leaf, 10, |w| w["status"] == "RUNNING").await;
    assert_eq!(
        statuses(&lw),
        pairs(&[
            ("t1", "COMPLETED"),
            ("t2", "FAILED_WITH_TERMINAL_ERROR"),
            ("t2", "SCHEDULED")
        ])
    );
    let mw = s.wait_for(&mid, 10, |w| w["status"] == "RUNNING").await;
    assert_eq!(mw["tasks"][0]["status"], "IN_PROGRESS");
    let rw = s.wait_for(&root, 10, |w| w["status"] == "RUNNING").await;
    assert_eq!(rw["tasks"][0]["status"], "IN_PROGRESS");
    assert_eq!(child_of(&rw, "sub"), mid);
    finish_tree(&s, &root).await;
}

#[tokio::test]
async fn rerunning_the_leaf_from_a_task_id_given_to_the_root_revives_every_level() {
    let s = Server::start().await;
    let (root, mid, leaf) = failed_tree(&s).await;
    let t1 = latest_id(&s.workflow(&leaf).await, "t1");
    let r = s
        .post(
            &format!("/workflow/{root}/rerun"),
            json!({"reRunFromTaskId": t1}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.text, leaf, "the leaf reran");
    let lw = s.workflow(&leaf).await;
    assert_eq!(statuses(&lw), pairs(&[("t1", "SCHEDULED")]));
    s.wait_for(&mid, 10, |w| w["status"] == "RUNNING").await;
    s.wait_for(&root, 10, |w| w["status"] == "RUNNING").await;
    let signals = s.get(&format!("/workflow/{mid}/signals")).await.json();
    assert!(
        signals
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["op"] == "revive_from_child" && r["caller"] == format!("workflow {leaf}")),
        "{signals:#}"
    );
    finish_tree(&s, &root).await;
}

#[tokio::test]
async fn restarting_the_mid_level_gives_it_a_new_leaf_and_revives_the_root() {
    let s = Server::start().await;
    let (root, mid, leaf) = failed_tree(&s).await;
    assert_eq!(
        s.post(&format!("/workflow/{mid}/restart"), json!({}))
            .await
            .status,
        204
    );
    let mw = s.workflow(&mid).await;
    assert_eq!(mw["status"], "RUNNING");
    assert_ne!(child_of(&mw, "sub"), leaf);
    let rw = s.wait_for(&root, 10, |w| w["status"] == "RUNNING").await;
    assert_eq!(child_of(&rw, "sub"), mid);
    finish_tree(&s, &root).await;
}
