//! The data a monitor reads: points of one metric for one group (model, version, environment).

use crate::domain::Timestamp;

/// One data point of a metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub at: Timestamp,
    pub value: f64,
}

impl Point {
    pub fn new(at: Timestamp, value: f64) -> Self {
        Self { at, value }
    }
}

/// The points of one group, in time order, and for a version comparison the stable
/// version's points over the same span.
#[derive(Debug, Clone, Copy)]
pub struct Data<'a> {
    pub points: &'a [Point],
    pub stable: Option<&'a [Point]>,
    /// The stable version's name, when the monitor does not name one.
    pub stable_version: Option<&'a str>,
    /// How the oldest points came, when Datadog rolled them up to fit its point limit.
    pub rollup: Option<Rollup>,
    /// The newest instant whose window Datadog has delivered whole (a live run's: its own
    /// newest minutes are still arriving); none when every point is in (a backtest).
    pub complete_through: Option<Timestamp>,
}

impl<'a> Data<'a> {
    pub fn new(points: &'a [Point]) -> Self {
        Self {
            points,
            stable: None,
            stable_version: None,
            rollup: None,
            complete_through: None,
        }
    }

    pub fn with_stable(points: &'a [Point], version: &'a str, stable: &'a [Point]) -> Self {
        Self {
            stable: Some(stable),
            stable_version: Some(version),
            ..Self::new(points)
        }
    }
}

/// History read at a coarser interval than the monitor's cadence (Datadog returns at most
/// 1,500 points a series): each point at or before `until` is the average of `per_point`
/// evaluation intervals, not one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rollup {
    pub until: Timestamp,
    pub per_point: f64,
}

impl Rollup {
    /// How many evaluation intervals the point at `at` stands for.
    pub fn weight_at(&self, at: Timestamp) -> f64 {
        if at <= self.until {
            self.per_point
        } else {
            1.0
        }
    }
}

/// The points with `from < at <= to` (points are in time order), both ends searched
/// back from the last point: a few steps for the recent windows evaluations read.
pub fn between(points: &[Point], from: Timestamp, to: Timestamp) -> &[Point] {
    let upto = &points[..first_after(points, to)];
    &upto[first_after(upto, from)..]
}

/// How many points are at or before `to`, galloping forward from `hint` (any index: a
/// good one, such as the answer for the previous instant, makes it a few steps).
pub(crate) fn count_upto(points: &[Point], to: Timestamp, hint: usize) -> usize {
    let mut lo = hint.min(points.len());
    if lo > 0 && points[lo - 1].at > to {
        return first_after(&points[..lo], to);
    }
    // Every point before `lo` is at or before `to`.
    let mut step = 1;
    loop {
        let probe = lo + step - 1;
        let Some(p) = points.get(probe) else {
            return lo + points[lo..].partition_point(|p| p.at <= to);
        };
        if p.at > to {
            return lo + points[lo..probe].partition_point(|p| p.at <= to);
        }
        lo = probe + 1;
        step *= 2;
    }
}

/// The index of the first point after `from`, galloping back from the end: a few steps
/// when it is near the end, never more than twice a binary search's.
fn first_after(points: &[Point], from: Timestamp) -> usize {
    // Every point from `after` on is after `from`.
    let mut after = points.len();
    let mut step = 1;
    while after > 0 {
        let probe = after.saturating_sub(step);
        if points[probe].at <= from {
            return probe + 1 + points[probe + 1..after].partition_point(|p| p.at <= from);
        }
        after = probe;
        step *= 2;
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn between_finds_the_same_points_as_a_scan() {
        let points: Vec<Point> = [0, 10, 10, 20, 30, 30, 30, 40, 50, 60, 70, 80, 90]
            .iter()
            .map(|&s| Point::new(Timestamp::from_secs(s), s as f64))
            .collect();
        for from in -5..100 {
            for to in -5..100 {
                let (from_t, to_t) = (Timestamp::from_secs(from), Timestamp::from_secs(to));
                let scan: Vec<Point> = points
                    .iter()
                    .filter(|p| p.at > from_t && p.at <= to_t)
                    .copied()
                    .collect();
                assert_eq!(
                    between(&points, from_t, to_t),
                    scan.as_slice(),
                    "({from}, {to}]"
                );
            }
        }
        assert!(between(&[], Timestamp::from_secs(0), Timestamp::from_secs(9)).is_empty());
        for to in -5..100 {
            let to_t = Timestamp::from_secs(to);
            let expected = points.iter().filter(|p| p.at <= to_t).count();
            for hint in 0..=points.len() + 2 {
                assert_eq!(
                    count_upto(&points, to_t, hint),
                    expected,
                    "{to} from {hint}"
                );
            }
        }
    }
}
