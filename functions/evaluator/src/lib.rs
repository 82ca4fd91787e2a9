//! The evaluator Lambda: every minute, read each monitor's window from Datadog, evaluate
//! every group, and turn the changes into signals through the same lifecycle and store
//! the intake uses; then reconcile the alerts of groups that stopped reporting with the
//! absence rule (`modelwatch::absence`), keeping what each monitor has seen in the table.
//!
//! The evaluation instant is the schedule's own time (the EventBridge event's `time`,
//! rounded to the minute), so a retried or late invocation evaluates the same instant
//! and produces the same signals, which the lifecycle drops as duplicates. Each run looks
//! back `CATCH_UP` instants and signals the changes inside it; then it brings every alert
//! those changes leave at odds with what it sees to that (`reconcile`): after an outage
//! longer than the look-back, on a monitor's first run, and when a minute read while
//! Datadog was still filling it opened an alert the whole minute does not. A recovery
//! read on such a minute waits until the minute is complete (`plan::settled`).

mod absent;
mod fetch;
mod last_run;
mod plan;
mod reconcile;
mod setup;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use modelwatch::absence::{self, FleetSilence, fleet};
use modelwatch::config::Config;
use modelwatch::datadog::metrics::MetricsClient;
use modelwatch::domain::{AlertKey, LastRun, Signal, Timestamp};
use modelwatch::rules::{Evaluation, Group, Monitor, Rule};
use modelwatch::signals;
use modelwatch::store::{Store, StoreError};

pub use absent::SeenCache;
pub use fetch::{
    FetchError, MonitorData, POINTS_PER_READ, Read, Span, monitor_spans, reads, spans,
};
pub use last_run::LastRunCache;
pub use modelwatch::clock::scheduled_minute as instant;
pub use modelwatch::runtime::InitError;
pub use plan::{CATCH_UP, Pass, Run, evaluate_all, signals};
pub use reconcile::beyond_look_back;
pub use setup::{Settings, Setup};

#[derive(Debug)]
pub struct Evaluator {
    pub store: Store,
    pub config: Arc<Config>,
    pub metrics: MetricsClient,
    /// Each monitor's seen groups between runs of a warm container.
    pub seen: SeenCache,
    /// The last good run between runs of a warm container.
    pub last_run: LastRunCache,
    /// The monitors whose query Datadog refused in the last run, read alone in the next.
    pub refused_before: RefusedCache,
}

/// The monitors refused in a warm container's last run (`fetch::apart`).
#[derive(Debug, Default)]
pub struct RefusedCache(std::sync::Mutex<BTreeSet<String>>);

impl RefusedCache {
    fn get(&self) -> BTreeSet<String> {
        self.0.lock().map(|r| r.clone()).unwrap_or_default()
    }

    fn set(&self, refused: &BTreeSet<String>) {
        if let Ok(mut r) = self.0.lock() {
            r.clone_from(refused);
        }
    }
}

/// What one run did.
#[derive(Debug, Default, serde::Serialize)]
pub struct RunReport {
    pub at: String,
    pub monitors: u32,
    pub groups: u32,
    /// Datadog query requests sent in the run: retries and monitors read again alone
    /// included.
    pub datadog_requests: u32,
    pub changes: u32,
    pub written: u32,
    pub failed: u32,
    /// Alerts of absent, returning or no longer expected groups looked at.
    pub absence_checks: u32,
    /// Monitors whose seen groups were written.
    pub seen_written: u32,
    /// Monitors this run's look-back did not reach the last good run for (an outage
    /// longer than it, a monitor's first run), whose alerts it brought to what it sees.
    pub beyond_look_back: u32,
    /// Of the changes, those that bring an alert to its group's state (a resolve dated
    /// before the alert's own change is dropped as stale, and sent again by a later run).
    pub reconciled: u32,
    /// Of the changes, resolves of open alerts whose monitor the configuration no longer
    /// has (removed or renamed).
    pub removed: u32,
    /// Monitors whose query Datadog refused (logged as "monitor query refused", with the
    /// query and Datadog's answer): not evaluated, and their groups not taken for absent.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<String>,
    /// Monitors none of whose models reports, two or more having gone quiet together
    /// (`absence::fleet`): held, not judged group by group, and one alert each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub silent_fleets: Vec<String>,
}

