//! Report content: the daily health check and the weekly report, for each audience at its
//! depth (the team's detailed report, an executive summary), as pure functions.
//!
//! The reporter Lambda fetches the inputs — model metrics and the audience's business
//! metrics from Datadog, open alerts and history from the store, maintenance windows and
//! silences — and calls `compose`, which narrows them to the audience's models and calls:
//!
//! 1. `daily_health` / `weekly_figures`: the figures (verdicts, trends, MTTx, accuracy ...);
//! 2. `daily_report` / `weekly_report` (detailed) or `daily_summary` / `weekly_summary`: a
//!    `Report` document of sections, lines, fields and charts, independent of Slack;
//! 3. then the reporter calls `chart::render` for each of `Report::charts()` (PNG bytes), and
//!    the Slack rendering.
//!
//! Nothing here awaits or reads the clock: the period is an input.

mod accuracy;
mod audience;
mod business;
pub mod chart;
mod compose;
mod cycles;
mod daily;
mod declared;
#[cfg(feature = "demo")]
pub mod demo;
mod document;
mod error;
mod format;
mod mentions;
mod metrics;
mod period;
mod response;
mod schedule;
pub mod slack;
mod stats;
mod summary;
mod thresholds;
mod trend;
mod upcoming;
mod weekly;

#[cfg(all(test, feature = "charts", feature = "demo"))]
mod tests;

pub use accuracy::{Accuracy, NoisyMonitor, noisiest_monitors};
pub use audience::{Audience, Depth};
pub use business::{BusinessTrend, business_trends};
pub use compose::{ReportInput, compose};
pub use cycles::{Cycle, counted_in, cycles};
pub use daily::{
    ActiveIncident, CapacityWarning, DailyHealth, ModelHealth, Verdict, daily_health, daily_report,
};
pub use declared::{DeclaredMetric, DeclaredSeries};
pub use document::{Chart, Field, Line, Report, ReportKind, Section, Tone};
pub use error::ReportError;
pub use mentions::{Mentions, Spot};
pub use metrics::{Better, Described, MetricKind, ModelMetrics, PeriodSeries, Point, Unit};
pub use period::{DAY_SECS, Period, WEEK_SECS};
pub use response::{Measure, ResponseTime, ResponseTimes, Slowest};
pub use schedule::{Schedule, ScheduleError, previous_run};
pub use summary::{daily_summary, weekly_summary};
pub use thresholds::Thresholds;
pub use trend::{Direction, Effect, Trend};
pub use upcoming::{QuietKind, QuietWindow, upcoming};
pub use weekly::{
    IdleGpu, IncidentSummary, LevelCounts, WeeklyFigures, weekly_figures, weekly_report,
};
