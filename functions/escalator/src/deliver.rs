//! Delivering one alert's owed actions exactly once in effect: claim the first action,
//! send its steps one at a time, record each step right after it is delivered, and take
//! the action out of the outbox when every step is recorded.
//!
//! A step is sent again only if the function dies between sending it and recording it (or
//! gives up on an answer it never got): PagerDuty's dedup key makes a repeated trigger
//! harmless, and a Slack post is looked for in its channel, by the metadata it was posted
//! with, before it is posted again.

use modelwatch::domain::Deployment;
use modelwatch::domain::{
    Action, Alert, AlertKey, Level, OwedAction, SlackThread, Subscription, Timestamp,
};
use modelwatch::escalation::{self, Step, StepKind};
use modelwatch::http::DeliveryError;
use modelwatch::page::PageContext;
use modelwatch::slack::{Message, MessageTs, Posted, SlackError};
use modelwatch::store::StoreError;

use crate::Escalator;
use crate::reads::SharedReads;

/// What one call achieved.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Delivery {
    /// Actions fully delivered and taken out of the outbox.
    pub actions: u32,
    /// Steps sent (Slack calls, PagerDuty events).
    pub steps: u32,
    /// Steps the service refused for good (logged as `delivery rejected`, alarmed on).
    pub rejected: u32,
    /// Another delivery holds the claim on the next action.
    pub busy: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Slack or PagerDuty could not take it now; the claim is released for a retry.
    #[error("alert {key}: {step} not delivered yet: {message}")]
    Retry {
        key: String,
        step: String,
        message: String,
    },
}

impl DeliverError {
    pub fn is_retryable(&self) -> bool {
        match self {
            DeliverError::Store(e) => e.is_retryable(),
            DeliverError::Retry { .. } => true,
        }
    }
}

