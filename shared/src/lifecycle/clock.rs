//! The escalation clock: escalate unanswered alerts, renotify, end silences and flapping.
//!
//! A tick compares its own time with processing times kept on the alert (`level_since`,
//! `last_notified_at`, flap changes), which only move forward: a repeated or late tick
//! finds those times at or after its own and does nothing.

use crate::domain::{Action, Alert, EscalationPolicy, Level, PageReason, Status, Timestamp};

use super::{Outcome, end_of_silence, notify, resolve};

pub(super) fn tick(
    a: &mut Alert,
    policy: Option<&EscalationPolicy>,
    at: Timestamp,
    now: Timestamp,
    out: &mut Vec<Action>,
) -> Outcome {
    if !a.status.is_open() {
        return Outcome::Ignored("not open");
    }
    if a.changed_at.is_some_and(|c| at <= c) {
        return Outcome::Ignored("older than the last change");
    }
    let before = out.len();
    // The policy in force now replaces the one the alert opened with, never below a level
    // the alert already reached.
    let repoliced = match policy {
        Some(p) => {
            let mut p = p.clone();
            p.max_level = p.max_level.max(a.level);
            let changed = p != a.policy;
            a.policy = p;
            changed
        }
        None => false,
    };

    let mut changed = false;
    if a.is_flapping() {
        let last_change = a.flapping.changes.last().copied().or(a.flapping.since);
        let quiet = last_change
            .is_some_and(|t| at > t && at.secs_since(t) >= a.policy.flapping.window_secs);
        if !quiet {
            return Outcome::Ignored("still flapping");
        }
        a.flapping.since = None;
        a.flapping.held = 0;
        changed = true;
        if !a.state.is_firing() {
            resolve(a, None, at, out);
            return Outcome::Applied;
        }
        // Paged as the monitor still fires, unless someone answered it meanwhile (an
        // acknowledgement, or a false-positive mark): then only a worsening it held is,
        // as without flapping. One page says what a silence that ended held back too
        // (judged at `now`, as `notify` judges it).
        let reason = match a.status {
            Status::Open => Some(PageReason::FlappingEnded),
            _ => a.held_worsening.map(|_| PageReason::Worsened),
        };
        if let Some(reason) = reason {
            if !a.is_silenced(now) {
                a.held = 0;
                a.held_worsening = None;
            }
            a.level_since = Some(now);
            notify(
                a,
                now,
                out,
                Action::Page {
                    level: a.level,
                    reason,
                },
            );
        }
    }

    changed |= out.len() > before;
    if a.held > 0 && !a.is_silenced(at) {
        changed = true;
        end_of_silence(a, now, out);
    }

    if a.status == Status::Open && !changed {
        if !a.is_silenced(at) {
            changed = escalate_or_renotify(a, at, now, out);
        } else if a.held == 0 && due(a, at, now).is_some() {
            // An escalation or reminder the silence holds back, as it holds pages: when
            // it ends, the level reached is paged again and given a full timeout, rather
            // than escalated at once on a timeout that ran out under the silence.
            a.held = 1;
            changed = true;
        }
    }

    if changed || repoliced {
        Outcome::Applied
    } else {
        Outcome::Ignored("nothing due")
    }
}

/// What the clock owes an open alert at `at`: the next level (the timeout at this one ran
/// out), or a reminder.
enum Due {
    Escalate(Level),
    Renotify,
}

fn due(a: &Alert, at: Timestamp, now: Timestamp) -> Option<Due> {
    let since = a.level_since.unwrap_or(now);
    let next = a.level.next().filter(|l| *l <= a.policy.max_level);
    if let (Some(next), Some(timeout)) = (next, a.policy.timeout_secs(a.level))
        && at > since
        && at.secs_since(since) >= timeout
    {
        return Some(Due::Escalate(next));
    }
    if let (Some(every), Some(last)) = (a.policy.renotify_secs, a.last_notified_at)
        && at > last
        && at.secs_since(last) >= every
    {
        return Some(Due::Renotify);
    }
    None
}

/// Returns whether anything was due.
fn escalate_or_renotify(
    a: &mut Alert,
    at: Timestamp,
    now: Timestamp,
    out: &mut Vec<Action>,
) -> bool {
    match due(a, at, now) {
        Some(Due::Escalate(next)) => {
            a.level = next;
            a.level_since = Some(now);
            notify(
                a,
                now,
                out,
                Action::Page {
                    level: next,
                    reason: PageReason::Unanswered,
                },
            );
            true
        }
        Some(Due::Renotify) => {
            notify(a, now, out, Action::Renotify { level: a.level });
            true
        }
        None => false,
    }
}
