//! The absence rule's I/O (`modelwatch::absence` decides): each monitor's seen groups,
//! read from the table (a copy kept between runs of a warm container) and written when they
//! changed, and the alert of each group the plan asks about.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use modelwatch::absence::{self, FleetSilence, Verdict};
use modelwatch::domain::{Group, SeenGroups, Signal, Timestamp};
use modelwatch::rules::{Monitor, Point, Rule};
use modelwatch::signals;
use modelwatch::store::StoreError;

use crate::{Evaluator, Run};

/// A warm container re-reads a monitor's groups after this long: the copy it wrote itself
/// is only stale when another container ran in between, which at worst repeats a look at
/// an alert (every verdict is idempotent).
const REREAD_SECS: u64 = 15 * 60;

/// Each monitor's seen groups as last read or written, and when they were read.
#[derive(Debug, Default)]
pub struct SeenCache(Mutex<BTreeMap<String, (SeenGroups, Timestamp)>>);

impl SeenCache {
    fn get(&self, monitor: &str, at: Timestamp) -> Option<SeenGroups> {
        let cache = self.0.lock().ok()?;
        let (seen, read_at) = cache.get(monitor)?;
        (at >= *read_at && at.secs_since(*read_at) < REREAD_SECS).then(|| seen.clone())
    }

    /// How many groups the copy holds, without copying it.
    fn count(&self, monitor: &str, at: Timestamp) -> Option<usize> {
        let cache = self.0.lock().ok()?;
        let (seen, read_at) = cache.get(monitor)?;
        (at >= *read_at && at.secs_since(*read_at) < REREAD_SECS).then_some(seen.groups.len())
    }

    fn put(&self, seen: SeenGroups, read_at: Timestamp) {
        if let Ok(mut cache) = self.0.lock() {
            cache.insert(seen.monitor.clone(), (seen, read_at));
        }
    }

    fn read_at(&self, monitor: &str) -> Option<Timestamp> {
        self.0.lock().ok()?.get(monitor).map(|(_, t)| *t)
    }
}

/// What the absence rule did in one run.
#[derive(Debug, Default)]
pub struct Outcome {
    pub checks: u32,
    pub signals: Vec<Signal>,
}

impl Evaluator {
    /// For each monitor: the plan over what Datadog returned, a look at the alert of each
    /// group it names, and the signals owed. `store_seen` then writes what changed. A
    /// monitor held while its fleet is silent (`held`) keeps what it saw, and takes no group
    /// for absent or back nor retires one for its silence (`Plan::held`).
    pub(crate) async fn absence(
        &self,
        newest: &BTreeMap<String, BTreeMap<Group, Timestamp>>,
        refused: &BTreeSet<String>,
        held: &BTreeMap<String, FleetSilence>,
        run: &Run,
        at: Timestamp,
    ) -> Result<(Outcome, Vec<(SeenGroups, SeenGroups)>), StoreError> {
        let mut outcome = Outcome::default();
        let mut updates = Vec::new();
        let none = BTreeMap::new();
        // A monitor Datadog would not read has no points this run, which says nothing of
        // its groups.
        let read = |m: &&Monitor| reads_a_metric(m) && !refused.contains(&m.id);
        for monitor in self.config.monitors.iter().filter(read) {
            let previous = self.seen_groups(&monitor.id, at).await?;
            let newest = newest.get(&monitor.id).unwrap_or(&none);
            let mut plan = absence::plan(&self.config, monitor, &previous, newest, at);
            if held.contains_key(&monitor.id) {
                plan = plan.held(&previous);
            }
            let metric = monitor.metric.as_deref().unwrap_or(&monitor.id);
            for check in &plan.checks.clone() {
                let group = check.group();
                // A group whose alert key would be too long has no alert (its evaluation
                // could not become a signal either, and says so): the other groups and
                // monitors go on.
                let key = match signals::evaluation::alert_key(&monitor.id, group) {
                    Ok(key) => key,
                    Err(e) => {
                        tracing::error!(monitor = %monitor.id, group = %group, error = %e, "evaluation cannot become a signal");
                        continue;
                    }
                };
                let alert = self.store.load(&key).await?;
                // Back only once its check is clean: a value that holds (between a level
                // and its recovery level) says nothing of a breach it held through.
                let now = run.known_state(&monitor.id, group);
                let verdict = absence::decide(monitor, metric, check, alert.as_ref(), now);
                outcome.checks += 1;
                tracing::info!(
                    monitor = %monitor.id,
                    group = %group,
                    check = ?check,
                    verdict = ?verdict,
                    "absence"
                );
                if verdict == Verdict::LookAgain {
                    plan.look_again(group, &previous);
                }
                let signal =
                    signals::absence::to_signal(&self.config, monitor, group, &verdict, at)
                        .map_err(|e| bad_key(&monitor.id, group, e))?;
                outcome.signals.extend(signal);
                if matches!(check, absence::Check::Unexpected { .. }) {
                    let retired = self.retire_composites(monitor, check, at).await?;
                    outcome.signals.extend(retired);
                }
            }
            if absence::should_write(monitor, &previous, &plan.seen, at) {
                updates.push((previous, plan.seen));
            }
        }
        Ok((outcome, updates))
    }

