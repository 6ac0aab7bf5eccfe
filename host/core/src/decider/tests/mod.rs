//! Decider rules, one test per rule of reference §2, §3, §5 and §7, without I/O. The
//! operators and sub-workflows (conductor-operators §17) are in `operators` and `subflows`.

mod operators;
mod subflows;

use super::*;
use crate::model::{TaskDef, TaskStatus, WorkflowStatus};
use serde_json::{Value, json};
use std::collections::HashMap;

struct TestEnv {
    now: i64,
    next: u32,
    defs: HashMap<String, WorkflowDef>,
    /// The stand-in for the INLINE plugin: expression text → its value for an input.
    scripts: HashMap<&'static str, fn(&Json) -> Value>,
}

impl TestEnv {
    fn new() -> Self {
        TestEnv {
            now: 1_000_000,
            next: 0,
            defs: HashMap::new(),
            scripts: HashMap::new(),
        }
    }
    fn advance(&mut self, seconds: i64) {
        self.now += seconds * 1000;
    }
}

impl Env for TestEnv {
    fn now(&self) -> i64 {
        self.now
    }
    fn new_id(&mut self) -> String {
        self.next += 1;
        format!("id-{}", self.next)
    }
    fn jitter_ms(&mut self, max_ms: i64) -> i64 {
        max_ms
    }
    fn workflow_def(&self, name: &str, _version: Option<i32>) -> Option<WorkflowDef> {
        self.defs.get(name).cloned()
    }
    /// INLINE runs the registered stand-in scripts.
    fn run_pure(&mut self, call: PureCall<'_>) -> Option<PluginOutcome> {
        match call.task_type {
            "INLINE" => {
                let expression = call.input.get("expression")?.as_str()?;
                Some(match self.scripts.get(expression) {
                    Some(script) => PluginOutcome::Completed(
                        json!({"result": script(call.input)})
                            .as_object()
                            .cloned()
                            .unwrap_or_default(),
                    ),
                    None => PluginOutcome::Failed {
                        reason: format!("Error evaluating the script `{expression}`"),
                        output: Json::new(),
                        terminal: true,
                    },
                })
            }
            _ => None,
        }
    }
}

fn def(v: Value) -> WorkflowDef {
    serde_json::from_value(v).unwrap()
}

/// t1 -> t2 -> t3, SIMPLE, no retries unless a test embeds a TaskDef.
fn three_tasks() -> WorkflowDef {
    let mut d = def(json!({
        "name": "flow", "version": 1,
        "tasks": [
            {"name": "task_1", "taskReferenceName": "t1", "inputParameters": {"id": "${workflow.input.orderId}", "me": "${CPEWF_TASK_ID}"}},
            {"name": "task_2", "taskReferenceName": "t2", "inputParameters": {"prev": "${t1.output.value}"}},
            {"name": "task_3", "taskReferenceName": "t3"}
        ],
        "outputParameters": {"o1": "${workflow.input.orderId}", "o3": "${t3.output.done}"}
    }));
    for t in &mut d.tasks {
        let mut td = TaskDef::named(&t.name);
        td.retry_count = 0;
        t.task_definition = Some(td);
    }
    d
}

fn new_workflow(definition: WorkflowDef) -> NewWorkflow {
    NewWorkflow {
        workflow_id: "wf".into(),
        definition,
        input: json!({"orderId": 7}).as_object().unwrap().clone(),
        correlation_id: Some("c1".into()),
        priority: 0,
        task_to_domain: Default::default(),
        created_by: None,
        idempotency_key: None,
        parent_workflow_id: None,
        parent_workflow_task_id: None,
    }
}

fn started(env: &mut TestEnv, d: WorkflowDef) -> (Workflow, Vec<Effect>) {
    start(new_workflow(d), env).unwrap()
}

fn statuses(wf: &Workflow) -> Vec<(String, TaskStatus)> {
    wf.tasks
        .iter()
        .map(|t| (t.reference_task_name.clone(), t.status))
        .collect()
}

fn st(pairs: &[(&str, TaskStatus)]) -> Vec<(String, TaskStatus)> {
    pairs.iter().map(|(r, s)| (r.to_string(), *s)).collect()
}

fn open_id(wf: &Workflow, reference: &str) -> String {
    pending_task_by_ref(wf, reference).unwrap().task_id.clone()
}

fn update(task_id: &str, status: TaskResultStatus, output: Value) -> Event {
    Event::TaskUpdated(TaskUpdate {
        task_id: task_id.into(),
        status,
        output: OutputChange::Replace(output.as_object().cloned().unwrap_or_default()),
        reason_for_incompletion: None,
        worker_id: Some("w1".into()),
        callback_after_seconds: 0,
        logs: vec![],
        extend_lease: false,
    })
}

fn fail(task_id: &str, status: TaskResultStatus, reason: &str) -> Event {
    let Event::TaskUpdated(mut u) = update(task_id, status, json!({})) else {
        unreachable!()
    };
    u.reason_for_incompletion = Some(reason.into());
    Event::TaskUpdated(u)
}

fn complete(wf: &mut Workflow, env: &mut TestEnv, reference: &str, output: Value) -> Outcome {
    let id = open_id(wf, reference);
    apply(wf, update(&id, TaskResultStatus::Completed, output), env).unwrap()
}

fn run_to_end(env: &mut TestEnv) -> Workflow {
    let (mut wf, _) = started(env, three_tasks());
    complete(&mut wf, env, "t1", json!({"value": 1}));
    complete(&mut wf, env, "t2", json!({}));
    complete(&mut wf, env, "t3", json!({"done": true}));
    wf
}

fn failed_at_t2(env: &mut TestEnv) -> Workflow {
    let (mut wf, _) = started(env, three_tasks());
    complete(&mut wf, env, "t1", json!({"value": 1}));
    let t2 = open_id(&wf, "t2");
    apply(&mut wf, fail(&t2, TaskResultStatus::Failed, "boom"), env).unwrap();
    assert_eq!(wf.status, WorkflowStatus::Failed);
    wf
}

fn enqueued(fx: &[Effect]) -> Vec<(String, i64)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Enqueue {
                queue, delay_ms, ..
            } => Some((queue.clone(), *delay_ms)),
            _ => None,
        })
        .collect()
}

// ---- start, scheduling, completion (§3.1, §7) ----

#[test]
fn start_schedules_the_first_task_with_evaluated_input() {
    let mut env = TestEnv::new();
    let (wf, fx) = started(&mut env, three_tasks());
    assert_eq!(wf.status, WorkflowStatus::Running);
    assert_eq!(statuses(&wf), st(&[("t1", TaskStatus::Scheduled)]));
    let t1 = &wf.tasks[0];
    assert_eq!(t1.input_data["id"], json!(7));
    assert_eq!(t1.input_data["me"], json!(t1.task_id));
    assert_eq!(
        t1.task_type, "task_1",
        "SIMPLE tasks carry their definition name as type"
    );
    assert_eq!(t1.seq, 1);
    assert_eq!(enqueued(&fx), vec![("task_1".into(), 0)]);
}

#[test]
fn start_applies_input_template_and_rejects_bad_priority() {
    let mut env = TestEnv::new();
    let mut d = three_tasks();
    d.input_template = json!({"orderId": 99, "region": "eu"})
        .as_object()
        .unwrap()
        .clone();
    let (wf, _) = started(&mut env, d.clone());
    assert_eq!(wf.input["orderId"], json!(7));
    assert_eq!(wf.input["region"], json!("eu"));
    let mut bad = new_workflow(d);
    bad.priority = 100;
    assert_eq!(
        start(bad, &mut env).unwrap_err().kind,
        ErrorKind::BadRequest
    );
}

