//! The alert lifecycle: the one pure function that decides an alert's next state and the
//! deliveries it owes. No other code changes alert state.
//!
//! Ordering and duplicates are decided here, not by the caller:
//! - monitor signals (breach, recovery, a person's resolve of an open alert) are ordered
//!   by their source time and id against the alert's watermark: an older or equal one is
//!   stale or a duplicate, so a late recovery never closes a newer cycle and a late
//!   trigger never reopens a resolved one; a resolve with nothing open is remembered by id
//!   and leaves the watermark where the recovery put it;
//! - people's signals (acknowledge, false positive, silence) are remembered by id;
//! - clock ticks compare their time with the processing times kept on the alert, so a
//!   repeated tick finds nothing left to do.

mod clock;
mod people;

#[cfg(test)]
mod tests;

use crate::domain::{
    Action, Alert, AlertContext, Breach, MonitorState, OwedAction, PageReason, Signal, SignalKind,
    Source, Status, Timestamp, Watermark,
};

/// What `apply` decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// The same delivery was applied before.
    Duplicate,
    /// Older than what the alert already knows.
    Stale,
    /// Valid, but nothing to do in the alert's state; the reason says why.
    Ignored(&'static str),
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Duplicate => "duplicate",
            Outcome::Stale => "stale",
            Outcome::Ignored(why) => why,
        }
    }
}

/// The next alert state and the actions it owes (also appended to `alert.owed`).
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub alert: Alert,
    pub actions: Vec<Action>,
    pub outcome: Outcome,
}

impl Transition {
    /// Whether the store has anything to write.
    pub fn changed(&self, before: &Alert) -> bool {
        self.alert != *before
    }
}

/// Most people's-signal ids remembered per alert.
const SEEN_LIMIT: usize = 64;

/// Applies one signal to one alert at processing time `now`.
pub fn apply(alert: &Alert, signal: &Signal, now: Timestamp) -> Transition {
    let mut next = alert.clone();
    let mut actions = Vec::new();
    let outcome = match &signal.kind {
        SignalKind::Breach { breach, repeat } => ordered(&mut next, signal, |a| {
            on_breach(a, breach, *repeat, signal.at, now, &mut actions)
        }),
        SignalKind::Recovered { context } => ordered(&mut next, signal, |a| {
            on_recovered(a, context, signal.at, now, &mut actions)
        }),
        // A resolve already taken for a closed cycle (below) stays that cycle's.
        SignalKind::Resolved { .. } if next.seen.contains(&signal.id) => Outcome::Duplicate,
        // The incident of another cycle: the one open now is not its to close. Remembered,
        // so a copy stays ignored whatever opens meanwhile.
        SignalKind::Resolved { cycle: Some(c), .. } if *c != next.cycle => {
            remembered(&mut next, signal, |_| {
                Outcome::Ignored("resolves another cycle")
            })
        }
        // A resolve in PagerDuty made before the incident was reopened there, delivered
        // after: the incident is open again, and resolving here would close it there.
        SignalKind::Resolved { .. }
            if next.status.is_open()
                && signal.source == Source::PagerDuty
                && next.reopened_at.is_some_and(|r| r > signal.at) =>
        {
            remembered(&mut next, signal, |_| Outcome::Ignored("reopened since"))
        }
        SignalKind::Resolved { by, .. } if next.status.is_open() => {
            ordered(&mut next, signal, |a| {
                resolve(a, Some(by.clone()), signal.at, &mut actions);
                Outcome::Applied
            })
        }
        // With nothing open the resolve is about a cycle already closed: PagerDuty's echo
        // of modelwatch's own resolve, or a person closing the incident after the monitor
        // recovered. The recovery's watermark already makes older triggers stale; moving
        // it on to the resolve's time would drop a breach that came after the recovery.
        // Remembered, so a copy of it stays a duplicate whatever opens in between.
        SignalKind::Resolved { .. }
            if next.watermark.as_ref().is_some_and(|w| w.id == signal.id) =>
        {
            Outcome::Duplicate
        }
        SignalKind::Resolved { .. } => {
            remembered(&mut next, signal, |_| Outcome::Ignored("not open"))
        }
        SignalKind::Acknowledged {
            by,
            cycle,
            answered_elsewhere,
        } => remembered(&mut next, signal, |a| {
            let who = people::Answer {
                by,
                answered_elsewhere: *answered_elsewhere,
            };
            people::acknowledge(a, who, *cycle, signal.at, now, &mut actions)
        }),
        SignalKind::Unacknowledged { by, cycle } => remembered(&mut next, signal, |a| {
            people::unacknowledge(a, by, *cycle, signal.at, now, &mut actions)
        }),
        SignalKind::FalsePositive { by, cycle } => remembered(&mut next, signal, |a| {
            people::false_positive(a, by, *cycle, signal.at, now, &mut actions)
        }),
        SignalKind::Reopened { by, cycle } => remembered(&mut next, signal, |a| {
            people::reopen(a, by, *cycle, signal.at, now, &mut actions)
        }),
        SignalKind::Silenced { by, until } => remembered(&mut next, signal, |a| {
            people::silence(a, by, *until, signal, now, &mut actions)
        }),
        SignalKind::Tick { policy } => {
            clock::tick(&mut next, policy.as_ref(), signal.at, now, &mut actions)
        }
    };
    match outcome {
        Outcome::Duplicate | Outcome::Stale => Transition {
            alert: alert.clone(),
            actions: Vec::new(),
            outcome,
        },
        _ => {
            if next != *alert {
                next.changed_at = Some(now);
            }
            for action in &actions {
                next.owed.push(OwedAction {
                    seq: next.next_seq,
                    cycle: next.cycle,
                    created_at: now,
                    action: action.clone(),
                    done: Vec::new(),
                });
                next.next_seq += 1;
            }
            Transition {
                alert: next,
                actions,
                outcome,
            }
        }
    }
}

