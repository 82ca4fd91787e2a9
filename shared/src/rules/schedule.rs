//! Time-of-day thresholds: different levels per schedule (business hours, nights,
//! weekends) in a named IANA time zone, read on the local wall clock so daylight-saving
//! changes move the schedule with the clock.

use jiff::civil::Weekday;
use jiff::tz::TimeZone;

use super::Threshold;
use crate::domain::Timestamp;

/// A span of local time on some weekdays, `from` inclusive to `to` exclusive, in minutes
/// after midnight. A span whose `to` is not after `from` runs past midnight.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeWindow {
    pub name: String,
    /// Monday first.
    pub days: [bool; 7],
    pub from_minute: u16,
    pub to_minute: u16,
}

impl TimeWindow {
    /// Whether local `weekday` at `minute` after midnight is inside. For a span past
    /// midnight the early-morning part belongs to the day it started on.
    pub fn contains(&self, weekday: Weekday, minute: u16) -> bool {
        let day = |w: Weekday| self.days[usize::from(w.to_monday_zero_offset() as u8)];
        if self.from_minute < self.to_minute {
            day(weekday) && (self.from_minute..self.to_minute).contains(&minute)
        } else if minute >= self.from_minute {
            day(weekday)
        } else {
            minute < self.to_minute && day(weekday.wrapping_sub(1))
        }
    }

    /// Whether the instant `at`, read in `tz`, is inside.
    pub fn contains_instant(&self, at: Timestamp, tz: &TimeZone) -> bool {
        local(at, tz).is_some_and(|(weekday, minute)| self.contains(weekday, minute))
    }
}

/// The local weekday and minute after midnight of `at` in `tz`.
pub fn local(at: Timestamp, tz: &TimeZone) -> Option<(Weekday, u16)> {
    let ts = jiff::Timestamp::from_millisecond(at.millis()).ok()?;
    let dt = tz.to_datetime(ts);
    let minute = u16::try_from(i32::from(dt.hour()) * 60 + i32::from(dt.minute())).ok()?;
    Some((dt.weekday(), minute))
}

/// Thresholds that depend on the local time: the first window containing the instant
/// wins, `otherwise` applies outside them all.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledThreshold {
    pub windows: Vec<(TimeWindow, Threshold)>,
    pub otherwise: Threshold,
}

impl ScheduledThreshold {
    /// The thresholds in force at `at`, and the name of the schedule they come from.
    pub fn at(&self, at: Timestamp, tz: &TimeZone) -> (&Threshold, &str) {
        let found = local(at, tz).and_then(|(weekday, minute)| {
            self.windows
                .iter()
                .find(|(w, _)| w.contains(weekday, minute))
        });
        match found {
            Some((w, t)) => (t, w.name.as_str()),
            None => (&self.otherwise, "other times"),
        }
    }
}