#[test]
fn completing_every_task_completes_the_workflow_with_output_parameters() {
    let mut env = TestEnv::new();
    let (mut wf, _) = started(&mut env, three_tasks());
    complete(&mut wf, &mut env, "t1", json!({"value": 41}));
    assert_eq!(
        wf.tasks[1].input_data["prev"],
        json!(41),
        "next task sees previous output"
    );
    complete(&mut wf, &mut env, "t2", json!({}));
    complete(&mut wf, &mut env, "t3", json!({"done": true}));
    assert_eq!(wf.status, WorkflowStatus::Completed);
    assert_eq!(
        wf.output,
        json!({"o1": 7, "o3": true}).as_object().unwrap().clone()
    );
    assert_eq!(wf.end_time, env.now);
    assert!(wf.tasks.iter().all(|t| t.executed));
}

#[test]
fn without_output_parameters_the_last_task_output_is_the_workflow_output() {
    let mut env = TestEnv::new();
    let mut d = three_tasks();
    d.output_parameters.clear();
    let (mut wf, _) = started(&mut env, d);
    complete(&mut wf, &mut env, "t1", json!({}));
    complete(&mut wf, &mut env, "t2", json!({}));
    complete(&mut wf, &mut env, "t3", json!({"last": 1}));
    assert_eq!(wf.output["last"], json!(1));
}

#[test]
fn domains_name_the_worker_queue() {
    let mut env = TestEnv::new();
    let mut new = new_workflow(three_tasks());
    new.task_to_domain.insert("*".into(), "blue".into());
    let (wf, fx) = start(new, &mut env).unwrap();
    assert_eq!(wf.tasks[0].domain.as_deref(), Some("blue"));
    assert_eq!(enqueued(&fx), vec![("blue:task_1".into(), 0)]);
}

// ---- task updates and polls (§2.2, §3.8) ----

#[test]
fn poll_moves_a_scheduled_task_in_progress() {
    let mut env = TestEnv::new();
    let (mut wf, _) = started(&mut env, three_tasks());
    let id = wf.tasks[0].task_id.clone();
    env.advance(2);
    let out = apply(
        &mut wf,
        Event::TaskPolled {
            task_id: id.clone(),
            worker_id: Some("w".into()),
        },
        &mut env,
    )
    .unwrap();
    let t = &wf.tasks[0];
    assert_eq!(
        (t.status, t.poll_count, t.worker_id.as_deref()),
        (TaskStatus::InProgress, 1, Some("w"))
    );
    assert_eq!(t.start_time, env.now);
    assert_eq!(t.queue_wait_time, 2000);
    assert_eq!(out.task_id.as_deref(), Some(id.as_str()));
    // A second poll of the same task finds nothing to hand out.
    let again = apply(
        &mut wf,
        Event::TaskPolled {
            task_id: id,
            worker_id: None,
        },
        &mut env,
    )
    .unwrap();
    assert_eq!(again.task_id, None);
    assert!(!again.changed);
}

#[test]
fn in_progress_from_a_worker_requeues_after_the_callback() {
    let mut env = TestEnv::new();
    let (mut wf, _) = started(&mut env, three_tasks());
    let id = wf.tasks[0].task_id.clone();
    apply(
        &mut wf,
        Event::TaskPolled {
            task_id: id.clone(),
            worker_id: None,
        },
        &mut env,
    )
    .unwrap();
    let Event::TaskUpdated(mut u) = update(&id, TaskResultStatus::InProgress, json!({"p": 1}))
    else {
        unreachable!()
    };
    u.callback_after_seconds = 30;
    let out = apply(&mut wf, Event::TaskUpdated(u), &mut env).unwrap();
    assert_eq!(wf.tasks[0].status, TaskStatus::Scheduled);
    assert_eq!(wf.tasks[0].output_data["p"], json!(1));
    assert_eq!(enqueued(&out.effects), vec![("task_1".into(), 30_000)]);
}

#[test]
fn post_tasks_replaces_output_and_by_ref_merges_it() {
    let mut env = TestEnv::new();
    let (mut wf, _) = started(&mut env, three_tasks());
    let id = wf.tasks[0].task_id.clone();
    apply(
        &mut wf,
        update(&id, TaskResultStatus::InProgress, json!({"a": 1})),
        &mut env,
    )
    .unwrap();
    apply(
        &mut wf,
        update(&id, TaskResultStatus::InProgress, json!({"b": 2})),
        &mut env,
    )
    .unwrap();
    assert_eq!(
        wf.tasks[0].output_data,
        json!({"b": 2}).as_object().unwrap().clone()
    );
    let merge = Event::TaskUpdated(TaskUpdate {
        output: OutputChange::Merge(json!({"c": 3}).as_object().unwrap().clone()),
        ..match update(&id, TaskResultStatus::Completed, json!({})) {
            Event::TaskUpdated(u) => u,
            _ => unreachable!(),
        }
    });
    apply(&mut wf, merge, &mut env).unwrap();
    assert_eq!(
        wf.tasks[0].output_data,
        json!({"b": 2, "c": 3}).as_object().unwrap().clone()
    );
}

#[test]
fn updates_to_ended_tasks_are_ignored_and_unknown_tasks_are_404() {
    let mut env = TestEnv::new();
    let (mut wf, _) = started(&mut env, three_tasks());
    let t1 = wf.tasks[0].task_id.clone();
    complete(&mut wf, &mut env, "t1", json!({"v": 1}));
    let before = wf.clone();
    let out = apply(
        &mut wf,
        update(&t1, TaskResultStatus::Failed, json!({"v": 2})),
        &mut env,
    )
    .unwrap();
    assert!(!out.changed);
    assert_eq!(wf, before);
    let err = apply(
        &mut wf,
        update("nope", TaskResultStatus::Completed, json!({})),
        &mut env,
    )
    .unwrap_err();
    assert_eq!(
        err,
        EngineError::not_found("No such task found by id: nope")
    );
}

#[test]
fn logs_become_an_effect() {
    let mut env = TestEnv::new();
    let (mut wf, _) = started(&mut env, three_tasks());
    let Event::TaskUpdated(mut u) = update(
        &wf.tasks[0].task_id.clone(),
        TaskResultStatus::InProgress,
        json!({}),
    ) else {
        unreachable!()
    };
    u.logs = vec![crate::model::TaskExecLog {
        log: "hi".into(),
        task_id: None,
        created_time: 1,
    }];
    let out = apply(&mut wf, Event::TaskUpdated(u), &mut env).unwrap();
    assert!(
        out.effects
            .iter()
            .any(|e| matches!(e, Effect::AppendLogs { logs, .. } if logs[0].log == "hi"))
    );
}

#[test]
fn pending_task_by_ref_ignores_ended_tasks_and_matches_loop_suffixes() {
    let mut env = TestEnv::new();
    let (mut wf, _) = started(&mut env, three_tasks());
    complete(&mut wf, &mut env, "t1", json!({}));
    assert!(pending_task_by_ref(&wf, "t1").is_none());
    wf.tasks[1].reference_task_name = "t2__3".into();
    wf.tasks[1].iteration = 3;
    assert_eq!(
        pending_task_by_ref(&wf, "t2").unwrap().reference_task_name,
        "t2__3"
    );
}

// ---- automatic retries (§5.3) ----

