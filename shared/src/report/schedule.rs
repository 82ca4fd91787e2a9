//! When a report's schedule ran before the run at hand: EventBridge Scheduler's `cron(…)`,
//! `rate(…)` and `at(…)` expressions, read in the schedule's time zone. A report covers the
//! time since that run, so Monday's daily check of a weekday schedule covers the weekend,
//! and a weekly report across a change of daylight saving time covers 167 or 169 hours:
//! nothing falls between two reports, and nothing is in both.
//!
//! The cron grammar is Scheduler's (scheduler/latest/UserGuide/schedule-types.html):
//! `cron(minutes hours day-of-month month day-of-week year)`, with `, - * /` in every
//! field, `?` in one of the two day fields, `L` and `W` in the day of the month, `L` and
//! `#` in the day of the week (1 is Sunday), and month and day names.

use jiff::civil::Date;
use jiff::tz::{AmbiguousOffset, TimeZone};

use crate::domain::Timestamp;

/// How far back a run is looked for: a cron whose years or days have none within it has
/// none that a report could start from.
const LOOK_BACK_DAYS: u32 = 5 * 366;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("schedule {expression:?}: {message}")]
pub struct ScheduleError {
    expression: String,
    message: String,
}

/// A schedule expression as EventBridge Scheduler reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    Cron(Box<Cron>),
    /// `rate(5 minutes)`: every so many seconds.
    Rate(u64),
    /// `at(2026-12-24T09:00:00)`: once, with no run before it.
    Once,
}

/// The schedule `expression`'s last run strictly before `before`, in the IANA time zone
/// `zone`: `None` for a one-time schedule, or a cron with no run in the five years before.
pub fn previous_run(
    expression: &str,
    zone: &str,
    before: Timestamp,
) -> Result<Option<Timestamp>, ScheduleError> {
    let schedule = Schedule::parse(expression)?;
    let tz = crate::domain::time_zone(zone).ok_or_else(|| ScheduleError {
        expression: expression.to_owned(),
        message: format!("unknown time zone {zone:?}: expected an IANA name such as Europe/Berlin"),
    })?;
    Ok(schedule.previous(before, &tz))
}

impl Schedule {
    pub fn parse(expression: &str) -> Result<Self, ScheduleError> {
        let error = |message: String| ScheduleError {
            expression: expression.chars().take(120).collect(),
            message,
        };
        let text = expression.trim();
        let inner = |prefix: &str| {
            text.strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(')'))
                .map(str::trim)
        };
        if let Some(fields) = inner("cron(") {
            Cron::parse(fields)
                .map(|c| Schedule::Cron(Box::new(c)))
                .map_err(error)
        } else if let Some(rate) = inner("rate(") {
            parse_rate(rate).map(Schedule::Rate).map_err(error)
        } else if inner("at(").is_some() {
            Ok(Schedule::Once)
        } else {
            Err(error(
                "expected cron(minutes hours day-of-month month day-of-week year), rate(N unit) or at(time)"
                    .to_owned(),
            ))
        }
    }

    /// The last run strictly before `before`, reading a cron's fields in `zone`.
    pub fn previous(&self, before: Timestamp, zone: &TimeZone) -> Option<Timestamp> {
        match self {
            Schedule::Cron(cron) => cron.previous(before, zone),
            Schedule::Rate(secs) => Some(before.minus_secs(*secs)),
            Schedule::Once => None,
        }
    }
}

/// `5 minutes`, `1 hour`, `7 days`, in seconds.
fn parse_rate(text: &str) -> Result<u64, String> {
    let expected =
        "expected rate(N minute|minutes|hour|hours|day|days) with N a positive whole number";
    let (value, unit) = text.split_once(' ').ok_or_else(|| expected.to_owned())?;
    let value: u64 = value
        .trim()
        .parse()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| expected.to_owned())?;
    let unit_secs = match unit.trim() {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        "day" | "days" => 86_400,
        _ => return Err(expected.to_owned()),
    };
    value
        .checked_mul(unit_secs)
        .ok_or_else(|| expected.to_owned())
}

