//! Points in time as UTC epoch milliseconds, the unit Datadog and DynamoDB TTLs speak.

use std::fmt;
use std::sync::LazyLock;

use jiff::tz::{TimeZone, TimeZoneDatabase};
use serde::{Deserialize, Serialize};

/// The IANA time-zone database compiled into the binary: Lambda has no zoneinfo files,
/// and the same names must resolve alike everywhere.
static TZDB: LazyLock<TimeZoneDatabase> = LazyLock::new(TimeZoneDatabase::bundled);

/// A time zone by IANA name, from the bundled database.
pub fn time_zone(name: &str) -> Option<TimeZone> {
    if name == "UTC" {
        return Some(TimeZone::UTC);
    }
    TZDB.get(name).ok()
}

/// How long before its arrival a sender's event time is believed (`Timestamp::claimed`):
/// Datadog and PagerDuty retry for hours at most.
pub const SENDER_PAST_SECS: u64 = 7 * 24 * 3600;
/// How far ahead of its arrival a sender's event time is believed: clock skew.
pub const SENDER_FUTURE_SECS: u64 = 5 * 60;

/// Milliseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub const fn from_secs(secs: i64) -> Self {
        Self(secs.saturating_mul(1000))
    }

    pub fn now() -> Self {
        Self(jiff::Timestamp::now().as_millisecond())
    }

    pub const fn millis(self) -> i64 {
        self.0
    }

    pub const fn secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    pub const fn plus_secs(self, secs: u64) -> Self {
        Self(self.0.saturating_add((secs as i64).saturating_mul(1000)))
    }

    pub const fn minus_secs(self, secs: u64) -> Self {
        Self(self.0.saturating_sub((secs as i64).saturating_mul(1000)))
    }

    /// The time a sender claims for its event (Datadog's `$DATE`, PagerDuty's
    /// `occurred_at`, Slack's `action_ts`), judged against when it arrived. The claim
    /// stands within `SENDER_PAST_SECS` before and `SENDER_FUTURE_SECS` after arrival
    /// (delays, retries, clock skew); outside that the arrival time stands instead. A
    /// claim far in the future would make every genuine later notification look stale
    /// (an alert no recovery closes), and one near the ends of the range would overflow
    /// the arithmetic done on it.
    pub fn claimed(claim: Option<Timestamp>, arrived: Timestamp) -> Timestamp {
        claim
            .filter(|c| {
                *c >= arrived.minus_secs(SENDER_PAST_SECS)
                    && *c <= arrived.plus_secs(SENDER_FUTURE_SECS)
            })
            .unwrap_or(arrived)
    }

    /// Whole seconds from `earlier` to `self`; zero when `earlier` is later.
    pub const fn secs_since(self, earlier: Timestamp) -> u64 {
        let ms = self.0.saturating_sub(earlier.0);
        if ms <= 0 { 0 } else { (ms / 1000) as u64 }
    }

    /// Parses RFC 3339 (`2026-11-28T04:00:00Z`) or epoch seconds / milliseconds as text.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Ok(n) = text.parse::<i64>() {
            // Ten digits or fewer is seconds (good until 2286); more is milliseconds.
            return Some(if n.unsigned_abs() < 10_000_000_000 {
                Self::from_secs(n)
            } else {
                Self(n)
            });
        }
        text.parse::<jiff::Timestamp>()
            .ok()
            .map(|t| Self(t.as_millisecond()))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match jiff::Timestamp::from_millisecond(self.0) {
            Ok(t) => write!(f, "{t}"),
            Err(_) => write!(f, "{}ms", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_senders_time_stands_near_arrival_and_arrival_stands_otherwise() {
        let arrived = Timestamp::from_secs(1_795_730_400);
        let near = [
            arrived.minus_secs(6 * 86_400),
            arrived.plus_secs(299),
            arrived,
        ];
        for claim in near {
            assert_eq!(Timestamp::claimed(Some(claim), arrived), claim);
        }
        let far = [
            Timestamp::from_millis(i64::MIN),
            Timestamp::from_millis(i64::MAX),
            Timestamp::parse("2286-11-20T17:46:40Z").unwrap(),
            arrived.minus_secs(8 * 86_400),
            arrived.plus_secs(301),
        ];
        for claim in far {
            assert_eq!(Timestamp::claimed(Some(claim), arrived), arrived, "{claim}");
        }
        assert_eq!(Timestamp::claimed(None, arrived), arrived);
        assert_eq!(
            Timestamp::from_millis(i64::MIN + 5).minus_secs(10),
            Timestamp::from_millis(i64::MIN)
        );
    }

    #[test]
    fn parses_seconds_millis_and_rfc3339_alike() {
        let want = Timestamp::from_millis(1_764_302_400_000);
        assert_eq!(Timestamp::parse("1764302400"), Some(want));
        assert_eq!(Timestamp::parse("1764302400000"), Some(want));
        assert_eq!(Timestamp::parse("2025-11-28T04:00:00Z"), Some(want));
        assert_eq!(Timestamp::parse("yesterday"), None);
    }

    #[test]
    fn secs_since_never_goes_negative() {
        let a = Timestamp::from_secs(100);
        assert_eq!(a.secs_since(Timestamp::from_secs(40)), 60);
        assert_eq!(Timestamp::from_secs(40).secs_since(a), 0);
    }
}
