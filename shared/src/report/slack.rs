//! A report as Slack messages: Block Kit within Slack's limits, split into a thread, never cut.
//!
//! The first message carries the title, the summary and the subscribers of every model; a
//! model's own subscribers are named next to it (see `Mentions`). When the report needs
//! more than one message (50 blocks, or 10,000 characters of text: Slack refuses a message
//! whose blocks carry more than about 12,000), the rest go as replies in its thread, whole
//! sections at a time where they fit. A section's text longer than a block allows is
//! spread over several blocks at line breaks, and a line longer than that between words.
//! Charts that were uploaded appear as image blocks; the
//! others, and every chart's key numbers, read from the alt text.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::document::{Chart, Line, Report, Section, Tone};
use super::mentions::{Mentions, Spot};
use crate::domain::InvalidValue;
use crate::slack::{BLOCKS_TEXT_BUDGET, blocks_text_chars};
use crate::slack::{
    Block, ChannelId, ImageBlock, Message, SlackFile, Text, cut, cut_mrkdwn, escape,
};

/// Blocks per message Slack accepts.
const MAX_BLOCKS: usize = 50;
/// Characters in a section's text; fields and alt text get 2000, a header 150.
const MAX_SECTION_TEXT: usize = 3000;
const MAX_FIELD_TEXT: usize = 2000;
const MAX_FIELDS: usize = 10;
const MAX_HEADER: usize = 150;
const MAX_ALT_TEXT: usize = 2000;
const MAX_CONTEXT_TEXT: usize = 2000;

/// A Slack user to mention (`U0123ABCD` or `W0123ABCD`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SlackUser(String);