/// Which values of one field match.
#[derive(Debug, Clone, PartialEq)]
struct Values {
    min: u32,
    matches: Vec<bool>,
}

impl Values {
    fn contains(&self, value: u32) -> bool {
        value
            .checked_sub(self.min)
            .and_then(|i| self.matches.get(i as usize))
            .copied()
            .unwrap_or(false)
    }

    /// `*`, or a list of `a`, `a-b`, `*/s`, `a/s` and `a-b/s`; a value is a number or one
    /// of `names` (the first standing for `min`).
    fn parse(
        text: &str,
        field: &str,
        (min, max): (u32, u32),
        names: &[&str],
    ) -> Result<Self, String> {
        let mut matches = vec![false; (max - min + 1) as usize];
        let value = |v: &str| -> Result<u32, String> {
            let found = names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(v))
                .map(|i| min + i as u32)
                .or_else(|| v.parse().ok());
            found.filter(|n| (min..=max).contains(n)).ok_or_else(|| {
                let names = if names.is_empty() {
                    String::new()
                } else {
                    format!(" or {}-{}", names[0], names[names.len() - 1])
                };
                format!("{field} {v:?}: expected {min} to {max}{names}")
            })
        };
        for part in text.split(',') {
            let (range, step) = match part.split_once('/') {
                Some((range, step)) => {
                    let step: u32 = step.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                        format!("{field} step {step:?}: expected a positive whole number")
                    })?;
                    (range, step)
                }
                None => (part, 1),
            };
            let (from, to) = match range {
                "*" => (min, max),
                _ => match range.split_once('-') {
                    Some((a, b)) => (value(a)?, value(b)?),
                    // `a/s` runs from a to the field's end.
                    None if part.contains('/') => (value(range)?, max),
                    None => {
                        let v = value(range)?;
                        (v, v)
                    }
                },
            };
            if from > to {
                return Err(format!(
                    "{field} {range:?}: expected the start of a range before its end"
                ));
            }
            for v in (from..=to).step_by(step as usize) {
                matches[(v - min) as usize] = true;
            }
        }
        Ok(Self { min, matches })
    }
}

/// The day-of-month field.
#[derive(Debug, Clone, PartialEq)]
enum MonthDays {
    Any,
    Values(Values),
    /// `L`: the month's last day.
    Last,
    /// `LW`: the month's last weekday.
    LastWeekday,
    /// `15W`: the weekday nearest the 15th, within the month.
    NearestWeekday(u32),
}

/// The day-of-week field (1 is Sunday, 7 Saturday).
#[derive(Debug, Clone, PartialEq)]
enum WeekDays {
    Any,
    Values(Values),
    /// `6L`: the month's last Friday.
    Last(u32),
    /// `3#2`: the month's second Tuesday.
    Nth(u32, u32),
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// A parsed `cron(…)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cron {
    minutes: Values,
    hours: Values,
    month_days: MonthDays,
    months: Values,
    week_days: WeekDays,
    years: Values,
}

impl Cron {
    fn parse(fields: &str) -> Result<Self, String> {
        let f: Vec<&str> = fields.split_whitespace().collect();
        let [minutes, hours, month_days, months, week_days, years] = f[..] else {
            return Err(format!(
                "{} fields: expected six (minutes hours day-of-month month day-of-week year)",
                f.len()
            ));
        };
        if (month_days == "?") == (week_days == "?") {
            return Err(
                "expected ? in exactly one of day-of-month and day-of-week (a value or * in the other)"
                    .to_owned(),
            );
        }
        Ok(Self {
            minutes: Values::parse(minutes, "minutes", (0, 59), &[])?,
            hours: Values::parse(hours, "hours", (0, 23), &[])?,
            month_days: parse_month_days(month_days)?,
            months: Values::parse(months, "month", (1, 12), &MONTHS)?,
            week_days: parse_week_days(week_days)?,
            years: Values::parse(years, "year", (1970, 2199), &[])?,
        })
    }

