//! A fuzz run over every endpoint: thousands of malformed, oversized and deeply nested
//! requests, after which fermata has answered no 5xx, is alive, and every execution it
//! accepted is readable.

use fastrand::Rng;
use fermata_tests::Server;
use fermata_tests::hostile::{assert_alive, excerpt, filter_expr, nested_ref};
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

// ---- 11: fuzz ----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Empty,
    Def,
    Defs,
    Start,
    Input,
    TaskDefs,
    TaskDef,
    TaskResult,
    Output,
    Ids,
    Doomed,
    CorrIds,
    Rerun,
    Skip,
    Handler,
    Log,
    Wasm,
    Any,
}

struct Route {
    method: &'static str,
    path: &'static str,
    body: Kind,
    query: &'static [&'static str],
}

const fn r(
    method: &'static str,
    path: &'static str,
    body: Kind,
    query: &'static [&'static str],
) -> Route {
    Route {
        method,
        path,
        body,
        query,
    }
}

/// Every route of `host/server/src/api/mod.rs`, and a few outside `/api`. `{doomed}` is an
/// execution the fuzz may remove; `{id}` one it may signal but never remove, so it must
/// still read back afterwards.
const ROUTES: &[Route] = &[
    r(
        "POST",
        "/api/metadata/workflow",
        Kind::Def,
        &["overwrite", "newVersion"],
    ),
    r("PUT", "/api/metadata/workflow", Kind::Defs, &["overwrite"]),
    r(
        "GET",
        "/api/metadata/workflow",
        Kind::Empty,
        &["access", "short", "name", "version"],
    ),
    r("POST", "/api/metadata/workflow/validate", Kind::Def, &[]),
    r(
        "GET",
        "/api/metadata/workflow/latest-versions",
        Kind::Empty,
        &[],
    ),
    r("GET", "/api/metadata/workflow/names", Kind::Empty, &[]),
    r(
        "GET",
        "/api/metadata/workflow/names-and-versions",
        Kind::Empty,
        &[],
    ),
    r(
        "GET",
        "/api/metadata/workflow/{name}",
        Kind::Empty,
        &["version", "metadata"],
    ),
    r(
        "GET",
        "/api/metadata/workflow/{name}/versions",
        Kind::Empty,
        &[],
    ),
    r(
        "DELETE",
        "/api/metadata/workflow/{name}/{version}",
        Kind::Empty,
        &[],
    ),
    r("POST", "/api/metadata/taskdefs", Kind::TaskDefs, &[]),
    r("PUT", "/api/metadata/taskdefs", Kind::TaskDef, &[]),
    r(
        "GET",
        "/api/metadata/taskdefs",
        Kind::Empty,
        &["access", "metadata"],
    ),
    r("GET", "/api/metadata/taskdefs/{name}", Kind::Empty, &[]),
    r("DELETE", "/api/metadata/taskdefs/{name}", Kind::Empty, &[]),
    r("POST", "/api/workflow", Kind::Start, &[]),
    r(
        "GET",
        "/api/workflow/search",
        Kind::Empty,
        &["start", "size", "sort", "freeText", "query"],
    ),
    r(
        "GET",
        "/api/workflow/search-v2",
        Kind::Empty,
        &["start", "size", "sort", "freeText", "query"],
    ),
    r(
        "GET",
        "/api/workflow/running/{name}",
        Kind::Empty,
        &["version", "startTime", "endTime"],
    ),
    r("PUT", "/api/workflow/decide/{id}", Kind::Empty, &[]),
    r("PUT", "/api/workflow/bulk/pause", Kind::Ids, &[]),
    r("PUT", "/api/workflow/bulk/resume", Kind::Ids, &[]),
    r(
        "POST",
        "/api/workflow/bulk/restart",
        Kind::Ids,
        &["useLatestDefinitions"],
    ),
    r("POST", "/api/workflow/bulk/retry", Kind::Ids, &[]),
    r(
        "POST",
        "/api/workflow/bulk/terminate",
        Kind::Ids,
        &["reason", "triggerFailureWorkflow"],
    ),
    r(
        "DELETE",
        "/api/workflow/bulk/remove",
        Kind::Doomed,
        &["archiveWorkflow"],
    ),
    r("POST", "/api/workflow/bulk/delete", Kind::Doomed, &[]),
    r(
        "DELETE",
        "/api/workflow/bulk/terminate-remove",
        Kind::Doomed,
        &["reason"],
    ),
    r(
        "POST",
        "/api/workflow/bulk/search",
        Kind::Ids,
        &["includeTasks"],
    ),
    r(
        "POST",
        "/api/workflow/{name}",
        Kind::Input,
        &["version", "correlationId", "priority"],
    ),
    r("GET", "/api/workflow/{id}", Kind::Empty, &["includeTasks"]),
    r(
        "DELETE",
        "/api/workflow/{id}",
        Kind::Empty,
        &["reason", "triggerFailureWorkflow"],
    ),
    r(
        "GET",
        "/api/workflow/{id}/status",
        Kind::Empty,
        &["includeOutput", "includeVariables"],
    ),
    r(
        "GET",
        "/api/workflow/{id}/tasks",
        Kind::Empty,
        &["start", "count", "status"],
    ),
    r("GET", "/api/workflow/{id}/signals", Kind::Empty, &[]),
    r("PUT", "/api/workflow/{id}/pause", Kind::Empty, &[]),
    r("PUT", "/api/workflow/{id}/resume", Kind::Empty, &[]),
    r(
        "POST",
        "/api/workflow/{id}/restart",
        Kind::Empty,
        &["useLatestDefinitions"],
    ),
    r("POST", "/api/workflow/{id}/rerun", Kind::Rerun, &[]),
    r(
        "POST",
        "/api/workflow/{id}/retry",
        Kind::Empty,
        &["resumeSubworkflowTasks"],
    ),
    r(
        "POST",
        "/api/workflow/{id}/resetcallbacks",
        Kind::Empty,
        &[],
    ),
    r(
        "DELETE",
        "/api/workflow/{doomed}/remove",
        Kind::Empty,
        &["archiveWorkflow"],
    ),
    r(
        "DELETE",
        "/api/workflow/{doomed}/terminate-remove",
        Kind::Empty,
        &["reason"],
    ),
    r("PUT", "/api/workflow/{id}/skiptask/{ref}", Kind::Skip, &[]),
    r(
        "POST",
        "/api/workflow/{name}/correlated",
        Kind::CorrIds,
        &["includeClosed", "includeTasks"],
    ),
    r(
        "GET",
        "/api/workflow/{name}/correlated/{corr}",
        Kind::Empty,
        &["includeClosed", "includeTasks"],
    ),
    r("POST", "/api/tasks", Kind::TaskResult, &[]),
    r("POST", "/api/tasks/update-v2", Kind::TaskResult, &[]),
    r(
        "GET",
        "/api/tasks/poll/{type}",
        Kind::Empty,
        &["workerid", "domain"],
    ),
    r(
        "GET",
        "/api/tasks/poll/batch/{type}",
        Kind::Empty,
        &["workerid", "domain", "count", "timeout"],
    ),
    r(
        "GET",
        "/api/tasks/queue/sizes",
        Kind::Empty,
        &["taskType", "taskType"],
    ),
    r(
        "GET",
        "/api/tasks/queue/size",
        Kind::Empty,
        &["taskType", "domain"],
    ),
    r("GET", "/api/tasks/queue/all", Kind::Empty, &[]),
    r("GET", "/api/tasks/{task}", Kind::Empty, &[]),
    r("GET", "/api/tasks/{task}/log", Kind::Empty, &[]),
    r("POST", "/api/tasks/{task}/log", Kind::Log, &[]),
    r("POST", "/api/tasks/{task}/ack", Kind::Any, &["workerid"]),
    r(
        "POST",
        "/api/tasks/{id}/{ref}/{status}",
        Kind::Output,
        &["workerid"],
    ),
    r(
        "POST",
        "/api/tasks/{id}/{ref}/{status}/sync",
        Kind::Output,
        &["workerid"],
    ),
    r("POST", "/api/tasks/{id}/{status}/signal", Kind::Output, &[]),
    r(
        "POST",
        "/api/tasks/{id}/{status}/signal/sync",
        Kind::Output,
        &[],
    ),
    r("POST", "/api/event", Kind::Handler, &[]),
    r("PUT", "/api/event", Kind::Handler, &[]),
    r("GET", "/api/event", Kind::Empty, &["activeOnly"]),
    r("GET", "/api/event/{handler}", Kind::Empty, &["activeOnly"]),
    r("DELETE", "/api/event/{handler}", Kind::Empty, &[]),
    r("GET", "/api/queue/messages/{queue}", Kind::Empty, &[]),
    r("GET", "/api/plugins", Kind::Empty, &[]),
    r("GET", "/api/plugins/{type}", Kind::Empty, &[]),
    r("PUT", "/api/plugins/{type}", Kind::Wasm, &[]),
    r("GET", "/api/version", Kind::Empty, &[]),
    r("POST", "/api/token", Kind::Any, &[]),
    r("GET", "/api/no/such/{name}", Kind::Any, &[]),
    r("GET", "/health", Kind::Empty, &[]),
    r("GET", "/ui/{name}", Kind::Empty, &[]),
];

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "123456789012345678901234567890",
    "1.7976931348623157e308",
    "-1.7976931348623157e308",
    "5e-324",
    "1e400",
    "-1e400",
    "0.5",
    "3.0e10",
];

