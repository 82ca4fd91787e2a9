//! Every model of a monitor going quiet at once. That is one cause — Datadog's intake
//! running late (its query API answers, with no recent points for anyone), the metric's
//! pipeline, or the whole serving fleet down — and one page, not one per model. While it
//! lasts the monitor is held: none of its groups is judged (no no-data alert per model,
//! no resolve under `no_data: resolve`), and the run does not count it as evaluated, so
//! the first run after the silence replays it, or brings its alerts to what it sees, as
//! after an outage of Datadog's API. One alert per monitor says so in the meantime.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::Config;
use crate::domain::{Group, SeenGroups, Timestamp};
use crate::rules::{Evaluation, Monitor, Point, State};

use super::covers;

/// A monitor none of whose models reports, when at least two went quiet together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetSilence {
    /// The newest point of any of the monitor's groups.
    pub since: Timestamp,
    /// The models that went quiet together: each one's newest point is within
    /// `Monitor::absent_after_secs` of `since`. A model silent for longer (retired, or
    /// silent on its own before) is the absence rule's as before, and not named.
    pub models: Vec<String>,
}

/// How many models must go quiet together before their silence is the fleet's, not each
/// model's: a single model's silence is its own.
pub const FLEET_MODELS: usize = 2;

/// Whether `monitor`'s fleet is silent at `at`: no group it covers reports, by `newest`
/// (each group's newest point in this run's data) and `seen` (what the monitor saw in runs
/// before, which reaches further back than one run's data).
pub fn silence(
    config: &Config,
    monitor: &Monitor,
    newest: &BTreeMap<Group, Timestamp>,
    seen: &SeenGroups,
    at: Timestamp,
) -> Option<FleetSilence> {
    let mut last: BTreeMap<&Group, Timestamp> = seen
        .groups
        .iter()
        .filter(|(_, s)| s.reported)
        .map(|(g, s)| (g, s.last_seen))
        .collect();
    for (group, t) in newest {
        let entry = last.entry(group).or_insert(*t);
        *entry = (*entry).max(*t);
    }
    last.retain(|g, _| covers(config, monitor, g));
    let since = last.values().copied().max()?;
    if monitor.reports(since, at) {
        return None;
    }
    let together = since.minus_secs(monitor.absent_after_secs());
    let models: BTreeSet<&str> = last
        .iter()
        .filter(|(_, t)| **t >= together)
        .filter_map(|(g, _)| g.model.as_deref())
        .collect();
    (models.len() >= FLEET_MODELS).then(|| FleetSilence {
        since,
        models: models.into_iter().map(str::to_owned).collect(),
    })
}

/// When a silent fleet pages: once every instant of the monitor's trigger window would be
/// without data (the first instant without data is `since` plus `no_data_after_secs`), as
/// the first model's own no-data alert would have.
pub fn pages_at(monitor: &Monitor, silence: &FleetSilence) -> Timestamp {
    let breaches = u64::from(monitor.trigger.breaches.max(1)) - 1;
    silence
        .since
        .plus_secs(monitor.no_data_after_secs())
        .plus_secs(breaches.saturating_mul(monitor.every_secs.max(1)))
}

/// Of `changes` (a run's changes of `monitor` over `groups`, its data), the no-data ones
/// that were the fleet's silence and are over: at their instant no group reported, two
/// models or more having gone quiet together, and their group reports at `at`. The fleet's
/// alert paged for them; replayed after the monitor was held, they would page each model
/// for a silence already over. A group still silent keeps its change, and is paged on its
/// own. Decided from the data alone, so every run of the look-back decides alike.
pub fn overlapped<'a>(
    config: &Config,
    monitor: &Monitor,
    groups: &BTreeMap<Group, Vec<Point>>,
    changes: &'a [Evaluation],
    at: Timestamp,
) -> Vec<&'a Evaluation> {
    let nothing_seen = SeenGroups::new(monitor.id.clone());
    changes
        .iter()
        .filter(|e| e.state == State::NoData)
        .filter(|e| {
            groups
                .get(&e.group)
                .and_then(|points| newest_by(points, at))
                .is_some_and(|t| monitor.reports(t, at))
        })
        .filter(|e| {
            let then: BTreeMap<Group, Timestamp> = groups
                .iter()
                .filter_map(|(g, points)| newest_by(points, e.at).map(|t| (g.clone(), t)))
                .collect();
            silence(config, monitor, &then, &nothing_seen, e.at).is_some()
        })
        .collect()
}

/// The time of the newest point with a value at or before `at`.
fn newest_by(points: &[Point], at: Timestamp) -> Option<Timestamp> {
    points
        .iter()
        .filter(|p| p.value.is_finite() && p.at <= at)
        .map(|p| p.at)
        .max()
}
