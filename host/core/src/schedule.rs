//! Schedules (reference conductor-signals-extra §3): Conductor's `WorkflowSchedule`, Spring's
//! six-field cron (seconds first) in an IANA zone, and when a schedule runs next. The cron
//! parser is `croner`; zones come from `chrono-tz`.

use crate::model::{Json, StartWorkflowRequest};
use chrono::{DateTime, TimeZone, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use serde::{Deserialize, Serialize};

/// One cron entry of a schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CronSchedule {
    pub cron_expression: String,
    #[serde(default = "utc")]
    pub zone_id: String,
}

fn utc() -> String {
    "UTC".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowSchedule {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron_expression: Option<String>,
    #[serde(default = "utc")]
    pub zone_id: String,
    #[serde(default)]
    pub cron_schedules: Vec<CronSchedule>,
    #[serde(default)]
    pub run_catchup_schedule_instances: bool,
    #[serde(default)]
    pub paused: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_start_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_end_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_workflow_request: Option<StartWorkflowRequest>,
    #[serde(default)]
    pub create_time: i64,
    #[serde(default)]
    pub updated_time: i64,
    #[serde(default)]
    pub created_by: String,
    #[serde(default)]
    pub updated_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_run_time: Option<i64>,
    #[serde(flatten)]
    pub extra: Json,
}

/// One firing of a schedule, Conductor's `WorkflowScheduleExecutionModel`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleExecution {
    pub execution_id: String,
    pub schedule_name: String,
    pub scheduled_time: i64,
    pub execution_time: i64,
    pub workflow_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub start_workflow_request: StartWorkflowRequest,
    /// EXECUTED or FAILED.
    pub state: String,
    pub zone_id: String,
}

/// Spring's cron: seconds, minutes, hours, day of month, month, day of week (`?` allowed,
/// `0/5` steps, names, `@daily`-style macros). Five-field Unix cron is refused, as Spring
/// refuses it.
pub fn parse_cron(expression: &str) -> Result<Cron, String> {
    let fields = expression.split_whitespace().count();
    if !expression.trim_start().starts_with('@') && fields != 6 {
        return Err(format!(
            "Invalid cron expression '{expression}': six fields are needed (second minute hour day-of-month month day-of-week), found {fields}"
        ));
    }
    CronParser::builder()
        .seconds(Seconds::Required)
        .year(Year::Disallowed)
        .sloppy_ranges(true)
        .build()
        .parse(expression)
        .map_err(|e| format!("Invalid cron expression '{expression}': {e}"))
}

fn zone(id: &str) -> Result<chrono_tz::Tz, String> {
    id.parse()
        .map_err(|_| format!("Invalid zoneId '{id}': not an IANA time zone"))
}

/// The cron entries a schedule fires by: `cronSchedules`, else its own expression and zone.
pub fn entries(schedule: &WorkflowSchedule) -> Vec<CronSchedule> {
    if !schedule.cron_schedules.is_empty() {
        return schedule.cron_schedules.clone();
    }
    schedule
        .cron_expression
        .iter()
        .map(|c| CronSchedule {
            cron_expression: c.clone(),
            zone_id: schedule.zone_id.clone(),
        })
        .collect()
}

/// What a saved schedule must satisfy: a name, a workflow to start, cron entries that parse.
pub fn check(schedule: &WorkflowSchedule) -> Result<(), String> {
    if schedule.name.trim().is_empty() {
        return Err("Schedule name cannot be empty".into());
    }
    let request = schedule
        .start_workflow_request
        .as_ref()
        .ok_or("startWorkflowRequest is required")?;
    if request.name.as_deref().is_none_or(|n| n.trim().is_empty()) && request.workflow_def.is_none()
    {
        return Err("startWorkflowRequest.name is required".into());
    }
    let entries = entries(schedule);
    if entries.is_empty() {
        return Err("Invalid cron expression: cronExpression is required".into());
    }
    for e in &entries {
        parse_cron(&e.cron_expression)?;
        zone(&e.zone_id)?;
    }
    Ok(())
}

/// The first time after `after_ms` (epoch ms) an entry matches, if any.
pub fn next_of(entry: &CronSchedule, after_ms: i64) -> Result<Option<i64>, String> {
    let cron = parse_cron(&entry.cron_expression)?;
    let tz = zone(&entry.zone_id)?;
    let Some(after) = DateTime::<Utc>::from_timestamp_millis(after_ms) else {
        return Ok(None);
    };
    let local = tz.from_utc_datetime(&after.naive_utc());
    Ok(cron
        .find_next_occurrence(&local, false)
        .ok()
        .map(|t| t.timestamp_millis()))
}

