//! The operators, ported from Conductor's own scenarios (conductor-operators §17.1): the task
//! lists and statuses, in seq order, are the contract.

use super::*;

/// SIMPLE task `r` (definition `r`, no retries).
fn t(r: &str) -> Value {
    json!({"name": r, "taskReferenceName": r, "taskDefinition": {"name": r, "retryCount": 0}})
}

fn flow(tasks: Value) -> WorkflowDef {
    def(json!({"name": "ops", "version": 1, "tasks": tasks}))
}

fn go(env: &mut TestEnv, tasks: Value, input: Value) -> Workflow {
    let mut new = new_workflow(flow(tasks));
    new.input = input.as_object().cloned().unwrap_or_default();
    start(new, env).unwrap().0
}

fn fail_ref(wf: &mut Workflow, env: &mut TestEnv, reference: &str) {
    let id = open_id(wf, reference);
    apply(wf, fail(&id, TaskResultStatus::Failed, "boom"), env).unwrap();
}

fn types(wf: &Workflow) -> Vec<&str> {
    wf.tasks.iter().map(|t| t.task_type.as_str()).collect()
}

fn task<'a>(wf: &'a Workflow, reference: &str) -> &'a Task {
    wf.last_task_by_ref(reference).unwrap()
}

use TaskStatus::{
    Canceled, Completed, CompletedWithErrors, Failed, FailedWithTerminalError, InProgress,
    Scheduled,
};

// ---- SWITCH / DECISION (SwitchTaskSpec, DecisionTaskSpec) ----

fn switch(kind: &str, cases: Value, default: Value) -> Value {
    let mut sw = json!({"name": "sw", "taskReferenceName": "sw", "type": kind,
        "inputParameters": {"c": "${workflow.input.case}"}, "decisionCases": cases});
    if kind == "SWITCH" {
        sw["evaluatorType"] = json!("value-param");
        sw["expression"] = json!("c");
    } else {
        sw["caseValueParam"] = json!("c");
    }
    if !default.is_null() {
        sw["defaultCase"] = default;
    }
    sw
}

#[test]
fn a_switch_completes_when_created_and_its_case_runs_then_the_task_after_it() {
    let mut env = TestEnv::new();
    let tasks = json!([
        switch(
            "SWITCH",
            json!({"a": [t("t1"), t("t2")]}),
            json!([t("t10")])
        ),
        t("t20")
    ]);
    let mut wf = go(&mut env, tasks, json!({"case": "a"}));
    assert_eq!(statuses(&wf), st(&[("sw", Completed), ("t1", Scheduled)]));
    let sw = &wf.tasks[0];
    assert_eq!(sw.output_data["evaluationResult"], json!(["a"]));
    assert_eq!(sw.output_data["selectedCase"], json!("a"));
    assert_eq!(sw.input_data["hasChildren"], json!("true"));
    complete(&mut wf, &mut env, "t1", json!({}));
    complete(&mut wf, &mut env, "t2", json!({}));
    complete(&mut wf, &mut env, "t20", json!({}));
    assert_eq!(wf.status, WorkflowStatus::Completed);
    assert_eq!(wf.tasks.len(), 4);
}

#[test]
fn without_a_match_the_default_runs_and_without_a_default_the_flow_goes_on() {
    let mut env = TestEnv::new();
    let tasks = json!([
        switch("SWITCH", json!({"a": [t("t1")]}), json!([t("t10")])),
        t("t20")
    ]);
    let wf = go(&mut env, tasks.clone(), json!({"case": "xxx"}));
    assert_eq!(statuses(&wf), st(&[("sw", Completed), ("t10", Scheduled)]));
    let tasks = json!([
        switch("SWITCH", json!({"a": [t("t1")]}), Value::Null),
        t("t20")
    ]);
    let wf = go(&mut env, tasks, json!({}));
    assert_eq!(wf.tasks[0].output_data["evaluationResult"], json!(["null"]));
    assert_eq!(statuses(&wf), st(&[("sw", Completed), ("t20", Scheduled)]));
}

#[test]
fn an_empty_case_runs_nothing_for_switch_but_falls_back_to_default_for_decision() {
    let mut env = TestEnv::new();
    let cases = json!({"a": []});
    let wf = go(
        &mut env,
        json!([switch("SWITCH", cases.clone(), json!([t("d")])), t("after")]),
        json!({"case": "a"}),
    );
    assert_eq!(
        statuses(&wf),
        st(&[("sw", Completed), ("after", Scheduled)])
    );
    let wf = go(
        &mut env,
        json!([switch("DECISION", cases, json!([t("d")])), t("after")]),
        json!({"case": "a"}),
    );
    assert_eq!(statuses(&wf), st(&[("sw", Completed), ("d", Scheduled)]));
    assert_eq!(wf.tasks[0].output_data["caseOutput"], json!(["a"]));
    assert_eq!(wf.tasks[0].task_def_name, "DECISION");
}

