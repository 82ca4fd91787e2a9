//! Bringing alerts to what a run sees where no change inside its look-back would: after
//! Datadog or the evaluator was down longer than `CATCH_UP` instants, on a monitor's first
//! run (a group already breaching when modelwatch is deployed has no change to signal),
//! and when an alert was opened on a minute read while Datadog was still filling it, which
//! read whole does not breach. Pure: the store's open alerts come in as a predicate,
//! `fires`: whether a group's alert is open and shows its monitor firing. An open alert
//! that shows its monitor ok is held open on purpose (flapping) and agrees with an ok group.

use std::collections::{BTreeMap, BTreeSet};

use modelwatch::absence;
use modelwatch::config::Config;
use modelwatch::domain::{LastRun, Timestamp};
use modelwatch::rules::{self, Evaluation, Evaluator, Group, Monitor, Point, Rule, State};

use crate::absent::newest_point;
use crate::plan::{
    CATCH_UP, ChildrenAt, Pass, Run, data_of, held_back_secs, last_complete_instant,
};

/// The monitors whose changes since the last good run are not all inside this run's
/// look-back: every monitor the last run did not evaluate, and every monitor when the last
/// run's newest complete instant (it held back the recoveries after it: `plan::settled`)
/// is more than one evaluation before the look-back's first instant.
pub fn beyond_look_back<'a>(
    config: &'a Config,
    last: Option<&LastRun>,
    at: Timestamp,
) -> BTreeSet<&'a str> {
    config
        .monitors
        .iter()
        .filter(|m| {
            let first = at.minus_secs(u64::from(CATCH_UP - 1).saturating_mul(m.every_secs));
            let from = first.plus_secs(held_back_secs(m));
            !LastRun::covers(last, &config.judged_as(m), from, m.every_secs)
        })
        .map(|m| m.id.as_str())
        .collect()
}

/// Which disagreements between a group's state and its alert a run settles for a monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Both ways: the monitor's changes since the last good run are not all inside the
    /// look-back (`beyond_look_back`).
    Both,
    /// Only alerts that fire while their group is ok. With the last good run inside the
    /// look-back, a group firing without such an alert has had its change signalled, and the lifecycle
    /// dropped it (a person resolved the alert while it fired) or the open-alerts index has
    /// not caught up: signalled again every minute, it would only be dropped again.
    OpenWhileOk,
}

impl Settle {
    /// For monitor `id`, given the monitors beyond the look-back.
    pub fn of(id: &str, beyond: &BTreeSet<&str>) -> Self {
        if beyond.contains(id) {
            Settle::Both
        } else {
            Settle::OpenWhileOk
        }
    }
}

/// For monitor `m` (not a composite), just added to `pass` with `groups`, its data: the
/// evaluations at `at` that bring a group's alert to the group's state where the run
/// signals no change that would. A group firing without a firing alert (its spell began
/// before the look-back) and a firing alert whose group is ok (it recovered before).
/// `previous` is set to what the alert shows, so each becomes the signal a change would
/// have; a firing one keeps its spell's id for its state, so an alert that already has it
/// drops it as a duplicate. (A state the spell reached by a change within it was signalled
/// with that change's instant too: an alert a person resolved in it opens again.) Groups
/// that stopped reporting are the absence rule's (`Monitor::reports`).
pub fn monitor(
    config: &Config,
    m: &Monitor,
    groups: &BTreeMap<Group, Vec<Point>>,
    pass: &Pass<'_>,
    at: Timestamp,
    settle: Settle,
    fires: &dyn Fn(&str, &Group) -> bool,
) -> Vec<Evaluation> {
    let owed = owed(
        &m.id,
        pass.states_of(&m.id),
        pass.changes_of(&m.id),
        settle,
        fires,
    );
    let rollup = crate::fetch::rollup(m, at);
    let complete = last_complete_instant(m, at);
    owed.into_iter()
        .filter(|g| absence::covers(config, m, g))
        .filter_map(|g| {
            let points = groups.get(g)?;
            let evaluator = || {
                Evaluator::new(
                    m,
                    g,
                    data_of(config, m, groups, g, points, rollup, complete),
                )
            };
            let reports = newest_point(points).is_some_and(|t| m.reports(t, at));
            let e = evaluator().at(at);
            if e.state.is_firing() {
                // A spell firing when its group went quiet (at the first run, or after an
                // outage) opens; a no-data spell of a group that reports again does not:
                // its quiet is over, and it reads no data only until its recovery's clean
                // evaluations are in (after a fleet's silence, the fleet's alert paged for
                // it). A version comparison's group reports through a silent stable version.
                let over = e.state == State::NoData && reports && !compares_versions(m);
                return (!over).then_some(e);
            }
            // Only a resolve waits for the group to report.
            clean_resolve(evaluator().at(complete)).filter(|_| reports)
        })
        .map(as_reconciled)
        .collect()
}

