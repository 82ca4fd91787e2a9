//! Posting a report: charts uploaded to the channel first, then the message and its thread
//! replies, about one message a second per channel (Slack's pace; the client honours
//! `Retry-After` on top). A chart that fails to upload is left to its alt text.

use std::collections::BTreeMap;
use std::time::Duration;

use modelwatch::report::slack::{SlackUser, render};
use modelwatch::report::{Report, chart};
use modelwatch::slack::{ChannelId, FileUpload, SlackClient, SlackError, SlackFile};

use crate::ReportError;

/// Slack's pace for one channel.
const PER_MESSAGE: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Posted {
    pub messages: u32,
    pub charts: u32,
    pub charts_failed: u32,
}

/// How long to wait before the `n`-th message (from 0) to one channel.
pub fn pace(n: u32) -> Duration {
    if n == 0 { Duration::ZERO } else { PER_MESSAGE }
}

pub async fn post(
    slack: &SlackClient,
    channel: &ChannelId,
    report: &Report,
    mentions: &[SlackUser],
) -> Result<Posted, ReportError> {
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
    let first = slack.post_message(&messages.first).await?;
    posted.messages += 1;
    for reply in messages.replies {
        tokio::time::sleep(pace(posted.messages)).await;
        post_reply(slack, reply.in_thread(first.ts.clone())).await?;
        posted.messages += 1;
    }
    Ok(posted)
}

async fn post_reply(
    slack: &SlackClient,
    message: modelwatch::slack::Message,
) -> Result<(), SlackError> {
    slack.post_message(&message).await.map(|_| ())
}
