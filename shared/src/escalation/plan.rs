//! From one owed action to the delivery steps it takes.

use crate::domain::{
    Action, Alert, AlertKey, InvalidValue, Level, OwedAction, SlackThread, Status,
};
use crate::page::{self, HashedAlertKey, PageContext};
use crate::pagerduty::Event;
use crate::slack::{ChannelId, Message, MessageTs, Metadata};

/// Where a level goes: Slack channels and, maybe, a PagerDuty routing-key name. The
/// escalator resolves it from configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Destinations {
    pub slack_channels: Vec<String>,
    pub pagerduty: Option<String>,
}

/// One delivery. `id` names it among the action's steps (recorded once delivered).
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub id: String,
    pub kind: StepKind,
}

/// Who a step goes to: a failure that a retry may cure holds back that vendor's other
/// steps, not the other vendor's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    Slack,
    PagerDuty,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    /// The alert's first message in a channel; its `ts` becomes the thread.
    SlackPost {
        message: Message,
    },
    SlackReply {
        message: Message,
    },
    SlackUpdate {
        ts: MessageTs,
        message: Message,
    },
    /// `key_name` names the routing key; a trigger records the service as paged.
    PagerDuty {
        key_name: String,
        /// Boxed: a page's event is several times the size of the other steps.
        event: Box<Event>,
        trigger: bool,
        /// A trigger's alert key, when too long to be its dedup key as written: the
        /// store is told what the digest stands for before the trigger goes out, so that
        /// PagerDuty's webhooks about the incident find the alert.
        hashed: Option<HashedAlertKey>,
    },
    /// A page whose cycle ended before it went out (resolved here, or by a person in
    /// PagerDuty): nothing is sent, since a trigger on a resolved incident's dedup key
    /// opens a new incident and pages again. The service is recorded as paged all the
    /// same, so the resolve behind it goes there: the trigger may have arrived unrecorded,
    /// and PagerDuty ignores a resolve for a key it has no incident for.
    PagerDutyOver {
        key_name: String,
    },
}

impl StepKind {
    pub fn vendor(&self) -> Vendor {
        match self {
            StepKind::SlackPost { .. }
            | StepKind::SlackReply { .. }
            | StepKind::SlackUpdate { .. } => Vendor::Slack,
            StepKind::PagerDuty { .. } | StepKind::PagerDutyOver { .. } => Vendor::PagerDuty,
        }
    }
}

/// `alert` as the messages of `owed`'s cycle show it once a later cycle has begun: that
/// cycle over (recovered, or resolved by whoever the resolve names, after as long as it
/// was open), without the value and reason of the cycle open now; shown without buttons
/// (`page::ended_cycle_message`).
fn cycle_ended(alert: &Alert, owed: &OwedAction) -> Alert {
    let mut ended = alert.clone();
    ended.cycle = owed.cycle;
    ended.status = Status::Resolved;
    ended.acknowledged = None;
    ended.false_positive = None;
    ended.flapping = Default::default();
    ended.context.value = None;
    ended.context.threshold = None;
    ended.context.reason = None;
    ended.context.snapshot_url = None;
    (ended.resolved_by, ended.resolved_at, ended.opened_at) = match &owed.action {
        Action::Resolve { by, open_secs } => (
            by.clone(),
            Some(owed.created_at),
            Some(owed.created_at.minus_secs(*open_secs)),
        ),
        _ => (None, None, None),
    };
    ended
}

/// The step id of a page's PagerDuty trigger to the service `name` at `level`.
fn trigger_id(name: &str, level: Level) -> String {
    format!("pagerduty-trigger:{name}:{level}")
}

/// Slack metadata's event type on an alert's messages: its first in a channel and the
/// replies in their thread.
pub const POST_EVENT_TYPE: &str = "modelwatch_alert";

/// What an alert's message carries so that a retry finds it rather than post it again
/// (`SlackClient::find_posted`): the alert, the cycle, the owed action and the step, which
/// together name one post or one thread reply.
pub fn post_metadata(key: &AlertKey, owed: &OwedAction, step_id: &str) -> Metadata {
    Metadata::new(
        POST_EVENT_TYPE,
        [
            ("alert", key.to_string().into()),
            ("cycle", owed.cycle.into()),
            ("seq", owed.seq.into()),
            ("step", step_id.into()),
        ],
    )
}