#[test]
fn a_task_without_definition_is_retried_three_times_sixty_seconds_apart() {
    let mut env = TestEnv::new();
    let mut d = three_tasks();
    d.tasks[0].task_definition = None;
    let (mut wf, _) = started(&mut env, d);
    for attempt in 0..3 {
        let id = open_id(&wf, "t1");
        let out = apply(
            &mut wf,
            fail(&id, TaskResultStatus::Failed, "bad"),
            &mut env,
        )
        .unwrap();
        assert_eq!(
            enqueued(&out.effects),
            vec![("task_1".into(), 60_000)],
            "attempt {attempt}"
        );
        let new = wf.tasks.last().unwrap();
        assert_eq!(new.retried_task_id.as_deref(), Some(id.as_str()));
        assert_eq!(new.retry_count, attempt + 1);
        assert_eq!(
            new.reason_for_incompletion.as_deref(),
            Some("bad"),
            "reason carried over"
        );
        assert_ne!(
            new.input_data["me"],
            json!(id),
            "CPEWF_TASK_ID re-evaluated"
        );
        assert!(wf.task(&id).unwrap().retried);
    }
    let id = open_id(&wf, "t1");
    apply(
        &mut wf,
        fail(&id, TaskResultStatus::Failed, "bad"),
        &mut env,
    )
    .unwrap();
    assert_eq!(wf.status, WorkflowStatus::Failed);
    assert_eq!(
        wf.reason_for_incompletion.as_deref(),
        Some(format!("Task {id} failed with status: FAILED and reason: 'bad'").as_str())
    );
    assert_eq!(wf.failed_reference_task_names, vec!["t1"]);
    assert_eq!(wf.failed_task_names, vec!["task_1"]);
    assert_eq!(wf.failed_task_id.as_deref(), Some(id.as_str()));
}

#[test]
fn terminal_error_is_never_retried() {
    let mut env = TestEnv::new();
    let mut d = three_tasks();
    d.tasks[0].task_definition = None;
    let (mut wf, _) = started(&mut env, d);
    let id = open_id(&wf, "t1");
    apply(
        &mut wf,
        fail(&id, TaskResultStatus::FailedWithTerminalError, "fatal"),
        &mut env,
    )
    .unwrap();
    assert_eq!(wf.status, WorkflowStatus::Failed);
    assert_eq!(wf.tasks.len(), 1);
    assert_eq!(wf.tasks[0].retry_count, 0);
    assert_eq!(
        wf.reason_for_incompletion.unwrap(),
        format!("Task {id} failed with status: FAILED and reason: 'fatal'")
    );
}

#[test]
fn canceled_task_terminates_the_workflow() {
    let mut env = TestEnv::new();
    let (mut wf, _) = started(&mut env, three_tasks());
    let id = open_id(&wf, "t1");
    apply(
        &mut wf,
        fail(&id, TaskResultStatus::Canceled, "stop"),
        &mut env,
    )
    .unwrap();
    assert_eq!(wf.status, WorkflowStatus::Terminated);
}

#[test]
fn workflow_task_retry_count_overrides_the_definition() {
    let mut env = TestEnv::new();
    let mut d = three_tasks();
    d.tasks[0].retry_count = Some(1);
    let (mut wf, _) = started(&mut env, d);
    let id = open_id(&wf, "t1");
    apply(&mut wf, fail(&id, TaskResultStatus::Failed, "x"), &mut env).unwrap();
    assert_eq!(wf.tasks.len(), 2);
    let id = open_id(&wf, "t1");
    apply(&mut wf, fail(&id, TaskResultStatus::Failed, "x"), &mut env).unwrap();
    assert_eq!(wf.status, WorkflowStatus::Failed);
}

fn retry_def(logic: RetryLogicName, delay: i64, scale: i64, max: i64, jitter: i64) -> TaskDef {
    let mut td = TaskDef::named("t");
    td.retry_logic = match logic {
        RetryLogicName::Fixed => crate::model::RetryLogic::Fixed,
        RetryLogicName::Linear => crate::model::RetryLogic::LinearBackoff,
        RetryLogicName::Exponential => crate::model::RetryLogic::ExponentialBackoff,
    };
    td.retry_delay_seconds = delay;
    td.backoff_scale_factor = scale;
    td.max_retry_delay_seconds = max;
    td.backoff_jitter_ms = jitter;
    td
}

enum RetryLogicName {
    Fixed,
    Linear,
    Exponential,
}

#[test]
fn backoff_fixed_linear_exponential_capped_with_jitter() {
    let mut env = TestEnv::new();
    let b = |td: &TaskDef, n: i32, env: &mut TestEnv| retry::backoff_seconds(td, n, env);
    let fixed = retry_def(RetryLogicName::Fixed, 5, 1, 0, 0);
    assert_eq!((b(&fixed, 0, &mut env), b(&fixed, 4, &mut env)), (5, 5));
    let linear = retry_def(RetryLogicName::Linear, 5, 2, 0, 0);
    assert_eq!((b(&linear, 0, &mut env), b(&linear, 2, &mut env)), (10, 30));
    let exp = retry_def(RetryLogicName::Exponential, 5, 1, 0, 0);
    assert_eq!((b(&exp, 0, &mut env), b(&exp, 3, &mut env)), (5, 40));
    assert_eq!(
        b(&exp, 200, &mut env),
        i64::from(i32::MAX),
        "overflow saturates"
    );
    let capped = retry_def(RetryLogicName::Exponential, 5, 1, 12, 0);
    assert_eq!(b(&capped, 3, &mut env), 12);
    let jitter = retry_def(RetryLogicName::Fixed, 5, 1, 0, 1500);
    assert_eq!(
        b(&jitter, 0, &mut env),
        7,
        "jitter of up to 1.5 s rounds up to 2 s"
    );
}

#[test]
fn optional_task_failure_completes_with_errors_and_continues() {
    let mut env = TestEnv::new();
    let mut d = three_tasks();
    d.tasks[1].optional = true;
    let (mut wf, _) = started(&mut env, d);
    complete(&mut wf, &mut env, "t1", json!({}));
    let id = open_id(&wf, "t2");
    apply(
        &mut wf,
        fail(&id, TaskResultStatus::Failed, "meh"),
        &mut env,
    )
    .unwrap();
    assert_eq!(
        statuses(&wf),
        st(&[
            ("t1", TaskStatus::Completed),
            ("t2", TaskStatus::CompletedWithErrors),
            ("t3", TaskStatus::Scheduled)
        ])
    );
    complete(&mut wf, &mut env, "t3", json!({}));
    assert_eq!(wf.status, WorkflowStatus::Completed);
}

#[test]
fn permissive_task_failure_continues_then_fails_the_workflow() {
    let mut env = TestEnv::new();
    let mut d = three_tasks();
    d.tasks[1].permissive = true;
    let (mut wf, _) = started(&mut env, d);
    complete(&mut wf, &mut env, "t1", json!({}));
    let id = open_id(&wf, "t2");
    apply(
        &mut wf,
        fail(&id, TaskResultStatus::Failed, "meh"),
        &mut env,
    )
    .unwrap();
    assert_eq!(wf.status, WorkflowStatus::Running);
    complete(&mut wf, &mut env, "t3", json!({}));
    assert_eq!(wf.status, WorkflowStatus::Failed);
    assert_eq!(wf.failed_reference_task_names, vec!["t2"]);
}

// ---- timeouts (§5.2) ----

fn with_def(edit: impl Fn(&mut TaskDef)) -> WorkflowDef {
    let mut d = three_tasks();
    edit(d.tasks[0].task_definition.as_mut().unwrap());
    d
}

