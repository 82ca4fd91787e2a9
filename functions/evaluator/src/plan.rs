//! From fetched data to evaluations and signals, pure: which groups each monitor covers,
//! the stable series a version comparison reads, composites over shared groups.

use std::collections::{BTreeMap, BTreeSet};

use modelwatch::absence;
use modelwatch::config::Config;
use modelwatch::domain::{Signal, Timestamp};
use modelwatch::rules::{
    self, Data, Evaluation, Evaluator, Group, Monitor, Point, Rollup, Rule, State,
};
use modelwatch::signals;

use crate::fetch::{self, MonitorData};

/// How many past evaluation instants each run looks back over for changes: a change at
/// an instant whose invocation was lost or failed is still signalled (the same signal, so
/// a change already applied is a duplicate). A quarter of an hour: Datadog's API or the
/// evaluator down that long across an onset or a recovery still opens or resolves the
/// alert. Each change is signalled by this many runs, all but one of them duplicates
/// (one read each); the fetch reaches back this much further.
pub const CATCH_UP: u32 = 15;

/// The quoted monitors' evaluations by instant, monitor and group.
pub type ChildrenAt = BTreeMap<Timestamp, BTreeMap<String, BTreeMap<Group, Evaluation>>>;

/// What one run found.
#[derive(Debug, Default)]
pub struct Run {
    /// The evaluations whose state differs from one instant earlier, by monitor, group
    /// and instant (oldest first): what becomes signals.
    pub changes: Vec<Evaluation>,
    /// Each monitor's state for each group it covers at the run's instant.
    pub now: BTreeMap<String, BTreeMap<Group, State>>,
    /// The groups whose ok state at the run's instant is not known, by monitor: their
    /// check held there (`Evaluation::clear`).
    pub unclear: BTreeMap<String, BTreeSet<Group>>,
}

impl Run {
    /// The state of `monitor` for `group` at the run's instant, if it covers the group.
    pub fn state(&self, monitor: &str, group: &Group) -> Option<State> {
        self.now.get(monitor)?.get(group).copied()
    }

    /// `state`, when it is known: not an ok whose check held.
    pub fn known_state(&self, monitor: &str, group: &Group) -> Option<State> {
        let unclear = self.unclear.get(monitor).is_some_and(|g| g.contains(group));
        self.state(monitor, group).filter(|_| !unclear)
    }

    /// How many groups the monitors cover at the run's instant, composites included.
    pub fn groups(&self) -> usize {
        self.now.values().map(BTreeMap::len).sum()
    }
}

/// Every monitor on every group it covers, at `at` and the `CATCH_UP - 1` instants before
/// it (oldest first); composites last, over the groups their monitors share.
pub fn evaluate_all(config: &Config, data: &MonitorData, at: Timestamp) -> Run {
    let mut pass = Pass::new(config, at);
    let empty = BTreeMap::new();
    for m in config
        .monitors
        .iter()
        .filter(|m| !matches!(m.rule, Rule::Composite(_)))
    {
        pass.add(m, data.get(&m.id).unwrap_or(&empty));
    }
    pass.finish()
}

/// One run's evaluations, a monitor at a time, so that a monitor's points can be dropped
/// once it is evaluated: `add` every monitor that reads a metric, then `finish` evaluates
/// the composites over what their monitors found. Only the changes are put into words,
/// except for the monitors a composite reads (its reason quotes theirs at every instant).
pub struct Pass<'a> {
    config: &'a Config,
    at: Timestamp,
    quoted: BTreeSet<&'a str>,
    changes: BTreeMap<String, Vec<Evaluation>>,
    now: BTreeMap<String, BTreeMap<Group, State>>,
    unclear: BTreeMap<String, BTreeSet<Group>>,
    /// The quoted monitors' evaluations at every instant, for the composites.
    children: BTreeMap<String, BTreeMap<Group, Vec<Evaluation>>>,
}