/// Whether `m` compares versions: its group reports while its stable version is silent,
/// which is a no-data spell that is not over.
fn compares_versions(m: &Monitor) -> bool {
    matches!(m.rule, Rule::VersionCompare(_))
}

/// `e`, an evaluation at the last complete instant, if it resolves: ok, on a clean check
/// (`Evaluation::clear`). A check that holds says nothing of the group, and the replay
/// reads ok past a breach it held through for longer than it reaches.
///
/// Reconcile's resolves are evaluated and dated at the last instant whose data is complete
/// (the group was ok at every instant of the look-back, so there too), not at the run's:
/// dated at a minute Datadog is still filling, a resolve would make a breach that minute
/// shows once whole older than it, dropped as stale, with no change left in the look-back
/// to open the alert again. Until that instant is after the alert's own change (at the
/// same instant, the signals' ids decide), the resolve is stale itself, and a later run
/// sends it again.
fn clean_resolve(e: Evaluation) -> Option<Evaluation> {
    (!e.state.is_firing() && e.clear).then_some(e)
}

/// The same for the composites, from the finished run and the evaluations of the monitors
/// they read (`Pass::children_to_reconcile`): at `at`, and for a resolve at the composite's
/// last complete instant (as `monitor`'s); `reports` says whether a monitor's group still
/// reports (`Monitor::reports`), and a composite's alert is resolved only while all of its
/// monitors' groups do.
pub fn composites(
    config: &Config,
    run: &Run,
    children: &ChildrenAt,
    at: Timestamp,
    beyond: &BTreeSet<&str>,
    fires: &dyn Fn(&str, &Group) -> bool,
    reports: &dyn Fn(&str, &Group) -> bool,
) -> Vec<Evaluation> {
    let mut out = Vec::new();
    for m in &config.monitors {
        let Rule::Composite(expr) = &m.rule else {
            continue;
        };
        let changes: Vec<Evaluation> = run
            .changes
            .iter()
            .filter(|e| e.monitor == m.id)
            .cloned()
            .collect();
        let settle = Settle::of(&m.id, beyond);
        let owed = owed(&m.id, run.now.get(&m.id), &changes, settle, fires);
        let firing = |g: &Group| run.state(&m.id, g).is_some_and(State::is_firing);
        let members = expr.monitors();
        let complete = last_complete_instant(m, at);
        let evaluated = |t: Timestamp| {
            children
                .get(&t)
                .map(|c| rules::evaluate_composite(&m.id, expr, c, t))
                .unwrap_or_default()
        };
        let reported = |g: &Group| members.iter().all(|n| reports(n, g));
        let comparing = members
            .iter()
            .any(|n| config.monitor(n).is_some_and(compares_versions));
        let opens = evaluated(at)
            .into_iter()
            .filter(|e| owed.contains(&e.group) && firing(&e.group) && e.state.is_firing())
            .filter(|e| e.state != State::NoData || comparing || !reported(&e.group));
        let resolves = evaluated(complete)
            .into_iter()
            .filter(|e| owed.contains(&e.group) && !firing(&e.group))
            .filter_map(clean_resolve)
            .filter(|e| reported(&e.group));
        out.extend(opens.chain(resolves).map(as_reconciled));
    }
    out
}

/// The groups of `monitor` whose state disagrees with their alert the way `settle` takes,
/// and did not change inside the look-back.
fn owed<'a>(
    monitor: &str,
    states: Option<&'a BTreeMap<Group, State>>,
    changes: &[Evaluation],
    settle: Settle,
    fires: &dyn Fn(&str, &Group) -> bool,
) -> BTreeSet<&'a Group> {
    let changed: BTreeSet<&Group> = changes.iter().map(|e| &e.group).collect();
    let at_odds = |g: &Group, state: &State| match (state.is_firing(), fires(monitor, g)) {
        (false, true) => true,
        (true, false) => settle == Settle::Both,
        _ => false,
    };
    states
        .into_iter()
        .flatten()
        .filter(|(g, state)| !changed.contains(g) && at_odds(g, state))
        .map(|(g, _)| g)
        .collect()
}