fn poll_first(wf: &mut Workflow, env: &mut TestEnv) {
    let id = wf.tasks[0].task_id.clone();
    apply(
        wf,
        Event::TaskPolled {
            task_id: id,
            worker_id: None,
        },
        env,
    )
    .unwrap();
}

#[test]
fn response_timeout_times_out_and_retries_regardless_of_policy() {
    let mut env = TestEnv::new();
    let d = with_def(|td| {
        td.response_timeout_seconds = 10;
        td.retry_count = 1;
        td.retry_delay_seconds = 0;
        td.timeout_policy = crate::model::TimeoutPolicy::AlertOnly;
    });
    let (mut wf, _) = started(&mut env, d);
    poll_first(&mut wf, &mut env);
    assert_eq!(next_wake(&wf), Some(env.now + 10_000));
    env.advance(9);
    apply(&mut wf, Event::Decide, &mut env).unwrap();
    assert_eq!(wf.tasks[0].status, TaskStatus::InProgress);
    env.advance(1);
    apply(&mut wf, Event::Decide, &mut env).unwrap();
    assert_eq!(
        statuses(&wf),
        st(&[("t1", TaskStatus::TimedOut), ("t1", TaskStatus::Scheduled)])
    );
    assert!(
        wf.tasks[0]
            .reason_for_incompletion
            .as_ref()
            .unwrap()
            .starts_with("responseTimeout: 10 exceeded")
    );
}

#[test]
fn task_timeout_with_time_out_wf_times_out_the_workflow() {
    let mut env = TestEnv::new();
    let d = with_def(|td| {
        td.timeout_seconds = 20;
        td.response_timeout_seconds = 20;
    });
    let (mut wf, _) = started(&mut env, d);
    poll_first(&mut wf, &mut env);
    env.advance(20);
    apply(&mut wf, Event::Decide, &mut env).unwrap();
    assert_eq!(wf.status, WorkflowStatus::TimedOut);
    assert_eq!(wf.tasks[0].status, TaskStatus::TimedOut);
    assert_eq!(
        wf.tasks[0].reason_for_incompletion.as_deref(),
        Some(
            "Task timed out after 20 seconds. Timeout configured as 20 seconds. Timeout policy configured to TIME_OUT_WF"
        )
    );
}

#[test]
fn task_timeout_with_retry_policy_retries() {
    let mut env = TestEnv::new();
    let d = with_def(|td| {
        td.timeout_seconds = 5;
        td.response_timeout_seconds = 5;
        td.timeout_policy = crate::model::TimeoutPolicy::Retry;
        td.retry_count = 1;
        td.retry_delay_seconds = 0;
    });
    let (mut wf, _) = started(&mut env, d);
    poll_first(&mut wf, &mut env);
    env.advance(5);
    apply(&mut wf, Event::Decide, &mut env).unwrap();
    assert_eq!(
        statuses(&wf),
        st(&[("t1", TaskStatus::TimedOut), ("t1", TaskStatus::Scheduled)])
    );
    let id = open_id(&wf, "t1");
    apply(
        &mut wf,
        Event::TaskPolled {
            task_id: id,
            worker_id: None,
        },
        &mut env,
    )
    .unwrap();
    env.advance(5);
    apply(&mut wf, Event::Decide, &mut env).unwrap();
    assert_eq!(
        wf.status,
        WorkflowStatus::TimedOut,
        "no retries left: TIMED_OUT"
    );
}

#[test]
fn poll_timeout_counts_from_scheduling() {
    let mut env = TestEnv::new();
    let d = with_def(|td| {
        td.poll_timeout_seconds = Some(3);
        td.timeout_policy = crate::model::TimeoutPolicy::Retry;
        td.retry_count = 0;
    });
    let (mut wf, _) = started(&mut env, d);
    assert_eq!(next_wake(&wf), Some(env.now + 3000));
    env.advance(3);
    apply(&mut wf, Event::Decide, &mut env).unwrap();
    assert_eq!(wf.tasks[0].status, TaskStatus::TimedOut);
    assert_eq!(wf.status, WorkflowStatus::TimedOut);
}

#[test]
fn alert_only_timeouts_change_nothing() {
    let mut env = TestEnv::new();
    let d = with_def(|td| {
        td.timeout_seconds = 1;
        td.response_timeout_seconds = 3600;
        td.timeout_policy = crate::model::TimeoutPolicy::AlertOnly;
    });
    let (mut wf, _) = started(&mut env, d);
    poll_first(&mut wf, &mut env);
    env.advance(60);
    let out = apply(&mut wf, Event::Decide, &mut env).unwrap();
    assert!(!out.changed);
}

#[test]
fn total_timeout_stops_further_retries() {
    let mut env = TestEnv::new();
    let d = with_def(|td| {
        td.total_timeout_seconds = 30;
        td.retry_count = 5;
        td.retry_delay_seconds = 0;
        td.timeout_policy = crate::model::TimeoutPolicy::Retry;
    });
    let (mut wf, _) = started(&mut env, d);
    let id = open_id(&wf, "t1");
    apply(&mut wf, fail(&id, TaskResultStatus::Failed, "x"), &mut env).unwrap();
    assert_eq!(wf.tasks.len(), 2, "retried while within the total timeout");
    env.advance(31);
    let id = open_id(&wf, "t1");
    apply(&mut wf, fail(&id, TaskResultStatus::Failed, "x"), &mut env).unwrap();
    assert_eq!(wf.status, WorkflowStatus::Failed);
}

#[test]
fn workflow_timeout_cancels_open_tasks_and_counts_from_resume() {
    let mut env = TestEnv::new();
    let mut d = three_tasks();
    d.timeout_seconds = 100;
    d.timeout_policy = crate::model::WorkflowTimeoutPolicy::TimeOutWf;
    let (mut wf, _) = started(&mut env, d);
    assert_eq!(next_wake(&wf), Some(env.now + 100_000));
    apply(&mut wf, Event::Pause, &mut env).unwrap();
    env.advance(50);
    apply(&mut wf, Event::Resume, &mut env).unwrap();
    env.advance(60);
    apply(&mut wf, Event::Decide, &mut env).unwrap();
    assert_eq!(
        wf.status,
        WorkflowStatus::Running,
        "resume restarted the clock"
    );
    env.advance(40);
    apply(&mut wf, Event::Decide, &mut env).unwrap();
    assert_eq!(wf.status, WorkflowStatus::TimedOut);
    assert_eq!(wf.tasks[0].status, TaskStatus::Canceled);
    assert!(
        wf.reason_for_incompletion
            .as_deref()
            .unwrap()
            .starts_with("Workflow timed out after 100 seconds")
    );
    assert_eq!(next_wake(&wf), None);
}

#[test]
fn a_paused_workflow_can_time_out() {
    let mut env = TestEnv::new();
    let mut d = three_tasks();
    d.timeout_seconds = 10;
    d.timeout_policy = crate::model::WorkflowTimeoutPolicy::TimeOutWf;
    let (mut wf, _) = started(&mut env, d);
    apply(&mut wf, Event::Pause, &mut env).unwrap();
    env.advance(10);
    apply(&mut wf, Event::Decide, &mut env).unwrap();
    assert_eq!(wf.status, WorkflowStatus::TimedOut);
}

// ---- pause / resume (§3.2, §3.3) ----