impl<'a> Pass<'a> {
    pub fn new(config: &'a Config, at: Timestamp) -> Self {
        let quoted = config
            .monitors
            .iter()
            .filter_map(|m| match &m.rule {
                Rule::Composite(expr) => Some(expr.monitors()),
                _ => None,
            })
            .flatten()
            .collect();
        Self {
            config,
            at,
            quoted,
            changes: BTreeMap::new(),
            now: BTreeMap::new(),
            unclear: BTreeMap::new(),
            children: BTreeMap::new(),
        }
    }

    /// Evaluates `m` (not a composite) on `groups`, its data.
    pub fn add(&mut self, m: &Monitor, groups: &BTreeMap<Group, Vec<Point>>) {
        let (config, at) = (self.config, self.at);
        let now = self.now.entry(m.id.clone()).or_default();
        let unclear = self.unclear.entry(m.id.clone()).or_default();
        let changed = self.changes.entry(m.id.clone()).or_default();
        let quoted = self.quoted.contains(m.id.as_str());
        let rollup = fetch::rollup(m, at);
        let complete = last_complete_instant(m, at);
        for (group, points) in groups {
            // The stable version of a comparison is what the others are compared with.
            if !absence::covers(config, m, group) {
                continue;
            }
            let mut evaluator = Evaluator::new(
                m,
                group,
                data_of(config, m, groups, group, points, rollup, complete),
            );
            if quoted {
                let evaluated: Vec<Evaluation> = instants(at, m.every_secs)
                    .map(|t| evaluator.at(t))
                    .collect();
                changed.extend(evaluated.iter().filter(|e| e.changed()).cloned());
                if let Some(last) = evaluated.last() {
                    now.insert(group.clone(), last.state);
                    if !last.state.is_firing() && !last.clear {
                        unclear.insert(group.clone());
                    }
                }
                self.children
                    .entry(m.id.clone())
                    .or_default()
                    .insert(group.clone(), evaluated);
                continue;
            }
            for t in instants(at, m.every_secs) {
                let (previous, state, _) = evaluator.states(t);
                if previous != state {
                    changed.push(evaluator.at(t));
                }
                if t == at {
                    now.insert(group.clone(), state);
                    if !state.is_firing() && !evaluator.clear_at(t) {
                        unclear.insert(group.clone());
                    }
                }
            }
        }
    }

    /// The changes found for `monitor` (once it is added).
    pub fn changes_of(&self, monitor: &str) -> &[Evaluation] {
        self.changes.get(monitor).map_or(&[], Vec::as_slice)
    }

    /// Each group's state at the run's instant, for the monitors added so far.
    pub fn states_of(&self, monitor: &str) -> Option<&BTreeMap<Group, State>> {
        self.now.get(monitor)
    }

    /// The quoted monitors' evaluations, by monitor and group, at the instants a
    /// composite's alert is reconciled at: the run's, and each composite's last complete
    /// one (`reconcile::composites`).
    pub fn children_to_reconcile(&self) -> ChildrenAt {
        let mut instants = BTreeSet::from([self.at]);
        for m in &self.config.monitors {
            if matches!(m.rule, Rule::Composite(_)) {
                instants.insert(last_complete_instant(m, self.at));
            }
        }
        instants
            .into_iter()
            .map(|t| (t, children_at(&self.children, t)))
            .collect()
    }

    /// Evaluates the composites and returns the whole run.
    pub fn finish(self) -> Run {
        let mut run = Run {
            changes: self.changes.into_values().flatten().collect(),
            now: self.now,
            unclear: self.unclear,
        };
        for m in &self.config.monitors {
            if let Rule::Composite(expr) = &m.rule {
                for instant in instants(self.at, m.every_secs) {
                    let members = children_at(&self.children, instant);
                    for e in rules::evaluate_composite(&m.id, expr, &members, instant) {
                        if instant == self.at {
                            run.now
                                .entry(m.id.clone())
                                .or_default()
                                .insert(e.group.clone(), e.state);
                            if !e.state.is_firing() && !e.clear {
                                run.unclear
                                    .entry(m.id.clone())
                                    .or_default()
                                    .insert(e.group.clone());
                            }
                        }
                        if e.changed() {
                            run.changes.push(e);
                        }
                    }
                }
            }
        }
        run
    }
}

