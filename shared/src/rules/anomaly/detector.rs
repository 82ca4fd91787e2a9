//! The streaming detector: one point at a time, O(1) work and fixed memory per point, it
//! predicts each value from a local level and from daily and weekly profiles, keeps the
//! model that has predicted best, and says how rare the point's deviation is under it.

use super::Tail;
use super::model::{Model, WARM_POINTS};
use super::season::Season;

/// How long the local level remembers (seconds).
const LEVEL_HALF_LIFE_SECS: f64 = 3600.0;
/// Learning time before any verdict: a whole day, because until the detector has seen one
/// it cannot tell a daily rise from an anomaly (and enough points for a typical deviation).
const WARM_UP_SECS: i64 = 86_400;
/// And at least this many points: the tails are learned from the points, and 144 give
/// about seven past three typical deviations on a Laplace-like series (six days of hourly
/// data; a day of 5-minute data has twice as many).
const WARM_UP_POINTS: u32 = 144;
/// Gaps remembered to estimate the sampling interval (their median).
const GAPS: usize = 15;
/// Points before the seasonal profiles are laid out at the sampling interval seen so far.
const SEASONS_AFTER: u32 = 16;
const DAY_MS: i64 = 86_400_000;
const WEEK_MS: i64 = 7 * DAY_MS;
/// Whole periods a season is watched before it may be chosen: one to fill the profile,
/// two to compare its predictions with the others'.
const MATURE_PERIODS: i64 = 3;
/// A seasonal model must predict this much better (ratio of mean absolute errors) to be
/// chosen over a simpler one: a profile costs noise, so it has to earn its place.
const SEASON_MARGIN: f64 = 0.9;
/// A point this unusual on one side (one-sided probability) extends a run of evidence;
/// a more ordinary one ends it.
const RUN_P: f64 = 0.1;

/// The model the expectation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// The recent level: no seasonality found.
    Level,
    Daily,
    Weekly,
}

impl Fit {
    pub fn words(self) -> &'static str {
        match self {
            Fit::Level => "recent level",
            Fit::Daily => "daily pattern",
            Fit::Weekly => "weekly pattern",
        }
    }
}

/// What the detector says about one point, before it learns from it.
#[derive(Debug, Clone)]
pub struct Reading {
    pub at_ms: i64,
    pub value: f64,
    pub expected: f64,
    /// The typical deviation from `expected`.
    pub spread: f64,
    /// Probability of a deviation at least this far above (below) the expectation; 1 on
    /// the other side and while learning.
    pub p_above: f64,
    pub p_below: f64,
    pub fit: Fit,
    /// Points in a row, this one included, unusual on the same side.
    pub run: u32,
    /// Still learning: no verdict.
    pub learning: bool,
    /// The sampling interval the detector sees, in seconds.
    pub spacing_secs: f64,
    tail: Tail,
}

impl Reading {
    /// The value past which a point is as rare as `p` on the side of `sign`.
    pub fn bound(&self, p: f64, sign: f64) -> f64 {
        self.expected + sign.signum() * self.spread * self.tail.quantile(p, sign)
    }
}

/// One series' detector state: a few numbers plus one profile slot per sampling interval
/// of a day and of a week.
#[derive(Debug, Clone, Default)]
pub struct Detector {
    start_ms: Option<i64>,
    last_ms: i64,
    points: u32,
    /// The last gaps between points (a ring), and their median.
    gaps: [i64; GAPS],
    spacing_ms: i64,
    level: f64,
    local: Model,
    seasons: Vec<Season>,
    runs: Runs,
}

/// A model that can predict the point being read.
#[derive(Clone, Copy)]
struct Candidate<'a> {
    fit: Fit,
    model: &'a Model,
    expected: f64,
    /// Watched for long enough to be chosen.
    mature: bool,
}

/// Evidence from a run of unusual points on one side: each alone may be ordinary (1 in
/// 1,000), five in a row are not. The run's total surprise (the sum of −ln p, Fisher's
/// statistic) gets its own learned tail, so series whose deviations come in runs learn that
/// runs are common.
#[derive(Debug, Clone, Default)]
struct Runs {
    sign: f64,
    points: u32,
    surprise: f64,
    tail: Tail,
}

impl Runs {
    /// Adds a point whose one-sided probability on the side of `sign` is `p`; returns how
    /// rare the run it ends up in is.
    fn observe(&mut self, sign: f64, p: f64, dt_secs: f64) -> f64 {
        if p < RUN_P && sign == self.sign {
            self.points += 1;
            self.surprise += -p.ln();
        } else if p < RUN_P {
            (self.sign, self.points, self.surprise) = (sign, 1, -p.ln());
        } else {
            (self.sign, self.points, self.surprise) = (0.0, 0, 0.0);
        }
        let rare = self.tail.p(self.surprise);
        self.tail.learn(self.surprise, dt_secs);
        rare
    }
}

