//! SUB_WORKFLOW (conductor-operators §5, §17.2): the child starts in the same commit, its
//! end reaches the parent as a message, a parent's end terminates it, a child that runs again
//! revives its parent. Messages are effects here; the host delivers them.

use super::*;

fn t(r: &str) -> Value {
    json!({"name": r, "taskReferenceName": r, "taskDefinition": {"name": r, "retryCount": 0}})
}

fn sub(reference: &str, params: Value) -> Value {
    json!({"name": reference, "taskReferenceName": reference, "type": "SUB_WORKFLOW",
        "subWorkflowParam": params, "inputParameters": {"x": "${workflow.input.x}"}})
}

fn env_with_child() -> TestEnv {
    let mut env = TestEnv::new();
    env.defs.insert(
        "leaf".into(),
        def(json!({"name": "leaf", "version": 3, "tasks": [t("work")]})),
    );
    env
}

fn parent(env: &mut TestEnv, tasks: Value) -> (Workflow, Vec<Effect>) {
    let mut new = new_workflow(def(json!({"name": "root", "version": 1, "tasks": tasks})));
    new.input = json!({"x": 1}).as_object().cloned().unwrap();
    start(new, env).unwrap()
}

fn started_children(fx: &[Effect]) -> Vec<&NewWorkflow> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::StartWorkflow(n) => Some(n.as_ref()),
            _ => None,
        })
        .collect()
}

