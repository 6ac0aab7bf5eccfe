//! System tasks as WASM plugins, end to end: WAIT, HTTP, EVENT, KAFKA_PUBLISH against a real
//! HTTP server and a real Kafka broker on loopback; asyncComplete; event handlers; a custom
//! plugin registered at run time; hostile plugins.

use fermata_tests::peers::{Broker, HttpPeer, plugin_wasm};
use fermata_tests::{Server, pairs, statuses, task_id};
use serde_json::{Value, json};
use std::time::Duration;

fn task<'a>(wf: &'a Value, reference: &str) -> &'a Value {
    wf["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|t| t["referenceTaskName"] == reference)
        .expect("task")
}

fn status_of(wf: &Value, reference: &str) -> String {
    task(wf, reference)["status"].as_str().unwrap().to_string()
}

async fn one_task(s: &Server, name: &str, wt: Value) -> String {
    let mut wt = wt;
    wt["taskReferenceName"] = json!("t");
    if wt.get("name").is_none() {
        wt["name"] = json!("t");
    }
    s.define(json!({"name": name, "tasks": [wt]})).await;
    s.start_workflow(name, json!({})).await
}

#[tokio::test]
async fn the_seed_async_complete_example_holds_until_completed_by_reference() {
    let peer = HttpPeer::start().await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../definitions");
    let s = Server::start_with(&[
        "--definitions",
        dir.to_str().unwrap(),
        "--allow-http",
        "loopback",
    ])
    .await;
    let id = s
        .start_workflow(
            "async_complete_example",
            json!({"uri": format!("{}/json", peer.base)}),
        )
        .await;
    let wf = s
        .wait_for(&id, 10, |wf| {
            task(wf, "http_task_85tf2_ref")["outputData"]
                .get("response")
                .is_some()
        })
        .await;
    let t = task(&wf, "http_task_85tf2_ref");
    assert_eq!(
        t["status"], "IN_PROGRESS",
        "asyncComplete holds the task after the call: {t:#}"
    );
    assert_eq!(t["outputData"]["response"]["statusCode"], 200);
    assert_eq!(t["outputData"]["response"]["body"]["items"][1]["id"], 2);
    // Held: nothing moves it on by itself.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(s.workflow(&id).await["status"], "RUNNING");
    let r = s
        .complete(&id, "http_task_85tf2_ref", json!({"approved": true}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let wf = s.workflow(&id).await;
    assert_eq!(wf["status"], "COMPLETED");
    let out = &task(&wf, "http_task_85tf2_ref")["outputData"];
    assert_eq!(
        (
            out["approved"].as_bool(),
            out["response"]["statusCode"].as_i64()
        ),
        (Some(true), Some(200)),
        "merged: {out}"
    );
}

#[tokio::test]
async fn wait_by_duration_until_and_signal() {
    let s = Server::start().await;
    // Duration.
    let id = one_task(
        &s,
        "wait_d",
        json!({"type": "WAIT", "inputParameters": {"duration": "1s"}}),
    )
    .await;
    let wf = s.wait_for(&id, 10, |wf| wf["status"] == "COMPLETED").await;
    let t = task(&wf, "t");
    assert!(
        t["endTime"].as_i64().unwrap() - t["startTime"].as_i64().unwrap() >= 900,
        "{t:#}"
    );
    // Until, in the past: done at once; in the future: waits with its deadline shown.
    let id = one_task(
        &s,
        "wait_u",
        json!({"type": "WAIT", "inputParameters": {"until": "2020-01-01 10:00 GMT+04:00"}}),
    )
    .await;
    s.wait_for(&id, 10, |wf| wf["status"] == "COMPLETED").await;
    let id = one_task(
        &s,
        "wait_u2",
        json!({"type": "WAIT", "inputParameters": {"wait_until": "2099-12-31 23:59 PST"}}),
    )
    .await;
    let wf = s
        .wait_for(&id, 10, |wf| {
            task(wf, "t")["waitTimeout"].as_i64().unwrap_or(0) > 0
        })
        .await;
    assert_eq!(task(&wf, "t")["status"], "IN_PROGRESS");
    assert_eq!(
        task(&wf, "t")["waitTimeout"],
        json!(4_102_444_740_000i64 + 8 * 3_600_000),
        "23:59 PST is 07:59 UTC"
    );
    // ...and a signal beats the timer.
    let r = s
        .post(
            &format!("/tasks/{id}/COMPLETED/signal/sync"),
            json!({"early": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    assert_eq!(
        (body["responseType"].as_str(), body["status"].as_str()),
        (Some("TARGET_WORKFLOW"), Some("COMPLETED"))
    );
    // No input: waits for a signal.
    let id = one_task(&s, "wait_s", json!({"type": "WAIT"})).await;
    let wf = s
        .wait_for(&id, 10, |wf| task(wf, "t")["pollCount"] == 1)
        .await;
    assert_eq!(status_of(&wf, "t"), "IN_PROGRESS");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        status_of(&s.workflow(&id).await, "t"),
        "IN_PROGRESS",
        "a signal wait does not end by itself"
    );
    assert_eq!(
        s.post(
            &format!("/tasks/{id}/COMPLETED/signal"),
            json!({"by": "ann"})
        )
        .await
        .status,
        200
    );
    let wf = s.workflow(&id).await;
    assert_eq!(
        (
            wf["status"].as_str(),
            task(&wf, "t")["outputData"]["by"].as_str()
        ),
        (Some("COMPLETED"), Some("ann"))
    );
    let log = s.get(&format!("/workflow/{id}/signals")).await.json();
    assert_eq!(
        (log[0]["op"].as_str(), log[1]["op"].as_str()),
        (Some("start"), Some("signal"))
    );
}

#[tokio::test]
async fn invalid_wait_inputs_fail_terminally_with_conductors_reasons() {
    let s = Server::start().await;
    for (input, reason) in [
        (json!({"duration": "soon"}), "Not valid duration: soon"),
        (
            json!({"until": "next tuesday"}),
            "Invalid/Unsupported Wait Until format.  Provided: next tuesday",
        ),
        (
            json!({"duration": "1s", "until": "2030-01-01"}),
            "Both 'duration' and 'until' specified. Please provide only one input",
        ),
    ] {
        let id = one_task(
            &s,
            "wait_bad",
            json!({"type": "WAIT", "inputParameters": input}),
        )
        .await;
        let wf = s.wait_for(&id, 10, |wf| wf["status"] == "FAILED").await;
        let t = task(&wf, "t");
        assert_eq!(
            (t["status"].as_str(), t["reasonForIncompletion"].as_str()),
            (Some("FAILED_WITH_TERMINAL_ERROR"), Some(reason))
        );
    }
}

#[tokio::test]
async fn a_wait_whose_time_passes_while_fermata_is_down_completes_after_restart() {
    let mut s = Server::start().await;
    let id = one_task(
        &s,
        "wait_restart",
        json!({"type": "WAIT", "inputParameters": {"duration": "2s"}}),
    )
    .await;
    s.wait_for(&id, 10, |wf| {
        task(wf, "t")["waitTimeout"].as_i64().unwrap_or(0) > 0
    })
    .await;
    s.kill9();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    s.restart().await;
    let wf = s.wait_for(&id, 5, |wf| wf["status"] == "COMPLETED").await;
    assert_eq!(status_of(&wf, "t"), "COMPLETED");
}

#[tokio::test]
async fn http_tasks_call_real_endpoints_and_fail_clearly() {
    let peer = HttpPeer::start().await;
    let s = Server::start_with(&["--allow-http", "loopback"]).await;
    let id = one_task(&s, "http_ok", json!({"type": "HTTP", "inputParameters": {
        "http_request": {"uri": format!("{}/echo", peer.base), "method": "POST", "body": {"n": "${workflow.input.n}"}}}}))
    .await;
    let wf = s.wait_for(&id, 10, |wf| wf["status"] != "RUNNING").await;
    assert_eq!(wf["status"], "COMPLETED", "{wf:#}");
    let response = &task(&wf, "t")["outputData"]["response"];
    assert_eq!(response["body"]["contentType"], "application/json");
    assert!(
        response["headers"]["content-type"].is_array(),
        "multi-valued headers: {response}"
    );
    assert_eq!(peer.seen.lock().unwrap().len(), 1);
    // A flat request, a text body.
    let id = one_task(&s, "http_flat", json!({"type": "HTTP", "inputParameters": {"uri": format!("{}/text", peer.base), "method": "GET"}})).await;
    let wf = s.wait_for(&id, 10, |wf| wf["status"] != "RUNNING").await;
    assert_eq!(
        task(&wf, "t")["outputData"]["response"]["body"],
        "plain words"
    );
    // Non-2xx: FAILED, the status and body in the reason, the response kept.
    let id = one_task(&s, "http_500", json!({"type": "HTTP", "inputParameters": {"uri": format!("{}/status/503", peer.base), "method": "GET"}})).await;
    let wf = s.wait_for(&id, 10, |wf| wf["status"] != "RUNNING").await;
    let t = task(&wf, "t");
    assert_eq!(t["status"], "FAILED");
    assert_eq!(
        t["reasonForIncompletion"],
        "HTTP 503 Service Unavailable: status 503 body"
    );
    assert_eq!(t["outputData"]["response"]["statusCode"], 503);
    // A read timeout fails the task.
    let id = one_task(&s, "http_slow", json!({"type": "HTTP", "inputParameters": {"uri": format!("{}/slow", peer.base), "method": "GET", "readTimeOut": 300, "connectionTimeOut": 300}})).await;
    let wf = s.wait_for(&id, 10, |wf| wf["status"] != "RUNNING").await;
    assert!(
        task(&wf, "t")["reasonForIncompletion"]
            .as_str()
            .unwrap()
            .contains("no answer within"),
        "{wf:#}"
    );
}

#[tokio::test]
async fn http_to_non_public_addresses_needs_an_allow() {
    let peer = HttpPeer::start().await;
    let s = Server::start().await;
    let id = one_task(&s, "http_denied", json!({"type": "HTTP", "inputParameters": {"uri": format!("{}/json", peer.base), "method": "GET"}})).await;
    let wf = s.wait_for(&id, 10, |wf| wf["status"] != "RUNNING").await;
    let reason = task(&wf, "t")["reasonForIncompletion"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains("not allowed") && reason.contains("--allow-http 127.0.0.1"),
        "{reason}"
    );
    assert!(peer.seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn event_tasks_publish_once_to_conductor_queues() {
    let s = Server::start().await;
    s.define(json!({"name": "emitter", "tasks": [
        {"name": "emit", "taskReferenceName": "emit", "type": "EVENT", "sink": "conductor:orders",
         "inputParameters": {"orderId": "${workflow.input.orderId}"}},
        {"name": "emit2", "taskReferenceName": "emit2", "type": "EVENT", "sink": "conductor:orders", "asyncComplete": true}
    ]}))
    .await;
    let id = s.start_workflow("emitter", json!({"orderId": 9})).await;
    let wf = s
        .wait_for(&id, 10, |wf| {
            wf["tasks"].as_array().unwrap().len() == 2
                && task(wf, "emit2")["outputData"]
                    .get("event_produced")
                    .is_some()
        })
        .await;
    let emit = task(&wf, "emit");
    assert_eq!(emit["status"], "COMPLETED");
    assert_eq!(
        emit["outputData"]["event_produced"],
        "conductor:emitter:orders"
    );
    assert_eq!(
        task(&wf, "emit2")["status"],
        "IN_PROGRESS",
        "asyncComplete EVENT waits"
    );
    let messages = s
        .get("/queue/messages/conductor:emitter:orders")
        .await
        .json();
    assert_eq!(messages.as_array().unwrap().len(), 2, "{messages:#}");
    let first = messages
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["messageId"] == emit["taskId"])
        .expect("message id = task id");
    assert_eq!(first["payload"]["orderId"], 9);
    assert_eq!(
        first["payload"]["event_produced"],
        "conductor:emitter:orders"
    );
    s.complete(&id, "emit2", json!({})).await;
    assert_eq!(s.workflow(&id).await["status"], "COMPLETED");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        s.get("/queue/messages/conductor:emitter:orders")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        2,
        "published once"
    );
}

#[tokio::test]
async fn an_event_handler_on_a_conductor_queue_completes_the_async_event_task() {
    let s = Server::start().await;
    // The EVENT task publishes its own workflow id and reference; the handler listening on
    // that queue completes it: an event-driven signal.
    let r = s
        .post("/event", json!({"name": "on_request", "event": "conductor:asker:requests", "actions": [
            {"action": "complete_task", "complete_task": {
                "workflowId": "${workflowInstanceId}", "taskRefName": "ask", "output": {"heard": "${question}"}}}
        ]}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    s.post("/event", json!({"name": "on_request", "event": "conductor:asker:requests", "actions": [{"action": "complete_task", "complete_task": {}}]}))
        .await
        .assert_error(409);
    s.post(
        "/event",
        json!({"name": "bad", "event": "sqs:q", "actions": []}),
    )
    .await
    .assert_error(400);
    s.define(json!({"name": "asker", "tasks": [
        {"name": "ask", "taskReferenceName": "ask", "type": "EVENT", "sink": "conductor:requests", "asyncComplete": true,
         "inputParameters": {"question": "${workflow.input.q}"}}
    ]}))
    .await;
    let id = s.start_workflow("asker", json!({"q": "ready?"})).await;
    let wf = s.wait_for(&id, 10, |wf| wf["status"] == "COMPLETED").await;
    let t = task(&wf, "ask");
    assert_eq!(t["outputData"]["heard"], "ready?");
    assert_eq!(
        t["outputData"]["conductor.event.name"],
        "conductor:asker:requests"
    );
    let handlers = s.get("/event/conductor:asker:requests").await.json();
    assert_eq!(handlers[0]["name"], "on_request");
    assert_eq!(s.delete("/event/on_request").await.status, 200);
    s.delete("/event/on_request").await.assert_error(404);
}

#[tokio::test]
async fn kafka_publish_waits_for_the_broker_and_reads_back() {
    let broker = Broker::start();
    let s = Server::start_with(&["--allow-kafka", &broker.bootstrap]).await;
    let id = one_task(&s, "kp", json!({"type": "KAFKA_PUBLISH", "inputParameters": {"kafka_request": {
        "bootStrapServers": broker.bootstrap, "topic": "orders", "key": "k1", "value": {"orderId": 5}, "headers": {"h": 1},
        "requestTimeoutMs": 5000, "maxBlockMs": 5000}}}))
    .await;
    let wf = s.wait_for(&id, 20, |wf| wf["status"] != "RUNNING").await;
    assert_eq!(wf["status"], "COMPLETED", "{wf:#}");
    let records = broker.read_all("orders", 1);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].0.as_deref(), Some("k1"));
    assert_eq!(
        serde_json::from_str::<Value>(&records[0].1).unwrap(),
        json!({"orderId": 5})
    );
    assert_eq!(records[0].2, vec![("h".to_string(), "1".to_string())]);
    // Not on the allow-list: denied, naming the flag.
    let id = one_task(
        &s,
        "kp_denied",
        json!({"type": "KAFKA_PUBLISH", "inputParameters": {"kafka_request": {
        "bootStrapServers": "127.0.0.1:1", "topic": "t", "value": 1}}}),
    )
    .await;
    let wf = s.wait_for(&id, 10, |wf| wf["status"] != "RUNNING").await;
    assert!(
        task(&wf, "t")["reasonForIncompletion"]
            .as_str()
            .unwrap()
            .contains("--allow-kafka 127.0.0.1:1")
    );
}

#[tokio::test]
async fn an_async_complete_publish_is_completed_by_a_kafka_reply_through_an_event_handler() {
    let broker = Broker::start();
    let s = Server::start_with(&[
        "--allow-kafka",
        &broker.bootstrap,
        "--event-kafka-brokers",
        &broker.bootstrap,
    ])
    .await;
    broker.produce("replies", "warmup", &json!({"warmup": true}));
    let r = s
        .post("/event", json!({"name": "kafka_replies", "event": "kafka:replies", "actions": [
            {"action": "complete_task", "complete_task": {
                "workflowId": "${workflowId}", "taskRefName": "request", "output": {"answer": "${answer}"}}}
        ]}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    s.define(json!({"name": "request_reply", "tasks": [
        {"name": "request", "taskReferenceName": "request", "type": "KAFKA_PUBLISH", "asyncComplete": true,
         "inputParameters": {"kafka_request": {"bootStrapServers": broker.bootstrap, "topic": "requests",
            "value": {"workflowId": "${workflow.workflowId}"}, "requestTimeoutMs": 5000}}},
        {"name": "emit", "taskReferenceName": "emit", "type": "EVENT", "sink": "kafka:audit"}
    ]}))
    .await;
    let id = s.start_workflow("request_reply", json!({})).await;
    let wf = s
        .wait_for(&id, 20, |wf| {
            task(wf, "request")["pollCount"] == 1 && task(wf, "request")["status"] == "IN_PROGRESS"
        })
        .await;
    // The request reached the broker; the task waits for the reply.
    let requests = broker.read_all("requests", 1);
    assert_eq!(
        serde_json::from_str::<Value>(&requests[0].1).unwrap()["workflowId"],
        json!(id)
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(status_of(&s.workflow(&id).await, "request"), "IN_PROGRESS");
    let _ = wf;
    broker.produce("replies", &id, &json!({"workflowId": id, "answer": 42}));
    let wf = s.wait_for(&id, 20, |wf| wf["status"] == "COMPLETED").await;
    let t = task(&wf, "request");
    assert_eq!(t["outputData"]["answer"], 42);
    assert_eq!(t["outputData"]["conductor.event.name"], "kafka:replies");
    let log = s.get(&format!("/workflow/{id}/signals")).await.json();
    assert_eq!(log[1]["caller"], "event-handler:kafka_replies", "{log:#}");
    // The EVENT task after it published to Kafka, keyed by its task id.
    let audit = broker.read_all("audit", 1);
    assert_eq!(
        audit[0].0.as_deref(),
        Some(task(&wf, "emit")["taskId"].as_str().unwrap())
    );
}

#[tokio::test]
async fn a_custom_plugin_registered_at_run_time_runs_and_survives_a_restart() {
    let peer = HttpPeer::start().await;
    // A plugin uploaded over the API is granted capabilities by its content hash.
    let grant = format!(
        "APPROVAL_WEBHOOK@sha256:{}=http",
        fermata_wasm::sha256_hex(&plugin_wasm("approval_webhook"))
    );
    let mut s = Server::start_with(&["--allow-http", "loopback", "--grant", &grant]).await;
    let r = s
        .http
        .put(s.url("/plugins/APPROVAL_WEBHOOK"))
        .body(plugin_wasm("approval_webhook"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let summary: Value = r.json().await.unwrap();
    assert_eq!(summary["capabilities"], json!(["http"]));
    assert_eq!(summary["granted"], json!(["http"]));
    let listed = s.get("/plugins").await.json();
    let types: Vec<_> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["taskType"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        types,
        [
            "APPROVAL_WEBHOOK",
            "EVENT",
            "HTTP",
            "INLINE",
            "JSON_JQ_TRANSFORM",
            "KAFKA_PUBLISH",
            "UPDATE_TASK",
            "WAIT"
        ]
    );
    s.define(json!({"name": "approve", "tasks": [{"name": "ask", "taskReferenceName": "ask", "type": "APPROVAL_WEBHOOK",
        "inputParameters": {"webhookUrl": format!("{}/webhook", peer.base), "approver": "ann", "subject": "${workflow.input.what}"}}]}))
    .await;
    let id = s
        .start_workflow("approve", json!({"what": "invoice 7"}))
        .await;
    let wf = s
        .wait_for(&id, 10, |wf| {
            task(wf, "ask")["outputData"].get("requested").is_some()
        })
        .await;
    assert_eq!(status_of(&wf, "ask"), "IN_PROGRESS");
    let posted = peer.seen.lock().unwrap()[0].2.clone();
    assert_eq!(
        (posted["subject"].as_str(), posted["approver"].as_str()),
        (Some("invoice 7"), Some("ann"))
    );
    assert_eq!(
        posted["approve"],
        format!("POST /api/tasks/{id}/ask/COMPLETED")
    );
    s.complete(&id, "ask", json!({"approved": true})).await;
    assert_eq!(s.workflow(&id).await["status"], "COMPLETED");
    // Kept in the database: there after a restart.
    s.terminate();
    s.restart().await;
    let p = s.get("/plugins/APPROVAL_WEBHOOK").await.json();
    assert_eq!(p["source"]["kind"], "api");
    let id = s.start_workflow("approve", json!({"what": "again"})).await;
    s.wait_for(&id, 10, |wf| {
        task(wf, "ask")["outputData"].get("requested").is_some()
    })
    .await;
}

#[tokio::test]
async fn plugin_registration_errors() {
    let s = Server::start().await;
    let put = |t: &str, body: Vec<u8>| {
        s.http
            .put(s.url(&format!("/plugins/{t}")))
            .body(body)
            .send()
    };
    let r = put("X", b"not wasm".to_vec()).await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = put("OTHER_NAME", plugin_wasm("approval_webhook"))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("implements task type APPROVAL_WEBHOOK")
    );
    let r = put("WAIT", plugin_wasm("wait")).await.unwrap();
    assert_eq!(r.status().as_u16(), 409);
    s.get("/plugins/NOPE").await.assert_error(404);
    // Definitions may only use task types something runs.
    s.post(
        "/metadata/workflow",
        json!({"name": "x", "tasks": [{"name": "a", "taskReferenceName": "a", "type": "NOPE"}]}),
    )
    .await
    .assert_error(400);
}

#[tokio::test]
async fn a_plugin_gets_only_granted_capabilities() {
    let peer = HttpPeer::start().await;
    let s = Server::start_with(&["--allow-http", "loopback"]).await;
    let r = s
        .http
        .put(s.url("/plugins/APPROVAL_WEBHOOK"))
        .body(plugin_wasm("approval_webhook"))
        .send()
        .await
        .unwrap();
    let summary: Value = r.json().await.unwrap();
    assert_eq!(summary["granted"], json!([]));
    let hash = summary["sha256"].as_str().unwrap().to_string();
    let id = one_task(&s, "ungranted", json!({"type": "APPROVAL_WEBHOOK", "inputParameters": {"webhookUrl": format!("{}/webhook", peer.base)}})).await;
    let wf = s.wait_for(&id, 10, |wf| wf["status"] != "RUNNING").await;
    let reason = task(&wf, "t")["reasonForIncompletion"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains(&format!("--grant APPROVAL_WEBHOOK@sha256:{hash}=http")),
        "{reason}"
    );
    assert!(peer.seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn hostile_plugins_fail_their_task_and_fermata_keeps_serving() {
    let s = Server::start_with(&[
        "--plugin-timeout-ms",
        "1500",
        "--plugin-memory-mib",
        "32",
        "--grant",
        &format!(
            "HOSTILE@sha256:{}=http",
            fermata_wasm::sha256_hex(&plugin_wasm("hostile"))
        ),
    ])
    .await;
    let r = s
        .http
        .put(s.url("/plugins/HOSTILE"))
        .body(plugin_wasm("hostile"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let mut ids = Vec::new();
    for mode in [
        "spin",
        "allocate",
        "call",
        "panic",
        "bad-json",
        "update-task",
    ] {
        let id = one_task(
            &s,
            &format!("hostile_{mode}"),
            json!({"type": "HOSTILE", "inputParameters": {"mode": mode}}),
        )
        .await;
        ids.push((mode, id));
    }
    // While they misbehave, ordinary work goes on.
    s.define(json!({"name": "calm", "tasks": [{"name": "w", "taskReferenceName": "w", "type": "WAIT", "inputParameters": {"duration": "1s"}}]})).await;
    let calm = s.start_workflow("calm", json!({})).await;
    for (mode, id) in &ids {
        let wf = s.wait_for(id, 20, |wf| wf["status"] != "RUNNING").await;
        let reason = task(&wf, "t")["reasonForIncompletion"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let expected = match *mode {
            "spin" => "plugin HOSTILE exceeded its deadline of 1500 ms",
            "allocate" => "plugin HOSTILE exceeded its memory limit of 32 MiB",
            "call" => "--allow-http 169.254.169.254",
            "panic" => "deliberate panic",
            "update-task" => "not granted the workflow capability",
            _ => "plugin HOSTILE returned output that is not JSON",
        };
        assert_eq!(task(&wf, "t")["status"], "FAILED", "{mode}: {wf:#}");
        assert!(reason.contains(expected), "{mode}: {reason}");
    }
    s.wait_for(&calm, 10, |wf| wf["status"] == "COMPLETED")
        .await;
    let h = s
        .http
        .get(format!("{}/health", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(h.status().as_u16(), 200);
}

#[tokio::test]
async fn compiled_plugins_are_cached_across_restarts() {
    let mut s = Server::start().await;
    let cache = s.dir.path().join("cache");
    s.terminate();
    drop(s);
    let s = Server::start_with(&["--plugin-cache", cache.to_str().unwrap()]).await;
    let first = s.get("/plugins/WAIT").await.json();
    assert_eq!(first["fromCache"], false);
    let mut s = s;
    s.terminate();
    s.restart().await;
    let again = s.get("/plugins/WAIT").await.json();
    assert_eq!(again["fromCache"], true);
    assert!(std::fs::read_dir(&cache).unwrap().count() >= 4);
    let id = s.start_workflow_def_wait().await;
    s.wait_for(&id, 10, |wf| wf["status"] == "COMPLETED").await;
}

trait WaitDef {
    async fn start_workflow_def_wait(&self) -> String;
}

impl WaitDef for Server {
    async fn start_workflow_def_wait(&self) -> String {
        one_task(
            self,
            "cached_wait",
            json!({"type": "WAIT", "inputParameters": {"duration": "0s"}}),
        )
        .await
    }
}

#[tokio::test]
async fn system_tasks_retry_and_rerun_like_any_task() {
    let peer = HttpPeer::start().await;
    let s = Server::start_with(&["--allow-http", "loopback"]).await;
    s.post(
        "/metadata/taskdefs",
        json!([{"name": "flaky", "retryCount": 1, "retryDelaySeconds": 0}]),
    )
    .await;
    let id = one_task(&s, "flaky_http", json!({"name": "flaky", "type": "HTTP", "inputParameters": {"uri": format!("{}/status/500", peer.base), "method": "GET"}})).await;
    let wf = s.wait_for(&id, 10, |wf| wf["status"] != "RUNNING").await;
    assert_eq!(
        statuses(&wf),
        pairs(&[("t", "FAILED"), ("t", "FAILED")]),
        "retried once by its task definition"
    );
    let failed = task_id(&wf, "t", "FAILED");
    let r = s.post(&format!("/workflow/{id}/rerun"), json!({"reRunFromTaskId": failed, "taskInput": {"uri": format!("{}/json", peer.base), "method": "GET"}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let wf = s.wait_for(&id, 10, |wf| wf["status"] != "RUNNING").await;
    assert_eq!(wf["status"], "COMPLETED", "{wf:#}");
}

#[tokio::test]
async fn event_handler_actions_fail_start_and_terminate() {
    let s = Server::start().await;
    s.define(json!({"name": "target", "tasks": [{"name": "hold", "taskReferenceName": "hold", "type": "WAIT"}]})).await;
    s.define(json!({"name": "spawned", "tasks": [{"name": "hold", "taskReferenceName": "hold", "type": "WAIT"}]})).await;
    let doomed = s.start_workflow("target", json!({})).await;
    let failing = s.start_workflow("target", json!({})).await;
    let r = s
        .post("/event", json!({"name": "ops", "event": "conductor:signaller:ops", "actions": [
            {"action": "fail_task", "fail_task": {"workflowId": "${failWorkflow}", "taskRefName": "hold", "reasonForIncompletion": "${why}"}},
            {"action": "terminate_workflow", "terminate_workflow": {"workflowId": "${terminateWorkflow}", "terminationReason": "${why}"}},
            {"action": "start_workflow", "start_workflow": {"name": "spawned", "correlationId": "${why}", "input": {"from": "${workflowInstanceId}"}}}
        ]}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    s.define(json!({"name": "signaller", "tasks": [{"name": "emit", "taskReferenceName": "emit", "type": "EVENT", "sink": "conductor:ops",
        "inputParameters": {"failWorkflow": "${workflow.input.f}", "terminateWorkflow": "${workflow.input.t}", "why": "operator says so"}}]}))
    .await;
    let signaller = s
        .start_workflow("signaller", json!({"f": failing, "t": doomed}))
        .await;
    let wf = s
        .wait_for(&failing, 10, |wf| wf["status"] == "FAILED")
        .await;
    assert_eq!(
        task(&wf, "hold")["reasonForIncompletion"],
        "operator says so"
    );
    let wf = s
        .wait_for(&doomed, 10, |wf| wf["status"] == "TERMINATED")
        .await;
    assert_eq!(wf["reasonForIncompletion"], "operator says so");
    let started = loop {
        let found = s
            .get("/workflow/search?query=workflowType%3Dspawned")
            .await
            .json();
        if found["totalHits"] == 1 {
            break found["results"][0].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(started["correlationId"], "operator says so");
    let spawned = s.workflow(started["workflowId"].as_str().unwrap()).await;
    assert_eq!(spawned["input"]["from"], json!(signaller));
    let log = s.get(&format!("/workflow/{doomed}/signals")).await.json();
    assert_eq!(
        log.as_array().unwrap().last().unwrap()["caller"],
        "event-handler:ops"
    );
}

#[tokio::test]
async fn plugins_load_from_a_directory_at_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("echo.wasm"), plugin_wasm("echo")).unwrap();
    let s = Server::start_with(&["--plugins-dir", dir.path().to_str().unwrap()]).await;
    let p = s.get("/plugins/ECHO").await.json();
    assert_eq!(p["source"]["kind"], "directory");
    let id = one_task(
        &s,
        "from_dir",
        json!({"type": "ECHO", "inputParameters": {"echo": 7}}),
    )
    .await;
    let wf = s.wait_for(&id, 10, |wf| wf["status"] == "COMPLETED").await;
    assert_eq!(task(&wf, "t")["outputData"]["echo"], 7);
}

#[tokio::test]
async fn a_plugin_cannot_claim_a_type_the_engine_runs_itself() {
    let s = Server::start().await;
    for reserved in ["SWITCH", "NOOP", "SIMPLE"] {
        let r = s
            .http
            .put(s.url(&format!("/plugins/{reserved}")))
            .body(plugin_wasm("echo"))
            .send()
            .await
            .unwrap();
        let r = fermata_tests::Response::read(r).await;
        assert_eq!(r.status, 409, "{reserved}: {}", r.text);
        assert!(r.text.contains("the engine runs itself"), "{}", r.text);
    }
}
