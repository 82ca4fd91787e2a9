//! Every model of a monitor going quiet at once. That is one cause — Datadog's intake
//! running late (its query API answers, with no recent points for anyone), the metric's
//! pipeline, or the whole serving fleet down — and one page, not one per model. While it
//! lasts the monitor is held: none of its groups is judged (no no-data alert per model),
//! and the run does not count it as evaluated, so the first run after the silence replays
//! it, or brings its alerts to what it sees, as after an outage of Datadog's API. What it
//! has seen is still kept, and groups the configuration no longer lists or covers, or gone
//! for the retention period, are still retired (`Plan::held`). One alert per monitor says
//! so in the meantime.
//!
//! Only for monitors that page on no data (`no_data: alert` or `warn`): under `resolve` or
//! `ignore` a quiet fleet pages nobody, and a sparse metric's quiet is its normal state.
//! Not for version comparisons, whose groups are canaries that end by design.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::Config;
use crate::domain::{Alert, Group, SeenGroups, Timestamp};
use crate::rules::{Monitor, NoDataPolicy, Point, Rule};

use super::covers;

/// What the fleet alert's scope says, after the bar of its key: `eval:{monitor}|every model`.
/// A group's alert key has `tag:value` pairs there, so no group's can be this one.
pub const SCOPE: &str = "every model";

/// At most this many models are named on a fleet alert (its tags, by which silences mute
/// it); past it the alert names the count.
pub const NAMED_MODELS: usize = 100;

/// How many models must go quiet together before their silence is the fleet's, not each
/// model's: a single model's silence is its own.
pub const FLEET_MODELS: usize = 2;

/// A monitor none of whose models reports, two or more having gone quiet together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetSilence {
    /// The newest point of any of the monitor's groups.
    pub since: Timestamp,
    /// The oldest newest point of the groups that went quiet together: the first of their
    /// own no-data alerts was due from it.
    pub first: Timestamp,
    /// The models that went quiet together (`together_secs`). A model quiet for longer
    /// had its own no-data alert due while the others still reported, and is not named.
    pub models: Vec<String>,
    /// The environment all of their groups are in, when there is one.
    pub environment: Option<String>,
}

/// Whether a quiet fleet of `monitor` is held and paged as one.
pub fn applies(monitor: &Monitor) -> bool {
    matches!(monitor.no_data, NoDataPolicy::Alert | NoDataPolicy::Warn)
        && !matches!(monitor.rule, Rule::VersionCompare(_))
}

/// How far before the fleet's newest point a model's newest may be and the model still
/// have gone quiet with it: its own no-data alert, due the rest of its trigger window after
/// its first instant without data, would not have paged before the monitor was held (at the
/// fleet's first instant without data). A model quiet for longer was paged on its own.
pub fn together_secs(monitor: &Monitor) -> u64 {
    let breaches = u64::from(monitor.trigger.breaches.max(1)) - 1;
    breaches.saturating_mul(monitor.every_secs.max(1))
}

/// When a silent fleet pages: when the first of its models' own no-data alerts would have.
pub fn pages_at(monitor: &Monitor, silence: &FleetSilence) -> Timestamp {
    silence
        .first
        .plus_secs(monitor.no_data_after_secs())
        .plus_secs(together_secs(monitor))
}

/// Whether `monitor`'s fleet is silent at `at`, by what it has seen (`absence::plan`'s
/// `seen`: this run's newest points merged into what runs before kept, groups no longer
/// expected gone).
pub fn silence(monitor: &Monitor, seen: &SeenGroups, at: Timestamp) -> Option<FleetSilence> {
    let last = seen
        .groups
        .iter()
        .filter(|(_, s)| s.reported)
        .map(|(g, s)| (g, s.last_seen));
    judge(monitor, last, at)
}

/// Of `instants`, those at which `monitor`'s fleet was silent, by this run's data alone
/// (`groups`, each one's points in time order), so every run whose look-back holds an
/// instant decides it alike. An instant at which a group reports is passed over at once.
pub fn silent_instants(
    config: &Config,
    monitor: &Monitor,
    groups: &BTreeMap<Group, Vec<Point>>,
    instants: impl Iterator<Item = Timestamp>,
) -> BTreeSet<Timestamp> {
    if !applies(monitor) {
        return BTreeSet::new();
    }
    let covered: Vec<(&Group, &Vec<Point>)> = groups
        .iter()
        .filter(|(g, _)| covers(config, monitor, g))
        .collect();
    instants
        .filter(|i| {
            let newest = |points: &Vec<Point>| newest_by(points, *i);
            let reports = covered
                .iter()
                .any(|(_, points)| newest(points).is_some_and(|t| monitor.reports(t, *i)));
            !reports
                && judge(
                    monitor,
                    covered
                        .iter()
                        .filter_map(|(g, points)| newest(points).map(|t| (*g, t))),
                    *i,
                )
                .is_some()
        })
        .collect()
}

fn judge<'a>(
    monitor: &Monitor,
    last: impl Iterator<Item = (&'a Group, Timestamp)>,
    at: Timestamp,
) -> Option<FleetSilence> {
    if !applies(monitor) {
        return None;
    }
    let last: Vec<(&Group, Timestamp)> = last.collect();
    let since = last.iter().map(|(_, t)| *t).max()?;
    if monitor.reports(since, at) {
        return None;
    }
    let together = since.minus_secs(together_secs(monitor));
    let quiet: Vec<(&Group, Timestamp)> =
        last.into_iter().filter(|(_, t)| *t >= together).collect();
    let first = quiet.iter().map(|(_, t)| *t).min().unwrap_or(since);
    let quiet: Vec<&Group> = quiet.into_iter().map(|(g, _)| g).collect();
    let models: BTreeSet<&str> = quiet.iter().filter_map(|g| g.model.as_deref()).collect();
    if models.len() < FLEET_MODELS {
        return None;
    }
    let environments: BTreeSet<Option<&str>> =
        quiet.iter().map(|g| g.environment.as_deref()).collect();
    let environment = match environments.into_iter().collect::<Vec<_>>()[..] {
        [Some(one)] => Some(one.to_owned()),
        _ => None,
    };
    Some(FleetSilence {
        since,
        first,
        models: models.into_iter().map(str::to_owned).collect(),
        environment,
    })
}

/// The time of the newest point with a value at or before `at`, of points in time order.
fn newest_by(points: &[Point], at: Timestamp) -> Option<Timestamp> {
    let end = points.partition_point(|p| p.at <= at);
    points[..end]
        .iter()
        .rev()
        .find(|p| p.value.is_finite())
        .map(|p| p.at)
}

/// The models a fleet alert names (its `model:` tags), or none for any other alert.
pub fn models_of(alert: &Alert) -> Vec<&str> {
    let is_fleet = alert.key.as_str().starts_with("eval:")
        && alert
            .key
            .as_str()
            .rsplit_once('|')
            .is_some_and(|(_, scope)| scope == SCOPE);
    if !is_fleet {
        return Vec::new();
    }
    alert
        .context
        .tags
        .iter()
        .filter_map(|t| t.strip_prefix("model:"))
        .collect()
}