const SECONDS: &[i64] = &[
    0,
    1,
    60,
    3600,
    -1,
    i32::MAX as i64,
    2_147_483_648,
    9_223_372_036_854_775,
    3_162_240_001,
    i64::MAX,
    i64::MIN,
];

const QUERY_VALUES: &[&str] = &[
    "0",
    "-1",
    "1",
    "true",
    "True",
    "FALSE",
    "yes",
    "",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "18446744073709551616",
    "1e309",
    "NaN",
    "%FF",
    "%00",
    "%C3%28",
    "null",
    "99999999999999999999999999",
];

const DURATIONS: &[&str] = &[
    "1s",
    "0s",
    "2 seconds",
    "1 day",
    "soon",
    "",
    "1000000000000 days",
    "9223372036854775807s",
    "-1s",
];

/// Placeholder a mutation replaces with raw JSON text.
const HOLE: &str = "@@hole@@";

struct Targets {
    ids: Vec<String>,
    doomed: Vec<String>,
    task_ids: Vec<String>,
}

struct FuzzRequest {
    label: String,
    method: Method,
    url: String,
    body: Option<Vec<u8>>,
    content_type: Option<&'static str>,
    idempotency_key: Option<Vec<u8>>,
    starts: bool,
}

struct Outcome {
    label: String,
    url: String,
    body_len: usize,
    result: Result<(u16, String), String>,
    starts: bool,
}