#[test]
fn pause_holds_new_scheduling_but_not_running_tasks() {
    let mut env = TestEnv::new();
    let (mut wf, _) = started(&mut env, three_tasks());
    apply(&mut wf, Event::Pause, &mut env).unwrap();
    assert_eq!(wf.status, WorkflowStatus::Paused);
    let again = apply(&mut wf, Event::Pause, &mut env).unwrap();
    assert!(!again.changed, "pausing a paused workflow is a no-op");
    complete(&mut wf, &mut env, "t1", json!({"value": 1}));
    assert_eq!(
        statuses(&wf),
        st(&[("t1", TaskStatus::Completed)]),
        "t2 not scheduled while paused"
    );
    apply(&mut wf, Event::Decide, &mut env).unwrap();
    assert_eq!(wf.tasks.len(), 1);
    let out = apply(&mut wf, Event::Resume, &mut env).unwrap();
    assert_eq!(wf.status, WorkflowStatus::Running);
    assert_eq!(
        statuses(&wf),
        st(&[("t1", TaskStatus::Completed), ("t2", TaskStatus::Scheduled)])
    );
    assert_eq!(enqueued(&out.effects), vec![("task_2".into(), 0)]);
}

#[test]
fn pause_of_an_ended_workflow_and_resume_of_a_running_one_conflict() {
    let mut env = TestEnv::new();
    let mut wf = run_to_end(&mut env);
    let err = apply(&mut wf, Event::Pause, &mut env).unwrap_err();
    assert_eq!(
        err,
        EngineError::conflict("Workflow flow.1/wf has ended, status cannot be updated.")
    );
    let (mut running, _) = started(&mut env, three_tasks());
    let err = apply(&mut running, Event::Resume, &mut env).unwrap_err();
    assert_eq!(
        err,
        EngineError::conflict(
            "The workflow wf is not PAUSED so cannot resume. Current status is RUNNING"
        )
    );
}

// ---- restart (§3.4) ----

#[test]
fn restart_runs_again_from_the_first_task_with_new_ids() {
    let mut env = TestEnv::new();
    let mut wf = failed_at_t2(&mut env);
    let old_ids: Vec<_> = wf.tasks.iter().map(|t| t.task_id.clone()).collect();
    env.advance(5);
    let out = apply(
        &mut wf,
        Event::Restart {
            use_latest_definitions: false,
        },
        &mut env,
    )
    .unwrap();
    assert_eq!(wf.status, WorkflowStatus::Running);
    assert_eq!(statuses(&wf), st(&[("t1", TaskStatus::Scheduled)]));
    assert!(!old_ids.contains(&wf.tasks[0].task_id));
    assert_eq!(
        (wf.create_time, wf.start_time, wf.end_time),
        (env.now, env.now, 0)
    );
    assert!(wf.reason_for_incompletion.is_none() && wf.failed_reference_task_names.is_empty());
    assert_eq!(wf.input["orderId"], json!(7), "input kept");
    let dequeued = out
        .effects
        .iter()
        .filter(|e| matches!(e, Effect::Dequeue { .. }))
        .count();
    assert_eq!(dequeued, old_ids.len());
}

#[test]
fn restart_of_a_running_workflow_conflicts() {
    let mut env = TestEnv::new();
    let (mut wf, _) = started(&mut env, three_tasks());
    let err = apply(
        &mut wf,
        Event::Restart {
            use_latest_definitions: false,
        },
        &mut env,
    )
    .unwrap_err();
    assert_eq!(
        err,
        EngineError::conflict(
            "Workflow: flow.1/wf.RUNNING is not in terminal state, unable to restart."
        )
    );
}

#[test]
fn non_restartable_definitions_refuse_only_completed_workflows() {
    let mut env = TestEnv::new();
    let mut d = three_tasks();
    d.restartable = false;
    let (mut wf, _) = started(&mut env, d);
    for r in ["t1", "t2", "t3"] {
        complete(&mut wf, &mut env, r, json!({}));
    }
    let err = apply(
        &mut wf,
        Event::Restart {
            use_latest_definitions: false,
        },
        &mut env,
    )
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    apply(
        &mut wf,
        Event::Terminate {
            reason: None,
            trigger_failure_workflow: false,
        },
        &mut env,
    )
    .unwrap_err();
    let mut failed = failed_at_t2(&mut env);
    failed.workflow_definition.restartable = false;
    apply(
        &mut failed,
        Event::Restart {
            use_latest_definitions: false,
        },
        &mut env,
    )
    .unwrap();
}

#[test]
fn restart_with_latest_definitions_runs_the_new_version() {
    let mut env = TestEnv::new();
    let mut wf = failed_at_t2(&mut env);
    let mut v2 = three_tasks();
    v2.version = 2;
    v2.tasks.remove(0);
    env.defs.insert(v2.name.clone(), v2);
    apply(
        &mut wf,
        Event::Restart {
            use_latest_definitions: true,
        },
        &mut env,
    )
    .unwrap();
    assert_eq!(wf.workflow_version, 2);
    assert_eq!(statuses(&wf), st(&[("t2", TaskStatus::Scheduled)]));
}

// ---- rerun (§3.7) ----

#[test]
fn rerun_from_a_task_keeps_its_id_and_drops_later_tasks() {
    let mut env = TestEnv::new();
    let mut wf = run_to_end(&mut env);
    let t2 = wf.tasks[1].task_id.clone();
    let request = RerunWorkflowRequest {
        re_run_from_task_id: Some(t2.clone()),
        task_input: Some(json!({"x": 1}).as_object().unwrap().clone()),
        ..Default::default()
    };
    apply(&mut wf, Event::Rerun(request), &mut env).unwrap();
    assert_eq!(wf.status, WorkflowStatus::Running);
    assert_eq!(
        statuses(&wf),
        st(&[("t1", TaskStatus::Completed), ("t2", TaskStatus::Scheduled)])
    );
    assert_eq!(wf.tasks[1].task_id, t2);
    assert_eq!(
        wf.tasks[1].input_data,
        json!({"x": 1}).as_object().unwrap().clone()
    );
    assert!(wf.tasks[1].output_data.is_empty());
    complete(&mut wf, &mut env, "t2", json!({}));
    complete(&mut wf, &mut env, "t3", json!({}));
    assert_eq!(wf.status, WorkflowStatus::Completed);
    assert_eq!(wf.tasks.len(), 3);
}

#[test]
fn rerun_without_a_task_starts_over_with_new_input() {
    let mut env = TestEnv::new();
    let mut wf = failed_at_t2(&mut env);
    let request = RerunWorkflowRequest {
        workflow_input: Some(json!({"orderId": 8}).as_object().unwrap().clone()),
        correlation_id: Some("c2".into()),
        ..Default::default()
    };
    apply(&mut wf, Event::Rerun(request), &mut env).unwrap();
    assert_eq!(statuses(&wf), st(&[("t1", TaskStatus::Scheduled)]));
    assert_eq!(wf.tasks[0].input_data["id"], json!(8));
    assert_eq!(wf.correlation_id.as_deref(), Some("c2"));
    assert!(wf.failed_reference_task_names.is_empty() && wf.reason_for_incompletion.is_none());
}

#[test]
fn rerun_of_an_unknown_task_is_a_bad_request_and_changes_nothing() {
    let mut env = TestEnv::new();
    let mut wf = failed_at_t2(&mut env);
    let before = wf.clone();
    let request = RerunWorkflowRequest {
        re_run_from_task_id: Some("zzz".into()),
        ..Default::default()
    };
    let err = apply(&mut wf, Event::Rerun(request), &mut env).unwrap_err();
    assert_eq!(err, EngineError::bad_request("Task zzz not found"));
    assert_eq!(wf, before);
}

