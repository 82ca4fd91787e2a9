//! Statistics over points: aggregations, mean and deviation, median and MAD, scores.

use serde::{Deserialize, Serialize};

use super::series::Point;

/// How the points of a rolling window become one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    Avg,
    Min,
    Max,
    Sum,
    Last,
    P50,
    P95,
    P99,
}

impl Aggregation {
    pub const NAMES: &'static str = "avg, min, max, sum, last, p50, p95 or p99";

    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "avg" | "mean" => Self::Avg,
            "min" => Self::Min,
            "max" => Self::Max,
            "sum" => Self::Sum,
            "last" => Self::Last,
            "p50" | "median" => Self::P50,
            "p95" => Self::P95,
            "p99" => Self::P99,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Avg => "avg",
            Self::Min => "min",
            Self::Max => "max",
            Self::Sum => "sum",
            Self::Last => "last",
            Self::P50 => "p50",
            Self::P95 => "p95",
            Self::P99 => "p99",
        }
    }

    /// The aggregate of `values`, which it may reorder; `None` when there are none.
    pub fn apply(self, values: &mut [f64]) -> Option<f64> {
        if values.is_empty() {
            return None;
        }
        Some(match self {
            Self::Avg => sum(values) / values.len() as f64,
            Self::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
            Self::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            Self::Sum => sum(values),
            Self::Last => values[values.len() - 1],
            Self::P50 => percentile_in_place(values, 50.0),
            Self::P95 => percentile_in_place(values, 95.0),
            Self::P99 => percentile_in_place(values, 99.0),
        })
    }
}

