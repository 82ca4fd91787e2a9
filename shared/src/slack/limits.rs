//! Slack's Block Kit limits as a pure check: every violation, with its JSON path.

use std::fmt;

use serde::Serialize;

use super::blocks::{Accessory, ActionElement, Block, Button, ContextElement, ImageElement, Text};

pub const MAX_BLOCKS: usize = 50;
pub const MAX_TEXT_CHARS: usize = 40_000;
pub const MAX_SECTION_TEXT: usize = 3000;
pub const MAX_SECTION_FIELDS: usize = 10;
pub const MAX_FIELD_TEXT: usize = 2000;
pub const MAX_HEADER_TEXT: usize = 150;
pub const MAX_IMAGE_URL: usize = 3000;
pub const MAX_ALT_TEXT: usize = 2000;
pub const MAX_IMAGE_TITLE: usize = 2000;
pub const MAX_BLOCK_ID: usize = 255;
pub const MAX_CONTEXT_ELEMENTS: usize = 10;
pub const MAX_ACTION_ELEMENTS: usize = 25;
pub const MAX_BUTTON_TEXT: usize = 75;
pub const MAX_BUTTON_VALUE: usize = 2000;
pub const MAX_ACTION_ID: usize = 255;
pub const MAX_BUTTON_URL: usize = 3000;
/// The text of all of a message's blocks together. Undocumented: Slack refuses more with
/// `msg_blocks_too_long`; its engineers give "12,000 text characters with a buffer for
/// block containers" (slackapi/bolt-js #2509, #2867, where 11,341 was refused too), so
/// what we compose keeps [`BLOCKS_TEXT_BUDGET`].
pub const MAX_BLOCKS_TEXT: usize = 12_000;
/// What a message modelwatch splits (a report) holds at most: room under
/// [`MAX_BLOCKS_TEXT`] for the containers Slack also counts.
pub const BLOCKS_TEXT_BUDGET: usize = 10_000;

/// The characters of text `blocks` carry: every text object, context text, alt text and
/// image title (what Slack counts towards `msg_blocks_too_long`, as far as it is known).
pub fn blocks_text_chars(blocks: &[Block]) -> usize {
    let count = |t: &str| t.chars().count();
    let image = |i: &ImageElement| count(&i.alt_text);
    blocks
        .iter()
        .map(|block| match block {
            Block::Section(s) => {
                s.text.as_ref().map_or(0, |t| count(t.text()))
                    + s.fields.iter().map(|f| count(f.text())).sum::<usize>()
                    + match &s.accessory {
                        Some(Accessory::Button(b)) => count(b.text.text()),
                        Some(Accessory::Image(i)) => image(i),
                        None => 0,
                    }
            }
            Block::Header(h) => count(h.text.text()),
            Block::Context(c) => c
                .elements
                .iter()
                .map(|e| match e {
                    ContextElement::PlainText { text, .. }
                    | ContextElement::Mrkdwn { text, .. } => count(text),
                    ContextElement::Image(i) => image(i),
                })
                .sum(),
            Block::Divider(_) => 0,
            Block::Image(i) => count(&i.alt_text) + i.title.as_ref().map_or(0, |t| count(t.text())),
            Block::Actions(a) => a
                .elements
                .iter()
                .map(|ActionElement::Button(b)| count(b.text.text()))
                .sum(),
        })
        .sum()
}

/// One broken limit: where (`blocks[3].text.text`) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub path: String,
    pub problem: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.problem)
    }
}

impl Violation {
    /// The path as a JSON pointer (`/blocks/3/text/text`), as Slack reports it.
    pub fn json_pointer(&self) -> String {
        let mut pointer = String::new();
        for part in self.path.split('.') {
            let (name, rest) = part.split_once('[').unwrap_or((part, ""));
            pointer.push('/');
            pointer.push_str(name);
            for index in rest.split('[') {
                let index = index.trim_end_matches(']');
                if !index.is_empty() {
                    pointer.push('/');
                    pointer.push_str(index);
                }
            }
        }
        pointer
    }
}