/// When the schedule runs next, after its slot `last` (epoch ms; `None`: it has not run)
/// at `now`: the earliest entry's next time within the start and end bounds. With catch-up,
/// missed slots follow `last` one after another; without, the next slot after now.
pub fn next_run(schedule: &WorkflowSchedule, last: Option<i64>, now: i64) -> Option<i64> {
    let from = match (last, schedule.run_catchup_schedule_instances) {
        (Some(last), true) => last,
        (Some(last), false) => last.max(now),
        (None, _) => now,
    };
    let from = match schedule.schedule_start_time {
        Some(start) if start > from => start - 1,
        _ => from,
    };
    let next = entries(schedule)
        .iter()
        .filter_map(|e| next_of(e, from).ok().flatten())
        .min()?;
    match schedule.schedule_end_time {
        Some(end) if end > 0 && next > end => None,
        _ => Some(next),
    }
}

/// Up to `limit` (at most 5, as Conductor) next times of an expression after `start`.
pub fn next_few(
    expression: &str,
    start: i64,
    end: Option<i64>,
    limit: usize,
) -> Result<Vec<i64>, String> {
    let entry = CronSchedule {
        cron_expression: expression.to_string(),
        zone_id: utc(),
    };
    let mut out = Vec::new();
    let mut at = start;
    while out.len() < limit.clamp(1, 5) {
        match next_of(&entry, at)? {
            Some(t) if end.is_none_or(|e| e <= 0 || t <= e) => {
                out.push(t);
                at = t;
            }
            _ => break,
        }
    }
    Ok(out)
}

/// The input Conductor adds to a scheduled start, byte for byte.
pub fn scheduled_input(
    schedule: &WorkflowSchedule,
    entry: &CronSchedule,
    slot: i64,
    now: i64,
    execution_id: &str,
) -> Json {
    let mut input = schedule
        .start_workflow_request
        .as_ref()
        .and_then(|r| r.input.clone())
        .unwrap_or_default();
    input.insert("_startedByScheduler".into(), schedule.name.clone().into());
    input.insert("_scheduledTime".into(), slot.into());
    input.insert("_executedTime".into(), now.into());
    input.insert("_executionId".into(), execution_id.into());
    input.insert(
        "_schedulerCron".into(),
        format!("{} {}", entry.cron_expression, entry.zone_id).into(),
    );
    input
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schedule(cron: &str, catchup: bool) -> WorkflowSchedule {
        serde_json::from_value(json!({"name": "s", "cronExpression": cron,
            "runCatchupScheduleInstances": catchup,
            "startWorkflowRequest": {"name": "w"}}))
        .unwrap()
    }

    #[test]
    fn spring_cron_is_six_fields_with_seconds() {
        for ok in [
            "0 */5 * ? * *",
            "0/5 * * ? * *",
            "0 0 0 1 1 *",
            "0 0 * ? * *",
            "@daily",
        ] {
            assert!(parse_cron(ok).is_ok(), "{ok}");
        }
        for bad in ["*/5 * * * *", "nonsense", "61 * * * * *"] {
            assert!(
                parse_cron(bad)
                    .unwrap_err()
                    .starts_with("Invalid cron expression"),
                "{bad}"
            );
        }
    }

    #[test]
    fn next_run_follows_catch_up_and_bounds() {
        let base = 1_700_000_000_000 - 1_700_000_000_000 % 60_000; // a whole minute
        let every_ten = schedule("*/10 * * * * *", false);
        // Without catch-up, the next slot after now (base + 35 s → base + 40 s).
        assert_eq!(
            next_run(&every_ten, Some(base + 10_000), base + 35_000),
            Some(base + 40_000)
        );
        let catchup = schedule("*/10 * * * * *", true);
        assert_eq!(
            next_run(&catchup, Some(base + 10_000), base + 35_000),
            Some(base + 20_000)
        );
        let mut bounded = every_ten.clone();
        bounded.schedule_end_time = Some(base + 15_000);
        assert_eq!(next_run(&bounded, None, base + 12_000), None);
        bounded.schedule_start_time = Some(base + 31_000);
        bounded.schedule_end_time = None;
        assert_eq!(next_run(&bounded, None, base), Some(base + 40_000));
    }

    #[test]
    fn zones_shift_the_wall_clock() {
        let mut s = schedule("0 0 9 * * *", false);
        s.zone_id = "Europe/Paris".into();
        // 2026-01-05 00:00 UTC → 09:00 Paris (UTC+1) is 08:00 UTC.
        let midnight = 1_767_571_200_000;
        assert_eq!(next_run(&s, None, midnight), Some(midnight + 8 * 3_600_000));
        s.zone_id = "Mars/Olympus".into();
        assert!(check(&s).unwrap_err().starts_with("Invalid zoneId"));
    }

    #[test]
    fn next_few_is_at_most_five() {
        let got = next_few("0 * * * * *", 0, None, 9).unwrap();
        assert_eq!(got, [60_000, 120_000, 180_000, 240_000, 300_000]);
    }
}
