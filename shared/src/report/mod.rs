//! Report content: the daily health check and the weekly executive report, as pure functions.
//!
//! The reporter Lambda fetches the inputs — model metrics from Datadog, open alerts and
//! history from the store, maintenance windows and silences — and calls:
//!
//! 1. `daily_health` / `weekly_figures`: the figures (verdicts, trends, MTTx, accuracy ...);
//! 2. `daily_report` / `weekly_report`: a `Report` document of sections, lines, fields and
//!    charts, independent of Slack;
//! 3. `chart::render` for each of `Report::charts()` (PNG bytes), and the Slack rendering.
//!
//! Nothing here awaits or reads the clock: the period is an input.

mod accuracy;
pub mod chart;
mod cycles;
mod daily;
#[cfg(feature = "demo")]
pub mod demo;
mod document;
mod error;
mod format;
mod metrics;
mod period;
mod response;
pub mod slack;
mod stats;
mod thresholds;
mod trend;
mod upcoming;
mod weekly;

#[cfg(all(test, feature = "charts", feature = "demo"))]
mod tests;

pub use accuracy::{Accuracy, NoisyMonitor, noisiest_monitors};
pub use cycles::{Cycle, cycles, opened_in};
pub use daily::{
    ActiveIncident, CapacityWarning, DailyHealth, ModelHealth, Verdict, daily_health, daily_report,
};
pub use document::{Chart, Field, Line, Report, ReportKind, Section, Tone};
pub use error::ReportError;
pub use metrics::{Better, MetricKind, ModelMetrics, PeriodSeries, Point, Unit};
pub use period::{DAY_SECS, Period, WEEK_SECS};
pub use response::{Measure, ResponseTime, ResponseTimes, Slowest};
pub use thresholds::Thresholds;
pub use trend::{Direction, Effect, Trend};
pub use upcoming::{QuietKind, QuietWindow, upcoming};
pub use weekly::{
    IdleGpu, IncidentSummary, LevelCounts, WeeklyFigures, WeeklyInput, weekly_figures,
    weekly_report,
};