#[test]
fn rerun_of_a_running_workflow_cancels_later_tasks_first() {
    let mut env = TestEnv::new();
    let (mut wf, _) = started(&mut env, three_tasks());
    let t1 = wf.tasks[0].task_id.clone();
    complete(&mut wf, &mut env, "t1", json!({}));
    let t2 = open_id(&wf, "t2");
    let out = apply(
        &mut wf,
        Event::Rerun(RerunWorkflowRequest {
            re_run_from_task_id: Some(t1.clone()),
            ..Default::default()
        }),
        &mut env,
    )
    .unwrap();
    assert_eq!(statuses(&wf), st(&[("t1", TaskStatus::Scheduled)]));
    assert!(out.effects.contains(&Effect::Dequeue { task_id: t2 }));
}

// ---- retry (§3.5) ----

#[test]
fn retry_appends_a_new_attempt_of_the_failed_task() {
    let mut env = TestEnv::new();
    let mut wf = failed_at_t2(&mut env);
    let old = wf.tasks[1].task_id.clone();
    apply(
        &mut wf,
        Event::Retry {
            resume_subworkflow_tasks: false,
        },
        &mut env,
    )
    .unwrap();
    assert_eq!(wf.status, WorkflowStatus::Running);
    assert_eq!(
        statuses(&wf),
        st(&[
            ("t1", TaskStatus::Completed),
            ("t2", TaskStatus::Failed),
            ("t2", TaskStatus::Scheduled)
        ])
    );
    let new = &wf.tasks[2];
    assert_eq!(new.retried_task_id.as_deref(), Some(old.as_str()));
    assert_eq!(new.retry_count, 1);
    assert!(new.reason_for_incompletion.is_none());
    assert!(wf.tasks[1].retried);
    assert_eq!(wf.last_retried_time, env.now);
    assert_eq!(
        wf.failed_reference_task_names,
        vec!["t2"],
        "kept, as in Conductor"
    );
    complete(&mut wf, &mut env, "t2", json!({}));
    complete(&mut wf, &mut env, "t3", json!({}));
    assert_eq!(wf.status, WorkflowStatus::Completed);
}

#[test]
fn retry_preconditions() {
    let mut env = TestEnv::new();
    let (mut running, _) = started(&mut env, three_tasks());
    let err = apply(
        &mut running,
        Event::Retry {
            resume_subworkflow_tasks: false,
        },
        &mut env,
    )
    .unwrap_err();
    assert_eq!(
        err,
        EngineError::not_found("Workflow is still running.  status=RUNNING")
    );
    let mut done = run_to_end(&mut env);
    let err = apply(
        &mut done,
        Event::Retry {
            resume_subworkflow_tasks: false,
        },
        &mut env,
    )
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Conflict);
    assert!(err.message.starts_with("There are no retryable tasks!"));
}

#[test]
fn retry_of_a_terminated_workflow_reruns_canceled_tasks() {
    let mut env = TestEnv::new();
    let (mut wf, _) = started(&mut env, three_tasks());
    complete(&mut wf, &mut env, "t1", json!({}));
    apply(
        &mut wf,
        Event::Terminate {
            reason: Some("stop".into()),
            trigger_failure_workflow: false,
        },
        &mut env,
    )
    .unwrap();
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
            ("t1", TaskStatus::Completed),
            ("t2", TaskStatus::Canceled),
            ("t2", TaskStatus::Scheduled)
        ])
    );
}

// ---- terminate and the failure workflow (§3.6) ----

#[test]
fn terminate_cancels_open_tasks() {
    let mut env = TestEnv::new();
    let (mut wf, _) = started(&mut env, three_tasks());
    let out = apply(
        &mut wf,
        Event::Terminate {
            reason: Some("because".into()),
            trigger_failure_workflow: false,
        },
        &mut env,
    )
    .unwrap();
    assert_eq!(wf.status, WorkflowStatus::Terminated);
    assert_eq!(wf.reason_for_incompletion.as_deref(), Some("because"));
    assert_eq!(wf.tasks[0].status, TaskStatus::Canceled);
    assert_eq!(wf.end_time, env.now);
    assert!(
        out.effects
            .iter()
            .any(|e| matches!(e, Effect::Dequeue { .. }))
    );
    assert!(
        !out.effects
            .iter()
            .any(|e| matches!(e, Effect::StartWorkflow(_)))
    );
    let again = apply(
        &mut wf,
        Event::Terminate {
            reason: None,
            trigger_failure_workflow: false,
        },
        &mut env,
    )
    .unwrap();
    assert!(
        !again.changed,
        "terminating a terminated workflow is a no-op"
    );
}

#[test]
fn terminate_of_a_completed_workflow_conflicts_but_failed_becomes_terminated() {
    let mut env = TestEnv::new();
    let mut done = run_to_end(&mut env);
    let err = apply(
        &mut done,
        Event::Terminate {
            reason: None,
            trigger_failure_workflow: false,
        },
        &mut env,
    )
    .unwrap_err();
    assert_eq!(
        err,
        EngineError::conflict("Cannot terminate a COMPLETED workflow.")
    );
    let mut failed = failed_at_t2(&mut env);
    apply(
        &mut failed,
        Event::Terminate {
            reason: Some("r".into()),
            trigger_failure_workflow: false,
        },
        &mut env,
    )
    .unwrap();
    assert_eq!(failed.status, WorkflowStatus::Terminated);
    assert_eq!(failed.reason_for_incompletion.as_deref(), Some("r"));
}

fn with_failure_workflow(env: &mut TestEnv) -> WorkflowDef {
    let mut d = three_tasks();
    d.failure_workflow = Some("${workflow.input.handler}".into());
    env.defs.insert(
        "cleanup".into(),
        def(json!({"name": "cleanup", "tasks": [{"name": "c", "taskReferenceName": "c"}]})),
    );
    d
}

#[test]
fn terminate_with_trigger_starts_the_failure_workflow() {
    let mut env = TestEnv::new();
    let d = with_failure_workflow(&mut env);
    let mut new = new_workflow(d);
    new.input.insert("handler".into(), json!("cleanup"));
    let (mut wf, _) = start(new, &mut env).unwrap();
    let out = apply(
        &mut wf,
        Event::Terminate {
            reason: Some("stop".into()),
            trigger_failure_workflow: true,
        },
        &mut env,
    )
    .unwrap();
    let started: Vec<_> = out
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::StartWorkflow(n) => Some(n),
            _ => None,
        })
        .collect();
    assert_eq!(started.len(), 1);
    let child = started[0];
    assert_eq!(child.definition.name, "cleanup");
    assert_eq!(child.correlation_id.as_deref(), Some("c1"));
    assert_eq!(child.input["workflowId"], json!("wf"));
    assert_eq!(child.input["reason"], json!("stop"));
    assert_eq!(child.input["failureStatus"], json!("TERMINATED"));
    assert_eq!(
        child.input["orderId"],
        json!(7),
        "original input is passed on"
    );
    assert_eq!(child.input["failedWorkflow"]["workflowId"], json!("wf"));
    assert_eq!(
        wf.output["conductor.failure_workflow"],
        json!(child.workflow_id)
    );
}

