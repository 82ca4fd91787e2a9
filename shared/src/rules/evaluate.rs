//! Evaluation of one monitor on one group at one instant: a pure function of (monitor,
//! data, now). The trigger and recovery windows are replayed from the data itself — the
//! last `replay` evaluation instants are re-checked — so no state is stored between runs,
//! and a repeated or late invocation gives the same answer.

use std::collections::{HashMap, VecDeque};

use super::anomaly::Stream;
use super::check::{Check, Outcome};
use super::series::{Data, Point, between};
use super::{Monitor, NoDataPolicy, Rule, State};
use crate::domain::{Group, Timestamp};

/// What a monitor says about one group at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub monitor: String,
    pub group: Group,
    pub at: Timestamp,
    pub state: State,
    /// The state one evaluation earlier, from the same replay: a difference is a change.
    pub previous: State,
    /// The aggregate at `at` (none without data).
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    /// How anomalous the instant is under the monitor's rule, in [0, 1].
    pub score: f64,
    /// Why, in words.
    pub reason: String,
    /// The first breaching evaluation of the current firing spell (for MTTD).
    pub first_breach_at: Option<Timestamp>,
}

impl Evaluation {
    /// Whether the state differs from one evaluation earlier: what the evaluator signals.
    pub fn changed(&self) -> bool {
        self.state != self.previous
    }
}

/// Evaluates `monitor` on `group` at `now`, reading only points at or before `now`.
pub fn evaluate(monitor: &Monitor, group: &Group, data: Data<'_>, now: Timestamp) -> Evaluation {
    Evaluator::new(monitor, group, data).at(now)
}

/// Evaluates one monitor on one group at many instants (a backtest), remembering each
/// instant's check so the replays of neighbouring instants do not repeat the work. Each
/// answer is exactly what [`evaluate`] gives for that instant.
pub struct Evaluator<'a> {
    monitor: &'a Monitor,
    group: &'a Group,
    data: Data<'a>,
    checks: HashMap<i64, Check>,
    /// The anomaly rule's detector, run forward through the data.
    stream: Option<Stream>,
}

struct Firing {
    state: State,
    first_breach_at: Timestamp,
    clean: u32,
    last_breach: Timestamp,
}

impl<'a> Evaluator<'a> {
    pub fn new(monitor: &'a Monitor, group: &'a Group, data: Data<'a>) -> Self {
        Self {
            monitor,
            group,
            data,
            checks: HashMap::new(),
            stream: None,
        }
    }

    /// The state one evaluation before `now` and at `now`, and the score at `now`, without
    /// the words: what a backtest needs at the instants where nothing changes. Only the
    /// anomaly rule has a cheaper answer than [`Evaluator::at`].
    pub fn states(&mut self, now: Timestamp) -> (State, State, f64) {
        if let Rule::Anomaly(rule) = &self.monitor.rule {
            let stream = self.stream.get_or_insert_with(Stream::default);
            return stream.states(self.monitor, rule, self.data.points, now);
        }
        let e = self.at(now);
        (e.previous, e.state, e.score)
    }

    pub fn at(&mut self, now: Timestamp) -> Evaluation {
        let m = self.monitor;
        if let Rule::Anomaly(rule) = &m.rule {
            let stream = self.stream.get_or_insert_with(Stream::default);
            return stream.at(m, rule, self.group, self.data.points, now);
        }
        let every_ms = i64::try_from(m.every_secs.max(1)).unwrap_or(i64::MAX / 4_000) * 1000;
        let replay = i64::from(m.replay.max(m.trigger.of).max(1));
        let instants = (0..replay)
            .rev()
            .map(|j| Timestamp::from_millis(now.millis() - j * every_ms));

        let mut recent: VecDeque<(Timestamp, bool)> = VecDeque::new();
        let mut firing: Option<Firing> = None;
        let (mut state, mut previous) = (State::Ok, State::Ok);
        for t in instants {
            let check = self.check(t);
            let (outcome, immediate) = (check.outcome, check.immediate);
            recent.push_back((t, matches!(outcome, Outcome::Breach(_))));
            if recent.len() > m.trigger.of as usize {
                recent.pop_front();
            }
            firing = match (firing, outcome) {
                (None, Outcome::Breach(s)) => {
                    let breaches = recent.iter().filter(|(_, b)| *b).count();
                    (immediate || breaches >= m.trigger.breaches as usize).then(|| Firing {
                        state: s,
                        first_breach_at: recent.iter().find(|(_, b)| *b).map_or(t, |(at, _)| *at),
                        clean: 0,
                        last_breach: t,
                    })
                }
                (None, _) => None,
                (Some(f), Outcome::Breach(s)) => Some(Firing {
                    state: s,
                    clean: 0,
                    last_breach: t,
                    ..f
                }),
                (Some(f), Outcome::Hold) => Some(Firing { clean: 0, ..f }),
                (Some(f), Outcome::Clear) => {
                    let clean = f.clean + 1;
                    (clean < m.recovery_clean.max(1)).then_some(Firing { clean, ..f })
                }
            };
            previous = state;
            state = firing.as_ref().map_or(State::Ok, |f| f.state);
        }
        self.evaluation(now, state, previous, firing.as_ref())
    }

