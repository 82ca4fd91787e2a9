//! Monitor evaluation, pure: no I/O, no async, no clock. Per group (model, version,
//! environment) a monitor gives ok, warn, alert or no data with a reason in words and an
//! anomaly score per point; `signals::evaluation` turns that into a lifecycle `Signal`.
//!
//! The evaluator Lambda calls [`evaluate`] (or [`evaluate_composite`]) for each monitor
//! and group at the scheduled minute and signals the evaluations that [`Evaluation::changed`];
//! the backtest calls the same code at every point of a CSV through
//! [`Evaluator`].

mod anomaly;
mod baseline;
mod check;
mod compare;
mod composite;
mod csv;
mod evaluate;
mod monitor;
mod schedule;
mod series;
mod state;
mod stats;
mod threshold;

#[cfg(test)]
mod tests;

pub use crate::domain::Group;
pub use anomaly::{Anomaly, Detector, Fit, Reading};
pub use baseline::{Baseline, Direction, Method, Seasonality};
pub use compare::VersionCompare;
pub use composite::{Expr, ExprError, evaluate_composite};
pub use csv::{Series, SeriesError, parse_series, parse_timestamp};
pub use evaluate::{Evaluation, Evaluator, evaluate};
pub use monitor::{Monitor, MonitorLevels, NoDataPolicy, REPORTING_DELAY_SECS, Rule, Trigger};
pub use schedule::{ScheduledThreshold, TimeWindow, local};
pub use series::{Data, Point, Rollup, between};
pub use state::State;
pub use stats::{Aggregation, mean_sd_by, median_mad, z_score_to_anomaly};
pub use threshold::{Bound, Threshold};