/// Checks a message: the top-level `text` fallback and every block.
pub fn validate(text: &str, blocks: &[Block]) -> Vec<Violation> {
    let mut found = Found::default();
    let count = text.chars().count();
    if text.trim().is_empty() {
        found.add(
            "text",
            "the top-level text fallback is required (notifications and screen readers show it)",
        );
    } else if count > MAX_TEXT_CHARS {
        found.add(
            "text",
            format!("{count} characters, at most {MAX_TEXT_CHARS}"),
        );
    }
    found.0.extend(validate_blocks(blocks));
    found.0
}

/// Checks the blocks alone.
pub fn validate_blocks(blocks: &[Block]) -> Vec<Violation> {
    let mut found = Found::default();
    if blocks.len() > MAX_BLOCKS {
        found.add(
            "blocks",
            format!("{} blocks, at most {MAX_BLOCKS}", blocks.len()),
        );
    }
    let text = blocks_text_chars(blocks);
    if text > MAX_BLOCKS_TEXT {
        found.add(
            "blocks",
            format!("{text} characters of text in all, at most about {MAX_BLOCKS_TEXT} (msg_blocks_too_long)"),
        );
    }
    for (i, block) in blocks.iter().enumerate() {
        let at = format!("blocks[{i}]");
        if let Some(id) = block.block_id() {
            found.length(&format!("{at}.block_id"), id, 1, MAX_BLOCK_ID);
        }
        match block {
            Block::Section(section) => {
                if section.text.is_none() && section.fields.is_empty() {
                    found.add(&at, "a section needs text or fields");
                }
                if let Some(text) = &section.text {
                    found.length(&format!("{at}.text.text"), text.text(), 1, MAX_SECTION_TEXT);
                }
                if section.fields.len() > MAX_SECTION_FIELDS {
                    found.add(
                        &format!("{at}.fields"),
                        format!(
                            "{} fields, at most {MAX_SECTION_FIELDS}",
                            section.fields.len()
                        ),
                    );
                }
                for (j, field) in section.fields.iter().enumerate() {
                    found.length(
                        &format!("{at}.fields[{j}].text"),
                        field.text(),
                        1,
                        MAX_FIELD_TEXT,
                    );
                }
                match &section.accessory {
                    Some(Accessory::Button(button)) => {
                        found.button(&format!("{at}.accessory"), button)
                    }
                    Some(Accessory::Image(image)) => {
                        found.image_element(&format!("{at}.accessory"), image)
                    }
                    None => {}
                }
            }
            Block::Header(header) => {
                found.plain(&format!("{at}.text"), &header.text);
                found.length(
                    &format!("{at}.text.text"),
                    header.text.text(),
                    1,
                    MAX_HEADER_TEXT,
                );
            }
            Block::Context(context) => {
                let n = context.elements.len();
                if n == 0 || n > MAX_CONTEXT_ELEMENTS {
                    found.add(
                        &format!("{at}.elements"),
                        format!("{n} elements, 1 to {MAX_CONTEXT_ELEMENTS} allowed"),
                    );
                }
                for (j, element) in context.elements.iter().enumerate() {
                    let el = format!("{at}.elements[{j}]");
                    match element {
                        ContextElement::PlainText { text, .. }
                        | ContextElement::Mrkdwn { text, .. } => {
                            found.length(&format!("{el}.text"), text, 1, MAX_SECTION_TEXT)
                        }
                        ContextElement::Image(image) => found.image_element(&el, image),
                    }
                }
            }
            Block::Divider(_) => {}
            Block::Image(image) => {
                found.image_source(&at, image.image_url.as_deref(), image.slack_file.is_some());
                found.length(&format!("{at}.alt_text"), &image.alt_text, 1, MAX_ALT_TEXT);
                if let Some(title) = &image.title {
                    found.plain(&format!("{at}.title"), title);
                    found.length(
                        &format!("{at}.title.text"),
                        title.text(),
                        1,
                        MAX_IMAGE_TITLE,
                    );
                }
            }
            Block::Actions(actions) => {
                let n = actions.elements.len();
                if n == 0 || n > MAX_ACTION_ELEMENTS {
                    found.add(
                        &format!("{at}.elements"),
                        format!("{n} elements, 1 to {MAX_ACTION_ELEMENTS} allowed"),
                    );
                }
                for (j, ActionElement::Button(button)) in actions.elements.iter().enumerate() {
                    found.button(&format!("{at}.elements[{j}]"), button);
                }
            }
        }
    }
    found.0
}