fn pick<'a, T>(rng: &mut Rng, xs: &'a [T]) -> &'a T {
    &xs[rng.usize(..xs.len())]
}

fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn rand_text(rng: &mut Rng, max: usize) -> String {
    let n = rng.usize(0..=max);
    let mut out = String::new();
    for _ in 0..n {
        let c = match rng.u8(0..10) {
            0 => rng.char('\u{0}'..='\u{1f}'),
            1 => *pick(
                rng,
                &[
                    '"', '\\', '{', '}', '[', ']', '$', '%', '&', '=', '?', '#', '/', '\'', ' ',
                ],
            ),
            2 => rng.char('\u{80}'..='\u{7ff}'),
            3 => rng.char('\u{4e00}'..='\u{9fff}'),
            4 => rng.char('\u{1f300}'..='\u{1f5ff}'),
            _ => rng.alphanumeric(),
        };
        out.push(c);
    }
    out
}

fn random_bytes(rng: &mut Rng, max: usize) -> Vec<u8> {
    let mut v = vec![0u8; rng.usize(0..=max)];
    rng.fill(&mut v);
    v
}

fn odd_segment(rng: &mut Rng) -> String {
    match rng.u8(0..10) {
        0 => "%FF".into(),
        1 => "%C3%28".into(),
        2 => "%00".into(),
        3 => "a%2Fb".into(),
        4 => "%E2%82".into(),
        5 => "x".repeat(rng.usize(513..3000)),
        6 => enc("${workflow.input}"),
        7 => "%25".into(),
        8 => enc(&rand_text(rng, 30)),
        _ => rng.u64(..).to_string(),
    }
}

fn segment(rng: &mut Rng, known: &[&str]) -> String {
    if rng.u8(0..10) < 6 {
        pick(rng, known).to_string()
    } else {
        odd_segment(rng)
    }
}

fn pooled(rng: &mut Rng, pool: &[String]) -> String {
    if !pool.is_empty() && rng.bool() {
        return pick(rng, pool).clone();
    }
    match rng.u8(0..3) {
        0 => format!("{:032x}", rng.u128(..)),
        1 => odd_segment(rng),
        _ => "nope".into(),
    }
}

/// An id for a JSON body: real `real_percent` % of the time.
fn raw_id(rng: &mut Rng, pool: &[String], real_percent: u8) -> String {
    if !pool.is_empty() && rng.u8(0..100) < real_percent {
        return pick(rng, pool).clone();
    }
    match rng.u8(0..4) {
        0 => String::new(),
        1 => "x".repeat(rng.usize(500..3000)),
        2 => rand_text(rng, 40),
        _ => format!("{:032x}", rng.u128(..)),
    }
}

fn fill_path(rng: &mut Rng, template: &str, t: &Targets) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = start + rest[start..].find('}').expect("closed placeholder");
        let value = match &rest[start + 1..end] {
            "id" => pooled(rng, &t.ids),
            "doomed" => pooled(rng, &t.doomed),
            "task" => pooled(rng, &t.task_ids),
            "name" => segment(rng, &["fz_simple", "fz_wait", "fz_other", "nope"]),
            "type" => segment(rng, &["fz_task", "WAIT", "HTTP", "HOSTILE", "nope"]),
            "ref" => segment(rng, &["t", "w", "nope"]),
            "status" => segment(
                rng,
                &[
                    "COMPLETED",
                    "FAILED",
                    "FAILED_WITH_TERMINAL_ERROR",
                    "IN_PROGRESS",
                    "SCHEDULED",
                    "CANCELED",
                    "completed",
                    "bogus",
                ],
            ),
            "version" => segment(
                rng,
                &[
                    "1",
                    "0",
                    "-1",
                    "2147483648",
                    "9223372036854775807",
                    "1e3",
                    "abc",
                ],
            ),
            "corr" | "handler" | "queue" => {
                segment(rng, &["c-1", "fz_handler", "conductor:fz_simple:x"])
            }
            other => panic!("unknown placeholder {other}"),
        };
        out.push_str(&value);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn search_query(rng: &mut Rng) -> String {
    match rng.u8(0..8) {
        0 => "workflowType=fz_simple".into(),
        1 => "status IN (RUNNING,FAILED) AND workflowType IN (fz_simple,fz_wait)".into(),
        2 => format!("startTime>{}", pick(rng, NUMBERS)),
        3 => {
            let n = rng.usize(1..1500);
            let ids: Vec<String> = (0..n).map(|i| format!("id{i}")).collect();
            format!("workflowId IN ({})", ids.join(","))
        }
        4 => "((((((((((".repeat(rng.usize(1..500)),
        5 => format!("correlationId={}", rand_text(rng, 50)),
        6 => format!("endTime<{}", pick(rng, NUMBERS)),
        _ => rand_text(rng, 80),
    }
}