impl SlackUser {
    pub fn new(id: impl AsRef<str>) -> Result<Self, InvalidValue> {
        let id = id.as_ref();
        let valid = (2..=32).contains(&id.len())
            && (id.starts_with('U') || id.starts_with('W'))
            && id
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if valid {
            Ok(Self(id.to_owned()))
        } else {
            Err(InvalidValue::new(
                "Slack user",
                id,
                "a user ID such as U0123ABCD (U or W, then capitals and digits)",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The messages of one report: post `first`, then each reply in its thread in order.
#[derive(Debug, Clone, PartialEq)]
pub struct SlackReport {
    pub first: Message,
    /// Without `thread_ts`: set it to the first message's `ts` once that is posted.
    pub replies: Vec<Message>,
    /// For each message, the first and then each reply, the keys (`section_key`) of the
    /// sections it ends: a section spread over several messages is ended by its last. A
    /// poster that resumes a report knows by these which sections are whole in the channel.
    pub sections: Vec<Vec<String>>,
}

impl SlackReport {
    pub fn messages(&self) -> impl Iterator<Item = &Message> {
        std::iter::once(&self.first).chain(&self.replies)
    }
}

/// Renders `report` for `channel`. `images` maps chart ids to their uploaded files; charts
/// without one are described in words. Subscribers of every model are named in the first
/// message, a model's subscribers next to that model.
pub fn render(
    report: &Report,
    channel: &ChannelId,
    images: &BTreeMap<String, SlackFile>,
    mentions: &Mentions,
) -> SlackReport {
    let mut intro = vec![Block::header(cut(&report.title, MAX_HEADER))];
    let mut context = escape(&report.summary);
    if !mentions.everyone.is_empty() {
        context = format!("{context}\nFor {}", names(&mentions.everyone));
    }
    intro.extend(
        pieces(&context, MAX_CONTEXT_TEXT)
            .into_iter()
            .map(|p| Block::context([p])),
    );
    let pages = paginate(intro, units(report, images, mentions));
    let total = pages.len();
    let sections = ended_keys(report, &pages);
    let mut messages = pages.into_iter().enumerate().map(|(i, (held, blocks))| {
        // The notification's text is mrkdwn too: a model named `<!channel>` would ping it.
        let text = if i == 0 {
            format!("{}: {}", escape(&report.title), escape(&report.summary))
        } else {
            format!(
                "{} (part {} of {total}): {}",
                escape(&report.title),
                i + 1,
                headings(report, &held)
            )
        };
        Message::new(channel.clone(), text).blocks(blocks)
    });
    let first = messages
        .next()
        .unwrap_or_else(|| Message::new(channel.clone(), escape(&report.summary)));
    SlackReport {
        first,
        replies: messages.collect(),
        sections,
    }
}

/// The rest of a report whose first message is already in the channel: `report`'s sections
/// (those left to post) as thread replies numbered from `first_part`, without the title and
/// summary the first message gave. Each reply with the keys of the sections it ends.
pub fn render_rest(
    report: &Report,
    channel: &ChannelId,
    images: &BTreeMap<String, SlackFile>,
    mentions: &Mentions,
    first_part: u32,
) -> Vec<(Message, Vec<String>)> {
    let pages = paginate(Vec::new(), units(report, images, mentions));
    let sections = ended_keys(report, &pages);
    (first_part..)
        .zip(pages)
        .zip(sections)
        .map(|((n, (held, blocks)), ended)| {
            let text = format!(
                "{} (continued, part {}): {}",
                escape(&report.title),
                n + 1,
                headings(report, &held)
            );
            (Message::new(channel.clone(), text).blocks(blocks), ended)
        })
        .collect()
}

/// What names a section among a report's attempts: its model, or for a section about no
/// model its heading, hashed to eight hex digits (a daily heading carries the model's
/// verdict, which data read again may change; and metadata is best kept short).
pub fn section_key(section: &Section) -> String {
    let name = match &section.model {
        Some(model) => format!("model:{model}"),
        None => format!("section:{}", section.heading),
    };
    let digest = Sha256::digest(name.as_bytes());
    digest.iter().take(4).map(|b| format!("{b:02x}")).collect()
}

/// Each section of `report` as blocks, by its index.
fn units(
    report: &Report,
    images: &BTreeMap<String, SlackFile>,
    mentions: &Mentions,
) -> Vec<(usize, Vec<Block>)> {
    let spots = mentions.spots(report);
    report
        .sections
        .iter()
        .enumerate()
        .map(|(i, s)| (i, section_blocks(s, i, &spots, images)))
        .collect()
}

/// For each page, the keys of the sections it ends: a section spread over several pages is
/// ended by its last.
fn ended_keys(report: &Report, pages: &[(Vec<usize>, Vec<Block>)]) -> Vec<Vec<String>> {
    (0..pages.len())
        .map(|i| {
            let mut ended = pages[i].0.clone();
            // The last section goes on in the next page: that one ends it.
            if let (Some(last), Some(next)) = (ended.last(), pages.get(i + 1))
                && next.0.first() == Some(last)
            {
                ended.pop();
            }
            ended
                .iter()
                .map(|&s| section_key(&report.sections[s]))
                .collect()
        })
        .collect()
}

/// The headings of the sections (by index) a page holds, for its notification text
/// (escaped: it is mrkdwn).
fn headings(report: &Report, held: &[usize]) -> String {
    held.iter()
        .map(|&s| escape(&report.sections[s].heading))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Packs whole sections (by index) into messages of at most `MAX_BLOCKS` blocks and
/// `BLOCKS_TEXT_BUDGET` characters of text (Slack refuses a message whose blocks carry
/// more than about 12,000 in all); a section too big for one message is spread over
/// several. Each page lists the sections it holds.
fn paginate(intro: Vec<Block>, units: Vec<(usize, Vec<Block>)>) -> Vec<(Vec<usize>, Vec<Block>)> {
    let room = |page: &[Block], more: &[Block]| {
        page.len() + more.len() <= MAX_BLOCKS
            && blocks_text_chars(page) + blocks_text_chars(more) <= BLOCKS_TEXT_BUDGET
    };
    let mut pages: Vec<(Vec<usize>, Vec<Block>)> = vec![(Vec::new(), intro)];
    for (section, blocks) in units {
        let fits = pages.last().is_some_and(|(_, b)| room(b, &blocks));
        if !fits && room(&[], &blocks) {
            pages.push((Vec::new(), Vec::new()));
        }
        for block in blocks {
            let full = pages
                .last()
                .is_none_or(|(_, b)| !b.is_empty() && !room(b, std::slice::from_ref(&block)));
            if full {
                pages.push((Vec::new(), Vec::new()));
            }
            if let Some((held, b)) = pages.last_mut() {
                if held.last() != Some(&section) {
                    held.push(section);
                }
                b.push(block);
            }
        }
    }
    pages.retain(|(_, b)| !b.is_empty());
    pages
}

/// `<@U1> <@U2>`.
fn names(users: &[SlackUser]) -> String {
    users
        .iter()
        .map(|u| format!("<@{}>", u.as_str()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The blocks of section `index`, with the subscribers `spots` place in it.
fn section_blocks(
    section: &Section,
    index: usize,
    spots: &BTreeMap<Spot, Vec<SlackUser>>,
    images: &BTreeMap<String, SlackFile>,
) -> Vec<Block> {
    let mention = |spot: Spot| {
        spots
            .get(&spot)
            .map(|users| format!(" · for {}", names(users)))
            .unwrap_or_default()
    };
    let mut text = format!(
        "*{}*{}",
        escape(&section.heading),
        mention(Spot::Section(index))
    );
    for (li, line) in section.lines.iter().enumerate() {
        text.push('\n');
        text.push_str(&line_text(line));
        text.push_str(&mention(Spot::Line(index, li)));
    }
    let mut blocks: Vec<Block> = pieces(&text, MAX_SECTION_TEXT)
        .into_iter()
        .map(Block::section)
        .collect();
    for chunk in section.fields.chunks(MAX_FIELDS) {
        blocks.push(Block::fields(chunk.iter().map(|f| {
            cut_mrkdwn(
                &format!("*{}*\n{}", escape(&f.label), escape(&f.value)),
                MAX_FIELD_TEXT,
            )
        })));
    }
    blocks.extend(section.charts.iter().map(|c| chart_block(c, images)));
    if let Some(note) = &section.note {
        blocks.extend(
            pieces(&escape(note), MAX_CONTEXT_TEXT)
                .into_iter()
                .map(|p| Block::context([p])),
        );
    }
    blocks.push(Block::divider());
    blocks
}

fn chart_block(chart: &Chart, images: &BTreeMap<String, SlackFile>) -> Block {
    match images.get(&chart.id) {
        Some(file) => Block::Image(ImageBlock {
            image_url: None,
            slack_file: Some(file.clone()),
            alt_text: cut(&chart.alt_text, MAX_ALT_TEXT),
            title: Some(Text::plain(cut(&chart.title, MAX_HEADER))),
            block_id: None,
        }),
        None => Block::context([cut_mrkdwn(
            &format!(":bar_chart: {}", escape(&chart.alt_text)),
            MAX_CONTEXT_TEXT,
        )]),
    }
}

fn line_text(line: &Line) -> String {
    let mark = match line.tone {
        Tone::Good => ":large_green_circle:",
        Tone::Watch => ":large_yellow_circle:",
        Tone::Bad => ":large_orange_circle:",
        Tone::Critical => ":red_circle:",
        Tone::Neutral => "•",
    };
    match &line.lead {
        Some(lead) => format!("{mark} *{}* {}", escape(lead), escape(&line.text)),
        None => format!("{mark} {}", escape(&line.text)),
    }
}

/// Splits `text` into pieces of at most `max` characters, at line breaks where it can and
/// inside a line only when the line alone is longer: then between words, so that a
/// mention (`<@U…>`), a link or an entity is never cut in two (a word longer than `max`
/// alone is cut where it must). Nothing is dropped.
fn pieces(text: &str, max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut len = 0;
    for line in text.split('\n') {
        let n = line.chars().count();
        let joined = if current.is_empty() { n } else { len + 1 + n };
        if joined <= max {
            if !current.is_empty() {
                current.push('\n');
            }
            current.push_str(line);
            len = joined;
            continue;
        }
        if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        len = 0;
        for word in line.split_inclusive(' ') {
            let n = word.chars().count();
            if len + n > max && !current.is_empty() {
                out.push(std::mem::take(&mut current));
                len = 0;
            }
            if n <= max {
                current.push_str(word);
                len += n;
                continue;
            }
            let chars: Vec<char> = word.chars().collect();
            let mut chunks = chars.chunks(max.max(1)).peekable();
            while let Some(chunk) = chunks.next() {
                let s: String = chunk.iter().collect();
                if chunks.peek().is_some() {
                    out.push(s);
                } else {
                    len = chunk.len();
                    current = s;
                }
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_splits_at_line_breaks_and_keeps_every_character() {
        let text = format!(
            "{}\n{}\n{}",
            "a".repeat(2000),
            "b".repeat(1500),
            "c".repeat(7000)
        );
        let parts = pieces(&text, 3000);
        assert!(parts.iter().all(|p| p.chars().count() <= 3000));
        assert_eq!(parts[0], "a".repeat(2000));
        let joined: String = parts.concat();
        assert_eq!(joined.replace('\n', ""), text.replace('\n', ""));
    }

    #[test]
    fn a_line_longer_than_a_piece_splits_between_words_never_inside_a_mention() {
        let line = format!(
            "*chat-large* · for {}",
            (0..400)
                .map(|i| format!("<@U{i:08}>"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let parts = pieces(&line, 3000);
        assert!(parts.len() > 1);
        for p in &parts {
            assert!(p.chars().count() <= 3000);
            assert_eq!(p.matches("<@").count(), p.matches('>').count(), "{p}");
        }
        assert_eq!(parts.concat(), line);
    }

    #[test]
    fn slack_users_are_checked() {
        assert!(SlackUser::new("U0123ABCD").is_ok());
        let err = SlackUser::new("<@U1>").unwrap_err().to_string();
        assert!(err.contains("Slack user"), "{err}");
    }

    #[test]
    fn a_models_subscriber_is_named_next_to_it_and_a_subscriber_of_every_model_at_the_top() {
        use crate::domain::Timestamp;
        use crate::report::Period;
        let mut glance = Section::new("At a glance");
        glance.lines = vec![
            Line::about(Tone::Bad, "chat-large", "degraded"),
            Line::about(Tone::Good, "embed-small", "healthy"),
        ];
        let mut chat = Section::new("chat-large — degraded");
        chat.model = Some("chat-large".into());
        chat.lines = vec![Line::new(Tone::Bad, "p95 latency up 40%")];
        let report = Report {
            kind: super::super::ReportKind::Daily,
            title: "Daily model health".into(),
            period: Period::day_ending(Timestamp::from_secs(86_400)),
            summary: "2 models".into(),
            sections: vec![glance, chat],
        };
        let mut mentions = Mentions::default();
        let user = |id: &str| SlackUser::new(id).unwrap();
        mentions.add(user("U0ALL"), None);
        mentions.add(user("U0CHAT"), Some("chat-large"));
        mentions.add(user("U0EMBED"), Some("embed-small"));
        mentions.add(user("U0SUM"), Some("summarizer"));
        let slack = render(
            &report,
            &ChannelId::new("#reports").unwrap(),
            &BTreeMap::new(),
            &mentions,
        );
        let texts: Vec<String> = slack
            .first
            .blocks
            .iter()
            .map(|b| serde_json::to_value(b).unwrap().to_string())
            .collect();
        let intro = &texts[1];
        assert!(intro.contains("For <@U0ALL>"), "{intro}");
        assert!(
            !intro.contains("U0CHAT") && !intro.contains("U0EMBED"),
            "{intro}"
        );
        let block = |start: &str| {
            texts
                .iter()
                .find(|t| t.contains(start))
                .unwrap_or_else(|| panic!("no block with {start}: {texts:?}"))
        };
        assert!(
            block("*chat-large — degraded*").contains("*chat-large — degraded* · for <@U0CHAT>\\n"),
            "{texts:?}"
        );
        let glance = block("*At a glance*");
        assert!(
            glance.contains("*embed-small* healthy · for <@U0EMBED>"),
            "{glance}"
        );
        // chat-large has its own section: not named again at its glance line.
        assert_eq!(texts.concat().matches("U0CHAT").count(), 1);
        // summarizer is not in the report: its subscriber is not named.
        assert!(!texts.concat().contains("U0SUM"));
    }

    /// The notification text is mrkdwn as the blocks are: a model named `<!channel>` in a
    /// heading, or `&` in the title, is shown as written, and pings nobody.
    #[test]
    fn the_notification_text_is_escaped_as_the_blocks_are() {
        use crate::domain::Timestamp;
        use crate::report::Period;
        let mut sections = vec![Section::new("At a glance")];
        for i in 0..60 {
            let mut s = Section::new(format!("<!channel>-{i} — degraded"));
            s.lines = vec![Line::new(Tone::Bad, "p95 latency up 40%")];
            sections.push(s);
        }
        let report = Report {
            kind: super::super::ReportKind::Daily,
            title: "R&D model health".into(),
            period: Period::day_ending(Timestamp::from_secs(86_400)),
            summary: "2 models <degraded>".into(),
            sections,
        };
        let channel = ChannelId::new("#reports").unwrap();
        let slack = render(&report, &channel, &BTreeMap::new(), &Mentions::default());
        assert_eq!(
            slack.first.text,
            "R&amp;D model health: 2 models &lt;degraded&gt;"
        );
        let reply = &slack.replies.first().expect("a reply").text;
        assert!(
            reply.starts_with("R&amp;D model health (part 2 of"),
            "{reply}"
        );
        assert!(reply.contains("&lt;!channel&gt;-"), "{reply}");
        assert!(!reply.contains("<!channel>"), "{reply}");
        let rest = render_rest(&report, &channel, &BTreeMap::new(), &Mentions::default(), 1);
        let (continued, _) = rest.first().expect("a reply");
        assert!(!continued.text.contains("<!channel>") && !continued.text.contains("R&D"));
    }

    #[test]
    fn mrkdwn_reserved_characters_are_escaped() {
        assert_eq!(escape("a < b & c > d"), "a &lt; b &amp; c &gt; d");
    }
}