fn sent(fx: &[Effect]) -> Vec<&Message> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Send(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn ended(task: &str, child: &str, status: WorkflowStatus, output: Value) -> Event {
    Event::Deliver {
        from: String::new(),
        body: MessageBody::ChildEnded {
            task_id: task.into(),
            child: ChildResult {
                workflow_id: child.into(),
                name: "leaf".into(),
                version: 3,
                status,
                output: output.as_object().cloned().unwrap_or_default(),
                reason: Some("why".into()),
            },
        },
    }
}

#[test]
fn a_sub_workflow_starts_its_child_in_the_same_decision_and_waits_for_it() {
    let mut env = env_with_child();
    let (wf, fx) = parent(
        &mut env,
        json!([sub("s", json!({"name": "leaf"})), t("after")]),
    );
    let children = started_children(&fx);
    assert_eq!(children.len(), 1);
    let child = children[0];
    let task = &wf.tasks[0];
    assert_eq!(task.status, TaskStatus::InProgress);
    assert_eq!(
        task.sub_workflow_id.as_deref(),
        Some(child.workflow_id.as_str())
    );
    assert_eq!(task.output_data["subWorkflowId"], json!(child.workflow_id));
    assert_eq!(
        task.input_data["subWorkflowVersion"],
        json!(3),
        "pinned to the latest"
    );
    assert_eq!(child.parent_workflow_id.as_deref(), Some("wf"));
    assert_eq!(
        child.parent_workflow_task_id.as_deref(),
        Some(task.task_id.as_str())
    );
    assert_eq!(child.correlation_id.as_deref(), Some("c1"), "the parent's");
    assert_eq!(Value::Object(child.input.clone()), json!({"x": 1}));
}

#[test]
fn the_childs_end_completes_the_task_with_its_output_and_the_parent_goes_on() {
    let mut env = env_with_child();
    let (mut wf, fx) = parent(
        &mut env,
        json!([sub("s", json!({"name": "leaf"})), t("after")]),
    );
    let child = started_children(&fx)[0].workflow_id.clone();
    let task = wf.tasks[0].task_id.clone();
    let event = ended(&task, &child, WorkflowStatus::Completed, json!({"r": 5}));
    apply(&mut wf, event, &mut env).unwrap();
    assert_eq!(wf.tasks[0].status, TaskStatus::Completed);
    assert_eq!(
        Value::Object(wf.tasks[0].output_data.clone()),
        json!({"subWorkflowId": child, "r": 5})
    );
    assert_eq!(wf.tasks[1].status, TaskStatus::Scheduled);
}

#[test]
fn a_terminated_child_cancels_the_task_and_terminates_the_parent() {
    let mut env = env_with_child();
    let (mut wf, fx) = parent(&mut env, json!([sub("s", json!({"name": "leaf"}))]));
    let child = started_children(&fx)[0].workflow_id.clone();
    let task = wf.tasks[0].task_id.clone();
    apply(
        &mut wf,
        ended(&task, &child, WorkflowStatus::Terminated, json!({})),
        &mut env,
    )
    .unwrap();
    assert_eq!(wf.tasks[0].status, TaskStatus::Canceled);
    assert_eq!(wf.status, WorkflowStatus::Terminated);
    assert!(
        wf.tasks[0]
            .reason_for_incompletion
            .as_deref()
            .unwrap()
            .starts_with(&format!("Sub workflow leaf.3/{child} failure reason: why"))
    );
}

#[test]
fn an_optional_sub_workflow_that_failed_lets_the_parent_go_on() {
    let mut env = env_with_child();
    let mut s = sub("s", json!({"name": "leaf"}));
    s["optional"] = json!(true);
    let (mut wf, fx) = parent(&mut env, json!([s, t("after")]));
    let child = started_children(&fx)[0].workflow_id.clone();
    let task = wf.tasks[0].task_id.clone();
    apply(
        &mut wf,
        ended(&task, &child, WorkflowStatus::Failed, json!({})),
        &mut env,
    )
    .unwrap();
    assert_eq!(wf.tasks[0].status, TaskStatus::CompletedWithErrors);
    assert_eq!(wf.tasks[1].status, TaskStatus::Scheduled);
}

#[test]
fn the_end_of_a_child_the_task_no_longer_waits_for_changes_nothing() {
    let mut env = env_with_child();
    let (mut wf, _) = parent(&mut env, json!([sub("s", json!({"name": "leaf"}))]));
    let task = wf.tasks[0].task_id.clone();
    let out = apply(
        &mut wf,
        ended(&task, "another", WorkflowStatus::Completed, json!({})),
        &mut env,
    )
    .unwrap();
    assert!(!out.changed);
    assert_eq!(wf.tasks[0].status, TaskStatus::InProgress);
}

#[test]
fn terminating_the_parent_tells_the_child_to_terminate() {
    let mut env = env_with_child();
    let (mut wf, fx) = parent(&mut env, json!([sub("s", json!({"name": "leaf"}))]));
    let child = started_children(&fx)[0].workflow_id.clone();
    let out = apply(
        &mut wf,
        Event::Terminate {
            reason: Some("stop".into()),
            trigger_failure_workflow: false,
        },
        &mut env,
    )
    .unwrap();
    let messages = sent(&out.effects);
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].to, child);
    assert_eq!(
        messages[0].body,
        MessageBody::Terminate {
            reason: "Parent workflow has been terminated with reason: stop".into()
        }
    );
}

fn child_workflow(env: &mut TestEnv) -> Workflow {
    let mut new = new_workflow(def(
        json!({"name": "leaf", "version": 3, "tasks": [t("work")]}),
    ));
    new.workflow_id = "child".into();
    new.parent_workflow_id = Some("wf".into());
    new.parent_workflow_task_id = Some("task-in-parent".into());
    start(new, env).unwrap().0
}

#[test]
fn a_child_that_ends_tells_its_parent_and_one_that_runs_again_revives_it() {
    let mut env = TestEnv::new();
    let mut child = child_workflow(&mut env);
    let id = open_id(&child, "work");
    let out = apply(
        &mut child,
        fail(&id, TaskResultStatus::Failed, "boom"),
        &mut env,
    )
    .unwrap();
    let messages = sent(&out.effects);
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].to, "wf");
    let MessageBody::ChildEnded {
        task_id,
        child: result,
    } = &messages[0].body
    else {
        panic!("{:?}", messages[0]);
    };
    assert_eq!(
        (task_id.as_str(), result.status),
        ("task-in-parent", WorkflowStatus::Failed)
    );
    let out = apply(
        &mut child,
        Event::Retry {
            resume_subworkflow_tasks: false,
        },
        &mut env,
    )
    .unwrap();
    assert_eq!(
        sent(&out.effects)[0].body,
        MessageBody::Revive {
            task_id: "task-in-parent".into(),
            child_id: "child".into(),
            operation: "retried".into()
        }
    );
}