    /// The composites that combine `monitor`, for a group it no longer expects (`check`):
    /// a composite is evaluated only on the groups all its monitors have, so its open
    /// alert for that group could never recover, and is resolved with the same note.
    async fn retire_composites(
        &self,
        monitor: &Monitor,
        check: &absence::Check,
        at: Timestamp,
    ) -> Result<Vec<Signal>, StoreError> {
        let group = check.group();
        let mut out = Vec::new();
        for composite in self
            .config
            .monitors
            .iter()
            .filter(|c| combines(c, &monitor.id))
        {
            // A key the composite's id makes too long is the evaluator's to report (it
            // cannot become a signal there either); the monitors' own retirements go on.
            let key = match signals::evaluation::alert_key(&composite.id, group) {
                Ok(key) => key,
                Err(e) => {
                    tracing::error!(composite = %composite.id, group = %group, error = %e, "composite alert key; not retired");
                    continue;
                }
            };
            let alert = self.store.load(&key).await?;
            let verdict = absence::decide(composite, &composite.id, check, alert.as_ref(), None);
            tracing::info!(composite = %composite.id, group = %group, via = %monitor.id, verdict = ?verdict, "absence of a combined monitor's group");
            let signal = signals::absence::to_signal(&self.config, composite, group, &verdict, at)
                .map_err(|e| bad_key(&composite.id, group, e))?;
            out.extend(signal);
        }
        Ok(out)
    }

    /// How many groups each monitor that reads a metric has seen: what its next answer
    /// will about hold (`fetch::reads`).
    pub(crate) async fn seen_counts(
        &self,
        at: Timestamp,
    ) -> Result<BTreeMap<String, usize>, StoreError> {
        let mut counts = BTreeMap::new();
        for monitor in self.config.monitors.iter().filter(|m| reads_a_metric(m)) {
            let count = match self.seen.count(&monitor.id, at) {
                Some(count) => count,
                None => self.seen_groups(&monitor.id, at).await?.groups.len(),
            };
            counts.insert(monitor.id.clone(), count);
        }
        Ok(counts)
    }

    /// The groups `monitor` has seen, from the copy kept between runs or the table.
    pub(crate) async fn seen_groups(
        &self,
        monitor: &str,
        at: Timestamp,
    ) -> Result<SeenGroups, StoreError> {
        if let Some(seen) = self.seen.get(monitor, at) {
            return Ok(seen);
        }
        let seen = match self.store.seen_groups(monitor).await {
            Ok(seen) => seen,
            // An item this version cannot read (another version's) costs that monitor what
            // it remembered, not every monitor's run: it starts afresh, and its next write
            // replaces the item.
            Err(e @ StoreError::BadItem { .. }) => {
                tracing::error!(monitor, error = %e, "seen groups unreadable; starting afresh");
                SeenGroups::new(monitor)
            }
            Err(e) => return Err(e),
        };
        self.seen.put(seen.clone(), at);
        Ok(seen)
    }

    /// Stores each monitor's changed groups (after the signals they mark as handled).
    pub(crate) async fn store_seen(
        &self,
        updates: Vec<(SeenGroups, SeenGroups)>,
    ) -> Result<u32, StoreError> {
        let mut written = 0;
        for (_, next) in updates {
            match self.store.put_seen_groups(&next).await {
                Ok(()) => {}
                // Too many groups for one item even deflated: that monitor's memory is not
                // kept (it is logged by name every run); the others' are.
                Err(e @ StoreError::BadItem { .. }) => {
                    tracing::error!(monitor = %next.monitor, error = %e, "seen groups not stored");
                    continue;
                }
                Err(e) => return Err(e),
            }
            let read_at = self.seen.read_at(&next.monitor);
            // Keeps the copy's read time: a write does not show what another container wrote.
            if let Some(read_at) = read_at {
                self.seen.put(next, read_at);
            }
            written += 1;
        }
        Ok(written)
    }
}

/// Whether `m` is a composite that combines the monitor `id`.
fn combines(m: &Monitor, id: &str) -> bool {
    matches!(&m.rule, Rule::Composite(expr) if expr.monitors().contains(&id))
}

/// Composites read no metric of their own: their groups are their monitors'.
fn reads_a_metric(m: &Monitor) -> bool {
    !matches!(m.rule, Rule::Composite(_)) && (m.query.is_some() || m.metric.is_some())
}

/// Each returned group's newest point (groups without one are as good as not returned).
pub(crate) fn newest_points(groups: &BTreeMap<Group, Vec<Point>>) -> BTreeMap<Group, Timestamp> {
    groups
        .iter()
        .filter_map(|(g, points)| newest_point(points).map(|t| (g.clone(), t)))
        .collect()
}

/// The time of the newest point with a value.
pub(crate) fn newest_point(points: &[Point]) -> Option<Timestamp> {
    points
        .iter()
        .filter(|p| p.value.is_finite())
        .map(|p| p.at)
        .max()
}

fn bad_key(monitor: &str, group: &Group, e: modelwatch::domain::InvalidValue) -> StoreError {
    StoreError::BadItem {
        key: format!("monitor {monitor}, group {group}"),
        field: "alert key".into(),
        message: e.to_string(),
    }
}