/// The sum in four interleaved lanes: the same answer for the same values wherever a
/// window starts, and four times the throughput of one running sum.
fn sum_by<T>(items: &[T], value: impl Fn(&T) -> f64) -> f64 {
    let mut lanes = [0.0; 4];
    let chunks = items.chunks_exact(4);
    let rest: f64 = chunks.remainder().iter().map(&value).sum();
    for c in chunks {
        for (lane, item) in lanes.iter_mut().zip(c) {
            *lane += value(item);
        }
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + rest
}

fn sum(values: &[f64]) -> f64 {
    sum_by(values, |v| *v)
}

/// Mean and population standard deviation of `value` over `items`, in two passes (no
/// cancellation when the spread is small against the level).
pub fn mean_sd_by<T>(items: &[T], value: impl Fn(&T) -> f64) -> (f64, f64) {
    let n = items.len() as f64;
    let mean = sum_by(items, &value) / n;
    let squares = sum_by(items, |item| (value(item) - mean).powi(2));
    (mean, (squares / n).sqrt())
}

/// Nearest-rank percentile (what Datadog's pXX of a handful of points means), reordering
/// `values` in place (linear time).
pub fn percentile_in_place(values: &mut [f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    let (_, nth, _) =
        values.select_nth_unstable_by(rank.clamp(1, values.len()) - 1, f64::total_cmp);
    *nth
}

/// Median, reordering `values` in place (linear time).
pub fn median_in_place(values: &mut [f64]) -> f64 {
    let n = values.len();
    let mid = n / 2;
    let (_, upper, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        upper
    } else {
        let lower = values[..mid]
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    }
}

/// Median and median absolute deviation scaled to be comparable with σ (× 1.4826).
pub fn median_mad(values: &mut [f64]) -> (f64, f64) {
    let median = median_in_place(values);
    for v in values.iter_mut() {
        *v = (*v - median).abs();
    }
    (median, 1.4826 * median_in_place(values))
}

/// A robust baseline's median and spread: the MAD, or where more than half of the values
/// sit at the median (an error rate at 0 most minutes, a count that is 10 or 11) the
/// spread of such a mixture: the others' typical distance from the median (their median
/// distance, scaled as the MAD), times the square root of their share. The MAD is then 0
/// however far the rest lie, and every other value would be infinitely far out: each
/// minute with an error would page. A few wild values among many at the median weigh
/// little by their share, and move the typical distance no more than a MAD. 0 only when
/// every value is the median. Reorders `values`.
pub(crate) fn median_spread(values: &mut [f64]) -> (f64, f64) {
    let (median, mad) = median_mad(values);
    if mad > 0.0 {
        return (median, mad);
    }
    // `values` now holds each one's distance from the median.
    let mut departing = 0;
    for i in 0..values.len() {
        if values[i] > 0.0 {
            values.swap(departing, i);
            departing += 1;
        }
    }
    if departing == 0 {
        return (median, 0.0);
    }
    let share = departing as f64 / values.len() as f64;
    let typical = median_in_place(&mut values[..departing]);
    (median, 1.4826 * typical * share.sqrt())
}

/// Mean and standard deviation at one interval's scale of `(value, weight)` pairs, each
/// value the average of `weight` evaluation intervals (history Datadog rolled up). An
/// average keeps what changes slowly (a daily swing) and loses the variation inside its
/// intervals, so the spread is the values' own, each weighing the intervals it stands
/// for, plus `within` (the variance of one interval about its bucket's average, from
/// history read at the cadence: `within_variance`) for the share of intervals that came
/// averaged. Without it (too little history at the cadence), the averages are taken for
/// independent noise, which an average of w intervals narrows w times: wider than the
/// truth for a series with a slow swing, so it errs towards paging less. With every
/// weight 1 it is `mean_sd_by`'s answer.
pub(crate) fn weighted_mean_sd(values: &[(f64, f64)], within: Option<f64>) -> (f64, f64) {
    let total = sum_by(values, |(_, w)| *w);
    let mean = sum_by(values, |(v, w)| v * w) / total;
    let between = sum_by(values, |(v, w)| w * (v - mean).powi(2)) / total;
    let within = within.unwrap_or_else(|| as_noise(values, between));
    (
        mean,
        (between + within * averaged_share(values, total)).sqrt(),
    )
}

/// Median and MAD (× 1.4826) of `(value, weight)` pairs as `weighted_mean_sd` reads them:
/// both by weight, the spread with `within` added for the share that came averaged; with
/// more than half of the weight at the median, the mixture's spread (`median_spread`).
/// Reorders `values`.
pub(crate) fn weighted_median_mad(values: &mut [(f64, f64)], within: Option<f64>) -> (f64, f64) {
    let total = sum_by(values, |(_, w)| *w);
    let share = averaged_share(values, total);
    let median = weighted_median(values, total);
    for (v, _) in values.iter_mut() {
        *v = (*v - median).abs();
    }
    let mut mad = 1.4826 * weighted_median(values, total);
    if mad == 0.0 {
        // More than half of the weight at the median: the mixture's spread, as
        // `median_spread` takes it (`weighted_median` left the distances in order).
        let first = values.partition_point(|(d, _)| *d == 0.0);
        let departing = &mut values[first..];
        if !departing.is_empty() {
            let weight = sum_by(departing, |(_, w)| *w);
            let typical = weighted_median(departing, weight);
            mad = 1.4826 * typical * (weight / total).sqrt();
        }
    }
    let within = within.unwrap_or_else(|| as_noise(values, mad * mad));
    (median, (mad * mad + within * share).sqrt())
}

/// What averaging lost if the values were independent noise of variance `variance`
/// among averages of w intervals: (w − 1) times it, w the averages' weight.
fn as_noise(values: &[(f64, f64)], variance: f64) -> f64 {
    let w = values.iter().map(|(_, w)| *w).fold(1.0, f64::max);
    (w - 1.0) * variance
}

/// The variance of single intervals about the average of each run of `per_bucket` of
/// them, from `values` read at the cadence (in time order): what a bucket's average
/// loses. None from fewer than two values.
pub(crate) fn within_variance(values: &[f64], per_bucket: usize) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    // Fewer values than a bucket: they stand for one.
    let size = per_bucket.clamp(2, values.len());
    let (mut squares, mut free) = (0.0, 0usize);
    for bucket in values.chunks_exact(size) {
        let mean = sum(bucket) / size as f64;
        squares += bucket.iter().map(|v| (v - mean).powi(2)).sum::<f64>();
        free += size - 1;
    }
    Some(squares / free as f64)
}

/// What averaging `per_bucket` intervals lost, from the averages alone (in time order),
/// for when too little history was read at the cadence to measure it. The second
/// difference of three evenly spaced averages, a − 2b + c, cancels a level and a slope
/// (so a slow swing leaves next to nothing) and has six times the variance their noise
/// kept; the average of w intervals of such noise kept 1/w of it. Only evenly spaced
/// triples count (a bucket Datadog left empty would add the level change across it),
/// and None from fewer than `MIN_TRIPLES`: an estimate of a handful could be near zero.
pub(crate) fn lost_by_averaging(averages: &[Point], per_bucket: f64) -> Option<f64> {
    const MIN_TRIPLES: usize = 8;
    let (mut squares, mut triples) = (0.0, 0usize);
    for t in averages.windows(3) {
        let (a, b, c) = (&t[0], &t[1], &t[2]);
        if b.at.millis() - a.at.millis() != c.at.millis() - b.at.millis() {
            continue;
        }
        squares += (a.value - 2.0 * b.value + c.value).powi(2);
        triples += 1;
    }
    (triples >= MIN_TRIPLES).then(|| (per_bucket - 1.0).max(0.0) * squares / (6.0 * triples as f64))
}

/// The share of the intervals that came averaged (weight above 1).
fn averaged_share(values: &[(f64, f64)], total: f64) -> f64 {
    sum_by(values, |(_, w)| if *w > 1.0 { *w } else { 0.0 }) / total
}

/// The value below which half the weight lies. Reorders `values`.
fn weighted_median(values: &mut [(f64, f64)], total: f64) -> f64 {
    values.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut below = 0.0;
    values
        .iter()
        .find(|(_, w)| {
            below += w;
            below >= total / 2.0
        })
        .map_or(f64::NAN, |(v, _)| *v)
}

/// How anomalous a deviation of `z` standard deviations is, in [0, 1]: the two-sided
/// normal probability mass within `|z|` (0.68 at 1σ, 0.95 at 2σ, 0.997 at 3σ).
pub fn z_score_to_anomaly(z: f64) -> f64 {
    erf(z.abs() / std::f64::consts::SQRT_2).clamp(0.0, 1.0)
}

/// Abramowitz and Stegun 7.1.26; absolute error below 1.5e-7, plenty for a score.
fn erf(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    1.0 - poly * (-x * x).exp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;

    /// Independent noise of spread 1, one value an interval: a fixed sequence.
    fn noise(n: usize) -> Vec<f64> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Twelve uniforms less six: near normal, spread 1.
                (0..12)
                    .map(|i| ((state.rotate_left(5 * i) & 0xffff) as f64) / 65_536.0)
                    .sum::<f64>()
                    - 6.0
            })
            .collect()
    }

    /// `minutes` as Datadog returns them over a long window: averages of 7.
    fn rolled(minutes: &[f64]) -> Vec<(f64, f64)> {
        minutes
            .chunks(7)
            .map(|c| (c.iter().sum::<f64>() / 7.0, 7.0))
            .collect()
    }

    #[test]
    fn rolled_up_values_give_the_spread_of_one_interval() {
        // Independent noise: the averages vary √7 times less than the minutes.
        let minutes = noise(7 * 6_000);
        let (_, minute_sd) = mean_sd_by(&minutes, |v| *v);
        let within = within_variance(&minutes[..70], 7).unwrap();
        let (_, plain_sd) = mean_sd_by(&rolled(&minutes), |(v, _)| *v);
        let (_, sd) = weighted_mean_sd(&rolled(&minutes), Some(within));
        assert!(
            (plain_sd / minute_sd - 1.0 / 7f64.sqrt()).abs() < 0.05,
            "{plain_sd} {minute_sd}"
        );
        assert!((sd / minute_sd - 1.0).abs() < 0.15, "{sd} {minute_sd}");
        let (_, mad) = weighted_median_mad(&mut rolled(&minutes), Some(within));
        assert!((mad / minute_sd - 1.0).abs() < 0.15, "{mad} {minute_sd}");

        // A daily swing four times the noise: the averages keep it whole, so scaling
        // them up by √7 would call the spread 2.6 times what it is.
        let swinging: Vec<f64> = minutes
            .iter()
            .enumerate()
            .map(|(i, v)| v + 4.0 * (i as f64 / 1440.0 * std::f64::consts::TAU).sin())
            .collect();
        let (_, minute_sd) = mean_sd_by(&swinging, |v| *v);
        let within = within_variance(&swinging[..70], 7).unwrap();
        let (_, sd) = weighted_mean_sd(&rolled(&swinging), Some(within));
        assert!((sd / minute_sd - 1.0).abs() < 0.1, "{sd} {minute_sd}");
        let (_, minute_mad) = median_mad(&mut swinging.clone());
        let (_, mad) = weighted_median_mad(&mut rolled(&swinging), Some(within));
        assert!((mad / minute_mad - 1.0).abs() < 0.1, "{mad} {minute_mad}");

        // Too little history at the cadence to measure: what averaging lost, from the
        // neighbouring averages, for the noise and for the swing alike, at 7 minutes a
        // point (7 days) and at 27 (four weeks).
        for w in [7usize, 27] {
            for series in [&minutes, &swinging] {
                let averages: Vec<Point> = series
                    .chunks_exact(w)
                    .enumerate()
                    .map(|(i, c)| {
                        let at = Timestamp::from_secs(60 * (w * i) as i64);
                        Point::new(at, c.iter().sum::<f64>() / w as f64)
                    })
                    .collect();
                let lost = lost_by_averaging(&averages, w as f64).unwrap();
                let expected = (w as f64 - 1.0) / w as f64;
                assert!((lost / expected - 1.0).abs() < 0.15, "w {w}: {lost}");
                if w == 7 {
                    let (_, sd) = weighted_mean_sd(&rolled(series), Some(lost));
                    let (_, minute_sd) = mean_sd_by(series, |v| *v);
                    assert!((sd / minute_sd - 1.0).abs() < 0.1, "{sd} {minute_sd}");
                }
            }
        }
        // A bucket left empty is no neighbour; a handful of averages is no estimate.
        let step = |i: i64, v: f64| Point::new(Timestamp::from_secs(i * 420), v);
        let mut gapped: Vec<Point> = (0..20).map(|i| step(i, 0.0)).collect();
        gapped.extend((21..41).map(|i| step(i, 100.0)));
        assert_eq!(lost_by_averaging(&gapped, 7.0), Some(0.0));
        assert_eq!(lost_by_averaging(&gapped[..9], 7.0), None);
        // Without even that, the averages are taken for noise.
        let (_, sd) = weighted_mean_sd(&rolled(&minutes), None);
        let (_, minute_sd) = mean_sd_by(&minutes, |v| *v);
        assert!((sd / minute_sd - 1.0).abs() < 0.05, "{sd} {minute_sd}");

        // A level shift moves the weighted mean by the intervals each value stands for.
        let mixed = [(10.0, 9.0), (20.0, 1.0)];
        assert_eq!(weighted_mean_sd(&mixed, Some(0.0)).0, 11.0);
    }

    #[test]
    fn the_variance_within_buckets_is_of_single_intervals_about_their_bucket() {
        assert_eq!(within_variance(&[1.0], 7), None);
        // Two buckets of three, each its own level: only the spread inside each counts.
        let values = [1.0, 2.0, 3.0, 11.0, 12.0, 13.0];
        assert_eq!(within_variance(&values, 3), Some(1.0));
        // Fewer values than a bucket stand for one.
        assert_eq!(within_variance(&[1.0, 3.0], 7), Some(2.0));
    }

    #[test]
    fn with_more_than_half_at_the_median_the_spread_is_the_mixtures() {
        // Six of ten at 0: the MAD is 0; the others lie 1, 2, 2 and 50 away, typically 2,
        // and are four in ten.
        let mut values = [0.0, 0.0, 2.0, 0.0, 1.0, 0.0, -2.0, 0.0, 50.0, 0.0];
        assert_eq!(median_mad(&mut values.clone()), (0.0, 0.0));
        let (median, spread) = median_spread(&mut values);
        assert_eq!(median, 0.0);
        assert!(
            (spread - 1.4826 * 2.0 * 0.4f64.sqrt()).abs() < 1e-12,
            "{spread}"
        );
        // With a MAD, the MAD; with every value alike, nothing.
        let mut spread = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(median_spread(&mut spread), (3.0, 1.4826));
        assert_eq!(median_spread(&mut [7.0, 7.0, 7.0]), (7.0, 0.0));
        // By weight alike: 0 carries 5 of 9; the others, 4 of 9, typically 7 away.
        let mut weighted = [(0.0, 3.0), (0.0, 2.0), (-2.0, 1.0), (7.0, 3.0)];
        let (median, spread) = weighted_median_mad(&mut weighted, Some(0.0));
        assert_eq!(median, 0.0);
        let expected = 1.4826 * 7.0 * (4.0f64 / 9.0).sqrt();
        assert!((spread - expected).abs() < 1e-12, "{spread}");
    }

    #[test]
    fn with_every_weight_one_the_weighted_statistics_are_the_plain_ones() {
        let values = noise(1_001);
        let ones: Vec<(f64, f64)> = values.iter().map(|v| (*v, 1.0)).collect();
        let (mean, sd) = mean_sd_by(&values, |v| *v);
        let (w_mean, w_sd) = weighted_mean_sd(&ones, Some(5.0));
        assert!((mean - w_mean).abs() < 1e-12 && (sd - w_sd).abs() < 1e-12);
        let (median, mad) = median_mad(&mut values.clone());
        let (w_median, w_mad) = weighted_median_mad(&mut ones.clone(), Some(5.0));
        assert_eq!(w_median, median);
        assert!((w_mad - mad).abs() < 1e-12);
    }

    #[test]
    fn every_aggregation_reduces_a_window_as_named() {
        // Shuffled, as the percentiles may reorder it: 37 is coprime with 100.
        let v: Vec<f64> = (0..100).map(|i| f64::from((i * 37) % 100 + 1)).collect();
        let last = v[99];
        let apply = |a: Aggregation| a.apply(&mut v.clone());
        assert_eq!(apply(Aggregation::Avg), Some(50.5));
        assert_eq!(apply(Aggregation::Min), Some(1.0));
        assert_eq!(apply(Aggregation::Max), Some(100.0));
        assert_eq!(apply(Aggregation::Sum), Some(5050.0));
        assert_eq!(apply(Aggregation::Last), Some(last));
        assert_eq!(apply(Aggregation::P50), Some(50.0));
        assert_eq!(apply(Aggregation::P95), Some(95.0));
        assert_eq!(apply(Aggregation::P99), Some(99.0));
        assert_eq!(Aggregation::Avg.apply(&mut []), None);
    }

    #[test]
    fn mean_and_deviation_match_the_textbook_formulas_at_any_length() {
        for n in 1..=13 {
            let v: Vec<f64> = (0..n).map(|i| 1000.0 + f64::from(i % 5) * 0.25).collect();
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
            let (m, sd) = mean_sd_by(&v, |x| *x);
            assert!((m - mean).abs() < 1e-9, "{n}: {m} vs {mean}");
            assert!(
                (sd - var.sqrt()).abs() < 1e-9,
                "{n}: {sd} vs {}",
                var.sqrt()
            );
        }
    }

    #[test]
    fn median_and_mad_ignore_one_wild_point() {
        let mut v = vec![10.0, 11.0, 9.0, 10.0, 1000.0];
        let (median, mad) = median_mad(&mut v);
        assert_eq!(median, 10.0);
        assert!((mad - 1.4826).abs() < 1e-9, "{mad}");
    }

    #[test]
    fn anomaly_score_grows_with_sigma_and_stays_in_unit_range() {
        assert!(z_score_to_anomaly(0.0).abs() < 1e-6);
        assert!((z_score_to_anomaly(2.0) - 0.9545).abs() < 1e-3);
        assert!(z_score_to_anomaly(-3.0) > 0.997);
        assert!(z_score_to_anomaly(50.0) <= 1.0);
    }
}
