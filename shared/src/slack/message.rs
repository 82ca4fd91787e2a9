//! A message to post: channel, the text fallback, blocks, and the thread it belongs to.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::blocks::Block;
use super::ids::{ChannelId, MessageTs};
use super::limits::{Violation, validate};

/// The body of `chat.postMessage` (and, with a `ts`, of `chat.update`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub channel: ChannelId,
    /// The fallback shown in notifications and to screen readers; always required here.
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocks: Vec<Block>,
    /// Posts the message as a reply in this message's thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_ts: Option<MessageTs>,
    /// Slack message metadata: what lets the poster find its own message again
    /// (`SlackClient::find_posted`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// Slack's message metadata: an event type and a free-form payload, kept with the
/// message and returned by `conversations.history` with `include_all_metadata`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    pub event_type: String,
    pub event_payload: Map<String, Value>,
}

impl Message {
    pub fn new(channel: ChannelId, text: impl Into<String>) -> Self {
        Self {
            channel,
            text: text.into(),
            blocks: Vec::new(),
            thread_ts: None,
            metadata: None,
        }
    }

    pub fn blocks(mut self, blocks: Vec<Block>) -> Self {
        self.blocks = blocks;
        self
    }

    pub fn in_thread(mut self, ts: MessageTs) -> Self {
        self.thread_ts = Some(ts);
        self
    }

    pub fn with_metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// Every broken Block Kit limit, with its path; empty when Slack would take it.
    pub fn violations(&self) -> Vec<Violation> {
        validate(&self.text, &self.blocks)
    }
}
