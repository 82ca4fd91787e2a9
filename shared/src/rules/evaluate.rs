//! Evaluation of one monitor on one group at one instant: a pure function of (monitor,
//! data, now). The trigger and recovery windows are replayed from the data itself — the
//! last `replay` evaluation instants are re-checked — so no state is stored between runs,
//! and a repeated or late invocation gives the same answer.

use std::collections::VecDeque;

use super::anomaly::Stream;
use super::baseline;
use super::check::{Check, Finding, Outcome, number};
use super::compare::Change;
use super::series::{Data, Point, between, count_upto};
use super::{Aggregation, Monitor, NoDataPolicy, Rule, State};
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
    /// Whether the check at `at` found the group clean, not held: only then is an ok
    /// state known. Held (no data under `no_data: ignore`, a value between the alert and
    /// recovery levels, a version comparison without the stable version's data), a firing
    /// state carries on, and once that lasts longer than the replay the state reads ok
    /// only because the replay no longer reaches the breach: not a recovery. Read only
    /// with a state that is not firing.
    pub clear: bool,
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

/// Evaluates one monitor on one group at many instants (a backtest, the evaluator's
/// catch-up instants). Each answer is exactly what [`evaluate`] gives for that instant,
/// but asked about instants one evaluation apart it carries its work forward: each
/// instant is checked once, and a replay stops where it meets the replay carried from
/// the earlier instants — two replays in the same state at the same instant, having seen
/// the same trigger window, cannot differ after it.
pub struct Evaluator<'a> {
    monitor: &'a Monitor,
    group: &'a Group,
    data: Data<'a>,
    /// The last `replay` instants checked, oldest first, with the carried replay's state
    /// at each.
    trail: VecDeque<Step<'a>>,
    /// The carried replay, after the trail's newest instant.
    carried: Replay,
    /// The replay of the current evaluation, from its first instant.
    fresh: Replay,
    scratch: Scratch,
    /// The anomaly rule's detector, run forward through the data.
    stream: Option<Stream>,
}

/// One instant of the trail.
#[derive(Debug, Clone, Copy)]
struct Step<'a> {
    at: Timestamp,
    check: Check<'a>,
    firing: Option<Firing>,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Firing {
    state: State,
    first_breach_at: Timestamp,
    clean: u32,
    last_breach: Timestamp,
    /// Whether a value breached a level (warn or alert) in this spell: then a value that
    /// holds after no data still waits for its recovery level.
    levelled: bool,
}

/// One instant of the trigger window: whether its check breached, and at which level (the
/// check's own, not the spell's).
#[derive(Debug, Clone, Copy)]
struct Seen {
    at: Timestamp,
    breach: bool,
    alert: bool,
    warn: bool,
}

/// The trigger and recovery windows run over consecutive checks from some instant on.
#[derive(Debug, Default)]
struct Replay {
    /// The last `trigger.of` instants, oldest first.
    recent: VecDeque<Seen>,
    /// How many of `recent` breached.
    breaches: usize,
    /// How many of `recent` breached at the alert level.
    alerts: usize,
    /// How many of `recent` breached at the warning level.
    warnings: usize,
    firing: Option<Firing>,
    state: State,
    /// The state one instant earlier (ok before the first).
    previous: State,
}

impl Replay {
    /// Adds (`sign` 1) or removes (-1) `seen` from the window's counts.
    fn count(&mut self, seen: Seen, sign: isize) {
        let add = |n: &mut usize, yes: bool| *n = n.saturating_add_signed(sign * isize::from(yes));
        add(&mut self.breaches, seen.breach);
        add(&mut self.alerts, seen.alert);
        add(&mut self.warnings, seen.warn);
    }

    fn restart(&mut self) {
        self.recent.clear();
        self.breaches = 0;
        self.alerts = 0;
        self.warnings = 0;
        self.firing = None;
        self.state = State::Ok;
        self.previous = State::Ok;
    }

