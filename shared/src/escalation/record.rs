//! Recording deliveries on the alert: claim an action, mark its steps done, let it go.
//! Each is a pure change for `Store::record`, which may run it again on a fresh read.

use super::plan::{PAGED_MARK, paged_in};
use crate::domain::{Alert, Claim, Deliveries, OwedAction, PagedAhead, SlackThread, Timestamp};

/// Claims the first owed action (`seq`) for delivery `holder` until `until`, unless it is no
/// longer first or someone else's claim still holds. Returns whether the claim was taken.
///
/// The about-to-go marks of the delivery before go with its claim: it has ended (the
/// escalator's timeout is shorter than a claim), so nothing it marked is still going out,
/// and a silence must not take those pages as under way for this delivery's claim.
pub fn claim(alert: &mut Alert, seq: u64, now: Timestamp, until: Timestamp, holder: u64) -> bool {
    let first = alert.owed.first().map(|o| o.seq);
    if first != Some(seq) || held(alert, now) {
        return false;
    }
    alert.deliveries.claim = Some(Claim { seq, until, holder });
    for owed in &mut alert.owed {
        owed.done.retain(|d| d != OwedAction::SENDING);
    }
    true
}

/// Whether the first owed action is claimed by a delivery whose claim still holds at
/// `now`: that delivery (or, once the claim expires, the clock) delivers it.
pub fn held(alert: &Alert, now: Timestamp) -> bool {
    let (Some(first), Some(claim)) = (alert.owed.first(), &alert.deliveries.claim) else {
        return false;
    };
    claim.holds(first.seq, now)
}

/// Gives up `holder`'s claim (after a failure that a later retry may cure): it ends `now`,
/// and stays as the mark of an attempt that did not finish, as a claim left by a delivery
/// that died does (`attempted_before`). Another delivery's claim, taken after this one's
/// ran out, is left alone.
pub fn release(alert: &mut Alert, seq: u64, holder: u64, now: Timestamp) -> bool {
    match &mut alert.deliveries.claim {
        Some(c) if c.seq == seq && c.holder == holder => {
            c.until = c.until.min(now);
            true
        }
        _ => false,
    }
}

/// Whether an earlier delivery of owed action `seq` began and did not finish (it died,
/// or gave up after a failure): a Slack post it made may be there unrecorded. Read
/// before claiming the action, whose claim replaces that one.
pub fn attempted_before(alert: &Alert, seq: u64) -> bool {
    let claimed = alert
        .deliveries
        .claim
        .as_ref()
        .is_some_and(|c| c.seq == seq);
    claimed
        || alert
            .owed
            .iter()
            .any(|o| o.seq == seq && o.has_mark(OwedAction::SLACK_BEHIND))
}

/// Marks owed action `seq` as about to go (`OwedAction::SENDING`), before a delivery sends
/// a page behind the action it holds the claim of: while that claim is in force a silence
/// takes the page as under way (`lifecycle`), so it cannot drop it between its send and
/// its record, which would leave no record of the service paged and that cycle's resolve
/// unsent. False when it is no longer owed (a silence held it back first: then it is not
/// sent) or already marked.
pub fn mark_sending(alert: &mut Alert, seq: u64) -> bool {
    let Some(owed) = alert.owed.iter_mut().find(|o| o.seq == seq) else {
        return false;
    };
    if owed.marked_sending() {
        return false;
    }
    owed.done.push(OwedAction::SENDING.to_owned());
    true
}

/// Before a delivery sends the Slack steps of owed action `seq` behind the action it holds
/// the claim of: the actions in `finished` (ahead of it, their Slack steps all gone) are
/// marked done with Slack (`OwedAction::SLACK_FINISHED`), so the threads `seq` starts get
/// no reply from them; `seq` is marked begun from behind (`OwedAction::SLACK_BEHIND`),
/// and about to go if a silence would hold it back (`mark_sending`). False when it is no
/// longer owed or nothing changes.
pub fn mark_slack_behind(alert: &mut Alert, finished: &[u64], seq: u64) -> bool {
    if !alert.owed.iter().any(|o| o.seq == seq) {
        return false;
    }
    let mut changed = false;
    let mut mark = |alert: &mut Alert, seq: u64, mark: &str| {
        if let Some(owed) = alert.owed.iter_mut().find(|o| o.seq == seq)
            && !owed.has_mark(mark)
        {
            owed.done.push(mark.to_owned());
            changed = true;
        }
    };
    for &ahead in finished {
        mark(alert, ahead, OwedAction::SLACK_FINISHED);
    }
    mark(alert, seq, OwedAction::SLACK_BEHIND);
    let silence_would_drop = alert
        .owed
        .iter()
        .find(|o| o.seq == seq)
        .is_some_and(|o| !o.recorded_any() && o.action.held_by_silence());
    if silence_would_drop {
        changed |= mark_sending(alert, seq);
    }
    changed
}