/// Runs `f` for a monitor signal newer than the watermark, and moves the watermark.
fn ordered(a: &mut Alert, signal: &Signal, f: impl FnOnce(&mut Alert) -> Outcome) -> Outcome {
    let mark = Watermark {
        at: signal.at,
        id: signal.id.clone(),
    };
    match &a.watermark {
        Some(w) if *w == mark => return Outcome::Duplicate,
        Some(w) if mark < *w => return Outcome::Stale,
        _ => {}
    }
    let outcome = f(a);
    if outcome == Outcome::Applied {
        a.watermark = Some(mark);
    }
    outcome
}

/// Runs `f` for a people's signal not seen before, and remembers it even when it
/// changes nothing else, so a later copy cannot act in a state the first one did not.
fn remembered(a: &mut Alert, signal: &Signal, f: impl FnOnce(&mut Alert) -> Outcome) -> Outcome {
    if a.seen.contains(&signal.id) {
        return Outcome::Duplicate;
    }
    let outcome = f(a);
    if a.seen.len() >= SEEN_LIMIT {
        a.seen.remove(0);
    }
    a.seen.push(signal.id.clone());
    outcome
}

fn on_breach(
    a: &mut Alert,
    breach: &Breach,
    repeat: bool,
    at: Timestamp,
    now: Timestamp,
    out: &mut Vec<Action>,
) -> Outcome {
    let state = MonitorState::from(breach.state);
    if !a.status.is_open() {
        open_cycle(a, breach, at, now);
        note_change(a, at);
        if start_flapping_if_due(a, now, out) {
            return Outcome::Applied;
        }
        notify(
            a,
            now,
            out,
            Action::Page {
                level: a.level,
                reason: PageReason::Opened,
            },
        );
        return Outcome::Applied;
    }

    a.context = breach.context.clone();
    if state != a.state {
        // Flapping is going in and out of firing: a monitor moving between warn and alert
        // fires all along, and its worsened page must not be held back as a flap.
        let was_firing = a.state.is_firing();
        a.state = state;
        if !was_firing {
            note_change(a, at);
        }
    }
    // A breach worse than any before in the cycle brings the policy of its own level: a
    // night rule that keeps warnings in Slack must not cap a critical breach.
    if breach.level > a.breach_level.unwrap_or(a.level) {
        a.breach_level = Some(breach.level);
        a.policy = breach.policy.clone();
        // Never below a level already reached by escalation.
        a.policy.max_level = a.policy.max_level.max(a.level);
    }
    let level = breach.level.min(a.policy.max_level);
    let worsened = level > a.level;
    if worsened {
        a.level = level;
        a.level_since = Some(now);
    }
    if a.is_flapping() {
        if worsened || repeat {
            a.flapping.held += 1;
        }
        if worsened {
            // Paged when the flapping ends, whoever has answered the alert by then.
            a.held_worsening = a.held_worsening.max(Some(a.level));
        }
        return Outcome::Applied;
    }
    if start_flapping_if_due(a, now, out) {
        return Outcome::Applied;
    }
    if worsened {
        notify(
            a,
            now,
            out,
            Action::Page {
                level: a.level,
                reason: PageReason::Worsened,
            },
        );
    } else if repeat && a.status == Status::Open {
        notify(a, now, out, Action::Renotify { level: a.level });
    }
    Outcome::Applied
}

