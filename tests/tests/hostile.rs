//! Hostile clients: input built to exhaust the stack, memory, connections or arithmetic of the
//! server. Each must get a 4xx in Conductor's error shape, and fermata must keep serving with
//! every execution still readable.

use fermata_tests::peers::plugin_wasm;
use fermata_tests::{Response, Server};
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

use fermata_tests::hostile::{assert_alive, excerpt, filter_expr, nested_ref};
use fermata_wasm::sha256_hex;

// ---- helpers ----

fn assert_json_error(r: &Response, status: u16) -> String {
    let message = r.assert_error(status);
    assert!(
        r.content_type.starts_with("application/json"),
        "content-type {:?} for {status}: {}",
        r.content_type,
        excerpt(&r.text)
    );
    message
}

fn task<'a>(wf: &'a Value, reference: &str) -> &'a Value {
    wf["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .rev()
        .find(|t| t["referenceTaskName"] == reference)
        .unwrap_or_else(|| panic!("no task {reference} in {wf:#}"))
}

/// `levels` objects inside each other: `{"a": {"a": ... {"a": "leaf"}}}`.
fn nested(levels: usize) -> Value {
    let mut v = json!({"a": "leaf"});
    for _ in 1..levels {
        v = json!({"a": v});
    }
    v
}

fn one_simple(name: &str) -> Value {
    json!({"name": name, "tasks": [
        {"name": format!("{name}_task"), "taskReferenceName": "t", "retryCount": 0}
    ]})
}

async fn put_plugin(s: &Server, task_type: &str, bytes: Vec<u8>) -> Response {
    let r = s
        .http
        .put(s.url(&format!("/plugins/{task_type}")))
        .body(bytes)
        .send()
        .await
        .expect("plugin upload");
    Response::read(r).await
}

fn rss_kib(s: &Server) -> u64 {
    let pid = s.pid().expect("fermata is running");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

/// Both servers must be stopped: the second takes over the first one's state.
fn copy_database(from: &Server, to: &Server) {
    let is_db = |p: &std::path::Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("fermata.db"))
    };
    for entry in std::fs::read_dir(to.dir.path()).expect("dir") {
        let p = entry.expect("entry").path();
        if is_db(&p) {
            std::fs::remove_file(&p).expect("remove old database");
        }
    }
    for entry in std::fs::read_dir(from.dir.path()).expect("dir") {
        let p = entry.expect("entry").path();
        if is_db(&p) {
            let name = p.file_name().expect("file name").to_owned();
            std::fs::copy(&p, to.dir.path().join(name)).expect("copy database");
        }
    }
}

// ---- raw TCP: what reqwest will not send ----
//
// Only `readable`/`try_read` and `writable`/`try_write`: they need no tokio feature beyond
// `net`, and they let one task read while it writes through a shared reference.

async fn read_some(stream: &TcpStream, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        stream.readable().await?;
        match stream.try_read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            other => return other,
        }
    }
}

