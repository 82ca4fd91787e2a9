//! One predictor's view of its own errors: their typical size, their tails, how well it
//! has predicted lately, and whether the series has moved away from it for good.

use super::ew::{alpha, clip};
use super::tail::Tail;

/// Points before the typical deviation is an exponentially weighted mean: until then it is
/// the plain mean of the deviations seen, so a first lucky point does not set it.
pub(super) const WARM_POINTS: u32 = 24;
/// How long the typical deviation remembers (seconds).
const SCALE_HALF_LIFE_SECS: f64 = 86_400.0;
/// How long the record of prediction error used to choose between models remembers.
const ERROR_HALF_LIFE_SECS: f64 = 2.0 * 86_400.0;
/// A deviation counts for at most this many typical deviations in the typical deviation,
/// so an outage does not make the next day's anomalies look small.
const SCALE_CLIP: f64 = 4.0;
/// This many points in a row past `SHIFT_Z` typical deviations on one side are a level
/// shift: the baseline moves to them at once instead of creeping (one alert, not a day of
/// them).
pub(super) const SHIFT_RUN: usize = 5;
const SHIFT_Z: f64 = 2.0;

#[derive(Debug, Clone, Default)]
pub(super) struct Model {
    /// Typical absolute deviation; `None` before the first one.
    scale: Option<f64>,
    deviations: u32,
    pub tail: Tail,
    /// Mean absolute prediction error, unclipped: how good the model is.
    pub error: Option<f64>,
    /// The last points' targets of a possible re-anchoring, while they deviate on one side.
    run: Vec<f64>,
    run_sign: f64,
}

impl Model {
    /// The typical deviation, never zero: a flat history makes the first change rare but
    /// not infinitely so.
    pub fn scale(&self, expected: f64) -> Option<f64> {
        self.scale.map(|s| s.max(expected.abs() * 1e-6).max(1e-9))
    }

    /// `residual` in typical deviations.
    pub fn z(&self, residual: f64, expected: f64) -> Option<f64> {
        self.scale(expected).map(|s| residual / s)
    }

    pub fn is_warm(&self) -> bool {
        self.deviations >= WARM_POINTS
    }

    /// Learns one prediction error `residual` made `dt_secs` after the previous one.
    pub fn learn(&mut self, residual: f64, expected: f64, dt_secs: f64) {
        let a = residual.abs();
        if let (Some(z), true) = (self.z(residual, expected), self.is_warm()) {
            self.tail.learn(z, dt_secs);
        }
        self.deviations = self.deviations.saturating_add(1);
        self.scale = Some(match self.scale {
            None => a,
            Some(s) if self.deviations <= WARM_POINTS => s + (a - s) / f64::from(self.deviations),
            Some(s) => {
                let limit = SCALE_CLIP * s.max(1e-12);
                s + alpha(dt_secs, SCALE_HALF_LIFE_SECS) * (a.min(limit) - s)
            }
        });
        self.error = Some(match self.error {
            None => a,
            Some(e) => e + alpha(dt_secs, ERROR_HALF_LIFE_SECS) * (a - e),
        });
    }

    /// Records a point whose level would be `target` if the series has moved; returns the
    /// new level once `SHIFT_RUN` points in a row sit past `SHIFT_Z` on the same side (the
    /// median of their targets, robust to one of them being a spike).
    pub fn shifted(&mut self, z: Option<f64>, target: f64) -> Option<f64> {
        let Some(z) = z.filter(|z| z.abs() > SHIFT_Z) else {
            self.run.clear();
            return None;
        };
        if z.signum() != self.run_sign {
            self.run.clear();
            self.run_sign = z.signum();
        }
        self.run.push(target);
        if self.run.len() < SHIFT_RUN {
            return None;
        }
        let mut run = std::mem::take(&mut self.run);
        run.sort_by(f64::total_cmp);
        Some(run[run.len() / 2])
    }

    /// Moves `level` towards `value`, a wild point by a bounded step.
    pub fn follow(
        &self,
        level: f64,
        value: f64,
        expected: f64,
        dt_secs: f64,
        half_life: f64,
    ) -> f64 {
        let limit = self.scale(expected).map_or(0.0, |s| 3.0 * s);
        level + alpha(dt_secs, half_life) * clip(value - level, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_on_one_side_re_anchors_at_its_median() {
        let mut m = Model::default();
        for v in [10.0, 11.0, 30.0, 10.5] {
            assert_eq!(m.shifted(Some(5.0), v), None);
        }
        assert_eq!(m.shifted(Some(4.0), 10.2), Some(10.5));
        // A point on the other side starts the count again.
        for _ in 0..4 {
            m.shifted(Some(5.0), 1.0);
        }
        assert_eq!(m.shifted(Some(-5.0), 1.0), None);
        assert_eq!(m.shifted(Some(0.5), 1.0), None);
    }

    #[test]
    fn the_typical_deviation_starts_as_a_plain_mean() {
        let mut m = Model::default();
        for r in [0.0, 2.0, -4.0] {
            m.learn(r, 10.0, 60.0);
        }
        assert!((m.scale(10.0).unwrap() - 2.0).abs() < 1e-12);
    }
}