fn query_value(rng: &mut Rng, key: &str) -> String {
    match key {
        // Never a real long poll: each would hold one of the eight slots for seconds.
        "timeout" => pick(
            rng,
            &[
                "0",
                "1",
                "50",
                "-1",
                "5001",
                "9223372036854775807",
                "99999999999999999999",
                "abc",
                "%FF",
            ],
        )
        .to_string(),
        "count" => pick(
            rng,
            &["1", "5", "1000", "1001", "0", "-5", "4294967296", "x"],
        )
        .to_string(),
        "query" => enc(&search_query(rng)),
        "freeText" => match rng.u8(0..4) {
            0 => "*".into(),
            1 => enc(&"f".repeat(rng.usize(1000..20_000))),
            2 => "%FF%FE".into(),
            _ => enc(&rand_text(rng, 40)),
        },
        "sort" => pick(
            rng,
            &[
                "startTime:DESC",
                "workflowId:ASC",
                "bogus:ASC",
                "startTime",
                "%3A%3A",
                "",
            ],
        )
        .to_string(),
        _ => {
            if rng.u8(0..3) == 0 {
                enc(&rand_text(rng, 30))
            } else {
                pick(rng, QUERY_VALUES).to_string()
            }
        }
    }
}

fn build_query(rng: &mut Rng, keys: &[&str]) -> String {
    let mut pairs: Vec<String> = Vec::new();
    for key in keys {
        if rng.bool() {
            let value = query_value(rng, key);
            pairs.push(format!("{key}={value}"));
        }
    }
    for _ in 0..rng.usize(0..3) {
        let key = match rng.u8(0..4) {
            0 => "%FF".to_string(),
            1 => "a%5Bb%5D".to_string(),
            2 => pick(rng, &["version", "includeTasks", "workerid", "size"]).to_string(),
            _ => enc(&rand_text(rng, 12)),
        };
        let value = query_value(rng, "");
        pairs.push(format!("{key}={value}"));
    }
    pairs.join("&")
}

fn expr_sample(rng: &mut Rng) -> String {
    match rng.u8(0..7) {
        0 => "${workflow.input}".into(),
        1 => "${workflow.input.x}".into(),
        2 => nested_ref(rng.usize(1..12)),
        3 => filter_expr(rng.usize(2..40)),
        4 => "${".repeat(rng.usize(1..100)),
        5 => "$${escaped} ${workflow.workflowId}".into(),
        _ => "${workflow.input[?(@.a > 1)]}".into(),
    }
}

fn input(rng: &mut Rng) -> Value {
    let mut m = serde_json::Map::new();
    for _ in 0..rng.usize(0..4) {
        let k = pick(rng, &["x", "k", "a", "deep", "workflowId"]).to_string();
        let v = match rng.u8(0..4) {
            0 => json!(rng.i64(..)),
            1 => Value::String(rand_text(rng, 20)),
            2 => json!(pick(rng, SECONDS)),
            _ => Value::String(expr_sample(rng)),
        };
        m.insert(k, v);
    }
    Value::Object(m)
}

fn workflow_task(rng: &mut Rng, i: usize) -> Value {
    let reference = if rng.u8(0..5) == 0 {
        rand_text(rng, 10)
    } else {
        format!("r{i}")
    };
    // No HTTP, EVENT or KAFKA tasks: the fuzz must not reach outside this machine.
    let mut t = match rng.u8(0..4) {
        0 => {
            let duration = pick(rng, DURATIONS).to_string();
            json!({"name": "fz_wait_task", "type": "WAIT", "inputParameters": {"duration": duration}})
        }
        1 => {
            let x = expr_sample(rng);
            json!({"name": "fz_task", "type": "SIMPLE", "inputParameters": {"x": x}})
        }
        2 => {
            let name = rand_text(rng, 12);
            let kind = rand_text(rng, 8);
            json!({"name": name, "type": kind})
        }
        _ => json!({"name": "fz_task"}),
    };
    t["taskReferenceName"] = json!(reference);
    if rng.u8(0..4) == 0 {
        t["startDelay"] = json!(pick(rng, SECONDS));
    }
    if rng.u8(0..4) == 0 {
        t["retryCount"] = json!(pick(rng, &[0i64, 3, -1, 2_147_483_648]));
    }
    t
}