async fn write_all(stream: &TcpStream, mut data: &[u8]) -> std::io::Result<()> {
    while !data.is_empty() {
        stream.writable().await?;
        match stream.try_write(data) {
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn header_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

fn message_complete(buf: &[u8]) -> bool {
    let Some(end) = header_end(buf) else {
        return false;
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    if let Some(len) = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        return buf.len() >= end + len;
    }
    if head.contains("transfer-encoding: chunked") {
        return buf.ends_with(b"0\r\n\r\n");
    }
    false
}

/// One response, or whatever arrived before the connection closed.
async fn read_message(stream: &TcpStream, buf: &mut Vec<u8>) {
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        match read_some(stream, &mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if message_complete(buf) {
            return;
        }
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&data[..line_end])
                .split(';')
                .next()
                .unwrap_or("")
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        let stop = (start + size).min(data.len());
        out.extend_from_slice(&data[start..stop]);
        data = &data[(stop + 2).min(data.len())..];
    }
    out
}

fn parse_raw(buf: &[u8]) -> Response {
    let end = header_end(buf).unwrap_or_else(|| {
        panic!(
            "no HTTP response, got {:?}",
            String::from_utf8_lossy(&buf[..buf.len().min(300)])
        )
    });
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let mut body = buf[end..].to_vec();
    if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.truncate(len);
    } else if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        body = dechunk(&body);
    }
    Response {
        status,
        content_type: header("content-type").unwrap_or_default(),
        text: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// Send `request` and read the answer at the same time: a server may answer (and close)
/// before it has read all of an oversized request, and that answer is what is tested. The
/// write side stays open, since a half-closed request may be dropped unanswered.
async fn raw_exchange(port: u16, request: Vec<u8>) -> Response {
    let stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let mut buf = Vec::new();
    {
        let reading =
            tokio::time::timeout(Duration::from_secs(10), read_message(&stream, &mut buf));
        let writing = async {
            let _ = write_all(&stream, &request).await;
            std::future::pending::<()>().await
        };
        tokio::select! {
            _ = reading => {}
            _ = writing => {}
        }
    }
    parse_raw(&buf)
}

/// Whether the peer closes the connection (EOF or reset) within `within`.
async fn closed_within(stream: &TcpStream, within: Duration) -> bool {
    let mut buf = vec![0u8; 4096];
    tokio::time::timeout(within, async {
        loop {
            match read_some(stream, &mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

// ---- 1, 2: expression nesting ----

#[tokio::test]
async fn deeply_nested_expressions_are_refused_and_fermata_keeps_serving() {
    let s = Server::start().await;
    let parens = format!(
        "${{workflow.input[?({}@.a{})]}}",
        "(".repeat(1000),
        ")".repeat(1000)
    );
    let dollars = "${".repeat(50_000);
    for (what, p) in [
        ("1000 nested parentheses", &parens),
        ("50000 nested references", &dollars),
    ] {
        let def = json!({"name": "x", "tasks": [
            {"name": "t", "taskReferenceName": "t", "type": "SIMPLE", "inputParameters": {"p": p}}
        ]});
        for (path, body) in [
            (
                "/workflow",
                json!({"name": "x", "workflowDef": def.clone()}),
            ),
            ("/metadata/workflow", def),
        ] {
            let r = s.post(path, body).await;
            assert_eq!(r.status, 400, "{what} via {path}: {}", excerpt(&r.text));
            assert_json_error(&r, 400);
            assert!(
                r.text.to_lowercase().contains("nest"),
                "{what} via {path}: {}",
                excerpt(&r.text)
            );
            assert_alive(&s).await;
        }
    }
    s.get("/metadata/workflow/x").await.assert_error(404);
}

#[tokio::test]
async fn the_deepest_accepted_expressions_survive_a_crash_and_a_restart() {
    let mut s = Server::start().await;
    for (what, expr) in [
        ("9 nested references", nested_ref(9)),
        ("33 nested brackets", filter_expr(33)),
    ] {
        let in_output = json!({"name": "too_deep", "outputParameters": {"o": expr},
            "tasks": [{"name": "t", "taskReferenceName": "t"}]});
        let in_input = json!({"name": "too_deep",
            "tasks": [{"name": "t", "taskReferenceName": "t", "inputParameters": {"p": expr}}]});
        for def in [in_output, in_input] {
            let r = s.post("/metadata/workflow", def).await;
            assert_eq!(r.status, 400, "{what}: {}", r.text);
            assert_json_error(&r, 400);
            assert!(r.text.to_lowercase().contains("nest"), "{what}: {}", r.text);
        }
    }
    s.define(json!({"name": "deep_out",
        "outputParameters": {"refs": nested_ref(8), "filter": filter_expr(32)},
        "tasks": [{"name": "hold", "taskReferenceName": "hold", "type": "WAIT",
                   "inputParameters": {"duration": "2 seconds"}}]}))
        .await;
    // Every level resolves to "k" again, so the output shows all eight were evaluated.
    let id = s.start_workflow("deep_out", json!({"k": "k"})).await;
    s.wait_for(&id, 10, |wf| {
        task(wf, "hold")["waitTimeout"].as_i64().unwrap_or(0) > 0
    })
    .await;
    // The output is evaluated when the wait ends, which happens while fermata is down: at
    // restart it evaluates at once, and a crash there would repeat on every restart.
    s.kill9();
    tokio::time::sleep(Duration::from_secs(3)).await;
    s.restart().await;
    let wf = s.wait_for(&id, 15, |wf| wf["status"] != "RUNNING").await;
    assert_eq!(wf["status"], "COMPLETED", "{wf:#}");
    assert_eq!(wf["output"]["refs"], "k", "{:#}", wf["output"]);
    assert_alive(&s).await;
}

// ---- 3: JSON depth ----

#[tokio::test]
async fn json_nested_64_deep_is_accepted_and_65_refused_everywhere() {
    let s = Server::start().await;
    // The task's input is the whole workflow input, so reads of the task are deeper still.
    s.define(
        json!({"name": "deep", "tasks": [{"name": "deep_task", "taskReferenceName": "t",
        "retryCount": 0, "inputParameters": {"in": "${workflow.input}"}}]}),
    )
    .await;
    let search = "/workflow/search?query=workflowType%3Ddeep&size=100";
    let r = s.post("/workflow/deep", nested(65)).await;
    let msg = assert_json_error(&r, 400);
    assert!(msg.contains("deeper than 64"), "{msg}");
    assert_eq!(s.get(search).await.status, 200);

    let id = s.start_workflow("deep", nested(64)).await;
    let wf = s.workflow(&id).await;
    assert_eq!(wf["input"], nested(64));
    let found = s.get(search).await;
    assert_eq!(found.status, 200, "{}", excerpt(&found.text));
    let hits = found.json();
    assert!(
        hits["results"]
            .as_array()
            .expect("results")
            .iter()
            .any(|w| w["workflowId"] == json!(id)),
        "{hits:#}"
    );
    let v2 = s
        .get("/workflow/search-v2?query=workflowType%3Ddeep&size=100")
        .await;
    assert_eq!(v2.status, 200, "{}", excerpt(&v2.text));
    let v2 = v2.json();
    let hit = v2["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|w| w["workflowId"] == json!(id))
        .expect("the execution in search-v2");
    assert_eq!(hit["input"], nested(64));
    let polled = s.get("/tasks/poll/deep_task?workerid=w").await;
    assert_eq!(polled.status, 200, "{}", excerpt(&polled.text));
    let polled = polled.json();
    assert_eq!(polled["workflowInstanceId"], json!(id));
    assert_eq!(polled["inputData"]["in"], nested(64));

    let r = s.complete(&id, "t", nested(65)).await;
    let msg = assert_json_error(&r, 400);
    assert!(msg.contains("deeper than 64"), "{msg}");
    let r = s.complete(&id, "t", nested(64)).await;
    assert_eq!(r.status, 200, "{}", excerpt(&r.text));
    let wf = s.workflow(&id).await;
    assert_eq!(wf["status"], "COMPLETED");
    assert_eq!(task(&wf, "t")["outputData"], nested(64));
    assert_eq!(s.get(search).await.status, 200);
    assert_alive(&s).await;
}

/// The execution `failed` started as its failure workflow: the one its output names, or else
/// the running `selffail` not seen yet. Only status views are parsed: each generation embeds
/// the one before, so the full documents grow.
async fn next_generation(s: &Server, failed: &str, seen: &[String]) -> Option<String> {
    let r = s
        .get(&format!("/workflow/{failed}/status?includeOutput=true"))
        .await;
    assert_eq!(r.status, 200, "{failed}: {}", excerpt(&r.text));
    let view = r.json();
    assert_eq!(view["status"], "FAILED", "{view}");
    if let Some(id) = view["output"]["conductor.failure_workflow"].as_str()
        && !seen.iter().any(|x| x.as_str() == id)
        && s.get(&format!("/workflow/{id}/status")).await.status == 200
    {
        return Some(id.to_string());
    }
    let r = s
        .get("/workflow/search?query=workflowType%3Dselffail&size=1000")
        .await;
    assert_eq!(r.status, 200, "{}", excerpt(&r.text));
    r.json()["results"]
        .as_array()?
        .iter()
        .filter(|w| w["status"] == "RUNNING")
        .filter_map(|w| w["workflowId"].as_str())
        .find(|id| !seen.iter().any(|x| x.as_str() == *id))
        .map(str::to_string)
}

#[tokio::test]
async fn seventy_generations_of_a_self_failing_workflow_stay_readable() {
    let s = Server::start().await;
    s.define(
        json!({"name": "selffail", "failureWorkflow": "selffail", "tasks": [
            {"name": "selffail_task", "taskReferenceName": "t", "retryCount": 0}
        ]}),
    )
    .await;
    let mut current = s.start_workflow("selffail", json!({})).await;
    let mut seen = vec![current.clone()];
    for generation in 1..=70 {
        let r = s
            .post(
                &format!("/tasks/{current}/t/FAILED_WITH_TERMINAL_ERROR"),
                json!({"generation": generation}),
            )
            .await;
        assert_eq!(
            r.status,
            200,
            "generation {generation}: {}",
            excerpt(&r.text)
        );
        let next = next_generation(&s, &current, &seen)
            .await
            .unwrap_or_else(|| panic!("generation {generation} started no failure workflow"));
        seen.push(next.clone());
        current = next;
    }
    let r = s.get(&format!("/workflow/{current}/status")).await;
    assert_eq!(r.status, 200, "{}", excerpt(&r.text));
    assert_eq!(r.json()["status"], "RUNNING");
    let r = s
        .get("/workflow/search?query=workflowType%3Dselffail&size=1000")
        .await;
    assert_eq!(r.status, 200, "{}", excerpt(&r.text));
    assert_eq!(r.json()["totalHits"], json!(seen.len()));
    let r = s
        .get("/workflow/search-v2?query=workflowType%3Dselffail&size=1000")
        .await;
    assert_eq!(r.status, 200, "{}", excerpt(&r.text));
    for (generation, id) in seen.iter().enumerate() {
        let r = s.get(&format!("/workflow/{id}")).await;
        assert_eq!(
            r.status,
            200,
            "generation {generation} ({id}): {}",
            excerpt(&r.text)
        );
        assert!(
            r.content_type.starts_with("application/json"),
            "{}",
            r.content_type
        );
    }
    assert_alive(&s).await;
}

// ---- 4: plugin grants and sources ----

#[tokio::test]
async fn an_operator_installed_plugin_cannot_be_replaced_over_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = plugin_wasm("hostile");
    std::fs::write(dir.path().join("hostile.wasm"), &hostile).unwrap();
    let mut s = Server::start_with(&[
        "--plugins-dir",
        dir.path().to_str().unwrap(),
        "--grant",
        "HOSTILE=http",
    ])
    .await;
    let check = |p: &Value| {
        assert_eq!(p["source"]["kind"], "directory", "{p}");
        assert_eq!(p["granted"], json!(["http"]), "{p}");
    };
    check(&s.get("/plugins/HOSTILE").await.json());
    let r = put_plugin(&s, "HOSTILE", hostile.clone()).await;
    assert_json_error(&r, 409);
    check(&s.get("/plugins/HOSTILE").await.json());
    s.terminate();
    s.restart().await;
    check(&s.get("/plugins/HOSTILE").await.json());
}

#[tokio::test]
async fn a_name_only_grant_does_not_cover_uploads_but_a_hash_pinned_grant_does() {
    let hostile = plugin_wasm("hostile");
    let sha = sha256_hex(&hostile);
    let mut uploader = Server::start_sqlite_with(&["--grant", "HOSTILE=http"]).await;
    let r = put_plugin(&uploader, "HOSTILE", hostile.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let summary = r.json();
    assert_eq!(summary["granted"], json!([]), "{summary}");
    assert_eq!(summary["sha256"], json!(sha), "{summary}");
    assert_eq!(summary["source"]["kind"], "api", "{summary}");

    // Pinned to other bytes, the grant does not apply either.
    let other = sha256_hex(&plugin_wasm("echo"));
    let elsewhere = Server::start_with(&["--grant", &format!("HOSTILE@sha256:{other}=http")]).await;
    let r = put_plugin(&elsewhere, "HOSTILE", hostile.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["granted"], json!([]), "{}", r.text);
    drop(elsewhere);

    // The uploaded plugin, kept in the database, under a grant pinned to its bytes.
    uploader.terminate();
    let pin = format!("HOSTILE@sha256:{sha}=http");
    let mut pinned = Server::start_sqlite_with(&["--grant", &pin]).await;
    pinned.terminate();
    copy_database(&uploader, &pinned);
    pinned.restart().await;
    let p = pinned.get("/plugins/HOSTILE").await.json();
    assert_eq!(p["granted"], json!(["http"]), "{p}");
    assert_eq!(p["source"]["kind"], "api", "{p}");
    assert_eq!(p["sha256"], json!(sha), "{p}");
}

// ---- 5: poll names ----

#[tokio::test]
async fn poll_names_are_bounded_in_length_and_in_memory() {
    let s = Server::start().await;
    let r = s.get(&format!("/tasks/poll/{}", "p".repeat(600))).await;
    assert_json_error(&r, 400);
    let server = &s;
    let poll = move |i: usize| async move {
        server
            .get(&format!("/tasks/poll/{i:04}-{}", "q".repeat(195)))
            .await
            .status
    };
    // Warm up first, so the growth measured is the names', not lazily built state.
    let warm: Vec<u16> = futures::stream::iter(10_000..10_064)
        .map(poll)
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(warm.iter().all(|st| matches!(*st, 200 | 204)), "{warm:?}");
    let before = rss_kib(&s);
    let statuses: Vec<u16> = futures::stream::iter(0..2000)
        .map(poll)
        .buffer_unordered(16)
        .collect()
        .await;
    let after = rss_kib(&s);
    let mut counts: BTreeMap<u16, usize> = BTreeMap::new();
    for st in &statuses {
        *counts.entry(*st).or_default() += 1;
    }
    assert!(
        counts.keys().all(|st| matches!(*st, 200 | 204)),
        "{counts:?}"
    );
    eprintln!("RSS {before} KiB -> {after} KiB after 2000 distinct poll names");
    assert!(
        after.saturating_sub(before) < 50 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
    assert_alive(&s).await;
}

// ---- 6: connections ----

#[tokio::test]
async fn idle_and_slow_connections_cannot_starve_the_server() {
    let s = Server::start_with(&[
        "--max-connections",
        "64",
        "--header-read-timeout-ms",
        "1000",
        "--idle-timeout-ms",
        "2000",
    ])
    .await;
    let addr = format!("127.0.0.1:{}", s.port);
    let health = format!("{}/health", s.base);
    let health = health.as_str();
    // A new client each time: a pooled connection would not show whether a new one gets in.
    let fresh_health = move || async move {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(5))
            .build()
            .expect("client");
        let began = Instant::now();
        let r = client.get(health).send().await;
        (r.map(|r| r.status().as_u16()), began.elapsed())
    };

    let idle: Vec<TcpStream> =
        futures::future::join_all((0..200).map(|_| TcpStream::connect(addr.as_str())))
            .await
            .into_iter()
            .map(|c| c.expect("connect"))
            .collect();
    for attempt in 1..=5 {
        let (status, took) = fresh_health().await;
        match status {
            Ok(200) => {}
            other => {
                panic!("health {attempt} with 200 idle connections open: {other:?} after {took:?}")
            }
        }
        assert!(
            took < Duration::from_secs(5),
            "health {attempt} took {took:?}"
        );
    }
    drop(idle);

    // Request heads that never finish: the header-read timeout must close them.
    let mut slow = Vec::new();
    for _ in 0..50 {
        let c = TcpStream::connect(addr.as_str()).await.expect("connect");
        write_all(&c, b"GET /health HTTP/1.1\r\nHost: x\r\n")
            .await
            .expect("send a partial head");
        slow.push(c);
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let closed = futures::future::join_all(
        slow.iter()
            .map(|c| closed_within(c, Duration::from_secs(1))),
    )
    .await;
    let open = closed.iter().filter(|c| !**c).count();
    assert_eq!(
        open, 0,
        "{open} of 50 connections with an unfinished request head still open after 2.5 s"
    );
    drop(slow);

    // A kept-alive connection that goes silent after one request.
    let c = TcpStream::connect(addr.as_str()).await.expect("connect");
    write_all(&c, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("send");
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), read_message(&c, &mut buf))
        .await
        .expect("an answer on the kept-alive connection");
    assert_eq!(parse_raw(&buf).status, 200);
    let silent = Instant::now();
    assert!(
        closed_within(&c, Duration::from_secs(5)).await,
        "a silent kept-alive connection is still open after 5 s"
    );
    eprintln!("silent keep-alive closed after {:?}", silent.elapsed());

    let (status, took) = fresh_health().await;
    assert!(matches!(status, Ok(200)), "{status:?} after {took:?}");
}

// ---- 7: unbounded work ----

#[tokio::test]
async fn id_lists_are_capped_at_1000() {
    let s = Server::start().await;
    s.define(one_simple("corr")).await;
    let ids = |n: usize| Value::Array((0..n).map(|i| json!(format!("id-{i}"))).collect());
    let r = s
        .post("/workflow/corr/correlated?includeClosed=true", ids(1001))
        .await;
    assert_json_error(&r, 400);
    let r = s
        .post("/workflow/corr/correlated?includeClosed=true", ids(1000))
        .await;
    assert_eq!(r.status, 200, "{}", excerpt(&r.text));
    assert_eq!(r.json().as_object().map(|m| m.len()), Some(1000));
    for (method, path) in [
        (Method::PUT, "/workflow/bulk/pause"),
        (Method::PUT, "/workflow/bulk/resume"),
        (Method::POST, "/workflow/bulk/restart"),
        (Method::POST, "/workflow/bulk/retry"),
        (Method::POST, "/workflow/bulk/terminate"),
        (Method::DELETE, "/workflow/bulk/remove"),
        (Method::POST, "/workflow/bulk/delete"),
        (Method::DELETE, "/workflow/bulk/terminate-remove"),
        (Method::POST, "/workflow/bulk/search"),
    ] {
        let r = s.call(method.clone(), path, Some(ids(1001))).await;
        assert_eq!(r.status, 400, "{method} {path}: {}", excerpt(&r.text));
        assert_json_error(&r, 400);
    }
    assert_alive(&s).await;
}

#[tokio::test]
async fn concurrent_huge_plugin_uploads_are_refused_without_a_5xx() {
    let s = Server::start().await;
    // One buffer shared by all uploads: the test process need not hold 320 MiB.
    let zeros = axum::body::Bytes::from(vec![0u8; 40 << 20]);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client");
    let url = s.url("/plugins/BIG");
    let results =
        futures::future::join_all((0..8).map(|_| client.put(&url).body(zeros.clone()).send()))
            .await;
    let mut answered = Vec::new();
    for result in results {
        match result {
            Ok(r) => {
                let r = Response::read(r).await;
                assert!(
                    matches!(r.status, 400 | 429),
                    "{}: {}",
                    r.status,
                    excerpt(&r.text)
                );
                assert_json_error(&r, r.status);
                answered.push(r.status);
            }
            // Refused before the body was read, the rest of the upload may meet a closed
            // connection; what matters is that no answer is a 5xx and fermata lives.
            Err(e) => eprintln!("an upload was cut off before its answer: {e:?}"),
        }
    }
    eprintln!("plugin upload answers: {answered:?}");
    assert!(!answered.is_empty(), "no upload got an answer");
    assert_alive(&s).await;
    s.get("/plugins/BIG").await.assert_error(404);
}

// ---- 8, 9: numbers and free text ----

#[tokio::test]
async fn numbers_beyond_their_range_are_refused() {
    let s = Server::start().await;
    let long_timeout = json!({"name": "big_timeout", "timeoutSeconds": 9_223_372_036_854_775i64,
        "tasks": [{"name": "t", "taskReferenceName": "t"}]});
    let long_delay = json!({"name": "big_delay",
        "tasks": [{"name": "t", "taskReferenceName": "t", "type": "SIMPLE", "startDelay": i64::MAX}]});
    for def in [long_timeout, long_delay] {
        let r = s.post("/metadata/workflow", def.clone()).await;
        assert_eq!(r.status, 400, "{def}: {}", r.text);
        assert_json_error(&r, 400);
        let r = s
            .post(
                "/workflow",
                json!({"name": def["name"], "workflowDef": def}),
            )
            .await;
        assert_eq!(r.status, 400, "inline: {}", r.text);
        assert_json_error(&r, 400);
    }

    s.define(
        json!({"name": "huge_wait", "tasks": [{"name": "w", "taskReferenceName": "w",
        "type": "WAIT", "inputParameters": {"duration": "1000000000000 days"}}]}),
    )
    .await;
    let id = s.start_workflow("huge_wait", json!({})).await;
    let wf = s.wait_for(&id, 10, |wf| wf["status"] != "RUNNING").await;
    let t = task(&wf, "w");
    assert_eq!(t["status"], "FAILED_WITH_TERMINAL_ERROR", "{wf:#}");
    assert!(
        t["reasonForIncompletion"]
            .as_str()
            .unwrap_or_default()
            .contains("Not valid duration"),
        "{t:#}"
    );
    assert_eq!(wf["status"], "FAILED");

    let r = s
        .get("/workflow/search?query=startTime%3E9223372036854775807")
        .await;
    assert_json_error(&r, 400);
    assert_alive(&s).await;
}

#[tokio::test]
async fn free_text_is_capped_at_1024_characters() {
    let s = Server::start().await;
    let search =
        |endpoint: &str, n: usize| format!("/workflow/{endpoint}?freeText={}", "f".repeat(n));
    let r = s.get(&search("search", 1024)).await;
    assert_eq!(r.status, 200, "{}", excerpt(&r.text));
    assert_json_error(&s.get(&search("search", 1025)).await, 400);
    assert_json_error(&s.get(&search("search", 50_001)).await, 400);
    assert_json_error(&s.get(&search("search-v2", 50_001)).await, 400);
    assert_alive(&s).await;
}

// ---- 10: what the HTTP layer refuses is still in Conductor's shape ----

#[tokio::test]
async fn malformed_and_oversized_requests_get_conductor_shaped_errors() {
    let s = Server::start().await;
    let request = |target: &str, extra: &str| {
        format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{extra}\r\n")
            .into_bytes()
    };
    for target in [
        "/api/workflow/%FF",
        "/api/workflow/%C3%28/status",
        "/api/workflow/search?query=%FF%FE",
    ] {
        let r = raw_exchange(s.port, request(target, "")).await;
        assert!(
            (400..500).contains(&r.status),
            "{target}: {} {}",
            r.status,
            r.text
        );
        assert_json_error(&r, r.status);
    }
    let long = format!("/api/workflow/{}", "a".repeat(70_000));
    let r = raw_exchange(s.port, request(&long, "")).await;
    assert_json_error(&r, 414);
    let many: String = (0..200)
        .map(|i| format!("X-Hostile-{i}: {i}\r\n"))
        .collect();
    let r = raw_exchange(s.port, request("/api/workflow/search", &many)).await;
    assert_json_error(&r, 431);
    let big = format!("X-Hostile: {}\r\n", "a".repeat(500_000));
    let r = raw_exchange(s.port, request("/api/workflow/search", &big)).await;
    assert_json_error(&r, 431);
    assert_alive(&s).await;
}

// ---- 3 (continued): what an older version stored and cannot be read ----

#[tokio::test]
async fn an_unreadable_execution_is_reported_alone_and_polling_and_search_go_on() {
    let mut s = Server::start_sqlite_with(&[]).await;
    s.define(one_simple("legacy")).await;
    let damaged = s.start_workflow("legacy", json!({"n": 1})).await;
    let healthy = s.start_workflow("legacy", json!({"n": 2})).await;
    s.terminate();
    // Damage one execution behind fermata's back, with a timer due, as an older version or
    // a bad disk could leave it.
    {
        use sqlx::Connection;
        let url = format!("sqlite://{}", s.dir.path().join("fermata.db").display());
        let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("UPDATE executions SET json = '{\"workflowId\": truncated', next_wake_at = 1 WHERE id = ?")
            .bind(&damaged)
            .execute(&mut db)
            .await
            .unwrap();
        db.close().await.unwrap();
    }
    s.restart().await;
    let r = s.get("/workflow/search?query=workflowType%3Dlegacy").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let hits = r.json()["results"].as_array().unwrap().clone();
    assert_eq!(hits.len(), 2, "{hits:#?}");
    let shown = hits
        .iter()
        .find(|w| w["workflowId"] == json!(damaged))
        .unwrap();
    assert!(
        shown["reasonForIncompletion"]
            .as_str()
            .unwrap()
            .contains("cannot read this execution"),
        "{shown}"
    );
    let r = s.get(&format!("/workflow/{damaged}")).await;
    let message = r.assert_error(500);
    assert!(message.contains("stored data cannot be read"), "{message}");
    assert_eq!(r.json()["retryable"], json!(false));
    // Both tasks are queued; the damaged one is set aside, the healthy one is handed out.
    let mut handed = Vec::new();
    for _ in 0..3 {
        let r = s.get("/tasks/poll/legacy_task?workerid=w").await;
        assert!(matches!(r.status, 200 | 204), "{}: {}", r.status, r.text);
        if r.status == 200 && !r.text.is_empty() {
            handed.push(r.json()["workflowInstanceId"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(handed, std::slice::from_ref(&healthy));
    let r = s.complete(&healthy, "t", json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(s.workflow(&healthy).await["status"], "COMPLETED");
    // Set aside once (by the poll or the timer loop, whichever met it first), it is not
    // retried every second.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let set_aside = s.log().matches("execution set aside").count();
    assert!((1..=2).contains(&set_aside), "set aside {set_aside} times");
    assert_alive(&s).await;
}

// ---- 6 (continued): bodies that never finish ----

#[tokio::test]
async fn clients_trickling_bodies_cannot_hold_every_connection() {
    let s = Server::start_with(&["--max-connections", "16"]).await;
    let addr = format!("127.0.0.1:{}", s.port);
    // Each announces a large body, then keeps it coming a byte at a time: never silent, so
    // no timeout closes them, and more of them than the server allows connections.
    let mut trickling = Vec::new();
    for _ in 0..40 {
        let c = TcpStream::connect(addr.as_str()).await.expect("connect");
        let head = "POST /api/metadata/taskdefs HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n[";
        // A connection the server already replaced may refuse the write: that is the point.
        let _ = write_all(&c, head.as_bytes()).await;
        trickling.push(c);
    }
    let keep_trickling = async {
        loop {
            for c in &trickling {
                let _ = c.try_write(b" ");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let check = async {
        for attempt in 1..=5 {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            let r = client
                .get(format!("{}/health", s.base))
                .send()
                .await
                .unwrap_or_else(|e| panic!("health {attempt} while bodies trickle: {e}"));
            assert_eq!(r.status().as_u16(), 200);
        }
    };
    tokio::select! {
        _ = keep_trickling => unreachable!(),
        _ = check => {}
    }
    assert_alive(&s).await;
}

// ---- 2 (continued): values derived from one large value many times ----

#[tokio::test]
async fn a_definition_cannot_multiply_a_large_input_without_bound() {
    let s = Server::start().await;
    let params: serde_json::Map<String, Value> = (0..40)
        .map(|i| (format!("copy{i}"), json!("${workflow.input.big}")))
        .collect();
    s.define(
        json!({"name": "multiply", "tasks": [{"name": "multiply_task",
        "taskReferenceName": "t", "retryCount": 0, "inputParameters": params}]}),
    )
    .await;
    let big = "x".repeat(1 << 20);
    let id = s.start_workflow("multiply", json!({"big": big})).await;
    let wf = s.workflow(&id).await;
    let input = task(&wf, "t")["inputData"].as_object().unwrap().clone();
    let copies = input
        .values()
        .filter(|v| v.as_str() == Some(big.as_str()))
        .count();
    let cut = input
        .values()
        .filter(|v| v.as_str().is_some_and(|s| s.starts_with("[cut:")))
        .count();
    // 16 MiB of copies at most; every other reference says it was cut.
    assert!((15..=16).contains(&copies), "{copies} copies");
    assert_eq!(copies + cut, 40);
    assert_alive(&s).await;
}
