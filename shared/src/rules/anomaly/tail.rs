//! How rare a standardised deviation is, learned from the series itself: each side of the
//! expected value has an exceedance rate over a high threshold and a generalised Pareto
//! tail past it (peaks over threshold, as in Siffer et al., "Anomaly detection in streams
//! with extreme value theory", 2017; shape and scale by the method of moments), so a
//! series whose deviations are heavy-tailed learns that large ones are common, and a calm
//! one does not.

use super::ew::decay;

/// Deviations past this many typical deviations are tail events.
const THRESHOLD: f64 = 3.0;
/// A second, lower threshold whose exceedance rate shapes the body: between zero, this
/// and `THRESHOLD` the survival function is interpolated on a log scale, so a light-tailed
/// (bounded, say) series is not judged by a Laplace shape it does not have.
const BODY: f64 = 1.5;
/// The prior, worth this many observations: a Laplace distribution (one-sided rate
/// ½·e^-3 past the threshold, mean excess 1), the shape of a typical deviation's tail.
const PRIOR_POINTS: f64 = 20.0;
/// One extreme point counts for at most this many current mean excesses, so a single
/// outage does not make every later deviation look ordinary for a week.
const EXCESS_CAP: f64 = 10.0;
/// The tail's shape has a prior worth this many exceedances: exponential (shape 0), as a
/// Laplace or Gaussian tail is; a few large ones do not make it heavy.
const SHAPE_PRIOR: f64 = 5.0;
/// The heaviest shape allowed: past ½ the variance the method of moments rests on is
/// infinite.
const SHAPE_MAX: f64 = 0.45;
/// How long tail statistics remember (seconds): long enough to see tail events, short
/// enough to follow a series that grows noisier.
const HALF_LIFE_SECS: f64 = 7.0 * 86_400.0;

#[derive(Debug, Clone)]
struct Side {
    /// Effective number of points past `BODY`.
    body: f64,
    /// Effective number of exceedances.
    exceedances: f64,
    /// Effective sum of their excess over the threshold, and of its square.
    excess: f64,
    excess2: f64,
}

impl Side {
    fn prior() -> Self {
        let exceedances = PRIOR_POINTS * 0.5 * (-THRESHOLD).exp();
        Self {
            body: PRIOR_POINTS * 0.5 * (-BODY).exp(),
            exceedances,
            excess: exceedances,
            excess2: 2.0 * exceedances,
        }
    }

    fn mean_excess(&self) -> f64 {
        if self.exceedances > 1e-9 {
            (self.excess / self.exceedances).max(1e-3)
        } else {
            1.0
        }
    }

    /// The generalised Pareto shape ξ and scale σ of the excesses: mean σ/(1−ξ) and
    /// variance σ²/((1−ξ)²(1−2ξ)), with the exponential prior mixed in.
    fn shape_scale(&self) -> (f64, f64) {
        let n = self.exceedances + SHAPE_PRIOR;
        let mean = (self.excess + SHAPE_PRIOR * self.mean_excess()) / n;
        let second = (self.excess2 + SHAPE_PRIOR * 2.0 * self.mean_excess().powi(2)) / n;
        let var = (second - mean * mean).max(1e-12);
        let shape = (0.5 * (1.0 - mean * mean / var)).clamp(0.0, SHAPE_MAX);
        (shape, (mean * (1.0 - shape)).max(1e-3))
    }
}

/// The survival function of a generalised Pareto excess `y`.
fn survival(y: f64, shape: f64, scale: f64) -> f64 {
    if shape < 1e-6 {
        (-y / scale).exp()
    } else {
        (1.0 + shape * y / scale).powf(-1.0 / shape)
    }
}