#[derive(Default)]
struct Found(Vec<Violation>);

impl Found {
    fn add(&mut self, path: &str, problem: impl Into<String>) {
        self.0.push(Violation {
            path: path.to_owned(),
            problem: problem.into(),
        });
    }

    fn length(&mut self, path: &str, value: &str, min: usize, max: usize) {
        let count = value.chars().count();
        if count < min || value.trim().is_empty() {
            self.add(path, "must not be empty");
        } else if count > max {
            self.add(path, format!("{count} characters, at most {max}"));
        }
    }

    fn plain(&mut self, path: &str, text: &Text) {
        if !text.is_plain() {
            self.add(
                &format!("{path}.type"),
                "must be plain_text, mrkdwn is not allowed here",
            );
        }
    }

    fn image_source(&mut self, path: &str, url: Option<&str>, has_file: bool) {
        match (url, has_file) {
            (Some(url), false) => self.length(&format!("{path}.image_url"), url, 1, MAX_IMAGE_URL),
            (None, true) => {}
            (Some(_), true) => self.add(path, "give image_url or slack_file, not both"),
            (None, false) => self.add(
                &format!("{path}.image_url"),
                "an image needs image_url or slack_file",
            ),
        }
    }

    fn image_element(&mut self, path: &str, image: &ImageElement) {
        self.image_source(path, image.image_url.as_deref(), image.slack_file.is_some());
        self.length(
            &format!("{path}.alt_text"),
            &image.alt_text,
            1,
            MAX_ALT_TEXT,
        );
    }