/// What `m` reads for `group`: its points, how their history was rolled up (the run's
/// `fetch::rollup`), and for a version comparison the stable version's points from the
/// same answer.
pub(crate) fn data_of<'a>(
    config: &'a Config,
    m: &'a Monitor,
    groups: &'a BTreeMap<Group, Vec<Point>>,
    group: &Group,
    points: &'a [Point],
    rollup: Option<Rollup>,
    complete_through: Timestamp,
) -> Data<'a> {
    let stable_version = group
        .model
        .as_deref()
        .and_then(|name| config.model(name))
        .and_then(|model| model.stable_version.as_deref());
    let stable = match (&m.rule, stable_version) {
        (Rule::VersionCompare(vc), fallback) => vc
            .stable_version
            .as_deref()
            .or(fallback)
            .and_then(|v| groups.get(&group.with_version(v))),
        _ => None,
    };
    Data {
        points,
        stable: stable.map(Vec::as_slice),
        stable_version,
        rollup,
        complete_through: Some(complete_through),
    }
}

/// The `CATCH_UP` evaluation instants ending at `at`, oldest first.
pub(crate) fn instants(at: Timestamp, every_secs: u64) -> impl Iterator<Item = Timestamp> {
    let every_ms = i64::try_from(every_secs.max(1) * 1000).unwrap_or(60_000);
    (0..i64::from(CATCH_UP))
        .rev()
        .map(move |k| Timestamp::from_millis(at.millis() - k * every_ms))
}

/// Each monitor's evaluation of each group at one instant, for a composite.
fn children_at(
    by_monitor: &BTreeMap<String, BTreeMap<Group, Vec<Evaluation>>>,
    instant: Timestamp,
) -> BTreeMap<String, BTreeMap<Group, Evaluation>> {
    by_monitor
        .iter()
        .map(|(id, groups)| {
            let at_instant = groups
                .iter()
                .filter_map(|(g, evs)| {
                    evs.iter()
                        .find(|e| e.at == instant)
                        .map(|e| (g.clone(), e.clone()))
                })
                .collect();
            (id.clone(), at_instant)
        })
        .collect()
}

/// The changes a run signals: `changes` (in time order for each monitor and group)
/// without the recoveries whose data Datadog may still be filling. An instant reads the
/// point of the interval that starts there, and Datadog may deliver points up to its
/// reporting delay after the interval ends: an opening read on a minute still filling
/// pages early, and a later run resolves the alert if the whole minutes do not breach
/// (`reconcile`); but a recovery read on it, once the whole minutes breach again, would
/// leave a breaching group with its alert resolved and no change inside the look-back to
/// open it again. Such a recovery, and the group's changes after it, wait for a later
/// run, whose look-back still holds the instant, complete by then.
///
/// A change to ok at an instant whose check held (`Evaluation::clear`) is no recovery at
/// all: the replay no longer reaches the breach it held through (the stable version of a
/// comparison gone quiet, a value between the alert and recovery levels), and the alert
/// stays as it is, as Datadog keeps a monitor's state through data it ignores.
pub fn settled(config: &Config, changes: &[Evaluation], at: Timestamp) -> Vec<Evaluation> {
    let mut waiting: BTreeSet<(&str, &Group)> = BTreeSet::new();
    changes
        .iter()
        .filter(|e| {
            let of = (e.monitor.as_str(), &e.group);
            if waiting.contains(&of) {
                return false;
            }
            let incomplete = config
                .monitor(&e.monitor)
                .is_none_or(|m| e.at > last_complete_instant(m, at));
            let recovers = e.previous.is_firing() && !e.state.is_firing();
            if recovers && !e.clear {
                return false;
            }
            if recovers && incomplete {
                waiting.insert(of);
                return false;
            }
            true
        })
        .cloned()
        .collect()
}

