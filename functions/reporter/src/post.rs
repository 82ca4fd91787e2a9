//! Posting a report: the channel resolved to its ID (uploads take IDs only; a name the bot
//! cannot list fails the report here, before any chart is lost to alt text), charts
//! uploaded to the channel, then the message and its thread replies, about one message a
//! second per channel (Slack's pace; the client honours `Retry-After` on top). A chart that
//! fails to upload is left to its alt text. Once the first message is out, a reply Slack
//! refuses is logged and counted, not returned.
//!
//! Lambda retries a failed or timed-out invocation with the same event, and the schedule's
//! event names the time it stands for, so a retry builds the same report for the same
//! period. Before posting, a run looks for the report's first message (by its metadata) in
//! the channel: when an earlier attempt posted it, this one posts only the thread replies
//! that attempt did not, and uploads no chart again.

use std::collections::BTreeMap;
use std::time::Duration;

use modelwatch::report::slack::render;
use modelwatch::report::{Mentions, Report, chart};
use modelwatch::slack::{
    ChannelId, FileUpload, Message, MessageTs, Metadata, SlackClient, SlackFile,
};

use crate::ReportError;

/// Slack's pace for one channel.
const PER_MESSAGE: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Posted {
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

/// What the `n`-th message of `report` for `audience` (0, the first; then its thread
/// replies) carries, so that one whose answer was lost is found rather than posted again
/// (`SlackClient::post_message`): the report, its audience, its period and the part (two
/// audiences may share a channel).
fn part_metadata(report: &Report, audience: &str, n: u32) -> Metadata {
    Metadata::new(
        REPORT_EVENT_TYPE,
        [
            ("report", report.kind.name().into()),
            ("audience", audience.into()),
            ("title", report.title.clone().into()),
            ("from", report.period.start().to_string().into()),
            ("to", report.period.end().to_string().into()),
            ("part", n.into()),
        ],
    )
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
    let first_part = part_metadata(report, audience, 0);
    if let Some(earlier) = posted_before(slack, channel, None, report, &first_part).await {
        tracing::info!(ts = %earlier.as_str(), "an earlier attempt posted this report; posting only the parts it did not");
        posted.found_posted += 1;
        // Its charts went with it: the parts left show their alt text instead.
        let messages = render(report, channel, &BTreeMap::new(), mentions);
        post_replies(
            slack,
            report,
            (channel, audience),
            (&earlier, messages.replies),
            &mut posted,
        )
        .await;
        return Ok(posted);
    }
    let images = upload_charts(slack, channel, report, &mut posted).await;
    let messages = render(report, channel, &images, mentions);
    let first = slack
        .post_message(&messages.first.with_metadata(first_part))
        .await?;
    posted.messages += 1;
    post_replies(
        slack,
        report,
        (channel, audience),
        (&first.ts, messages.replies),
        &mut posted,
    )
    .await;
    Ok(posted)
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

/// Posts `replies` in the thread of `first`, each `pace` after the last. After an earlier
/// attempt (`posted.found_posted` set), each is first looked for in the thread.
async fn post_replies(
    slack: &SlackClient,
    report: &Report,
    (channel, audience): (&ChannelId, &str),
    (first, replies): (&MessageTs, Vec<Message>),
    posted: &mut Posted,
) {
    let resumed = posted.found_posted > 0;
    // The first message is number 0; its replies follow.
    for (n, reply) in (1..).zip(replies) {
        let metadata = part_metadata(report, audience, n);
        if resumed
            && posted_before(slack, channel, Some(first), report, &metadata)
                .await
                .is_some()
        {
            posted.found_posted += 1;
            continue;
        }
        tokio::time::sleep(pace(n)).await;
        let reply = reply.in_thread(first.clone()).with_metadata(metadata);
        match slack.post_message(&reply).await {
            Ok(_) => posted.messages += 1,
            Err(e) => {
                posted.replies_failed += 1;
                tracing::warn!(part = n + 1, error = %e, "report reply not posted");
            }
        }
    }
}

/// The `ts` of the part of `report` that carries `metadata`, when an earlier attempt at the
/// report posted it (in `channel`, or in the thread of `thread`) since the period's end.
/// A look-up Slack refuses (the bot not in a public channel it posts to, a missing
/// history scope) counts as not posted: the part is posted, as it was before look-ups.
async fn posted_before(
    slack: &SlackClient,
    channel: &ChannelId,
    thread: Option<&MessageTs>,
    report: &Report,
    metadata: &Metadata,
) -> Option<MessageTs> {
    match slack
        .find_posted(channel, thread, report.period.end(), metadata)
        .await
    {
        Ok(found) => found.map(|p| p.ts),
        Err(e) => {
            tracing::warn!(error = %e, "could not look for an earlier attempt's post of this report; posting it (it may show twice)");
            None
        }
    }
}
