//! WAIT (reference §4.1): `duration` (Conductor's grammar: `10s`, `2 days 3 hours`,
//! `1d2h3m4s`), `until` (`yyyy-MM-dd HH:mm`, optionally with a zone, or `yyyy-MM-dd`; the
//! Python SDK's `wait_until` key too), or no input: wait for a signal. The plugin only
//! computes the deadline; the host keeps the durable timer.

// The plugin type is only used by the component's export (see the bottom of this file).
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use fermata_plugin::{
    Capability, Guest, Outcome, PluginInfo, TaskContext, failed_terminal, json, text,
};
use regex::Regex;
use std::sync::OnceLock;

struct Wait;

impl Guest for Wait {
    fn describe() -> PluginInfo {
        PluginInfo {
            task_type: "WAIT".into(),
            description: "Wait for a duration, until a time, or for a signal".into(),
            capabilities: Vec::<Capability>::new(),
        }
    }

    fn execute(ctx: TaskContext, input: String) -> Outcome {
        let input = fermata_plugin::input(&input);
        let duration = text(&input, "duration");
        let until = text(&input, "until").or_else(|| text(&input, "wait_until"));
        match plan(duration, until, ctx.now_ms as i64) {
            Ok(Some(at)) => Outcome::WaitUntil((at.max(0) as u64, json!({}).to_string())),
            Ok(None) => Outcome::WaitForSignal(json!({}).to_string()),
            Err(reason) => failed_terminal(reason, json!({})),
        }
    }
}

// Exported only in the component: natively (unit tests) the export symbols cannot link.
#[cfg(target_arch = "wasm32")]
fermata_plugin::export_plugin!(Wait);

/// The end of year 9999 in epoch ms: the latest time fermata accepts anywhere.
const LATEST_MS: i64 = 253_402_300_799_999;

/// When the wait ends (epoch ms), `None` for a signal wait, or Conductor's reason why the
/// input is unusable.
pub fn plan(
    duration: Option<&str>,
    until: Option<&str>,
    now_ms: i64,
) -> Result<Option<i64>, String> {
    match (duration, until) {
        (Some(_), Some(_)) => {
            Err("Both 'duration' and 'until' specified. Please provide only one input".into())
        }
        (Some(d), None) => {
            // A wait that would end after the year 9999 is as unusable as one that does not
            // parse (and its end must not wrap around into the past).
            parse_duration(d)
                .and_then(|seconds| seconds.checked_mul(1000))
                .and_then(|ms| now_ms.checked_add(ms))
                .filter(|at| *at <= LATEST_MS)
                .map(Some)
                .ok_or_else(|| format!("Not valid duration: {d}"))
        }
        (None, Some(u)) => parse_until(u)
            .map(Some)
            .ok_or_else(|| format!("Invalid/Unsupported Wait Until format.  Provided: {u}")),
        (None, None) => Ok(None),
    }
}

/// Seconds in a Conductor duration: days, hours, minutes, seconds, each optional, in that
/// order, case-insensitive.
pub fn parse_duration(s: &str) -> Option<i64> {
    static GRAMMAR: OnceLock<Regex> = OnceLock::new();
    let re = GRAMMAR.get_or_init(|| {
        Regex::new(
            r"(?i)^\s*(?:(\d+)\s*(?:days?|d))?\s*(?:(\d+)\s*(?:hours?|hrs?|h))?\s*(?:(\d+)\s*(?:minutes?|mins?|m))?\s*(?:(\d+)\s*(?:seconds?|secs?|s))?\s*$",
        )
        .expect("duration grammar")
    });
    let caps = re.captures(s)?;
    let part = |i: usize, unit: i64| -> Option<i64> {
        caps.get(i).map_or(Some(0), |m| {
            m.as_str().parse::<i64>().ok()?.checked_mul(unit)
        })
    };
    let total = [part(1, 86_400)?, part(2, 3_600)?, part(3, 60)?, part(4, 1)?]
        .into_iter()
        .try_fold(0i64, i64::checked_add)?;
    // A duration of only blanks matches the grammar but names no time at all.
    (caps.iter().skip(1).any(|c| c.is_some())).then_some(total)
}

/// Epoch ms of `yyyy-MM-dd HH:mm [zone]` or `yyyy-MM-dd`; no zone means UTC (the zone of a
/// server in a container, which is what Conductor uses).
pub fn parse_until(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M") {
        return Some(Utc.from_utc_datetime(&t).timestamp_millis());
    }
    if let Some((local, zone)) = split_zone(s)
        && let Ok(t) = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M")
    {
        let offset = zone_offset(zone)?;
        return Some(offset.from_local_datetime(&t).single()?.timestamp_millis());
    }
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(
        Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN))
            .timestamp_millis(),
    )
}

/// `yyyy-MM-dd HH:mm` followed by a space and a zone.
fn split_zone(s: &str) -> Option<(&str, &str)> {
    let (local, zone) = s.split_at_checked(16)?;
    let zone = zone.strip_prefix(' ')?.trim();
    (!zone.is_empty()).then_some((local, zone))
}