#[test]
fn automatic_failure_starts_the_failure_workflow_or_records_why_not() {
    let mut env = TestEnv::new();
    let d = with_failure_workflow(&mut env);
    let mut new = new_workflow(d.clone());
    new.input.insert("handler".into(), json!("cleanup"));
    let (mut wf, _) = start(new, &mut env).unwrap();
    let id = open_id(&wf, "t1");
    let out = apply(&mut wf, fail(&id, TaskResultStatus::Failed, "x"), &mut env).unwrap();
    let child = out
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::StartWorkflow(n) => Some(n),
            _ => None,
        })
        .unwrap();
    assert_eq!(child.input["failureTaskId"], json!(id));
    assert_eq!(child.input["failureStatus"], json!("FAILED"));

    let mut new = new_workflow(d);
    new.input.insert("handler".into(), json!("missing"));
    let (mut wf, _) = start(new, &mut env).unwrap();
    let id = open_id(&wf, "t1");
    let out = apply(&mut wf, fail(&id, TaskResultStatus::Failed, "x"), &mut env).unwrap();
    assert!(
        !out.effects
            .iter()
            .any(|e| matches!(e, Effect::StartWorkflow(_)))
    );
    assert!(
        wf.output["conductor.failure_workflow"]
            .as_str()
            .unwrap()
            .contains("No such workflow found by name: missing")
    );
}

// ---- skip task (§3.9) ----

#[test]
fn skip_a_future_task_then_flow_jumps_over_it() {
    let mut env = TestEnv::new();
    let (mut wf, _) = started(&mut env, three_tasks());
    let request = SkipTaskRequest {
        task_output: json!({"s": 1}).as_object().unwrap().clone(),
        ..Default::default()
    };
    apply(
        &mut wf,
        Event::SkipTask {
            reference: "t2".into(),
            request,
        },
        &mut env,
    )
    .unwrap();
    assert_eq!(wf.tasks[0].status, TaskStatus::Skipped, "seq 0 sorts first");
    assert_eq!(wf.tasks[0].seq, 0);
    complete(&mut wf, &mut env, "t1", json!({}));
    assert_eq!(
        statuses(&wf),
        st(&[
            ("t2", TaskStatus::Skipped),
            ("t1", TaskStatus::Completed),
            ("t3", TaskStatus::Scheduled)
        ])
    );
    complete(&mut wf, &mut env, "t3", json!({}));
    assert_eq!(wf.status, WorkflowStatus::Completed);
}

#[test]
fn skip_preconditions() {
    let mut env = TestEnv::new();
    let (mut wf, _) = started(&mut env, three_tasks());
    let skip = |r: &str| Event::SkipTask {
        reference: r.into(),
        request: Default::default(),
    };
    assert_eq!(
        apply(&mut wf, skip("t1"), &mut env).unwrap_err().kind,
        ErrorKind::Conflict
    );
    assert_eq!(
        apply(&mut wf, skip("zz"), &mut env).unwrap_err().kind,
        ErrorKind::BadRequest
    );
    apply(&mut wf, Event::Pause, &mut env).unwrap();
    assert_eq!(
        apply(&mut wf, skip("t3"), &mut env).unwrap_err().kind,
        ErrorKind::Conflict
    );
}

// ---- reset callbacks (§3.10) ----

#[test]
fn reset_callbacks_makes_delayed_tasks_available_now() {
    let mut env = TestEnv::new();
    let mut d = three_tasks();
    d.tasks[0].start_delay = 30;
    let (mut wf, fx) = started(&mut env, d);
    assert_eq!(enqueued(&fx), vec![("task_1".into(), 30_000)]);
    let out = apply(&mut wf, Event::ResetCallbacks, &mut env).unwrap();
    assert_eq!(enqueued(&out.effects), vec![("task_1".into(), 0)]);
    assert_eq!(wf.tasks[0].callback_after_seconds, 0);
    let mut done = run_to_end(&mut env);
    assert_eq!(
        apply(&mut done, Event::ResetCallbacks, &mut env)
            .unwrap_err()
            .kind,
        ErrorKind::Conflict
    );
}

#[test]
fn errors_leave_the_execution_untouched() {
    let mut env = TestEnv::new();
    let mut wf = run_to_end(&mut env);
    let before = wf.clone();
    for event in [
        Event::Pause,
        Event::Resume,
        Event::Retry {
            resume_subworkflow_tasks: false,
        },
        Event::ResetCallbacks,
    ] {
        let _ = apply(&mut wf, event, &mut env);
        assert_eq!(wf, before);
    }
}

// ---- system tasks run by plugins (§4, asyncComplete §4.6) ----

fn system_def() -> WorkflowDef {
    def(json!({"name": "sys", "tasks": [
        {"name": "wait", "taskReferenceName": "w", "type": "WAIT", "inputParameters": {"duration": "${workflow.input.d}"}},
        {"name": "call", "taskReferenceName": "h", "type": "HTTP", "asyncComplete": true},
        {"name": "emit", "taskReferenceName": "e", "type": "EVENT", "sink": "conductor:${workflow.input.q}"}
    ]}))
}

fn start_sys(env: &mut TestEnv) -> Workflow {
    let mut new = new_workflow(system_def());
    new.input.insert("d".into(), json!("5s"));
    new.input.insert("q".into(), json!("replies"));
    start(new, env).unwrap().0
}

fn run_plugin(
    wf: &mut Workflow,
    env: &mut TestEnv,
    reference: &str,
    outcome: PluginOutcome,
) -> Outcome {
    let id = open_id(wf, reference);
    let started = apply(
        wf,
        Event::SystemTaskStarted {
            task_id: id.clone(),
            worker_id: Some("host".into()),
        },
        env,
    )
    .unwrap();
    assert_eq!(started.task_id.as_deref(), Some(id.as_str()));
    assert!(
        !started
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Dequeue { .. })),
        "the queue entry stays while it runs"
    );
    let token = wf.task(&id).unwrap().poll_count;
    apply(
        wf,
        Event::PluginFinished {
            task_id: id,
            token,
            outcome,
        },
        env,
    )
    .unwrap()
}

fn out(v: Value) -> Json {
    v.as_object().unwrap().clone()
}

#[test]
fn system_tasks_queue_by_type_and_see_their_async_complete_and_sink() {
    let mut env = TestEnv::new();
    let (wf, fx) = start(new_workflow(system_def()), &mut env).unwrap();
    assert_eq!(enqueued(&fx), vec![("system:WAIT".into(), 0)]);
    assert_eq!(wf.tasks[0].task_type, "WAIT");
    assert_eq!(wf.tasks[0].input_data["asyncComplete"], json!(false));
}

#[test]
fn a_timed_wait_completes_when_its_timer_fires() {
    let mut env = TestEnv::new();
    let mut wf = start_sys(&mut env);
    let at = env.now + 5000;
    let done = run_plugin(
        &mut wf,
        &mut env,
        "w",
        PluginOutcome::WaitUntil {
            at_ms: at,
            output: Json::new(),
        },
    );
    assert!(
        done.effects
            .iter()
            .any(|e| matches!(e, Effect::Dequeue { .. }))
    );
    let w = &wf.tasks[0];
    assert_eq!(
        (w.status, w.wait_timeout, w.callback_after_seconds),
        (TaskStatus::InProgress, at, 5)
    );
    assert_eq!(next_wake(&wf), Some(at));
    env.advance(4);
    apply(&mut wf, Event::Decide, &mut env).unwrap();
    assert_eq!(wf.tasks[0].status, TaskStatus::InProgress);
    env.advance(1);
    apply(&mut wf, Event::Decide, &mut env).unwrap();
    assert_eq!(
        statuses(&wf),
        st(&[("w", TaskStatus::Completed), ("h", TaskStatus::Scheduled)])
    );
}