/// A change from what the alert shows (firing or not: the level it fired at does not
/// change the signal).
fn as_reconciled(mut e: Evaluation) -> Evaluation {
    e.previous = if e.state.is_firing() {
        State::Ok
    } else {
        State::Alert
    };
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::MonitorData;

    /// The run's way (lib.rs): each monitor added and reconciled in turn, then the
    /// composites.
    fn reconcile(
        config: &Config,
        data: &MonitorData,
        at: Timestamp,
        beyond: &BTreeSet<&str>,
        fires: impl Fn(&str, &Group) -> bool,
    ) -> Vec<Evaluation> {
        let mut pass = Pass::new(config, at);
        let mut out = Vec::new();
        for m in config
            .monitors
            .iter()
            .filter(|m| !matches!(m.rule, Rule::Composite(_)))
        {
            let groups = &data[&m.id];
            pass.add(m, groups);
            let settle = Settle::of(&m.id, beyond);
            out.extend(monitor(config, m, groups, &pass, at, settle, &fires));
        }
        let children = pass.children_to_reconcile();
        let run = pass.finish();
        let reports = |_: &str, _: &Group| true;
        out.extend(composites(
            config, &run, &children, at, beyond, &fires, &reports,
        ));
        out
    }

    const CONFIG: &str = r##"
time_zone: UTC
metrics:
  - name: llm.generation.latency
    unit: s
  - name: llm.requests.error_rate
    unit: fraction
models:
  - name: chat
    versions: [v1, v2, v3, v4]
    team: chat
    slack_channel: "#chat"
routing:
  default_slack_channel: "#ml"
  L1: {}
  L2: {}
  L3: {}
monitors:
  - id: latency
    name: Latency
    metric: llm.generation.latency
    window: 1m
    rule:
      threshold: { direction: above, critical: 1.0 }
  - id: errors
    name: Errors
    metric: llm.requests.error_rate
    window: 1m
    rule:
      threshold: { direction: above, critical: 0.1 }
  - id: slow-and-failing
    name: Slow and failing
    rule:
      composite: "latency && errors"
"##;

    fn config() -> Config {
        Config::parse("reconcile.yaml", CONFIG).unwrap_or_else(|e| panic!("{e}"))
    }

    fn group(version: &str) -> Group {
        Group::new("chat", Some(version), Some("prod"))
    }

    /// An hour a minute apart ending at `at`: `before` until `switch` minutes before
    /// `at`, `after` from then on.
    fn hour(at: Timestamp, before: f64, after: f64, switch: i64) -> Vec<Point> {
        (0..60)
            .rev()
            .map(|k| {
                let t = Timestamp::from_millis(at.millis() - k * 60_000);
                Point::new(t, if k >= switch { before } else { after })
            })
            .collect()
    }

    /// v1 breaching for the whole hour, v2 fine all hour, v3 breaching until 40 minutes
    /// ago, v4 starting to breach 3 minutes ago (a change inside the look-back); both
    /// metrics alike, so the composite follows them.
    fn data(at: Timestamp) -> MonitorData {
        let mut data = MonitorData::new();
        for (id, high) in [("latency", 2.0), ("errors", 0.5)] {
            let groups = data.entry(id.to_string()).or_default();
            groups.insert(group("v1"), hour(at, high, high, 0));
            groups.insert(group("v2"), hour(at, 0.0, 0.0, 0));
            groups.insert(group("v3"), hour(at, high, 0.0, 40));
            groups.insert(group("v4"), hour(at, 0.0, high, 3));
        }
        data
    }

    #[test]
    fn a_monitor_is_beyond_the_look_back_unless_the_last_run_ended_just_before_it() {
        let config = config();
        let at = Timestamp::from_secs(1_800_000_000);
        let all: BTreeSet<&str> = ["latency", "errors", "slow-and-failing"].into();
        assert_eq!(beyond_look_back(&config, None, at), all);
        let ran = |ago: u64, monitors: &[&str]| LastRun {
            at: at.minus_secs(ago),
            monitors: monitors
                .iter()
                .map(|m| config.judged_as(config.monitor(m).unwrap()))
                .collect(),
        };
        let every = ran(60, &["latency", "errors", "slow-and-failing"]);
        assert!(beyond_look_back(&config, Some(&every), at).is_empty());
        // The look-back's first instant is 14 minutes back. A run knows every change up to
        // its newest complete instant, 3 minutes before it (`plan::settled` holds back the
        // recoveries after it): a run 12 minutes back knew up to the instant before the
        // look-back's first, 13 leaves one unseen.
        let edge = ran(12 * 60, &["latency", "errors", "slow-and-failing"]);
        assert!(beyond_look_back(&config, Some(&edge), at).is_empty());
        let gap = ran(13 * 60, &["latency", "errors", "slow-and-failing"]);
        assert_eq!(beyond_look_back(&config, Some(&gap), at), all);
        let new_monitor = ran(60, &["latency", "slow-and-failing"]);
        assert_eq!(
            beyond_look_back(&config, Some(&new_monitor), at),
            ["errors"].into()
        );
        // A monitor whose verdicts the configuration changed is not the one the last run
        // knew; one whose name alone changed is.
        let mut changed = config.clone();
        fn latency(c: &mut Config) -> &mut modelwatch::rules::Monitor {
            c.monitors.iter_mut().find(|m| m.id == "latency").unwrap()
        }
        latency(&mut changed).name = "Renamed".into();
        assert!(beyond_look_back(&changed, Some(&every), at).is_empty());
        // The composite over it changes with it.
        latency(&mut changed).window_secs += 60;
        assert_eq!(
            beyond_look_back(&changed, Some(&every), at),
            ["latency", "slow-and-failing"].into()
        );
    }

    #[test]
    fn alerts_are_brought_to_the_state_no_change_in_the_look_back_signals() {
        let config = config();
        let at = Timestamp::from_secs(1_800_000_000);
        let data = data(at);
        let all: BTreeSet<&str> = ["latency", "errors", "slow-and-failing"].into();
        // The store has v2 and v3 open (v2 wrongly, v3 from before its recovery).
        let open = |_: &str, g: &Group| g == &group("v2") || g == &group("v3");
        let found = |beyond: &BTreeSet<&str>| -> BTreeSet<(String, String, State, State)> {
            reconcile(&config, &data, at, beyond, open)
                .into_iter()
                .map(|e| (e.monitor, e.group.version.unwrap(), e.previous, e.state))
                .collect()
        };
        let mut expected = BTreeSet::new();
        for m in ["latency", "errors", "slow-and-failing"] {
            // v1 fires without an alert; v2 and v3 have one while ok; v4 changed inside
            // the look-back, and that change is its signal.
            expected.insert((m.to_string(), "v1".to_string(), State::Ok, State::Alert));
            expected.insert((m.to_string(), "v2".to_string(), State::Alert, State::Ok));
            expected.insert((m.to_string(), "v3".to_string(), State::Alert, State::Ok));
        }
        assert_eq!(found(&all), expected);
        // Within the look-back only the firing alerts of ok groups: v1's opening was
        // signalled when it began, and it was dropped.
        let within = found(&BTreeSet::new());
        expected.retain(|(_, v, _, _)| v != "v1");
        assert_eq!(within, expected);
        // Where the store agrees, nothing.
        let agrees = |_: &str, g: &Group| g == &group("v1");
        assert!(reconcile(&config, &data, at, &all, agrees).is_empty());
    }

    #[test]
    fn a_firing_group_is_signalled_as_its_spell_so_an_alert_that_has_it_drops_it() {
        let config = config();
        let at = Timestamp::from_secs(1_800_000_000);
        let data = data(at);
        let reconciled = reconcile(&config, &data, at, &["latency"].into(), |_, _| false);
        let v1 = reconciled
            .iter()
            .find(|e| e.monitor == "latency" && e.group == group("v1"))
            .expect("v1 fires without an alert");
        let fresh = Evaluator::new(
            config.monitor("latency").unwrap(),
            &group("v1"),
            data_of(
                &config,
                config.monitor("latency").unwrap(),
                &data["latency"],
                &group("v1"),
                &data["latency"][&group("v1")],
                crate::fetch::rollup(config.monitor("latency").unwrap(), at),
                last_complete_instant(config.monitor("latency").unwrap(), at),
            ),
        )
        .at(at);
        assert_eq!(v1.first_breach_at, fresh.first_breach_at);
        assert!(v1.first_breach_at.is_some_and(|t| t < at));
        let signals = crate::signals(&config, &reconciled);
        assert_eq!(signals.len(), reconciled.len(), "each becomes a signal");
    }
}