/// Java's "general time zone" as `SimpleDateFormat` parses it: `GMT+04:00`, `UTC`, `PST`,
/// RFC 822 offsets like `-0800`, and the common abbreviations (standard or daylight time,
/// whichever the abbreviation names).
fn zone_offset(zone: &str) -> Option<FixedOffset> {
    let upper = zone.to_ascii_uppercase();
    for prefix in ["GMT", "UTC", "UT"] {
        if let Some(rest) = upper.strip_prefix(prefix) {
            return if rest.is_empty() {
                FixedOffset::east_opt(0)
            } else {
                signed_offset(rest)
            };
        }
    }
    if upper.starts_with('+') || upper.starts_with('-') {
        return signed_offset(&upper);
    }
    let minutes = match upper.as_str() {
        "Z" => 0,
        "WET" => 0,
        "WEST" | "BST" | "CET" | "MET" => 60,
        "CEST" | "MEST" | "EET" | "SAST" => 120,
        "EEST" | "MSK" => 180,
        "IST" => 330,
        "SGT" | "HKT" | "AWST" | "CST8" => 480,
        "JST" | "KST" => 540,
        "ACST" => 570,
        "AEST" => 600,
        "AEDT" => 660,
        "NZST" => 720,
        "NZDT" => 780,
        "HST" => -600,
        "AKST" => -540,
        "AKDT" | "PST" => -480,
        "PDT" | "MST" => -420,
        "MDT" | "CST" => -360,
        "CDT" | "EST" => -300,
        "EDT" | "AST" => -240,
        _ => return None,
    };
    FixedOffset::east_opt(minutes * 60)
}

/// `+4`, `+04`, `+0400`, `+04:00`, `-8`, ...
fn signed_offset(s: &str) -> Option<FixedOffset> {
    let (sign, digits) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = match digits.split_once(':') {
        Some((h, m)) => (h, m),
        None if digits.len() > 2 => digits.split_at(digits.len() - 2),
        None => (digits, "0"),
    };
    if h.is_empty()
        || h.len() > 2
        || m.len() > 2
        || !h.chars().chain(m.chars()).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 23 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_conductors_grammar() {
        for (text, secs) in [
            ("10s", 10),
            ("30 seconds", 30),
            ("2 days 3 hours", 2 * 86_400 + 3 * 3_600),
            ("10m20s", 620),
            ("1d2h3m4s", 93_784),
            ("5 MINS", 300),
            ("1 hr", 3600),
            ("  7 secs ", 7),
        ] {
            assert_eq!(parse_duration(text), Some(secs), "{text}");
        }
        for bad in [
            "10",
            "3h2d",
            "ten seconds",
            "1w",
            "5ms",
            "",
            "   ",
            "99999999999999999999s",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn until_with_and_without_zones() {
        let utc = parse_until("2030-01-02 03:04").unwrap();
        assert_eq!(utc, 1_893_553_440_000);
        assert_eq!(parse_until("2030-01-02 03:04 UTC"), Some(utc));
        assert_eq!(parse_until("2030-01-02 03:04 GMT"), Some(utc));
        assert_eq!(
            parse_until("2030-01-02 03:04 PST"),
            Some(utc + 8 * 3_600_000)
        );
        assert_eq!(
            parse_until("2030-01-02 03:04 GMT+04:00"),
            Some(utc - 4 * 3_600_000)
        );
        assert_eq!(
            parse_until("2030-01-02 03:04 -0800"),
            Some(utc + 8 * 3_600_000)
        );
        assert_eq!(
            parse_until("2030-01-02 03:04 IST"),
            Some(utc - 330 * 60_000)
        );
        assert_eq!(parse_until("2030-01-02"), Some(utc - (3 * 60 + 4) * 60_000));
        for bad in [
            "2030-01-02T03:04",
            "tomorrow",
            "2030-13-02",
            "2030-01-02 03:04 Mars/Olympus",
            "2030-01-02 03:04 GMT+25:00",
        ] {
            assert_eq!(parse_until(bad), None, "{bad}");
        }
    }

    #[test]
    fn plans() {
        assert_eq!(plan(Some("10s"), None, 1_000), Ok(Some(11_000)));
        assert_eq!(plan(None, None, 1_000), Ok(None));
        assert_eq!(
            plan(Some("1000000000000 days"), None, 1_000),
            Err("Not valid duration: 1000000000000 days".into())
        );
        assert_eq!(
            plan(Some("106751991167 days"), None, 1_000),
            Err("Not valid duration: 106751991167 days".into())
        );
        assert_eq!(
            plan(Some("1s"), Some("2030-01-01"), 0),
            Err("Both 'duration' and 'until' specified. Please provide only one input".into())
        );
        assert_eq!(
            plan(Some("soon"), None, 0),
            Err("Not valid duration: soon".into())
        );
        assert_eq!(
            plan(None, Some("nope"), 0),
            Err("Invalid/Unsupported Wait Until format.  Provided: nope".into())
        );
    }
}
