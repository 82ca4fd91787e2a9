//! The prober Lambda: every minute, run every probe case of the configuration against its
//! endpoint (concurrently, each under its timeout, all within the budget), turn the cases
//! whose state changed into signals through the same lifecycle and store as every other
//! alert (and resolve the open alerts of cases the configuration no longer has), then
//! submit the results to Datadog as metrics: the alerts first, as they matter more and the
//! function's time is bounded.
//!
//! The run's instant is the schedule's own time (the EventBridge event's `time`, to the
//! minute): a retried invocation sends the same signals, which the lifecycle drops as
//! duplicates, and the same points, which Datadog keeps once per timestamp.

mod setup;

use std::sync::Arc;

use modelwatch::config::Config;
use modelwatch::datadog::series::{self, SeriesClient};
use modelwatch::domain::{Signal, Timestamp};
use modelwatch::probe::run::{whole_wait_fits, with_whole_waits};
use modelwatch::probe::{CaseOutcome, Runner, metrics};
use modelwatch::runtime::Live;
use modelwatch::signals;
use modelwatch::store::{Store, StoreError};

pub use modelwatch::clock::scheduled_minute as instant;
pub use modelwatch::runtime::InitError;
pub use setup::{Settings, Setup};

#[derive(Debug)]
pub struct Prober {
    pub store: Store,
    pub config: Arc<Config>,
    pub series: SeriesClient,
    pub runner: Runner,
}

/// What one run did.
#[derive(Debug, Default, serde::Serialize)]
pub struct RunReport {
    pub at: String,
    pub cases: u32,
    pub passed: u32,
    pub failed: u32,
    /// Cases the budget left no time for.
    pub skipped: u32,
    /// Cases that failed and were tried again in the run (`probes.retries`), the retry
    /// having run (one the budget cut short is not counted: its failure stands).
    pub retried: u32,
    /// Points submitted to Datadog, and in how many requests.
    pub points: u32,
    pub batches: u32,
    /// Why the points were not all taken (the run goes on: alerts matter more).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_error: Option<String>,
    pub signals: u32,
    pub written: u32,
    /// Open alerts resolved because the configuration no longer has their case.
    pub removed: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "{failed} of {signals} probe signals could not be stored (the next run probes again): {first}"
    )]
    Store {
        failed: u32,
        signals: u32,
        first: String,
    },
}

/// One scheduled run as the Lambda makes it: every case probed; when an endpoint refused
/// a case's token (401, 403) and the secret changed since it was read (a rotated token),
/// those cases once more with the token it holds now, within what is left of the budget;
/// then the failures tried again (`probes.retries`); then the outcomes recorded.
pub async fn invoke(live: &Live<Setup>, at: Timestamp) -> Result<RunReport, InvokeError> {
    let mut prober = live.current().await.map_err(InvokeError::NotConfigured)?;
    let started = std::time::Instant::now();
    let mut outcomes = prober.probe().await;
    if outcomes.iter().any(refused_for_token)
        && let Some(newer) = live.reread_after_refusal().await
    {
        // Within what is left of the run's budget: the function's time is bounded.
        let left = newer.config.probes.budget.saturating_sub(started.elapsed());
        tracing::info!(
            left_ms = left.as_millis() as u64,
            "an endpoint refused a token and the secret changed since it was read; those cases run again"
        );
        newer
            .probe_again(&mut outcomes, refused_for_token, left)
            .await;
        prober = newer;
    }
    prober.retry_failures(&mut outcomes, started).await;
    Ok(prober.record(at, outcomes).await?)
}

/// Why an invocation did nothing, or failed.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error("{0}")]
    NotConfigured(modelwatch::runtime::NotConfigured),
    #[error(transparent)]
    Run(#[from] RunError),
}

/// Whether the endpoint refused the case for its credentials.
fn refused_for_token(outcome: &CaseOutcome) -> bool {
    matches!(outcome.status, Some(401 | 403))
}

impl Prober {
    /// Probes and records, with the secret as this prober read it.
    pub async fn run(&self, at: Timestamp) -> Result<RunReport, RunError> {
        let started = std::time::Instant::now();
        let mut outcomes = self.probe().await;
        self.retry_failures(&mut outcomes, started).await;
        self.record(at, outcomes).await
    }

    /// Runs every case of the configuration within the budget.
    pub async fn probe(&self) -> Vec<CaseOutcome> {
        let probes = &self.config.probes;
        let cases: Vec<_> = probes.cases.iter().collect();
        self.runner.run(probes, &cases).await
    }

    /// Runs again, within `budget`, the cases whose outcome `which` picks, in place; a case
    /// the budget left no time to run again keeps the outcome it had (a refusal that found
    /// no time for the new token still fails, rather than turning skipped).
    pub async fn probe_again(
        &self,
        outcomes: &mut [CaseOutcome],
        which: impl Fn(&CaseOutcome) -> bool,
        budget: std::time::Duration,
    ) {
        let again: Vec<usize> = (0..outcomes.len())
            .filter(|&i| which(&outcomes[i]))
            .collect();
        for (i, outcome) in self.rerun(outcomes, &again, budget).await {
            if outcome.ran() {
                outcomes[i] = outcome;
            }
        }
    }