/// What a run's reads and evaluations found.
struct Found {
    run: Run,
    /// The evaluations that bring alerts to their groups' state (`reconcile`).
    reconciled: Vec<Evaluation>,
    /// The resolves of open alerts whose monitor the configuration no longer has.
    removed: Vec<Signal>,
    /// Each monitor's groups' newest points, for the absence rule.
    newest: BTreeMap<String, BTreeMap<Group, Timestamp>>,
    /// Monitors whose query Datadog refused.
    refused: BTreeSet<String>,
    /// Monitors whose fleet is silent, held this run.
    silent: BTreeMap<String, FleetSilence>,
    /// Monitors whose fleet alert is open and firing.
    fleet_alerts: BTreeSet<String>,
    /// The open alerts that show their monitor firing.
    firing: BTreeSet<AlertKey>,
    /// The look-back instants at which each monitor's fleet was silent
    /// (`fleet::silent_instants`).
    silent_at: BTreeMap<String, BTreeSet<Timestamp>>,
    requests: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(
        "the groups monitors have seen could not be read or written (the next run covers this minute): {0}"
    )]
    Seen(StoreError),
    #[error(
        "the last good run or the open alerts could not be read or written (the next run covers this minute): {0}"
    )]
    LastRun(StoreError),
    #[error(
        "{failed} of {changes} signals could not be stored (the next run covers this minute): {first}"
    )]
    Store {
        failed: u32,
        changes: u32,
        first: String,
    },
}

impl Evaluator {
    /// Evaluates every monitor at `at` and applies the changes; then the absence rule on
    /// the groups that stopped reporting, reading their alerts as the first part left them.
    pub async fn run(&self, at: Timestamp) -> Result<RunReport, RunError> {
        let last = self.last_run().await.map_err(RunError::LastRun)?;
        let beyond = beyond_look_back(&self.config, last.as_ref(), at);
        let found = self.evaluate(at, &beyond).await?;
        let run = &found.run;
        let mut report = RunReport {
            at: at.to_string(),
            monitors: self.config.monitors.len() as u32,
            groups: run.groups() as u32,
            datadog_requests: found.requests as u32,
            refused: found.refused.iter().cloned().collect(),
            silent_fleets: found.silent.keys().cloned().collect(),
            ..RunReport::default()
        };
        // Held monitors are not judged this run, as the refused are not.
        let unjudged: BTreeSet<String> = found
            .refused
            .iter()
            .chain(found.silent.keys())
            .cloned()
            .collect();
        let quiet = |evaluations| {
            let fires = |e: &Evaluation| {
                signals::evaluation::alert_key(&e.monitor, &e.group)
                    .is_ok_and(|k| found.firing.contains(&k))
            };
            let evaluations = plan::without_fleet_silences(
                &self.config,
                &found.silent_at,
                &found.newest,
                &fires,
                evaluations,
            );
            plan::without_quiet_canaries(&self.config, &found.newest, at, evaluations)
        };
        let mut changes = signals(
            &self.config,
            &quiet(plan::settled(&self.config, &run.changes, at)),
        );
        if !beyond.is_empty() {
            tracing::warn!(
                last_run = ?last.as_ref().map(|l| l.at.to_string()),
                monitors = ?beyond,
                "the look-back does not reach the last good run: alerts brought to what this run sees"
            );
            report.beyond_look_back = beyond.len() as u32;
        }
        if !found.reconciled.is_empty() {
            let at_odds: Vec<String> = found
                .reconciled
                .iter()
                .map(|e| format!("{} {} {}", e.monitor, e.group, e.state))
                .collect();
            tracing::info!(alerts = ?at_odds, "alerts at odds with what this run sees, brought to it");
        }
        report.reconciled = found.reconciled.len() as u32;
        changes.extend(signals(&self.config, &quiet(found.reconciled.clone())));
        if !found.removed.is_empty() {
            let keys: Vec<String> = found.removed.iter().map(|s| s.key.to_string()).collect();
            tracing::info!(alerts = ?keys, "alerts of monitors no longer in the configuration, resolved");
        }
        report.removed = found.removed.len() as u32;
        changes.extend(self.fleet_signals(&found, &unjudged, at));
        changes.extend(found.removed);
        let mut first_error = None;
        self.apply(changes, at, &mut report, &mut first_error).await;
        if first_error.is_none() {
            match self
                .absence(&found.newest, &found.refused, &found.silent, run, at)
                .await
            {
                Ok((absent, updates)) => {
                    report.absence_checks = absent.checks;
                    self.apply(absent.signals, at, &mut report, &mut first_error)
                        .await;
                    // Only once its signals are stored is an absence marked as handled.
                    if first_error.is_none() {
                        match self.store_seen(updates).await {
                            Ok(n) => report.seen_written = n,
                            Err(e) => return Err(RunError::Seen(e)),
                        }
                    }
                }
                Err(e) => return Err(RunError::Seen(e)),
            }
        }
        match first_error {
            // A failed run records no last good run (it is not retried), so the next run's
            // look-back covers this minute again; what was stored is then a duplicate.
            Some(first) => Err(RunError::Store {
                failed: report.failed,
                changes: report.changes,
                first,
            }),
            None => {
                // Only a run whose every change is stored is one the next can build on.
                // A monitor left unread (or held) is not covered: once its query is fixed
                // (or a model reports), its first run brings its alerts to what it sees,
                // as for a new monitor. So are the composites of it, which were not
                // evaluated either.
                let unread = unread_with_composites(&self.config.monitors, &unjudged);
                let done = LastRun {
                    at,
                    monitors: self
                        .config
                        .monitors
                        .iter()
                        .filter(|m| !unread.contains(m.id.as_str()))
                        .map(|m| self.config.judged_as(m))
                        .collect(),
                };
                self.record_run(done).await.map_err(RunError::LastRun)?;
                Ok(report)
            }
        }
    }

