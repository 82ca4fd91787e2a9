//! What a schedule asks for: `{"report": "daily"|"weekly", "audience": "ml-team"}`, and
//! optionally the `time` it stands for (else now) and the `schedule` and `timezone` it
//! runs on, so the report covers the time since the schedule's run before; and, by hand,
//! `"again": true` to post a report that was posted already (after deleting it).

use jiff::tz::TimeZone;
use modelwatch::domain::Timestamp;
use modelwatch::report::{self, DAY_SECS, Period, ReportKind};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct ReportRequest {
    pub report: ReportKind,
    pub audience: String,
    pub time: Option<Timestamp>,
    /// The schedule that asked: its expression and time zone.
    pub schedule: Option<ScheduleRef>,
    /// Post it even though a delivery of it posted it already (an operator's re-run; a
    /// delivery of the schedule leaves a posted report alone).
    pub again: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleRef {
    pub expression: String,
    pub time_zone: String,
}

/// The longest a report reaches back to its schedule's run before: a daily check after a
/// long weekend or a holiday week, a weekly report on a schedule of every other week.
const LONGEST_DAILY_DAYS: u64 = 7;
const LONGEST_WEEKLY_DAYS: u64 = 31;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("unknown report {received:?}: expected \"daily\" or \"weekly\"")]
    UnknownReport { received: String },
    #[error(
        "the event has no `report`: expected {{\"report\": \"daily\"|\"weekly\", \"audience\": \"...\"}}"
    )]
    NoReport,
    #[error(
        "the event names a `timezone` but no `schedule`: expected both (the schedule's expression and its time zone) or neither"
    )]
    ZoneWithoutSchedule,
    #[error("`again` is {received}: expected true or false")]
    BadAgain { received: String },
    #[error("`time` {received:?} is not a time: expected RFC 3339 or epoch seconds")]
    BadTime { received: String },
    #[error(
        "unknown audience {received:?}: expected one of the configuration's reports.audiences ({expected})"
    )]
    UnknownAudience { received: String, expected: String },
}

