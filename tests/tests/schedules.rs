//! Schedules (reference conductor-signals-extra §3) over HTTP: saved and checked, paused and
//! resumed (PUT or GET), fired with Conductor's input keys, and each slot fired once — also
//! across a `kill -9` and restart.

use fermata_tests::{Server, simple};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;

fn schedule(name: &str, cron: &str, workflow: &str) -> Value {
    json!({"name": name, "cronExpression": cron, "zoneId": "UTC",
           "startWorkflowRequest": {"name": workflow, "version": 1, "input": {"from": "schedule"}}})
}

async fn executions(s: &Server, name: &str) -> Vec<Value> {
    let r = s
        .get(&format!(
            "/scheduler/search/executions?query=scheduleName%3D{name}&size=1000"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["results"].as_array().unwrap().clone()
}

#[tokio::test]
async fn schedules_are_checked_kept_paused_resumed_and_removed() {
    let s = Server::start().await;
    s.define(json!({"name": "report", "tasks": [simple("t")]}))
        .await;
    let r = s
        .post(
            "/scheduler/schedules",
            schedule("bad", "*/5 * * * *", "report"),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("Invalid cron expression"), "{}", r.text);
    let r = s
        .post(
            "/scheduler/schedules",
            schedule("nightly", "0 0 2 * * ?", "report"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let saved = r.json();
    assert!(saved["nextRunTime"].as_i64().unwrap() > 0);
    assert!(saved["createTime"].as_i64().unwrap() > 0);
    let got = s.get("/scheduler/schedules/nightly").await.json();
    assert_eq!(got["cronExpression"], "0 0 2 * * ?");
    let listed = s
        .get("/scheduler/schedules?workflowName=report")
        .await
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(
        s.put(
            "/scheduler/schedules/nightly/pause?reason=maintenance",
            json!({})
        )
        .await
        .status,
        200
    );
    let got = s.get("/scheduler/schedules/nightly").await.json();
    assert_eq!(got["paused"], true);
    assert_eq!(got["pausedReason"], "maintenance");
    assert!(got.get("nextRunTime").is_none());
    assert_eq!(
        s.get("/scheduler/schedules/nightly/resume").await.status,
        200
    );
    let got = s.get("/scheduler/schedules/nightly").await.json();
    assert_eq!(got["paused"], false);
    assert!(got["nextRunTime"].as_i64().is_some());
    let next = s
        .get("/scheduler/nextFewSchedules?cronExpression=0%200%20*%20%3F%20*%20*&scheduleStartTime=1000&limit=3")
        .await
        .json();
    assert_eq!(next, json!([3_600_000, 7_200_000, 10_800_000]));
    assert_eq!(s.delete("/scheduler/schedules/nightly").await.status, 200);
    let r = s.get("/scheduler/schedules/nightly").await;
    assert_eq!(r.status, 404);
    assert!(
        r.text.contains("Schedule 'nightly' not found"),
        "{}",
        r.text
    );
    assert_eq!(s.delete("/scheduler/schedules/nightly").await.status, 200);
}

#[tokio::test]
async fn a_schedule_fires_each_slot_once_also_across_a_crash() {
    let mut s = Server::start().await;
    s.define(json!({"name": "tick", "tasks": [simple("t")]}))
        .await;
    let r = s
        .post(
            "/scheduler/schedules",
            schedule("every_second", "* * * * * *", "tick"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while executions(&s, "every_second").await.len() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the schedule did not fire"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    s.kill9();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    s.restart().await;
    let fired = executions(&s, "every_second").await.len();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while executions(&s, "every_second").await.len() < fired + 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the schedule did not fire after the restart"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        s.put("/scheduler/schedules/every_second/pause", json!({}))
            .await
            .status,
        200
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all = executions(&s, "every_second").await;
    let slots: HashSet<i64> = all
        .iter()
        .map(|e| e["scheduledTime"].as_i64().unwrap())
        .collect();
    assert_eq!(slots.len(), all.len(), "a slot fired twice: {all:#?}");
    for e in &all {
        assert_eq!(e["state"], "EXECUTED", "{e:#}");
        let wf = s.workflow(e["workflowId"].as_str().unwrap()).await;
        assert_eq!(wf["input"]["from"], "schedule");
        assert_eq!(wf["input"]["_startedByScheduler"], "every_second");
        assert_eq!(wf["input"]["_scheduledTime"], e["scheduledTime"]);
        assert_eq!(wf["input"]["_schedulerCron"], "* * * * * * UTC");
        assert_eq!(wf["input"]["_executionId"], e["executionId"]);
    }
    // Paused: nothing more fires.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(executions(&s, "every_second").await.len(), all.len());
}

#[tokio::test]
async fn a_failed_start_is_recorded_and_the_schedule_goes_on() {
    let s = Server::start().await;
    let r = s
        .post(
            "/scheduler/schedules",
            schedule("orphan", "* * * * * *", "no_such_workflow"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let all = executions(&s, "orphan").await;
        if all.len() >= 2 {
            assert_eq!(all[0]["state"], "FAILED");
            assert!(
                all[0]["reason"]
                    .as_str()
                    .unwrap()
                    .contains("No such workflow"),
                "{all:#?}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no failed firings recorded"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