    /// Reads and evaluates every monitor, monitor by monitor (as many at once as
    /// `fetch::POINTS_PER_READ` allows, each one's points dropped once evaluated), so what
    /// a run holds does not grow with the fleet; every group is reconciled with its alert,
    /// both ways for `beyond`'s (`reconcile::Settle`).
    ///
    /// Every run, not only after an outage: the newest minute is read while Datadog is
    /// still filling it (points arrive up to `REPORTING_DELAY_SECS` late), and the next run
    /// reads it whole. An alert opened on the partial minute that the whole minute does
    /// not breach has no change left in the look-back to resolve it; this resolves it.
    /// It costs one query of the open-alerts index a run.
    async fn evaluate(&self, at: Timestamp, beyond: &BTreeSet<&str>) -> Result<Found, RunError> {
        let open = self.store.open_alerts().await.map_err(RunError::LastRun)?;
        let mut removed = Vec::new();
        for alert in &open {
            match signals::evaluation::of_removed_monitor(&self.config, alert, at) {
                Ok(Some(signal)) => removed.push(signal),
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(alert_key = %alert.key, error = %e, "alert of a removed monitor not resolved")
                }
            }
        }
        let firing: BTreeSet<AlertKey> = open
            .into_iter()
            .filter(|a| a.state.is_firing())
            .map(|a| a.key)
            .collect();
        let fleet_alerts: BTreeSet<String> = self
            .config
            .monitors
            .iter()
            .filter(|m| signals::absence::fleet_key(&m.id).is_ok_and(|k| firing.contains(&k)))
            .map(|m| m.id.clone())
            .collect();
        let alert_fires = |monitor: &str, group: &Group| {
            signals::evaluation::alert_key(monitor, group).is_ok_and(|k| firing.contains(&k))
        };