fn def(rng: &mut Rng) -> Value {
    let name = pick(
        rng,
        &["fz_other", "fz_other", "fz_simple", "fz_wait", "fz_tmp"],
    )
    .to_string();
    let n = rng.usize(0..4);
    let tasks: Vec<Value> = (0..n).map(|i| workflow_task(rng, i)).collect();
    let output = expr_sample(rng);
    let mut d = json!({"name": name, "tasks": tasks, "outputParameters": {"o": output}, "schemaVersion": 2});
    if rng.bool() {
        d["timeoutSeconds"] = json!(pick(rng, SECONDS));
        d["timeoutPolicy"] = json!(pick(rng, &["TIME_OUT_WF", "ALERT_ONLY", "bogus"]));
    }
    if rng.u8(0..4) == 0 {
        d["failureWorkflow"] = json!(pick(
            rng,
            &["fz_other", "fz_simple", "nope", "${workflow.input.x}"]
        ));
    }
    if rng.u8(0..4) == 0 {
        d["version"] = json!(pick(rng, &[1i64, 2, 0, -1, 2_147_483_648, i64::MAX]));
    }
    d
}

fn start_request(rng: &mut Rng) -> Value {
    let name = pick(rng, &["fz_simple", "fz_wait", "fz_other", "nope"]).to_string();
    let data = input(rng);
    let mut r = json!({"name": name, "input": data});
    if rng.bool() {
        r["correlationId"] = json!(rand_text(rng, 40));
    }
    if rng.u8(0..3) == 0 {
        r["priority"] = json!(pick(rng, &[0i64, 99, 100, -1, i64::MAX]));
    }
    if rng.u8(0..3) == 0 {
        r["idempotencyKey"] = json!(rand_text(rng, 20));
        r["idempotencyStrategy"] = json!(pick(
            rng,
            &["FAIL", "RETURN_EXISTING", "FAIL_ON_RUNNING", "bogus"]
        ));
    }
    if rng.u8(0..4) == 0 {
        r["workflowDef"] = def(rng);
    }
    if rng.u8(0..4) == 0 {
        r["taskToDomain"] = json!({"fz_task": rand_text(rng, 10)});
    }
    if rng.u8(0..5) == 0 {
        r["version"] = json!(pick(rng, &[1i64, 0, 7, 2_147_483_648]));
    }
    r
}

fn taskdef(rng: &mut Rng) -> Value {
    let name = pick(rng, &["fz_task", "fz_other_task", "fz_wait_task"]).to_string();
    let mut d = json!({"name": name});
    for field in [
        "retryCount",
        "timeoutSeconds",
        "responseTimeoutSeconds",
        "retryDelaySeconds",
        "pollTimeoutSeconds",
        "rateLimitPerFrequency",
        "rateLimitFrequencyInSeconds",
        "concurrentExecLimit",
        "backoffScaleFactor",
        "totalTimeoutSeconds",
        "backoffJitterMs",
    ] {
        if rng.u8(0..3) == 0 {
            d[field] = json!(pick(rng, SECONDS));
        }
    }
    if rng.u8(0..4) == 0 {
        d["retryLogic"] = json!(pick(
            rng,
            &["FIXED", "EXPONENTIAL_BACKOFF", "LINEAR_BACKOFF", "bogus"]
        ));
    }
    if rng.u8(0..5) == 0 {
        d["inputTemplate"] = json!({"t": expr_sample(rng)});
    }
    d
}

fn handler(rng: &mut Rng) -> Value {
    let name = if rng.bool() {
        pick(rng, &["fz_handler", "fz_handler2"]).to_string()
    } else {
        rand_text(rng, 20)
    };
    let event = pick(rng, &["conductor:fz_simple:x", "kafka:fz", "bogus", ""]).to_string();
    let active = rng.bool();
    let condition = expr_sample(rng);
    let action = pick(
        rng,
        &[
            "complete_task",
            "fail_task",
            "start_workflow",
            "terminate_workflow",
            "bogus",
        ],
    )
    .to_string();
    let output = input(rng);
    let start_input = input(rng);
    json!({"name": name, "event": event, "active": active, "condition": condition,
        "actions": [{"action": action,
            "complete_task": {"workflowId": "${workflowId}", "taskRefName": "t", "output": output},
            "start_workflow": {"name": "fz_simple", "input": start_input}}]})
}

fn id_list(rng: &mut Rng, pool: &[String]) -> Value {
    // Long lists mostly of unknown ids: a thousand real signals would dominate the run.
    let (n, real) = match rng.u8(0..10) {
        0 => (1000, 2),
        1 => (1001, 2),
        2 => (rng.usize(1002..5000), 2),
        3 => (0, 0),
        _ => (rng.usize(1..5), 50),
    };
    Value::Array(
        (0..n)
            .map(|_| Value::String(raw_id(rng, pool, real)))
            .collect(),
    )
}

