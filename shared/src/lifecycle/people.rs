//! What people do to an alert: acknowledge it, mark it a false positive, silence it.

use crate::domain::{Action, Alert, Mark, Signal, Silence, Status, Timestamp};

use super::Outcome;

fn other_cycle(a: &Alert, cycle: Option<u32>) -> bool {
    cycle.is_some_and(|c| c != a.cycle)
}

pub(super) fn acknowledge(
    a: &mut Alert,
    by: &str,
    cycle: Option<u32>,
    at: Timestamp,
    out: &mut Vec<Action>,
) -> Outcome {
    if other_cycle(a, cycle) {
        return Outcome::Ignored("acknowledges another cycle");
    }
    match a.status {
        Status::Open => {
            a.status = Status::Acknowledged;
            a.acknowledged = Some(Mark {
                by: by.to_owned(),
                at,
            });
            out.push(Action::Acknowledge { by: by.to_owned() });
            Outcome::Applied
        }
        Status::Acknowledged => Outcome::Ignored("already acknowledged"),
        Status::Resolved => Outcome::Ignored("not open"),
    }
}

pub(super) fn false_positive(
    a: &mut Alert,
    by: &str,
    cycle: Option<u32>,
    at: Timestamp,
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
        a.status = Status::Acknowledged;
        a.acknowledged = Some(Mark {
            by: by.to_owned(),
            at,
        });
        out.push(Action::Acknowledge { by: by.to_owned() });
    }
    Outcome::Applied
}

pub(super) fn silence(
    a: &mut Alert,
    by: &str,
    until: Timestamp,
    signal: &Signal,
    out: &mut Vec<Action>,
) -> Outcome {
    if until <= signal.at {
        return Outcome::Ignored("silence ends before it starts");
    }
    if a.silence
        .as_ref()
        .is_some_and(|s| (s.set_at, &s.set_by_signal) > (signal.at, &signal.id))
    {
        return Outcome::Ignored("a newer silence is in place");
    }
    a.silence = Some(Silence {
        by: by.to_owned(),
        until,
        set_at: signal.at,
        set_by_signal: signal.id.clone(),
    });
    if a.status.is_open() {
        out.push(Action::Note {
            text: format!("Silenced by {by} until {until}."),
        });
    }
    Outcome::Applied
}