/// Delivers everything `key` owes, oldest first, starting from `image` (the alert as a
/// stream record showed it) or else from a read. `reads` are the invocation's reads that
/// every alert shares.
pub async fn deliver_owed(
    escalator: &Escalator,
    key: &AlertKey,
    image: Option<Alert>,
    now: Timestamp,
    reads: &SharedReads,
) -> Result<Delivery, DeliverError> {
    let mut done = Delivery::default();
    // The alert in hand is the image, not yet confirmed by a write of this delivery.
    let mut unconfirmed = image.is_some();
    let mut first_read = match image {
        // Another delivery holds its first action: it (or the clock, once its claim
        // expires) delivers it and whatever is owed after it. Nothing to read or write.
        Some(alert) if escalation::held(&alert, now) => {
            done.busy = true;
            return Ok(done);
        }
        Some(alert) => Some(alert),
        None => escalator.store.load(key).await?,
    };
    // A silence in force holds back what the alert owes, before anything is sent.
    if let Some(alert) = &first_read
        && alert.status.is_open()
        && !alert.owed.is_empty()
    {
        let active = reads.silences(&escalator.store, now).await?;
        if crate::mute::reconcile(escalator, active, alert, now).await? {
            first_read = escalator.store.load(key).await?;
            unconfirmed = false;
        }
    }
    // This delivery's own mark on its claims: two deliveries claiming in the same
    // millisecond write equal actions and deadlines, and only this tells whose write landed.
    let holder = fastrand::u64(1..);
    let mut read = first_read;
    loop {
        let Some(alert) = read.take() else {
            return Ok(done);
        };
        let Some(owed) = alert.owed.first().cloned() else {
            return Ok(done);
        };
        let until = now.plus_secs(escalator.claim_secs);
        // Whether an earlier attempt did not finish (it may have posted to Slack
        // unrecorded), as the alert the claim was written on shows it: the read this
        // delivery started from may be stale.
        let mut retry = None;
        let change = |a: &mut Alert| {
            retry = escalation::attempted_before(a, owed.seq).then_some(owed.created_at);
            escalation::claim(a, owed.seq, now, until, holder)
        };
        let claim = async {
            if unconfirmed {
                escalator
                    .store
                    .record_if_current(alert.clone(), change)
                    .await
            } else {
                escalator
                    .store
                    .record_from(key, Some(alert.clone()), change)
                    .await
            }
        };
        // The page's context is read while the claim is written: none waits for another
        // (a claim leaves the model and onset the deployments are read by as they were).
        let (claimed, deployments, subscriptions) = tokio::join!(
            claim,
            recent_deployments(escalator, &alert),
            reads.subscriptions(&escalator.store),
        );
        let Some(alert) = claimed?.filter(|a| {
            a.deliveries
                .claim
                .as_ref()
                .is_some_and(|c| c.seq == owed.seq && c.holder == holder)
        }) else {
            if unconfirmed {
                // The image was stale, or its action could not be claimed from it: start
                // again from the table, as without an image (the silence check included:
                // the alert may have opened since).
                return Box::pin(deliver_owed(escalator, key, None, now, reads)).await;
            }
            done.busy = true;
            return Ok(done);
        };
        unconfirmed = false;

        let mut ctx = escalation::page_context(&escalator.config, &alert);
        ctx.deployments = deployments;
        ctx.mentions = alert_subscribers(subscriptions, &alert);
        let steps = match escalation::plan(
            &alert,
            &owed,
            |l| escalation::destinations(&escalator.config, &alert, l),
            &ctx,
        ) {
            Ok(steps) => steps,
            Err(e) => {
                // A page that can never be built must not block the resolve behind it.
                tracing::error!(alert_key = %key, seq = owed.seq, action = owed.action.name(), error = %e, "delivery rejected");
                done.rejected += 1;
                Vec::new()
            }
        };
        // Each record starts from the alert as this delivery last wrote it: one write each.
        let sending = send_steps(
            escalator,
            (key, &owed, retry),
            &steps,
            Some(alert.clone()),
            (reads, true),
            &mut done,
        )
        .await?;
        let (mut written, failed, taken_back) =
            (sending.written, sending.failed, sending.taken_back);
        if taken_back {
            read = written;
            continue;
        }
        if let Some((step, message)) = failed {
            // One vendor held it back: the actions behind it still send the other's steps.
            for vendor in [escalation::Vendor::PagerDuty, escalation::Vendor::Slack] {
                if sending.unsent.contains(&vendor) {
                    continue;
                }
                let dest = |l| escalation::destinations(&escalator.config, &alert, l);
                written = send_behind(
                    escalator,
                    (key, &owed, vendor),
                    written,
                    (&ctx, &dest),
                    reads,
                    &mut done,
                )
                .await?;
            }
            escalator
                .store
                .record_from(key, written.take(), |a| {
                    escalation::release(a, owed.seq, holder, now)
                })
                .await?;
            return Err(DeliverError::Retry {
                key: key.to_string(),
                step,
                message,
            });
        }
        if steps.is_empty() {
            written = escalator
                .store
                .record_from(key, written, |a| escalation::finish(a, owed.seq))
                .await?;
        }
        done.actions += 1;
        // The next action, if one was owed by then, is in what the last record wrote: that
        // write was conditioned on the version this delivery last saw, so anything added
        // before it made it read afresh, and anything added after it comes in a stream
        // record of its own, which finds no claim of this delivery in its way.
        read = written;
    }
}

/// What sending one action's steps came to.
struct Sending {
    /// The alert as the last record wrote it.
    written: Option<Alert>,
    /// The first step that a retry may cure and did not go, or was held back because its
    /// vendor is down, and why.
    failed: Option<(String, String)>,
    /// The action was no longer owed when a record read the alert afresh.
    taken_back: bool,
    /// The vendors of the steps that did not go.
    unsent: Vec<escalation::Vendor>,
}