fn valid_ish(rng: &mut Rng, kind: Kind, t: &Targets) -> Value {
    match kind {
        Kind::Def => def(rng),
        Kind::Defs => {
            let n = rng.usize(0..3);
            Value::Array((0..n).map(|_| def(rng)).collect())
        }
        Kind::Start => start_request(rng),
        Kind::TaskDefs => {
            let n = rng.usize(0..3);
            Value::Array((0..n).map(|_| taskdef(rng)).collect())
        }
        Kind::TaskDef => taskdef(rng),
        Kind::TaskResult => {
            let workflow = raw_id(rng, &t.ids, 50);
            let task_id = raw_id(rng, &t.task_ids, 50);
            let status = pick(
                rng,
                &[
                    "COMPLETED",
                    "FAILED",
                    "FAILED_WITH_TERMINAL_ERROR",
                    "IN_PROGRESS",
                    "bogus",
                ],
            )
            .to_string();
            let output = input(rng);
            let callback = *pick(rng, SECONDS);
            let reason = rand_text(rng, 40);
            let worker = rand_text(rng, 20);
            let log = rand_text(rng, 40);
            let created = *pick(rng, SECONDS);
            json!({"workflowInstanceId": workflow, "taskId": task_id, "status": status,
                "outputData": output, "callbackAfterSeconds": callback,
                "reasonForIncompletion": reason, "workerId": worker,
                "logs": [{"log": log, "createdTime": created}]})
        }
        Kind::Ids => id_list(rng, &t.ids),
        Kind::Doomed => id_list(rng, &t.doomed),
        Kind::CorrIds => {
            let n = match rng.u8(0..8) {
                0 => 1000,
                1 => 1001,
                _ => rng.usize(0..5),
            };
            Value::Array((0..n).map(|_| Value::String(rand_text(rng, 20))).collect())
        }
        Kind::Rerun => {
            let workflow = raw_id(rng, &t.ids, 50);
            let task_id = raw_id(rng, &t.task_ids, 50);
            let workflow_input = input(rng);
            let task_input = input(rng);
            json!({"reRunFromWorkflowId": workflow, "reRunFromTaskId": task_id,
                "workflowInput": workflow_input, "taskInput": task_input})
        }
        Kind::Skip => {
            let task_input = input(rng);
            let task_output = input(rng);
            json!({"taskInput": task_input, "taskOutput": task_output})
        }
        Kind::Handler => handler(rng),
        Kind::Input | Kind::Output | Kind::Any | Kind::Empty | Kind::Log | Kind::Wasm => input(rng),
    }
}

/// Random JSON text, including what serde_json refuses (lone surrogates, overflowing floats).
fn json_value(rng: &mut Rng, depth: u32) -> String {
    let kinds = if depth == 0 { 4 } else { 6 };
    match rng.u8(0..kinds) {
        0 => pick(rng, NUMBERS).to_string(),
        1 => serde_json::to_string(&rand_text(rng, 30)).expect("string"),
        2 => pick(
            rng,
            &[
                "true",
                "false",
                "null",
                "\"\\ud800\"",
                "\"${workflow.input}\"",
            ],
        )
        .to_string(),
        3 => rng.i64(..).to_string(),
        4 => {
            let n = rng.usize(0..4);
            let items: Vec<String> = (0..n).map(|_| json_value(rng, depth - 1)).collect();
            format!("[{}]", items.join(","))
        }
        _ => {
            let n = rng.usize(0..4);
            let mut items = Vec::new();
            for _ in 0..n {
                let k = serde_json::to_string(&rand_text(rng, 10)).expect("key");
                let v = json_value(rng, depth - 1);
                items.push(format!("{k}:{v}"));
            }
            format!("{{{}}}", items.join(","))
        }
    }
}

fn deep_text(rng: &mut Rng) -> String {
    let n = rng.usize(100..=5000);
    match rng.u8(0..4) {
        0 => format!("{}{}", "[".repeat(n), "]".repeat(n)),
        1 => format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n)),
        2 => format!("{}1{}", "[{\"a\":".repeat(n), "}]".repeat(n)),
        _ => "[".repeat(n),
    }
}

/// A JSON string literal of up to 2 MiB.
fn huge_string(rng: &mut Rng) -> String {
    let cap = 1usize << rng.u32(10..=21);
    let n = rng.usize(cap / 2..=cap);
    let unit = *pick(rng, &["x", "é", "\\u0000", "\\\"", "中", "${"]);
    let mut s = String::with_capacity(n + unit.len() + 2);
    s.push('"');
    while s.len() < n {
        s.push_str(unit);
    }
    s.push('"');
    s
}

/// Replace one value somewhere in `v` with [`HOLE`].
fn punch(rng: &mut Rng, v: &mut Value) {
    let descend = rng.u8(0..3) != 0;
    match v {
        Value::Object(m) if descend && !m.is_empty() => {
            let k = rng.usize(..m.len());
            if let Some(child) = m.values_mut().nth(k) {
                return punch(rng, child);
            }
        }
        Value::Array(a) if descend && !a.is_empty() => {
            let k = rng.usize(..a.len());
            return punch(rng, &mut a[k]);
        }
        _ => {}
    }
    *v = Value::String(HOLE.into());
}

