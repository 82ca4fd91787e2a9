//! A series as a chart line: means over equal time buckets, broken where data is missing.
//!
//! A day of one-minute points is more points than the chart has pixels: drawn as they are,
//! the noise fills a band and hides the line under it, and points of several series that
//! share a time (two versions of a model) zig-zag between them. One mean per bucket keeps
//! the shape and the level; a gap in the data stays a gap instead of a straight line
//! across it.

/// Points `(x, y)` with `x` from 0 to `x_max`, as runs of bucket means `(bucket centre,
/// mean)`. `buckets` equal buckets span `0..x_max`; a run ends where the next bucket with
/// data is more than three times the usual distance away.
pub(super) fn runs(points: &[(f64, f64)], x_max: f64, buckets: usize) -> Vec<Vec<(f64, f64)>> {
    if x_max <= 0.0 || buckets == 0 {
        return Vec::new();
    }
    let width = x_max / buckets as f64;
    let mut sums = vec![(0.0f64, 0usize); buckets];
    for &(x, y) in points {
        if !(x.is_finite() && y.is_finite()) || x < 0.0 || x > x_max {
            continue;
        }
        let i = ((x / width) as usize).min(buckets - 1);
        sums[i].0 += y;
        sums[i].1 += 1;
    }
    let means: Vec<(f64, f64)> = sums
        .iter()
        .enumerate()
        .filter(|(_, (_, n))| *n > 0)
        .map(|(i, (sum, n))| ((i as f64 + 0.5) * width, sum / *n as f64))
        .collect();
    let mut gaps: Vec<f64> = means.windows(2).map(|w| w[1].0 - w[0].0).collect();
    gaps.sort_by(f64::total_cmp);
    let usual = gaps.get(gaps.len() / 2).copied().unwrap_or(width);
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    for p in means {
        match out.last_mut() {
            Some(run) if run.last().is_some_and(|l| p.0 - l.0 <= 3.0 * usual) => run.push(p),
            _ => out.push(vec![p]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_in_a_bucket_become_their_mean_at_its_centre() {
        // Ten buckets of width 1; two series at the same times (zig-zag) average out.
        let points: Vec<(f64, f64)> = (0..100)
            .map(|i| (i as f64 / 10.0, if i % 2 == 0 { 1.0 } else { 3.0 }))
            .collect();
        let runs = runs(&points, 10.0, 10);
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].len(), 10);
        assert!(
            runs[0].iter().all(|(_, y)| (*y - 2.0).abs() < 1e-9),
            "{runs:?}"
        );
        assert_eq!(runs[0][0].0, 0.5);
    }

    #[test]
    fn a_gap_in_the_data_breaks_the_line_and_coarse_data_does_not() {
        // Hourly points over 24 h in 96 buckets of 15 min: every fourth bucket has data,
        // which is the usual spacing, not a gap. Hours 8 to 14 are missing: a gap.
        let points: Vec<(f64, f64)> = (0..24)
            .filter(|h| !(8..=14).contains(h))
            .map(|h| (h as f64, 1.0))
            .collect();
        let runs = runs(&points, 24.0, 96);
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert_eq!(runs[0].len(), 8);
        assert_eq!(runs[1].len(), 9);
    }

    #[test]
    fn nothing_to_draw_is_no_runs() {
        assert!(runs(&[], 24.0, 96).is_empty());
        assert!(runs(&[(f64::NAN, 1.0), (1.0, f64::INFINITY)], 24.0, 96).is_empty());
    }
}
