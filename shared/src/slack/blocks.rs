//! Block Kit, the parts modelwatch uses: section, header, context, divider, image and
//! actions blocks, text objects, buttons and image elements. Serialises as Slack expects.

use serde::{Deserialize, Serialize};

/// A text object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Text {
    PlainText {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        emoji: Option<bool>,
    },
    Mrkdwn {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        verbatim: Option<bool>,
    },
}

impl Text {
    pub fn plain(text: impl Into<String>) -> Self {
        Text::PlainText {
            text: text.into(),
            emoji: Some(true),
        }
    }

    pub fn mrkdwn(text: impl Into<String>) -> Self {
        Text::Mrkdwn {
            text: text.into(),
            verbatim: None,
        }
    }

    pub fn text(&self) -> &str {
        match self {
            Text::PlainText { text, .. } | Text::Mrkdwn { text, .. } => text,
        }
    }

    pub fn is_plain(&self) -> bool {
        matches!(self, Text::PlainText { .. })
    }
}

/// One block of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Section(Section),
    Header(Header),
    Context(Context),
    Divider(Divider),
    Image(ImageBlock),
    Actions(Actions),
}

impl Block {
    pub fn block_id(&self) -> Option<&str> {
        match self {
            Block::Section(b) => b.block_id.as_deref(),
            Block::Header(b) => b.block_id.as_deref(),
            Block::Context(b) => b.block_id.as_deref(),
            Block::Divider(b) => b.block_id.as_deref(),
            Block::Image(b) => b.block_id.as_deref(),
            Block::Actions(b) => b.block_id.as_deref(),
        }
    }

    /// A section with mrkdwn text.
    pub fn section(text: impl Into<String>) -> Self {
        Block::Section(Section {
            text: Some(Text::mrkdwn(text)),
            ..Section::default()
        })
    }

    /// A section of mrkdwn fields (shown two a row).
    pub fn fields(fields: impl IntoIterator<Item = String>) -> Self {
        Block::Section(Section {
            fields: fields.into_iter().map(Text::mrkdwn).collect(),
            ..Section::default()
        })
    }

    pub fn header(text: impl Into<String>) -> Self {
        Block::Header(Header {
            text: Text::plain(text),
            block_id: None,
        })
    }

    /// A context block of mrkdwn lines.
    pub fn context(lines: impl IntoIterator<Item = String>) -> Self {
        Block::Context(Context {
            elements: lines
                .into_iter()
                .map(|text| ContextElement::Mrkdwn {
                    text,
                    verbatim: None,
                })
                .collect(),
            block_id: None,
        })
    }

    pub fn divider() -> Self {
        Block::Divider(Divider::default())
    }

    pub fn image(image_url: impl Into<String>, alt_text: impl Into<String>) -> Self {
        Block::Image(ImageBlock {
            image_url: Some(image_url.into()),
            slack_file: None,
            alt_text: alt_text.into(),
            title: None,
            block_id: None,
        })
    }

    pub fn actions(buttons: impl IntoIterator<Item = Button>) -> Self {
        Block::Actions(Actions {
            elements: buttons.into_iter().map(ActionElement::Button).collect(),
            block_id: None,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Text>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accessory: Option<Accessory>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub text: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    pub elements: Vec<ContextElement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Divider {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_id: Option<String>,
}

/// An image block: by public URL, or by a file uploaded to Slack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageBlock {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack_file: Option<SlackFile>,
    /// Required by Slack; an empty one is reported by the limit check.
    #[serde(default)]
    pub alt_text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actions {
    pub elements: Vec<ActionElement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_id: Option<String>,
}

/// A file uploaded to Slack, by `url` or `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlackFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// What a context block holds: text, or small images.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContextElement {
    PlainText {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        emoji: Option<bool>,
    },
    Mrkdwn {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        verbatim: Option<bool>,
    },
    Image(ImageElement),
}

/// The element beside a section's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Accessory {
    Button(Button),
    Image(ImageElement),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ActionElement {
    Button(Button),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageElement {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack_file: Option<SlackFile>,
    #[serde(default)]
    pub alt_text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ButtonStyle {
    Primary,
    Danger,
}

/// A button: an interaction (`action_id`, `value`) or a link (`url`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub text: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<ButtonStyle>,
}

impl Button {
    /// A button that sends `action_id` and `value` to the app's interactivity URL.
    pub fn action(
        label: impl Into<String>,
        action_id: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        Self {
            text: Text::plain(label),
            action_id: Some(action_id.into()),
            value: Some(value.into()),
            url: None,
            style: None,
        }
    }

    /// A button that opens `url`.
    pub fn link(label: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            text: Text::plain(label),
            action_id: None,
            value: None,
            url: Some(url.into()),
            style: None,
        }
    }

    pub fn style(mut self, style: ButtonStyle) -> Self {
        self.style = Some(style);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_slacks_own_image_block_example() {
        let raw = r#"{"type":"image","title":{"type":"plain_text","text":"Please enjoy this photo of a kitten"},"block_id":"image4","image_url":"http://placekitten.com/500/500","alt_text":"An incredibly cute kitten."}"#;
        let block: Block = serde_json::from_str(raw).unwrap();
        assert_eq!(block.block_id(), Some("image4"));
        let back = serde_json::to_value(&block).unwrap();
        assert_eq!(
            back,
            serde_json::from_str::<serde_json::Value>(raw).unwrap()
        );
    }

    #[test]
    fn reads_a_section_with_a_slack_file_accessory() {
        let raw = r#"{"type":"section","block_id":"section567","text":{"type":"mrkdwn","text":"This is a section block with an accessory image."},"accessory":{"type":"image","slack_file":{"url":"https://files.slack.com/files-pri/T0123456-F0123456/xyz.png"},"alt_text":"Slack file object."}}"#;
        let block: Block = serde_json::from_str(raw).unwrap();
        let Block::Section(section) = block else {
            panic!("a section")
        };
        assert!(matches!(section.accessory, Some(Accessory::Image(_))));
    }

    #[test]
    fn buttons_serialise_with_their_type() {
        let block = Block::actions([
            Button::action("Acknowledge", "ack", "alert-1").style(ButtonStyle::Primary)
        ]);
        let json = serde_json::to_value(&block).unwrap();
        assert_eq!(json["type"], "actions");
        assert_eq!(json["elements"][0]["type"], "button");
        assert_eq!(json["elements"][0]["text"]["type"], "plain_text");
        assert_eq!(json["elements"][0]["style"], "primary");
    }
}
