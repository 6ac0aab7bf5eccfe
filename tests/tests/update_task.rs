//! UPDATE_TASK: a workflow signals a task of another (or its own) running execution through
//! the engine, recorded in the target's signal log and applied once.

use fermata_tests::{Server, latest, task_id};
use serde_json::{Value, json};

fn waiting(name: &str) -> Value {
    json!({"name": name, "tasks": [
        {"name": "w", "taskReferenceName": "w", "type": "WAIT"},
        {"name": "after", "taskReferenceName": "after", "type": "SET_VARIABLE",
         "inputParameters": {"seen": "${w.output.approved}"}}
    ]})
}

fn updater(name: &str, params: Value) -> Value {
    json!({"name": name, "tasks": [
        {"name": "update", "taskReferenceName": "update", "type": "UPDATE_TASK",
         "inputParameters": params}
    ]})
}

async fn ended(s: &Server, id: &str) -> Value {
    s.wait_for(id, 20, |wf| wf["status"] != "RUNNING").await
}

#[tokio::test]
async fn completes_a_wait_in_another_workflow_and_is_in_its_signal_log() {
    let s = Server::start().await;
    s.define(waiting("held")).await;
    s.define(updater(
        "releaser",
        json!({"workflowId": "${workflow.input.target}", "taskRefName": "w",
               "taskStatus": "COMPLETED", "taskOutput": {"approved": true}}),
    ))
    .await;
    let held = s.start_workflow("held", json!({})).await;
    let releaser = s.start_workflow("releaser", json!({"target": held})).await;

    let r = ended(&s, &releaser).await;
    assert_eq!(r["status"], "COMPLETED", "{r:#}");
    let update = latest(&r, "update");
    assert_eq!(update["outputData"]["workflowId"], held.as_str());
    let h = ended(&s, &held).await;
    assert_eq!(h["status"], "COMPLETED", "{h:#}");
    assert_eq!(latest(&h, "w")["outputData"], json!({"approved": true}));
    assert_eq!(h["variables"]["seen"], true);

    let log = s.get(&format!("/workflow/{held}/signals")).await.json();
    let entry = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["op"] == "update_task")
        .unwrap_or_else(|| panic!("no update in {log:#}"));
    let caller = entry.to_string();
    assert!(caller.contains(&releaser), "{entry:#}");
    assert!(caller.contains("UPDATE_TASK"), "{entry:#}");

    // The capability comes from the import: UPDATE_TASK asks for it, the other builtins not.
    let plugins = s.get("/plugins").await.json();
    let caps = |t: &str| {
        let p = plugins
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["taskType"] == t)
            .unwrap();
        (p["capabilities"].clone(), p["granted"].clone())
    };
    assert_eq!(
        caps("UPDATE_TASK"),
        (json!(["workflow"]), json!(["workflow"]))
    );
    assert_eq!(caps("INLINE"), (json!([]), json!([])));
    assert_eq!(caps("HTTP").0, json!(["http"]));
}

#[tokio::test]
async fn updates_its_own_workflow_by_reference_and_merges_output() {
    let s = Server::start().await;
    s.define(json!({"name": "self_release", "tasks": [
        {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": [
            [{"name": "w", "taskReferenceName": "w", "type": "WAIT"}],
            [{"name": "update", "taskReferenceName": "update", "type": "UPDATE_TASK",
              "inputParameters": {"taskRefName": "w", "taskStatus": "COMPLETED",
                                  "mergeOutput": true, "taskOutput": {"by": "sibling"}}}]
        ]},
        {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["w", "update"]}
    ]}))
    .await;
    let id = s.start_workflow("self_release", json!({})).await;
    let wf = ended(&s, &id).await;
    assert_eq!(wf["status"], "COMPLETED", "{wf:#}");
    assert_eq!(latest(&wf, "w")["outputData"]["by"], "sibling");
}

#[tokio::test]
async fn by_task_id_fails_the_target_and_refuses_what_is_not_running() {
    let s = Server::start().await;
    s.define(waiting("held")).await;
    s.define(updater(
        "by_id",
        json!({"taskId": "${workflow.input.task}", "taskStatus": "FAILED_WITH_TERMINAL_ERROR",
               "taskOutput": {"why": "rejected"}}),
    ))
    .await;
    let held = s.start_workflow("held", json!({})).await;
    let wf = s.workflow(&held).await;
    let wait = task_id(&wf, "w", "IN_PROGRESS");
    let updater = s.start_workflow("by_id", json!({"task": wait})).await;
    assert_eq!(ended(&s, &updater).await["status"], "COMPLETED");
    let h = ended(&s, &held).await;
    assert_eq!(h["status"], "FAILED", "{h:#}");
    assert_eq!(latest(&h, "w")["status"], "FAILED_WITH_TERMINAL_ERROR");
    assert_eq!(latest(&h, "w")["outputData"], json!({"why": "rejected"}));

    // The same task again: the workflow is no longer running, so the update is refused and
    // the UPDATE_TASK fails with the reason.
    let again = s.start_workflow("by_id", json!({"task": wait})).await;
    let a = ended(&s, &again).await;
    assert_eq!(a["status"], "FAILED", "{a:#}");
    let reason = latest(&a, "update")["reasonForIncompletion"].to_string();
    assert!(reason.contains("only a running workflow"), "{reason}");
    assert_eq!(s.workflow(&held).await["status"], "FAILED");

    // A paused target is not running either, and its task stays as it was.
    let paused = s.start_workflow("held", json!({})).await;
    s.put(&format!("/workflow/{paused}/pause"), json!({})).await;
    let p = s.workflow(&paused).await;
    let wait = task_id(&p, "w", "IN_PROGRESS");
    let refused = s.start_workflow("by_id", json!({"task": wait})).await;
    assert_eq!(ended(&s, &refused).await["status"], "FAILED");
    assert_eq!(
        latest(&s.workflow(&paused).await, "w")["status"],
        "IN_PROGRESS"
    );
}

