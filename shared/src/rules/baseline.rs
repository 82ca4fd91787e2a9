//! Deviation from a baseline: how many standard deviations the current value is from the
//! recent past (mean/σ, or median/MAD for robustness), optionally only from the same time
//! of day or of week, so daily traffic patterns do not page.

use jiff::ToSpan;
use jiff::tz::TimeZone;

use super::State;
use super::check::{Check, Outcome, number};
use super::series::{Point, between};
use super::stats::{mean, median_mad, std_dev, z_score_to_anomaly};
use crate::domain::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Rolling mean and standard deviation.
    Mean,
    /// Rolling median and MAD (scaled to σ): a few wild points do not move it.
    Robust,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seasonality {
    /// Every point of the history.
    None,
    /// Points at the same local time of day on earlier days.
    Daily,
    /// Points at the same local time of week on earlier weeks.
    Weekly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Above,
    Below,
    Both,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Above => "above",
            Direction::Below => "below",
            Direction::Both => "above or below",
        }
    }

    /// The deviation that matters in this direction (negative: the good side).
    fn oriented(self, z: f64) -> f64 {
        match self {
            Direction::Above => z,
            Direction::Below => -z,
            Direction::Both => z.abs(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    pub method: Method,
    pub seasonality: Seasonality,
    /// How far back the baseline reaches, in seconds.
    pub history_secs: u64,
    /// Deviations past this many σ alert (default 2).
    pub sigmas: f64,
    /// Deviations past this many σ warn, if set (below `sigmas`).
    pub warn_sigmas: Option<f64>,
    /// Deviations past this many σ alert at once, without waiting for the trigger window:
    /// an outage shows as one far-out point as often as a run of moderate ones.
    pub immediate_sigmas: Option<f64>,
    pub direction: Direction,
    /// Fewer baseline points than this: still learning, no verdict.
    pub min_points: usize,
    /// The smallest spread used, so a flat history does not make every wiggle infinite σ.
    pub min_spread: f64,
}

/// Half the width of a seasonal slot: "the same hour of day" is ±30 minutes around it.
const SLOT_HALF_SECS: i64 = 30 * 60;

impl Baseline {
    /// Checks `value` (the window's aggregate at `at`) against the history before `window_start`.
    pub(crate) fn check(
        &self,
        value: f64,
        what: &str,
        points: &[Point],
        at: Timestamp,
        window_start: Timestamp,
        tz: &TimeZone,
    ) -> Check {
        let mut sample = self.sample(points, at, window_start, tz);
        if sample.len() < self.min_points.max(2) {
            return Check {
                value: Some(value),
                ..Check::hold(format!(
                    "{what} {}: baseline still learning ({} of {} points)",
                    number(value),
                    sample.len(),
                    self.min_points.max(2)
                ))
            };
        }
        let (center, spread) = match self.method {
            Method::Mean => {
                let m = mean(&sample);
                (m, std_dev(&sample, m))
            }
            Method::Robust => median_mad(&mut sample),
        };
        let spread = spread
            .max(self.min_spread)
            .max(center.abs() * 1e-9)
            .max(1e-12);
        let z = (value - center) / spread;
        let oriented = self.direction.oriented(z);
        let outcome = if oriented > self.sigmas {
            Outcome::Breach(State::Alert)
        } else if self.warn_sigmas.is_some_and(|w| oriented > w) {
            Outcome::Breach(State::Warn)
        } else {
            Outcome::Clear
        };
        let side = if z >= 0.0 { "above" } else { "below" };
        let reason = format!(
            "{what} {} is {:.1}σ {side} its {} {} {} ± {}",
            number(value),
            z.abs(),
            self.history_words(),
            self.method_words(),
            number(center),
            number(spread)
        );
        let limit = match outcome {
            Outcome::Breach(State::Warn) => self.warn_sigmas.unwrap_or(self.sigmas),
            _ => self.sigmas,
        };
        let threshold = if z >= 0.0 || self.direction == Direction::Above {
            center + limit * spread
        } else {
            center - limit * spread
        };
        Check {
            outcome,
            value: Some(value),
            threshold: Some(threshold),
            score: if oriented > 0.0 {
                z_score_to_anomaly(oriented)
            } else {
                0.0
            },
            reason,
            immediate: self.immediate_sigmas.is_some_and(|s| oriented > s),
        }
    }

    /// The baseline's points: the history before the current window, or with seasonality
    /// the slots at the same local time on earlier days or weeks.
    fn sample(
        &self,
        points: &[Point],
        at: Timestamp,
        window_start: Timestamp,
        tz: &TimeZone,
    ) -> Vec<f64> {
        let history_start = Timestamp::from_millis(
            at.millis()
                .saturating_sub(i64::try_from(self.history_secs).unwrap_or(i64::MAX / 2) * 1000),
        );
        let step_days = match self.seasonality {
            Seasonality::None => {
                return between(points, history_start, window_start)
                    .iter()
                    .map(|p| p.value)
                    .collect();
            }
            Seasonality::Daily => 1,
            Seasonality::Weekly => 7,
        };
        let Ok(ts) = jiff::Timestamp::from_millisecond(at.millis()) else {
            return Vec::new();
        };
        let zoned = ts.to_zoned(tz.clone());
        let mut sample = Vec::new();
        let mut back = step_days;
        loop {
            // Calendar days in the monitor's zone: across a DST change "same time
            // yesterday" is 23 or 25 hours ago.
            let Ok(then) = zoned.checked_sub(i64::from(back).days()) else {
                break;
            };
            let center = then.timestamp().as_millisecond();
            if center < history_start.millis() {
                break;
            }
            let from = Timestamp::from_millis(center - SLOT_HALF_SECS * 1000);
            let to = Timestamp::from_millis(center + SLOT_HALF_SECS * 1000);
            sample.extend(between(points, from, to).iter().map(|p| p.value));
            back += step_days;
        }
        sample
    }

    fn history_words(&self) -> String {
        let days = self.history_secs as f64 / 86_400.0;
        let span = if days >= 1.0 {
            format!("{}-day", number(days))
        } else {
            format!("{}-hour", number(self.history_secs as f64 / 3600.0))
        };
        match self.seasonality {
            Seasonality::None => format!("{span} baseline"),
            Seasonality::Daily => format!("{span} baseline for this hour of day"),
            Seasonality::Weekly => format!("{span} baseline for this hour of week"),
        }
    }

    fn method_words(&self) -> &'static str {
        match self.method {
            Method::Mean => "(mean ± σ)",
            Method::Robust => "(median ± MAD)",
        }
    }
}
