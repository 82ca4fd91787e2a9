//! One run's bookkeeping for one monitor: what it has seen updated with what Datadog
//! returned, and the groups whose alert must be looked at (absent, back, or no longer
//! expected), each once.

use std::collections::BTreeMap;

use crate::config::Config;
use crate::domain::{Group, Seen, SeenGroups, Timestamp};
use crate::rules::Monitor;

use super::REFRESH_SECS;
use super::expect::{Serving, Unexpected, configured_groups, covers, expected, stands_for};

/// A group whose alert the evaluator must read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Expected, and silent since `since` (its newest point, or when it was first expected
    /// when `reported` is false) for longer than the monitor's absence horizon.
    Absent {
        group: Group,
        since: Timestamp,
        reported: bool,
    },
    /// Reporting again after an absence. `via` is the group that reports for a configured
    /// group (which has no environment of its own).
    Back { group: Group, via: Option<Group> },
    /// Known, but no longer expected.
    Unexpected { group: Group, why: Unexpected },
}

impl Check {
    pub fn group(&self) -> &Group {
        match self {
            Check::Absent { group, .. } | Check::Back { group, .. } => group,
            Check::Unexpected { group, .. } => group,
        }
    }
}

/// What a run does about one monitor's groups.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// What to keep (write it when [`should_write`] says so, after the checks' signals are
    /// stored). Every check's absence is already marked reconciled here.
    pub seen: SeenGroups,
    pub checks: Vec<Check>,
}

impl Plan {
    /// The plan of a monitor held while its fleet is silent (`fleet`): what it has seen is
    /// kept (this run's newest points too), and groups the configuration no longer lists or
    /// covers, or gone for the retention period, are still looked at; but no group is taken
    /// for absent or back, nor retired for its silence (their marks and entries stay as
    /// `previous` had them), so once the monitor is judged again each is looked at as if
    /// the hold had not been.
    pub fn held(mut self, previous: &SeenGroups) -> Plan {
        let checks = std::mem::take(&mut self.checks);
        for check in checks {
            match check {
                Check::Unexpected {
                    why: Unexpected::NotCovered | Unexpected::Unlisted | Unexpected::Gone { .. },
                    ..
                } => self.checks.push(check),
                other => {
                    let group = other.group();
                    if let Some(before) = previous.groups.get(group) {
                        self.seen.groups.entry(group.clone()).or_insert(*before);
                    }
                }
            }
        }
        for (group, seen) in &mut self.seen.groups {
            seen.absent_since = previous.groups.get(group).and_then(|s| s.absent_since);
        }
        self
    }

    /// Undoes the clearing of a returned group's mark, so the next run looks again (its
    /// evaluation is not clean yet).
    pub fn look_again(&mut self, group: &Group, previous: &SeenGroups) {
        let before = previous.groups.get(group).and_then(|s| s.absent_since);
        if let Some(entry) = self.seen.groups.get_mut(group) {
            entry.absent_since = before;
        }
    }
}

/// Updates what `monitor` has seen with `newest` (each returned group's newest point) at
/// `at`, and lists the groups whose alert needs a look.
pub fn plan(
    config: &Config,
    monitor: &Monitor,
    previous: &SeenGroups,
    newest: &BTreeMap<Group, Timestamp>,
    at: Timestamp,
) -> Plan {
    let mut groups = previous.groups.clone();
    let mut checks = Vec::new();
    for (group, t) in newest.iter().filter(|(g, _)| covers(config, monitor, g)) {
        let entry = groups.entry(group.clone()).or_insert(Seen {
            last_seen: *t,
            reported: true,
            absent_since: None,
        });
        entry.reported = true;
        entry.last_seen = entry.last_seen.max(*t);
    }

    // No longer expected: looked at once, then forgotten.
    let configured = configured_groups(config, monitor);
    // The groups serving now: any the query returned (a version comparison's stable
    // version too, which the monitor does not cover), and the seen ones still reporting.
    let absent_after = monitor.absent_after_secs();
    let serving: Vec<Group> = groups
        .iter()
        .filter(|(_, s)| s.reported)
        .map(|(g, s)| (g, s.last_seen))
        .chain(newest.iter().map(|(g, t)| (g, *t)))
        .filter(|(_, last)| last.plus_secs(absent_after) > at)
        .map(|(g, _)| g.clone())
        .collect();
    let serving_beside = |group: &Group| {
        let others = || {
            serving
                .iter()
                .filter(|g| *g != group && g.model == group.model)
        };
        Serving {
            in_its_place: others()
                .any(|g| g.environment == group.environment && g.version != group.version),
            elsewhere: others().next().is_some(),
        }
    };
    groups.retain(|group, seen| {
        match expected(
            config,
            monitor,
            &configured,
            group,
            seen,
            serving_beside(group),
            at,
        ) {
            Ok(()) => true,
            Err(why) => {
                checks.push(Check::Unexpected {
                    group: group.clone(),
                    why,
                });
                false
            }
        }
    });

    // Configured groups: stood for by any series of theirs that was seen, else kept from
    // the first run that expected them.
    for c in &configured {
        let via = groups
            .iter()
            .find(|(g, s)| s.reported && stands_for(c, g))
            .map(|(g, _)| g.clone());
        match (groups.get(c).copied(), via) {
            (Some(seen), Some(via)) if !seen.reported => {
                groups.remove(c);
                if seen.absent_since.is_some() {
                    checks.push(Check::Back {
                        group: c.clone(),
                        via: Some(via),
                    });
                }
            }
            (None, None) => {
                groups.insert(
                    c.clone(),
                    Seen {
                        last_seen: at,
                        reported: false,
                        absent_since: None,
                    },
                );
            }
            _ => {}
        }
    }

    for (group, seen) in &mut groups {
        let reporting = newest
            .get(group)
            .is_some_and(|t| t.plus_secs(absent_after) > at);
        if reporting {
            if seen.absent_since.take().is_some() {
                checks.push(Check::Back {
                    group: group.clone(),
                    via: None,
                });
            }
        } else if seen.last_seen.plus_secs(absent_after) <= at
            && seen.absent_since != Some(seen.last_seen)
        {
            seen.absent_since = Some(seen.last_seen);
            checks.push(Check::Absent {
                group: group.clone(),
                since: seen.last_seen,
                reported: seen.reported,
            });
        }
    }
    Plan {
        seen: SeenGroups {
            monitor: monitor.id.clone(),
            groups,
        },
        checks,
    }
}

/// Whether `next` must be stored over `previous`: a group came or went, an absence mark
/// changed, a reporting group's stored time lags by [`REFRESH_SECS`] or more, or a group
/// that looks silent has a stored time that is not exactly its newest point (its absence
/// is measured from it).
pub fn should_write(
    monitor: &Monitor,
    previous: &SeenGroups,
    next: &SeenGroups,
    at: Timestamp,
) -> bool {
    if previous.groups.len() != next.groups.len() {
        return true;
    }
    let silent_before = Timestamp::from_millis(
        at.millis()
            - i64::try_from(monitor.no_data_after_secs()).unwrap_or(i64::MAX / 4_000) * 1000,
    );
    next.groups.iter().any(|(group, n)| {
        let Some(p) = previous.groups.get(group) else {
            return true;
        };
        p.reported != n.reported
            || p.absent_since != n.absent_since
            || n.last_seen.secs_since(p.last_seen) >= REFRESH_SECS
            || (n.last_seen != p.last_seen && n.last_seen <= silent_before)
    })
}