fn with_hole(rng: &mut Rng, mut v: Value, raw: &str) -> Vec<u8> {
    punch(rng, &mut v);
    serde_json::to_string(&v)
        .expect("serialize")
        .replacen(&format!("\"{HOLE}\""), raw, 1)
        .into_bytes()
}

fn corrupt(rng: &mut Rng, mut b: Vec<u8>) -> Vec<u8> {
    if b.is_empty() {
        return b"{".to_vec();
    }
    let at = rng.usize(..b.len());
    match rng.u8(0..5) {
        0 => b.truncate(at),
        1 => {
            let c = *pick(rng, b"{}[],:\"\\");
            b.insert(at, c);
        }
        2 => {
            b.remove(at);
        }
        3 => b.extend_from_slice(b",}"),
        _ => b[at] = 0xFF,
    }
    b
}

fn mutated(rng: &mut Rng, v: Value) -> Vec<u8> {
    match rng.u8(0..100) {
        0..40 => serde_json::to_vec(&v).expect("serialize"),
        40..50 => {
            let raw = json_value(rng, 2);
            with_hole(rng, v, &raw)
        }
        50..58 => {
            let text = serde_json::to_vec(&v).expect("serialize");
            corrupt(rng, text)
        }
        58..68 => {
            let deep = deep_text(rng);
            if rng.bool() {
                deep.into_bytes()
            } else {
                with_hole(rng, v, &deep)
            }
        }
        68..70 => {
            let huge = huge_string(rng);
            with_hole(rng, v, &huge)
        }
        70..80 => {
            let number = pick(rng, NUMBERS).to_string();
            with_hole(rng, v, &number)
        }
        80..88 => random_bytes(rng, 4096),
        88..94 => json_value(rng, 3).into_bytes(),
        _ => pick(rng, &["", " \r\n\t", "null", "[]", "{}", "\"\""])
            .as_bytes()
            .to_vec(),
    }
}

fn wasm_body(rng: &mut Rng) -> Vec<u8> {
    match rng.u8(0..5) {
        0 => Vec::new(),
        1 => {
            // A component header, then garbage.
            let mut b = b"\0asm\x0d\0\x01\0".to_vec();
            let junk = random_bytes(rng, 4096);
            b.extend(junk);
            b
        }
        2 => vec![0u8; rng.usize(1..1 << 20)],
        3 => b"not wasm".to_vec(),
        _ => random_bytes(rng, 8192),
    }
}

fn body_for(rng: &mut Rng, kind: Kind, t: &Targets) -> Option<Vec<u8>> {
    match kind {
        Kind::Empty => {
            if rng.u8(0..8) == 0 {
                Some(json_value(rng, 3).into_bytes())
            } else {
                None
            }
        }
        Kind::Log => Some(match rng.u8(0..4) {
            0 => random_bytes(rng, 4096),
            1 => "log ".repeat(rng.usize(1..200_000)).into_bytes(),
            _ => rand_text(rng, 200).into_bytes(),
        }),
        Kind::Wasm => Some(wasm_body(rng)),
        _ => {
            let v = valid_ish(rng, kind, t);
            Some(mutated(rng, v))
        }
    }
}

fn odd_key(rng: &mut Rng) -> Vec<u8> {
    match rng.u8(0..7) {
        0 => Vec::new(),
        // Reused across routes and bodies: a repeat must be told apart from a replay.
        1 => b"fz-shared-key".to_vec(),
        2 => vec![b'k'; rng.usize(1..8000)],
        3 => {
            let n = rng.usize(1..64);
            (0..n).map(|_| rng.u8(0x80..=0xff)).collect()
        }
        4 => "ключ-🔑".as_bytes().to_vec(),
        5 => b" spaced\tkey ".to_vec(),
        _ => {
            let n = rng.usize(1..300);
            (0..n).map(|_| rng.u8(0x21..=0x7e)).collect()
        }
    }
}

fn fuzz_request(rng: &mut Rng, base: &str, t: &Targets) -> FuzzRequest {
    let route = pick(rng, ROUTES);
    let method = if rng.u8(0..30) == 0 {
        *pick(
            rng,
            &["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"],
        )
    } else {
        route.method
    };
    let path = fill_path(rng, route.path, t);
    let query = build_query(rng, route.query);
    let body = body_for(rng, route.body, t);
    let content_type = match rng.u8(0..6) {
        0 => None,
        1 => Some("text/plain"),
        2 => Some("application/x-www-form-urlencoded"),
        3 => Some("application/json; charset=latin1"),
        _ => Some("application/json"),
    };
    let idempotency_key = if method != "GET" && rng.u8(0..6) == 0 {
        Some(odd_key(rng))
    } else {
        None
    };
    let url = if query.is_empty() {
        format!("{base}{path}")
    } else {
        format!("{base}{path}?{query}")
    };
    let starts =
        method == "POST" && (route.path == "/api/workflow" || route.path == "/api/workflow/{name}");
    FuzzRequest {
        label: format!("{method} {}", route.path),
        method: Method::from_bytes(method.as_bytes()).expect("method"),
        url,
        body,
        content_type,
        idempotency_key,
        starts,
    }
}

