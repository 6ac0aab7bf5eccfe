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

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test]
async fn slots_missed_while_down_fire_once_or_each_with_catch_up() {
    let mut s = Server::start().await;
    s.define(json!({"name": "tick", "tasks": [simple("t")]}))
        .await;
    let mut catch_up = schedule("catch_up", "* * * * * *", "tick");
    catch_up["runCatchupScheduleInstances"] = json!(true);
    for body in [schedule("once", "* * * * * *", "tick"), catch_up] {
        let r = s.post("/scheduler/schedules", body).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while executions(&s, "once").await.is_empty() || executions(&s, "catch_up").await.is_empty() {
        assert!(std::time::Instant::now() < deadline, "nothing fired");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    s.kill9();
    let down_from = now_ms();
    tokio::time::sleep(Duration::from_millis(5_000)).await;
    let down_to = now_ms();
    s.restart().await;
    // Wait until both have fired a slot after the restart.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let after = |all: &[Value]| {
            all.iter()
                .any(|e| e["scheduledTime"].as_i64().unwrap() >= down_to)
        };
        if after(&executions(&s, "once").await) && after(&executions(&s, "catch_up").await) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no firing after the restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for name in ["once", "catch_up"] {
        s.put(&format!("/scheduler/schedules/{name}/pause"), json!({}))
            .await;
    }
    // Slots strictly inside the downtime (a second away from either end, so a firing just
    // before the kill or just after the restart is not counted).
    let missed = |all: &[Value]| {
        all.iter()
            .filter(|e| {
                let at = e["scheduledTime"].as_i64().unwrap();
                at > down_from + 1_000 && at < down_to - 1_000
            })
            .count()
    };
    let once = executions(&s, "once").await;
    let caught = executions(&s, "catch_up").await;
    assert!(
        missed(&once) <= 1,
        "without catch-up a missed slot fires once: {once:#?}"
    );
    // The window is 3 s wide: it holds at least two whole seconds.
    assert!(
        missed(&caught) >= 2,
        "with catch-up every missed slot fires: {caught:#?}"
    );
    for all in [&once, &caught] {
        let slots: HashSet<i64> = all
            .iter()
            .map(|e| e["scheduledTime"].as_i64().unwrap())
            .collect();
        assert_eq!(slots.len(), all.len(), "a slot fired twice");
    }
}

#[tokio::test]
async fn firings_are_searched_by_name_state_and_time_and_a_host_can_hold_firing() {
    let s = Server::start().await;
    s.define(json!({"name": "tick", "tasks": [simple("t")]}))
        .await;
    let mut tagged = schedule("tagged", "* * * * * *", "tick");
    tagged["tags"] = json!([{"key": "team", "value": "ops"}]);
    for body in [tagged, schedule("orphan", "* * * * * *", "nope")] {
        assert_eq!(s.post("/scheduler/schedules", body).await.status, 200);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while executions(&s, "tagged").await.len() < 2 || executions(&s, "orphan").await.is_empty() {
        assert!(std::time::Instant::now() < deadline, "nothing fired");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let found = s.get("/scheduler/schedules/tags?tag=team:ops").await.json();
    assert_eq!(found.as_array().unwrap().len(), 1, "{found:#}");
    assert_eq!(found[0]["name"], "tagged");

    // Hold this host: nothing fires until it is released.
    assert_eq!(
        s.get("/scheduler/admin/pause").await.json(),
        json!({"status": "done"})
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let held = executions(&s, "tagged").await.len();
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    assert_eq!(
        executions(&s, "tagged").await.len(),
        held,
        "fired while held"
    );
    assert_eq!(s.get("/scheduler/admin/resume").await.status, 200);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while executions(&s, "tagged").await.len() <= held {
        assert!(
            std::time::Instant::now() < deadline,
            "did not fire once released"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(s.get("/scheduler/admin/requeue").await.status, 200);

    let search = |q: &str| {
        format!(
            "/scheduler/search/executions?query={}&sort=scheduledTime:ASC",
            q.replace(' ', "%20").replace('=', "%3D")
        )
    };
    let failed = s.get(&search("state = FAILED")).await.json();
    let results = failed["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(
        results.iter().all(|e| e["scheduleName"] == "orphan"),
        "{failed:#}"
    );
    let ok = s
        .get(&search("workflowName = tick AND state IN (EXECUTED)"))
        .await
        .json();
    let times: Vec<i64> = ok["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["scheduledTime"].as_i64().unwrap())
        .collect();
    assert!(
        times.len() >= 2 && times.windows(2).all(|w| w[0] < w[1]),
        "{times:?}"
    );
    let later = s
        .get(&search(&format!(
            "scheduleName = tagged AND scheduledTime > {}",
            times[0]
        )))
        .await
        .json();
    assert_eq!(
        later["totalHits"].as_i64().unwrap() as usize,
        times.len() - 1
    );
    s.get(&search("cron = x")).await.assert_error(400);
}