#[test]
fn a_revived_sub_workflow_task_puts_its_workflow_back_to_running() {
    let mut env = env_with_child();
    let tasks = json!([
        {"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN",
         "forkTasks": [[sub("s", json!({"name": "leaf"}))], [t("b")]]},
        {"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["s", "b"]}
    ]);
    let (mut wf, fx) = parent(&mut env, tasks);
    let child = started_children(&fx)[0].workflow_id.clone();
    let task = wf.tasks[1].task_id.clone();
    apply(
        &mut wf,
        ended(&task, &child, WorkflowStatus::Failed, json!({})),
        &mut env,
    )
    .unwrap();
    assert_eq!(wf.status, WorkflowStatus::Failed);
    assert_eq!(
        statuses(&wf),
        st(&[
            ("f", TaskStatus::Completed),
            ("s", TaskStatus::Failed),
            ("b", TaskStatus::Canceled),
            ("j", TaskStatus::Canceled)
        ])
    );
    let revive = Event::Deliver {
        from: String::new(),
        body: MessageBody::Revive {
            task_id: task.clone(),
            child_id: child.clone(),
            operation: "retried".into(),
        },
    };
    apply(&mut wf, revive, &mut env).unwrap();
    assert_eq!(wf.status, WorkflowStatus::Running);
    assert!(wf.failed_reference_task_names.is_empty());
    assert_eq!(
        statuses(&wf),
        st(&[
            ("f", TaskStatus::Completed),
            ("s", TaskStatus::InProgress),
            ("b", TaskStatus::Scheduled),
            ("j", TaskStatus::InProgress)
        ])
    );
    apply(
        &mut wf,
        ended(&task, &child, WorkflowStatus::Completed, json!({})),
        &mut env,
    )
    .unwrap();
    complete(&mut wf, &mut env, "b", json!({}));
    assert_eq!(wf.status, WorkflowStatus::Completed);
}

#[test]
fn retrying_the_parent_without_resume_starts_a_new_child() {
    let mut env = env_with_child();
    let (mut wf, fx) = parent(&mut env, json!([sub("s", json!({"name": "leaf"}))]));
    let first = started_children(&fx)[0].workflow_id.clone();
    let task = wf.tasks[0].task_id.clone();
    apply(
        &mut wf,
        ended(&task, &first, WorkflowStatus::Failed, json!({})),
        &mut env,
    )
    .unwrap();
    let out = apply(
        &mut wf,
        Event::Retry {
            resume_subworkflow_tasks: false,
        },
        &mut env,
    )
    .unwrap();
    let second = started_children(&out.effects)[0].workflow_id.clone();
    assert_ne!(first, second);
    assert_eq!(wf.tasks.len(), 2);
    assert_eq!(wf.tasks[1].retried_task_id.as_deref(), Some(task.as_str()));
    assert_eq!(
        wf.tasks[1].sub_workflow_id.as_deref(),
        Some(second.as_str())
    );
    assert_eq!(wf.tasks[1].input_data["workflowInput"], json!({"x": 1}));
}

#[test]
fn a_missing_definition_fails_the_parent_and_an_inline_one_is_marked_dynamic() {
    let mut env = TestEnv::new();
    let (wf, _) = parent(&mut env, json!([sub("s", json!({"name": "nowhere"}))]));
    assert_eq!(wf.status, WorkflowStatus::Failed);
    assert_eq!(
        wf.reason_for_incompletion.as_deref(),
        Some("The Task s defined as a sub-workflow has no workflow definition available ")
    );
    let inline = json!({"name": "inl", "workflowDefinition": {"name": "inl", "tasks": [t("w")]}});
    let (wf, fx) = parent(&mut env, json!([sub("s", inline)]));
    assert_eq!(wf.tasks[0].status, TaskStatus::InProgress);
    let child = started_children(&fx)[0];
    assert_eq!(child.definition.name, "inl");
    assert_eq!(child.input["_systemMetadata"], json!({"dynamic": true}));
}

#[test]
fn start_workflow_starts_an_independent_workflow_and_completes() {
    let mut env = env_with_child();
    let tasks = json!([{"name": "sw", "taskReferenceName": "sw", "type": "START_WORKFLOW",
        "inputParameters": {"startWorkflow": {"name": "leaf", "input": {"a": 1}}}}]);
    let (wf, fx) = parent(&mut env, tasks);
    let started = started_children(&fx);
    assert_eq!(started.len(), 1);
    assert!(started[0].parent_workflow_id.is_none());
    assert_eq!(started[0].correlation_id.as_deref(), Some("c1"));
    assert_eq!(wf.tasks[0].status, TaskStatus::Completed);
    assert_eq!(
        wf.tasks[0].output_data["workflowId"],
        json!(started[0].workflow_id)
    );
    assert_eq!(wf.status, WorkflowStatus::Completed);
    let tasks = json!([{"name": "sw", "taskReferenceName": "sw", "type": "START_WORKFLOW", "inputParameters": {}}]);
    let (wf, _) = parent(&mut env, tasks);
    assert_eq!(
        wf.tasks[0].reason_for_incompletion.as_deref(),
        Some("Missing 'startWorkflow' in input data.")
    );
    assert_eq!(wf.status, WorkflowStatus::Failed);
}

#[test]
fn rerunning_a_running_parent_from_before_its_sub_workflow_terminates_the_child() {
    let mut env = env_with_child();
    let (mut wf, _) = parent(
        &mut env,
        json!([t("first"), sub("s", json!({"name": "leaf"}))]),
    );
    complete(&mut wf, &mut env, "first", json!({}));
    let child = wf.tasks[1].sub_workflow_id.clone().unwrap();
    let first = wf.tasks[0].task_id.clone();
    let request = RerunWorkflowRequest {
        re_run_from_task_id: Some(first),
        ..Default::default()
    };
    let out = apply(&mut wf, Event::Rerun(request), &mut env).unwrap();
    let messages = sent(&out.effects);
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].to, child);
    assert!(matches!(messages[0].body, MessageBody::Terminate { .. }));
    assert_eq!(statuses(&wf), st(&[("first", TaskStatus::Scheduled)]));
}