    fn button(&mut self, path: &str, button: &Button) {
        self.plain(&format!("{path}.text"), &button.text);
        self.length(
            &format!("{path}.text.text"),
            button.text.text(),
            1,
            MAX_BUTTON_TEXT,
        );
        if let Some(value) = &button.value {
            self.length(&format!("{path}.value"), value, 1, MAX_BUTTON_VALUE);
        }
        if let Some(id) = &button.action_id {
            self.length(&format!("{path}.action_id"), id, 1, MAX_ACTION_ID);
        }
        if let Some(url) = &button.url {
            self.length(&format!("{path}.url"), url, 1, MAX_BUTTON_URL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slack::blocks::{Header, ImageBlock, Section};

    fn paths(violations: &[Violation]) -> Vec<&str> {
        violations.iter().map(|v| v.path.as_str()).collect()
    }

    #[test]
    fn a_typical_alert_message_is_within_limits() {
        let blocks = vec![
            Block::header("L2 · p95 latency · chat-large v7"),
            Block::section("*p95 latency* 2.8 s against 2.0 s"),
            Block::fields(["*Model*\nchat-large".to_string(), "*Level*\nL2".to_string()]),
            Block::divider(),
            Block::image("https://p.datadoghq.com/snapshot.png", "latency graph"),
            Block::context(["Runbook: <https://runbooks.example.com|latency>".to_string()]),
            Block::actions([
                Button::action("Acknowledge", "ack", "k1"),
                Button::link("Monitor", "https://app.datadoghq.com/monitors/42"),
            ]),
        ];
        assert_eq!(validate("p95 latency above 2 s", &blocks), vec![]);
    }

    #[test]
    fn the_text_of_all_blocks_together_has_its_own_limit() {
        let section = |n: usize| Block::section("x".repeat(n));
        let fields = Block::fields(["a".repeat(1000), "b".repeat(1000)]);
        let blocks = vec![
            Block::header("h".repeat(100)),
            section(3000),
            section(3000),
            section(2900),
            fields,
            Block::image("https://p.datadoghq.com/s.png", "a".repeat(500)),
        ];
        // 100 + 8,900 + 2,000 + 500 + the fallback's nothing: 11,500, within.
        assert_eq!(blocks_text_chars(&blocks), 11_500);
        assert!(
            validate_blocks(&blocks).is_empty(),
            "{:?}",
            validate_blocks(&blocks)
        );
        let mut over = blocks;
        over.push(Block::context(["c".repeat(501)]));
        let found = validate_blocks(&over);
        assert_eq!(paths(&found), ["blocks"]);
        assert!(
            found[0].problem.contains("12001 characters of text in all"),
            "{found:?}"
        );
    }

    #[test]
    fn the_text_fallback_is_required() {
        assert_eq!(paths(&validate("  ", &[])), ["text"]);
    }

    #[test]
    fn more_than_50_blocks_is_refused() {
        let blocks = vec![Block::divider(); 51];
        assert_eq!(paths(&validate("x", &blocks)), ["blocks"]);
        assert!(validate("x", &vec![Block::divider(); 50]).is_empty());
    }

    #[test]
    fn section_text_over_3000_characters_is_refused_at_its_path() {
        let blocks = vec![Block::divider(), Block::section("é".repeat(3001))];
        let found = validate("x", &blocks);
        assert_eq!(paths(&found), ["blocks[1].text.text"]);
        assert!(found[0].problem.contains("3001 characters, at most 3000"));
        assert_eq!(found[0].json_pointer(), "/blocks/1/text/text");
        assert!(validate("x", &[Block::section("é".repeat(3000))]).is_empty());
    }

    #[test]
    fn section_fields_are_at_most_ten_of_at_most_2000() {
        let eleven = Block::fields((0..11).map(|i| format!("f{i}")));
        assert_eq!(paths(&validate("x", &[eleven])), ["blocks[0].fields"]);
        let long = Block::fields(["a".into(), "b".repeat(2001)]);
        assert_eq!(paths(&validate("x", &[long])), ["blocks[0].fields[1].text"]);
        let empty = Block::Section(Section::default());
        assert_eq!(paths(&validate("x", &[empty])), ["blocks[0]"]);
    }

    #[test]
    fn headers_are_plain_text_of_at_most_150() {
        let long = Block::header("h".repeat(151));
        assert_eq!(paths(&validate("x", &[long])), ["blocks[0].text.text"]);
        let mrkdwn = Block::Header(Header {
            text: Text::mrkdwn("*h*"),
            block_id: None,
        });
        assert_eq!(paths(&validate("x", &[mrkdwn])), ["blocks[0].text.type"]);
    }

    #[test]
    fn images_need_alt_text_and_a_bounded_url() {
        let no_alt = Block::image("https://example.com/a.png", "");
        assert_eq!(paths(&validate("x", &[no_alt])), ["blocks[0].alt_text"]);
        let long_url = Block::image(format!("https://e.com/{}", "a".repeat(3000)), "a");
        assert_eq!(paths(&validate("x", &[long_url])), ["blocks[0].image_url"]);
        let long_alt = Block::image("https://e.com/a.png", "a".repeat(2001));
        assert_eq!(paths(&validate("x", &[long_alt])), ["blocks[0].alt_text"]);
        let nothing = Block::Image(ImageBlock {
            image_url: None,
            slack_file: None,
            alt_text: "a".into(),
            title: None,
            block_id: None,
        });
        assert_eq!(paths(&validate("x", &[nothing])), ["blocks[0].image_url"]);
    }

    #[test]
    fn block_ids_are_at_most_255() {
        let mut section = Section {
            text: Some(Text::mrkdwn("x")),
            ..Section::default()
        };
        section.block_id = Some("b".repeat(256));
        let found = validate("x", &[Block::Section(section)]);
        assert_eq!(paths(&found), ["blocks[0].block_id"]);
    }

    #[test]
    fn actions_hold_at_most_25_buttons_within_their_limits() {
        let many = Block::actions((0..26).map(|i| Button::action("b", format!("a{i}"), "v")));
        assert_eq!(paths(&validate("x", &[many])), ["blocks[0].elements"]);
        let bad = Block::actions([Button::action(
            "l".repeat(76),
            "a".repeat(256),
            "v".repeat(2001),
        )]);
        assert_eq!(
            paths(&validate("x", &[bad])),
            [
                "blocks[0].elements[0].text.text",
                "blocks[0].elements[0].value",
                "blocks[0].elements[0].action_id"
            ]
        );
    }

    #[test]
    fn every_violation_is_reported_not_just_the_first() {
        let blocks = vec![
            Block::header("h".repeat(200)),
            Block::section("s".repeat(4000)),
        ];
        assert_eq!(validate("", &blocks).len(), 3);
    }
}