#[test]
fn nested_switches_expand_at_once() {
    let mut env = TestEnv::new();
    let inner = json!({"name": "in", "taskReferenceName": "in", "type": "SWITCH",
        "evaluatorType": "value-param", "expression": "x", "inputParameters": {"x": "${workflow.input.x}"},
        "decisionCases": {"one": [t("t1")], "two": [t("t2")]}});
    let tasks = json!([
        switch("SWITCH", json!({"nested": [inner]}), Value::Null),
        t("end")
    ]);
    let mut wf = go(&mut env, tasks, json!({"case": "nested", "x": "two"}));
    assert_eq!(types(&wf), ["SWITCH", "SWITCH", "t2"]);
    complete(&mut wf, &mut env, "t2", json!({}));
    assert_eq!(statuses(&wf)[3], ("end".to_string(), Scheduled));
}

#[test]
fn a_javascript_switch_picks_the_case_its_script_returns() {
    let mut env = TestEnv::new();
    env.scripts.insert("$.n > 1 ? 'many' : 'one'", |i| {
        json!(if i["n"].as_i64().unwrap_or(0) > 1 {
            "many"
        } else {
            "one"
        })
    });
    let sw = json!({"name": "sw", "taskReferenceName": "sw", "type": "SWITCH", "evaluatorType": "graaljs",
        "expression": "$.n > 1 ? 'many' : 'one'", "inputParameters": {"n": "${workflow.input.n}"},
        "decisionCases": {"many": [t("m")], "one": [t("o")]}});
    let wf = go(&mut env, json!([sw]), json!({"n": 5}));
    assert_eq!(statuses(&wf), st(&[("sw", Completed), ("m", Scheduled)]));
}

#[test]
fn a_switch_whose_script_fails_is_created_failed_and_fails_the_workflow() {
    let mut env = TestEnv::new();
    let sw = json!({"name": "sw", "taskReferenceName": "sw", "type": "SWITCH", "evaluatorType": "javascript",
        "expression": "nonsense(", "decisionCases": {"a": [t("a")]}});
    let wf = go(&mut env, json!([sw]), json!({}));
    assert_eq!(statuses(&wf), st(&[("sw", Failed)]));
    assert_eq!(wf.status, WorkflowStatus::Failed);
    let reason = wf.reason_for_incompletion.clone().unwrap();
    assert!(
        reason.contains("Error evaluating the script `nonsense(`"),
        "{reason}"
    );
}

#[test]
fn an_unknown_evaluator_fails_the_workflow_without_a_task() {
    let mut env = TestEnv::new();
    let sw = json!({"name": "sw", "taskReferenceName": "sw", "type": "SWITCH", "evaluatorType": "python",
        "expression": "x", "decisionCases": {"a": [t("a")]}});
    let wf = go(&mut env, json!([sw]), json!({}));
    assert!(wf.tasks.is_empty());
    assert_eq!(wf.status, WorkflowStatus::Failed);
    assert_eq!(
        wf.reason_for_incompletion.as_deref(),
        Some("No evaluator registered for type: python")
    );
}

// ---- FORK_JOIN / JOIN (ForkJoinSpec, TestJoin) ----