    fn on(&self, date: Date) -> bool {
        let (day, last) = (date.day() as u32, date.days_in_month() as u32);
        let weekday = date.weekday().to_sunday_one_offset() as u32;
        let is_weekday = (2..=6).contains(&weekday);
        let month_day = match &self.month_days {
            MonthDays::Any => true,
            MonthDays::Values(v) => v.contains(day),
            MonthDays::Last => day == last,
            MonthDays::LastWeekday => {
                is_weekday
                    && (day + 1..=last)
                        .all(|d| !weekday_of(date, d).is_some_and(|w| (2..=6).contains(&w)))
            }
            MonthDays::NearestWeekday(n) => day == nearest_weekday(date, *n),
        };
        let week_day = match &self.week_days {
            WeekDays::Any => true,
            WeekDays::Values(v) => v.contains(weekday),
            WeekDays::Last(w) => weekday == *w && day + 7 > last,
            WeekDays::Nth(w, n) => weekday == *w && (day - 1) / 7 + 1 == *n,
        };
        month_day
            && week_day
            && self.months.contains(date.month() as u32)
            && u32::try_from(date.year()).is_ok_and(|y| self.years.contains(y))
    }

    fn previous(&self, before: Timestamp, zone: &TimeZone) -> Option<Timestamp> {
        let at = jiff::Timestamp::from_millisecond(before.millis()).ok()?;
        let mut date = at.to_zoned(zone.clone()).date();
        for _ in 0..LOOK_BACK_DAYS {
            if self.on(date) {
                for hour in (0..24u32).rev().filter(|h| self.hours.contains(*h)) {
                    for minute in (0..60u32).rev().filter(|m| self.minutes.contains(*m)) {
                        // Scheduler skips a time the clock skips (spring forward), and
                        // runs a repeated one once (taken as its first occurrence).
                        let local = date.at(hour as i8, minute as i8, 0, 0);
                        let ambiguous = zone.to_ambiguous_zoned(local);
                        if matches!(ambiguous.offset(), AmbiguousOffset::Gap { .. }) {
                            continue;
                        }
                        let Ok(zoned) = ambiguous.earlier() else {
                            continue;
                        };
                        let ran = Timestamp::from_millis(zoned.timestamp().as_millisecond());
                        if ran < before {
                            return Some(ran);
                        }
                    }
                }
            }
            date = date.yesterday().ok()?;
        }
        None
    }
}

/// The day of the week (1 Sunday, 7 Saturday) of day `day` of `date`'s month.
fn weekday_of(date: Date, day: u32) -> Option<u32> {
    let day = i8::try_from(day).ok()?;
    let d = Date::new(date.year(), date.month(), day).ok()?;
    Some(d.weekday().to_sunday_one_offset() as u32)
}

/// The day of `date`'s month that `nW` stands for: the weekday nearest day `n` (clamped to
/// the month), never in another month.
fn nearest_weekday(date: Date, n: u32) -> u32 {
    let last = date.days_in_month() as u32;
    let n = n.min(last);
    match weekday_of(date, n) {
        // A Saturday: the Friday before, or Monday the 3rd for the 1st.
        Some(7) if n == 1 => 3,
        Some(7) => n - 1,
        // A Sunday: the Monday after, or the Friday before for the month's last day.
        Some(1) if n == last => n - 2,
        Some(1) => n + 1,
        _ => n,
    }
}

fn parse_month_days(text: &str) -> Result<MonthDays, String> {
    Ok(match text {
        "?" | "*" => MonthDays::Any,
        "L" | "l" => MonthDays::Last,
        "LW" | "lw" => MonthDays::LastWeekday,
        _ => match text.strip_suffix(['W', 'w']) {
            Some(n) => MonthDays::NearestWeekday(
                n.parse()
                    .ok()
                    .filter(|n| (1..=31).contains(n))
                    .ok_or_else(|| {
                        format!("day-of-month {text:?}: expected nW with n from 1 to 31")
                    })?,
            ),
            None => MonthDays::Values(Values::parse(text, "day-of-month", (1, 31), &[])?),
        },
    })
}