/// What marks, among an owed action's done steps, a service it paged while the deliveries
/// were an earlier cycle's (`mark_done`): `paged:{service}`. Not a step id, so never a
/// step planned again, but it counts as a step recorded (`OwedAction::recorded_any`);
/// and only a page PagerDuty took (or an over page's, recorded as paged too), not one it
/// refused. A trigger that failed in a way that may have reached PagerDuty is kept among
/// the deliveries instead (`mark_maybe_paged`).
pub const PAGED_MARK: &str = "paged:";

/// The PagerDuty services paged in `cycle` (by routing-key name): the deliveries' while
/// they are that cycle's, and those that owed actions of the cycle mark as paged. A page
/// that went while an earlier cycle still owed Slack is recorded only on its own action, as
/// the deliveries are still the earlier cycle's (`mark_done`); one that may have gone, among
/// the deliveries' `paged_ahead` (`mark_maybe_paged`). None for an earlier cycle.
pub fn paged_in(alert: &Alert, cycle: u32) -> Vec<String> {
    let mut paged = match alert.deliveries.cycle.cmp(&cycle) {
        std::cmp::Ordering::Equal => alert.deliveries.paged.clone(),
        std::cmp::Ordering::Less => Vec::new(),
        std::cmp::Ordering::Greater => return Vec::new(),
    };
    let ahead = alert
        .deliveries
        .paged_ahead
        .iter()
        .filter(|p| p.cycle == cycle)
        .map(|p| p.service.clone());
    let sent = alert
        .owed
        .iter()
        .filter(|o| o.cycle == cycle)
        .flat_map(|o| &o.done)
        .filter_map(|id| id.strip_prefix(PAGED_MARK))
        .map(str::to_owned)
        .chain(ahead);
    for name in sent {
        if !paged.contains(&name) {
            paged.push(name);
        }
    }
    paged
}