    /// Tries the cases that failed while their alert is not open again, up to `retries`
    /// times within what is left of the run's budget, each round `retry_interval` after
    /// the last, keeping each one's last outcome that ran: a blip that passes on a retry
    /// opens nothing. A retry goes ahead only with the interval and the case's whole
    /// timeout left in the budget, counting the retries before it in `concurrency`'s
    /// slots, so the budget does not cut a retry short, and a failure without time for one
    /// stands (an endpoint that hangs still pages; so does a blip the first pass left too
    /// little time to retry). Not tried again: a case whose alert is open (its failure
    /// changes nothing) or could not be read, and a refused token (the token's re-read
    /// handles it).
    pub async fn retry_failures(&self, outcomes: &mut [CaseOutcome], started: std::time::Instant) {
        use tokio::time::Instant;
        let probes = &self.config.probes;
        if probes.retries == 0 {
            return;
        }
        let failing: Vec<usize> = (0..outcomes.len())
            .filter(|&i| outcomes[i].failed() && !refused_for_token(&outcomes[i]))
            .collect();
        let deadline = Instant::from_std(started) + probes.budget;
        // The first interval runs while the alerts are read.
        let mut ready = Instant::now() + probes.retry_interval;
        // Each alone first: the cases whose alert is open take no slot.
        let left = deadline.saturating_duration_since(ready);
        let fitting: Vec<usize> = failing
            .into_iter()
            .filter(|&i| {
                probes
                    .case(&outcomes[i].case)
                    .is_some_and(|case| whole_wait_fits(case, left))
            })
            .collect();
        let mut again = self.with_alert_closed(outcomes, fitting).await;
        for round in 0..probes.retries {
            if round > 0 {
                ready = Instant::now() + probes.retry_interval;
            }
            let left = deadline.saturating_duration_since(ready);
            again = self.with_whole_waits(outcomes, again, left);
            if again.is_empty() {
                break;
            }
            tokio::time::sleep_until(ready).await;
            let left = deadline.saturating_duration_since(Instant::now());
            let mut still = Vec::new();
            for (i, mut outcome) in self.rerun(outcomes, &again, left).await {
                if !outcome.ran() {
                    continue;
                }
                let earlier = &mut outcomes[i];
                outcome.retried_after = std::mem::take(&mut earlier.retried_after);
                outcome
                    .retried_after
                    .extend(earlier.first_failure().map(|v| v.check));
                if outcome.passed() {
                    let failed: Vec<&str> =
                        outcome.retried_after.iter().map(|c| c.as_str()).collect();
                    tracing::warn!(
                        case = %outcome.case,
                        failed = %failed.join(","),
                        "probe case failed, then passed when tried again: no alert"
                    );
                } else {
                    still.push(i);
                }
                *earlier = outcome;
            }
            again = still;
        }
    }

    /// Of the cases of `outcomes` at `which`, in order, those a run with `left` of the
    /// budget would give their whole timeout (`concurrency` at a time).
    fn with_whole_waits(
        &self,
        outcomes: &[CaseOutcome],
        which: Vec<usize>,
        left: std::time::Duration,
    ) -> Vec<usize> {
        let probes = &self.config.probes;
        let found: Vec<(usize, &modelwatch::probe::Case)> = which
            .into_iter()
            .filter_map(|i| Some((i, probes.case(&outcomes[i].case)?)))
            .collect();
        let cases: Vec<_> = found.iter().map(|(_, case)| *case).collect();
        with_whole_waits(&cases, probes.concurrency, left)
            .into_iter()
            .map(|k| found[k].0)
            .collect()
    }

    /// Of the cases of `outcomes` at `which`, those whose alert is not firing, read at once.
    async fn with_alert_closed(&self, outcomes: &[CaseOutcome], which: Vec<usize>) -> Vec<usize> {
        let mut reads = tokio::task::JoinSet::new();
        for i in which {
            let (store, case) = (self.store.clone(), outcomes[i].case.clone());
            reads.spawn(async move {
                let key = signals::probe::alert_key(&case).ok()?;
                match store.load(&key).await {
                    Ok(alert) => Some((i, alert.as_ref().is_some_and(firing))),
                    Err(e) => {
                        tracing::warn!(case, error = %e, "probe alert not read: the failure is not tried again");
                        None
                    }
                }
            });
        }
        let mut closed = Vec::new();
        while let Some(read) = reads.join_next().await {
            if let Ok(Some((i, false))) = read {
                closed.push(i);
            }
        }
        closed.sort_unstable();
        closed
    }

    /// The cases of `outcomes` at `which`, run again within `budget`, with their index.
    async fn rerun(
        &self,
        outcomes: &[CaseOutcome],
        which: &[usize],
        budget: std::time::Duration,
    ) -> Vec<(usize, CaseOutcome)> {
        let probes = &modelwatch::probe::Probes {
            budget,
            ..self.config.probes.clone()
        };
        let cases: Vec<_> = which
            .iter()
            .filter_map(|&i| probes.case(&outcomes[i].case))
            .collect();
        if cases.len() != which.len() {
            return Vec::new();
        }
        which
            .iter()
            .copied()
            .zip(self.runner.run_again(probes, &cases).await)
            .collect()
    }