/// Sends `steps` of `owed` in order, recording each right after it goes; `written` is
/// the alert as this delivery last wrote it, `retry` when an earlier attempt at the action
/// began. A failure a retry may cure holds back the rest of that vendor's steps (it is
/// down or throttling), this alert's and the invocation's other alerts', not the other
/// vendor's: a Slack outage does not keep on-call from being paged, nor a PagerDuty one
/// the team from hearing. With `may_finish`, the last step's record takes the action out
/// of the outbox when nothing was held back.
async fn send_steps(
    escalator: &Escalator,
    (key, owed, retry): (&AlertKey, &OwedAction, Option<Timestamp>),
    steps: &[Step],
    mut written: Option<Alert>,
    (reads, may_finish): (&SharedReads, bool),
    done: &mut Delivery,
) -> Result<Sending, DeliverError> {
    let last = steps.len().saturating_sub(1);
    let mut failed: Option<(String, String)> = None;
    let mut unsent = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let finished = may_finish && i == last && failed.is_none();
        // A record that met another writer read the alert afresh: if the action is no
        // longer owed (a silence held the page back, or another delivery finished it
        // after this one's claim ran out), its other steps are not sent.
        if i > 0 && !owes(written.as_ref(), owed.seq) {
            tracing::info!(alert_key = %key, seq = owed.seq, action = owed.action.name(), "taken back while it was delivered; its other steps are not sent");
            return Ok(Sending {
                written,
                failed,
                taken_back: true,
                unsent,
            });
        }
        if reads.is_down(step.kind.vendor()) {
            let why = format!("{:?} failed earlier in this invocation", step.kind.vendor());
            failed.get_or_insert((step.id.clone(), why));
            unsent.push(step.kind.vendor());
            continue;
        }
        match send(escalator, step, retry).await {
            Ok(sent) => {
                done.steps += 1;
                tracing::info!(alert_key = %key, seq = owed.seq, action = owed.action.name(), step = %step.id, "delivered");
                written = escalator
                    .store
                    .record_from(key, written.take(), |a| {
                        escalation::mark_done(
                            a,
                            owed.seq,
                            &step.id,
                            sent.thread.clone(),
                            sent.paged.clone(),
                            finished,
                        )
                    })
                    .await?;
            }
            Err(failure) if failure.retryable => {
                if failure.refused_token {
                    tracing::error!(alert_key = %key, seq = owed.seq, step = %step.id, error = %failure.message, "slack token refused");
                } else {
                    tracing::warn!(alert_key = %key, seq = owed.seq, step = %step.id, error = %failure.message, "delivery failed, will retry");
                }
                if !failure.throttled {
                    reads.mark_down(step.kind.vendor());
                }
                // Any of its attempts may have opened the incident: whatever happens to
                // the page from here (a silence may hold it back), the cycle's resolve
                // goes to the service.
                if let StepKind::PagerDuty {
                    key_name,
                    trigger: true,
                    ..
                } = &step.kind
                    && failure.may_have_gone
                {
                    written = escalator
                        .store
                        .record_from(key, written.take(), |a| {
                            escalation::mark_maybe_paged(a, owed.seq, key_name)
                        })
                        .await?;
                }
                failed.get_or_insert((step.id.clone(), failure.message));
                unsent.push(step.kind.vendor());
            }
            Err(failure) => {
                tracing::error!(alert_key = %key, seq = owed.seq, step = %step.id, error = %failure.message, "delivery rejected");
                done.rejected += 1;
                written = escalator
                    .store
                    .record_from(key, written.take(), |a| {
                        escalation::mark_done(a, owed.seq, &step.id, None, None, finished)
                    })
                    .await?;
            }
        }
    }
    Ok(Sending {
        written,
        failed,
        taken_back: false,
        unsent,
    })
}