/// The steps `owed` takes on `alert`, minus those already done. `route` gives a level's
/// destinations; `ctx` what configuration and history add to a page.
pub fn plan(
    alert: &Alert,
    owed: &OwedAction,
    route: impl Fn(Level) -> Destinations,
    ctx: &PageContext,
) -> Result<Vec<Step>, InvalidValue> {
    // Threads and pages of an earlier cycle do not carry over to this one.
    let same_cycle = alert.deliveries.cycle == owed.cycle;
    let threads: &[SlackThread] = if same_cycle {
        &alert.deliveries.slack
    } else {
        &[]
    };
    let paged = paged_in(alert, owed.cycle);

    // A later cycle has begun: the messages of this one show it over, not the cycle
    // open now (its state, its facts and its buttons).
    let ended;
    let shown = if alert.cycle == owed.cycle {
        alert
    } else {
        ended = cycle_ended(alert, owed);
        &ended
    };
    let message = |channel: ChannelId| {
        if alert.cycle == owed.cycle {
            page::alert_message(shown, channel, ctx)
        } else {
            page::ended_cycle_message(shown, channel, ctx)
        }
    };
    let mut steps = Vec::new();
    // A page's PagerDuty trigger goes only while its cycle is open.
    let over = alert.cycle != owed.cycle || alert.status == Status::Resolved;
    let follow_up = match owed.action {
        // Its trigger not recorded as sent and now never to be: the threads must not hear
        // that someone is being paged.
        Action::Page { level, reason }
            if over
                && route(level)
                    .pagerduty
                    .is_some_and(|name| !owed.done.contains(&trigger_id(&name, level))) =>
        {
            page::page_over_text(level, reason)
        }
        _ => page::follow_up_text(shown, &owed.action),
    };
    let tell_threads = |steps: &mut Vec<Step>, update: bool| -> Result<(), InvalidValue> {
        // A thread this very action started (its post went out before a later step
        // failed) already says everything: a retry adds no reply or update to it.
        let started_here =
            |t: &SlackThread| owed.done.contains(&format!("slack-post:{}", t.channel));
        for t in threads.iter().filter(|t| !started_here(t)) {
            let channel = ChannelId::new(&t.channel_id)?;
            let ts = MessageTs::new(&t.ts)?;
            let id = format!("slack-reply:{}", t.channel);
            let metadata = post_metadata(&alert.key, owed, &id);
            steps.push(Step {
                kind: StepKind::SlackReply {
                    message: Message::new(channel.clone(), follow_up.clone())
                        .in_thread(ts.clone())
                        .with_metadata(metadata),
                },
                id,
            });
            if update {
                steps.push(Step {
                    id: format!("slack-update:{}", t.channel),
                    kind: StepKind::SlackUpdate {
                        ts,
                        message: message(channel),
                    },
                });
            }
        }
        Ok(())
    };
    let post_new = |steps: &mut Vec<Step>, channels: &[String]| -> Result<(), InvalidValue> {
        for ch in channels {
            if threads.iter().any(|t| &t.channel == ch) {
                continue;
            }
            let id = format!("slack-post:{ch}");
            let metadata = post_metadata(&alert.key, owed, &id);
            steps.push(Step {
                kind: StepKind::SlackPost {
                    message: message(ChannelId::new(ch)?).with_metadata(metadata),
                },
                id,
            });
        }
        Ok(())
    };

    match &owed.action {
        Action::Page { level, .. } => {
            let to = route(*level);
            // The page first: it is what wakes someone, and Slack's answer or its slowness
            // must not stand before it.
            if let Some(name) = to.pagerduty {
                let trigger = trigger_id(&name, *level);
                if !over {
                    steps.push(Step {
                        kind: StepKind::PagerDuty {
                            event: Box::new(page::trigger_event(alert, owed.cycle, *level, ctx)?),
                            key_name: name.clone(),
                            trigger: true,
                            hashed: page::hashed(&alert.key, owed.cycle),
                        },
                        id: trigger,
                    });
                } else if !owed.done.contains(&trigger) {
                    // A step of its own, so that its record is never read as the trigger's.
                    steps.push(Step {
                        id: format!("pagerduty-over:{name}:{level}"),
                        kind: StepKind::PagerDutyOver {
                            key_name: name.clone(),
                        },
                    });
                }
            }
            // Everyone already told hears it escalated; new channels get the full message.
            tell_threads(&mut steps, true)?;
            post_new(&mut steps, &to.slack_channels)?;
        }
        // Nothing announced yet this cycle: a reminder or a flapping summary is the
        // announcement.
        Action::Renotify { .. } | Action::FlappingStarted { .. } if threads.is_empty() => {
            post_new(&mut steps, &route(alert.level).slack_channels)?;
        }
        Action::Renotify { .. } | Action::FlappingStarted { .. } => {
            tell_threads(&mut steps, false)?;
        }
        // A note says what a person did (a false positive marked, a silence). While the
        // cycle is marked a false positive, the message is drawn again as well: it shows
        // the mark and no longer offers the button (a recovered alert's only one). Not for
        // a cycle a later one replaced: its message stays as its resolve drew it, with
        // the times a note does not carry.
        Action::Note { .. } => {
            let marked = alert.cycle == owed.cycle && alert.false_positive.is_some();
            tell_threads(&mut steps, marked)?;
        }
        // PagerDuty already has it triggered again; the channels hear it, and the message
        // shows the alert unacknowledged (or open again), its Acknowledge button back.
        Action::Unacknowledge { .. } | Action::Reopen { .. } => {
            tell_threads(&mut steps, true)?;
        }
        // Stored by a newer version: nothing this one knows how to send, so the outbox is
        // not held up by it.
        Action::Unknown => {}
        Action::Acknowledge { .. } | Action::Resolve { .. } => {
            let resolve = matches!(owed.action, Action::Resolve { .. });
            let verb = if resolve { "resolve" } else { "acknowledge" };
            // An acknowledgement in the incident this one merged into: the cycle's dedup
            // key is in that incident now, and acknowledging it would answer for its
            // people. Which service's incident merged is not said, and another level's
            // incident (L3's beside L2's) was not answered by the merge: it stays its
            // people's to acknowledge, as PagerDuty's own.
            let elsewhere = matches!(
                owed.action,
                Action::Acknowledge {
                    answered_elsewhere: true,
                    ..
                }
            );
            for name in paged.iter().filter(|_| !elsewhere) {
                steps.push(Step {
                    id: format!("pagerduty-{verb}:{name}"),
                    kind: StepKind::PagerDuty {
                        key_name: name.clone(),
                        event: Box::new(page::resolve_or_ack_event(
                            &alert.key, owed.cycle, resolve,
                        )?),
                        trigger: false,
                        hashed: None,
                    },
                });
            }
            tell_threads(&mut steps, true)?;
        }
    }
    steps.retain(|s| !owed.done.contains(&s.id));
    if owed.has_mark(OwedAction::SLACK_FINISHED) {
        steps.retain(|s| s.kind.vendor() != Vendor::Slack);
    }
    Ok(steps)
}