/// The rate past the threshold never falls below this (per point, one side): after weeks
/// of calm a point just past it is unusual, not impossible.
const RATE_FLOOR: f64 = 1e-3;

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

    /// The rates past `BODY` and past `THRESHOLD`, ordered and floored.
    fn rates(&self, side: &Side) -> (f64, f64) {
        let tail = (side.exceedances / self.points).clamp(RATE_FLOOR, 0.5);
        let body = (side.body / self.points).clamp(tail, 0.5);
        (body, tail)
    }

    /// The probability of a deviation at least as far as `z` (in typical deviations) on
    /// its side: exponential in both the body and the tail, joined at the threshold.
    pub fn p(&self, z: f64) -> f64 {
        let side = self.side(z);
        let (body, rate) = self.rates(side);
        let a = z.abs();
        let between = |from: f64, to: f64, p_from: f64, p_to: f64| {
            (p_from.ln() + (a - from) / (to - from) * (p_to / p_from).ln()).exp()
        };
        if a <= BODY {
            return between(0.0, BODY, 0.5, body);
        }
        if a <= THRESHOLD {
            return between(BODY, THRESHOLD, body, rate);
        }
        let (shape, scale) = side.shape_scale();
        rate * survival(a - THRESHOLD, shape, scale)
    }

    /// The deviation (in typical deviations, positive) whose probability on the side of
    /// `sign` is `p`: where a value starts to count as an anomaly.
    pub fn quantile(&self, p: f64, sign: f64) -> f64 {
        let side = self.side(sign);
        let (body, rate) = self.rates(side);
        let p = p.clamp(f64::MIN_POSITIVE, 0.5);
        let at = |from: f64, to: f64, p_from: f64, p_to: f64| {
            from + (to - from) * (p / p_from).ln() / (p_to / p_from).ln().min(-1e-12)
        };
        if p >= body {
            return at(0.0, BODY, 0.5, body);
        }
        if p >= rate {
            return at(BODY, THRESHOLD, body, rate);
        }
        let past = (rate / p).ln();
        let (shape, scale) = side.shape_scale();
        if shape < 1e-6 {
            THRESHOLD + scale * past
        } else {
            THRESHOLD + scale / shape * ((shape * past).exp() - 1.0)
        }
    }

    /// Learns one deviation `z`, `dt_secs` after the previous one.
    pub fn learn(&mut self, z: f64, dt_secs: f64) {
        let keep = decay(dt_secs, HALF_LIFE_SECS);
        self.points = self.points * keep + 1.0;
        for side in [&mut self.above, &mut self.below] {
            side.body *= keep;
            side.exceedances *= keep;
            side.excess *= keep;
            side.excess2 *= keep;
        }
        let a = z.abs();
        let side = if z >= 0.0 {
            &mut self.above
        } else {
            &mut self.below
        };
        if a > BODY {
            side.body += 1.0;
        }
        if a > THRESHOLD {
            let y = (a - THRESHOLD).min(EXCESS_CAP * side.mean_excess());
            side.exceedances += 1.0;
            side.excess += y;
            side.excess2 += y * y;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prior_is_a_laplace_tail() {
        let tail = Tail::default();
        for z in [0.0, 1.0, 1.5, 2.5, 3.0, -5.0] {
            let laplace = 0.5 * (-f64::abs(z)).exp();
            assert!(
                (tail.p(z) - laplace).abs() < 1e-12,
                "{z}: {} {laplace}",
                tail.p(z)
            );
        }
    }

    #[test]
    fn quantile_inverts_p() {
        let mut tail = Tail::default();
        for i in 0..500 {
            tail.learn(if i % 10 == 0 { 6.0 } else { 0.5 }, 60.0);
        }
        for p in [0.3, 0.1, 1e-2, 1e-5, 1e-9] {
            let z = tail.quantile(p, 1.0);
            assert!((tail.p(z) / p - 1.0).abs() < 1e-9, "{p} {z} {}", tail.p(z));
        }
    }

    #[test]
    fn a_heavy_tail_is_learned_as_heavy() {
        // Excesses from a Pareto tail (shape ⅓), drawn by inverting its survival function.
        let mut tail = Tail::default();
        for i in 0..5000 {
            let u = (f64::from(i % 97) + 0.5) / 97.0;
            let y = 3.0 * (u.powf(-1.0 / 3.0) - 1.0);
            tail.learn(if i % 5 == 0 { 3.0 + y } else { 0.5 }, 60.0);
        }
        let (shape, _) = tail.above.shape_scale();
        assert!((0.2..=SHAPE_MAX).contains(&shape), "{shape}");
    }

    #[test]
    fn a_bounded_noise_is_not_judged_by_a_laplace_body() {
        let mut tail = Tail::default();
        for i in 0..5000 {
            tail.learn(f64::from(i % 21) / 10.0 - 1.0, 300.0);
        }
        // Nothing past 3 ever: the floor, not the prior, sets the rate, and the body in
        // between is interpolated from what was seen.
        assert!(tail.p(2.5) > 1e-3, "{}", tail.p(2.5));
        assert!(tail.p(6.0) < 1e-4, "{}", tail.p(6.0));
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
        assert!(
            calm.above.shape_scale().0 < 0.05,
            "{:?}",
            calm.above.shape_scale()
        );
        assert!(wild.p(12.0) > 1e-2, "{}", wild.p(12.0));
        // The other side learned nothing of it.
        assert!(wild.p(-12.0) < 1e-3, "{}", wild.p(-12.0));
    }
}
