//! Many hosts on one Postgres: every API call works on any host, each task goes to one
//! worker, each timer fires once, and the work of a host killed with SIGKILL is finished by
//! the others once its leases end. Always on Postgres (`FERMATA_TEST_POSTGRES`).

use fermata_tests::peers::{HttpPeer, plugin_wasm};
use fermata_tests::{Server, fresh_postgres_database};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

async fn hosts(n: usize, args: &[&str]) -> Vec<Server> {
    let url = fresh_postgres_database().await;
    let mut hosts = Vec::with_capacity(n);
    for _ in 0..n {
        hosts.push(Server::start_host(&url, args).await);
    }
    hosts
}

fn tasks_of(wf: &Value) -> &Vec<Value> {
    wf["tasks"].as_array().expect("tasks")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_hosts_hand_each_task_out_once_and_fire_each_timer_once() {
    const WORKFLOWS: usize = 60;
    let hosts = Arc::new(hosts(3, &[]).await);
    hosts[0]
        .define(json!({"name": "mh_load", "version": 1, "schemaVersion": 2, "tasks": [
            {"name": "mh_t", "taskReferenceName": "work", "type": "SIMPLE"},
            {"name": "pause", "taskReferenceName": "pause", "type": "WAIT", "inputParameters": {"duration": "1s"}}
        ]}))
        .await;
    // Started on every host at once.
    let starts = (0..WORKFLOWS).map(|i| {
        let hosts = hosts.clone();
        async move {
            hosts[i % 3]
                .start_workflow("mh_load", json!({"n": i}))
                .await
        }
    });
    let ids: Vec<String> = futures::future::join_all(starts).await;

    // Three pollers on each host, each completing what it got through another host.
    let handed: Arc<Mutex<Vec<String>>> = Arc::default();
    let deadline = Instant::now() + Duration::from_secs(60);
    let pollers = (0..9).map(|p| {
        let (hosts, handed) = (hosts.clone(), handed.clone());
        async move {
            while handed.lock().unwrap().len() < WORKFLOWS && Instant::now() < deadline {
                let r = hosts[p % 3]
                    .get(&format!(
                        "/tasks/poll/batch/mh_t?workerid=p{p}&count=4&timeout=300"
                    ))
                    .await;
                assert_eq!(r.status, 200, "{}", r.text);
                for task in r.json().as_array().cloned().unwrap_or_default() {
                    let id = task["taskId"].as_str().unwrap().to_string();
                    handed.lock().unwrap().push(id.clone());
                    let done = hosts[(p + 1) % 3]
                        .post(
                            "/tasks",
                            json!({"workflowInstanceId": task["workflowInstanceId"], "taskId": id,
                                   "status": "COMPLETED", "outputData": {"by": p}}),
                        )
                        .await;
                    assert_eq!(done.status, 200, "{}", done.text);
                }
            }
        }
    });
    futures::future::join_all(pollers).await;
    let handed = handed.lock().unwrap().clone();
    let unique: HashSet<&String> = handed.iter().collect();
    assert_eq!(unique.len(), WORKFLOWS, "every task handed out: {handed:?}");
    assert_eq!(handed.len(), WORKFLOWS, "no task handed out twice");

    for (i, id) in ids.iter().enumerate() {
        let wf = hosts[(i + 2) % 3]
            .wait_for(id, 30, |wf| wf["status"] != "RUNNING")
            .await;
        assert_eq!(wf["status"], "COMPLETED", "{wf:#}");
        let tasks = tasks_of(&wf);
        assert_eq!(tasks.len(), 2, "one task each, one timer each: {wf:#}");
        assert_eq!(tasks[1]["status"], "COMPLETED");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_host_killed_while_holding_claims_and_timers_is_taken_over() {
    let peer = HttpPeer::start().await;
    let args = ["--allow-http", "loopback", "--claim-lease-ms", "2000"];
    let mut first = hosts(1, &args).await.remove(0);
    first
        .define(json!({"name": "mh_call", "version": 1, "schemaVersion": 2, "tasks": [
            {"name": "call", "taskReferenceName": "call", "type": "HTTP", "inputParameters": {
                "http_request": {"uri": format!("{}/hold", peer.base), "method": "POST", "body": {"n": "${workflow.input.n}"}}}},
            {"name": "pause", "taskReferenceName": "pause", "type": "WAIT", "inputParameters": {"duration": "2s"}}
        ]}))
        .await;
    first
        .define(json!({"name": "mh_timer", "version": 1, "schemaVersion": 2, "tasks": [
            {"name": "pause", "taskReferenceName": "pause", "type": "WAIT", "inputParameters": {"duration": "3s"}}
        ]}))
        .await;
    let calls: Vec<String> =
        futures::future::join_all((0..3).map(|n| first.start_workflow("mh_call", json!({"n": n}))))
            .await;
    let timers: Vec<String> =
        futures::future::join_all((0..3).map(|_| first.start_workflow("mh_timer", json!({}))))
            .await;
    // The first host is inside all three calls (it holds their claims) and holds the timers.
    let until = Instant::now() + Duration::from_secs(10);
    while peer.seen.lock().unwrap().len() < 3 {
        assert!(Instant::now() < until, "the calls did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = Server::start_host(&first.database_url, &args).await;
    let _third = Server::start_host(&first.database_url, &args).await;
    first.kill9();
    let killed = Instant::now();

    for id in calls.iter().chain(&timers) {
        let wf = second
            .wait_for(id, 30, |wf| wf["status"] != "RUNNING")
            .await;
        assert_eq!(wf["status"], "COMPLETED", "{wf:#}");
        let refs: Vec<&str> = tasks_of(&wf)
            .iter()
            .map(|t| t["referenceTaskName"].as_str().unwrap())
            .collect();
        let expected: &[&str] = if calls.contains(id) {
            &["call", "pause"]
        } else {
            &["pause"]
        };
        assert_eq!(refs, expected, "no task scheduled twice: {wf:#}");
    }
    // Taken over once the 2 s leases ended (each call then takes 3 s, the wait 2 s).
    assert!(
        killed.elapsed() < Duration::from_secs(20),
        "took {:?}",
        killed.elapsed()
    );
    let seen = peer.seen.lock().unwrap().clone();
    let mut ns: Vec<i64> = seen
        .iter()
        .map(|(_, _, body)| body["n"].as_i64().unwrap())
        .collect();
    ns.sort();
    assert_eq!(
        ns,
        [0, 0, 1, 1, 2, 2],
        "each call made again once, by another host"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_plugin_uploaded_to_one_host_runs_on_the_others() {
    let peer = HttpPeer::start().await;
    let wasm = plugin_wasm("approval_webhook");
    let grant = format!(
        "APPROVAL_WEBHOOK@sha256:{}=http",
        fermata_wasm::sha256_hex(&wasm)
    );
    let args = ["--allow-http", "loopback", "--grant", &grant];
    let mut hosts = hosts(2, &args).await;
    let r = hosts[0]
        .http
        .put(hosts[0].url("/plugins/APPROVAL_WEBHOOK"))
        .body(wasm)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // The other host installs it within its look-interval (2 s).
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let r = hosts[1].get("/plugins/APPROVAL_WEBHOOK").await;
        if r.status == 200 {
            assert_eq!(r.json()["granted"], json!(["http"]));
            break;
        }
        assert!(
            Instant::now() < until,
            "not installed on the other host: {}",
            r.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Started and run there, with the first host gone.
    hosts[1]
        .define(json!({"name": "approve", "tasks": [{"name": "ask", "taskReferenceName": "ask", "type": "APPROVAL_WEBHOOK",
            "inputParameters": {"webhookUrl": format!("{}/webhook", peer.base), "approver": "ann", "subject": "${workflow.input.what}"}}]}))
        .await;
    hosts[0].kill9();
    let id = hosts[1]
        .start_workflow("approve", json!({"what": "invoice 7"}))
        .await;
    let wf = hosts[1]
        .wait_for(&id, 10, |wf| {
            wf["tasks"][0]["outputData"].get("requested").is_some()
        })
        .await;
    assert_eq!(wf["tasks"][0]["status"], "IN_PROGRESS", "{wf:#}");
    assert_eq!(peer.seen.lock().unwrap().len(), 1);
}

/// A client that retries on another host (its first answer lost) with the same
/// Idempotency-Key: the request is applied once, and both hosts answer the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_idempotency_key_holds_across_hosts() {
    let hosts = Arc::new(hosts(2, &[]).await);
    hosts[0]
        .define(
            json!({"name": "mh_once", "version": 1, "schemaVersion": 2, "tasks": [
                {"name": "mh_once_t", "taskReferenceName": "t", "type": "SIMPLE"}
            ]}),
        )
        .await;
    for round in 0..10 {
        let key = format!("start-{round}");
        let send = |host: usize| {
            let (hosts, key) = (hosts.clone(), key.clone());
            async move {
                let r = hosts[host]
                    .http
                    .post(hosts[host].url("/workflow/mh_once"))
                    .header("Idempotency-Key", key)
                    .json(&json!({"round": round}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status().as_u16(), 200);
                r.text().await.unwrap()
            }
        };
        let (a, b) = tokio::join!(send(0), send(1));
        assert_eq!(a, b, "round {round}: both hosts answer the one start");
    }
    let found = hosts[1]
        .get("/workflow/search?query=workflowType%3Dmh_once&size=100")
        .await
        .json();
    assert_eq!(found["totalHits"], 10, "one workflow per key: {found:#}");
}
