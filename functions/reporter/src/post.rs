//! Posting a report: the channel resolved to its ID (uploads take IDs only; a name the bot
//! cannot list fails the report here, before any chart is lost to alt text), charts
//! uploaded to the channel, then the message and its thread replies, about one message a
//! second per channel (Slack's pace; the client honours `Retry-After` on top). A chart that
//! fails to upload is left to its alt text. Slack finishes an upload after answering it,
//! and refuses a message that shows the file sooner: the first message is tried once more
//! after `CHARTS_PROCESSING`, then posted with its charts' alt text; a reply, without them. Once the first message is out, a reply Slack
//! refuses for good is logged and counted; one that fails for now (rate-limited past the
//! client's patience, a 5xx, a timeout) fails the run there, so that Lambda's retry posts
//! the sections it held (below).
//!
//! Lambda retries a failed or timed-out invocation with the same event, and the schedule's
//! event names the time it stands for, so a retry reports on the same period. Before
//! posting, a run looks for the report's first message (by its metadata) in the channel.
//! When an earlier attempt posted it, this one reads the thread once, and posts in it only
//! the sections no part there has ended (each part's metadata lists them by model or
//! heading: `section_key`), with no chart uploaded again. By sections, not by part numbers:
//! the open alerts and late points read again may order or split the report otherwise. A
//! section shows twice only when it was spread over several messages and the attempt
//! stopped before its last; none is skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use modelwatch::report::slack::{SlackReport, render, render_rest, section_key};
use modelwatch::report::{Mentions, Report, chart};
use modelwatch::slack::{
    ChannelId, FileUpload, Message, MessageTs, Metadata, SlackClient, SlackFile,
};

use serde_json::Value;

use crate::ReportError;

/// Slack's pace for one channel.
const PER_MESSAGE: Duration = Duration::from_secs(1);

/// How long a first message whose charts Slack refused waits before it is tried once
/// more with them: Slack processes an upload after `files.completeUploadExternal`
/// answers, and refuses a message that shows the file before that.
const CHARTS_PROCESSING: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Posted {
    /// Left to another delivery of the same report, which posted it (before this one came,
    /// or while it waited on its claim), or still held it after the wait.
    pub left_to_another_delivery: bool,
    /// Messages this run posted.
    pub messages: u32,
    /// Parts an earlier attempt at the same report had already posted: found, not posted again.
    pub found_posted: u32,
    pub charts: u32,
    pub charts_failed: u32,
    pub replies_failed: u32,
}

/// Slack metadata's event type on a report's messages.
const REPORT_EVENT_TYPE: &str = "modelwatch_report";

/// What names `report` for `audience` among the channel's messages: the report, its
/// audience (two audiences may share a channel) and its period. Not its title, whose date
/// is read in the schedule's time zone: a retry by a build that dated it otherwise (UTC,
/// before) still finds the parts posted (their `title`, if any, is not compared).
fn report_fields(report: &Report, audience: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("report", report.kind.name().into()),
        ("audience", audience.into()),
        ("from", report.period.start().to_string().into()),
        ("to", report.period.end().to_string().into()),
    ]
}

/// What finds the first message of `report` for `audience`: the report and part 0.
fn first_message_metadata(report: &Report, audience: &str) -> Metadata {
    let mut fields = report_fields(report, audience);
    fields.push(("part", 0.into()));
    Metadata::new(REPORT_EVENT_TYPE, fields)
}

/// What the `n`-th message of `report` for `audience` (0, the first; then its thread
/// replies) carries, so that one whose answer was lost is found rather than posted again
/// (`SlackClient::post_message`): the report, the part, and the keys of the sections it
/// ends (`section_key`, comma-separated: for a later attempt that resumes the report).
fn part_metadata(report: &Report, audience: &str, n: u32, sections: &[String]) -> Metadata {
    let mut fields = report_fields(report, audience);
    fields.push(("part", n.into()));
    fields.push(("sections", sections.join(",").into()));
    Metadata::new(REPORT_EVENT_TYPE, fields)
}