    /// Stores the signals `outcomes` send (and resolves the alerts of removed cases), then
    /// submits their metrics.
    pub async fn record(
        &self,
        at: Timestamp,
        outcomes: Vec<CaseOutcome>,
    ) -> Result<RunReport, RunError> {
        let mut report = RunReport {
            at: at.to_string(),
            cases: outcomes.len() as u32,
            passed: outcomes.iter().filter(|o| o.passed()).count() as u32,
            skipped: outcomes.iter().filter(|o| !o.ran()).count() as u32,
            retried: outcomes
                .iter()
                .filter(|o| !o.retried_after.is_empty())
                .count() as u32,
            ..RunReport::default()
        };
        report.failed = report.cases - report.passed - report.skipped;
        let mut failed = 0;
        let mut first = None;
        for outcome in &outcomes {
            match self.signal(outcome, at).await {
                Ok(None) => {}
                Ok(Some(signal)) => {
                    report.signals += 1;
                    match self.store.apply_signal_logged(&signal, at, "prober").await {
                        Ok(written) => report.written += u32::from(written),
                        Err(e) => {
                            failed += 1;
                            first.get_or_insert_with(|| e.to_string());
                        }
                    }
                }
                Err(e) => {
                    failed += 1;
                    tracing::error!(case = %outcome.case, error = %e, "probe alert not read");
                    first.get_or_insert_with(|| e.to_string());
                }
            }
        }
        match self.resolve_removed(at).await {
            Ok(removed) => {
                report.signals += removed.0;
                report.written += removed.1;
                report.removed = removed.1;
            }
            Err(e) => {
                failed += 1;
                tracing::error!(error = %e, "open probe alerts not read");
                first.get_or_insert_with(|| e.to_string());
            }
        }
        let points = datadog_points(metrics::points(&outcomes, at));
        report.points = points.len() as u32;
        match self.series.submit(&points).await {
            Ok(batches) => report.batches = batches as u32,
            Err(e) => {
                tracing::error!(error = %e, points = points.len(), "probe metrics not submitted");
                report.metrics_error = Some(e.to_string());
            }
        }
        // The schedule invokes the prober asynchronously: this line is where a run's
        // counts can be read.
        tracing::info!(
            cases = report.cases,
            passed = report.passed,
            failed = report.failed,
            skipped = report.skipped,
            retried = report.retried,
            signals = report.signals,
            written = report.written,
            points = report.points,
            "probe run"
        );
        match first {
            Some(first) => Err(RunError::Store {
                failed,
                signals: report.signals,
                first,
            }),
            None => Ok(report),
        }
    }

    /// Resolves the open alerts of cases the configuration no longer has; the signals sent
    /// and those written.
    async fn resolve_removed(&self, at: Timestamp) -> Result<(u32, u32), StoreError> {
        let (mut sent, mut written) = (0, 0);
        for alert in self.store.open_alerts().await? {
            let Some(signal) =
                signals::probe::of_removed_case(&self.config, &alert, at).map_err(invalid)?
            else {
                continue;
            };
            sent += 1;
            if self
                .store
                .apply_signal_logged(&signal, at, "prober")
                .await?
            {
                written += 1;
                tracing::info!(alert_key = %alert.key, "probe case removed from the configuration; its alert resolved");
            }
        }
        Ok((sent, written))
    }

    /// The signal `outcome` sends, reading whether its alert fires now.
    async fn signal(
        &self,
        outcome: &CaseOutcome,
        at: Timestamp,
    ) -> Result<Option<Signal>, StoreError> {
        let Some(case) = self.config.probes.case(&outcome.case) else {
            return Ok(None);
        };
        if !outcome.ran() {
            return Ok(None);
        }
        let key = signals::probe::alert_key(&case.id).map_err(invalid)?;
        let firing = self.store.load(&key).await?.as_ref().is_some_and(firing);
        signals::probe::signal(&self.config, case, outcome, firing, at).map_err(invalid)
    }
}

/// Whether a case's alert fires: open and breaching. A resolved alert keeps the state it
/// was resolved in (a person's resolve, or its case removed while failing), and a failure
/// then must open it again, not count as already alerting.
fn firing(alert: &modelwatch::domain::Alert) -> bool {
    alert.status.is_open() && alert.state.is_firing()
}

/// The probe's points as Datadog series points.
fn datadog_points(points: Vec<metrics::Point>) -> Vec<series::Point> {
    points
        .into_iter()
        .map(|p| series::Point {
            metric: p.metric,
            kind: match p.kind {
                metrics::MetricType::Count => series::MetricType::Count,
                metrics::MetricType::Gauge => series::MetricType::Gauge,
            },
            at: p.at,
            value: p.value,
            tags: p.tags,
        })
        .collect()
}

fn invalid(e: modelwatch::domain::InvalidValue) -> StoreError {
    StoreError::Config {
        message: e.to_string(),
    }
}
