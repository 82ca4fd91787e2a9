//! A metric's trend: this period's mean against the last one, its direction and whether that is good.

use super::format;
use super::metrics::{Better, Described, MetricKind, PeriodSeries, Point};
use super::stats::mean;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
    Steady,
}

/// What the change means for the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Better,
    Worse,
    /// Steady, or a metric where neither direction is good or bad.
    Neutral,
}

/// The trend of a model metric ([`MetricKind`]) or of a declared one.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend<M = MetricKind> {
    pub metric: M,
    /// Mean over this period.
    pub current: f64,
    /// Mean over the previous period, when there was data.
    pub previous: Option<f64>,
    /// `(current - previous) / previous`; none without a previous value or when it was zero.
    pub relative: Option<f64>,
    pub direction: Direction,
    pub effect: Effect,
    /// The highest point this period.
    pub peak: Option<Point>,
}

impl<M: Described> Trend<M> {
    /// The trend of one metric, or none when this period has no data.
    pub fn of(metric: M, series: &PeriodSeries, steady_below: f64) -> Option<Self> {
        let current = mean(series.current.iter().map(|p| p.1))?;
        let previous = mean(series.previous.iter().map(|p| p.1));
        let relative = previous
            .filter(|p| *p != 0.0)
            .map(|p| (current - p) / p.abs());
        let direction = match (previous, relative) {
            (_, Some(r)) if r.abs() < steady_below => Direction::Steady,
            (_, Some(r)) if r > 0.0 => Direction::Up,
            (_, Some(_)) => Direction::Down,
            (Some(p), None) if current > p => Direction::Up,
            _ => Direction::Steady,
        };
        let effect = match (direction, metric.better()) {
            (Direction::Steady, _) | (_, Better::Neither) => Effect::Neutral,
            (Direction::Up, Better::Up) | (Direction::Down, Better::Down) => Effect::Better,
            _ => Effect::Worse,
        };
        let peak = series
            .current
            .iter()
            .copied()
            .filter(|p| p.1.is_finite())
            .max_by(|a, b| a.1.total_cmp(&b.1));
        Some(Self {
            metric,
            current,
            previous,
            relative,
            direction,
            effect,
            peak,
        })
    }

    /// How large the worsening is (0 when it is not worse), for ranking.
    pub fn worsening(&self) -> f64 {
        match self.effect {
            Effect::Worse => self.relative.map_or(1.0, f64::abs),
            _ => 0.0,
        }
    }

    /// `p95 latency 1.2 s, up 34% from 900 ms (worse)`.
    pub fn sentence(&self) -> String {
        let unit = self.metric.unit();
        let now = unit.format(self.current);
        let name = self.metric.label();
        let Some(previous) = self.previous else {
            return format!("{name} {now} (no data the period before)");
        };
        let before = unit.format(previous);
        let size = self
            .relative
            .map(|r| format::change(r.abs()).trim_start_matches('+').to_owned());
        let moved = match (self.direction, size) {
            (Direction::Steady, _) => return format!("{name} {now}, steady (was {before})"),
            (Direction::Up, Some(s)) => format!("up {s}"),
            (Direction::Down, Some(s)) => format!("down {s}"),
            (Direction::Up, None) => "up".to_owned(),
            (Direction::Down, None) => "down".to_owned(),
        };
        let effect = match self.effect {
            Effect::Better => " (better)",
            Effect::Worse => " (worse)",
            Effect::Neutral => "",
        };
        format!("{name} {now}, {moved} from {before}{effect}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;

    fn series(current: &[f64], previous: &[f64]) -> PeriodSeries {
        let pts = |v: &[f64]| {
            v.iter()
                .enumerate()
                .map(|(i, x)| (Timestamp::from_secs(i as i64 * 60), *x))
                .collect()
        };
        PeriodSeries {
            current: pts(current),
            previous: pts(previous),
        }
    }

    #[test]
    fn latency_going_up_is_worse_and_sized() {
        // current mean (1000 + 1400) / 2 = 1200; previous 900; (1200 - 900) / 900 = +33.3%
        let t = Trend::of(
            MetricKind::LatencyP95,
            &series(&[1000.0, 1400.0], &[900.0]),
            0.05,
        )
        .unwrap();
        assert_eq!(t.direction, Direction::Up);
        assert_eq!(t.effect, Effect::Worse);
        assert!((t.relative.unwrap() - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(
            t.sentence(),
            "p95 latency 1.2 s, up 33% from 900 ms (worse)"
        );
    }

    #[test]
    fn quality_going_up_is_better_small_changes_are_steady() {
        let up = Trend::of(MetricKind::QualityScore, &series(&[0.9], &[0.8]), 0.05).unwrap();
        assert_eq!(up.effect, Effect::Better);
        let steady = Trend::of(MetricKind::ErrorRate, &series(&[1.02], &[1.0]), 0.05).unwrap();
        assert_eq!(steady.direction, Direction::Steady);
        assert_eq!(steady.effect, Effect::Neutral);
        assert_eq!(steady.sentence(), "error rate 1.0%, steady (was 1.0%)");
    }

    #[test]
    fn from_zero_is_up_without_a_percentage_and_no_data_is_none() {
        let t = Trend::of(MetricKind::ErrorRate, &series(&[0.5], &[0.0]), 0.05).unwrap();
        assert_eq!(t.direction, Direction::Up);
        assert_eq!(t.relative, None);
        assert_eq!(t.sentence(), "error rate 0.5%, up from 0.0% (worse)");
        assert!(Trend::of(MetricKind::ErrorRate, &series(&[], &[1.0]), 0.05).is_none());
    }
}
