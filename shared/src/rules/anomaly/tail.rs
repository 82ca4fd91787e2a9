//! How rare a standardised deviation is, learned from the series itself: each side of the
//! expected value has an exceedance rate over a high threshold and an exponential tail past
//! it (peaks over threshold with a generalised Pareto shape of zero, as in Siffer et al.,
//! "Anomaly detection in streams with extreme value theory", 2017), so a series whose
//! deviations are heavy-tailed learns that large ones are common, and a calm one does not.

use super::ew::decay;

/// Deviations past this many typical deviations are tail events.
const THRESHOLD: f64 = 3.0;
/// The prior, worth this many observations: a Laplace distribution (one-sided rate
/// ½·e^-3 past the threshold, mean excess 1), the shape of a typical deviation's tail.
const PRIOR_POINTS: f64 = 20.0;
/// One extreme point raises the mean excess by at most this many current mean excesses,
/// so a single outage does not make every later deviation look ordinary for a week.
const EXCESS_CAP: f64 = 3.0;
/// How long tail statistics remember (seconds): long enough to see tail events, short
/// enough to follow a series that grows noisier.
const HALF_LIFE_SECS: f64 = 7.0 * 86_400.0;

#[derive(Debug, Clone)]
struct Side {
    /// Effective number of exceedances.
    exceedances: f64,
    /// Effective sum of their excess over the threshold.
    excess: f64,
}

impl Side {
    fn prior() -> Self {
        let exceedances = PRIOR_POINTS * 0.5 * (-THRESHOLD).exp();
        Self {
            exceedances,
            excess: exceedances,
        }
    }

    fn mean_excess(&self) -> f64 {
        if self.exceedances > 1e-9 {
            (self.excess / self.exceedances).max(1e-3)
        } else {
            1.0
        }
    }
}

/// The exceedance rate never falls below a tenth of the prior's: after weeks of calm a
/// point just past the threshold is unusual, not impossible.
const RATE_FLOOR: f64 = 0.1;

/// The two tails of the standardised deviations of one model.
#[derive(Debug, Clone)]
pub(super) struct Tail {
    /// Effective number of observations.
    points: f64,
    above: Side,
    below: Side,
}

impl Default for Tail {
    fn default() -> Self {
        Self {
            points: PRIOR_POINTS,
            above: Side::prior(),
            below: Side::prior(),
        }
    }
}

impl Tail {
    fn side(&self, z: f64) -> &Side {
        if z >= 0.0 { &self.above } else { &self.below }
    }

    fn rate(&self, side: &Side) -> f64 {
        let floor = RATE_FLOOR * Side::prior().exceedances;
        side.exceedances.max(floor) / self.points
    }

    /// The probability of a deviation at least as far as `z` (in typical deviations) on
    /// its side: exponential in both the body and the tail, joined at the threshold.
    pub fn p(&self, z: f64) -> f64 {
        let side = self.side(z);
        let rate = self.rate(side);
        let a = z.abs();
        let width = if a <= THRESHOLD {
            1.0
        } else {
            side.mean_excess()
        };
        (rate * (-(a - THRESHOLD) / width).exp()).min(1.0)
    }

    /// The deviation (in typical deviations, positive) whose probability on the side of
    /// `sign` is `p`: where a value starts to count as an anomaly.
    pub fn quantile(&self, p: f64, sign: f64) -> f64 {
        let side = self.side(sign);
        let rate = self.rate(side);
        let p = p.clamp(f64::MIN_POSITIVE, 1.0);
        let past = (rate / p).ln();
        if past <= 0.0 {
            (THRESHOLD + past).max(0.0)
        } else {
            THRESHOLD + side.mean_excess() * past
        }
    }

    /// Learns one deviation `z`, `dt_secs` after the previous one.
    pub fn learn(&mut self, z: f64, dt_secs: f64) {
        let keep = decay(dt_secs, HALF_LIFE_SECS);
        self.points = self.points * keep + 1.0;
        for side in [&mut self.above, &mut self.below] {
            side.exceedances *= keep;
            side.excess *= keep;
        }
        let a = z.abs();
        if a > THRESHOLD {
            let side = if z >= 0.0 {
                &mut self.above
            } else {
                &mut self.below
            };
            let cap = EXCESS_CAP * side.mean_excess();
            side.exceedances += 1.0;
            side.excess += (a - THRESHOLD).min(cap);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prior_is_a_laplace_tail() {
        let tail = Tail::default();
        assert!((tail.p(3.0) - 0.5 * (-3.0f64).exp()).abs() < 1e-12);
        assert!((tail.p(-5.0) - 0.5 * (-5.0f64).exp()).abs() < 1e-12);
        assert!(tail.p(0.0) <= 1.0);
    }

    #[test]
    fn quantile_inverts_p() {
        let mut tail = Tail::default();
        for i in 0..500 {
            tail.learn(if i % 10 == 0 { 6.0 } else { 0.5 }, 60.0);
        }
        for p in [0.3, 1e-2, 1e-5, 1e-9] {
            let z = tail.quantile(p, 1.0);
            assert!((tail.p(z) / p - 1.0).abs() < 1e-9, "{p} {z} {}", tail.p(z));
        }
    }

    #[test]
    fn frequent_large_deviations_make_them_ordinary() {
        let mut calm = Tail::default();
        let mut wild = Tail::default();
        for i in 0..2000 {
            calm.learn(0.8, 300.0);
            wild.learn(if i % 20 == 0 { 12.0 } else { 0.8 }, 300.0);
        }
        assert!(calm.p(12.0) < 1e-6, "{}", calm.p(12.0));
        assert!(wild.p(12.0) > 1e-2, "{}", wild.p(12.0));
        // The other side learned nothing of it.
        assert!(wild.p(-12.0) < 1e-3, "{}", wild.p(-12.0));
    }
}