    fn step(&mut self, m: &Monitor, t: Timestamp, check: &Check<'_>) {
        let outcome = outcome_for(check, self.firing);
        let immediate = check.immediate;
        let breach = matches!(outcome, Outcome::Breach(_));
        // The check's own level, not the spell's: the windows of two replays in
        // different spells must count alike.
        let seen = Seen {
            at: t,
            breach,
            alert: matches!(check.outcome, Outcome::Breach(State::Alert)),
            warn: matches!(check.outcome, Outcome::Breach(State::Warn)),
        };
        self.recent.push_back(seen);
        self.count(seen, 1);
        if self.recent.len() > m.trigger.of as usize
            && let Some(dropped) = self.recent.pop_front()
        {
            self.count(dropped, -1);
        }
        let (recent, breaches) = (&self.recent, self.breaches);
        let need = m.trigger.breaches as usize;
        // The trigger window guards a rise to alert as it guards the opening: a spell not
        // yet in alert reaches it on as many alert-level breaches as open one, and warns
        // meanwhile where there is a warning to show: the rule has a warning level, or the
        // spell already warns, or the window warned (a time-of-day window without a warning
        // level must not let one critical minute through, whichever instant a replay
        // started at).
        let confirmed = immediate || self.alerts >= need;
        let can_warn = |was: Option<State>| {
            warns(check) || was == Some(State::Warn) || (was.is_none() && self.warnings > 0)
        };
        let graded = |s: State, was: Option<State>| match s {
            State::Alert if !confirmed && was != Some(State::Alert) && can_warn(was) => State::Warn,
            _ => s,
        };
        self.firing = match (self.firing, outcome) {
            (None, Outcome::Breach(s)) => (immediate || breaches >= need).then(|| Firing {
                state: graded(s, None),
                first_breach_at: recent.iter().find(|s| s.breach).map_or(t, |s| s.at),
                clean: 0,
                last_breach: t,
                levelled: s != State::NoData,
            }),
            (None, _) => None,
            (Some(f), Outcome::Breach(s)) => Some(Firing {
                state: graded(s, Some(f.state)),
                clean: 0,
                last_breach: t,
                levelled: f.levelled || s != State::NoData,
                ..f
            }),
            (Some(f), Outcome::Hold) => Some(Firing {
                state: held_state(check, f.state),
                clean: 0,
                ..f
            }),
            (Some(f), Outcome::Clear) => {
                let clean = f.clean + 1;
                (clean < m.recovery_clean.max(1)).then_some(Firing { clean, ..f })
            }
        };
        self.previous = self.state;
        self.state = self.firing.map_or(State::Ok, |f| f.state);
    }
}

impl<'a> Evaluator<'a> {
    pub fn new(monitor: &'a Monitor, group: &'a Group, data: Data<'a>) -> Self {
        Self {
            monitor,
            group,
            data,
            trail: VecDeque::new(),
            carried: Replay::default(),
            fresh: Replay::default(),
            scratch: Scratch::default(),
            stream: None,
        }
    }

    /// The state one evaluation before `now` and at `now`, and the score at `now`, without
    /// the words: what a backtest needs at the instants where nothing changes.
    pub fn states(&mut self, now: Timestamp) -> (State, State, f64) {
        if let Rule::Anomaly(rule) = &self.monitor.rule {
            let stream = self.stream.get_or_insert_with(Stream::default);
            return stream.states(self.monitor, rule, self.data.points, now);
        }
        let (previous, state, _) = self.replay(now);
        let score = self.trail.back().map_or(0.0, |s| s.check.score);
        (previous, state, score)
    }

    /// Whether the check at `now` is clean (`Evaluation::clear`), after [`Self::states`]
    /// for `now`: cheaper than the whole evaluation.
    pub fn clear_at(&mut self, now: Timestamp) -> bool {
        if matches!(self.monitor.rule, Rule::Anomaly(_)) {
            return true;
        }
        outcome_for(&self.checked(now), self.spell_before(now)) == Outcome::Clear
    }

    /// The spell the trail holds one instant before `now` (none when it was not firing).
    fn spell_before(&self, now: Timestamp) -> Option<Firing> {
        self.trail
            .iter()
            .rev()
            .find(|s| s.at < now)
            .and_then(|s| s.firing)
    }