/// Records step `step_id` of owed action `seq` as delivered: a Slack post's thread, a
/// paged PagerDuty service. When `finished`, the action leaves the outbox and the claim
/// ends. Returns false when there is nothing to change (already recorded, or gone).
pub fn mark_done(
    alert: &mut Alert,
    seq: u64,
    step_id: &str,
    thread: Option<SlackThread>,
    paged: Option<String>,
    finished: bool,
) -> bool {
    let Some(i) = alert.owed.iter().position(|o| o.seq == seq) else {
        return false;
    };
    let cycle = alert.owed[i].cycle;
    let mut changed = false;
    if !alert.owed[i].done.iter().any(|d| d == step_id) {
        alert.owed[i].done.push(step_id.to_owned());
        changed = true;
    }
    changed |= advance(alert, cycle);
    // A step of a later cycle sent while an earlier one still owes (a page to PagerDuty
    // while Slack is down) is recorded on its action alone: `plan::paged_in` reads it.
    let current = alert.deliveries.cycle == cycle;
    // Only PagerDuty's steps are sent behind an earlier cycle's action (`send_behind`), so
    // a Slack thread is always of the cycle the deliveries are.
    debug_assert!(
        thread.is_none() || current,
        "a thread of a cycle not yet current"
    );
    if let Some(t) = thread
        && current
        && !alert
            .deliveries
            .slack
            .iter()
            .any(|x| x.channel == t.channel)
    {
        alert.deliveries.slack.push(t);
        changed = true;
    }
    if let Some(name) = &paged {
        changed |= note_paged(alert, i, name);
    }
    if finished {
        alert.owed.remove(i);
        if alert
            .deliveries
            .claim
            .as_ref()
            .is_some_and(|c| c.seq == seq)
        {
            alert.deliveries.claim = None;
        }
        changed = true;
    }
    changed
}

/// Records that PagerDuty service `name` may have an incident for owed action `seq`'s
/// cycle: its trigger failed in a way that may have reached PagerDuty (a 5xx, a timeout,
/// a connection cut after the request went). That cycle's acknowledge and resolve go to
/// it, so an incident the failed trigger opened is not left open, even if a silence then
/// holds the page back; for an incident it did not open, PagerDuty takes them and does
/// nothing. The trigger itself stays owed. Returns false when nothing changes.
///
/// A page of a later cycle, sent behind an earlier cycle's action, keeps the service
/// among the deliveries' `paged_ahead`, not as a mark on the page as a recorded step
/// does: a mark counts as a step taken, so a silence would no longer hold the page back,
/// and would drop the mark with the page if it did.
pub fn mark_maybe_paged(alert: &mut Alert, seq: u64, name: &str) -> bool {
    let Some(i) = alert.owed.iter().position(|o| o.seq == seq) else {
        return false;
    };
    let cycle = alert.owed[i].cycle;
    let advanced = advance(alert, cycle);
    if alert.deliveries.cycle == cycle {
        return note_paged(alert, i, name) || advanced;
    }
    let ahead = &mut alert.deliveries.paged_ahead;
    if ahead.iter().any(|p| p.cycle == cycle && p.service == name) {
        return advanced;
    }
    ahead.push(PagedAhead {
        cycle,
        service: name.to_owned(),
    });
    true
}

/// Adds `name` to the services paged in the cycle of owed action `i`: to the deliveries
/// while they are that cycle's; else, a step of a later cycle sent while an earlier one
/// still owes (a page to PagerDuty while Slack is down), on its action alone, where
/// `plan::paged_in` reads it.
fn note_paged(alert: &mut Alert, i: usize, name: &str) -> bool {
    let owed = &mut alert.owed[i];
    if alert.deliveries.cycle != owed.cycle {
        let mark = format!("{PAGED_MARK}{name}");
        if owed.done.contains(&mark) {
            return false;
        }
        owed.done.push(mark);
    } else if alert.deliveries.paged.iter().any(|p| p == name) {
        return false;
    } else {
        alert.deliveries.paged.push(name.to_owned());
    }
    true
}

/// Makes the deliveries `cycle`'s once no action of an earlier cycle is owed, with the
/// services that cycle's owed actions have paged: an earlier cycle's resolve still needs
/// its own threads and services until it is delivered. Returns whether they changed.
fn advance(alert: &mut Alert, cycle: u32) -> bool {
    if alert.deliveries.cycle >= cycle || alert.owed.iter().any(|o| o.cycle < cycle) {
        return false;
    }
    // The services this cycle's trigger may have reached ahead of it become its own.
    let paged = paged_in(alert, cycle);
    let mut paged_ahead = std::mem::take(&mut alert.deliveries.paged_ahead);
    paged_ahead.retain(|p| p.cycle > cycle);
    alert.deliveries = Deliveries {
        cycle,
        paged,
        claim: alert.deliveries.claim.take(),
        paged_ahead,
        ..Deliveries::default()
    };
    true
}

/// Takes owed action `seq` out of the outbox once every step is recorded.
pub fn finish(alert: &mut Alert, seq: u64) -> bool {
    let Some(i) = alert.owed.iter().position(|o| o.seq == seq) else {
        return false;
    };
    // What it paged (its steps all done) stays known to its cycle's later actions.
    advance(alert, alert.owed[i].cycle);
    alert.owed.remove(i);
    if alert
        .deliveries
        .claim
        .as_ref()
        .is_some_and(|c| c.seq == seq)
    {
        alert.deliveries.claim = None;
    }
    true
}