fn parse_week_days(text: &str) -> Result<WeekDays, String> {
    let day = |v: &str| Values::parse(v, "day-of-week", (1, 7), &DAYS).map(|d| d.matches);
    let one = |v: &str| -> Result<u32, String> {
        let matches = day(v)?;
        match matches.iter().filter(|m| **m).count() {
            1 => Ok(matches.iter().position(|m| *m).map_or(1, |i| i as u32 + 1)),
            _ => Err(format!(
                "day-of-week {text:?}: expected one day before L or #"
            )),
        }
    };
    Ok(match text {
        "?" | "*" => WeekDays::Any,
        // `L` alone is the week's last day, Saturday.
        "L" | "l" => WeekDays::Values(Values::parse("7", "day-of-week", (1, 7), &DAYS)?),
        _ => {
            if let Some((d, n)) = text.split_once('#') {
                let n = n
                    .parse()
                    .ok()
                    .filter(|n| (1..=5).contains(n))
                    .ok_or_else(|| {
                        format!("day-of-week {text:?}: expected d#n with n from 1 to 5")
                    })?;
                WeekDays::Nth(one(d)?, n)
            } else if let Some(d) = text.strip_suffix(['L', 'l']) {
                WeekDays::Last(one(d)?)
            } else {
                WeekDays::Values(Values::parse(text, "day-of-week", (1, 7), &DAYS)?)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn previous(expression: &str, zone: &str, before: &str) -> Option<String> {
        previous_run(expression, zone, at(before))
            .unwrap()
            .map(|t| t.to_string())
    }

    #[test]
    fn monday_s_weekday_check_starts_at_friday_s() {
        // The template's default: 09:00 Berlin, Monday to Friday (CET, UTC+1).
        let daily = "cron(0 9 ? * MON-FRI *)";
        assert_eq!(
            previous(daily, "Europe/Berlin", "2026-11-30T08:00:00Z").as_deref(),
            Some("2026-11-27T08:00:00Z")
        );
        assert_eq!(
            previous(daily, "Europe/Berlin", "2026-12-01T08:00:00Z").as_deref(),
            Some("2026-11-30T08:00:00Z")
        );
    }

    #[test]
    fn a_weekly_report_across_a_daylight_saving_change_covers_the_local_week() {
        // 08:00 New York every Monday: 12:00Z in summer time, 13:00Z in winter.
        let weekly = "cron(0 8 ? * MON *)";
        let zone = "America/New_York";
        // Clocks went forward on 8 March 2026: 167 hours.
        assert_eq!(
            previous(weekly, zone, "2026-03-09T12:00:00Z").as_deref(),
            Some("2026-03-02T13:00:00Z")
        );
        // And back on 1 November 2026: 169 hours.
        assert_eq!(
            previous(weekly, zone, "2026-11-02T13:00:00Z").as_deref(),
            Some("2026-10-26T12:00:00Z")
        );
    }

    #[test]
    fn rates_step_back_and_one_time_schedules_have_no_run_before() {
        assert_eq!(
            previous("rate(1 day)", "UTC", "2026-12-02T09:00:00Z").as_deref(),
            Some("2026-12-01T09:00:00Z")
        );
        assert_eq!(
            previous("rate(90 minutes)", "UTC", "2026-12-02T09:00:00Z").as_deref(),
            Some("2026-12-02T07:30:00Z")
        );
        assert_eq!(
            previous("at(2026-12-24T09:00:00)", "UTC", "2026-12-24T09:00:00Z"),
            None
        );
    }

    #[test]
    fn lists_ranges_steps_and_names_read_as_scheduler_reads_them() {
        let zone = "UTC";
        // Every 15 minutes from 10 past, 8 to 18 o'clock on weekdays.
        let every = "cron(10/15 8-18 ? * 2-6 *)";
        assert_eq!(
            previous(every, zone, "2026-12-02T09:00:00Z").as_deref(),
            Some("2026-12-02T08:55:00Z")
        );
        // Before 08:10 on a Monday: Friday's last, 18:55.
        assert_eq!(
            previous(every, zone, "2026-11-30T08:05:00Z").as_deref(),
            Some("2026-11-27T18:55:00Z")
        );
        // The 1st and 15th of March, June, September and December, in 2026 only.
        let quarterly = "cron(0 6 1,15 MAR/3 ? 2026)";
        assert_eq!(
            previous(quarterly, zone, "2026-12-10T00:00:00Z").as_deref(),
            Some("2026-12-01T06:00:00Z")
        );
        assert_eq!(
            previous(quarterly, zone, "2026-03-01T06:00:00Z"),
            None,
            "none before the first of 2026"
        );
    }

    #[test]
    fn last_nearest_weekday_and_nth_day_forms() {
        let zone = "UTC";
        // The last day of the month.
        assert_eq!(
            previous("cron(0 0 L * ? *)", zone, "2026-03-15T00:00:00Z").as_deref(),
            Some("2026-02-28T00:00:00Z")
        );
        // The last weekday: 31 January 2026 is a Saturday, so Friday the 30th.
        assert_eq!(
            previous("cron(0 0 LW * ? *)", zone, "2026-02-15T00:00:00Z").as_deref(),
            Some("2026-01-30T00:00:00Z")
        );
        // The weekday nearest the 1st: 1 November 2026 is a Sunday, so Monday the 2nd;
        // nearest the 15th of August 2026, a Saturday: Friday the 14th.
        assert_eq!(
            previous("cron(0 0 1W * ? *)", zone, "2026-11-20T00:00:00Z").as_deref(),
            Some("2026-11-02T00:00:00Z")
        );
        assert_eq!(
            previous("cron(0 0 15W * ? *)", zone, "2026-08-20T00:00:00Z").as_deref(),
            Some("2026-08-14T00:00:00Z")
        );
        // The second Tuesday, and the last Friday.
        assert_eq!(
            previous("cron(0 0 ? * 3#2 *)", zone, "2026-12-31T00:00:00Z").as_deref(),
            Some("2026-12-08T00:00:00Z")
        );
        assert_eq!(
            previous("cron(0 0 ? * FRIL *)", zone, "2026-12-31T00:00:00Z").as_deref(),
            Some("2026-12-25T00:00:00Z")
        );
    }

    #[test]
    fn a_time_the_clock_skips_has_no_run_and_a_repeated_one_runs_first() {
        let at_2_30 = "cron(30 2 * * ? *)";
        // 02:30 Berlin does not exist on 29 March 2026 (02:00 → 03:00): Scheduler skips
        // it, so the run before the 30th's is the 28th's, 01:30Z.
        let before = previous(at_2_30, "Europe/Berlin", "2026-03-30T00:00:00Z");
        assert_eq!(before.as_deref(), Some("2026-03-28T01:30:00Z"));
        // 02:30 comes twice on 25 October 2026 (03:00 → 02:00): the first, 00:30Z.
        let before = previous(at_2_30, "Europe/Berlin", "2026-10-25T12:00:00Z");
        assert_eq!(before.as_deref(), Some("2026-10-25T00:30:00Z"));
    }

    #[test]
    fn malformed_expressions_say_what_was_expected() {
        for (bad, says) in [
            ("cron(0 9 * * *)", "expected six"),
            (
                "cron(0 9 * * MON *)",
                "exactly one of day-of-month and day-of-week",
            ),
            (
                "cron(0 9 ? * ? *)",
                "exactly one of day-of-month and day-of-week",
            ),
            ("cron(60 9 * * ? *)", "minutes \"60\": expected 0 to 59"),
            ("cron(0 9 ? * FUN *)", "expected 1 to 7 or SUN-SAT"),
            ("cron(0 18-8 * * ? *)", "start of a range before its end"),
            ("cron(0/0 9 * * ? *)", "positive whole number"),
            ("cron(0 9 ? * MON#6 *)", "n from 1 to 5"),
            ("rate(0 days)", "positive whole number"),
            ("rate(2 weeks)", "expected rate("),
            ("every day", "expected cron("),
        ] {
            let err = Schedule::parse(bad).unwrap_err().to_string();
            assert!(err.contains(says), "{bad}: {err}");
        }
        let err = previous_run("rate(1 day)", "Mars/Olympus", at("2026-12-02T09:00:00Z"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown time zone"), "{err}");
    }
}
