//! Report charts: what each chart shows, its alt text, and drawing it as a PNG.
//!
//! Charts are drawn with `plotters` into an in-memory bitmap with the DejaVu Sans font
//! embedded in the binary (Lambda has no system fonts), then encoded as PNG. They are
//! 1200 × 640 pixels with large type, so they stay legible when Slack shows them about
//! 600 pixels wide.

#[cfg(feature = "charts")]
mod bars;
mod describe;
#[cfg(feature = "charts")]
mod draw;
#[cfg(feature = "charts")]
mod font;
#[cfg(feature = "charts")]
mod line;
#[cfg(feature = "charts")]
mod text;
#[cfg(feature = "charts")]
mod trend;

pub use describe::{incidents_chart, response_chart, span, trend_chart};
#[cfg(feature = "charts")]
pub use draw::{HEIGHT, WIDTH, render};

use super::Period;
use super::metrics::{PeriodSeries, Unit};
use super::response::ResponseTimes;

/// Alert cycles opened on one day, by level (`[L1, L2, L3]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayIncidents {
    pub day: Period,
    pub by_level: [usize; 3],
}

/// One week's response times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekResponse {
    pub week: Period,
    pub times: ResponseTimes,
}

/// What a chart draws.
#[derive(Debug, Clone, PartialEq)]
pub enum ChartData {
    /// One metric over the period, against the period before laid under it.
    Trend {
        /// The metric as people say it (`p95 latency`, `user satisfaction`).
        label: String,
        unit: Unit,
        period: Period,
        series: PeriodSeries,
    },
    /// Incidents opened per day, stacked by level.
    IncidentsPerDay(Vec<DayIncidents>),
    /// Median MTTD, MTTA and MTTR per week, oldest first.
    ResponseTimesPerWeek(Vec<WeekResponse>),
}