fn fork(branches: Value, join_on: Value) -> Value {
    json!([
        {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": branches},
        {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": join_on},
        t("t4")
    ])
}

#[test]
fn a_fork_creates_its_branches_and_join_together_and_the_join_waits_for_all() {
    let mut env = TestEnv::new();
    let tasks = fork(json!([[t("t1"), t("t3")], [t("t2")]]), json!(["t3", "t2"]));
    let mut wf = go(&mut env, tasks, json!({}));
    assert_eq!(types(&wf), ["FORK", "t1", "t2", "JOIN"]);
    assert_eq!(
        statuses(&wf),
        st(&[
            ("fork", Completed),
            ("t1", Scheduled),
            ("t2", Scheduled),
            ("join", InProgress)
        ])
    );
    assert_eq!(wf.tasks[3].input_data["joinOn"], json!(["t3", "t2"]));
    complete(&mut wf, &mut env, "t1", json!({}));
    assert_eq!(task(&wf, "t3").status, Scheduled, "the branch goes on");
    assert_eq!(task(&wf, "join").status, InProgress);
    complete(&mut wf, &mut env, "t2", json!({"b": 2}));
    complete(&mut wf, &mut env, "t3", json!({"a": 1}));
    assert_eq!(task(&wf, "join").status, Completed);
    assert_eq!(
        Value::Object(task(&wf, "join").output_data.clone()),
        json!({"t3": {"a": 1}, "t2": {"b": 2}})
    );
    complete(&mut wf, &mut env, "t4", json!({}));
    assert_eq!(wf.status, WorkflowStatus::Completed);
}

#[test]
fn a_failed_branch_fails_the_workflow_and_cancels_the_join_and_the_other_branch() {
    let mut env = TestEnv::new();
    let tasks = fork(json!([[t("t1"), t("t3")], [t("t2")]]), json!(["t3", "t2"]));
    let mut wf = go(&mut env, tasks, json!({}));
    complete(&mut wf, &mut env, "t1", json!({}));
    fail_ref(&mut wf, &mut env, "t2");
    assert_eq!(wf.status, WorkflowStatus::Failed);
    assert_eq!(
        statuses(&wf),
        st(&[
            ("fork", Completed),
            ("t1", Completed),
            ("t2", Failed),
            ("join", Canceled),
            ("t3", Canceled)
        ])
    );
}

#[test]
fn retrying_a_failed_fork_reopens_the_join_in_place_and_recreates_failed_and_canceled_tasks() {
    let mut env = TestEnv::new();
    let tasks = fork(json!([[t("t1"), t("t3")], [t("t2")]]), json!(["t3", "t2"]));
    let mut wf = go(&mut env, tasks, json!({}));
    complete(&mut wf, &mut env, "t1", json!({}));
    fail_ref(&mut wf, &mut env, "t2");
    let join_id = task(&wf, "join").task_id.clone();
    apply(
        &mut wf,
        Event::Retry {
            resume_subworkflow_tasks: false,
        },
        &mut env,
    )
    .unwrap();
    assert_eq!(
        statuses(&wf),
        st(&[
            ("fork", Completed),
            ("t1", Completed),
            ("t2", Failed),
            ("join", InProgress),
            ("t3", Canceled),
            ("t2", Scheduled),
            ("t3", Scheduled)
        ])
    );
    assert_eq!(task(&wf, "join").task_id, join_id, "in place");
    complete(&mut wf, &mut env, "t2", json!({}));
    complete(&mut wf, &mut env, "t3", json!({}));
    complete(&mut wf, &mut env, "t4", json!({}));
    assert_eq!(wf.status, WorkflowStatus::Completed);
    assert_eq!(wf.tasks.len(), 8);
}

#[test]
fn a_permissive_branch_failure_waits_for_every_branch_then_fails_the_join() {
    let mut env = TestEnv::new();
    let mut t1 = t("t1");
    t1["permissive"] = json!(true);
    let tasks = fork(json!([[t1], [t("t2")]]), json!(["t1", "t2"]));
    let mut wf = go(&mut env, tasks, json!({}));
    fail_ref(&mut wf, &mut env, "t1");
    assert_eq!(wf.status, WorkflowStatus::Running);
    assert_eq!(task(&wf, "join").status, InProgress);
    complete(&mut wf, &mut env, "t2", json!({}));
    assert_eq!(task(&wf, "join").status, Failed);
    assert_eq!(wf.status, WorkflowStatus::Failed);
}

#[test]
fn an_optional_branch_failure_completes_the_join_with_errors() {
    let mut env = TestEnv::new();
    let mut t1 = t("t1");
    t1["optional"] = json!(true);
    let tasks = fork(json!([[t1], [t("t2")]]), json!(["t1", "t2"]));
    let mut wf = go(&mut env, tasks, json!({}));
    fail_ref(&mut wf, &mut env, "t1");
    complete(&mut wf, &mut env, "t2", json!({}));
    assert_eq!(task(&wf, "t1").status, CompletedWithErrors);
    assert_eq!(task(&wf, "join").status, CompletedWithErrors);
    complete(&mut wf, &mut env, "t4", json!({}));
    assert_eq!(wf.status, WorkflowStatus::Completed);
}

#[test]
fn a_fork_not_followed_by_a_join_fails_the_workflow() {
    let mut env = TestEnv::new();
    let tasks = json!([{"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN", "forkTasks": [[t("a")]]}]);
    let wf = go(&mut env, tasks, json!({}));
    assert_eq!(wf.status, WorkflowStatus::Failed);
    assert_eq!(
        wf.reason_for_incompletion.as_deref(),
        Some("Fork task definition is not followed by a join task.  Check the blueprint")
    );
}

#[test]
fn pause_holds_every_branch_and_resume_continues_them() {
    let mut env = TestEnv::new();
    let tasks = fork(json!([[t("t1"), t("t3")], [t("t2")]]), json!(["t3", "t2"]));
    let mut wf = go(&mut env, tasks, json!({}));
    apply(&mut wf, Event::Pause, &mut env).unwrap();
    complete(&mut wf, &mut env, "t1", json!({}));
    assert!(
        wf.last_task_by_ref("t3").is_none(),
        "nothing new while paused"
    );
    apply(&mut wf, Event::Resume, &mut env).unwrap();
    assert_eq!(task(&wf, "t3").status, Scheduled);
}

#[test]
fn rerun_from_a_branch_task_removes_what_came_after_and_reopens_the_join() {
    let mut env = TestEnv::new();
    let tasks = fork(json!([[t("t1"), t("t3")], [t("t2")]]), json!(["t3", "t2"]));
    let mut wf = go(&mut env, tasks, json!({}));
    complete(&mut wf, &mut env, "t2", json!({}));
    complete(&mut wf, &mut env, "t1", json!({}));
    complete(&mut wf, &mut env, "t3", json!({}));
    complete(&mut wf, &mut env, "t4", json!({}));
    assert_eq!(wf.status, WorkflowStatus::Completed);
    let t1 = task(&wf, "t1").task_id.clone();
    let request = RerunWorkflowRequest {
        re_run_from_task_id: Some(t1),
        ..Default::default()
    };
    apply(&mut wf, Event::Rerun(request), &mut env).unwrap();
    assert_eq!(wf.status, WorkflowStatus::Running);
    assert_eq!(task(&wf, "t1").status, Scheduled);
    assert!(wf.last_task_by_ref("t3").is_none());
    assert!(wf.last_task_by_ref("t4").is_none());
    assert_eq!(task(&wf, "t2").status, Completed, "the other branch stays");
    assert_eq!(task(&wf, "join").status, InProgress, "the join waits again");
    complete(&mut wf, &mut env, "t1", json!({}));
    complete(&mut wf, &mut env, "t3", json!({}));
    assert_eq!(task(&wf, "join").status, Completed);
    complete(&mut wf, &mut env, "t4", json!({}));
    assert_eq!(wf.status, WorkflowStatus::Completed);
}

#[test]
fn skipping_a_case_head_continues_with_its_successor() {
    let mut env = TestEnv::new();
    let tasks = json!([
        t("first"),
        switch("SWITCH", json!({"a": [t("t1"), t("t2")]}), Value::Null)
    ]);
    let mut wf = go(&mut env, tasks, json!({"case": "a"}));
    apply(
        &mut wf,
        Event::SkipTask {
            reference: "t1".into(),
            request: Default::default(),
        },
        &mut env,
    )
    .unwrap();
    complete(&mut wf, &mut env, "first", json!({}));
    assert_eq!(task(&wf, "t2").status, Scheduled);
    assert!(
        wf.tasks
            .iter()
            .all(|t| t.reference_task_name != "t1" || t.status == TaskStatus::Skipped)
    );
}

// ---- FORK_JOIN_DYNAMIC (DynamicForkJoinSpec) ----

fn dynamic() -> Value {
    json!([
        t("producer"),
        {"name": "dyn", "taskReferenceName": "dyn", "type": "FORK_JOIN_DYNAMIC",
         "dynamicForkTasksParam": "dynamicTasks", "dynamicForkTasksInputParamName": "dynamicTasksInput",
         "inputParameters": {"dynamicTasks": "${producer.output.tasks}", "dynamicTasksInput": "${producer.output.inputs}"}},
        {"name": "dynamicfanouttask_join", "taskReferenceName": "dynamicfanouttask_join", "type": "JOIN"},
        t("last")
    ])
}

#[test]
fn a_dynamic_fork_creates_the_listed_tasks_with_their_inputs_and_joins_on_them() {
    let mut env = TestEnv::new();
    let mut wf = go(&mut env, dynamic(), json!({}));
    complete(
        &mut wf,
        &mut env,
        "producer",
        json!({
        "tasks": [{"name": "x", "taskReferenceName": "xdt1"}, {"name": "x", "taskReferenceName": "xdt2"}],
        "inputs": {"xdt1": {"k": 1}, "xdt2": {"k": 2}}}),
    );
    assert_eq!(types(&wf), ["producer", "FORK", "x", "x", "JOIN"]);
    let join = task(&wf, "dynamicfanouttask_join");
    assert_eq!(join.input_data["joinOn"], json!(["xdt1", "xdt2"]));
    assert_eq!(task(&wf, "xdt2").input_data["k"], json!(2));
    assert!(task(&wf, "dyn").executed);
    complete(&mut wf, &mut env, "xdt1", json!({"ok1": "ov1"}));
    complete(&mut wf, &mut env, "xdt2", json!({}));
    let join = task(&wf, "dynamicfanouttask_join");
    assert_eq!(join.status, Completed);
    assert_eq!(
        Value::Object(join.output_data.clone()),
        json!({"xdt1": {"ok1": "ov1"}})
    );
    assert_eq!(task(&wf, "last").status, Scheduled);
}

#[test]
fn a_dynamic_fork_with_input_that_is_not_a_map_fails_the_workflow() {
    let mut env = TestEnv::new();
    let mut wf = go(&mut env, dynamic(), json!({}));
    complete(
        &mut wf,
        &mut env,
        "producer",
        json!({
        "tasks": [{"name": "x", "taskReferenceName": "xdt1"}], "inputs": {"xdt1": "nope"}}),
    );
    assert_eq!(wf.status, WorkflowStatus::Failed);
    assert_eq!(types(&wf), ["producer"]);
    assert!(
        wf.reason_for_incompletion
            .unwrap()
            .starts_with("Tasks could not be dynamically forked due to invalid input")
    );
}

#[test]
fn a_dynamic_fork_with_no_tasks_list_fails_as_conductor_words_it() {
    let mut env = TestEnv::new();
    let mut wf = go(&mut env, dynamic(), json!({}));
    complete(&mut wf, &mut env, "producer", json!({"inputs": {}}));
    assert_eq!(wf.status, WorkflowStatus::Failed);
    assert!(
        wf.reason_for_incompletion
            .unwrap()
            .starts_with("Input 'dynamicTasks' is invalid")
    );
}

#[test]
fn an_empty_dynamic_fork_joins_on_nothing_and_goes_on() {
    let mut env = TestEnv::new();
    let mut wf = go(&mut env, dynamic(), json!({}));
    complete(
        &mut wf,
        &mut env,
        "producer",
        json!({"tasks": [], "inputs": {}}),
    );
    assert_eq!(task(&wf, "dynamicfanouttask_join").status, Completed);
    assert_eq!(task(&wf, "last").status, Scheduled);
}

#[test]
fn retrying_a_failed_dynamic_fork_recreates_the_failed_and_canceled_forks() {
    let mut env = TestEnv::new();
    let mut wf = go(&mut env, dynamic(), json!({}));
    complete(
        &mut wf,
        &mut env,
        "producer",
        json!({
        "tasks": [{"name": "x", "taskReferenceName": "xdt1"}, {"name": "x", "taskReferenceName": "xdt2"}],
        "inputs": {}}),
    );
    for t in wf.tasks.iter_mut() {
        if let Some(def) = t.task_definition.as_mut() {
            def.retry_count = 0;
        } else if t.task_type == "x" {
            let mut def = TaskDef::named("x");
            def.retry_count = 0;
            t.task_definition = Some(def);
        }
    }
    fail_ref(&mut wf, &mut env, "xdt1");
    assert_eq!(wf.status, WorkflowStatus::Failed);
    assert_eq!(task(&wf, "xdt2").status, Canceled);
    apply(
        &mut wf,
        Event::Retry {
            resume_subworkflow_tasks: false,
        },
        &mut env,
    )
    .unwrap();
    assert_eq!(wf.tasks.len(), 7);
    assert_eq!(task(&wf, "dynamicfanouttask_join").status, InProgress);
    complete(&mut wf, &mut env, "xdt1", json!({}));
    complete(&mut wf, &mut env, "xdt2", json!({}));
    complete(&mut wf, &mut env, "last", json!({}));
    assert_eq!(wf.status, WorkflowStatus::Completed);
}

// ---- DO_WHILE (DoWhileSpec, DoWhileTest) ----

fn counted_loop(body: Value, extra: Value) -> Value {
    let mut lp = json!({"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE",
        "loopCondition": "$.loop['iteration'] < $.n", "inputParameters": {"n": "${workflow.input.n}"},
        "loopOver": body});
    if let (Value::Object(lp), Value::Object(extra)) = (&mut lp, extra) {
        lp.extend(extra);
    }
    json!([lp, t("after")])
}

fn loop_env() -> TestEnv {
    let mut env = TestEnv::new();
    env.scripts.insert("$.loop['iteration'] < $.n", |i| {
        json!(i["loop"]["iteration"].as_i64().unwrap_or(0) < i["n"].as_i64().unwrap_or(0))
    });
    env.scripts
        .insert("$.i * 2", |i| json!(i["i"].as_i64().unwrap_or(0) * 2));
    env
}

#[test]
fn a_loop_runs_its_body_as_ref_n_until_the_condition_is_false() {
    let mut env = loop_env();
    let mut wf = go(
        &mut env,
        counted_loop(json!([t("a"), t("b")]), json!({})),
        json!({"n": 2}),
    );
    assert_eq!(
        statuses(&wf),
        st(&[("loop", InProgress), ("a__1", Scheduled)])
    );
    assert_eq!((wf.tasks[1].iteration, wf.tasks[0].iteration), (1, 1));
    complete(&mut wf, &mut env, "a", json!({"x": 1}));
    complete(&mut wf, &mut env, "b__1", json!({}));
    assert_eq!(task(&wf, "a__2").status, Scheduled);
    complete(&mut wf, &mut env, "a__2", json!({"x": 2}));
    complete(&mut wf, &mut env, "b__2", json!({}));
    let lp = task(&wf, "loop");
    assert_eq!(lp.status, Completed);
    assert_eq!(lp.output_data["iteration"], json!(2));
    assert_eq!(lp.output_data["2"]["a"], json!({"x": 2}));
    assert_eq!(task(&wf, "after").iteration, 0);
    assert_eq!(task(&wf, "after").status, Scheduled);
}

#[test]
fn a_loop_of_sync_tasks_runs_every_iteration_inside_the_start() {
    let mut env = loop_env();
    let body = json!([{"name": "double", "taskReferenceName": "double", "type": "INLINE",
        "inputParameters": {"i": "${loop.output.iteration}", "expression": "$.i * 2"}}]);
    let wf = go(&mut env, counted_loop(body, json!({})), json!({"n": 500}));
    assert_eq!(task(&wf, "loop").status, Completed);
    assert_eq!(wf.tasks.len(), 502);
    assert_eq!(task(&wf, "double__500").output_data["result"], json!(1000));
    assert_eq!(task(&wf, "loop").iteration, 500);
}

#[test]
fn keep_last_n_drops_old_iterations_from_the_output_and_the_execution() {
    let mut env = loop_env();
    let body = json!([{"name": "double", "taskReferenceName": "double", "type": "INLINE",
        "inputParameters": {"i": "${loop.output.iteration}", "expression": "$.i * 2"}}]);
    let mut tasks = counted_loop(body, json!({}));
    tasks[0]["inputParameters"]["keepLastN"] = json!(2);
    let wf = go(&mut env, tasks, json!({"n": 5}));
    let lp = task(&wf, "loop");
    assert_eq!(lp.status, Completed);
    let mut keys: Vec<&String> = lp
        .output_data
        .keys()
        .filter(|k| k.parse::<i32>().is_ok())
        .collect();
    keys.sort();
    assert_eq!(keys, ["4", "5"]);
    assert_eq!(wf.tasks.len(), 1 + 2 + 1);
}

#[test]
fn an_empty_list_completes_the_loop_at_iteration_zero() {
    let mut env = loop_env();
    let tasks = json!([{"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopCondition": "",
        "items": "${workflow.input.items}", "loopOver": [t("a")]}, t("after")]);
    let wf = go(&mut env, tasks, json!({"items": []}));
    assert_eq!(
        statuses(&wf),
        st(&[("loop", Completed), ("after", Scheduled)])
    );
    assert_eq!(task(&wf, "loop").output_data["iteration"], json!(0));
}

#[test]
fn a_failed_body_task_cancels_the_loop_and_retry_resumes_the_same_iteration() {
    let mut env = loop_env();
    let mut wf = go(
        &mut env,
        counted_loop(json!([t("a")]), json!({})),
        json!({"n": 3}),
    );
    complete(&mut wf, &mut env, "a__1", json!({}));
    fail_ref(&mut wf, &mut env, "a__2");
    assert_eq!(wf.status, WorkflowStatus::Failed);
    assert_eq!(task(&wf, "loop").status, Canceled);
    apply(
        &mut wf,
        Event::Retry {
            resume_subworkflow_tasks: false,
        },
        &mut env,
    )
    .unwrap();
    assert_eq!(task(&wf, "loop").status, InProgress);
    assert_eq!(task(&wf, "loop").iteration, 2);
    assert_eq!(task(&wf, "a__2").status, Scheduled);
    assert_eq!(task(&wf, "a__2").retry_count, 1);
    complete(&mut wf, &mut env, "a__2", json!({}));
    complete(&mut wf, &mut env, "a__3", json!({}));
    complete(&mut wf, &mut env, "after", json!({}));
    assert_eq!(wf.status, WorkflowStatus::Completed);
}

#[test]
fn a_condition_that_fails_ends_the_loop_with_a_terminal_error() {
    let mut env = TestEnv::new();
    let mut wf = go(
        &mut env,
        counted_loop(json!([t("a")]), json!({})),
        json!({"n": 3}),
    );
    complete(&mut wf, &mut env, "a__1", json!({}));
    assert_eq!(task(&wf, "loop").status, FailedWithTerminalError);
    assert!(
        task(&wf, "loop")
            .reason_for_incompletion
            .as_deref()
            .unwrap()
            .starts_with("Unable to evaluate condition")
    );
    assert_eq!(wf.status, WorkflowStatus::Failed);
}

// ---- TERMINATE, SET_VARIABLE, NOOP, HUMAN, DYNAMIC ----

fn terminate(status: &str, output: Value) -> Value {
    json!({"name": "stop", "taskReferenceName": "stop", "type": "TERMINATE",
        "inputParameters": {"terminationStatus": status, "workflowOutput": output}})
}

#[test]
fn terminate_completed_ends_with_its_output_and_a_reason() {
    let mut env = TestEnv::new();
    let mut d = flow(json!([
        t("a"),
        terminate("COMPLETED", json!("${a.output.v}")),
        t("never")
    ]));
    d.output_parameters = json!({"o": 1}).as_object().cloned().unwrap();
    let (mut wf, _) = started(&mut env, d);
    complete(&mut wf, &mut env, "a", json!({"v": "x"}));
    assert_eq!(wf.status, WorkflowStatus::Completed);
    assert_eq!(Value::Object(wf.output.clone()), json!({"output": "x"}));
    assert!(
        wf.reason_for_incompletion
            .as_deref()
            .unwrap()
            .starts_with("Workflow is COMPLETED by TERMINATE task: ")
    );
    assert!(wf.last_task_by_ref("never").is_none());
}

#[test]
fn terminate_failed_in_a_branch_cancels_the_other_branches_and_starts_the_failure_workflow() {
    let mut env = TestEnv::new();
    env.defs
        .insert("on_failure".into(), flow(json!([t("cleanup")])));
    let mut d = flow(fork(
        json!([[t("a"), terminate("FAILED", json!({"why": "x"}))], [t("b")]]),
        json!(["stop", "b"]),
    ));
    d.failure_workflow = Some("on_failure".into());
    let (mut wf, _) = started(&mut env, d);
    let out = complete(&mut wf, &mut env, "a", json!({}));
    assert_eq!(wf.status, WorkflowStatus::Failed);
    assert_eq!(task(&wf, "b").status, Canceled);
    assert_eq!(task(&wf, "join").status, Canceled);
    assert_eq!(
        wf.failed_task_id.as_deref(),
        Some(task(&wf, "stop").task_id.as_str())
    );
    assert!(
        out.effects
            .iter()
            .any(|e| matches!(e, Effect::StartWorkflow(_)))
    );
}

#[test]
fn set_variable_merges_into_the_variables_the_next_task_sees() {
    let mut env = TestEnv::new();
    let tasks = json!([
        {"name": "sv", "taskReferenceName": "sv", "type": "SET_VARIABLE", "inputParameters": {"v": "${workflow.input.v}"}},
        {"name": "use", "taskReferenceName": "use", "inputParameters": {"seen": "${workflow.variables.v}"}}
    ]);
    let wf = go(&mut env, tasks, json!({"v": 5}));
    assert_eq!(Value::Object(wf.variables.clone()), json!({"v": 5}));
    assert_eq!(task(&wf, "use").input_data["seen"], json!(5));
}

#[test]
fn set_variable_over_the_size_limit_fails_terminally_and_keeps_the_old_variables() {
    let mut env = TestEnv::new();
    let tasks = json!([{"name": "sv", "taskReferenceName": "sv", "type": "SET_VARIABLE",
        "inputParameters": {"big": "${workflow.input.big}"}}]);
    let wf = go(&mut env, tasks, json!({"big": "x".repeat(300 * 1024)}));
    assert_eq!(task(&wf, "sv").status, FailedWithTerminalError);
    assert!(
        task(&wf, "sv")
            .reason_for_incompletion
            .as_deref()
            .unwrap()
            .contains("is greater than the permissible limit: 256 kilobytes")
    );
    assert!(wf.variables.is_empty());
}

#[test]
fn noop_completes_and_human_waits_for_an_update() {
    let mut env = TestEnv::new();
    let tasks = json!([
        {"name": "n", "taskReferenceName": "n", "type": "NOOP", "inputParameters": {"x": 1}},
        {"name": "h", "taskReferenceName": "h", "type": "HUMAN"}
    ]);
    let mut wf = go(&mut env, tasks, json!({}));
    assert_eq!(statuses(&wf), st(&[("n", Completed), ("h", InProgress)]));
    assert!(task(&wf, "n").input_data.is_empty());
    complete(&mut wf, &mut env, "h", json!({"ok": true}));
    assert_eq!(wf.status, WorkflowStatus::Completed);
}

#[test]
fn dynamic_runs_the_task_its_input_names() {
    let mut env = TestEnv::new();
    let tasks = json!([{"name": "d", "taskReferenceName": "d", "type": "DYNAMIC",
        "dynamicTaskNameParam": "which", "inputParameters": {"which": "${workflow.input.task}"}}]);
    let wf = go(&mut env, tasks, json!({"task": "resize"}));
    let d = task(&wf, "d");
    assert_eq!(
        (d.task_type.as_str(), d.task_def_name.as_str()),
        ("resize", "resize")
    );
    assert_eq!(queue_name(d).as_deref(), Some("resize"));
    let wf = go(
        &mut env,
        json!([{"name": "d", "taskReferenceName": "d", "type": "DYNAMIC",
        "dynamicTaskNameParam": "which", "inputParameters": {}}]),
        json!({}),
    );
    assert_eq!(wf.status, WorkflowStatus::Failed);
}

#[test]
fn update_by_reference_reaches_the_current_loop_iteration() {
    let mut env = loop_env();
    let mut wf = go(
        &mut env,
        counted_loop(json!([t("a")]), json!({})),
        json!({"n": 2}),
    );
    complete(&mut wf, &mut env, "a", json!({}));
    assert_eq!(
        pending_task_by_ref(&wf, "a").unwrap().reference_task_name,
        "a__2"
    );
}

#[test]
fn lambda_runs_its_function_body_and_fails_retriably() {
    let mut env = TestEnv::new();
    env.scripts.insert(
        "function scriptFun(){if ($.input.a == 1) { return {v: true} } else { return {v: false} }} scriptFun();",
        |i| json!({"v": i["input"]["a"] == json!(1)}),
    );
    let lambda = |script: &str| {
        json!([{"name": "l", "taskReferenceName": "l", "type": "LAMBDA",
            "inputParameters": {"input": "${workflow.input}", "scriptExpression": script}}])
    };
    let body = "if ($.input.a == 1) { return {v: true} } else { return {v: false} }";
    let wf = go(&mut env, lambda(body), json!({"a": 1}));
    assert_eq!(task(&wf, "l").output_data["result"], json!({"v": true}));
    assert_eq!(wf.status, WorkflowStatus::Completed);
    let wf = go(&mut env, lambda("nope"), json!({}));
    assert_eq!(task(&wf, "l").status, Failed);
    let wf = go(&mut env, lambda(" "), json!({}));
    assert!(
        task(&wf, "l")
            .reason_for_incompletion
            .as_deref()
            .unwrap()
            .starts_with("Empty 'scriptExpression'")
    );
}

#[test]
fn a_loop_longer_than_one_decision_asks_to_be_decided_again_and_goes_on() {
    let mut env = TestEnv::new();
    let items: Vec<i32> = (0..2_500).collect();
    let tasks = json!([{"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopCondition": "",
        "items": "${workflow.input.items}", "inputParameters": {"keepLastN": 1},
        "loopOver": [{"name": "sv", "taskReferenceName": "sv", "type": "SET_VARIABLE",
            "inputParameters": {"last": "${loop.output.loopItem}"}}]}]);
    let mut new = new_workflow(flow(tasks));
    new.input = json!({ "items": items }).as_object().cloned().unwrap();
    let (mut wf, fx) = start(new, &mut env).unwrap();
    assert!(fx.iter().any(|e| matches!(e, Effect::DecideAgain)));
    assert_eq!(task(&wf, "loop").status, InProgress);
    let out = apply(&mut wf, Event::Decide, &mut env).unwrap();
    assert!(!out.effects.iter().any(|e| matches!(e, Effect::DecideAgain)));
    assert_eq!(wf.status, WorkflowStatus::Completed);
    assert_eq!(wf.variables["last"], json!(2_499));
    assert_eq!(wf.tasks.len(), 2, "keepLastN 1 keeps one iteration");
}

#[test]
fn a_dynamic_fork_past_the_limit_fails_the_workflow() {
    let mut env = TestEnv::new();
    let items: Vec<Value> = (0..10_001).map(|i| json!({"i": i})).collect();
    let tasks = json!([
        {"name": "df", "taskReferenceName": "df", "type": "FORK_JOIN_DYNAMIC",
         "inputParameters": {"forkTaskName": "w", "forkTaskInputs": "${workflow.input.items}"}},
        {"name": "j", "taskReferenceName": "j", "type": "JOIN"}]);
    let wf = go(&mut env, tasks, json!({ "items": items }));
    assert_eq!(wf.status, WorkflowStatus::Failed);
    assert!(wf.tasks.is_empty());
    assert!(
        wf.reason_for_incompletion
            .unwrap()
            .contains("at most 10000")
    );
}

#[test]
fn a_reference_ending_in_digits_outside_a_loop_is_a_reference_like_any_other() {
    let mut env = TestEnv::new();
    let mut wf = go(&mut env, json!([t("fetch__1"), t("b")]), json!({}));
    complete(&mut wf, &mut env, "fetch__1", json!({}));
    assert_eq!(task(&wf, "b").status, Scheduled);
}

#[test]
fn a_pure_plugin_waits_for_its_start_delay() {
    let mut env = loop_env();
    let tasks = json!([{"name": "d", "taskReferenceName": "d", "type": "INLINE", "startDelay": 60,
        "inputParameters": {"i": 2, "expression": "$.i * 2"}}]);
    let mut wf = go(&mut env, tasks, json!({}));
    assert_eq!(task(&wf, "d").status, Scheduled);
    assert_eq!(next_wake(&wf), Some(env.now + 60_000));
    env.advance(60);
    apply(&mut wf, Event::Decide, &mut env).unwrap();
    assert_eq!(task(&wf, "d").output_data["result"], json!(4));
}

#[test]
fn rerun_from_an_earlier_iteration_takes_the_loop_back_to_it() {
    let mut env = loop_env();
    let mut wf = go(
        &mut env,
        counted_loop(json!([t("a")]), json!({})),
        json!({"n": 3}),
    );
    for r in ["a__1", "a__2", "a__3", "after"] {
        complete(&mut wf, &mut env, r, json!({"r": r}));
    }
    assert_eq!(wf.status, WorkflowStatus::Completed);
    let a2 = task(&wf, "a__2").task_id.clone();
    let request = RerunWorkflowRequest {
        re_run_from_task_id: Some(a2),
        ..Default::default()
    };
    apply(&mut wf, Event::Rerun(request), &mut env).unwrap();
    assert_eq!(
        statuses(&wf),
        st(&[
            ("loop", InProgress),
            ("a__1", Completed),
            ("a__2", Scheduled)
        ])
    );
    assert_eq!(task(&wf, "loop").iteration, 2);
    assert!(task(&wf, "loop").output_data.get("3").is_none());
    complete(&mut wf, &mut env, "a__2", json!({}));
    complete(&mut wf, &mut env, "a__3", json!({}));
    complete(&mut wf, &mut env, "after", json!({}));
    assert_eq!(wf.status, WorkflowStatus::Completed);
    assert_eq!(task(&wf, "loop").output_data["iteration"], json!(3));
}

#[test]
fn rerun_from_a_dynamically_forked_task_keeps_the_other_forks_and_the_join() {
    let mut env = TestEnv::new();
    let mut wf = go(&mut env, dynamic(), json!({}));
    complete(
        &mut wf,
        &mut env,
        "producer",
        json!({
        "tasks": [{"name": "x", "taskReferenceName": "xdt1"}, {"name": "x", "taskReferenceName": "xdt2"}],
        "inputs": {}}),
    );
    complete(&mut wf, &mut env, "xdt1", json!({}));
    complete(&mut wf, &mut env, "xdt2", json!({}));
    complete(&mut wf, &mut env, "last", json!({}));
    assert_eq!(wf.status, WorkflowStatus::Completed);
    let x1 = task(&wf, "xdt1").task_id.clone();
    let request = RerunWorkflowRequest {
        re_run_from_task_id: Some(x1),
        ..Default::default()
    };
    apply(&mut wf, Event::Rerun(request), &mut env).unwrap();
    assert_eq!(
        statuses(&wf),
        st(&[
            ("producer", Completed),
            ("dyn", Completed),
            ("xdt1", Scheduled),
            ("xdt2", Completed),
            ("dynamicfanouttask_join", InProgress)
        ])
    );
    complete(&mut wf, &mut env, "xdt1", json!({}));
    complete(&mut wf, &mut env, "last", json!({}));
    assert_eq!(wf.status, WorkflowStatus::Completed);
}