/// How long to wait before the `n`-th message (from 0) to one channel.
pub fn pace(n: u32) -> Duration {
    if n == 0 { Duration::ZERO } else { PER_MESSAGE }
}

pub async fn post(
    slack: &SlackClient,
    channel: &ChannelId,
    audience: &str,
    report: &Report,
    mentions: &Mentions,
) -> Result<Posted, ReportError> {
    let channel = &slack.channel_id(channel).await?;
    let mut posted = Posted::default();
    if let Some(earlier) = posted_before(slack, channel, report, audience).await? {
        tracing::info!(ts = %earlier.as_str(), "an earlier attempt posted this report; posting only the sections it did not");
        resume(
            slack,
            (channel, audience),
            (report, mentions),
            &earlier,
            &mut posted,
        )
        .await?;
        return Ok(posted);
    }
    let images = upload_charts(slack, channel, report, &mut posted).await;
    let mut messages = render(report, channel, &images, mentions);
    let first_of = |messages: &SlackReport| {
        let sections = messages.sections.first().cloned().unwrap_or_default();
        (messages.first.clone()).with_metadata(part_metadata(report, audience, 0, &sections))
    };
    let first = match slack.post_message(&first_of(&messages)).await {
        Err(e) if e.is_invalid_blocks() && !images.is_empty() => {
            tokio::time::sleep(CHARTS_PROCESSING).await;
            match slack.post_message(&first_of(&messages)).await {
                Err(e) if e.is_invalid_blocks() => {
                    tracing::warn!(channel = %channel, error = %e, "Slack refused the report's charts; posting it with their alt text");
                    posted.charts_failed += std::mem::take(&mut posted.charts);
                    messages = render(report, channel, &BTreeMap::new(), mentions);
                    slack.post_message(&first_of(&messages)).await?
                }
                other => other?,
            }
        }
        other => other?,
    };
    let sections = |n: usize| messages.sections.get(n).cloned().unwrap_or_default();
    posted.messages += 1;
    let replies = (1..).zip(messages.replies.iter().cloned());
    let parts = replies.map(|(n, reply)| (n, reply, sections(n as usize)));
    post_replies(
        slack,
        (channel, audience),
        report,
        (&first.ts, parts),
        &mut posted,
    )
    .await?;
    Ok(posted)
}

/// Posts in the thread of `first`, a report an earlier attempt began, the sections of
/// `report` that no part there has ended, numbered on from its parts. Their charts went
/// with that attempt: these show their alt text. Subscribers of every model were named in
/// its first message, and are not named again (`render_rest` has no title or summary).
async fn resume(
    slack: &SlackClient,
    (channel, audience): (&ChannelId, &str),
    (report, mentions): (&Report, &Mentions),
    first: &MessageTs,
    posted: &mut Posted,
) -> Result<(), ReportError> {
    let ours = report_fields(report, audience);
    // A read refused here fails the run (Lambda retries it) rather than post the report
    // again: the channel's history was just read, so the scopes and membership are there.
    let parts: Vec<Metadata> = slack
        .thread_metadata(channel, first, REPORT_EVENT_TYPE)
        .await?
        .into_iter()
        .filter(|m| ours.iter().all(|(k, v)| m.event_payload.get(*k) == Some(v)))
        .collect();
    // At least the first message, found in the channel whatever the thread read shows.
    posted.found_posted = u32::try_from(parts.len()).unwrap_or(u32::MAX).max(1);
    let ended: BTreeSet<&str> = parts
        .iter()
        .filter_map(|m| m.event_payload.get("sections")?.as_str())
        .flat_map(|s| s.split(','))
        .collect();
    let next = parts
        .iter()
        .filter_map(|m| m.event_payload.get("part")?.as_u64())
        .max()
        .map_or(1, |n| {
            u32::try_from(n).unwrap_or(u32::MAX).saturating_add(1)
        });
    let left = Report {
        sections: report
            .sections
            .iter()
            .filter(|s| !ended.contains(section_key(s).as_str()))
            .cloned()
            .collect(),
        ..report.clone()
    };
    if left.sections.is_empty() {
        return Ok(());
    }
    let rest = render_rest(&left, channel, &BTreeMap::new(), mentions, next);
    let parts = (next..).zip(rest).map(|(n, (m, s))| (n, m, s));
    post_replies(slack, (channel, audience), report, (first, parts), posted).await
}

