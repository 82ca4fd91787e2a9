//! The evaluator Lambda: every minute, read each monitor's window from Datadog, evaluate
//! every group, and turn the changes into signals through the same lifecycle and store
//! the intake uses.
//!
//! The evaluation instant is the schedule's own time (the EventBridge event's `time`,
//! rounded to the minute), so a retried or late invocation evaluates the same instant
//! and produces the same signals, which the lifecycle drops as duplicates.

mod fetch;
mod plan;
mod setup;

use std::sync::Arc;

use modelwatch::config::Config;
use modelwatch::datadog::metrics::MetricsClient;
use modelwatch::domain::Timestamp;
use modelwatch::store::Store;
use serde_json::Value;

pub use fetch::FetchError;
pub use modelwatch::runtime::InitError;
pub use plan::{evaluate_all, signals};
pub use setup::{Settings, Setup};

#[derive(Debug)]
pub struct Evaluator {
    pub store: Store,
    pub config: Arc<Config>,
    pub metrics: MetricsClient,
}

/// What one run did.
#[derive(Debug, Default, serde::Serialize)]
pub struct RunReport {
    pub at: String,
    pub monitors: u32,
    pub groups: u32,
    pub changes: u32,
    pub written: u32,
    pub failed: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{failed} of {changes} signals could not be stored (the run is retried): {first}")]
    Store {
        failed: u32,
        changes: u32,
        first: String,
    },
}

/// The instant an invocation evaluates: the event's `time`, else now; to the minute.
pub fn instant(event: &Value) -> Timestamp {
    let at = event
        .get("time")
        .and_then(Value::as_str)
        .and_then(Timestamp::parse)
        .unwrap_or_else(Timestamp::now);
    Timestamp::from_secs(at.secs() - at.secs().rem_euclid(60))
}

impl Evaluator {
    /// Evaluates every monitor at `at` and applies the changes.
    pub async fn run(&self, at: Timestamp) -> Result<RunReport, RunError> {
        let data = fetch::fetch(&self.metrics, &self.config, at).await?;
        let evaluations = evaluate_all(&self.config, &data, at);
        let mut report = RunReport {
            at: at.to_string(),
            monitors: self.config.monitors.len() as u32,
            groups: evaluations.iter().filter(|e| e.at == at).count() as u32,
            ..RunReport::default()
        };
        let mut first_error = None;
        for signal in signals(&self.config, &evaluations) {
            report.changes += 1;
            // The evaluation instant is the processing time: a late or retried run of the
            // same minute writes exactly what the first would have.
            match self.store.apply_signal(&signal, at).await {
                Ok(applied) => {
                    report.written += u32::from(applied.written);
                    tracing::info!(
                        alert_key = %signal.key,
                        signal = signal.kind.name(),
                        outcome = applied.transition.outcome.as_str(),
                        written = applied.written,
                        "evaluator signal"
                    );
                }
                Err(e) => {
                    report.failed += 1;
                    tracing::error!(alert_key = %signal.key, error = %e, "signal not stored");
                    first_error.get_or_insert_with(|| e.to_string());
                }
            }
        }
        match first_error {
            // Failing the invocation makes EventBridge retry the same instant; what was
            // stored is then a duplicate.
            Some(first) => Err(RunError::Store {
                failed: report.failed,
                changes: report.changes,
                first,
            }),
            None => Ok(report),
        }
    }
}