#[test]
fn an_inline_definition_is_checked_as_registration_would() {
    let mut env = TestEnv::new();
    let bad = json!({"name": "inl", "workflowDefinition": {"name": "inl", "tasks": [
        {"name": "a", "taskReferenceName": "same"}, {"name": "b", "taskReferenceName": "same"}]}});
    let (wf, fx) = parent(&mut env, json!([sub("s", bad)]));
    assert!(started_children(&fx).is_empty());
    assert_eq!(wf.tasks[0].status, TaskStatus::Failed);
    let reason = wf.tasks[0].reason_for_incompletion.clone().unwrap();
    assert!(
        reason.starts_with("Invalid inline workflow definition inl:"),
        "{reason}"
    );
    assert!(reason.contains("should be unique"), "{reason}");
}

#[test]
fn an_inline_definition_keeps_its_expressions_for_the_child() {
    let mut env = TestEnv::new();
    let inline = json!({"name": "inl", "workflowDefinition": {"name": "inl", "tasks": [
        {"name": "w", "taskReferenceName": "w", "inputParameters": {"x": "${workflow.input.x}", "p": "${prep.output.r}"}}]}});
    let (_, fx) = parent(&mut env, json!([sub("s", inline)]));
    let child = started_children(&fx)[0];
    assert_eq!(
        Value::Object(child.definition.tasks[0].input_parameters.clone()),
        json!({"x": "${workflow.input.x}", "p": "${prep.output.r}"})
    );
    let from_data = json!({"name": "gen", "workflowDefinition": "${workflow.input.def}"});
    let mut new = new_workflow(def(
        json!({"name": "root", "version": 1, "tasks": [sub("s", from_data)]}),
    ));
    new.input = json!({"def": {"name": "gen", "tasks": [t("g")]}})
        .as_object()
        .cloned()
        .unwrap();
    let (_, fx) = start(new, &mut env).unwrap();
    assert_eq!(started_children(&fx)[0].definition.name, "gen");
}