async fn send(client: &reqwest::Client, mut req: FuzzRequest) -> Outcome {
    let mut builder = client.request(req.method.clone(), req.url.as_str());
    if let Some(ct) = req.content_type {
        builder = builder.header("content-type", ct);
    }
    if let Some(key) = &req.idempotency_key
        && let Ok(value) = reqwest::header::HeaderValue::from_bytes(key)
    {
        builder = builder.header("idempotency-key", value);
    }
    let body_len = req.body.as_ref().map_or(0, Vec::len);
    if let Some(body) = req.body.take() {
        builder = builder.body(body);
    }
    let result = match builder.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            match r.text().await {
                Ok(text) => Ok((status, excerpt(&text).to_string())),
                Err(e) => Err(format!("status {status}, body unreadable: {e:?}")),
            }
        }
        Err(e) => Err(format!("{e:?}")),
    };
    Outcome {
        label: req.label,
        url: excerpt(&req.url).to_string(),
        body_len,
        result,
        starts: req.starts,
    }
}

fn looks_like_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

#[tokio::test]
async fn fuzz_every_endpoint_answers_4xx_and_keeps_state_readable() {
    let seed: u64 = std::env::var("FERMATA_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("fuzz seed {seed} (FERMATA_FUZZ_SEED={seed} repeats this run)");
    let mut s = Server::start().await;
    s.define(json!({"name": "fz_simple", "tasks": [
        {"name": "fz_task", "taskReferenceName": "t", "retryCount": 0}
    ]}))
    .await;
    s.define(json!({"name": "fz_wait", "tasks": [
        {"name": "hold", "taskReferenceName": "w", "type": "WAIT"}
    ]}))
    .await;
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(s.start_workflow("fz_simple", json!({"x": i})).await);
        ids.push(s.start_workflow("fz_wait", json!({})).await);
    }
    let mut doomed = Vec::new();
    for _ in 0..4 {
        doomed.push(s.start_workflow("fz_simple", json!({})).await);
    }
    // Some tasks in progress too, so updates by task id meet every state.
    for _ in 0..3 {
        assert_eq!(s.get("/tasks/poll/fz_task?workerid=fz").await.status, 200);
    }
    let mut task_ids = Vec::new();
    for id in ids.iter().chain(&doomed) {
        let wf = s.workflow(id).await;
        for t in wf["tasks"].as_array().expect("tasks") {
            task_ids.push(t["taskId"].as_str().expect("taskId").to_string());
        }
    }
    let targets = Targets {
        ids: ids.clone(),
        doomed,
        task_ids,
    };
    let mut rng = Rng::with_seed(seed);
    let requests: Vec<FuzzRequest> = (0..3000)
        .map(|_| fuzz_request(&mut rng, &s.base, &targets))
        .collect();

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let began = Instant::now();
    let outcomes: Vec<Outcome> = futures::stream::iter(requests)
        .map(|req| send(&client, req))
        .buffer_unordered(8)
        .collect()
        .await;
    eprintln!("{} fuzz requests in {:?}", outcomes.len(), began.elapsed());

    let mut table: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut started = Vec::new();
    for o in &outcomes {
        match &o.result {
            Ok((status, text)) => {
                *table.entry(status.to_string()).or_default() += 1;
                if *status >= 500 {
                    failures.push(format!("{} {} -> {status}: {text}", o.label, o.url));
                }
                if o.starts && *status == 200 && looks_like_id(text) {
                    started.push(text.clone());
                }
            }
            Err(e) => {
                *table.entry("no answer".into()).or_default() += 1;
                // Even a large body refused before it was read gets its answer: fermata
                // drains the rest before closing instead of resetting the connection.
                failures.push(format!(
                    "{} {} (body {} bytes) -> no answer: {e}",
                    o.label, o.url, o.body_len
                ));
            }
        }
    }
    eprintln!("fuzz answers by status (seed {seed}):");
    for (status, count) in &table {
        eprintln!("  {status:>9}: {count}");
    }
    assert!(
        failures.is_empty(),
        "seed {seed}: {} failures, the first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );

    assert_alive(&s).await;
    eprintln!("{} executions started by the fuzz", started.len());
    for id in ids.iter().chain(&started) {
        let r = s.get(&format!("/workflow/{id}")).await;
        assert_eq!(r.status, 200, "seed {seed}: {id}: {}", excerpt(&r.text));
        r.json();
    }
    let r = s.get("/workflow/search?size=1000").await;
    assert_eq!(r.status, 200, "seed {seed}: {}", excerpt(&r.text));
    r.json();

    // Nothing the fuzz stored keeps fermata from starting again.
    s.terminate();
    s.restart().await;
    for id in ids.iter().chain(&started) {
        let r = s.get(&format!("/workflow/{id}")).await;
        assert_eq!(
            r.status,
            200,
            "seed {seed}: after a restart, {id}: {}",
            excerpt(&r.text)
        );
    }
    assert_eq!(s.get("/workflow/search?size=1000").await.status, 200);
}