/// How long after an instant its data may still change: the interval its newest point
/// covers and Datadog's reporting delay. (A composite is evaluated at its monitors'
/// cadence: `config` refuses another.)
fn unsettled_secs(m: &Monitor) -> u64 {
    m.every_secs
        .max(1)
        .saturating_add(rules::REPORTING_DELAY_SECS)
}

/// How far before a run's instant its newest complete instant is: `unsettled_secs` in
/// whole evaluations of `m`.
pub fn held_back_secs(m: &Monitor) -> u64 {
    let every = m.every_secs.max(1);
    unsettled_secs(m).div_ceil(every).saturating_mul(every)
}

/// The newest of `m`'s evaluation instants in a run at `at` whose data is complete.
pub fn last_complete_instant(m: &Monitor, at: Timestamp) -> Timestamp {
    at.minus_secs(held_back_secs(m))
}

/// The signals of the evaluations that changed state since the previous instant.
/// `evaluations` without the no-data ones of a version its model does not list while
/// another version of that model reports in its environment: a canary rolled back, or a
/// version retired, is no silent model (the absence rule resolves its alert once it is
/// absent). When no other version reports, its silence is the model's, and pages.
pub fn without_quiet_canaries(
    config: &Config,
    newest: &BTreeMap<String, BTreeMap<Group, Timestamp>>,
    at: Timestamp,
    evaluations: Vec<Evaluation>,
) -> Vec<Evaluation> {
    let others_report = |e: &Evaluation| {
        let (Some(m), Some(groups)) = (config.monitor(&e.monitor), newest.get(&e.monitor)) else {
            return false;
        };
        groups.iter().any(|(g, t)| {
            g.model == e.group.model
                && g.environment == e.group.environment
                && g.version != e.group.version
                && m.reports(*t, at)
        })
    };
    evaluations
        .into_iter()
        .filter(|e| {
            !(e.state == State::NoData
                && absence::unlisted_version(config, &e.group)
                && others_report(e))
        })
        .collect()
}

/// `evaluations` without the no-data changes a fleet alert paged for (`absence::fleet`):
/// of a group that has reported since, at an instant when none of its monitor's models
/// reported (for a composite, of a monitor it combines). A group still quiet keeps its
/// change, and is paged on its own; the rest is decided from the run's data, so every run
/// decides alike. The recovery from a spell so left out is left out too while the group's
/// alert does not fire (`fires`): it has nothing to recover.
pub fn without_fleet_silences(
    config: &Config,
    silent_at: &BTreeMap<String, BTreeSet<Timestamp>>,
    newest: &BTreeMap<String, BTreeMap<Group, Timestamp>>,
    fires: &dyn Fn(&Evaluation) -> bool,
    evaluations: Vec<Evaluation>,
) -> Vec<Evaluation> {
    if silent_at.is_empty() {
        return evaluations;
    }
    let covered = |e: &Evaluation| {
        read_monitors(config, &e.monitor).iter().any(|m| {
            silent_at.get(*m).is_some_and(|s| s.contains(&e.at))
                && newest
                    .get(*m)
                    .and_then(|groups| groups.get(&e.group))
                    .is_some_and(|t| *t > e.at)
        })
    };
    // Groups whose spell began with a change left out, in order (a group's changes come
    // oldest first): its later recovery has no alert of that spell to recover.
    let mut left_out: BTreeSet<(String, Group)> = BTreeSet::new();
    evaluations
        .into_iter()
        .filter(|e| {
            let of = (e.monitor.clone(), e.group.clone());
            if e.state == State::NoData {
                if covered(e) {
                    if !e.previous.is_firing() {
                        left_out.insert(of);
                    }
                    return false;
                }
                left_out.remove(&of);
                return true;
            }
            // Any other change ends the spell that was left out.
            let was_left_out = left_out.remove(&of);
            let recovery = e.previous == State::NoData && !e.state.is_firing();
            !(recovery && was_left_out && !fires(e))
        })
        .collect()
}