/// While `first` waits for one vendor, the actions owed behind it send their steps to
/// the other (`vendor`), in order, under the same claim.
///
/// PagerDuty's while Slack is down: an escalation's page to the senior engineers, a
/// resolve, and the page of a cycle that began since. A later cycle's step is recorded on
/// its action alone while an earlier cycle still owes, so the deliveries keep the threads
/// and services the earlier cycle's resolve needs (`escalation::mark_done`).
///
/// Slack's while PagerDuty is down, once `first` has reached Slack (its threads are
/// there): the escalation's post to the senior engineers' channel, the updates, the
/// recovery in the thread, so the channels still hear what PagerDuty cannot say. Only
/// actions of the cycle the threads belong to; a later cycle's posts wait. Before each
/// action's Slack steps, one write marks it begun from behind, and the actions ahead of it
/// done with Slack (`escalation::mark_slack_behind`): their threads are told once, and a
/// delivery after one that died mid-post looks for its posts first (`earlier_post`).
///
/// None is taken out of the outbox here; the delivery that finishes `first` plans them
/// again, minus what went.
async fn send_behind(
    escalator: &Escalator,
    (key, first, vendor): (&AlertKey, &OwedAction, escalation::Vendor),
    mut written: Option<Alert>,
    (ctx, route): (&PageContext, &dyn Fn(Level) -> escalation::Destinations),
    reads: &SharedReads,
    done: &mut Delivery,
) -> Result<Option<Alert>, DeliverError> {
    let behind: Vec<OwedAction> = written
        .iter()
        .flat_map(|a| a.owed.iter())
        .filter(|o| o.seq != first.seq)
        .cloned()
        .collect();
    // The actions whose Slack steps have all gone, `first` and those sent behind it.
    let mut finished = vec![first.seq];
    for owed in behind {
        let Some(alert) = written.as_ref().filter(|a| owes(Some(a), first.seq)) else {
            break;
        };
        if vendor == escalation::Vendor::Slack && owed.cycle != alert.deliveries.cycle {
            break;
        }
        let mut steps = match escalation::plan(alert, &owed, route, ctx) {
            Ok(steps) => steps,
            // Its own delivery reports it.
            Err(_) => continue,
        };
        steps.retain(|s| s.kind.vendor() == vendor);
        if steps.is_empty() {
            // An action a newer version stored plans nothing here, and is not this
            // version's to mark.
            if !matches!(owed.action, Action::Unknown) {
                finished.push(owed.seq);
            }
            continue;
        }
        // Whether a delivery before this one began its Slack steps from behind: a post of
        // it may be in a channel unrecorded, and is looked for first.
        let mut begun_before = false;
        if vendor == escalation::Vendor::Slack && !reads.is_down(vendor) {
            begun_before = alert
                .owed
                .iter()
                .any(|o| o.seq == owed.seq && o.has_mark(OwedAction::SLACK_BEHIND));
            written = escalator
                .store
                .record_from(key, written.take(), |a| {
                    escalation::mark_slack_behind(a, &finished, owed.seq)
                })
                .await?;
            if !owes(written.as_ref(), first.seq) {
                break;
            }
            if !owes(written.as_ref(), owed.seq) {
                continue;
            }
        }
        // A page with nothing recorded is what a silence drops: marked first, it is under
        // way while this delivery's claim is in force (`escalation::mark_sending`), or the
        // silence came first and it is not sent.
        if vendor == escalation::Vendor::PagerDuty
            && !reads.is_down(vendor)
            && !owed.recorded_any()
            && matches!(owed.action, Action::Page { .. })
        {
            written = escalator
                .store
                .record_from(key, written.take(), |a| {
                    escalation::mark_sending(a, owed.seq)
                })
                .await?;
            // Read afresh if the write met another: the claimed action may be done by now.
            if !owes(written.as_ref(), first.seq) {
                break;
            }
            if !owes(written.as_ref(), owed.seq) {
                continue;
            }
        }
        let Some(alert) = written.as_ref() else {
            break;
        };
        let retry = match vendor {
            escalation::Vendor::Slack => begun_before.then_some(owed.created_at),
            escalation::Vendor::PagerDuty => {
                escalation::attempted_before(alert, owed.seq).then_some(owed.created_at)
            }
        };
        let sending = send_steps(
            escalator,
            (key, &owed, retry),
            &steps,
            written.take(),
            (reads, false),
            done,
        )
        .await?;
        written = sending.written;
        // A step of it that did not go (its routing key or channel throttled) holds
        // back that vendor's steps behind it, as the first action's would.
        if sending.taken_back || sending.unsent.contains(&vendor) {
            break;
        }
        finished.push(owed.seq);
    }
    Ok(written)
}

/// Whether `alert` still owes action `seq`.
fn owes(alert: Option<&Alert>, seq: u64) -> bool {
    alert.is_some_and(|a| a.owed.iter().any(|o| o.seq == seq))
}

/// What a delivered step leaves to record.
struct Sent {
    thread: Option<SlackThread>,
    paged: Option<String>,
}

struct Failure {
    retryable: bool,
    /// The service's rate limit for this request is spent (a 429): that is this
    /// request's channel or routing key, not the vendor down, so the invocation's other
    /// steps to it still go. A 5xx, even with a delay to wait, is the vendor's.
    throttled: bool,
    /// The request may have taken effect though it failed: the client gave up after its
    /// attempts, any of which may have reached the service before its answer was lost or
    /// came back 5xx.
    may_have_gone: bool,
    /// Slack refused the bot token (revoked, invalid): retried like an outage, so the
    /// message goes once the secret holds a working token, and logged for the alarm.
    refused_token: bool,
    message: String,
}

impl From<SlackError> for Failure {
    fn from(e: SlackError) -> Self {
        Self {
            retryable: e.is_retryable() || e.is_refused_token(),
            throttled: matches!(&e, SlackError::Delivery(d) if asked_to_wait(d)),
            may_have_gone: e.is_retryable(),
            refused_token: e.is_refused_token(),
            message: e.to_string(),
        }
    }
}

impl From<DeliveryError> for Failure {
    fn from(e: DeliveryError) -> Self {
        Self {
            retryable: e.is_retryable(),
            throttled: asked_to_wait(&e),
            may_have_gone: e.is_retryable(),
            refused_token: false,
            message: e.to_string(),
        }
    }
}