#[test]
fn a_signal_wait_completes_by_update_and_an_early_update_beats_the_timer() {
    let mut env = TestEnv::new();
    let mut wf = start_sys(&mut env);
    let later = env.now + 60_000;
    run_plugin(
        &mut wf,
        &mut env,
        "w",
        PluginOutcome::WaitUntil {
            at_ms: later,
            output: Json::new(),
        },
    );

    assert_eq!(blocked_wait_task(&wf).unwrap().reference_task_name, "w");
    let id = open_id(&wf, "w");
    let Event::TaskUpdated(mut u) = update(&id, TaskResultStatus::Completed, json!({"ok": 1}))
    else {
        unreachable!()
    };
    u.output = OutputChange::Merge(out(json!({"ok": 1})));
    apply(&mut wf, Event::TaskUpdated(u), &mut env).unwrap();
    assert_eq!(wf.tasks[0].status, TaskStatus::Completed);
    assert_eq!(wf.tasks[0].output_data, out(json!({"ok": 1})));
}

#[test]
fn async_complete_keeps_the_task_in_progress_with_the_plugin_output() {
    let mut env = TestEnv::new();
    let mut wf = start_sys(&mut env);
    run_plugin(
        &mut wf,
        &mut env,
        "w",
        PluginOutcome::WaitForSignal(Json::new()),
    );
    complete(&mut wf, &mut env, "w", json!({}));
    let response = out(json!({"response": {"statusCode": 200}}));
    run_plugin(
        &mut wf,
        &mut env,
        "h",
        PluginOutcome::Completed(response.clone()),
    );
    let h = wf.last_task_by_ref("h").unwrap();
    assert_eq!(
        (h.status, &h.output_data),
        (TaskStatus::InProgress, &response)
    );
    // Not response-timed-out while held, whatever the time.
    env.advance(100_000);
    apply(&mut wf, Event::Decide, &mut env).unwrap();
    assert_eq!(
        wf.last_task_by_ref("h").unwrap().status,
        TaskStatus::InProgress
    );
    // Completed by reference name: the output is merged, the response kept.
    let id = open_id(&wf, "h");
    let merge = Event::TaskUpdated(TaskUpdate {
        task_id: id,
        status: TaskResultStatus::Completed,
        output: OutputChange::Merge(out(json!({"approved": true}))),
        reason_for_incompletion: None,
        worker_id: None,
        callback_after_seconds: 0,
        logs: vec![],
        extend_lease: false,
    });
    apply(&mut wf, merge, &mut env).unwrap();
    let h = wf.last_task_by_ref("h").unwrap();
    assert_eq!(
        h.output_data,
        out(json!({"response": {"statusCode": 200}, "approved": true}))
    );
    let e = wf.last_task_by_ref("e").unwrap();
    assert_eq!(
        e.input_data["sink"],
        json!("conductor:replies"),
        "sink evaluated into the input"
    );
}

#[test]
fn plugin_failures_follow_the_retry_rules() {
    let mut env = TestEnv::new();
    let mut wf = start_sys(&mut env);
    let fail = PluginOutcome::Failed {
        reason: "boom".into(),
        output: out(json!({"r": 1})),
        terminal: false,
    };
    run_plugin(&mut wf, &mut env, "w", fail);
    assert_eq!(
        wf.status,
        WorkflowStatus::Failed,
        "system tasks without a definition are not retried"
    );
    assert_eq!(wf.tasks[0].output_data, out(json!({"r": 1})));
    let mut d = system_def();
    let mut td = TaskDef::named("wait");
    td.retry_count = 1;
    td.retry_delay_seconds = 0;
    d.tasks[0].task_definition = Some(td);
    let mut wf = start(new_workflow(d), &mut env).unwrap().0;
    let terminal = PluginOutcome::Failed {
        reason: "bad input".into(),
        output: Json::new(),
        terminal: true,
    };
    run_plugin(&mut wf, &mut env, "w", terminal);
    assert_eq!(wf.tasks[0].status, TaskStatus::FailedWithTerminalError);
    assert_eq!(
        wf.status,
        WorkflowStatus::Failed,
        "terminal failures are never retried"
    );
}

#[test]
fn stale_and_late_outcomes_are_ignored() {
    let mut env = TestEnv::new();
    let mut wf = start_sys(&mut env);
    let id = open_id(&wf, "w");
    apply(
        &mut wf,
        Event::SystemTaskStarted {
            task_id: id.clone(),
            worker_id: None,
        },
        &mut env,
    )
    .unwrap();
    // A rerun resets the task while its plugin runs; the old run's outcome must not land.
    apply(
        &mut wf,
        Event::Rerun(RerunWorkflowRequest {
            re_run_from_task_id: Some(id.clone()),
            ..Default::default()
        }),
        &mut env,
    )
    .unwrap();
    let late = apply(
        &mut wf,
        Event::PluginFinished {
            task_id: id.clone(),
            token: 1,
            outcome: PluginOutcome::Completed(Json::new()),
        },
        &mut env,
    )
    .unwrap();
    assert!(!late.changed);
    assert!(late.effects.is_empty(), "the fresh queue entry is kept");
    // After terminate, an outcome only cleans up the queue.
    apply(
        &mut wf,
        Event::SystemTaskStarted {
            task_id: id.clone(),
            worker_id: None,
        },
        &mut env,
    )
    .unwrap();
    apply(
        &mut wf,
        Event::Terminate {
            reason: None,
            trigger_failure_workflow: false,
        },
        &mut env,
    )
    .unwrap();
    let token = wf.task(&id).unwrap().poll_count;
    let after = apply(
        &mut wf,
        Event::PluginFinished {
            task_id: id.clone(),
            token,
            outcome: PluginOutcome::Completed(Json::new()),
        },
        &mut env,
    )
    .unwrap();
    assert_eq!(wf.task(&id).unwrap().status, TaskStatus::Canceled);
    assert_eq!(after.effects, vec![Effect::Dequeue { task_id: id }]);
}

#[test]
fn an_interrupted_run_starts_again() {
    let mut env = TestEnv::new();
    let mut wf = start_sys(&mut env);
    let id = open_id(&wf, "w");
    apply(
        &mut wf,
        Event::SystemTaskStarted {
            task_id: id.clone(),
            worker_id: None,
        },
        &mut env,
    )
    .unwrap();
    let again = apply(
        &mut wf,
        Event::SystemTaskStarted {
            task_id: id.clone(),
            worker_id: None,
        },
        &mut env,
    )
    .unwrap();
    assert_eq!(again.task_id, Some(id.clone()));
    assert_eq!(wf.tasks[0].poll_count, 2);
}

#[test]
fn an_early_asynchronous_signal_is_taken_by_the_next_task_that_waits_for_one() {
    use crate::decider::SignalUpdate;
    let mut env = TestEnv::new();
    let def: WorkflowDef = serde_json::from_value(json!({"name": "early", "tasks": [
        {"name": "first", "taskReferenceName": "first"},
        {"name": "y", "taskReferenceName": "y", "type": "YIELD"}]}))
    .unwrap();
    let (mut wf, _) = started(&mut env, def);
    let early = Event::Signal(SignalUpdate {
        status: TaskResultStatus::Completed,
        output: json!({"early": true}).as_object().unwrap().clone(),
        required: false,
    });
    let out = apply(&mut wf, early, &mut env).unwrap();
    assert!(out.changed);
    assert_eq!(wf.early_signals.len(), 1);
    let first = open_id(&wf, "first");
    let out = apply(
        &mut wf,
        update(&first, TaskResultStatus::Completed, json!({})),
        &mut env,
    )
    .unwrap();
    assert_eq!(
        out.task_id.as_deref(),
        Some(first.as_str()),
        "the event's answer stays"
    );
    assert!(wf.early_signals.is_empty());
    assert_eq!(wf.status, WorkflowStatus::Completed);
    assert_eq!(wf.tasks[1].output_data["early"], true);
}