impl ReportRequest {
    pub fn from_event(event: &Value) -> Result<Self, RequestError> {
        let report = match event.get("report").and_then(Value::as_str) {
            Some("daily") => ReportKind::Daily,
            Some("weekly") => ReportKind::Weekly,
            Some(other) => {
                return Err(RequestError::UnknownReport {
                    received: other.chars().take(40).collect(),
                });
            }
            None => return Err(RequestError::NoReport),
        };
        let time = match event.get("time").and_then(Value::as_str) {
            Some(t) => Some(Timestamp::parse(t).ok_or_else(|| RequestError::BadTime {
                received: t.chars().take(40).collect(),
            })?),
            None => None,
        };
        let text = |key: &str| {
            event
                .get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|t| !t.is_empty())
        };
        let schedule = match (text("schedule"), text("timezone")) {
            (Some(expression), zone) => Some(ScheduleRef {
                expression: expression.to_owned(),
                time_zone: zone.unwrap_or("UTC").to_owned(),
            }),
            (None, Some(_)) => return Err(RequestError::ZoneWithoutSchedule),
            (None, None) => None,
        };
        let again = match event.get("again") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(again)) => *again,
            Some(other) => {
                return Err(RequestError::BadAgain {
                    received: other.to_string().chars().take(40).collect(),
                });
            }
        };
        Ok(Self {
            report,
            audience: event
                .get("audience")
                .and_then(Value::as_str)
                .unwrap_or("everyone")
                .to_owned(),
            time,
            schedule,
            again,
        })
    }

    /// The time zone the report's titles read in: its schedule's, else (no schedule, or a
    /// zone this version does not know, which `period` logs) UTC.
    pub fn time_zone(&self) -> TimeZone {
        self.schedule
            .as_ref()
            .and_then(|s| modelwatch::domain::time_zone(&s.time_zone))
            .unwrap_or(TimeZone::UTC)
    }

    /// What the report made at `at` covers: from its schedule's run before this one to
    /// `at` (Monday's check of a weekday schedule covers the weekend; a week across a
    /// change of daylight saving time 167 or 169 hours), at most a week for a daily check
    /// and a month for a weekly report; without a schedule, or one with no run before
    /// (`at(…)`), the 24 hours or 7 days before `at`. A schedule this version cannot read
    /// is logged and the fixed length used: the report still goes.
    pub fn period(&self, at: Timestamp) -> Period {
        let (fixed, longest) = match self.report {
            ReportKind::Daily => (Period::day_ending(at), LONGEST_DAILY_DAYS),
            ReportKind::Weekly => (Period::week_ending(at), LONGEST_WEEKLY_DAYS),
        };
        let Some(schedule) = &self.schedule else {
            return fixed;
        };
        match report::previous_run(&schedule.expression, &schedule.time_zone, at) {
            Ok(Some(before)) => {
                let earliest = at.minus_secs(longest * DAY_SECS);
                Period::new(before.max(earliest), at).unwrap_or(fixed)
            }
            Ok(None) => fixed,
            Err(e) => {
                tracing::error!(error = %e, report = self.report.name(), "the schedule cannot be read: the report covers its fixed length");
                fixed
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schedules_events_are_read_and_mistakes_named() {
        let r = ReportRequest::from_event(&json!({"report": "weekly", "audience": "executives"}))
            .unwrap();
        assert_eq!(r.report, ReportKind::Weekly);
        assert_eq!(r.audience, "executives");
        let err = ReportRequest::from_event(&json!({"report": "monthly"})).unwrap_err();
        assert!(err.to_string().contains("\"monthly\""));
        assert_eq!(
            ReportRequest::from_event(&json!({})).unwrap_err(),
            RequestError::NoReport
        );
        assert!(ReportRequest::from_event(&json!({"report": "daily", "time": "soon"})).is_err());
        assert_eq!(
            ReportRequest::from_event(&json!({"report": "daily", "timezone": "UTC"})).unwrap_err(),
            RequestError::ZoneWithoutSchedule
        );
        let again = |v: Value| ReportRequest::from_event(&json!({"report": "daily", "again": v}));
        assert!(again(json!(true)).unwrap().again);
        assert!(!again(json!(false)).unwrap().again);
        assert!(!again(Value::Null).unwrap().again);
        let err = again(json!("yes")).unwrap_err().to_string();
        assert!(
            err.contains("\"yes\"") && err.contains("expected true or false"),
            "{err}"
        );
    }

    fn scheduled(report: &str, schedule: &str, zone: &str) -> ReportRequest {
        ReportRequest::from_event(
            &json!({"report": report, "schedule": schedule, "timezone": zone, "time": "2026-11-30T08:00:00Z"}),
        )
        .unwrap()
    }

    fn t(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn a_report_covers_the_time_since_its_schedules_run_before() {
        let at = t("2026-11-30T08:00:00Z");
        // Monday 09:00 Berlin of a weekday schedule: since Friday's check.
        let monday = scheduled("daily", "cron(0 9 ? * MON-FRI *)", "Europe/Berlin");
        let period = monday.period(at);
        assert_eq!(period.start(), t("2026-11-27T08:00:00Z"));
        assert_eq!(period.end(), at);
        // A weekly report after the clocks went back: 169 hours.
        let weekly = scheduled("weekly", "cron(0 8 ? * MON *)", "America/New_York");
        let at = t("2026-11-02T13:00:00Z");
        assert_eq!(weekly.period(at).secs(), 169 * 3600);
        // At most a week for a daily check: a schedule of the 1st of each month.
        let monthly = scheduled("daily", "cron(0 9 1 * ? *)", "UTC");
        assert_eq!(
            monthly.period(t("2026-11-20T09:00:00Z")).secs(),
            7 * DAY_SECS
        );
    }

    #[test]
    fn the_templates_default_schedules_are_read() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../infra/template.yaml");
        let template = std::fs::read_to_string(path).unwrap();
        for parameter in ["DailyReportSchedule:", "WeeklyReportSchedule:"] {
            let after = &template[template.find(parameter).unwrap()..];
            let line = after
                .lines()
                .find(|l| l.trim().starts_with("Default:"))
                .unwrap();
            let expression = line.trim()["Default:".len()..].trim().trim_matches('"');
            report::Schedule::parse(expression).unwrap_or_else(|e| panic!("{parameter} {e}"));
        }
    }

    #[test]
    fn without_a_schedule_one_it_cannot_read_or_one_run_before_the_fixed_length() {
        let at = t("2026-11-30T08:00:00Z");
        let plain = ReportRequest::from_event(&json!({"report": "daily"})).unwrap();
        assert_eq!(plain.period(at), Period::day_ending(at));
        let unread = scheduled("weekly", "cron(0 8 ? * MON)", "America/New_York");
        assert_eq!(unread.period(at), Period::week_ending(at));
        let zone = scheduled("daily", "cron(0 9 ? * MON-FRI *)", "Mars/Olympus");
        assert_eq!(zone.period(at), Period::day_ending(at));
        let once = scheduled("daily", "at(2026-11-30T09:00:00)", "Europe/Berlin");
        assert_eq!(once.period(at), Period::day_ending(at));
    }
}
