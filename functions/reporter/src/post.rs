//! Posting a report: the channel resolved to its ID (uploads take IDs only; a name the bot
//! cannot list fails the report here, before any chart is lost to alt text), charts
//! uploaded to the channel, then the message and its thread replies, about one message a
//! second per channel (Slack's pace; the client honours `Retry-After` on top). A chart that fails to upload is left to its alt text. Once the
//! first message is out, a reply Slack refuses is logged and counted, not returned: a
//! failed invocation is retried, and the retry would post the whole report again.

use std::collections::BTreeMap;
use std::time::Duration;

use modelwatch::report::slack::render;
use modelwatch::report::{Mentions, Report, chart};
use modelwatch::slack::{ChannelId, FileUpload, Metadata, SlackClient, SlackFile};

use crate::ReportError;

/// Slack's pace for one channel.
const PER_MESSAGE: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Posted {
    pub messages: u32,
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
    let messages = render(report, channel, &images, mentions);
    let first = slack
        .post_message(
            &messages
                .first
                .with_metadata(part_metadata(report, audience, 0)),
        )
        .await?;
    posted.messages += 1;
    // The first message is number 0; its replies follow, each `pace` after the last.
    for (n, reply) in (1..).zip(messages.replies) {
        tokio::time::sleep(pace(n)).await;
        let reply = reply
            .in_thread(first.ts.clone())
            .with_metadata(part_metadata(report, audience, n));
        match slack.post_message(&reply).await {
            Ok(_) => posted.messages += 1,
            Err(e) => {
                posted.replies_failed += 1;
                tracing::warn!(part = n + 1, error = %e, "report reply not posted");
            }
        }
    }
    Ok(posted)
}
