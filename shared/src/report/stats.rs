//! Small statistics over plain numbers: mean, median, percentile, hourly means.

use super::metrics::Point;
use crate::domain::Timestamp;

pub fn mean(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// The middle value; with an even count, the mean of the two middle values rounded down.
pub fn median_secs(values: &[u64]) -> Option<u64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2),
    }
}

/// The nearest-rank percentile (`p` in 0..=100) of the finite values.
pub fn percentile(values: impl IntoIterator<Item = f64>, p: f64) -> Option<f64> {
    let mut sorted: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let rank = ((p.clamp(0.0, 100.0) / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The hour (from `start`) with the highest mean, as (hour start, mean).
pub fn peak_hour(points: &[Point], start: Timestamp) -> Option<(Timestamp, f64)> {
    let mut hours: std::collections::BTreeMap<i64, (f64, usize)> = Default::default();
    for &(at, v) in points.iter().filter(|(_, v)| v.is_finite()) {
        let hour = (at.millis() - start.millis()).div_euclid(3_600_000);
        let e = hours.entry(hour).or_default();
        e.0 += v;
        e.1 += 1;
    }
    hours
        .into_iter()
        .map(|(h, (sum, n))| {
            let at = Timestamp::from_millis(start.millis() + h * 3_600_000);
            (at, sum / n as f64)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median_secs(&[]), None);
        assert_eq!(median_secs(&[7]), Some(7));
        assert_eq!(median_secs(&[10, 1, 4]), Some(4));
        assert_eq!(median_secs(&[10, 1, 4, 6]), Some(5));
    }

    #[test]
    fn percentile_is_nearest_rank_and_skips_nan() {
        let v = [1.0, 2.0, 3.0, 4.0, f64::NAN, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(percentile(v, 95.0), Some(10.0));
        assert_eq!(percentile(v, 50.0), Some(5.0));
        assert_eq!(mean([1.0, 3.0, f64::NAN]), Some(2.0));
    }

    #[test]
    fn peak_hour_is_the_hour_with_the_highest_mean() {
        let t = |m: i64| Timestamp::from_secs(m * 60);
        let points = [(t(0), 50.0), (t(30), 60.0), (t(60), 90.0), (t(90), 70.0)];
        assert_eq!(peak_hour(&points, t(0)), Some((t(60), 80.0)));
    }
}
