//! A seasonal predictor: the value at the same time of day (or week) on earlier periods,
//! one slot per sampling interval, plus the recent level against that profile.

use super::model::Model;

/// Each visit to a slot moves it a third of a half-life: the profile follows a changed
/// pattern within a few periods and averages the noise of the last few.
const VISIT_HALF_LIFE: f64 = 3.0;
/// How long the level against the profile remembers (seconds).
pub(super) const ADJUST_HALF_LIFE_SECS: f64 = 3600.0;

#[derive(Debug, Clone)]
pub(super) struct Season {
    pub period_ms: i64,
    slot_ms: i64,
    /// The value per slot; NaN until the slot is first seen.
    profile: Vec<f32>,
    /// The recent level of values against the profile.
    adjust: f64,
    /// When the first slot was filled.
    pub since_ms: i64,
    pub model: Model,
}

impl Season {
    /// A profile of `period_ms` in slots of `slot_ms` (at least one minute).
    pub fn new(period_ms: i64, slot_ms: i64, now_ms: i64) -> Self {
        let slot_ms = slot_ms.max(60_000);
        let slots = usize::try_from((period_ms + slot_ms - 1) / slot_ms).unwrap_or(1);
        Self {
            period_ms,
            slot_ms,
            profile: vec![f32::NAN; slots.max(1)],
            adjust: 0.0,
            since_ms: now_ms,
            model: Model::default(),
        }
    }

    fn slot(&self, at_ms: i64) -> usize {
        let into = at_ms.rem_euclid(self.period_ms);
        usize::try_from(into / self.slot_ms).map_or(0, |i| i.min(self.profile.len() - 1))
    }

    /// What this season expects at `at_ms`, if it has seen that time before.
    pub fn expected(&self, at_ms: i64) -> Option<f64> {
        let v = self.profile[self.slot(at_ms)];
        (!v.is_nan()).then(|| f64::from(v) + self.adjust)
    }

    /// Whether the season has been watched for `periods` whole periods.
    pub fn watched(&self, at_ms: i64, periods: i64) -> bool {
        at_ms - self.since_ms >= periods * self.period_ms
    }

    /// Learns `value` at `at_ms`; `expected` is what [`Season::expected`] said before it.
    pub fn learn(&mut self, at_ms: i64, value: f64, expected: Option<f64>, dt_secs: f64) {
        let slot = self.slot(at_ms);
        let Some(expected) = expected else {
            self.profile[slot] = (value - self.adjust) as f32;
            return;
        };
        let residual = value - expected;
        let z = self.model.z(residual, expected);
        self.model.learn(residual, expected, dt_secs);
        let base = f64::from(self.profile[slot]);
        match self.model.shifted(z, value - base) {
            Some(level) => self.adjust = level,
            None => {
                let level = base + self.adjust;
                let moved =
                    self.model
                        .follow(level, value, expected, dt_secs, ADJUST_HALF_LIFE_SECS);
                self.adjust += moved - level;
            }
        }
        let weight = 1.0 - (-std::f64::consts::LN_2 / VISIT_HALF_LIFE).exp();
        let target = value - self.adjust;
        self.profile[slot] = (base + weight * (target - base)) as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;

    #[test]
    fn yesterday_at_this_time_is_expected_today() {
        let mut s = Season::new(DAY, HOUR, 0);
        for h in 0..24 {
            let v = if (9..17).contains(&h) { 80.0 } else { 20.0 };
            s.learn(h * HOUR, v, s.expected(h * HOUR), 3600.0);
        }
        assert_eq!(s.expected(DAY + 10 * HOUR), Some(80.0));
        assert_eq!(s.expected(DAY + 3 * HOUR), Some(20.0));
        assert!(s.watched(DAY, 1) && !s.watched(DAY, 2));
    }
}