    fn evaluation(
        &mut self,
        now: Timestamp,
        state: State,
        previous: State,
        firing: Option<&Firing>,
    ) -> Evaluation {
        let recovery = self.monitor.recovery_clean.max(1);
        let current = self.check(now).clone();
        let reason = match firing {
            Some(f) if !current.is_breach() => {
                let last = self.check(f.last_breach).reason.clone();
                format!(
                    "{last}; now {} ({} of {recovery} clean evaluations to recover)",
                    current.reason, f.clean
                )
            }
            _ => current.reason.clone(),
        };
        Evaluation {
            monitor: self.monitor.id.clone(),
            group: self.group.clone(),
            at: now,
            state,
            previous,
            value: current.value,
            threshold: current.threshold,
            score: current.score,
            reason,
            first_breach_at: firing.map(|f| f.first_breach_at),
        }
    }

    fn check(&mut self, at: Timestamp) -> &Check {
        let (monitor, group, data) = (self.monitor, self.group, self.data);
        self.checks
            .entry(at.millis())
            .or_insert_with(|| check_at(monitor, group, data, at))
    }
}

/// The rule's verdict at one instant, on the window ending there.
fn check_at(monitor: &Monitor, group: &Group, data: Data<'_>, at: Timestamp) -> Check {
    let window_ms = i64::try_from(monitor.window_secs).unwrap_or(i64::MAX / 4_000) * 1000;
    let window_start = Timestamp::from_millis(at.millis() - window_ms);
    let metric = monitor.metric.as_deref().unwrap_or(&monitor.id);
    let what = monitor.measure();
    let values: Vec<f64> = between(data.points, window_start, at)
        .iter()
        .map(|p| p.value)
        .filter(|v| v.is_finite())
        .collect();
    let Some(value) = monitor.aggregation.apply(&values) else {
        return without_points(monitor, metric, data.points, at);
    };
    match &monitor.rule {
        Rule::Threshold(t) => t.check(value, &what),
        Rule::Schedule(s) => {
            let (t, name) = s.at(at, &monitor.time_zone);
            let mut check = t.check(value, &what);
            check.reason = format!("{} ({name} thresholds)", check.reason);
            check
        }
        Rule::Baseline(b) => b.check(
            value,
            &what,
            data.points,
            at,
            window_start,
            &monitor.time_zone,
        ),
        Rule::VersionCompare(v) => {
            let stable_name = v
                .stable_version
                .as_deref()
                .or(data.stable_version)
                .unwrap_or("stable");
            if group.version.as_deref() == Some(stable_name) {
                return Check::hold(format!("{} is the stable version itself", stable_name));
            }
            let stable: Vec<f64> = data
                .stable
                .map(|s| {
                    between(s, window_start, at)
                        .iter()
                        .map(|p| p.value)
                        .collect()
                })
                .unwrap_or_default();
            match monitor.aggregation.apply(&stable) {
                Some(reference) => v.check(value, reference, &what, stable_name),
                None => no_data(
                    monitor,
                    &format!(
                        "no data for {metric} of the stable version {stable_name} in the last {}",
                        words(monitor.window_secs)
                    ),
                ),
            }
        }
        Rule::Composite(_) => Check::hold("a composite is evaluated from its monitors".to_owned()),
        Rule::Anomaly(_) => Check::hold("the anomaly rule is evaluated as a stream".to_owned()),
    }
}

/// An empty window: without data once the newest point is older than the window and
/// Datadog's reporting delay; until then a late point may still arrive, and nothing changes.
fn without_points(monitor: &Monitor, metric: &str, points: &[Point], at: Timestamp) -> Check {
    let delay_ms = i64::try_from(monitor.no_data_after_secs()).unwrap_or(i64::MAX / 4_000) * 1000;
    let since = Timestamp::from_millis(at.millis() - delay_ms);
    if !between(points, since, at).is_empty() {
        return Check::hold(format!(
            "no point of {metric} in the last {} yet (Datadog may still be delivering it)",
            words(monitor.window_secs)
        ));
    }
    no_data(
        monitor,
        &format!(
            "no data for {metric} in the last {}",
            words(monitor.no_data_after_secs())
        ),
    )
}

fn no_data(monitor: &Monitor, reason: &str) -> Check {
    let outcome = match monitor.no_data {
        NoDataPolicy::Ignore => Outcome::Hold,
        NoDataPolicy::Warn | NoDataPolicy::Alert => Outcome::Breach(State::NoData),
        NoDataPolicy::Resolve => Outcome::Clear,
    };
    Check {
        outcome,
        ..Check::hold(reason.to_owned())
    }
}

/// "5 min", "2 h", "1 day": a window in words.
pub(crate) fn words(secs: u64) -> String {
    match secs {
        s if s % 86_400 == 0 && s > 0 => {
            format!("{} day{}", s / 86_400, if s == 86_400 { "" } else { "s" })
        }
        s if s % 3600 == 0 && s > 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 && s > 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}
