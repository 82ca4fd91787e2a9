//! Business metrics in a report: each declared metric's trend over the whole service (this
//! period against the one before), a line each and charts of their course.

use super::chart::trend_chart;
use super::daily::trend_field;
use super::declared::{DeclaredMetric, DeclaredSeries};
use super::document::{Line, Section, Tone};
use super::metrics::PeriodSeries;
use super::trend::{Effect, Trend};
use super::{Period, Thresholds};

/// One business metric's figures for a report.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessTrend {
    pub metric: DeclaredMetric,
    /// None when the period has no data.
    pub trend: Option<Trend<DeclaredMetric>>,
    pub series: PeriodSeries,
}

/// The trends of `series`, in the order given.
pub fn business_trends(series: &[DeclaredSeries], th: &Thresholds) -> Vec<BusinessTrend> {
    series
        .iter()
        .map(|s| BusinessTrend {
            metric: s.metric.clone(),
            trend: Trend::of(s.metric.clone(), &s.series, th.steady_change),
            series: s.series.clone(),
        })
        .collect()
}

/// "Business metrics": a line per metric, worse ones flagged, and a chart of each of the
/// first `charts` with data. None when the audience follows no business metric.
pub(super) fn business_section(
    trends: &[BusinessTrend],
    period: Period,
    charts: usize,
    th: &Thresholds,
) -> Option<Section> {
    if trends.is_empty() {
        return None;
    }
    let mut s = Section::new("Business metrics");
    for b in trends {
        s.lines.push(match &b.trend {
            Some(t) => {
                let field = trend_field(t);
                Line::led(tone(t, th), field.label, field.value)
            }
            None => Line::led(
                Tone::Watch,
                &b.metric.label,
                format!("no data this period (Datadog metric {})", b.metric.name),
            ),
        });
    }
    s.charts = trends
        .iter()
        .filter_map(|b| Some(trend_chart(None, b.trend.as_ref()?, period, &b.series)))
        .take(charts)
        .collect();
    s.note = Some(format!(
        "Over all models, against the {} before.",
        super::chart::span(period)
    ));
    Some(s)
}

/// A notable worsening is bad news, a smaller one worth watching.
fn tone(t: &Trend<DeclaredMetric>, th: &Thresholds) -> Tone {
    match t.effect {
        Effect::Better => Tone::Good,
        Effect::Worse if t.worsening() >= th.notable_change => Tone::Bad,
        Effect::Worse => Tone::Watch,
        Effect::Neutral => Tone::Neutral,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;
    use crate::report::{Better, Unit};

    fn csat() -> DeclaredMetric {
        DeclaredMetric {
            name: "app.csat".into(),
            label: "user satisfaction".into(),
            unit: Unit::Percent,
            scale: 100.0,
            better: Better::Up,
        }
    }

    fn flat(v: f64, n: i64) -> Vec<(Timestamp, f64)> {
        (0..n).map(|i| (Timestamp::from_secs(i * 600), v)).collect()
    }

    #[test]
    fn a_falling_satisfaction_is_bad_news_and_a_missing_metric_says_so() {
        let period = Period::day_ending(Timestamp::from_secs(10 * 86_400));
        let series = [
            DeclaredSeries {
                metric: csat(),
                series: PeriodSeries {
                    current: flat(78.0, 10),
                    previous: flat(90.0, 10),
                },
            },
            DeclaredSeries {
                metric: DeclaredMetric {
                    name: "app.conversion".into(),
                    label: "conversion".into(),
                    ..csat()
                },
                series: PeriodSeries::default(),
            },
        ];
        let th = Thresholds::default();
        let trends = business_trends(&series, &th);
        let s = business_section(&trends, period, 3, &th).unwrap();
        assert_eq!(s.lines[0].tone, Tone::Bad);
        assert_eq!(s.lines[0].lead.as_deref(), Some("user satisfaction"));
        assert_eq!(s.lines[0].text, "78% (↓ 13%, worse)");
        assert_eq!(s.lines[1].tone, Tone::Watch);
        assert!(s.lines[1].text.contains("no data"), "{}", s.lines[1].text);
        // Only the metric with data has a chart.
        assert_eq!(s.charts.len(), 1);
        assert_eq!(s.charts[0].id, "trend-all-app.csat");
        assert!(business_section(&[], period, 3, &th).is_none());
    }
}