        let groups = self.seen_counts(at).await.map_err(RunError::Seen)?;
        let sent_before = self.metrics.queries_sent();
        let refused_before = self.refused_before.get();
        let reads = fetch::apart(
            fetch::reads(&self.config, at, |m| groups.get(m).copied().unwrap_or(0)),
            |m| refused_before.contains(m),
        );
        let mut pass = Pass::new(&self.config, at);
        let mut reconciled = Vec::new();
        let mut newest = BTreeMap::new();
        let mut refused = BTreeSet::new();
        let mut silent = BTreeMap::new();
        let mut silent_at = BTreeMap::new();
        for read in &reads {
            let (mut data, unread) = fetch::fetch_each_refused_alone(&self.metrics, read).await?;
            for r in unread {
                tracing::error!(monitor = %r.monitor, query = %r.query, error = %r.error, "monitor query refused");
                refused.insert(r.monitor);
            }
            for m in read.monitors.iter().filter(|m| !refused.contains(&m.id)) {
                let groups = data.remove(&m.id).unwrap_or_default();
                let newest_points = absent::newest_points(&groups);
                // What it saw is the absence rule's, held or not.
                newest.insert(m.id.clone(), newest_points.clone());
                let reporting = newest_points
                    .iter()
                    .any(|(g, t)| m.reports(*t, at) && absence::covers(&self.config, m, g));
                if fleet::applies(m) && !reporting {
                    let seen = self.seen_groups(&m.id, at).await.map_err(RunError::Seen)?;
                    let planned = absence::plan(&self.config, m, &seen, &newest_points, at);
                    if let Some(silence) = fleet::silence(m, &planned.seen, at) {
                        tracing::warn!(monitor = %m.id, since = %silence.since, models = ?silence.models, "no model reports: the monitor is held, not judged group by group");
                        silent.insert(m.id.clone(), silence);
                        continue;
                    }
                }
                pass.add(m, &groups);
                // For the no-data changes of it and of the composites combining it.
                let instants = plan::instants(at, m.every_secs);
                let quiet = fleet::silent_instants(&self.config, m, &groups, instants);
                if !quiet.is_empty() {
                    silent_at.insert(m.id.clone(), quiet);
                }
                let settle = reconcile::Settle::of(&m.id, beyond);
                let owed =
                    reconcile::monitor(&self.config, m, &groups, &pass, at, settle, &alert_fires);
                reconciled.extend(owed);
            }
        }
        let children = pass.children_to_reconcile();
        let run = pass.finish();
        let reports = |monitor: &str, group: &Group| {
            let newest = newest.get(monitor).and_then(|groups| groups.get(group));
            let monitor = self.config.monitor(monitor);
            monitor.zip(newest).is_some_and(|(m, t)| m.reports(*t, at))
        };
        reconciled.extend(reconcile::composites(
            &self.config,
            &run,
            &children,
            at,
            beyond,
            &alert_fires,
            &reports,
        ));
        self.refused_before.set(&refused);
        Ok(Found {
            run,
            reconciled,
            removed,
            newest,
            refused,
            silent,
            fleet_alerts,
            firing,
            silent_at,
            requests: usize::try_from(self.metrics.queries_sent() - sent_before)
                .unwrap_or(usize::MAX),
        })
    }

    /// The alert of each silent fleet (`absence::fleet`), and the recovery of each fleet
    /// alert whose monitor was judged this run: a model reports again.
    fn fleet_signals(
        &self,
        found: &Found,
        unjudged: &BTreeSet<String>,
        at: Timestamp,
    ) -> Vec<Signal> {
        let mut out = Vec::new();
        for m in &self.config.monitors {
            let signal = match found.silent.get(&m.id) {
                Some(silence) => signals::absence::fleet_silent(&self.config, m, silence, at),
                // Judged this run (not refused either): its fleet alert is over.
                None if found.fleet_alerts.contains(&m.id) && !unjudged.contains(&m.id) => {
                    signals::absence::fleet_back(m, at).map(Some)
                }
                None => Ok(None),
            };
            match signal {
                Ok(signal) => out.extend(signal),
                Err(e) => {
                    tracing::error!(monitor = %m.id, error = %e, "fleet alert cannot become a signal")
                }
            }
        }
        out
    }

    async fn apply(
        &self,
        signals: Vec<Signal>,
        at: Timestamp,
        report: &mut RunReport,
        first_error: &mut Option<String>,
    ) {
        for signal in signals {
            report.changes += 1;
            // The evaluation instant is the processing time: a late or retried run of the
            // same minute writes exactly what the first would have.
            match self
                .store
                .apply_signal_logged(&signal, at, "evaluator")
                .await
            {
                Ok(written) => report.written += u32::from(written),
                Err(e) => {
                    report.failed += 1;
                    first_error.get_or_insert_with(|| e.to_string());
                }
            }
        }
    }
}

/// The monitors `refused` leaves unread, and every composite combining one of them,
/// however deep.
fn unread_with_composites<'a>(
    monitors: &'a [Monitor],
    refused: &'a BTreeSet<String>,
) -> BTreeSet<&'a str> {
    let mut unread: BTreeSet<&str> = refused.iter().map(String::as_str).collect();
    loop {
        let before = unread.len();
        for m in monitors {
            if let Rule::Composite(expr) = &m.rule
                && expr.monitors().iter().any(|id| unread.contains(id))
            {
                unread.insert(m.id.as_str());
            }
        }
        if unread.len() == before {
            return unread;
        }
    }
}