fn asked_to_wait(e: &DeliveryError) -> bool {
    matches!(e, DeliveryError::GaveUp { limited: true, .. })
}

/// Slack downloads a message's images before it takes it, and refuses the whole message
/// when one fails (a Datadog snapshot not rendered yet, or Slack's fetch failing now and
/// then): the message to send instead, without its images, when that is why `refused` came
/// back and the message had any. Otherwise the channel would never hear of the alert.
fn without_the_refused_images(refused: &SlackError, message: &Message) -> Option<Message> {
    if !refused.is_image_not_downloaded() {
        return None;
    }
    let plain = message.without_images()?;
    tracing::warn!(channel = %message.channel.as_str(), error = %refused, "Slack could not download the message's image; sending it without");
    Some(plain)
}

async fn post_message(escalator: &Escalator, message: &Message) -> Result<Posted, SlackError> {
    match escalator.slack.post_message(message).await {
        Err(e) => match without_the_refused_images(&e, message) {
            Some(plain) => escalator.slack.post_message(&plain).await,
            None => Err(e),
        },
        posted => posted,
    }
}

async fn update_message(
    escalator: &Escalator,
    ts: &MessageTs,
    message: &Message,
) -> Result<Posted, SlackError> {
    match escalator.slack.update_message(ts, message).await {
        Err(e) => match without_the_refused_images(&e, message) {
            Some(plain) => escalator.slack.update_message(ts, &plain).await,
            None => Err(e),
        },
        updated => updated,
    }
}

/// Sends one step. `retry` is when the action was owed from, when an earlier attempt at
/// it did not finish: a Slack post is then looked for first, and not posted again if
/// found.
async fn send(
    escalator: &Escalator,
    step: &Step,
    retry: Option<Timestamp>,
) -> Result<Sent, Failure> {
    let nothing = Sent {
        thread: None,
        paged: None,
    };
    match &step.kind {
        StepKind::SlackPost { message } => {
            let earlier = match retry {
                Some(since) => earlier_post(escalator, step, message, since).await?,
                None => None,
            };
            let posted = match earlier {
                Some(posted) => posted,
                None => post_message(escalator, message).await?,
            };
            Ok(Sent {
                thread: Some(SlackThread {
                    channel: message.channel.as_str().to_owned(),
                    channel_id: posted.channel,
                    ts: posted.ts.as_str().to_owned(),
                }),
                paged: None,
            })
        }
        StepKind::SlackReply { message } => {
            let earlier = match retry {
                Some(since) => earlier_post(escalator, step, message, since).await?,
                None => None,
            };
            if earlier.is_none() {
                escalator.slack.post_message(message).await?;
            }
            Ok(nothing)
        }
        StepKind::SlackUpdate { ts, message } => {
            update_message(escalator, ts, message).await?;
            Ok(nothing)
        }
        StepKind::PagerDuty {
            key_name,
            event,
            trigger,
            hashed,
        } => {
            let Some(key) = escalator.routing_keys.get(key_name) else {
                return Err(Failure {
                    retryable: false,
                    throttled: false,
                    may_have_gone: false,
                    refused_token: false,
                    message: format!(
                        "no PagerDuty routing key named {key_name:?} in the configuration's secrets"
                    ),
                });
            };
            // Without it PagerDuty's acknowledgement of the incident would not find the
            // alert; a table that refuses it for good still lets the page go. A failure
            // for now is this step's, not PagerDuty's: the other pages still go.
            if let Some(hashed) = hashed {
                let now = escalator.clock.now();
                match escalator.store.remember_hashed_key(hashed, now).await {
                    Ok(()) => {}
                    Err(e) if e.is_retryable() => {
                        return Err(Failure {
                            retryable: true,
                            throttled: true,
                            may_have_gone: false,
                            refused_token: false,
                            message: format!("remembering the hashed PagerDuty key: {e}"),
                        });
                    }
                    // Logged as a rejected delivery, which alarms: PagerDuty's
                    // acknowledgements of this incident will not reach the alert.
                    Err(e) => {
                        tracing::error!(step = %step.id, part = "the hashed PagerDuty key's alert, for PagerDuty's webhooks", error = %e, "delivery rejected");
                    }
                }
            }
            escalator.pagerduty.send(key, event).await?;
            Ok(Sent {
                thread: None,
                paged: trigger.then(|| key_name.clone()),
            })
        }
        StepKind::PagerDutyOver { key_name } => Ok(Sent {
            thread: None,
            paged: Some(key_name.clone()),
        }),
    }
}