    pub fn at(&mut self, now: Timestamp) -> Evaluation {
        let m = self.monitor;
        if let Rule::Anomaly(rule) = &m.rule {
            let stream = self.stream.get_or_insert_with(Stream::default);
            return stream.at(m, rule, self.group, self.data.points, now);
        }
        let (previous, state, firing) = self.replay(now);
        self.evaluation(now, state, previous, firing)
    }

    /// The state one instant before `now` and at `now`, and the firing spell at `now`, as
    /// a replay of the `replay` instants ending at `now` finds them.
    fn replay(&mut self, now: Timestamp) -> (State, State, Option<Firing>) {
        let m = self.monitor;
        let every = every_ms(m);
        let instants = m.replay_instants() as usize;
        let start = now
            .millis()
            .saturating_sub(every.saturating_mul(instants as i64 - 1));
        self.extend_trail(now, start, every, instants);
        debug_assert_eq!(self.trail.front().map(|s| s.at.millis()), Some(start));

        // A fresh replay from `start`, until it meets the carried one: after `of` instants
        // both have the same trigger window, so the same firing spell means the same
        // states from there on. The trail takes the fresh replay's states as it goes (past
        // the meeting point they are the same, but for the start of a spell both are in),
        // so it stays the states of a replay that started no later than any later
        // evaluation's first instant; a spell's start is read from the trail only for
        // spells that began after a meeting point.
        let of = m.trigger.of.max(1) as usize;
        let last = self.trail.len() - 1;
        // The usual case, without stepping: a fresh replay fires only where the carried
        // one does (it has seen a subset of the same breaches, and from its first breach
        // on it counts at least the clean instants the carried one does: a value that holds
        // is clean for a spell of no data alone, which the fresh one may take a levelled
        // spell for), so once both have a full trigger window, an instant where the
        // carried one is not firing is where they meet.
        if (of - 1..last).any(|k| self.trail[k].firing.is_none()) {
            let newest = &self.trail[last];
            return (self.trail[last - 1].state, newest.state, newest.firing);
        }
        self.fresh.restart();
        for k in 0..=last {
            let step = &mut self.trail[k];
            self.fresh.step(m, step.at, &step.check);
            let met = k + 1 >= of && same_spell(self.fresh.firing, step.firing);
            step.firing = self.fresh.firing;
            step.state = self.fresh.state;
            if met {
                self.adopt_spell_start(k);
                let previous = if k == last {
                    self.fresh.previous
                } else {
                    self.trail[last - 1].state
                };
                let newest = &self.trail[last];
                return (previous, newest.state, newest.firing);
            }
        }
        std::mem::swap(&mut self.carried, &mut self.fresh);
        let c = &self.carried;
        (c.previous, c.state, c.firing)
    }

    /// After the fresh replay met the carried one at trail index `k`: the two agree from
    /// there on but for when the spell both are in began (the fresh replay may have
    /// started within it), so the trail and the carried replay take the fresh one's,
    /// until the spell ends. The trail is then the fresh replay's trajectory throughout.
    fn adopt_spell_start(&mut self, k: usize) {
        let Some(fresh) = self.fresh.firing else {
            return;
        };
        let mut ended = false;
        for step in self.trail.range_mut(k + 1..) {
            match &mut step.firing {
                Some(f) => f.first_breach_at = fresh.first_breach_at,
                None => {
                    ended = true;
                    break;
                }
            }
        }
        if !ended && let Some(f) = &mut self.carried.firing {
            f.first_breach_at = fresh.first_breach_at;
        }
    }

    /// Checks the instants up to `now` the trail lacks, so that it holds exactly the
    /// `instants` ending at `now`. Starts over when `now` is not a later instant on the
    /// trail's grid within one replay of it.
    fn extend_trail(&mut self, now: Timestamp, start: i64, every: i64, instants: usize) {
        let on_grid = |behind: i64| behind == every || behind == 0 || behind % every == 0;
        let next = match self.trail.back() {
            Some(newest)
                if newest.at <= now
                    && newest.at.millis() >= start.saturating_sub(every)
                    && on_grid(now.millis() - newest.at.millis()) =>
            {
                newest.at.millis() + every
            }
            _ => {
                self.trail.clear();
                self.carried.restart();
                start
            }
        };
        let (m, group, data) = (self.monitor, self.group, self.data);
        let mut t = next;
        while t <= now.millis() {
            let at = Timestamp::from_millis(t);
            let check = check_at(m, group, data, at, &mut self.scratch);
            self.carried.step(m, at, &check);
            self.trail.push_back(Step {
                at,
                check,
                firing: self.carried.firing,
                state: self.carried.state,
            });
            if self.trail.len() > instants {
                self.trail.pop_front();
            }
            t = t.saturating_add(every);
        }
    }

