//! Operators and sub-workflows against the real binary over HTTP: each operator, the signals
//! that reach into forks, loops and children, and a crash while children complete.

use fermata_tests::{Server, child_of, pairs, simple, statuses};
use serde_json::json;

/// `child`: one SIMPLE task whose output `v` is the child's output `r`.
async fn define_child(s: &Server) {
    s.define(json!({"name": "child", "tasks": [simple("c1")],
                    "outputParameters": {"r": "${c1.output.v}"}}))
        .await;
}

/// SET_VARIABLE, a SWITCH on the variable, a FORK of a worker task and a SUB_WORKFLOW, a
/// JOIN, and a TERMINATE that completes with the child's output.
async fn define_parent(s: &Server) {
    define_child(s).await;
    s.define(json!({"name": "parent", "tasks": [
        {"name": "sv", "taskReferenceName": "sv", "type": "SET_VARIABLE",
         "inputParameters": {"x": "${workflow.input.x}"}},
        {"name": "sw", "taskReferenceName": "sw", "type": "SWITCH", "evaluatorType": "value-param",
         "expression": "k", "inputParameters": {"k": "${workflow.variables.x}"},
         "decisionCases": {"a": [simple("ta")]}, "defaultCase": [simple("td")]},
        {"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN", "forkTasks": [
            [simple("b1")],
            [{"name": "sub", "taskReferenceName": "sub", "type": "SUB_WORKFLOW",
              "subWorkflowParam": {"name": "child"}}]]},
        {"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["b1", "sub"]},
        {"name": "t", "taskReferenceName": "t", "type": "TERMINATE",
         "inputParameters": {"terminationStatus": "COMPLETED",
                             "workflowOutput": {"done": "${sub.output.r}", "b": "${j.output.b1.b}"}}}
    ]}))
    .await;
}

#[tokio::test]
async fn switch_fork_join_sub_workflow_and_terminate_run_to_the_end() {
    let s = Server::start().await;
    define_parent(&s).await;
    let id = s.start_workflow("parent", json!({"x": "a"})).await;
    let wf = s.workflow(&id).await;
    assert_eq!(wf["variables"], json!({"x": "a"}));
    assert_eq!(
        wf["tasks"][1]["outputData"]["evaluationResult"],
        json!(["a"])
    );
    assert_eq!(
        statuses(&wf),
        pairs(&[
            ("sv", "COMPLETED"),
            ("sw", "COMPLETED"),
            ("ta", "SCHEDULED")
        ])
    );
    s.complete(&id, "ta", json!({})).await;
    let wf = s.workflow(&id).await;
    assert_eq!(
        statuses(&wf)[3..],
        pairs(&[
            ("f", "COMPLETED"),
            ("b1", "SCHEDULED"),
            ("sub", "IN_PROGRESS"),
            ("j", "IN_PROGRESS")
        ])
    );
    assert_eq!(wf["tasks"][3]["taskType"], "FORK");
    let child = child_of(&wf, "sub");
    let cw = s.workflow(&child).await;
    assert_eq!(cw["parentWorkflowId"], id.as_str());
    assert_eq!(cw["parentWorkflowTaskId"], wf["tasks"][5]["taskId"]);
    assert_eq!(
        wf["tasks"][5]["outputData"]["subWorkflowId"],
        child.as_str()
    );
    s.complete(&child, "c1", json!({"v": 42})).await;
    s.complete(&id, "b1", json!({"b": 1})).await;
    let wf = s.wait_for(&id, 10, |w| w["status"] == "COMPLETED").await;
    assert_eq!(wf["output"], json!({"done": 42, "b": 1}));
    assert!(
        wf["reasonForIncompletion"]
            .as_str()
            .unwrap()
            .starts_with("Workflow is COMPLETED by TERMINATE task")
    );
    let signals = s.get(&format!("/workflow/{id}/signals")).await.json();
    let from_child = signals
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["op"] == "child_ended")
        .expect("the child's end is in the parent's signal log");
    assert_eq!(from_child["caller"], format!("workflow {child}"));
}

#[tokio::test]
async fn the_default_case_runs_when_no_case_matches() {
    let s = Server::start().await;
    define_parent(&s).await;
    let id = s.start_workflow("parent", json!({"x": "zz"})).await;
    let wf = s.workflow(&id).await;
    assert_eq!(wf["tasks"][1]["outputData"]["selectedCase"], "zz");
    assert_eq!(
        statuses(&wf)[2],
        ("td".to_string(), "SCHEDULED".to_string())
    );
}