/// Uploads `report`'s charts to `channel`: the files by chart id. A chart that does not
/// render or upload is counted and left to its alt text.
async fn upload_charts(
    slack: &SlackClient,
    channel: &ChannelId,
    report: &Report,
    posted: &mut Posted,
) -> BTreeMap<String, SlackFile> {
    let mut images: BTreeMap<String, SlackFile> = BTreeMap::new();
    for c in report.charts() {
        let uploaded = match chart::render(c) {
            Ok(png) => slack
                .upload_file(&FileUpload {
                    filename: format!("{}.png", c.id),
                    title: c.title.clone(),
                    bytes: png,
                    channel: channel.clone(),
                    initial_comment: None,
                    thread_ts: None,
                })
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match uploaded {
            Ok(file) => {
                posted.charts += 1;
                images.insert(
                    c.id.clone(),
                    SlackFile {
                        url: None,
                        id: Some(file.id),
                    },
                );
            }
            Err(e) => {
                posted.charts_failed += 1;
                tracing::warn!(chart = %c.id, error = %e, "chart not uploaded; the report shows its alt text");
            }
        }
    }
    images
}

/// Posts `parts` (number, message, sections it ends) in the thread of `first`, each
/// `pace` after the last. A reply Slack refuses is logged and counted; one that fails
/// for now ends the run, and the retry posts what it held.
async fn post_replies(
    slack: &SlackClient,
    (channel, audience): (&ChannelId, &str),
    report: &Report,
    (first, parts): (
        &MessageTs,
        impl Iterator<Item = (u32, Message, Vec<String>)>,
    ),
    posted: &mut Posted,
) -> Result<(), ReportError> {
    for (n, reply, sections) in parts {
        tokio::time::sleep(pace(n)).await;
        let reply = reply
            .in_thread(first.clone())
            .with_metadata(part_metadata(report, audience, n, &sections));
        // A chart Slack will not show (refused whole) leaves the reply's text to go.
        let answer = match slack.post_message(&reply).await {
            Err(e) if e.is_invalid_blocks() => match reply.without_images() {
                Some(plain) => {
                    tracing::warn!(part = n + 1, channel = %channel, error = %e, "Slack refused the reply's charts; posting it without");
                    slack.post_message(&plain).await
                }
                None => Err(e),
            },
            answer => answer,
        };
        match answer {
            Ok(_) => posted.messages += 1,
            Err(e) => {
                posted.replies_failed += 1;
                tracing::warn!(part = n + 1, channel = %channel, error = %e, retryable = e.is_retryable(), "report reply not posted");
                // The rest waits for the retry: a later part that ends a section this
                // one began would mark the section posted.
                if e.is_retryable() {
                    return Err(e.into());
                }
            }
        }
    }
    Ok(())
}

/// The `ts` of the first message of `report` for `audience`, when an earlier attempt
/// posted it in `channel` since the period's end. A look-up Slack refuses (the bot not in
/// a public channel it posts to, a missing history scope) counts as not posted: the report
/// is posted, as it was before look-ups. One that may pass later (a 5xx, a rate limit
/// longer than the deadline, a timeout) fails the run, which Lambda retries: a retry
/// follows exactly such trouble, and posting blind then would show the report twice.
async fn posted_before(
    slack: &SlackClient,
    channel: &ChannelId,
    report: &Report,
    audience: &str,
) -> Result<Option<MessageTs>, ReportError> {
    let first = first_message_metadata(report, audience);
    match slack
        .find_posted(channel, None, report.period.end(), &first)
        .await
    {
        Ok(found) => Ok(found.map(|p| p.ts)),
        Err(e) if e.is_retryable() => Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, "Slack refused the look-up for an earlier attempt's post of this report; posting it (it may show twice)");
            Ok(None)
        }
    }
}