/// The monitors that read the data `id` is judged on: itself, or for a composite every
/// monitor it combines, however deep.
fn read_monitors<'a>(config: &'a Config, id: &'a str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut visited = BTreeSet::new();
    let mut todo = vec![id];
    while let Some(next) = todo.pop() {
        if !visited.insert(next) {
            continue;
        }
        match config.monitor(next).map(|m| &m.rule) {
            Some(Rule::Composite(expr)) => todo.extend(expr.monitors()),
            _ => out.push(next),
        }
    }
    out
}

pub fn signals(config: &Config, evaluations: &[Evaluation]) -> Vec<Signal> {
    evaluations
        .iter()
        .filter(|e| e.changed())
        .filter_map(|e| {
            let monitor = config.monitor(&e.monitor)?;
            match signals::evaluation::from_evaluation(config, monitor, e) {
                Ok(s) => Some(s),
                Err(err) => {
                    tracing::error!(monitor = %monitor.id, group = %e.group, error = %err, "evaluation cannot become a signal");
                    None
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelwatch::rules::evaluate;

    /// The example configuration's monitors over groups of every model, with values that
    /// jump between levels every few minutes, so thresholds, schedules, comparisons and
    /// the composite change state within the run's catch-up instants.
    fn fleet() -> (Config, MonitorData, Timestamp) {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../infra/modelwatch.example.yaml"
        );
        let example = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        // Composites over its thresholds, which this data moves more than its baselines.
        let composites = r#"
  - id: hot-and-timing-out
    name: GPU memory full and timing out
    rule:
      composite: "gpu-memory && timeout-rate"
  - id: busy-not-timing-out
    name: GPU busy without timeouts
    rule:
      composite: "gpu-utilisation && !timeout-rate"
"#;
        let config = Config::parse(path, &(example + composites)).unwrap_or_else(|e| panic!("{e}"));
        let at = Timestamp::from_secs(1_795_730_400);
        let levels = [0.0, 0.02, 0.2, 0.6, 0.95, 2.5, 9.0, 40.0, 3000.0, 90_000.0];
        let mut state = 7u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize
        };
        let mut data = MonitorData::new();
        for m in &config.monitors {
            let groups = data.entry(m.id.clone()).or_default();
            for model in ["chat-large", "summarizer", "embed-small"] {
                for version in ["v1", "v3", "v4", "v7", "v8"] {
                    let mut points = Vec::new();
                    let mut value = 0.0;
                    for minute in (0..240).rev() {
                        if next() % 4 == 0 {
                            value = levels[next() % levels.len()];
                        }
                        let t = Timestamp::from_millis(at.millis() - minute * 60_000);
                        points.push(Point::new(t, value));
                    }
                    groups.insert(Group::new(model, Some(version), Some("prod")), points);
                }
            }
        }
        (config, data, at)
    }

    /// What the run found, worked out the long way: every evaluation in words at every
    /// instant, composites over all of them.
    fn every_evaluation(config: &Config, data: &MonitorData, at: Timestamp) -> Vec<Evaluation> {
        let mut by_monitor: BTreeMap<String, BTreeMap<Group, Vec<Evaluation>>> = BTreeMap::new();
        for m in config
            .monitors
            .iter()
            .filter(|m| !matches!(m.rule, Rule::Composite(_)))
        {
            let groups = &data[&m.id];
            let evaluations = by_monitor.entry(m.id.clone()).or_default();
            for (group, points) in groups.iter().filter(|(g, _)| absence::covers(config, m, g)) {
                let data = data_of(
                    config,
                    m,
                    groups,
                    group,
                    points,
                    fetch::rollup(m, at),
                    last_complete_instant(m, at),
                );
                let all = instants(at, m.every_secs)
                    .map(|t| evaluate(m, group, data, t))
                    .collect();
                evaluations.insert(group.clone(), all);
            }
        }
        let mut all: Vec<Evaluation> = by_monitor
            .values()
            .flat_map(|g| g.values().flatten().cloned())
            .collect();
        for m in &config.monitors {
            if let Rule::Composite(expr) = &m.rule {
                for instant in instants(at, m.every_secs) {
                    let children = children_at(&by_monitor, instant);
                    all.extend(rules::evaluate_composite(&m.id, expr, &children, instant));
                }
            }
        }
        all
    }

    #[test]
    fn a_run_finds_the_changes_and_states_every_evaluation_in_words_would() {
        let (config, data, at) = fleet();
        let run = evaluate_all(&config, &data, at);
        let all = every_evaluation(&config, &data, at);
        let changes: Vec<Evaluation> = all.iter().filter(|e| e.changed()).cloned().collect();
        assert!(
            [
                "hot-and-timing-out",
                "busy-not-timing-out",
                "rollout-latency",
                "chat-v4-canary"
            ]
            .iter()
            .all(|id| changes.iter().any(|e| e.monitor == *id))
                && changes.len() > 30,
            "the data must change states, composites and comparisons included: {:?}",
            changes
                .iter()
                .map(|e| e.monitor.as_str())
                .collect::<BTreeSet<_>>()
        );
        assert_eq!(run.changes, changes);
        let now: Vec<(&str, &Group, State)> = all
            .iter()
            .filter(|e| e.at == at)
            .map(|e| (e.monitor.as_str(), &e.group, e.state))
            .collect();
        assert_eq!(run.groups(), now.len());
        for (monitor, group, state) in now {
            assert_eq!(run.state(monitor, group), Some(state), "{monitor} {group}");
        }
    }

    /// A change of `group` from `previous` to `state` at `minutes_ago` before `at`.
    fn change(
        monitor: &Monitor,
        group: &Group,
        at: Timestamp,
        minutes_ago: u64,
        (previous, state): (State, State),
    ) -> Evaluation {
        Evaluation {
            monitor: monitor.id.clone(),
            group: group.clone(),
            at: at.minus_secs(minutes_ago * 60),
            state,
            previous,
            value: None,
            threshold: None,
            score: 0.0,
            reason: String::new(),
            first_breach_at: None,
            clear: true,
        }
    }

    #[test]
    fn a_recovery_waits_until_its_minute_is_complete_and_holds_its_groups_later_changes() {
        let (config, _, at) = fleet();
        let m = config.monitor("error-rate").unwrap();
        assert_eq!(m.every_secs, 60);
        let (chat, embed, summarizer) = (
            Group::new("chat-large", Some("v3"), Some("prod")),
            Group::new("embed-small", Some("v1"), Some("prod")),
            Group::new("summarizer", Some("v7"), Some("prod")),
        );
        use State::{Alert, Ok, Warn};
        // The instant 2 minutes back reads the interval that ended a minute ago, which
        // Datadog may fill for another minute; 3 minutes back is complete.
        let changes = [
            change(m, &chat, at, 3, (Alert, Ok)),
            change(m, &chat, at, 1, (Ok, Warn)),
            change(m, &embed, at, 5, (Ok, Alert)),
            change(m, &embed, at, 2, (Alert, Ok)),
            change(m, &embed, at, 0, (Ok, Alert)),
            change(m, &summarizer, at, 1, (Alert, Warn)),
            change(m, &summarizer, at, 0, (Ok, Alert)),
        ];
        let settled = settled(&config, &changes, at);
        let kept: Vec<(&str, u64)> = settled
            .iter()
            .map(|e| {
                let ago = (at.millis() - e.at.millis()) / 60_000;
                (e.group.model.as_deref().unwrap(), ago as u64)
            })
            .collect();
        assert_eq!(
            kept,
            [
                ("chat-large", 3),
                ("chat-large", 1),
                ("embed-small", 5),
                ("summarizer", 1),
                ("summarizer", 0)
            ]
        );
    }

    #[test]
    fn the_no_data_a_fleet_alert_covered_is_left_out_with_its_recovery_unless_still_owed() {
        let (config, _, at) = fleet();
        let m = config.monitor("timeout-rate").unwrap();
        let composite = config.monitor("hot-and-timing-out").unwrap();
        let (chat, embed, summarizer) = (
            Group::new("chat-large", Some("v3"), Some("prod")),
            Group::new("embed-small", Some("v1"), Some("prod")),
            Group::new("summarizer", Some("v7"), Some("prod")),
        );
        use State::{Alert, NoData, Ok};
        let gpu = Group::new("chat-small", Some("v1"), Some("prod"));
        let embed2 = Group::new("embed-large", Some("v1"), Some("prod"));
        // The fleet was silent 10, 9 and 6 minutes ago; all but summarizer reported since.
        let silent_at = BTreeMap::from([(
            m.id.clone(),
            BTreeSet::from([at.minus_secs(600), at.minus_secs(540), at.minus_secs(360)]),
        )]);
        let newest = BTreeMap::from([(
            m.id.clone(),
            BTreeMap::from([
                (chat.clone(), at.minus_secs(60)),
                (embed.clone(), at.minus_secs(60)),
                (summarizer.clone(), at.minus_secs(1200)),
                (gpu.clone(), at.minus_secs(60)),
                (embed2.clone(), at.minus_secs(60)),
            ]),
        )]);
        let changes = vec![
            change(m, &chat, at, 10, (Ok, NoData)),
            change(m, &chat, at, 4, (NoData, Ok)),
            // Paged at alert before: its no-data change goes, its recovery is owed.
            change(m, &embed, at, 9, (Alert, NoData)),
            change(m, &embed, at, 3, (NoData, Ok)),
            change(m, &summarizer, at, 10, (Ok, NoData)),
            change(composite, &chat, at, 9, (Ok, NoData)),
            change(composite, &chat, at, 4, (NoData, Ok)),
            // A quiet spell of its own, after the fleet's, pages as any.
            change(m, &chat, at, 3, (Ok, NoData)),
            // Left out, but its alert fires (opened by an earlier run): recovered.
            change(m, &gpu, at, 10, (Ok, NoData)),
            change(m, &gpu, at, 2, (NoData, Ok)),
            // Left out, recovered, breached, left out again while firing: the recovery
            // of the later spell is owed.
            change(m, &embed2, at, 10, (Ok, NoData)),
            change(m, &embed2, at, 8, (NoData, Ok)),
            change(m, &embed2, at, 7, (Ok, Alert)),
            change(m, &embed2, at, 6, (Alert, NoData)),
            change(m, &embed2, at, 5, (NoData, Ok)),
        ];
        let embed_fires = |e: &Evaluation| e.group == embed || e.group == gpu;
        let kept = without_fleet_silences(&config, &silent_at, &newest, &embed_fires, changes);
        let kept: Vec<(&str, &str, u64, State)> = kept
            .iter()
            .map(|e| {
                let ago = (at.millis() - e.at.millis()) as u64 / 60_000;
                (
                    e.monitor.as_str(),
                    e.group.model.as_deref().unwrap(),
                    ago,
                    e.state,
                )
            })
            .collect();
        assert_eq!(
            kept,
            [
                ("timeout-rate", "embed-small", 3, Ok),
                ("timeout-rate", "summarizer", 10, NoData),
                ("timeout-rate", "chat-large", 3, NoData),
                ("timeout-rate", "chat-small", 2, Ok),
                ("timeout-rate", "embed-large", 7, Alert),
                ("timeout-rate", "embed-large", 5, Ok),
            ]
        );
    }

    #[test]
    fn an_instant_is_complete_its_interval_and_the_reporting_delay_later_in_whole_evaluations() {
        let (config, _, at) = fleet();
        let mut m = config.monitor("error-rate").unwrap().clone();
        assert_eq!((unsettled_secs(&m), held_back_secs(&m)), (180, 180));
        m.every_secs = 300;
        assert_eq!((unsettled_secs(&m), held_back_secs(&m)), (420, 600));
        assert_eq!(last_complete_instant(&m, at), at.minus_secs(600));
    }
}
