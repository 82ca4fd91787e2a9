//! Deviation from a baseline: how many standard deviations the current value is from the
//! recent past (mean/σ, or median/MAD for robustness), optionally only from the same time
//! of day or of week, so daily traffic patterns do not page.

use jiff::ToSpan;
use jiff::tz::TimeZone;

use super::State;
use super::check::{Check, Finding, Outcome, number};
use super::series::{Point, Rollup, between};
use super::stats::{
    lost_by_averaging, mean_sd_by, median_spread, weighted_mean_sd, weighted_median_mad,
    within_variance, z_score_to_anomaly,
};
use crate::domain::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Rolling mean and standard deviation.
    Mean,
    /// Rolling median and MAD (scaled to σ): a few wild points do not move it. Where more
    /// than half of the history is one value, the spread of such a mixture (`median_spread`).
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
/// The most a clock change moves "the same local time" a season back: two hours
/// (Antarctica/Troll; an hour in most zones).
const DST_SHIFT_SECS: u64 = 2 * 3600;

/// How far a value lies from a baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Deviation {
    /// Signed, in spreads.
    pub z: f64,
    pub center: f64,
    pub spread: f64,
}

/// The baseline's values between checks, so each check reuses their room.
#[derive(Debug, Default)]
pub(crate) struct Sample {
    values: Vec<f64>,
    /// With rolled-up history: each value and the evaluation intervals it stands for.
    weighted: Vec<(f64, f64)>,
}

impl Baseline {
    /// Checks `value` (the window's aggregate at `at`) against the history before
    /// `window_start`. With `rollup`, the oldest points are averages over several
    /// evaluation intervals (a long history from Datadog): they count as that many
    /// points, and the spread is taken at one interval's scale, the averages' own plus
    /// what averaging lost (measured on the history since, read at the cadence), as for
    /// history read minute by minute (a backtest's), so a series pages alike either way.
    pub(crate) fn check(
        &self,
        value: f64,
        points: &[Point],
        rollup: Option<Rollup>,
        (at, window_start): (Timestamp, Timestamp),
        tz: &TimeZone,
        sample: &mut Sample,
    ) -> Check<'_> {
        let need = self.min_points.max(2);
        let rollup = rollup.filter(|r| r.per_point > 1.0 && r.until > self.history_start(at));
        let (have, center_spread) = match (self.seasonality, self.method, rollup) {
            // The common case straight from the points, without copying them.
            (Seasonality::None, Method::Mean, None) => {
                let history = between(points, self.history_start(at), window_start);
                let stats = (history.len() >= need).then(|| mean_sd_by(history, |p| p.value));
                (history.len(), stats)
            }
            (_, method, None) => {
                let values = &mut sample.values;
                values.clear();
                self.sample(points, at, window_start, tz, |slot| {
                    values.extend(slot.iter().map(|p| p.value));
                });
                let stats = (values.len() >= need).then(|| match method {
                    Method::Mean => mean_sd_by(values, |v| *v),
                    Method::Robust => median_spread(values),
                });
                (values.len(), stats)
            }
            (_, method, Some(rollup)) => {
                let weighted = &mut sample.weighted;
                weighted.clear();
                self.sample(points, at, window_start, tz, |slot| {
                    weighted.extend(slot.iter().map(|p| (p.value, rollup.weight_at(p.at))));
                });
                // What the averages lost, from the history read at the cadence since.
                let values = &mut sample.values;
                values.clear();
                values.extend(
                    between(points, rollup.until, window_start)
                        .iter()
                        .map(|p| p.value),
                );
                // Two buckets' worth at least; else (the oldest instants a run replays
                // have little history at the cadence before their window) from the
                // neighbouring averages.
                let per_bucket = rollup.per_point.round() as usize;
                let measured = (values.len() >= 2 * per_bucket)
                    .then(|| within_variance(values, per_bucket))
                    .flatten();
                let within = measured.or_else(|| {
                    let averages = between(points, self.history_start(at), rollup.until);
                    lost_by_averaging(averages, rollup.per_point)
                });
                let have = weighted.iter().map(|(_, w)| w).sum::<f64>() as usize;
                let stats = (have >= need && weighted.len() >= 2).then(|| match method {
                    Method::Mean => weighted_mean_sd(weighted, within),
                    Method::Robust => weighted_median_mad(weighted, within),
                });
                (have, stats)
            }
        };
        let Some((center, spread)) = center_spread else {
            return Check {
                value: Some(value),
                ..Check::hold(Finding::Learning { have, need })
            };
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
        let limit = match outcome {
            Outcome::Breach(State::Warn) => self.warn_sigmas.unwrap_or(self.sigmas),
            _ => self.sigmas,
        };
        // The side the monitor pages on; both sides: the side the value is on.
        let below = match self.direction {
            Direction::Above => false,
            Direction::Below => true,
            Direction::Both => z < 0.0,
        };
        let threshold = if below {
            center - limit * spread
        } else {
            center + limit * spread
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
            finding: Finding::Deviation {
                baseline: self,
                deviation: Deviation { z, center, spread },
            },
            immediate: self.immediate_sigmas.is_some_and(|s| oriented > s),
        }
    }

