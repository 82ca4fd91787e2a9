//! File uploads: `files.getUploadURLExternal` → POST the bytes → `files.completeUploadExternal`.

use serde_json::json;

use super::client::{API, Body, SlackClient, SlackError, field};
use super::ids::{ChannelId, MessageTs};
use crate::domain::Timestamp;
use crate::http::{Attempt, Verdict, classify, deliver, transport_failure};

/// A file to share in a channel (report charts). Shared into a channel, it is visible
/// there; a file shared nowhere stays private and image blocks cannot show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileUpload {
    pub filename: String,
    pub title: String,
    pub bytes: Vec<u8>,
    pub channel: ChannelId,
    pub initial_comment: Option<String>,
    pub thread_ts: Option<MessageTs>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedFile {
    pub id: String,
    /// The file's page in Slack, when Slack returned it.
    pub permalink: Option<String>,
}

impl SlackClient {
    /// Uploads and shares a file in three steps; each is retried under the policy. The
    /// channel is shared by ID (`files.completeUploadExternal` takes no names): a name is
    /// resolved first, and one the bot cannot list fails before anything is uploaded.
    pub async fn upload_file(&self, upload: &FileUpload) -> Result<UploadedFile, SlackError> {
        let channel = self.channel_id(&upload.channel).await?;
        let form = [
            ("filename", upload.filename.clone()),
            ("length", upload.bytes.len().to_string()),
        ];
        let reserved = self
            .call("files.getUploadURLExternal", Body::Form(&form))
            .await?;
        let upload_url: String = field("files.getUploadURLExternal", &reserved, "upload_url")?;
        let file_id: String = field("files.getUploadURLExternal", &reserved, "file_id")?;

        self.send_bytes(&upload_url, &upload.bytes).await?;

        let mut complete = json!({
            "files": [{"id": file_id, "title": upload.title}],
            "channel_id": channel.as_str(),
        });
        if let Some(comment) = &upload.initial_comment {
            complete["initial_comment"] = json!(comment);
        }
        if let Some(ts) = &upload.thread_ts {
            complete["thread_ts"] = json!(ts.as_str());
        }
        let done = self
            .call("files.completeUploadExternal", Body::Json(&complete))
            .await?;
        let permalink = done
            .pointer("/files/0/permalink")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        Ok(UploadedFile {
            id: file_id,
            permalink,
        })
    }

    /// The upload URL is a capability: it never appears in an error.
    async fn send_bytes(&self, upload_url: &str, bytes: &[u8]) -> Result<(), SlackError> {
        deliver(API, &self.retry, || async {
            let sent = self.http.post(upload_url).body(bytes.to_vec()).send().await;
            match sent {
                Ok(response) => {
                    let status = response.status();
                    match classify(status, response.headers(), Timestamp::now()) {
                        Verdict::Delivered => Attempt::Delivered(()),
                        Verdict::Retry { after } => Attempt::Retry {
                            reason: format!("the file upload answered {status}"),
                            after,
                            limited: status == reqwest::StatusCode::TOO_MANY_REQUESTS,
                        },
                        Verdict::Rejected => Attempt::Rejected {
                            status: Some(status.as_u16()),
                            reason: format!("the file upload answered {status}"),
                            details: Vec::new(),
                        },
                    }
                }
                Err(err) => transport_failure(err),
            }
        })
        .await?;
        Ok(())
    }
}
