//! Incoming webhooks (reference conductor-signals-extra §2) over HTTP: configs kept with
//! their secrets masked; deliveries verified (GitHub's signature, a static header token),
//! a forged one refused with 401 and nothing changed; matching deliveries completing
//! WAIT_FOR_WEBHOOK tasks through the signal log, starting workflows, and every delivery
//! recorded — also for a task that began waiting before a `kill -9` and restart.

use fermata_tests::{Response, Server, latest, simple};
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};

const SECRET: &str = "It's a Secret to Everybody";

fn github_signature(body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// POST a raw body to `path` (outside `/api` unless it says so) with these headers.
async fn deliver(s: &Server, path: &str, body: &[u8], headers: &[(&str, &str)]) -> Response {
    let mut req = s
        .http
        .post(format!("{}{path}", s.base))
        .header("content-type", "application/json")
        .body(body.to_vec());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    Response::read(req.send().await.expect("delivery")).await
}

async fn deliver_signed(s: &Server, id: &str, body: &Value) -> Response {
    let raw = serde_json::to_vec(body).unwrap();
    let sig = github_signature(&raw);
    deliver(
        s,
        &format!("/webhook/{id}"),
        &raw,
        &[("X-Hub-Signature-256", &sig)],
    )
    .await
}

async fn deliveries(s: &Server, id: &str) -> Vec<Value> {
    let r = s.get(&format!("/metadata/webhook/{id}/deliveries")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json().as_array().unwrap().clone()
}

fn orders_def() -> Value {
    json!({"name": "orders", "version": 1, "tasks": [
        {"name": "wait_payment", "taskReferenceName": "wait", "type": "WAIT_FOR_WEBHOOK",
         "inputParameters": {"matches": {
             "$['event']['type']": "paid",
             "$.orderId": "${workflow.input.orderId}"}}},
        simple("after"),
    ]})
}

async fn github_webhook(s: &Server) -> String {
    let r = s
        .post(
            "/metadata/webhook",
            json!({"name": "payments", "sourcePlatform": "Github", "verifier": "SIGNATURE_BASED",
                   "headerKey": "X-Hub-Signature-256", "secretValue": SECRET,
                   "receiverWorkflowNamesToVersions": {"orders": 1}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let created = r.json();
    assert_eq!(created["secretValue"], "***", "{created}");
    assert_eq!(created["urlVerified"], false);
    created["id"].as_str().expect("generated id").to_string()
}

async fn waiting(s: &Server, id: &str) -> Value {
    s.wait_for(id, 10, |wf| {
        wf["tasks"]
            .as_array()
            .is_some_and(|ts| ts.iter().any(|t| t["referenceTaskName"] == "wait"))
    })
    .await
}

#[tokio::test]
async fn a_signed_delivery_completes_the_matching_wait_and_a_forged_one_changes_nothing() {
    let s = Server::start().await;
    s.define(orders_def()).await;
    let hook = github_webhook(&s).await;
    let wf = s.start_workflow("orders", json!({"orderId": 42})).await;
    let other = s.start_workflow("orders", json!({"orderId": 7})).await;
    assert_eq!(
        latest(&waiting(&s, &wf).await, "wait")["status"],
        "IN_PROGRESS"
    );
    waiting(&s, &other).await;

    // Forged: signed with another secret.
    let body = json!({"event": {"type": "paid"}, "orderId": 42, "amount": 10});
    let raw = serde_json::to_vec(&body).unwrap();
    let forged = format!("sha256={}", "0".repeat(64));
    let r = deliver(
        &s,
        &format!("/webhook/{hook}"),
        &raw,
        &[("X-Hub-Signature-256", &forged)],
    )
    .await;
    let message = r.assert_error(401);
    assert!(message.contains("does not match"), "{message}");
    // Unsigned.
    let r = deliver(&s, &format!("/webhook/{hook}"), &raw, &[]).await;
    r.assert_error(401);
    assert_eq!(
        latest(&s.workflow(&wf).await, "wait")["status"],
        "IN_PROGRESS"
    );
    let signals = s.get(&format!("/workflow/{wf}/signals")).await.json();
    assert!(
        signals
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["op"] != "webhook"),
        "{signals:#}"
    );

    // Signed, but for no waiting order.
    let r = deliver_signed(
        &s,
        &hook,
        &json!({"event": {"type": "paid"}, "orderId": 43}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        latest(&s.workflow(&wf).await, "wait")["status"],
        "IN_PROGRESS"
    );

    // Signed and matching order 42 only (on OSS's path under /api too).
    let sig = github_signature(&raw);
    let r = deliver(
        &s,
        &format!("/api/webhook/{hook}"),
        &raw,
        &[("X-Hub-Signature-256", &sig)],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let event_id = r.text.clone();
    let done = s
        .wait_for(&wf, 10, |wf| latest(wf, "wait")["status"] == "COMPLETED")
        .await;
    let wait = latest(&done, "wait");
    assert_eq!(wait["outputData"]["amount"], 10, "{wait:#}");
    assert_eq!(wait["outputData"]["event"]["type"], "paid");
    assert_eq!(latest(&done, "after")["status"], "SCHEDULED");
    assert_eq!(
        latest(&s.workflow(&other).await, "wait")["status"],
        "IN_PROGRESS"
    );

    // The execution's signal log has it, like any other signal.
    let signals = s.get(&format!("/workflow/{wf}/signals")).await.json();
    let record = signals
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["op"] == "webhook")
        .unwrap_or_else(|| panic!("no webhook signal: {signals:#}"));
    assert_eq!(record["status"], 200);
    assert_eq!(record["params"]["webhookId"], hook.as_str());
    assert_eq!(record["params"]["eventId"], event_id.as_str());
    assert!(record["caller"].as_str().unwrap().contains("payments"));

    // Every delivery is recorded, newest first.
    let log = deliveries(&s, &hook).await;
    let outcomes: Vec<(&str, bool)> = log
        .iter()
        .map(|d| {
            (
                d["outcome"].as_str().unwrap(),
                d["matched"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("ACCEPTED", true),
            ("ACCEPTED", false),
            ("REJECTED", false),
            ("REJECTED", false)
        ],
        "{log:#?}"
    );
    assert_eq!(log[0]["eventId"], event_id.as_str());
    assert_eq!(log[0]["workflowIds"], json!([wf]));
    assert_eq!(log[0]["taskIds"], json!([wait["taskId"]]));
    assert_eq!(log[0]["payload"], body);
    assert_eq!(log[3]["status"], 401);
    assert!(
        log[3]["reason"]
            .as_str()
            .unwrap()
            .contains("does not match"),
        "{log:#?}"
    );
    assert!(
        log[2]["reason"].as_str().unwrap().contains("not present"),
        "{log:#?}"
    );

    // A second matching delivery finds nothing left waiting for order 42.
    let r = deliver(
        &s,
        &format!("/webhook/{hook}"),
        &raw,
        &[("X-Hub-Signature-256", &sig)],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(deliveries(&s, &hook).await[0]["matched"], false);

    // The config: secret masked, verified by the first good delivery.
    let got = s.get(&format!("/metadata/webhook/{hook}")).await.json();
    assert_eq!(got["secretValue"], "***");
    assert_eq!(got["urlVerified"], true);
    assert_eq!(got["receiverWorkflowNamesToVersions"], json!({"orders": 1}));

    // Unknown webhooks.
    deliver(&s, "/webhook/nope", b"{}", &[])
        .await
        .assert_error(404);
    s.get("/metadata/webhook/nope").await.assert_error(404);
    s.get("/metadata/webhook/nope/deliveries")
        .await
        .assert_error(404);
}

#[tokio::test]
async fn a_header_token_webhook_starts_workflows_and_configs_are_kept() {
    let s = Server::start().await;
    s.define(json!({"name": "on_event", "version": 1, "tasks": [simple("handle")]}))
        .await;
    // Checked.
    for (bad, why) in [
        (
            json!({"name": "x", "verifier": "HEADER_BASED", "workflowsToStart": {"on_event": 1}}),
            "At least one header",
        ),
        (
            json!({"name": "x", "verifier": "HEADER_BASED", "headers": {"X-Token": "t"}}),
            "MUST be provided",
        ),
        (
            json!({"name": "x", "verifier": "SENDGRID", "secretKey": "k",
                   "workflowsToStart": {"on_event": 1}}),
            "not supported",
        ),
    ] {
        let r = s.post("/metadata/webhook", bad).await;
        let message = r.assert_error(400);
        assert!(message.contains(why), "{message}");
    }
    let r = s
        .post(
            "/metadata/webhook",
            json!({"id": "custom-hook", "name": "custom", "sourcePlatform": "Custom",
                   "verifier": "HEADER_BASED", "headers": {"X-Token": "t0k3n"},
                   "workflowsToStart": {"on_event": 1}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s
        .post(
            "/metadata/webhook",
            json!({"id": "custom-hook", "name": "again", "verifier": "HEADER_BASED",
                   "headers": {"X-Token": "x"}, "workflowsToStart": {"on_event": 1}}),
        )
        .await;
    r.assert_error(409);

    let r = deliver(
        &s,
        "/webhook/custom-hook",
        b"{\"n\":1}",
        &[("X-Token", "wrong")],
    )
    .await;
    let message = r.assert_error(401);
    assert!(message.contains("X-Token"), "{message}");
    let running = s.get("/workflow/running/on_event").await.json();
    assert_eq!(running, json!([]), "a refused delivery started something");

    let r = deliver(
        &s,
        "/webhook/custom-hook",
        b"{\"n\":1}",
        &[("x-token", "t0k3n")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let log = deliveries(&s, "custom-hook").await;
    assert_eq!(log[0]["outcome"], "ACCEPTED");
    assert_eq!(log[0]["matched"], true);
    let started = log[0]["startedWorkflowIds"][0]
        .as_str()
        .unwrap()
        .to_string();
    let wf = s.workflow(&started).await;
    assert_eq!(wf["input"], json!({"n": 1}));
    assert_eq!(wf["workflowName"], "on_event");
    assert_eq!(log[1]["outcome"], "REJECTED");

    // Updated with the secret masked, listed, deleted.
    let r = s
        .put(
            "/metadata/webhook/custom-hook",
            json!({"name": "custom2", "verifier": "HEADER_BASED",
                   "headers": {"X-Token": "new"}, "workflowsToStart": {"on_event": 1},
                   "urlVerified": false}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["urlVerified"], true, "urlVerified is the server's");
    let list = s.get("/metadata/webhook").await.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["name"], "custom2");
    let r = deliver(&s, "/webhook/custom-hook", b"{}", &[("X-Token", "t0k3n")]).await;
    r.assert_error(401);
    // A header-based token is a secret too: never shown, kept when sent back masked.
    assert_eq!(list[0]["headers"], json!({"X-Token": "***"}));
    let shown = s.get("/metadata/webhook/custom-hook").await.json();
    assert_eq!(shown["headers"], json!({"X-Token": "***"}));
    let r = s.put("/metadata/webhook/custom-hook", shown).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = deliver(&s, "/webhook/custom-hook", b"{}", &[("X-Token", "new")]).await;
    assert_eq!(r.status, 200, "the masked token was kept: {}", r.text);
    s.put(
        "/metadata/webhook/nope",
        json!({"name": "n", "verifier": "HEADER_BASED", "headers": {"a": "b"},
               "workflowsToStart": {"on_event": 1}}),
    )
    .await
    .assert_error(404);
    assert_eq!(s.delete("/metadata/webhook/custom-hook").await.status, 200);
    s.get("/metadata/webhook/custom-hook")
        .await
        .assert_error(404);
    s.delete("/metadata/webhook/custom-hook")
        .await
        .assert_error(404);
    deliver(&s, "/webhook/custom-hook", b"{}", &[("X-Token", "new")])
        .await
        .assert_error(404);
}

#[tokio::test]
async fn a_wait_begun_before_a_restart_is_completed_after_it() {
    let mut s = Server::start().await;
    s.define(orders_def()).await;
    let hook = github_webhook(&s).await;
    let wf = s.start_workflow("orders", json!({"orderId": "A-1"})).await;
    waiting(&s, &wf).await;
    s.kill9();
    s.restart().await;
    let r = deliver_signed(
        &s,
        &hook,
        &json!({"event": {"type": "paid"}, "orderId": "A-1"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    s.wait_for(&wf, 10, |wf| latest(wf, "wait")["status"] == "COMPLETED")
        .await;
    assert_eq!(
        deliveries(&s, &hook).await[0]["taskIds"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_wait_without_matches_fails_and_an_ended_wait_leaves_the_index() {
    let s = Server::start().await;
    s.define(json!({"name": "nomatch", "version": 1, "tasks": [
        {"name": "w", "taskReferenceName": "wait", "type": "WAIT_FOR_WEBHOOK"}]}))
        .await;
    let wf = s.start_workflow("nomatch", json!({})).await;
    let done = s.wait_for(&wf, 10, |wf| wf["status"] == "FAILED").await;
    assert!(
        latest(&done, "wait")["reasonForIncompletion"]
            .as_str()
            .unwrap()
            .contains("matches"),
        "{done:#}"
    );

    // A wait terminated with its workflow is no longer matched.
    s.define(orders_def()).await;
    let hook = github_webhook(&s).await;
    let wf = s.start_workflow("orders", json!({"orderId": 1})).await;
    waiting(&s, &wf).await;
    assert_eq!(s.delete(&format!("/workflow/{wf}")).await.status, 200);
    let r = deliver_signed(&s, &hook, &json!({"event": {"type": "paid"}, "orderId": 1})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let log = deliveries(&s, &hook).await;
    assert_eq!(log[0]["matched"], false, "{log:#?}");
    assert!(log[0].get("errors").is_none(), "{log:#?}");
}
