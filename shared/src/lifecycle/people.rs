//! What people do to an alert: acknowledge it, mark it a false positive, silence it.

use crate::domain::{
    Action, Alert, Deliveries, Level, Mark, Muted, OwedAction, PageReason, Signal, Status,
    Timestamp,
};

use super::Outcome;

fn other_cycle(a: &Alert, cycle: Option<u32>) -> bool {
    cycle.is_some_and(|c| c != a.cycle)
}

/// Who acknowledged, and whether in another PagerDuty incident (`Action::Acknowledge`).
pub(super) struct Answer<'a> {
    pub by: &'a str,
    pub answered_elsewhere: bool,
}

pub(super) fn acknowledge(
    a: &mut Alert,
    who: Answer<'_>,
    cycle: Option<u32>,
    at: Timestamp,
    now: Timestamp,
    out: &mut Vec<Action>,
) -> Outcome {
    if other_cycle(a, cycle) {
        return Outcome::Ignored("acknowledges another cycle");
    }
    // PagerDuty redelivers a webhook it got no answer to: an acknowledgement can arrive
    // after the hand-on that followed it, and must not take the incident from its new
    // assignees (nor stop escalation for want of them).
    if a.unacknowledged_at.is_some_and(|u| u > at) {
        return Outcome::Ignored("handed on or run out since it was made");
    }
    match a.status {
        Status::Open => {
            a.status = Status::Acknowledged;
            a.acknowledged = Some(Mark {
                by: who.by.to_owned(),
                at,
            });
            drop_unanswered(a, now);
            out.push(Action::Acknowledge {
                by: who.by.to_owned(),
                answered_elsewhere: who.answered_elsewhere,
            });
            Outcome::Applied
        }
        Status::Acknowledged => Outcome::Ignored("already acknowledged"),
        Status::Resolved => Outcome::Ignored("not open"),
    }
}

/// The acknowledgement ran out: the alert is open again and escalates from its level, the
/// level's timeout counted from `now`. Not when someone acknowledged again after `at`
/// (the events crossed), nor for an alert marked a false positive (nobody should be woken
/// for it).
pub(super) fn unacknowledge(
    a: &mut Alert,
    by: &str,
    cycle: Option<u32>,
    at: Timestamp,
    now: Timestamp,
    out: &mut Vec<Action>,
) -> Outcome {
    if other_cycle(a, cycle) {
        return Outcome::Ignored("unacknowledges another cycle");
    }
    // Remembered even when there is nothing to undo yet (the acknowledgement it ends may
    // arrive after it).
    a.unacknowledged_at = a.unacknowledged_at.max(Some(at));
    if a.status != Status::Acknowledged {
        return Outcome::Ignored("not acknowledged");
    }
    if a.false_positive.is_some() {
        return Outcome::Ignored("marked a false positive");
    }
    if a.acknowledged.as_ref().is_some_and(|m| m.at > at) {
        return Outcome::Ignored("acknowledged again since");
    }
    a.status = Status::Open;
    a.acknowledged = None;
    a.level_since = Some(now);
    out.push(Action::Unacknowledge { by: by.to_owned() });
    Outcome::Applied
}

/// A person reopened the incident they had resolved: while the monitor still fires, the
/// alert is open again at its level, escalating from `now`, and its monitor's recovery
/// resolves every service paged (the reopened incident among them). Not a cycle the
/// monitor closed, nor one it has recovered from since: the reopened incident is then
/// the reopener's to resolve, and nothing here would ever close it for them. One marked a
/// false positive opens acknowledged by that mark (nobody is woken for it), and the
/// person's resolve, if it has not begun to go out, is dropped: sent after the reopen, it
/// would close the reopened incident.
pub(super) fn reopen(
    a: &mut Alert,
    by: &str,
    cycle: Option<u32>,
    at: Timestamp,
    now: Timestamp,
    out: &mut Vec<Action>,
) -> Outcome {
    if a.cycle == 0 || other_cycle(a, cycle) {
        return Outcome::Ignored("reopens another cycle");
    }
    // The incident is open and unanswered again from `at`: an acknowledgement or a resolve
    // made before it and delivered after it (PagerDuty's order is not kept) is over. Kept
    // even when the alert is still open, the resolve the reopen undid not yet arrived.
    a.unacknowledged_at = a.unacknowledged_at.max(Some(at));
    a.reopened_at = a.reopened_at.max(Some(at));
    if a.status.is_open() {
        return Outcome::Ignored("already open");
    }
    if a.resolved_by.is_none() {
        return Outcome::Ignored("its monitor recovered: the incident is the reopener's");
    }
    if a.resolved_at.is_some_and(|r| r > at) {
        return Outcome::Ignored("resolved again since");
    }
    if !a.state.is_firing() {
        return Outcome::Ignored("its monitor has recovered since");
    }
    a.resolved_at = None;
    a.resolved_by = None;
    a.level_since = Some(now);
    (a.status, a.acknowledged) = match &a.false_positive {
        Some(mark) => (Status::Acknowledged, Some(mark.clone())),
        None => (Status::Open, None),
    };
    let (deliveries, cycle) = (&a.deliveries, a.cycle);
    a.owed.retain(|o| {
        o.cycle != cycle
            || !matches!(o.action, Action::Resolve { .. })
            || under_way(deliveries, o, now)
    });
    out.push(Action::Reopen { by: by.to_owned() });
    Outcome::Applied
}