fn on_recovered(
    a: &mut Alert,
    context: &AlertContext,
    at: Timestamp,
    now: Timestamp,
    out: &mut Vec<Action>,
) -> Outcome {
    let was_firing = a.state.is_firing();
    a.state = MonitorState::Ok;
    if !a.status.is_open() {
        // Remember it (the watermark moves), so an older trigger arriving late is stale.
        return Outcome::Applied;
    }
    if context.value.is_some() {
        a.context.value = context.value;
    }
    if was_firing {
        note_change(a, at);
    }
    if a.is_flapping() {
        a.flapping.held += 1;
        return Outcome::Applied;
    }
    if start_flapping_if_due(a, now, out) {
        return Outcome::Applied;
    }
    resolve(a, None, at, out);
    Outcome::Applied
}

fn open_cycle(a: &mut Alert, breach: &Breach, at: Timestamp, now: Timestamp) {
    a.cycle += 1;
    a.status = Status::Open;
    a.state = MonitorState::from(breach.state);
    a.policy = breach.policy.clone();
    a.breach_level = Some(breach.level);
    a.level = breach.level.min(a.policy.max_level);
    a.context = breach.context.clone();
    a.opened_at = Some(at);
    a.detected_at = Some(now);
    // Unknown when the source does not say (a Datadog notification is dated at its
    // transition, after its evaluation window breached): time to detect is then not
    // measured, rather than measured as the webhook's delivery.
    a.first_breach_at = breach.first_breach_at.filter(|t| *t <= at);
    a.acknowledged = None;
    a.unacknowledged_at = None;
    a.reopened_at = None;
    a.resolved_at = None;
    a.resolved_by = None;
    a.false_positive = None;
    a.level_since = Some(now);
    a.held = 0;
    a.held_worsening = None;
}

/// Owes `action` unless a silence holds it back.
fn notify(a: &mut Alert, now: Timestamp, out: &mut Vec<Action>, action: Action) {
    if a.is_silenced(now) {
        a.held += 1;
        hold_worsening(a, &action);
    } else {
        out.push(action);
        a.last_notified_at = Some(now);
    }
}

/// Remembers the level a worsening page held back by a silence asked for.
fn hold_worsening(a: &mut Alert, action: &Action) {
    if let Action::Page {
        level,
        reason: PageReason::Worsened,
    } = action
    {
        a.held_worsening = a.held_worsening.max(Some(*level));
    }
}

/// A silence over with notifications held: one page for them, dated `when`. An open alert
/// is paged at its level; an acknowledged one only for a worsening it held (whoever is on
/// it hears of the new severity, as without the silence). While the alert flaps, nothing
/// yet: the flapping's end pages once for both.
fn end_of_silence(a: &mut Alert, when: Timestamp, out: &mut Vec<Action>) {
    // Flapping still: its end pages, for what the silence held too.
    if a.is_flapping() {
        return;
    }
    a.held = 0;
    let worsening = a.held_worsening.take();
    let reason = match a.status {
        Status::Open => PageReason::SilenceEnded,
        Status::Acknowledged if worsening.is_some() => PageReason::Worsened,
        _ => return,
    };
    // The people paged now get a full timeout before it escalates.
    a.level_since = Some(when);
    out.push(Action::Page {
        level: a.level,
        reason,
    });
    a.last_notified_at = Some(when);
}

fn resolve(a: &mut Alert, by: Option<String>, at: Timestamp, out: &mut Vec<Action>) {
    let open_secs = at.secs_since(a.opened_at.unwrap_or(at));
    a.status = Status::Resolved;
    a.resolved_at = Some(at);
    a.resolved_by = by.clone();
    a.flapping.since = None;
    a.flapping.held = 0;
    a.held = 0;
    a.held_worsening = None;
    out.push(Action::Resolve { by, open_secs });
}

/// Records a monitor state change at its source time and forgets those older than the
/// flap window. Source time, not processing time: a backlog of transitions hours apart
/// (Datadog retrying after an outage) delivered within seconds is not flapping. Monitor
/// signals reach here in source-time order (the watermark), so the list stays sorted.
fn note_change(a: &mut Alert, at: Timestamp) {
    let window = a.policy.flapping.window_secs;
    a.flapping.changes.retain(|t| at.secs_since(*t) <= window);
    a.flapping.changes.push(at);
}

fn start_flapping_if_due(a: &mut Alert, now: Timestamp, out: &mut Vec<Action>) -> bool {
    let policy = a.policy.flapping;
    let due = !a.is_flapping() && a.flapping.changes.len() >= policy.changes as usize;
    if due {
        a.flapping.since = Some(now);
        a.flapping.held = 0;
        // Held by a silence as a page is: its end says what went on.
        let changes = a.flapping.changes.len() as u32;
        notify(
            a,
            now,
            out,
            Action::FlappingStarted {
                changes,
                window_secs: policy.window_secs,
            },
        );
    }
    due
}
