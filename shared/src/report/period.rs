//! A reporting period: a half-open span of time `[start, end)`, and the one just before it.

use super::ReportError;
use crate::domain::Timestamp;

pub const DAY_SECS: u64 = 24 * 3600;
pub const WEEK_SECS: u64 = 7 * DAY_SECS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    start: Timestamp,
    end: Timestamp,
}

impl Period {
    pub fn new(start: Timestamp, end: Timestamp) -> Result<Self, ReportError> {
        if start < end {
            Ok(Self { start, end })
        } else {
            Err(ReportError::InvalidPeriod { start, end })
        }
    }

    /// The `secs` long period that ends at `end` (at least one second long).
    pub fn ending(end: Timestamp, secs: u64) -> Self {
        let secs = secs.max(1) as i64;
        Self {
            start: Timestamp::from_millis(end.millis().saturating_sub(secs * 1000)),
            end,
        }
    }

    /// The 24 hours that end at `end`.
    pub fn day_ending(end: Timestamp) -> Self {
        Self::ending(end, DAY_SECS)
    }

    /// The 7 days that end at `end`.
    pub fn week_ending(end: Timestamp) -> Self {
        Self::ending(end, WEEK_SECS)
    }

    pub fn start(self) -> Timestamp {
        self.start
    }

    pub fn end(self) -> Timestamp {
        self.end
    }

    pub fn secs(self) -> u64 {
        self.end.secs_since(self.start)
    }

    /// The period of the same length just before this one.
    pub fn previous(self) -> Self {
        Self::ending(self.start, self.secs())
    }

    pub fn contains(self, at: Timestamp) -> bool {
        self.start <= at && at < self.end
    }

    /// The period cut at UTC midnights: the calendar days it spans, the first and the last
    /// partial when it starts or ends within a day (a week of a schedule at 08:00 New York
    /// spans eight).
    pub fn utc_days(self) -> Vec<Period> {
        let day = DAY_SECS as i64 * 1000;
        let mut out = Vec::new();
        let mut from = self.start.millis();
        while from < self.end.millis() {
            let midnight = (from.div_euclid(day) + 1).saturating_mul(day);
            let to = midnight.min(self.end.millis());
            out.push(Self {
                start: Timestamp::from_millis(from),
                end: Timestamp::from_millis(to),
            });
            from = to;
        }
        out
    }

    /// Consecutive slices of `secs` from the start; the last one may be shorter.
    pub fn slices(self, secs: u64) -> Vec<Period> {
        let step = secs.max(1) as i64 * 1000;
        let mut out = Vec::new();
        let mut from = self.start.millis();
        while from < self.end.millis() {
            let to = from.saturating_add(step).min(self.end.millis());
            out.push(Self {
                start: Timestamp::from_millis(from),
                end: Timestamp::from_millis(to),
            });
            from = to;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_must_start_before_it_ends() {
        let t = Timestamp::from_secs(100);
        let err = Period::new(t, t).unwrap_err().to_string();
        assert!(err.contains("expected the start before the end"), "{err}");
    }

    #[test]
    fn previous_is_the_same_length_just_before() {
        let day = Period::day_ending(Timestamp::from_secs(2 * DAY_SECS as i64));
        assert_eq!(day.previous().end(), day.start());
        assert_eq!(day.previous().secs(), DAY_SECS);
        assert!(!day.contains(day.end()));
        assert!(day.contains(day.start()));
    }

    #[test]
    fn a_week_from_a_time_of_day_spans_eight_utc_days() {
        let end = Timestamp::parse("2026-11-23T13:00:00Z").unwrap();
        let days = Period::week_ending(end).utc_days();
        assert_eq!(days.len(), 8);
        assert_eq!(days[0].start().to_string(), "2026-11-16T13:00:00Z");
        assert_eq!(days[0].end().to_string(), "2026-11-17T00:00:00Z");
        assert_eq!(days[1].secs(), DAY_SECS);
        assert_eq!(days[7].start().to_string(), "2026-11-23T00:00:00Z");
        assert_eq!(days[7].end(), end);
        // From midnight, the seven days themselves.
        let week = Period::week_ending(Timestamp::from_secs(WEEK_SECS as i64 * 3));
        assert_eq!(week.utc_days(), week.slices(DAY_SECS));
    }

    #[test]
    fn a_week_slices_into_seven_days() {
        let week = Period::week_ending(Timestamp::from_secs(WEEK_SECS as i64 * 3));
        let days = week.slices(DAY_SECS);
        assert_eq!(days.len(), 7);
        assert_eq!(days[6].end(), week.end());
    }
}
