//! A message to post: channel, the text fallback, blocks, and the thread it belongs to.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::blocks::{Accessory, Block, ContextElement};
use super::ids::{ChannelId, MessageTs};
use super::limits::{MAX_TEXT_CHARS, Violation, validate};

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

impl Metadata {
    /// Metadata of `event_type` whose payload holds `fields`, in order.
    pub fn new<'a>(event_type: &str, fields: impl IntoIterator<Item = (&'a str, Value)>) -> Self {
        Self {
            event_type: event_type.to_owned(),
            event_payload: fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        }
    }
}

impl Message {
    /// `text` is the fallback notifications show; past Slack's 40,000 characters it is cut
    /// (with `…`), as Slack would cut it, rather than the message refused.
    pub fn new(channel: ChannelId, text: impl Into<String>) -> Self {
        let mut text = text.into();
        if text.chars().nth(MAX_TEXT_CHARS).is_some()
            && let Some((cut, _)) = text.char_indices().nth(MAX_TEXT_CHARS - 1)
        {
            text.truncate(cut);
            text.push('…');
        }
        Self {
            channel,
            text,
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

    /// The message without its images (image blocks, image accessories, images in
    /// context blocks), or None when it shows none. Slack downloads every image before it
    /// takes a message and refuses the whole message when one fails.
    pub fn without_images(&self) -> Option<Message> {
        let mut plain = self.clone();
        plain.blocks.retain(|b| !matches!(b, Block::Image(_)));
        for block in &mut plain.blocks {
            match block {
                Block::Section(s) if matches!(s.accessory, Some(Accessory::Image(_))) => {
                    s.accessory = None;
                }
                Block::Context(c) => c
                    .elements
                    .retain(|e| !matches!(e, ContextElement::Image(_))),
                _ => {}
            }
        }
        plain
            .blocks
            .retain(|b| !matches!(b, Block::Context(c) if c.elements.is_empty()));
        (plain != *self).then_some(plain)
    }

    /// Every broken Block Kit limit, with its path; empty when Slack would take it.
    pub fn violations(&self) -> Vec<Violation> {
        validate(&self.text, &self.blocks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slack::blocks::{Context, ImageElement};

    fn image() -> ImageElement {
        ImageElement {
            image_url: Some("https://example.com/graph.png".into()),
            slack_file: None,
            alt_text: "graph".into(),
        }
    }

    #[test]
    fn the_text_is_cut_only_past_slacks_40000_characters() {
        let channel = ChannelId::new("C0123ABC").unwrap();
        let full = "é".repeat(MAX_TEXT_CHARS);
        assert_eq!(Message::new(channel.clone(), full.clone()).text, full);
        let over = Message::new(channel, format!("{full}x"));
        assert_eq!(over.text.chars().count(), MAX_TEXT_CHARS);
        assert!(over.text.ends_with('…'));
        assert!(over.violations().is_empty());
    }

    #[test]
    fn without_images_drops_every_image_and_keeps_the_rest() {
        let Block::Section(mut with_accessory) = Block::section("latency") else {
            unreachable!("Block::section makes a section")
        };
        with_accessory.accessory = Some(Accessory::Image(image()));
        let text_and_image = Context {
            elements: vec![
                ContextElement::Mrkdwn {
                    text: "seen at 12:00".into(),
                    verbatim: None,
                },
                ContextElement::Image(image()),
            ],
            block_id: None,
        };
        let only_image = Context {
            elements: vec![ContextElement::Image(image())],
            block_id: None,
        };
        let message = Message::new(ChannelId::new("C01").unwrap(), "alert").blocks(vec![
            Block::section("the alert"),
            Block::Section(with_accessory),
            Block::image("https://example.com/graph.png", "graph"),
            Block::Context(text_and_image),
            Block::Context(only_image),
        ]);
        let plain = message.without_images().expect("it showed images");
        let text = serde_json::to_string(&plain).unwrap();
        assert!(!text.contains("image"), "{text}");
        assert_eq!(plain.blocks.len(), 3, "{text}");
        assert!(
            text.contains("latency"),
            "the section stays, without its image: {text}"
        );
        assert!(
            text.contains("the alert") && text.contains("seen at 12:00"),
            "{text}"
        );
        assert_eq!(plain.text, "alert");
        assert!(plain.violations().is_empty(), "{:?}", plain.violations());
    }

    #[test]
    fn a_message_without_images_has_nothing_to_drop() {
        let message = Message::new(ChannelId::new("C01").unwrap(), "alert")
            .blocks(vec![Block::section("the alert")]);
        assert_eq!(message.without_images(), None);
    }
}