/// The post an earlier attempt made of this step, found in the channel (a reply, in its
/// thread) by its metadata.
/// When Slack refuses to let the channel be read (no `channels:history` scope, the bot not
/// in it) the step is posted again: a second message rather than none. A look-up that
/// fails for now (a rate limit, a 5xx, a timeout) fails the step for a later retry
/// instead, which can then look again: a post for it may be in the channel. Not for ever:
/// once the step has been owed `LOOK_UP_PATIENCE_SECS`, it is posted, a second message
/// rather than none.
async fn earlier_post(
    escalator: &Escalator,
    step: &Step,
    message: &Message,
    since: Timestamp,
) -> Result<Option<Posted>, SlackError> {
    let Some(metadata) = message.metadata.as_ref() else {
        return Ok(None);
    };
    match escalator
        .slack
        .find_posted(
            &message.channel,
            message.thread_ts.as_ref(),
            since,
            metadata,
        )
        .await
    {
        Ok(Some(posted)) => {
            tracing::info!(step = %step.id, ts = %posted.ts.as_str(), "found the post of an earlier attempt; not posting again");
            Ok(Some(posted))
        }
        Ok(None) => Ok(None),
        Err(e) if !posts_unlooked(&e, escalator.clock.now().secs_since(since)) => Err(e),
        Err(e) => {
            tracing::warn!(step = %step.id, error = %e, "could not look for the post of an earlier attempt; posting (it may show twice)");
            Ok(None)
        }
    }
}

/// How long a step whose earlier post cannot be looked for (Slack's history rate-limited
/// or failing) waits before it is posted anyway.
const LOOK_UP_PATIENCE_SECS: u64 = 10 * 60;

/// Whether a step whose look-up failed with `e`, owed for `owed_secs`, is posted all the
/// same: when Slack refuses the look-up for good, or it has failed for too long.
fn posts_unlooked(e: &SlackError, owed_secs: u64) -> bool {
    !e.is_retryable() || owed_secs >= LOOK_UP_PATIENCE_SECS
}

/// How far before onset a deployment is shown on the page.
const DEPLOYMENTS_BEFORE_SECS: u64 = 24 * 3600;

/// Who subscribed to this model's alerts (or every model's), each once.
fn alert_subscribers(subscriptions: &[Subscription], alert: &Alert) -> Vec<String> {
    let model = alert.context.model.as_ref().map(|m| m.name());
    let mut ids: Vec<String> = subscriptions
        .iter()
        .filter(|s| s.model.is_none() || s.model.as_deref() == model)
        .map(|s| s.subscriber.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The model's deployments in the 24 hours before onset, newest first. A failed read
/// leaves them out rather than hold the page back.
async fn recent_deployments(escalator: &Escalator, alert: &Alert) -> Vec<Deployment> {
    let (Some(model), Some(onset)) = (alert.context.model.as_ref(), alert.opened_at) else {
        return Vec::new();
    };
    let from = onset.minus_secs(DEPLOYMENTS_BEFORE_SECS);
    match escalator.store.deployments(model.name(), from, onset).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(alert_key = %alert.key, error = %e, "deployments not read; paging without them");
            Vec::new()
        }
    }
}

#[cfg(test)]
mod look_up_tests {
    use super::*;

    fn failed(retryable: bool) -> SlackError {
        SlackError::Delivery(if retryable {
            DeliveryError::GaveUp {
                api: "Slack",
                attempts: 1,
                last: "conversations.history answered 429".into(),
                retry_after: None,
                limited: true,
            }
        } else {
            DeliveryError::Rejected {
                api: "Slack",
                status: Some(200),
                reason: "conversations.history answered error not_in_channel".into(),
                details: Vec::new(),
            }
        })
    }

    #[test]
    fn a_look_up_failing_for_now_holds_the_post_for_ten_minutes_then_posts() {
        assert!(!posts_unlooked(&failed(true), 0));
        assert!(!posts_unlooked(&failed(true), LOOK_UP_PATIENCE_SECS - 1));
        assert!(posts_unlooked(&failed(true), LOOK_UP_PATIENCE_SECS));
        // Refused for good: a second message rather than none, at once.
        assert!(posts_unlooked(&failed(false), 0));
    }
}
