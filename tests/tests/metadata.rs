//! Definitions, search, correlation and the small endpoints SDKs probe.

use fermata_tests::{Server, three_task_def};
use serde_json::json;

#[tokio::test]
async fn workflow_definitions_and_versions() {
    let s = Server::start().await;
    let def = three_task_def("defs");
    assert_eq!(s.post("/metadata/workflow", def.clone()).await.status, 200);
    let msg = s
        .post("/metadata/workflow", def.clone())
        .await
        .assert_error(409);
    assert_eq!(msg, "Workflow with defs.1 already exists!");
    assert_eq!(
        s.post("/metadata/workflow?overwrite=True", def.clone())
            .await
            .status,
        200
    );
    let mut v2 = def.clone();
    v2["version"] = json!(2);
    let r = s
        .put(
            "/metadata/workflow",
            json!([v2, {"name": "broken", "tasks": []}]),
        )
        .await
        .json();
    assert_eq!(r["bulkSuccessfulResults"], json!(["defs"]));
    assert!(
        r["bulkErrorResults"]["broken"]
            .as_str()
            .unwrap()
            .contains("tasks")
    );
    assert_eq!(s.get("/metadata/workflow/defs").await.json()["version"], 2);
    let v1 = s.get("/metadata/workflow/defs?version=1").await.json();
    assert_eq!(v1["version"], 1);
    assert!(v1["createTime"].as_i64().unwrap() > 0 && v1["updateTime"].as_i64().unwrap() > 0);
    assert_eq!(v1["tasks"][0]["taskReferenceName"], "t1_ref");
    assert_eq!(
        s.get("/metadata/workflow")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        s.get("/metadata/workflow/names").await.json(),
        json!(["defs"])
    );
    let nv = s.get("/metadata/workflow/names-and-versions").await.json();
    assert_eq!(nv["defs"].as_array().unwrap().len(), 2);
    assert_eq!(
        s.get("/metadata/workflow/latest-versions").await.json()[0]["version"],
        2
    );
    assert_eq!(
        s.get("/metadata/workflow/defs/versions")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(s.delete("/metadata/workflow/defs/2").await.status, 200);
    s.delete("/metadata/workflow/defs/2")
        .await
        .assert_error(404);
    let msg = s
        .get("/metadata/workflow/defs?version=2")
        .await
        .assert_error(404);
    assert_eq!(msg, "No such workflow found by name: defs, version: 2");
    assert_eq!(s.post("/metadata/workflow/validate", def).await.status, 200);
}

#[tokio::test]
async fn invalid_definitions_list_every_problem() {
    let s = Server::start().await;
    let r = s
        .post(
            "/metadata/workflow",
            json!({"name": "", "tasks": [
                {"name": "a", "taskReferenceName": "x"},
                {"name": "b", "taskReferenceName": "x", "type": "MYSTERY"}
            ]}),
        )
        .await;
    let msg = r.assert_error(400);
    assert_eq!(msg, "Validation failed, check below errors for detail.");
    let paths: Vec<_> = r.json()["validationErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        paths,
        ["name", "tasks[1].taskReferenceName", "tasks[1].type"]
    );
    assert_eq!(
        s.get("/metadata/workflow").await.json(),
        json!([]),
        "nothing stored"
    );
}

#[tokio::test]
async fn task_definitions() {
    let s = Server::start().await;
    assert_eq!(
        s.post(
            "/metadata/taskdefs",
            json!([{"name": "a", "retryCount": 1}, {"name": "b"}])
        )
        .await
        .status,
        200
    );
    let a = s.get("/metadata/taskdefs/a").await.json();
    assert_eq!(
        (
            a["retryCount"].as_i64(),
            a["responseTimeoutSeconds"].as_i64()
        ),
        (Some(1), Some(3600))
    );
    assert_eq!(
        s.put("/metadata/taskdefs", json!({"name": "a", "retryCount": 5}))
            .await
            .status,
        200
    );
    assert_eq!(s.get("/metadata/taskdefs/a").await.json()["retryCount"], 5);
    let msg = s
        .put("/metadata/taskdefs", json!({"name": "zz"}))
        .await
        .assert_error(404);
    assert_eq!(msg, "No such task by name zz");
    let r = s
        .post(
            "/metadata/taskdefs",
            json!([{"name": "bad", "timeoutSeconds": 10, "responseTimeoutSeconds": 20}]),
        )
        .await;
    r.assert_error(400);
    assert_eq!(
        s.get("/metadata/taskdefs")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(s.delete("/metadata/taskdefs/b").await.status, 200);
    s.get("/metadata/taskdefs/b").await.assert_error(404);
    // A registered definition is embedded in executions started afterwards.
    s.define(json!({"name": "uses_a", "tasks": [{"name": "a", "taskReferenceName": "a"}]}))
        .await;
    let id = s.start_workflow("uses_a", json!({})).await;
    assert_eq!(
        s.workflow(&id).await["tasks"][0]["taskDefinition"]["retryCount"],
        5
    );
}

#[tokio::test]
async fn search_by_name_status_correlation_time_with_paging() {
    let s = Server::start().await;
    s.define(three_task_def("sa")).await;
    s.define(three_task_def("sb")).await;
    let mut a_ids = Vec::new();
    for i in 0..5 {
        let r = s
            .post(
                "/workflow",
                json!({"name": "sa", "correlationId": format!("c{}", i % 2), "input": {"i": i}}),
            )
            .await;
        a_ids.push(r.text);
    }
    let b = s.start_workflow("sb", json!({})).await;
    s.delete(&format!("/workflow/{b}")).await;
    let search = |q: &str| {
        let path = format!("/workflow/search?{q}");
        let s = &s;
        async move { s.get(&path).await }
    };

    let r = search("query=workflowType%20IN%20(sa)&size=2&start=0")
        .await
        .json();
    assert_eq!(r["totalHits"], 5);
    assert_eq!(r["results"].as_array().unwrap().len(), 2);
    let hit = &r["results"][0];
    assert_eq!(hit["workflowType"], "sa");
    assert!(
        hit["startTime"].as_str().unwrap().ends_with('Z'),
        "ISO-8601 times: {hit}"
    );
    assert!(hit["input"].is_string(), "input as JSON text: {hit}");
    let page2 = search("query=workflowType%3Dsa&size=2&start=4")
        .await
        .json();
    assert_eq!(page2["results"].as_array().unwrap().len(), 1);
    let r = search("query=status%3DTERMINATED").await.json();
    assert_eq!(
        (
            r["totalHits"].as_i64(),
            r["results"][0]["workflowId"].as_str()
        ),
        (Some(1), Some(b.as_str()))
    );
    let r = search("query=workflowType%3Dsa%20AND%20correlationId%3D'c1'")
        .await
        .json();
    assert_eq!(r["totalHits"], 2);
    let r = search("query=startTime%3E4102444800000").await.json();
    assert_eq!(r["totalHits"], 0, "nothing starts in 2100");
    let r = search(&format!("freeText={}", a_ids[3])).await.json();
    assert_eq!(r["totalHits"], 1);
    let r = search("query=workflowType%3Dsa&sort=startTime:ASC&size=1")
        .await
        .json();
    assert_eq!(r["results"][0]["workflowId"], json!(a_ids[0]));
    let v2 = s
        .get("/workflow/search-v2?query=workflowType%3Dsb")
        .await
        .json();
    assert_eq!(v2["results"][0]["workflowName"], "sb");
    // Correlated and running.
    let c = s
        .get("/workflow/sa/correlated/c1?includeClosed=true&includeTasks=true")
        .await
        .json();
    assert_eq!(c.as_array().unwrap().len(), 2);
    assert!(!c[0]["tasks"].as_array().unwrap().is_empty());
    let many = s
        .post("/workflow/sa/correlated", json!(["c0", "zz"]))
        .await
        .json();
    assert_eq!(
        (
            many["c0"].as_array().unwrap().len(),
            many["zz"].as_array().unwrap().len()
        ),
        (3, 0)
    );
    let running = s.get("/workflow/running/sa").await.json();
    assert_eq!(running.as_array().unwrap().len(), 5);
    assert_eq!(s.get("/workflow/running/sb").await.json(), json!([]));
}

#[tokio::test]
async fn probes_sdks_make() {
    let s = Server::start().await;
    let msg = s
        .post("/token", json!({"keyId": "k", "keySecret": "s"}))
        .await
        .assert_error(404);
    assert!(msg.contains("not configured"));
    let v = s.get("/version").await;
    assert!(v.content_type.starts_with("text/plain") && !v.text.is_empty());
    let h = s
        .http
        .get(format!("{}/health", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(h.status().as_u16(), 200);
}

#[tokio::test]
async fn definition_tags_and_poll_data() {
    let s = fermata_tests::Server::start().await;
    s.define(fermata_tests::three_task_def("tagged")).await;
    let base = "/metadata/workflow/tagged/tags";
    assert_eq!(s.get(base).await.json(), serde_json::json!([]));
    let r = s
        .post(base, serde_json::json!({"key": "env", "value": "test"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    s.post(base, serde_json::json!({"key": "env", "value": "prod"}))
        .await;
    assert_eq!(
        s.get(base).await.json(),
        serde_json::json!([{"key": "env", "value": "prod", "type": "METADATA"}])
    );
    let r = s
        .put(base, serde_json::json!([{"key": "a", "value": "1"}, {"key": "b", "value": "2", "type": "RATE_LIMIT"}]))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(s.get(base).await.json().as_array().unwrap().len(), 2);
    let r = s
        .call(
            reqwest::Method::DELETE,
            base,
            Some(serde_json::json!({"key": "a", "value": "1"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(s.get(base).await.json()[0]["key"], "b");
    assert_eq!(s.get("/metadata/workflow/nope/tags").await.status, 404);
    assert_eq!(s.get("/metadata/task/nope/tags").await.status, 404);

    // Poll data: every poll counts, per task type and domain.
    assert_eq!(
        s.get("/tasks/poll/polled_type?workerid=w1").await.status,
        204
    );
    assert_eq!(
        s.get("/tasks/poll/polled_type?workerid=w2&domain=d1")
            .await
            .status,
        204
    );
    let data = s
        .get("/tasks/queue/polldata?taskType=polled_type")
        .await
        .json();
    let data = data.as_array().unwrap();
    assert_eq!(data.len(), 2, "{data:?}");
    assert_eq!(data[0]["queueName"], "polled_type");
    assert!(data[0].get("domain").is_none());
    assert_eq!(data[0]["workerId"], "w1");
    assert_eq!(data[1]["domain"], "d1");
    assert!(data[1]["lastPollTime"].as_i64().unwrap() > 0);
    let all = s.get("/tasks/queue/polldata/all").await.json();
    assert!(all.as_array().unwrap().len() >= 2);
}

#[tokio::test]
async fn task_search_filters_sorts_and_pages() {
    let s = fermata_tests::Server::start().await;
    s.define(fermata_tests::three_task_def("searched")).await;
    let a = s.start_workflow("searched", json!({"orderId": 1})).await;
    let b = s.start_workflow("searched", json!({"orderId": 2})).await;
    s.complete(&a, "t1_ref", json!({"x": 1})).await;
    // a: t1 COMPLETED, t2 SCHEDULED; b: t1 SCHEDULED. A worker task's type is its name.
    let search = |q: &str| format!("/tasks/search?query={}", urlencode(q));
    let found = s
        .get(&search("taskType IN (t1, t2, t3) AND status = SCHEDULED"))
        .await
        .json();
    assert_eq!(found["totalHits"], 2, "{found:#}");
    let hit = &found["results"][0];
    assert!(
        hit["taskType"] == "t1" || hit["taskType"] == "t2",
        "{hit:#}"
    );
    assert_eq!(hit["workflowType"], "searched");
    assert!(
        hit["input"].as_str().unwrap().contains("orderId"),
        "{hit:#}"
    );

    let done = s
        .get(&search(&format!(
            "workflowId = '{a}' AND status IN (COMPLETED)"
        )))
        .await
        .json();
    assert_eq!(done["totalHits"], 1);
    assert_eq!(done["results"][0]["taskDefName"], "t1");
    assert_eq!(done["results"][0]["output"], r#"{"x":1}"#);

    let v2 = s
        .get(&format!(
            "/tasks/search-v2?freeText={b}&size=1&sort=updateTime:ASC"
        ))
        .await
        .json();
    assert_eq!(v2["totalHits"], 1);
    assert_eq!(v2["results"][0]["workflowInstanceId"], b.as_str());
    assert_eq!(v2["results"][0]["referenceTaskName"], "t1_ref");

    let paged = s
        .get("/tasks/search?query=workflowType%3Dsearched&start=1&size=1&sort=scheduledTime:ASC")
        .await
        .json();
    assert_eq!(paged["totalHits"], 3);
    assert_eq!(paged["results"].as_array().unwrap().len(), 1);

    for bad in ["status = NOPE", "foo = 1"] {
        let r = s.get(&search(bad)).await;
        let message = r.assert_error(400);
        assert!(!message.is_empty(), "{bad}");
    }
    assert_eq!(s.get("/tasks/search?size=5001").await.status, 400);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
