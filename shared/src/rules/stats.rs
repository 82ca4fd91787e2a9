//! Statistics over points: aggregations, mean and deviation, median and MAD, scores.

use serde::{Deserialize, Serialize};

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

    /// The aggregate of `values`; `None` when there are none.
    pub fn apply(self, values: &[f64]) -> Option<f64> {
        if values.is_empty() {
            return None;
        }
        Some(match self {
            Self::Avg => mean(values),
            Self::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
            Self::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            Self::Sum => values.iter().sum(),
            Self::Last => values[values.len() - 1],
            Self::P50 => percentile(values, 50.0),
            Self::P95 => percentile(values, 95.0),
            Self::P99 => percentile(values, 99.0),
        })
    }
}

pub fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Population standard deviation.
pub fn std_dev(values: &[f64], mean: f64) -> f64 {
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64;
    var.sqrt()
}

/// Nearest-rank percentile (what Datadog's pXX of a handful of points means).
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
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

    #[test]
    fn every_aggregation_reduces_a_window_as_named() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(Aggregation::Avg.apply(&v), Some(50.5));
        assert_eq!(Aggregation::Min.apply(&v), Some(1.0));
        assert_eq!(Aggregation::Max.apply(&v), Some(100.0));
        assert_eq!(Aggregation::Sum.apply(&v), Some(5050.0));
        assert_eq!(Aggregation::Last.apply(&v), Some(100.0));
        assert_eq!(Aggregation::P50.apply(&v), Some(50.0));
        assert_eq!(Aggregation::P95.apply(&v), Some(95.0));
        assert_eq!(Aggregation::P99.apply(&v), Some(99.0));
        assert_eq!(Aggregation::Avg.apply(&[]), None);
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