#[tokio::test]
async fn terminating_the_parent_terminates_its_child() {
    let s = Server::start().await;
    define_parent(&s).await;
    let id = s.start_workflow("parent", json!({"x": "a"})).await;
    s.complete(&id, "ta", json!({})).await;
    let child = child_of(&s.workflow(&id).await, "sub");
    assert_eq!(
        s.delete(&format!("/workflow/{id}?reason=stop"))
            .await
            .status,
        200
    );
    let cw = s
        .wait_for(&child, 10, |w| w["status"] == "TERMINATED")
        .await;
    assert_eq!(
        cw["reasonForIncompletion"],
        "Parent workflow has been terminated with reason: stop"
    );
    let wf = s.workflow(&id).await;
    assert_eq!(
        statuses(&wf)[4..],
        pairs(&[("b1", "CANCELED"), ("sub", "CANCELED"), ("j", "CANCELED")])
    );
}

async fn parent_failed_by_child(s: &Server) -> (String, String) {
    define_parent(s).await;
    let id = s.start_workflow("parent", json!({"x": "a"})).await;
    s.complete(&id, "ta", json!({})).await;
    let child = child_of(&s.workflow(&id).await, "sub");
    let r = s
        .post(
            &format!("/tasks/{child}/c1/FAILED_WITH_TERMINAL_ERROR"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let wf = s.wait_for(&id, 10, |w| w["status"] == "FAILED").await;
    let sub = &wf["tasks"][5];
    assert_eq!(sub["status"], "FAILED");
    assert!(
        sub["reasonForIncompletion"]
            .as_str()
            .unwrap()
            .starts_with(&format!("Sub workflow child.1/{child} failure reason:"))
    );
    (id, child)
}

#[tokio::test]
async fn retrying_a_child_revives_its_parent() {
    let s = Server::start().await;
    let (id, child) = parent_failed_by_child(&s).await;
    assert_eq!(
        s.post(&format!("/workflow/{child}/retry"), json!({}))
            .await
            .status,
        204
    );
    let wf = s.wait_for(&id, 10, |w| w["status"] == "RUNNING").await;
    assert_eq!(wf["tasks"][5]["status"], "IN_PROGRESS");
    assert_eq!(
        wf["tasks"][6]["status"], "IN_PROGRESS",
        "the JOIN waits again"
    );
    s.complete(&child, "c1", json!({"v": 7})).await;
    s.complete(&id, "b1", json!({"b": 2})).await;
    let wf = s.wait_for(&id, 10, |w| w["status"] == "COMPLETED").await;
    assert_eq!(wf["output"]["done"], 7);
}

#[tokio::test]
async fn retry_with_resume_retries_the_child_in_place() {
    let s = Server::start().await;
    let (id, child) = parent_failed_by_child(&s).await;
    let r = s
        .post(
            &format!("/workflow/{id}/retry?resumeSubworkflowTasks=true"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let cw = s.wait_for(&child, 10, |w| w["status"] == "RUNNING").await;
    assert_eq!(
        statuses(&cw),
        pairs(&[("c1", "FAILED_WITH_TERMINAL_ERROR"), ("c1", "SCHEDULED")])
    );
    let wf = s.wait_for(&id, 10, |w| w["status"] == "RUNNING").await;
    assert_eq!(child_of(&wf, "sub"), child, "the same child");
    // Without resume, a retry of the parent starts a new child.
    s.post(
        &format!("/tasks/{child}/c1/FAILED_WITH_TERMINAL_ERROR"),
        json!({}),
    )
    .await;
    s.wait_for(&id, 10, |w| w["status"] == "FAILED").await;
    assert_eq!(
        s.post(&format!("/workflow/{id}/retry"), json!({}))
            .await
            .status,
        204
    );
    let wf = s.workflow(&id).await;
    assert_ne!(child_of(&wf, "sub"), child, "a new child");
}

#[tokio::test]
async fn the_signal_endpoint_reaches_a_wait_in_a_running_child() {
    let s = Server::start().await;
    s.define(json!({"name": "waiting_child", "tasks": [
        {"name": "w", "taskReferenceName": "w", "type": "WAIT"}]}))
        .await;
    s.define(json!({"name": "holder", "tasks": [
        {"name": "sub", "taskReferenceName": "sub", "type": "SUB_WORKFLOW",
         "subWorkflowParam": {"name": "waiting_child", "version": 1}}]}))
        .await;
    let id = s.start_workflow("holder", json!({})).await;
    let child = child_of(&s.workflow(&id).await, "sub");
    s.wait_for(&child, 10, |w| w["tasks"][0]["status"] == "IN_PROGRESS")
        .await;
    let r = s
        .post(
            &format!("/tasks/{id}/COMPLETED/signal"),
            json!({"ok": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let wf = s.wait_for(&id, 10, |w| w["status"] == "COMPLETED").await;
    assert_eq!(
        wf["tasks"][0]["outputData"]["subWorkflowId"],
        child.as_str()
    );
}

#[tokio::test]
async fn a_loop_over_items_names_each_iteration() {
    let s = Server::start().await;
    s.define(json!({"name": "looper", "tasks": [
        {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopCondition": "",
         "items": "${workflow.input.items}", "loopOver": [
            {"name": "body", "taskReferenceName": "body", "type": "SIMPLE",
             "inputParameters": {"item": "${loop.output.loopItem}"}}]},
        simple("after")
    ]}))
    .await;
    let id = s
        .start_workflow("looper", json!({"items": ["x", "y"]}))
        .await;
    let wf = s.workflow(&id).await;
    assert_eq!(
        statuses(&wf),
        pairs(&[("loop", "IN_PROGRESS"), ("body__1", "SCHEDULED")])
    );
    assert_eq!(wf["tasks"][1]["inputData"]["item"], "x");
    assert_eq!(wf["tasks"][1]["iteration"], 1);
    s.complete(&id, "body", json!({"n": 1})).await;
    let wf = s.workflow(&id).await;
    assert_eq!(wf["tasks"][2]["referenceTaskName"], "body__2");
    assert_eq!(wf["tasks"][2]["inputData"]["item"], "y");
    s.complete(&id, "body__2", json!({"n": 2})).await;
    let wf = s.workflow(&id).await;
    assert_eq!(wf["tasks"][0]["status"], "COMPLETED");
    assert_eq!(wf["tasks"][0]["outputData"]["iteration"], 2);
    assert_eq!(wf["tasks"][0]["outputData"]["2"], json!({"body": {"n": 2}}));
    assert_eq!(wf["tasks"][3]["referenceTaskName"], "after");
    assert_eq!(wf["tasks"][3]["iteration"], 0);
}

#[tokio::test]
async fn a_dynamic_fork_runs_one_task_per_input_and_joins_them() {
    let s = Server::start().await;
    s.define(json!({"name": "fan", "tasks": [
        {"name": "df", "taskReferenceName": "df", "type": "FORK_JOIN_DYNAMIC",
         "inputParameters": {"forkTaskName": "work", "forkTaskInputs": "${workflow.input.items}"}},
        {"name": "dj", "taskReferenceName": "dj", "type": "JOIN"}
    ]}))
    .await;
    let id = s
        .start_workflow("fan", json!({"items": [{"a": 1}, {"a": 2}]}))
        .await;
    let wf = s.workflow(&id).await;
    assert_eq!(
        statuses(&wf),
        pairs(&[
            ("df", "COMPLETED"),
            ("_work_0", "SCHEDULED"),
            ("_work_1", "SCHEDULED"),
            ("dj", "IN_PROGRESS")
        ])
    );
    assert_eq!(
        wf["tasks"][3]["inputData"]["joinOn"],
        json!(["_work_0", "_work_1"])
    );
    assert_eq!(wf["tasks"][2]["inputData"], json!({"a": 2, "__index": 1}));
    s.complete(&id, "_work_0", json!({"r": 0})).await;
    s.complete(&id, "_work_1", json!({"r": 1})).await;
    let wf = s.wait_for(&id, 10, |w| w["status"] == "COMPLETED").await;
    assert_eq!(
        wf["tasks"][3]["outputData"],
        json!({"_work_0": {"r": 0}, "_work_1": {"r": 1}})
    );
}

#[tokio::test]
async fn operator_definitions_are_validated_at_every_depth() {
    let s = Server::start().await;
    let r = s
        .post(
            "/metadata/workflow",
            json!({"name": "bad", "tasks": [
                {"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN", "forkTasks": [[
                    {"name": "s", "taskReferenceName": "s", "type": "SWITCH", "expression": "x",
                     "decisionCases": {}},
                    {"name": "t", "taskReferenceName": "t", "type": "TERMINATE",
                     "inputParameters": {"terminationStatus": "${x}"}},
                    {"name": "l", "taskReferenceName": "f", "type": "DO_WHILE"}]]},
                {"name": "j", "taskReferenceName": "j", "type": "JOIN"}]}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let messages: Vec<String> = r.json()["validationErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect();
    for expected in [
        "evaluatorType field is required for taskType: SWITCH taskName: s",
        "decisionCases should have atleast one task for taskType: SWITCH taskName: s",
        "terminate task must have an terminationStatus parameter and must be set to COMPLETED or FAILED, taskName: t",
        "taskReferenceName: f should be unique across tasks for a given workflowDefinition: bad",
        "loopCondition field is required for taskType: DO_WHILE taskName: l",
        "loopOver field is required for taskType: DO_WHILE taskName: l",
    ] {
        assert!(
            messages.iter().any(|m| m == expected),
            "{expected} in {messages:#?}"
        );
    }
}

/// root → mid → leaf, each a SUB_WORKFLOW of the next; the leaf's task is completed and the
/// server killed at once. After a restart every level has completed, exactly once.
#[tokio::test]
async fn a_crash_while_children_complete_loses_no_outcome() {
    let mut s = Server::start().await;
    s.define(json!({"name": "leaf", "tasks": [simple("work")],
                    "outputParameters": {"v": "${work.output.v}"}}))
        .await;
    for (name, child) in [("mid", "leaf"), ("root", "mid")] {
        s.define(json!({"name": name, "tasks": [
            {"name": "sub", "taskReferenceName": "sub", "type": "SUB_WORKFLOW",
             "subWorkflowParam": {"name": child, "version": 1}}],
            "outputParameters": {"v": "${sub.output.v}"}}))
            .await;
    }
    let mut roots = Vec::new();
    for i in 0..5 {
        let root = s.start_workflow("root", json!({})).await;
        let mid = child_of(&s.workflow(&root).await, "sub");
        let leaf = child_of(&s.workflow(&mid).await, "sub");
        let r = s.complete(&leaf, "work", json!({"v": i})).await;
        assert_eq!(r.status, 200);
        roots.push((root, i));
    }
    s.kill9();
    s.restart().await;
    for (root, i) in roots {
        let wf = s.wait_for(&root, 20, |w| w["status"] == "COMPLETED").await;
        assert_eq!(wf["output"]["v"], i);
        assert_eq!(wf["tasks"].as_array().unwrap().len(), 1);
        let mid = s.workflow(&child_of(&wf, "sub")).await;
        assert_eq!(mid["status"], "COMPLETED");
        let signals = s.get(&format!("/workflow/{root}/signals")).await.json();
        let ended = signals
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["op"] == "child_ended")
            .count();
        assert_eq!(ended, 1, "the child's end applied once: {signals:#}");
    }
}

#[tokio::test]
async fn scripts_run_inside_the_decision_that_schedules_them() {
    let s = Server::start().await;
    s.define(json!({"name": "scripted", "tasks": [
        {"name": "sw", "taskReferenceName": "sw", "type": "SWITCH", "evaluatorType": "graaljs",
         "expression": "$.n > 1 ? 'many' : 'one'", "inputParameters": {"n": "${workflow.input.n}"},
         "decisionCases": {"many": [
            {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE",
             "loopCondition": "$.loop['iteration'] < $.n", "inputParameters": {"n": "${workflow.input.n}"},
             "loopOver": [{"name": "sq", "taskReferenceName": "sq", "type": "INLINE",
                "inputParameters": {"i": "${loop.output.iteration}", "expression": "$.i * $.i"}}]}]}},
        {"name": "jq", "taskReferenceName": "jq", "type": "JSON_JQ_TRANSFORM",
         "inputParameters": {"queryExpression": "{total: (.a + .b)}", "a": 2, "b": "${workflow.input.n}"}},
        {"name": "w", "taskReferenceName": "w", "type": "WAIT"}
    ]}))
    .await;
    let id = s.start_workflow("scripted", json!({"n": 3})).await;
    // Everything up to the WAIT happened before the start call answered.
    let wf = s.workflow(&id).await;
    assert_eq!(
        statuses(&wf),
        pairs(&[
            ("sw", "COMPLETED"),
            ("loop", "COMPLETED"),
            ("sq__1", "COMPLETED"),
            ("sq__2", "COMPLETED"),
            ("sq__3", "COMPLETED"),
            ("jq", "COMPLETED"),
            ("w", "IN_PROGRESS")
        ]),
        "{wf:#}"
    );
    assert_eq!(wf["tasks"][0]["outputData"]["selectedCase"], "many");
    assert_eq!(wf["tasks"][4]["outputData"]["result"], 9);
    assert_eq!(wf["tasks"][1]["outputData"]["3"]["sq"]["result"], 9);
    assert_eq!(wf["tasks"][5]["outputData"]["result"], json!({"total": 5}));
}

#[tokio::test]
async fn a_script_that_never_ends_fails_only_its_own_task() {
    let s = Server::start_with(&["--script-timeout-ms", "300"]).await;
    s.define(json!({"name": "forever", "tasks": [
        {"name": "spin", "taskReferenceName": "spin", "type": "INLINE",
         "inputParameters": {"expression": "while (true) {}"}}]}))
        .await;
    s.define(json!({"name": "hog", "tasks": [
        {"name": "eat", "taskReferenceName": "eat", "type": "INLINE",
         "inputParameters": {"expression": "let a = []; while (true) { a.push(new Array(100000).fill(1)); }"}}]}))
        .await;
    s.define(json!({"name": "plain", "tasks": [simple("p")]}))
        .await;
    let spin = s.start_workflow("forever", json!({})).await;
    let hog = s.start_workflow("hog", json!({})).await;
    let plain = s.start_workflow("plain", json!({})).await;
    let wf = s.wait_for(&spin, 10, |w| w["status"] == "FAILED").await;
    let reason = wf["tasks"][0]["reasonForIncompletion"].as_str().unwrap();
    assert!(reason.contains("exceeded its deadline"), "{reason}");
    let wf = s.wait_for(&hog, 10, |w| w["status"] == "FAILED").await;
    let reason = wf["tasks"][0]["reasonForIncompletion"].as_str().unwrap();
    assert!(
        reason.contains("memory limit") || reason.contains("exceeded its deadline"),
        "{reason}"
    );
    s.complete(&plain, "p", json!({})).await;
    assert_eq!(s.workflow(&plain).await["status"], "COMPLETED");
}

#[tokio::test]
async fn a_loop_longer_than_one_decision_finishes_in_the_next() {
    let s = Server::start().await;
    s.define(json!({"name": "long_loop", "tasks": [
        {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopCondition": "",
         "items": "${workflow.input.items}", "inputParameters": {"keepLastN": 1},
         "loopOver": [{"name": "sv", "taskReferenceName": "sv", "type": "SET_VARIABLE",
            "inputParameters": {"last": "${loop.output.loopItem}"}}]}]}))
        .await;
    let items: Vec<i32> = (0..2_500).collect();
    let id = s
        .start_workflow("long_loop", json!({ "items": items }))
        .await;
    let wf = s.wait_for(&id, 30, |w| w["status"] == "COMPLETED").await;
    assert_eq!(wf["variables"]["last"], 2_499);
    assert_eq!(wf["tasks"][0]["outputData"]["iteration"], 2_500);
}

#[tokio::test]
async fn a_sub_workflow_that_starts_itself_ends_at_the_nesting_limit() {
    let s = Server::start().await;
    s.define(json!({"name": "recurse", "tasks": [
        {"name": "again", "taskReferenceName": "again", "type": "SUB_WORKFLOW",
         "subWorkflowParam": {"name": "recurse", "version": 1}}]}))
        .await;
    let root = s.start_workflow("recurse", json!({})).await;
    let wf = s.wait_for(&root, 60, |w| w["status"] == "FAILED").await;
    let reason = wf["reasonForIncompletion"].as_str().unwrap();
    assert!(reason.contains("Sub workflow recurse.1/"), "{reason}");
    // Walk down: 32 levels below the root, the 33rd was refused.
    let mut depth = 0;
    let mut id = root.clone();
    loop {
        let w = s.workflow(&id).await;
        assert_eq!(w["status"], "FAILED", "{w:#}");
        match w["tasks"][0]["subWorkflowId"].as_str() {
            Some(child) => id = child.to_string(),
            None => break,
        }
        depth += 1;
        assert!(depth <= 40, "too deep");
    }
    assert_eq!(depth, 33);
    let leaf = s.workflow(&id).await;
    assert!(
        leaf["reasonForIncompletion"]
            .as_str()
            .unwrap()
            .starts_with("Sub-workflows nest at most 32 levels deep")
    );
}

#[tokio::test]
async fn a_sub_workflow_version_is_pinned_when_its_parent_starts() {
    let s = Server::start().await;
    s.define(json!({"name": "pinned_parent", "tasks": [simple("first"),
        {"name": "sub", "taskReferenceName": "sub", "type": "SUB_WORKFLOW",
         "subWorkflowParam": {"name": "versioned"}}]}))
        .await;
    let r = s.post("/workflow/pinned_parent", json!({})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(
        r.text
            .contains("defined as a sub-workflow has no workflow definition available")
    );
    s.define(json!({"name": "versioned", "version": 1, "tasks": [simple("v1")]}))
        .await;
    let id = s.start_workflow("pinned_parent", json!({})).await;
    s.define(json!({"name": "versioned", "version": 2, "tasks": [simple("v2")]}))
        .await;
    s.complete(&id, "first", json!({})).await;
    let wf = s.workflow(&id).await;
    assert_eq!(
        fermata_tests::latest(&wf, "sub")["inputData"]["subWorkflowVersion"],
        1
    );
    let child = s.workflow(&child_of(&wf, "sub")).await;
    assert_eq!(child["workflowVersion"], 1);
}

#[tokio::test]
async fn the_example_definition_of_operators_runs_as_the_readme_says() {
    let s = Server::start().await;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../definitions/order_batch.json"
    );
    let def: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    s.define(def).await;
    let orders = json!({"orders": [{"qty": 2, "unit": 5}, {"qty": 1, "unit": 7}]});
    let id = s.start_workflow("order_batch", orders).await;
    let wf = s.workflow(&id).await;
    assert_eq!(
        fermata_tests::latest(&wf, "route")["outputData"]["selectedCase"],
        "batch"
    );
    assert_eq!(
        fermata_tests::latest(&wf, "total")["outputData"]["result"],
        17
    );
    let child = child_of(&wf, "invoice");
    let cw = s.workflow(&child).await;
    assert_eq!(cw["tasks"][0]["inputData"]["total"], 17);
    s.complete(&child, "send_invoice", json!({"email": "a@b.c"}))
        .await;
    s.complete(&id, "pack", json!({})).await;
    let wf = s.wait_for(&id, 10, |w| w["status"] == "COMPLETED").await;
    assert_eq!(wf["output"], json!({"total": 17, "invoiceSentTo": "a@b.c"}));
    let single = s
        .start_workflow("order_batch", json!({"orders": [{"qty": 3, "unit": 4}]}))
        .await;
    let wf = s.workflow(&single).await;
    assert_eq!(
        fermata_tests::latest(&wf, "total")["outputData"]["result"],
        12
    );
}

#[tokio::test]
async fn a_javascript_expression_that_does_not_parse_is_refused_at_registration() {
    let s = Server::start().await;
    let r = s
        .post(
            "/metadata/workflow",
            json!({"name": "bad_js", "tasks": [
                {"name": "s", "taskReferenceName": "s", "type": "SWITCH", "evaluatorType": "javascript",
                 "expression": "$.a > ", "decisionCases": {"x": [simple("x")]}},
                {"name": "d", "taskReferenceName": "d", "type": "DECISION", "caseExpression": "if (",
                 "decisionCases": {"y": [simple("y")]}}]}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let errors = r.json()["validationErrors"].clone();
    let messages: Vec<&str> = errors
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].starts_with("Expression is not well formatted: SyntaxError"));
    assert!(messages[0].ends_with(", taskType: SWITCH taskName s"));
    assert!(messages[1].ends_with(", taskType: DECISION taskName d"));
    // A script that parses is accepted even if it would loop: it is not run.
    let r = s
        .post(
            "/metadata/workflow",
            json!({"name": "good_js", "tasks": [
                {"name": "s", "taskReferenceName": "s", "type": "SWITCH", "evaluatorType": "javascript",
                 "expression": "while (true) {}", "decisionCases": {"x": [simple("x")]}}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}
