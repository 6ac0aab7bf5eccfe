//! One test per signal and per error path, against the real binary over HTTP.

use fermata_tests::{Server, pairs, statuses, task_id, three_task_def};
use serde_json::{Value, json};

async fn running(s: &Server, name: &str) -> String {
    s.define(three_task_def(name)).await;
    s.start_workflow(name, json!({"orderId": 7})).await
}

async fn failed_at_t2(s: &Server, name: &str) -> String {
    let id = running(s, name).await;
    assert_eq!(s.complete(&id, "t1_ref", json!({})).await.status, 200);
    let r = s
        .post(
            &format!("/tasks/{id}/t2_ref/FAILED"),
            json!({"why": "boom"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(s.workflow(&id).await["status"], "FAILED");
    id
}

async fn completed(s: &Server, name: &str) -> String {
    let id = running(s, name).await;
    for r in ["t1_ref", "t2_ref", "t3_ref"] {
        assert_eq!(s.complete(&id, r, json!({"done": r})).await.status, 200);
    }
    id
}

#[tokio::test]
async fn start_and_complete_by_reference_name() {
    let s = Server::start().await;
    let id = running(&s, "flow").await;
    let wf = s.workflow(&id).await;
    assert_eq!(wf["status"], "RUNNING");
    assert_eq!(statuses(&wf), pairs(&[("t1_ref", "SCHEDULED")]));
    assert_eq!(wf["tasks"][0]["inputData"]["orderId"], 7);
    let r = s.complete(&id, "t1_ref", json!({"a": 1})).await;
    assert_eq!(r.status, 200);
    assert!(
        r.content_type.starts_with("text/plain"),
        "{}",
        r.content_type
    );
    assert_eq!(
        r.text,
        task_id(&s.workflow(&id).await, "t1_ref", "COMPLETED")
    );
    s.complete(&id, "t2_ref", json!({})).await;
    s.complete(&id, "t3_ref", json!({"done": true})).await;
    let wf = s.workflow(&id).await;
    assert_eq!(wf["status"], "COMPLETED");
    assert_eq!(wf["output"], json!({"orderId": 7, "last": true}));
    assert!(wf["endTime"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn start_with_a_start_request_and_read_back_status() {
    let s = Server::start().await;
    s.define(three_task_def("req")).await;
    let r = s
        .post("/workflow", json!({"name": "req", "version": 1, "correlationId": "c-9", "input": {"orderId": 1}, "idempotencyStrategy": "FAIL"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id = r.text;
    let status = s
        .get(&format!("/workflow/{id}/status?includeOutput=True"))
        .await
        .json();
    assert_eq!(
        status,
        json!({"workflowId": id, "correlationId": "c-9", "status": "RUNNING", "output": {}})
    );
    let without = s
        .get(&format!("/workflow/{id}?includeTasks=false"))
        .await
        .json();
    assert_eq!(without["tasks"], json!([]));
}

#[tokio::test]
async fn start_errors() {
    let s = Server::start().await;
    let msg = s
        .post("/workflow", json!({"name": "nope"}))
        .await
        .assert_error(404);
    assert_eq!(msg, "No such workflow defined. name=nope, version=null");
    let msg = s
        .post("/workflow/nope?version=3", json!({}))
        .await
        .assert_error(404);
    assert_eq!(msg, "No such workflow found by name: nope, version: 3");
    let r = s.post("/workflow", json!({"input": {}})).await;
    r.assert_error(400);
    assert_eq!(
        r.json()["validationErrors"][0]["path"],
        "startWorkflow.arg0.name"
    );
    s.define(three_task_def("p")).await;
    s.post("/workflow", json!({"name": "p", "priority": 100}))
        .await
        .assert_error(400);
}

#[tokio::test]
async fn pause_holds_scheduling_and_resume_releases_it() {
    let s = Server::start().await;
    let id = running(&s, "pause").await;
    let r = s.put(&format!("/workflow/{id}/pause"), json!({})).await;
    assert_eq!((r.status, r.text.as_str()), (200, ""));
    assert_eq!(
        s.put(&format!("/workflow/{id}/pause"), json!({}))
            .await
            .status,
        200,
        "pausing twice is a no-op"
    );
    // A task that is already scheduled can still finish while paused...
    assert_eq!(s.complete(&id, "t1_ref", json!({})).await.status, 200);
    let wf = s.workflow(&id).await;
    assert_eq!(wf["status"], "PAUSED");
    // ...but nothing new is scheduled.
    assert_eq!(statuses(&wf), pairs(&[("t1_ref", "COMPLETED")]));
    let r = s
        .call(
            reqwest::Method::PUT,
            &format!("/workflow/{id}/resume"),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let wf = s.workflow(&id).await;
    assert_eq!(wf["status"], "RUNNING");
    assert_eq!(
        statuses(&wf),
        pairs(&[("t1_ref", "COMPLETED"), ("t2_ref", "SCHEDULED")])
    );
}

#[tokio::test]
async fn resume_of_a_running_workflow_is_409() {
    let s = Server::start().await;
    let id = running(&s, "resume").await;
    let msg = s
        .put(&format!("/workflow/{id}/resume"), json!({}))
        .await
        .assert_error(409);
    assert!(
        msg.contains("is not PAUSED so cannot resume. Current status is RUNNING"),
        "{msg}"
    );
}

#[tokio::test]
async fn pause_of_a_completed_workflow_is_409() {
    let s = Server::start().await;
    let id = completed(&s, "pc").await;
    let msg = s
        .put(&format!("/workflow/{id}/pause"), json!({}))
        .await
        .assert_error(409);
    assert_eq!(
        msg,
        format!("Workflow pc.1/{id} has ended, status cannot be updated.")
    );
}

#[tokio::test]
async fn signals_to_an_unknown_workflow_are_404() {
    let s = Server::start().await;
    for (method, path) in [
        ("PUT", "/workflow/nope/pause"),
        ("PUT", "/workflow/nope/resume"),
        ("POST", "/workflow/nope/restart"),
        ("POST", "/workflow/nope/rerun"),
        ("POST", "/workflow/nope/retry"),
        ("DELETE", "/workflow/nope"),
        ("PUT", "/workflow/nope/skiptask/t1_ref"),
        ("POST", "/tasks/nope/t1_ref/COMPLETED"),
        ("POST", "/tasks/nope/COMPLETED/signal"),
        ("GET", "/workflow/nope/signals"),
    ] {
        let r = s.call(method.parse().unwrap(), path, Some(json!({}))).await;
        let msg = r.assert_error(404);
        assert_eq!(msg, "No such workflow found by id: nope", "{method} {path}");
    }
    // GET /workflow/{id} says it as Conductor's WorkflowServiceImpl (and Orkes) do.
    let msg = s.get("/workflow/nope").await.assert_error(404);
    assert_eq!(msg, "Workflow with id: nope not found.");
}

#[tokio::test]
async fn restart_of_a_running_workflow_is_409() {
    let s = Server::start().await;
    let id = running(&s, "rr").await;
    let msg = s
        .post(&format!("/workflow/{id}/restart"), json!({}))
        .await
        .assert_error(409);
    assert_eq!(
        msg,
        format!("Workflow: rr.1/{id}.RUNNING is not in terminal state, unable to restart.")
    );
}

#[tokio::test]
async fn restart_runs_a_failed_workflow_again_from_the_start() {
    let s = Server::start().await;
    let id = failed_at_t2(&s, "restart").await;
    let before = s.workflow(&id).await;
    let r = s.post(&format!("/workflow/{id}/restart"), json!({})).await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    let wf = s.workflow(&id).await;
    assert_eq!(wf["status"], "RUNNING");
    assert_eq!(statuses(&wf), pairs(&[("t1_ref", "SCHEDULED")]));
    assert_ne!(wf["tasks"][0]["taskId"], before["tasks"][0]["taskId"]);
    assert!(wf["createTime"].as_i64() >= before["createTime"].as_i64());
    assert!(wf.get("reasonForIncompletion").is_none());
}

#[tokio::test]
async fn restart_with_latest_definitions_runs_the_new_version() {
    let s = Server::start().await;
    let id = failed_at_t2(&s, "latest").await;
    let mut v2 = three_task_def("latest");
    v2["version"] = json!(2);
    v2["tasks"] = json!([{"name": "only", "taskReferenceName": "only_ref"}]);
    s.define(v2).await;
    let r = s
        .post(
            &format!("/workflow/{id}/restart?useLatestDefinitions=True"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let wf = s.workflow(&id).await;
    assert_eq!(wf["workflowVersion"], 2);
    assert_eq!(statuses(&wf), pairs(&[("only_ref", "SCHEDULED")]));
}

#[tokio::test]
async fn non_restartable_completed_workflow_is_404() {
    let s = Server::start().await;
    let mut def = three_task_def("nr");
    def["restartable"] = json!(false);
    s.define(def).await;
    let id = s.start_workflow("nr", json!({})).await;
    for r in ["t1_ref", "t2_ref", "t3_ref"] {
        s.complete(&id, r, json!({})).await;
    }
    let msg = s
        .post(&format!("/workflow/{id}/restart"), json!({}))
        .await
        .assert_error(404);
    assert!(msg.ends_with("is non-restartable"), "{msg}");
}

#[tokio::test]
async fn rerun_from_a_task_with_new_input() {
    let s = Server::start().await;
    let id = completed(&s, "rerun").await;
    let t2 = task_id(&s.workflow(&id).await, "t2_ref", "COMPLETED");
    let r = s
        .post(&format!("/workflow/{id}/rerun"), json!({"reRunFromWorkflowId": id, "reRunFromTaskId": t2, "taskInput": {"x": 1}, "correlationId": "again"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.content_type.starts_with("text/plain"));
    assert_eq!(r.text, id);
    let wf = s.workflow(&id).await;
    assert_eq!(wf["status"], "RUNNING");
    assert_eq!(wf["correlationId"], "again");
    assert_eq!(
        statuses(&wf),
        pairs(&[("t1_ref", "COMPLETED"), ("t2_ref", "SCHEDULED")])
    );
    assert_eq!(
        wf["tasks"][1]["taskId"],
        json!(t2),
        "the rerun task keeps its id"
    );
    assert_eq!(wf["tasks"][1]["inputData"], json!({"x": 1}));
}

#[tokio::test]
async fn rerun_without_a_task_starts_over_with_new_workflow_input() {
    let s = Server::start().await;
    let id = failed_at_t2(&s, "rerun0").await;
    let r = s
        .post(
            &format!("/workflow/{id}/rerun"),
            json!({"workflowInput": {"orderId": 99}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let wf = s.workflow(&id).await;
    assert_eq!(statuses(&wf), pairs(&[("t1_ref", "SCHEDULED")]));
    assert_eq!(wf["input"], json!({"orderId": 99}));
    assert_eq!(wf["tasks"][0]["inputData"]["orderId"], 99);
    assert_eq!(wf["failedReferenceTaskNames"], json!([]));
}

#[tokio::test]
async fn rerun_of_a_running_workflow_cancels_later_tasks() {
    let s = Server::start().await;
    let id = running(&s, "rerun-run").await;
    s.complete(&id, "t1_ref", json!({})).await;
    let t1 = task_id(&s.workflow(&id).await, "t1_ref", "COMPLETED");
    s.put(&format!("/workflow/{id}/pause"), json!({})).await;
    let r = s
        .post(
            &format!("/workflow/{id}/rerun"),
            json!({"reRunFromTaskId": t1}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let wf = s.workflow(&id).await;
    assert_eq!(wf["status"], "RUNNING");
    assert_eq!(statuses(&wf), pairs(&[("t1_ref", "SCHEDULED")]));
    let polled = s.get("/tasks/poll/batch/t2?count=5&timeout=0").await.json();
    assert_eq!(polled, json!([]), "the canceled t2 left its queue");
}

#[tokio::test]
async fn rerun_from_an_unknown_task_is_400_and_changes_nothing() {
    let s = Server::start().await;
    let id = failed_at_t2(&s, "rerun-bad").await;
    let before = s.workflow(&id).await;
    let msg = s
        .post(
            &format!("/workflow/{id}/rerun"),
            json!({"reRunFromTaskId": "zzz"}),
        )
        .await
        .assert_error(400);
    assert_eq!(msg, "Task zzz not found");
    assert_eq!(s.workflow(&id).await, before);
}

#[tokio::test]
async fn retry_appends_a_new_attempt_of_the_failed_task() {
    let s = Server::start().await;
    let id = failed_at_t2(&s, "retry").await;
    let old = task_id(&s.workflow(&id).await, "t2_ref", "FAILED");
    let r = s
        .post(
            &format!("/workflow/{id}/retry?resumeSubworkflowTasks=true"),
            json!({}),
        )
        .await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    let wf = s.workflow(&id).await;
    assert_eq!(wf["status"], "RUNNING");
    assert_eq!(
        statuses(&wf),
        pairs(&[
            ("t1_ref", "COMPLETED"),
            ("t2_ref", "FAILED"),
            ("t2_ref", "SCHEDULED")
        ])
    );
    assert_eq!(wf["tasks"][2]["retriedTaskId"], json!(old));
    assert_eq!(wf["tasks"][2]["retryCount"], 1);
    s.complete(&id, "t2_ref", json!({})).await;
    s.complete(&id, "t3_ref", json!({"done": 1})).await;
    assert_eq!(s.workflow(&id).await["status"], "COMPLETED");
}

#[tokio::test]
async fn retry_preconditions() {
    let s = Server::start().await;
    let id = running(&s, "retry-pre").await;
    let msg = s
        .post(&format!("/workflow/{id}/retry"), json!({}))
        .await
        .assert_error(404);
    assert_eq!(msg, "Workflow is still running.  status=RUNNING");
    let done = completed(&s, "retry-done").await;
    let msg = s
        .post(&format!("/workflow/{done}/retry"), json!({}))
        .await
        .assert_error(409);
    assert!(msg.starts_with("There are no retryable tasks!"), "{msg}");
}

#[tokio::test]
async fn terminate_cancels_open_tasks_with_the_reason() {
    let s = Server::start().await;
    let id = running(&s, "term").await;
    let r = s
        .call(
            reqwest::Method::DELETE,
            &format!("/workflow/{id}?reason=no%20longer%20needed"),
            Some(json!({})),
        )
        .await;
    assert_eq!((r.status, r.text.as_str()), (200, ""));
    let wf = s.workflow(&id).await;
    assert_eq!(wf["status"], "TERMINATED");
    assert_eq!(wf["reasonForIncompletion"], "no longer needed");
    assert_eq!(statuses(&wf), pairs(&[("t1_ref", "CANCELED")]));
    assert_eq!(
        s.delete(&format!("/workflow/{id}")).await.status,
        200,
        "terminating twice is a no-op"
    );
    assert_eq!(
        s.get("/tasks/poll/t1").await.status,
        204,
        "its task left the queue"
    );
}

#[tokio::test]
async fn terminate_of_a_completed_workflow_is_409() {
    let s = Server::start().await;
    let id = completed(&s, "tc").await;
    let msg = s.delete(&format!("/workflow/{id}")).await.assert_error(409);
    assert_eq!(msg, "Cannot terminate a COMPLETED workflow.");
}

#[tokio::test]
async fn terminate_with_trigger_failure_workflow_starts_it() {
    let s = Server::start().await;
    s.define(
        json!({"name": "cleanup", "tasks": [{"name": "undo", "taskReferenceName": "undo_ref"}]}),
    )
    .await;
    let mut def = three_task_def("guarded");
    def["failureWorkflow"] = json!("cleanup");
    s.define(def).await;
    let id = s.start_workflow("guarded", json!({"orderId": 5})).await;
    let plain = s.start_workflow("guarded", json!({})).await;
    assert_eq!(
        s.delete(&format!("/workflow/{plain}?reason=x"))
            .await
            .status,
        200
    );
    assert!(
        s.workflow(&plain).await["output"]
            .get("conductor.failure_workflow")
            .is_none(),
        "not triggered by default"
    );
    let r = s
        .delete(&format!(
            "/workflow/{id}?reason=stop&triggerFailureWorkflow=True"
        ))
        .await;
    assert_eq!(r.status, 200);
    let wf = s.workflow(&id).await;
    let child_id = wf["output"]["conductor.failure_workflow"]
        .as_str()
        .expect("failure workflow id")
        .to_string();
    let child = s.workflow(&child_id).await;
    assert_eq!(child["workflowName"], "cleanup");
    assert_eq!(child["status"], "RUNNING");
    assert_eq!(child["input"]["workflowId"], json!(id));
    assert_eq!(child["input"]["reason"], "stop");
    assert_eq!(child["input"]["failureStatus"], "TERMINATED");
    assert_eq!(child["input"]["orderId"], 5);
}

#[tokio::test]
async fn automatic_failure_starts_the_failure_workflow() {
    let s = Server::start().await;
    s.define(
        json!({"name": "cleanup2", "tasks": [{"name": "undo", "taskReferenceName": "undo_ref"}]}),
    )
    .await;
    let mut def = three_task_def("auto-fail");
    def["failureWorkflow"] = json!("cleanup2");
    s.define(def).await;
    let id = s.start_workflow("auto-fail", json!({})).await;
    s.post(
        &format!("/tasks/{id}/t1_ref/FAILED_WITH_TERMINAL_ERROR"),
        json!({}),
    )
    .await;
    let wf = s.workflow(&id).await;
    assert_eq!(wf["status"], "FAILED");
    let child = s
        .workflow(wf["output"]["conductor.failure_workflow"].as_str().unwrap())
        .await;
    assert_eq!(child["input"]["failureStatus"], "FAILED");
    assert_eq!(child["input"]["failureTaskId"], wf["tasks"][0]["taskId"]);
}

#[tokio::test]
async fn skip_a_future_task() {
    let s = Server::start().await;
    let id = running(&s, "skip").await;
    let r = s
        .put(
            &format!("/workflow/{id}/skiptask/t2_ref"),
            json!({"taskOutput": {"skipped": true}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    s.complete(&id, "t1_ref", json!({})).await;
    let wf = s.workflow(&id).await;
    assert_eq!(
        statuses(&wf),
        pairs(&[
            ("t2_ref", "SKIPPED"),
            ("t1_ref", "COMPLETED"),
            ("t3_ref", "SCHEDULED")
        ])
    );
    s.put(&format!("/workflow/{id}/skiptask/t1_ref"), json!({}))
        .await
        .assert_error(409);
    s.put(&format!("/workflow/{id}/skiptask/zz"), json!({}))
        .await
        .assert_error(400);
}

#[tokio::test]
async fn remove_takes_a_running_workflow_too() {
    let s = Server::start().await;
    let id = running(&s, "rm").await;
    // As Orkes: removal in any state, `archiveWorkflow` (default true) has no effect.
    assert_eq!(
        s.delete(&format!("/workflow/{id}/remove")).await.status,
        200
    );
    s.get(&format!("/workflow/{id}")).await.assert_error(404);
    assert_eq!(
        s.get("/tasks/poll/t1").await.status,
        204,
        "its queued task is gone"
    );
    let id = running(&s, "rm").await;
    assert_eq!(
        s.delete(&format!("/workflow/{id}/terminate-remove?reason=x"))
            .await
            .status,
        200
    );
    s.get(&format!("/workflow/{id}")).await.assert_error(404);
}

#[tokio::test]
async fn post_tasks_replaces_output_and_by_ref_merges() {
    let s = Server::start().await;
    let id = running(&s, "upd").await;
    let t1 = task_id(&s.workflow(&id).await, "t1_ref", "SCHEDULED");
    let r = s
        .post("/tasks", json!({"workflowInstanceId": id, "taskId": t1, "status": "IN_PROGRESS", "outputData": {"a": 1}, "callbackAfterSeconds": 0}))
        .await;
    assert_eq!((r.status, r.text.as_str()), (200, t1.as_str()));
    s.post("/tasks", json!({"workflowInstanceId": id, "taskId": t1, "status": "IN_PROGRESS", "outputData": {"b": 2}})).await;
    assert_eq!(
        s.workflow(&id).await["tasks"][0]["outputData"],
        json!({"b": 2}),
        "POST /tasks replaces"
    );
    let r = s
        .post(
            &format!("/tasks/{id}/t1_ref/COMPLETED/sync?workerid=me"),
            json!({"c": 3}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let wf = r.json();
    assert_eq!(
        wf["tasks"][0]["outputData"],
        json!({"b": 2, "c": 3}),
        "by reference merges"
    );
    assert_eq!(wf["tasks"][0]["workerId"], "me");
    assert_eq!(
        statuses(&wf),
        pairs(&[("t1_ref", "COMPLETED"), ("t2_ref", "SCHEDULED")])
    );
    // An update to a task that already ended is accepted and ignored, as in Conductor.
    let r = s
        .post(
            "/tasks",
            json!({"workflowInstanceId": id, "taskId": t1, "status": "FAILED"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(s.workflow(&id).await["tasks"][0]["status"], "COMPLETED");
}

#[tokio::test]
async fn task_update_error_paths() {
    let s = Server::start().await;
    let id = running(&s, "upd-err").await;
    let msg = s
        .post(&format!("/tasks/{id}/t3_ref/COMPLETED"), json!({}))
        .await
        .assert_error(404);
    assert_eq!(
        msg,
        format!("Found no running task t3_ref of workflow {id} to update")
    );
    s.post(&format!("/tasks/{id}/t1_ref/completed"), json!({}))
        .await
        .assert_error(400);
    s.post(&format!("/tasks/{id}/t1_ref/DONE"), json!({}))
        .await
        .assert_error(400);
    s.post(&format!("/tasks/{id}/t1_ref/COMPLETED"), json!([1, 2]))
        .await
        .assert_error(400);
    let r = s.post("/tasks", json!({"status": "COMPLETED"})).await;
    r.assert_error(400);
    assert_eq!(r.json()["validationErrors"].as_array().unwrap().len(), 2);
    s.post(
        "/tasks",
        json!({"workflowInstanceId": id, "taskId": "nope", "status": "COMPLETED"}),
    )
    .await
    .assert_error(404);
    s.post(&format!("/tasks/{id}/COMPLETED/signal/sync"), json!({}))
        .await
        .assert_error(404);
    assert_eq!(
        s.post(&format!("/tasks/{id}/COMPLETED/signal"), json!({}))
            .await
            .status,
        200,
        "async signal accepts no waiter"
    );
    assert_eq!(
        statuses(&s.workflow(&id).await),
        pairs(&[("t1_ref", "SCHEDULED")]),
        "nothing changed"
    );
    let log = s.get(&format!("/workflow/{id}/signals")).await.json();
    let signal = log
        .as_array()
        .unwrap()
        .iter()
        .rfind(|e| e["op"] == "signal" && e["status"] == 200)
        .expect("the accepted signal is logged");
    assert_eq!(
        signal["message"],
        "no task waited: kept for the next task that waits for a signal"
    );
}

#[tokio::test]
async fn bad_input_is_rejected_and_changes_nothing() {
    let s = Server::start().await;
    let id = running(&s, "bad").await;
    let before = s.workflow(&id).await;
    let raw = |method: &str, path: &str, body: &'static str| {
        let req = s
            .http
            .request(method.parse().unwrap(), s.url(path))
            .header("content-type", "application/json")
            .body(body);
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    for (method, path, body) in [
        ("POST", "/workflow".to_string(), "{not json"),
        ("POST", "/workflow".to_string(), "{\"name\": 42}"),
        (
            "POST",
            format!("/workflow/{id}/rerun"),
            "{\"reRunFromTaskId\": [1]}",
        ),
        ("POST", format!("/tasks/{id}/t1_ref/COMPLETED"), "{\"a\": "),
        (
            "POST",
            "/metadata/workflow".to_string(),
            "{\"name\": \"x\", \"tasks\": 7}",
        ),
        ("PUT", "/metadata/taskdefs".to_string(), "[]"),
        (
            "POST",
            "/tasks".to_string(),
            "{\"workflowInstanceId\": \"x\", \"taskId\": \"y\", \"status\": \"WHAT\"}",
        ),
    ] {
        let (status, text) = raw(method, &path, body).await;
        assert_eq!(status, 400, "{method} {path} {body}: {text}");
        let err: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(err["status"], 400);
        assert!(!err["message"].as_str().unwrap().is_empty());
    }
    let huge = "x".repeat(9 * 1024 * 1024);
    let r = s
        .http
        .post(s.url(&format!("/tasks/{id}/t1_ref/COMPLETED")))
        .body(format!("{{\"big\": \"{huge}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    s.get("/workflow/search?size=6000").await.assert_error(400);
    s.get("/workflow/search?query=status%3DNOPE")
        .await
        .assert_error(400);
    s.get("/tasks/poll/batch/t1?timeout=6000")
        .await
        .assert_error(400);
    s.get(&format!("/workflow/{id}?includeTasks=maybe"))
        .await
        .assert_error(400);
    s.get("/no/such/route").await.assert_error(404);
    s.call(
        reqwest::Method::PATCH,
        &format!("/workflow/{id}/pause"),
        None,
    )
    .await
    .assert_error(405);
    let after = s.workflow(&id).await;
    assert_eq!(after, before, "no bad request changed the execution");
}

#[tokio::test]
async fn bulk_operations_report_per_id() {
    let s = Server::start().await;
    let a = running(&s, "bulk").await;
    let b = s.start_workflow("bulk", json!({})).await;
    let c = completed(&s, "bulk-done").await;
    let r = s
        .put("/workflow/bulk/pause", json!([a, b, c, "ghost"]))
        .await;
    assert_eq!(r.status, 200);
    let body = r.json();
    assert_eq!(body["bulkSuccessfulResults"], json!([a, b]));
    assert_eq!(
        body["bulkErrorResults"][&c],
        format!("Workflow bulk-done.1/{c} has ended, status cannot be updated.")
    );
    assert_eq!(
        body["bulkErrorResults"]["ghost"],
        "No such workflow found by id: ghost"
    );
    assert!(body.get("message").is_none());
    let r = s.put("/workflow/bulk/resume", json!([a, b])).await.json();
    assert_eq!(r["bulkSuccessfulResults"], json!([a, b]));
    let r = s
        .post(
            "/workflow/bulk/terminate?reason=bulk&triggerFailureWorkflow=false",
            json!([a, b]),
        )
        .await
        .json();
    assert_eq!(r["bulkSuccessfulResults"], json!([a, b]));
    let r = s.post("/workflow/bulk/retry", json!([a, c])).await.json();
    assert_eq!(r["bulkSuccessfulResults"], json!([a]));
    let r = s
        .post(
            "/workflow/bulk/restart?useLatestDefinitions=false",
            json!([b, c]),
        )
        .await
        .json();
    assert_eq!(r["bulkSuccessfulResults"], json!([b, c]));
    assert_eq!(s.workflow(&c).await["status"], "RUNNING");
    s.put("/workflow/bulk/pause", json!([]))
        .await
        .assert_error(400);
    let many: Vec<String> = (0..1001).map(|i| i.to_string()).collect();
    s.put("/workflow/bulk/pause", json!(many))
        .await
        .assert_error(400);
    let r = s
        .post("/workflow/bulk/search", json!([a, "ghost"]))
        .await
        .json();
    assert_eq!(r["bulkSuccessfulResults"][0]["workflowId"], json!(a));
}

#[tokio::test]
async fn idempotency_key_applies_a_signal_once() {
    let s = Server::start().await;
    let id = failed_at_t2(&s, "idem").await;
    let retry = || {
        s.http
            .post(s.url(&format!("/workflow/{id}/retry")))
            .header("Idempotency-Key", "retry-1")
            .send()
    };
    assert_eq!(retry().await.unwrap().status().as_u16(), 204);
    s.post(&format!("/tasks/{id}/t2_ref/FAILED"), json!({}))
        .await;
    // The repeat replays the first outcome and does not retry the second failure.
    assert_eq!(retry().await.unwrap().status().as_u16(), 204);
    let wf = s.workflow(&id).await;
    assert_eq!(wf["status"], "FAILED");
    assert_eq!(wf["tasks"].as_array().unwrap().len(), 3);
    // A refused signal replays its refusal.
    let resume = || {
        s.http
            .put(s.url(&format!("/workflow/{id}/resume")))
            .header("Idempotency-Key", "resume-1")
            .send()
    };
    assert_eq!(resume().await.unwrap().status().as_u16(), 409);
    assert_eq!(resume().await.unwrap().status().as_u16(), 409);
    // The same key on another request is refused.
    let r = s
        .http
        .put(s.url(&format!("/workflow/{id}/pause")))
        .header("Idempotency-Key", "retry-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let log = s.get(&format!("/workflow/{id}/signals")).await.json();
    let retries = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["op"] == "retry")
        .count();
    assert_eq!(retries, 1, "a replay is not a second signal: {log:#}");
}

#[tokio::test]
async fn every_signal_is_recorded() {
    let s = Server::start().await;
    let id = running(&s, "log").await;
    s.put(&format!("/workflow/{id}/pause"), json!({})).await;
    s.put(&format!("/workflow/{id}/pause"), json!({})).await;
    s.put(&format!("/workflow/{id}/resume"), json!({})).await;
    s.put(&format!("/workflow/{id}/resume"), json!({})).await;
    s.complete(&id, "t1_ref", json!({"k": "v"})).await;
    s.delete(&format!("/workflow/{id}?reason=done")).await;
    let log = s.get(&format!("/workflow/{id}/signals")).await.json();
    let entries: Vec<(String, u64)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["op"].as_str().unwrap().to_string(),
                e["status"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, u64)> = [
        ("start", 200),
        ("pause", 200),
        ("pause", 200),
        ("resume", 200),
        ("resume", 409),
        ("update_task_by_ref", 200),
        ("terminate", 200),
    ]
    .iter()
    .map(|(o, c)| (o.to_string(), *c))
    .collect();
    assert_eq!(entries, expected);
    let refused = &log[4];
    assert!(refused["message"].as_str().unwrap().contains("not PAUSED"));
    assert_eq!(log[0]["caller"], "127.0.0.1");
    assert_eq!(log[0]["params"]["name"], "log", "who started it, and what");
    assert_eq!(log[5]["params"]["output"], json!({"k": "v"}));
    assert_eq!(log[6]["params"]["reason"], "done");
    assert!(log[0]["at"].as_i64().unwrap() > 1_600_000_000_000);
}

#[tokio::test]
async fn concurrent_signals_to_one_execution_are_serialized() {
    let s = Server::start().await;
    let id = running(&s, "race").await;
    let mut calls = Vec::new();
    for _ in 0..20 {
        calls.push(s.complete(&id, "t1_ref", json!({"n": 1})));
    }
    let results = futures::future::join_all(calls).await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    let missing = results.iter().filter(|r| r.status == 404).count();
    assert_eq!((ok, missing), (1, 19), "exactly one completion wins");
    let wf = s.workflow(&id).await;
    assert_eq!(
        statuses(&wf),
        pairs(&[("t1_ref", "COMPLETED"), ("t2_ref", "SCHEDULED")])
    );
}