    fn evaluation(
        &mut self,
        now: Timestamp,
        state: State,
        previous: State,
        firing: Option<Firing>,
    ) -> Evaluation {
        let m = self.monitor;
        let what = m.measure();
        let current = in_spell(self.checked(now), self.spell_before(now));
        let reason = match firing {
            Some(f) if !current.is_breach() => {
                let last = self.checked(f.last_breach);
                format!(
                    "{}; now {} ({} of {} clean evaluations to recover)",
                    reason(&last, m, &what),
                    reason(&current, m, &what),
                    f.clean,
                    m.recovery_clean.max(1)
                )
            }
            // A critical value the trigger window has not confirmed warns: say why.
            _ if state == State::Warn
                && matches!(current.outcome, Outcome::Breach(State::Alert)) =>
            {
                format!(
                    "{}; it alerts once {} of the last {} evaluations breach at that level",
                    reason(&current, m, &what),
                    m.trigger.breaches,
                    m.trigger.of
                )
            }
            _ => reason(&current, m, &what),
        };
        Evaluation {
            monitor: m.id.clone(),
            group: self.group.clone(),
            at: now,
            state,
            previous,
            value: current.value,
            threshold: current.threshold,
            score: current.score,
            reason,
            first_breach_at: firing.map(|f| f.first_breach_at),
            clear: current.outcome == Outcome::Clear,
        }
    }

    /// The check at `at`, from the trail when it holds that instant.
    fn checked(&mut self, at: Timestamp) -> Check<'a> {
        match self.trail.iter().rev().find(|s| s.at == at) {
            Some(s) => s.check,
            None => check_at(self.monitor, self.group, self.data, at, &mut self.scratch),
        }
    }
}

/// What `check` counts as for the spell `firing`:
/// - a value back after no data that holds (between a trigger level and its recovery
///   level) is clean for a spell of no data alone, which has no recovery level to wait for,
///   as a Datadog monitor out of No Data reads the value as it is. A spell that breached a
///   level first still waits for its recovery level (a gap in the data does not resolve
///   the page of a value that never recovered);
/// - a threshold (or a version comparison, on its change) in alert holds there until its
///   value is back past the critical recovery level, even where the value alone would
///   only warn.
fn in_spell<'a>(check: Check<'a>, firing: Option<Firing>) -> Check<'a> {
    let Some(f) = firing else {
        return check;
    };
    let no_data_alone = f.state == State::NoData && !f.levelled;
    let in_alert = f.state == State::Alert;
    // The critical recovery level the value is not yet back past, as a value, and the
    // finding that names it.
    let held = match (check.finding, check.value) {
        (Finding::Level { threshold, .. }, Some(value)) if in_alert => threshold
            .alert_held_at(value)
            .map(|recovery| (recovery, check.finding)),
        // A version comparison's levels are of its change against the stable version.
        (Finding::Change(c), _) if in_alert => c.levels.alert_held_at(c.change).map(|limit| {
            let recovery = c.stable + limit * c.stable.abs();
            (recovery, Finding::Change(Change { limit, ..c }))
        }),
        _ => None,
    };
    match (check.outcome, held) {
        (Outcome::Hold, _) if no_data_alone && check.value.is_some() => Check {
            outcome: Outcome::Clear,
            ..check
        },
        // Still a breach for the trigger window, as the value alone is: only the state
        // differs, so replays that began in and out of the alert count alike.
        (Outcome::Breach(State::Warn), Some((recovery, finding))) => Check {
            outcome: Outcome::Breach(State::Alert),
            threshold: Some(recovery),
            finding,
            ..check
        },
        (Outcome::Hold | Outcome::Clear, Some((recovery, finding))) => Check {
            outcome: Outcome::Hold,
            threshold: Some(recovery),
            finding,
            ..check
        },
        _ => check,
    }
}