pub(super) fn false_positive(
    a: &mut Alert,
    by: &str,
    cycle: Option<u32>,
    at: Timestamp,
    now: Timestamp,
    out: &mut Vec<Action>,
) -> Outcome {
    if a.cycle == 0 {
        return Outcome::Ignored("never opened");
    }
    if other_cycle(a, cycle) {
        return Outcome::Ignored("marks another cycle");
    }
    if a.false_positive.is_some() {
        return Outcome::Ignored("already marked false positive");
    }
    a.false_positive = Some(Mark {
        by: by.to_owned(),
        at,
    });
    out.push(Action::Note {
        text: format!("Marked as a false positive by {by}."),
    });
    // Somebody looked at it: that stops escalation like an acknowledgement.
    if a.status == Status::Open {
        drop_unanswered(a, now);
        a.status = Status::Acknowledged;
        a.acknowledged = Some(Mark {
            by: by.to_owned(),
            at,
        });
        out.push(Action::Acknowledge {
            by: by.to_owned(),
            answered_elsewhere: false,
        });
    }
    Outcome::Applied
}

pub(super) fn silence(
    a: &mut Alert,
    by: &str,
    until: Timestamp,
    signal: &Signal,
    now: Timestamp,
    out: &mut Vec<Action>,
) -> Outcome {
    let at = signal.at;
    if a.silence
        .as_ref()
        .is_some_and(|s| (s.set_at, &s.set_by_signal) > (at, &signal.id))
    {
        return Outcome::Ignored("a newer silence is in place");
    }
    if until <= at {
        return unsilence(a, signal, out);
    }
    a.silence = Some(Muted {
        by: by.to_owned(),
        until,
        set_at: at,
        set_by_signal: signal.id.clone(),
    });
    // Pages owed but not begun wait for the silence's end; a delivery under way finishes.
    let (deliveries, cycle) = (&a.deliveries, a.cycle);
    let (kept, held): (Vec<OwedAction>, Vec<OwedAction>) =
        std::mem::take(&mut a.owed).into_iter().partition(|o| {
            under_way(deliveries, o, now) || o.cycle != cycle || !o.action.held_by_silence()
        });
    a.owed = kept;
    for o in &held {
        super::hold_worsening(a, &o.action);
    }
    let held = held.len();
    a.held = a
        .held
        .saturating_add(u32::try_from(held).unwrap_or(u32::MAX));
    if a.status.is_open() {
        out.push(Action::Note {
            text: format!("Silenced by {by} until {until}."),
        });
    }
    Outcome::Applied
}

/// Whether the delivery of `o` is under way at `at` (processing time, the claims' clock):
/// a step recorded, or the action claimed
/// by a claim still in force (its first step may be out and not yet recorded), or marked
/// about to go behind the claimed action while that claim is in force (a mark whose
/// delivery failed or died does not count). What is under way finishes.
fn under_way(deliveries: &Deliveries, o: &OwedAction, at: Timestamp) -> bool {
    let claim_in_force = |seq: Option<u64>| {
        deliveries
            .claim
            .as_ref()
            .is_some_and(|c| c.until > at && seq.is_none_or(|s| c.seq == s))
    };
    o.recorded_any() || claim_in_force(Some(o.seq)) || (o.marked_sending() && claim_in_force(None))
}

/// Someone answered: escalations and reminders this cycle owes for want of an answer, and
/// has not begun to deliver, are dropped (a page to the next level that PagerDuty's outage
/// held back must not wake the senior engineer for an incident already being worked on).
/// Pages of a worsening stay: a new severity is news even to whoever acknowledged, and so
/// does an escalation to a level the breaches have since asked for (the alert was already
/// there, so their breach made no page of its own). The alert goes back to the level its
/// pages reached, so that a worsening to a dropped level, or the acknowledgement running
/// out, pages it.
fn drop_unanswered(a: &mut Alert, now: Timestamp) {
    let deliveries = &a.deliveries;
    let cycle = a.cycle;
    // An alert stored before `breach_level` was kept: its level stands in, and nothing of
    // it is dropped, as before.
    let asked = a.breach_level.unwrap_or(a.level).min(a.policy.max_level);
    let mut dropped: Option<Level> = None;
    a.owed.retain(|o| {
        let droppable = o.cycle == cycle
            && !under_way(deliveries, o, now)
            && match o.action {
                Action::Renotify { .. } => true,
                Action::Page {
                    level,
                    reason: PageReason::Unanswered,
                } => level > asked,
                _ => false,
            };
        if droppable && let Action::Page { level, .. } = o.action {
            dropped = Some(dropped.map_or(level, |d| d.min(level)));
        }
        !droppable
    });
    let Some(dropped) = dropped else {
        return;
    };
    // Below the lowest page dropped, but not below a page still owed, nor below what the
    // breaches asked for.
    let owed = a
        .owed
        .iter()
        .filter(|o| o.cycle == cycle)
        .filter_map(|o| match o.action {
            Action::Page { level, .. } => Some(level),
            _ => None,
        })
        .max();
    let reached = dropped
        .previous()
        .unwrap_or(Level::L1)
        .max(asked)
        .max(owed.unwrap_or(Level::L1));
    a.level = a.level.min(reached);
}

/// The silence ended early (expired): it ends now, and what it held back is paged now if
/// the alert is still open and unanswered.
fn unsilence(a: &mut Alert, signal: &Signal, out: &mut Vec<Action>) -> Outcome {
    let at = signal.at;
    let Some(current) = a.silence.as_mut().filter(|s| s.until > at) else {
        return Outcome::Ignored("not silenced");
    };
    current.until = at;
    current.set_at = at;
    current.set_by_signal = signal.id.clone();
    if a.held > 0 {
        super::end_of_silence(a, at, out);
    }
    Outcome::Applied
}