    /// A deviation in words; `what` names the value.
    pub(crate) fn words(&self, value: f64, d: &Deviation, what: &str) -> String {
        let side = if d.z >= 0.0 { "above" } else { "below" };
        format!(
            "{what} {} is {:.1}σ {side} its {} {} {} ± {}",
            number(value),
            d.z.abs(),
            self.history_words(),
            self.method_words(),
            number(d.center),
            number(d.spread)
        )
    }

    /// Hands `take` the baseline's points: the history before the current window, or
    /// with seasonality the slots at the same local time on earlier days or weeks.
    fn sample(
        &self,
        points: &[Point],
        at: Timestamp,
        window_start: Timestamp,
        tz: &TimeZone,
        mut take: impl FnMut(&[Point]),
    ) {
        let step_days: u64 = match self.seasonality {
            Seasonality::None => {
                take(between(points, self.history_start(at), window_start));
                return;
            }
            Seasonality::Daily => 1,
            Seasonality::Weekly => 7,
        };
        let Ok(ts) = jiff::Timestamp::from_millisecond(at.millis()) else {
            return;
        };
        let zoned = ts.to_zoned(tz.clone());
        // As many seasons as the history holds, each back in calendar days in the
        // monitor's zone: across a DST change "same time last week" is 167 or 169 hours
        // ago, and a week's history still holds last week's slot (compared with the
        // history's start in hours, the 169-hour one fell out: no verdict for a week).
        let seasons = self.history_secs / (step_days * 86_400);
        for season in 1..=seasons {
            let Some(then) = i64::try_from(season * step_days)
                .ok()
                .and_then(|days| zoned.checked_sub(days.days()).ok())
            else {
                break;
            };
            let center = then.timestamp().as_millisecond();
            let from = Timestamp::from_millis(center - SLOT_HALF_SECS * 1000);
            let to = Timestamp::from_millis(center + SLOT_HALF_SECS * 1000);
            take(between(points, from, to));
        }
    }

    /// How far before an instant its baseline reads: the history, and with seasonality
    /// the oldest slot's half and what a clock change may put it further back.
    pub(crate) fn reach_secs(&self) -> u64 {
        match self.seasonality {
            Seasonality::None => self.history_secs,
            Seasonality::Daily | Seasonality::Weekly => {
                self.history_secs + SLOT_HALF_SECS.unsigned_abs() + DST_SHIFT_SECS
            }
        }
    }

    fn history_start(&self, at: Timestamp) -> Timestamp {
        let history_ms = i64::try_from(self.history_secs)
            .unwrap_or(i64::MAX / 2_000)
            .saturating_mul(1000);
        Timestamp::from_millis(at.millis().saturating_sub(history_ms))
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