impl Detector {
    /// The sampling interval: the median of the last gaps between points, in seconds.
    pub fn spacing_secs(&self) -> f64 {
        if self.spacing_ms > 0 {
            self.spacing_ms as f64 / 1000.0
        } else {
            60.0
        }
    }

    /// Records a gap; the median is recomputed only when the ring changes (a regular
    /// series replaces each gap with an equal one).
    fn record_gap(&mut self, gap: i64) {
        // The n-th gap (n = points so far, from 1) goes to slot (n − 1) mod GAPS.
        let n = usize::try_from(self.points).unwrap_or(1).max(1);
        let slot = (n - 1) % GAPS;
        if self.gaps[slot] == gap {
            return;
        }
        self.gaps[slot] = gap;
        let mut sorted = self.gaps;
        let known = &mut sorted[..n.min(GAPS)];
        known.sort_unstable();
        self.spacing_ms = known[known.len() / 2];
    }

    /// Reads the point (`at_ms`, `value`) and learns from it. Points must come in time
    /// order; one at or before the last is ignored (the caller merges or skips them).
    pub fn update(&mut self, at_ms: i64, value: f64) -> Option<Reading> {
        let Some(start) = self.start_ms else {
            self.start_ms = Some(at_ms);
            self.last_ms = at_ms;
            self.level = value;
            self.points = 1;
            return Some(self.learning(at_ms, value));
        };
        if at_ms <= self.last_ms || !value.is_finite() {
            return None;
        }
        let gap = at_ms - self.last_ms;
        let dt = gap as f64 / 1000.0;
        self.last_ms = at_ms;
        self.record_gap(gap);
        self.points = self.points.saturating_add(1);
        if self.seasons.is_empty() && self.points >= SEASONS_AFTER {
            let slot = (self.spacing_secs() * 1000.0).round() as i64;
            let slot = slot.clamp(60_000, 3_600_000);
            self.seasons = vec![
                Season::new(DAY_MS, slot, at_ms),
                Season::new(WEEK_MS, slot, at_ms),
            ];
        }

        let mut reading = self.read(at_ms, value, start);
        if !reading.learning {
            // Two tests (the point, the run) at each point: each counts at twice its p.
            let sign = (reading.value - reading.expected).signum();
            let p = if sign >= 0.0 {
                reading.p_above
            } else {
                reading.p_below
            };
            let run = self.runs.observe(sign, p, dt);
            reading.run = self.runs.points;
            let combined = (2.0 * p.min(run)).min(1.0);
            if sign >= 0.0 {
                reading.p_above = combined;
            } else {
                reading.p_below = combined;
            }
        }
        self.learn(at_ms, value, dt);
        Some(reading)
    }

    fn learning(&self, at_ms: i64, value: f64) -> Reading {
        Reading {
            at_ms,
            value,
            expected: self.level,
            spread: 0.0,
            p_above: 1.0,
            p_below: 1.0,
            fit: Fit::Level,
            run: 0,
            learning: true,
            spacing_secs: self.spacing_secs(),
            tail: Tail::default(),
        }
    }

    /// The verdict on `value` from what was learned before it.
    fn read(&self, at_ms: i64, value: f64, start: i64) -> Reading {
        // Every model that can predict this point: the level, and each season that has seen
        // this time of day (of week) before, with whether it has been watched long enough.
        let mut candidates: [Option<Candidate<'_>>; 3] = [
            Some(Candidate {
                fit: Fit::Level,
                model: &self.local,
                expected: self.level,
                mature: true,
            }),
            None,
            None,
        ];
        for ((season, fit), slot) in self
            .seasons
            .iter()
            .zip([Fit::Daily, Fit::Weekly])
            .zip(candidates.iter_mut().skip(1))
        {
            if let Some(expected) = season.expected(at_ms) {
                *slot = Some(Candidate {
                    fit,
                    model: &season.model,
                    expected,
                    mature: season.watched(at_ms, MATURE_PERIODS),
                });
            }
        }
        // The chosen model: the level unless a mature season predicts clearly better.
        let mut chosen = 0;
        let mut best = self.local.error.unwrap_or(f64::INFINITY);
        for (i, c) in candidates.iter().enumerate().skip(1) {
            if let Some(c) = c
                && c.mature
                && c.model.is_warm()
                && let Some(e) = c.model.error.filter(|e| *e < SEASON_MARGIN * best)
            {
                (chosen, best) = (i, e);
            }
        }
        let Some(Candidate {
            fit,
            model,
            expected,
            ..
        }) = candidates[chosen]
        else {
            return self.learning(at_ms, value);
        };
        let warm =
            self.points > WARM_POINTS.max(WARM_UP_POINTS) && at_ms - start >= WARM_UP_SECS * 1000;
        let (Some(spread), true) = (model.scale(expected), warm && model.is_warm()) else {
            return Reading {
                expected,
                fit,
                ..self.learning(at_ms, value)
            };
        };
        let z = (value - expected) / spread;
        let (mut p_above, mut p_below) = side_p(&model.tail, z);
        // A point is an anomaly only if no plausible model expects it. Plausible: one not
        // clearly worse than the chosen, or a season not yet watched long enough to be
        // judged — it cannot accuse, but it can explain (the second day's morning rise, the
        // weekend of a series whose daily and weekly profiles predict about as well).
        for (i, c) in candidates.iter().enumerate() {
            let Some(c) = c.as_ref().filter(|c| i != chosen && c.model.is_warm()) else {
                continue;
            };
            let plausible = !c.mature || c.model.error.is_some_and(|e| e * SEASON_MARGIN <= best);
            if let (true, Some(zc)) = (plausible, c.model.z(value - c.expected, c.expected)) {
                let (a, b) = side_p(&c.model.tail, zc);
                p_above = p_above.max(a);
                p_below = p_below.max(b);
            }
        }
        Reading {
            at_ms,
            value,
            expected,
            spread,
            p_above,
            p_below,
            fit,
            run: 0,
            learning: false,
            spacing_secs: self.spacing_secs(),
            tail: model.tail.clone(),
        }
    }