#[tokio::test]
async fn bad_input_fails_terminally_and_unknown_targets_fail_with_a_reason() {
    let s = Server::start().await;
    for (name, params, status, expected) in [
        (
            "no_status",
            json!({"taskRefName": "w"}),
            "FAILED_WITH_TERMINAL_ERROR",
            "taskStatus is required",
        ),
        (
            "in_progress",
            json!({"taskRefName": "w", "taskStatus": "IN_PROGRESS"}),
            "FAILED_WITH_TERMINAL_ERROR",
            "COMPLETED, FAILED or FAILED_WITH_TERMINAL_ERROR",
        ),
        (
            "no_such_workflow",
            json!({"workflowId": "nope", "taskRefName": "w", "taskStatus": "COMPLETED"}),
            "FAILED",
            "No such workflow found by id: nope",
        ),
        (
            "no_such_task",
            json!({"taskId": "nope", "taskStatus": "COMPLETED"}),
            "FAILED",
            "No such task found by id: nope",
        ),
        (
            "itself",
            json!({"taskRefName": "update", "taskStatus": "COMPLETED"}),
            "FAILED",
            "cannot update its own task",
        ),
    ] {
        s.define(updater(name, params)).await;
        let id = s.start_workflow(name, json!({})).await;
        let wf = ended(&s, &id).await;
        let t = latest(&wf, "update");
        assert_eq!(t["status"], status, "{name}: {t:#}");
        let reason = t["reasonForIncompletion"].as_str().unwrap_or_default();
        assert!(reason.contains(expected), "{name}: {reason}");
    }
}

#[tokio::test]
async fn a_restart_does_not_apply_the_update_again() {
    // The update and the UPDATE_TASK's own outcome are two commits; the update is keyed by
    // the asking task, so whatever runs again after a crash finds it applied.
    let mut s = Server::start().await;
    s.define(waiting("held")).await;
    s.define(json!({"name": "late", "tasks": [
        {"name": "update", "taskReferenceName": "update", "type": "UPDATE_TASK",
         "inputParameters": {"workflowId": "${workflow.input.target}", "taskRefName": "w",
                             "taskStatus": "COMPLETED", "taskOutput": {"approved": 1}}},
        {"name": "hold", "taskReferenceName": "hold", "type": "WAIT"}
    ]}))
    .await;
    let held = s.start_workflow("held", json!({})).await;
    let late = s.start_workflow("late", json!({"target": held})).await;
    s.wait_for(&late, 20, |wf| {
        latest(wf, "update")["status"] == "COMPLETED"
    })
    .await;
    s.kill9();
    s.restart().await;
    let h = ended(&s, &held).await;
    assert_eq!(h["status"], "COMPLETED");
    let log = s.get(&format!("/workflow/{held}/signals")).await.json();
    let updates = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["op"] == "update_task")
        .count();
    assert_eq!(updates, 1, "{log:#}");
}

#[tokio::test]
async fn a_rerun_of_the_update_task_applies_its_update_again() {
    // The rerun resets the UPDATE_TASK in place (same task id): its update is asked anew,
    // not answered from the first run's idempotency record.
    let s = Server::start().await;
    s.define(waiting("held")).await;
    s.define(updater(
        "releaser",
        json!({"workflowId": "${workflow.input.target}", "taskRefName": "w",
               "taskStatus": "COMPLETED", "taskOutput": {"approved": true}}),
    ))
    .await;
    let first = s.start_workflow("held", json!({})).await;
    let second = s.start_workflow("held", json!({})).await;
    let releaser = s.start_workflow("releaser", json!({"target": first})).await;
    let r = ended(&s, &releaser).await;
    assert_eq!(r["status"], "COMPLETED", "{r:#}");
    assert_eq!(ended(&s, &first).await["status"], "COMPLETED");
    let update = latest(&r, "update")["taskId"].as_str().unwrap().to_string();
    let rerun = s
        .post(
            &format!("/workflow/{releaser}/rerun"),
            json!({"reRunFromTaskId": update,
                   "taskInput": {"workflowId": second, "taskRefName": "w",
                                 "taskStatus": "COMPLETED", "taskOutput": {"approved": "again"}}}),
        )
        .await;
    assert_eq!(rerun.status, 200, "{}", rerun.text);
    let again = s
        .wait_for(&second, 20, |wf| wf["status"] != "RUNNING")
        .await;
    assert_eq!(again["status"], "COMPLETED", "{again:#}");
    assert_eq!(latest(&again, "w")["outputData"]["approved"], "again");
}
