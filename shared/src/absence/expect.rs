//! Which groups a monitor expects: those it covers, minus retired versions, listed in the
//! configuration or seen within the retention period.

use std::fmt;

use crate::config::Config;
use crate::domain::{Group, Seen, Timestamp};
use crate::rules::{Monitor, Rule};

use super::RETENTION_SECS;

/// Whether `monitor` evaluates `group` at all: one of its models (any, when it names
/// none; never series without a model tag), and for a version comparison not the stable
/// version it compares with.
pub fn covers(config: &Config, monitor: &Monitor, group: &Group) -> bool {
    if group.is_untagged() {
        return false;
    }
    let model_covered = monitor.models.is_empty()
        || group
            .model
            .as_ref()
            .is_some_and(|g| monitor.models.contains(g));
    if !model_covered {
        return false;
    }
    if let Rule::VersionCompare(vc) = &monitor.rule {
        let fallback = group
            .model
            .as_deref()
            .and_then(|name| config.model(name))
            .and_then(|model| model.stable_version.as_deref());
        let stable = vc.stable_version.as_deref().or(fallback);
        if stable.is_some() && group.version.as_deref() == stable {
            return false;
        }
    }
    true
}

/// The groups the configuration itself expects `monitor` to see: each listed version of
/// each configured model it covers, in any environment (a model listing no versions: any
/// version). A series of one of them in some environment stands for it.
pub fn configured_groups(config: &Config, monitor: &Monitor) -> Vec<Group> {
    let names: Vec<&String> = if monitor.models.is_empty() {
        config.models.keys().collect()
    } else {
        monitor.models.iter().collect()
    };
    let mut groups = Vec::new();
    for model in names.into_iter().filter_map(|name| config.model(name)) {
        if model.versions.is_empty() {
            groups.push(Group::new(&model.name, None, None));
        }
        for version in &model.versions {
            groups.push(Group::new(&model.name, Some(version), None));
        }
    }
    groups.retain(|g| covers(config, monitor, g));
    groups
}

/// Whether a configured group `configured` is reported by `group`.
pub(super) fn stands_for(configured: &Group, group: &Group) -> bool {
    configured.model == group.model
        && (configured.version.is_none() || configured.version == group.version)
}

/// Whether `group` is of a version its model does not list (when it lists any): watched
/// while it reports, but its silence is not a model gone quiet (a canary rolled back, a
/// version retired), so it never pages no data.
pub fn unlisted_version(config: &Config, group: &Group) -> bool {
    let model = group.model.as_deref().and_then(|name| config.model(name));
    match (model, &group.version) {
        (Some(m), Some(v)) => !m.versions.is_empty() && !m.versions.contains(v),
        _ => false,
    }
}

/// Why a group the monitor knew is no longer expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unexpected {
    /// The monitor no longer covers its model (or compares against its version).
    NotCovered,
    /// Its model lists versions, and not this one, and it stopped reporting.
    Retired,
    /// A group the configuration does not list, silent for the retention period.
    Gone { last_seen: Timestamp },
    /// A configured group that the configuration no longer lists.
    Unlisted,
}

impl fmt::Display for Unexpected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unexpected::NotCovered => f.write_str("the monitor no longer watches it"),
            Unexpected::Retired => {
                f.write_str("its version is not listed under `models:`, and it stopped reporting")
            }
            Unexpected::Gone { last_seen } => write!(
                f,
                "it has not reported since {last_seen}, longer than the {} days a group \
                 `models:` does not list stays expected",
                RETENTION_SECS / 86_400
            ),
            Unexpected::Unlisted => f.write_str("`models:` no longer lists it"),
        }
    }
}

/// What else of a group's model serves now.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Serving {
    /// Another version, in the group's environment (without that, a silent version its
    /// model does not list is the model gone quiet there, not a version retired).
    pub in_its_place: bool,
    /// Any other group of the model, anywhere (without that, a configured model is dark:
    /// its silent groups stay expected, or its configured group would page again).
    pub elsewhere: bool,
}

/// Whether `monitor` still expects `group`, which it knows as `seen`, at `at`, with what
/// else of its model serves.
pub(super) fn expected(
    config: &Config,
    monitor: &Monitor,
    configured: &[Group],
    group: &Group,
    seen: &Seen,
    serving: Serving,
    at: Timestamp,
) -> Result<(), Unexpected> {
    if !covers(config, monitor, group) {
        return Err(Unexpected::NotCovered);
    }
    if !seen.reported {
        return if configured.contains(group) {
            Ok(())
        } else {
            Err(Unexpected::Unlisted)
        };
    }
    let model = group.model.as_deref().and_then(|name| config.model(name));
    match (model, &group.version) {
        // A version its model does not list is watched like any other while it reports (a
        // canary, or a rollout ahead of the configuration: what a version comparison is
        // for); once absent, with another version serving in its place, it is not waited
        // for, and its alert resolves. (Not sooner: a canary with sparse traffic that
        // breaches again after a gap is in the same spell, which would signal nothing to
        // reopen an alert resolved in the gap.) The only version serving there, gone
        // quiet, is the model gone quiet: expected for the retention period, as a group
        // the configuration does not list, and past it while the model is dark.
        (Some(m), Some(v)) if !m.versions.is_empty() && !m.versions.contains(v) => {
            let silent = seen.last_seen.plus_secs(monitor.absent_after_secs()) <= at;
            let kept = seen.last_seen.plus_secs(RETENTION_SECS) > at;
            match (silent, serving.in_its_place) {
                (false, _) => Ok(()),
                (true, true) => Err(Unexpected::Retired),
                (true, false) if kept || !serving.elsewhere => Ok(()),
                (true, false) => Err(Unexpected::Gone {
                    last_seen: seen.last_seen,
                }),
            }
        }
        (Some(m), Some(_)) if !m.versions.is_empty() => Ok(()),
        // A configured model that lists no versions: a group of it silent for the
        // retention period (a retired or preview environment, an old version) is
        // forgotten while the model serves elsewhere; the model dark, it stays.
        (Some(_), _) if !serving.elsewhere => Ok(()),
        _ if seen.last_seen.plus_secs(RETENTION_SECS) <= at => Err(Unexpected::Gone {
            last_seen: seen.last_seen,
        }),
        _ => Ok(()),
    }
}