    fn learn(&mut self, at_ms: i64, value: f64, dt: f64) {
        let expected = self.level;
        let residual = value - expected;
        let z = self.local.z(residual, expected);
        self.local.learn(residual, expected, dt);
        self.level = match self.local.shifted(z, value) {
            Some(level) => level,
            None => self
                .local
                .follow(self.level, value, expected, dt, LEVEL_HALF_LIFE_SECS),
        };
        for season in &mut self.seasons {
            let expected = season.expected(at_ms);
            season.learn(at_ms, value, expected, dt);
        }
    }
}

/// The one-sided probabilities of a deviation of `z` typical deviations.
fn side_p(tail: &Tail, z: f64) -> (f64, f64) {
    if z >= 0.0 {
        (tail.p(z), 1.0)
    } else {
        (1.0, tail.p(z))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    /// A deterministic noise in [-1, 1] (an LCG), so the tests need no random crate.
    fn noise(i: i64) -> f64 {
        let x = (i as u64)
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) as f64 / f64::from(1u32 << 30) - 1.0
    }

    fn run(points: impl Iterator<Item = (i64, f64)>) -> Vec<Reading> {
        let mut d = Detector::default();
        points.filter_map(|(t, v)| d.update(t, v)).collect()
    }

    #[test]
    fn the_spacing_is_the_median_gap_whatever_it_is() {
        let mut d = Detector::default();
        for i in 0..40 {
            d.update(i * 30 * MINUTE + if i % 7 == 0 { MINUTE } else { 0 }, 1.0);
        }
        assert_eq!(d.spacing_secs(), 1800.0);
    }

    #[test]
    fn the_first_day_is_learning_then_a_spike_is_rare_and_noise_is_not() {
        let readings = run((0..3 * 288).map(|i| {
            let spike = if i == 2 * 288 { 40.0 } else { 0.0 };
            (i * 5 * MINUTE, 10.0 + noise(i) + spike)
        }));
        assert!(readings[..288].iter().all(|r| r.learning));
        let spike = &readings[2 * 288];
        assert!(spike.p_above < 1e-6, "{spike:?}");
        let worst_noise = readings[300..2 * 288]
            .iter()
            .map(|r| r.p_above.min(r.p_below))
            .fold(1.0, f64::min);
        assert!(worst_noise > 1e-4, "{worst_noise}");
    }

    #[test]
    fn a_daily_pattern_is_found_and_its_missing_peak_is_rare() {
        // A square wave: 80 from 09:00 to 17:00, else 20; the peak is missing on day 6.
        let value = |i: i64| {
            let hour = (i % 288) / 12;
            let peak = (9..17).contains(&hour) && i / 288 != 6;
            if peak { 80.0 } else { 20.0 }
        };
        let readings = run((0..7 * 288).map(|i| (i * 5 * MINUTE, value(i) + noise(i))));
        let day5 = &readings[5 * 288 + 10 * 12];
        assert_eq!(day5.fit, Fit::Daily, "{day5:?}");
        let missing = &readings[6 * 288 + 9 * 12];
        assert!(missing.p_below < 1e-6, "{missing:?}");
        // The rises and falls of every other day were expected.
        let worst = readings[3 * 288..6 * 288]
            .iter()
            .map(|r| r.p_above.min(r.p_below))
            .fold(1.0, f64::min);
        assert!(worst > 1e-4, "{worst}");
    }

    #[test]
    fn after_a_level_shift_the_baseline_moves_within_a_few_points() {
        let readings = run((0..3 * 288).map(|i| {
            let shift = if i >= 2 * 288 { 30.0 } else { 0.0 };
            (i * 5 * MINUTE, 10.0 + noise(i) + shift)
        }));
        let at = 2 * 288;
        assert!(readings[at].p_above < 1e-6, "{:?}", readings[at]);
        let later = readings[at + 12..at + 288]
            .iter()
            .map(|r| r.p_above.min(r.p_below))
            .fold(1.0, f64::min);
        assert!(
            later > 1e-4,
            "an hour on, the new level is ordinary: {later}"
        );
    }
}