/// Whether `check`'s rule has a warning level: a rise to alert the trigger window has not
/// confirmed warns there.
fn warns(check: &Check<'_>) -> bool {
    match check.finding {
        Finding::Level { threshold, .. } => threshold.warning.is_some(),
        Finding::Change(c) => c.levels.warning.is_some(),
        Finding::Deviation { baseline, .. } => baseline.warn_sigmas.is_some(),
        _ => false,
    }
}

/// The state of a spell in `state` that `check` holds (not yet back past the recovery
/// level): an alert whose value is back past the critical recovery level (the critical
/// level when none is set) steps down to warn while it waits for the warning recovery
/// level, as a Datadog monitor does; a better value must not keep a worse state than a
/// value that warns would.
fn held_state(check: &Check<'_>, state: State) -> State {
    let (levels, value) = match (check.finding, check.value) {
        (Finding::Level { threshold, .. }, Some(value)) => (threshold, value),
        // A version comparison's levels are of its change against the stable version.
        (Finding::Change(c), _) => (c.levels, c.change),
        _ => return state,
    };
    if state == State::Alert && levels.warning.is_some() && levels.alert_held_at(value).is_none() {
        State::Warn
    } else {
        state
    }
}

fn outcome_for(check: &Check<'_>, firing: Option<Firing>) -> Outcome {
    match firing {
        // Most instants are outside any spell: nothing to look at.
        None => check.outcome,
        Some(_) => in_spell(*check, firing).outcome,
    }
}

/// Whether two replays, having seen the same trigger window, are in the same firing spell
/// (or both not firing): their states agree from here on, and only a spell's start can
/// differ (one replay may have started within it).
fn same_spell(a: Option<Firing>, b: Option<Firing>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            (a.state, a.clean, a.last_breach, a.levelled)
                == (b.state, b.clean, b.last_breach, b.levelled)
        }
        _ => false,
    }
}

fn every_ms(m: &Monitor) -> i64 {
    i64::try_from(m.every_secs.max(1))
        .unwrap_or(i64::MAX / 4_000)
        .saturating_mul(1000)
}

/// What checks reuse from one to the next.
#[derive(Debug, Default)]
struct Scratch {
    /// The window's values.
    window: Vec<f64>,
    /// The baseline's values.
    sample: baseline::Sample,
    /// How many points were at or before the last instant checked: where to start
    /// looking for the next instant's.
    upto: usize,
}

/// The rule's verdict at one instant, on the window ending there.
fn check_at<'a>(
    monitor: &'a Monitor,
    group: &Group,
    data: Data<'a>,
    at: Timestamp,
    scratch: &mut Scratch,
) -> Check<'a> {
    let window_ms = i64::try_from(monitor.window_secs).unwrap_or(i64::MAX / 4_000) * 1000;
    let window_start = Timestamp::from_millis(at.millis() - window_ms);
    scratch.upto = count_upto(data.points, at, scratch.upto);
    // Only points at or before `at`: a late invocation seeing more data answers alike.
    let points = &data.points[..scratch.upto];
    let Scratch { window, sample, .. } = scratch;
    window.clear();
    window.extend(
        between(points, window_start, at)
            .iter()
            .map(|p| p.value)
            .filter(|v| v.is_finite()),
    );
    let Some(value) = monitor.aggregation.apply(window) else {
        return without_points(monitor, points, at);
    };
    let check = match &monitor.rule {
        Rule::Threshold(t) => t.check(value),
        Rule::Schedule(s) => {
            let (threshold, name) = s.at(at, &monitor.time_zone);
            Check {
                finding: Finding::Level {
                    threshold,
                    schedule: Some(name),
                },
                ..threshold.check(value)
            }
        }
        Rule::Baseline(b) => b.check(
            value,
            points,
            data.rollup,
            (at, window_start),
            &monitor.time_zone,
            sample,
        ),
        Rule::VersionCompare(v) => {
            let stable = v
                .stable_version
                .as_deref()
                .or(data.stable_version)
                .unwrap_or("stable");
            if group.version.as_deref() == Some(stable) {
                return Check::hold(Finding::StableItself { stable });
            }
            window.clear();
            if let Some(points) = data.stable {
                window.extend(between(points, window_start, at).iter().map(|p| p.value));
            }
            match monitor.aggregation.apply(window) {
                Some(reference) => v.check(value, reference, stable),
                None => no_data(monitor, Finding::NoStableData { stable }),
            }
        }
        Rule::Composite(_) => Check::hold(Finding::NotChecked(
            "a composite is evaluated from its monitors",
        )),
        Rule::Anomaly(_) => Check::hold(Finding::NotChecked(
            "the anomaly rule is evaluated as a stream",
        )),
    };
    // A sum over minutes still arriving reads low: it is judged once they are in. When each
    // minute is itself a sum across the series (a `sum:` or `count:` query), counts only
    // grow: its newest minutes read low whatever the window does with them (the last, the
    // least, an average of them), and they are judged once in too, but a breach already
    // past an upper level stands and may page early. An average or a percentile of the
    // minutes in, each an average across series (the default `avg:` query), is not skewed
    // that way: such a minute may fall as series arrive.
    let only_grows = monitor.query.as_deref().is_some_and(|q| {
        q.trim_start().starts_with("sum:") || q.trim_start().starts_with("count:")
    });
    let filling = (monitor.aggregation == Aggregation::Sum || only_grows)
        && data.complete_through.is_some_and(|c| at > c);
    if !filling {
        return check;
    }
    let stands = only_grows && check.is_breach() && check.breaches_upward();
    if stands {
        return check;
    }
    Check {
        value: Some(value),
        ..Check::hold(Finding::Filling)
    }
}

/// An empty window: without data once the newest point is older than the window and
/// Datadog's reporting delay; until then a late point may still arrive, and nothing changes.
fn without_points<'a>(monitor: &Monitor, points: &[Point], at: Timestamp) -> Check<'a> {
    let delay_ms = i64::try_from(monitor.no_data_after_secs()).unwrap_or(i64::MAX / 4_000) * 1000;
    let since = Timestamp::from_millis(at.millis() - delay_ms);
    if !between(points, since, at).is_empty() {
        return Check::hold(Finding::Late);
    }
    no_data(monitor, Finding::NoData)
}

fn no_data<'a>(monitor: &Monitor, finding: Finding<'a>) -> Check<'a> {
    let outcome = match monitor.no_data {
        NoDataPolicy::Ignore => Outcome::Hold,
        NoDataPolicy::Warn | NoDataPolicy::Alert => Outcome::Breach(State::NoData),
        NoDataPolicy::Resolve => Outcome::Clear,
    };
    Check {
        outcome,
        ..Check::hold(finding)
    }
}

/// A check in words; `what` names the value the monitor measures.
fn reason(check: &Check<'_>, monitor: &Monitor, what: &str) -> String {
    let metric = monitor.metric.as_deref().unwrap_or(&monitor.id);
    match check.finding {
        Finding::Level {
            threshold,
            schedule: None,
        } => threshold.words(check, what),
        Finding::Level {
            threshold,
            schedule: Some(name),
        } => format!("{} ({name} thresholds)", threshold.words(check, what)),
        Finding::Deviation {
            baseline,
            deviation,
        } => baseline.words(check.value.unwrap_or(f64::NAN), &deviation, what),
        Finding::Learning { have, need } => format!(
            "{what} {}: baseline still learning ({have} of {need} points)",
            number(check.value.unwrap_or(f64::NAN))
        ),
        Finding::Change(change) => change.words(check, what),
        Finding::StableItself { stable } => format!("{stable} is the stable version itself"),
        Finding::Late => format!(
            "no point of {metric} in the last {} yet (Datadog may still be delivering it)",
            words(monitor.window_secs)
        ),
        Finding::Filling => format!(
            "{what} {} so far: its last minutes are still arriving, judged once they are in",
            number(check.value.unwrap_or(f64::NAN))
        ),
        Finding::NoData => format!(
            "no data for {metric} in the last {}",
            words(monitor.no_data_after_secs())
        ),
        Finding::NoStableData { stable } => format!(
            "no data for {metric} of the stable version {stable} in the last {}",
            words(monitor.window_secs)
        ),
        Finding::NotChecked(why) => why.to_owned(),
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
