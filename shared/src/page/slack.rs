//! An alert as Slack messages: the first message with buttons, thread follow-ups, and the
//! first message updated when it resolves.

use serde::{Deserialize, Serialize};

use super::PageContext;
use super::pagerduty::{number, summary};
use crate::domain::{Action, Alert, Level, PageReason, Status};
use crate::slack::{
    BLOCKS_TEXT_BUDGET, Block, Button, ButtonStyle, ChannelId, Message, blocks_text_chars, cut,
    cut_mrkdwn, join_within,
};

pub const ACTION_ACKNOWLEDGE: &str = "modelwatch_acknowledge";
pub const ACTION_FALSE_POSITIVE: &str = "modelwatch_false_positive";
pub const ACTION_SILENCE_1H: &str = "modelwatch_silence_1h";

/// What an alert button carries back to the intake: which alert, which cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ButtonValue {
    pub key: String,
    pub cycle: u32,
}

pub use crate::slack::escape;

/// A link in mrkdwn, `<url|text>`: the URL only if it is a plain http(s) one, with the
/// characters that would end or split the link (`<`, `>`, `|`) percent-encoded and `&`
/// escaped as Slack asks; otherwise the text alone. The result stays one link whatever
/// either value holds.
pub fn link(url: &str, text: &str) -> String {
    match crate::domain::url::web_url(url) {
        Some(url) => {
            let url = url
                .replace('&', "&amp;")
                .replace('<', "%3C")
                .replace('>', "%3E")
                .replace('|', "%7C");
            format!("<{url}|{}>", escape(text))
        }
        None => escape(text),
    }
}

fn icon(alert: &Alert) -> &'static str {
    match (alert.status, alert.level) {
        (Status::Resolved, _) => "✅",
        (Status::Acknowledged, _) => "👀",
        (_, Level::L3) => "🚨",
        (_, Level::L2) => "🔴",
        (_, Level::L1) => "🟠",
    }
}

/// The alert's message: posted when it first pages, updated in place as it changes.
/// Its buttons are what can still be done to the cycle: acknowledge, mark false positive
/// and silence while open; once it is over, mark false positive until somebody has (most
/// false alarms recover before anyone looks, and the reports' accuracy counts the marks).
pub fn alert_message(alert: &Alert, channel: ChannelId, ctx: &PageContext) -> Message {
    message(alert, channel, ctx, true)
}

/// The message of a cycle a later one has replaced: no buttons, as the alert's signals
/// now act on the later cycle and a click here would change nothing.
pub fn ended_cycle_message(alert: &Alert, channel: ChannelId, ctx: &PageContext) -> Message {
    message(alert, channel, ctx, false)
}

fn message(alert: &Alert, channel: ChannelId, ctx: &PageContext, buttons: bool) -> Message {
    let c = &alert.context;
    let title = if c.title.is_empty() {
        "Model alert"
    } else {
        c.title.as_str()
    };
    let mut blocks = vec![Block::header(cut(
        &format!("{} {} · {}", icon(alert), alert.level, title),
        150,
    ))];

    let mut fields = Vec::new();
    if let Some(model) = &c.model {
        fields.push(format!("*Model*\n{}", escape(model.name())));
        fields.push(format!(
            "*Version*\n{}",
            escape(model.version().unwrap_or("—"))
        ));
    }
    if let Some(env) = &c.environment {
        fields.push(format!("*Environment*\n{}", escape(env)));
    }
    match (c.value, c.threshold) {
        (Some(v), threshold) => {
            let against = threshold
                .map(|t| format!(" (threshold {})", number(t)))
                .unwrap_or_default();
            fields.push(format!("*Value*\n{}{against}", number(v)));
        }
        (None, Some(t)) => fields.push(format!("*Threshold*\n{}", number(t))),
        (None, None) => {}
    }
    if let Some(metric) = &c.metric {
        fields.push(format!("*Metric*\n`{}`", escape(metric)));
    }
    fields.push(format!("*Status*\n{}", status_line(alert)));
    let fields_at = blocks.len();
    blocks.push(Block::fields(
        fields.iter().map(|f| cut_mrkdwn(f, 2000)).take(10),
    ));
    // What may go, least needed first, if the whole is more text than Slack takes.
    let mut optional: Vec<(Shed, usize)> = Vec::new();

    if let Some(reason) = &c.reason {
        optional.push((Shed::Why, blocks.len()));
        blocks.push(Block::section(cut_mrkdwn(
            &format!("*Why*\n{}", escape(reason)),
            3000,
        )));
    }
    if !ctx.steps.is_empty() {
        let steps: Vec<String> = ctx
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{}. {}", i + 1, escape(s)))
            .collect();
        optional.push((Shed::Steps, blocks.len()));
        blocks.push(Block::section(cut_mrkdwn(
            &format!("*Try first*\n{}", steps.join("\n")),
            3000,
        )));
    }
    if !ctx.deployments.is_empty() {
        let lines: Vec<String> = ctx
            .deployments
            .iter()
            .take(5)
            .map(|d| {
                let what = format!("Deployed {} at {}", d.model, d.at);
                // A link too long for the element goes without its URL, not cut in two.
                d.link
                    .as_ref()
                    .map(|url| link(url, &what))
                    .filter(|linked| linked.chars().count() <= 2000)
                    .unwrap_or_else(|| cut_mrkdwn(&escape(&what), 2000))
            })
            .collect();
        optional.push((Shed::Deployments, blocks.len()));
        blocks.push(Block::context(lines));
    }
    // A link too long for the element is shown as its text, as a deployment's is.
    let links: Vec<String> = ctx
        .links(alert)
        .iter()
        .map(|l| {
            let linked = link(&l.url, &l.text);
            if linked.chars().count() <= 2000 {
                linked
            } else {
                cut_mrkdwn(&escape(&l.text), 2000)
            }
        })
        .collect();
    if !links.is_empty() {
        optional.push((Shed::Links, blocks.len()));
        // One element each (a context takes ten): a link that fits alone is never lost
        // for want of room after the others.
        blocks.push(Block::context(links.into_iter().take(10)));
    }
    let mentions: Vec<String> = ctx
        .mentions
        .iter()
        .filter(|id| is_user_id(id))
        .map(|id| format!("<@{id}>"))
        .collect();
    if !mentions.is_empty() {
        optional.push((Shed::Mentions, blocks.len()));
        let lead = "Subscribed: ";
        blocks.push(Block::context([format!(
            "{lead}{}",
            join_within(&mentions, " ", 2000 - lead.len())
        )]));
    }
    if let Some(src) = c
        .snapshot_url
        .as_ref()
        .filter(|s| s.starts_with("https://") && crate::domain::url::web_url(s).is_some())
    {
        optional.push((Shed::Graph, blocks.len()));
        blocks.push(Block::image(
            src.as_str(),
            cut(&format!("Metric graph for {title}"), 2000),
        ));
    }
    let buttons = if buttons {
        cycle_buttons(alert)
    } else {
        Vec::new()
    };
    if !buttons.is_empty() {
        blocks.push(Block::actions(buttons));
    }
    let blocks = within_budget(blocks, optional, fields_at, &fields);
    // The fallback is what notifications show, and Slack reads its `<…>` and `&` as
    // markup there too: a title's `<!channel>` would notify the whole channel.
    Message::new(channel, escape(&summary(alert, alert.level))).blocks(blocks)
}

/// The buttons of `alert`'s current cycle, in the order they show.
fn cycle_buttons(alert: &Alert) -> Vec<Button> {
    let value = serde_json::to_string(&ButtonValue {
        key: alert.key.to_string(),
        cycle: alert.cycle,
    })
    .unwrap_or_default();
    let mut buttons = Vec::new();
    if alert.status == Status::Open {
        buttons.push(
            Button::action("Acknowledge", ACTION_ACKNOWLEDGE, value.clone())
                .style(ButtonStyle::Primary),
        );
    }
    if alert.false_positive.is_none() {
        buttons.push(Button::action(
            "Mark false positive",
            ACTION_FALSE_POSITIVE,
            value.clone(),
        ));
    }
    if alert.status.is_open() {
        buttons.push(Button::action("Silence 1 h", ACTION_SILENCE_1H, value));
    }
    buttons
}

/// The parts of a page that may be left out, least needed first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Shed {
    Mentions,
    Deployments,
    Graph,
    Links,
    Steps,
    Why,
}

/// `blocks` within Slack's total of text a message may carry (`msg_blocks_too_long`
/// past about 12,000 characters, which would refuse the page for good): the optional
/// parts left out, least needed first, and then the fields cut shorter. The header, the
/// facts and the buttons always stay.
fn within_budget(
    mut blocks: Vec<Block>,
    mut optional: Vec<(Shed, usize)>,
    fields_at: usize,
    fields: &[String],
) -> Vec<Block> {
    optional.sort();
    let mut dropped = Vec::new();
    for (_, index) in optional {
        if blocks_text_chars(&blocks) - dropped_chars(&blocks, &dropped) <= BLOCKS_TEXT_BUDGET {
            break;
        }
        dropped.push(index);
    }
    let mut kept: Vec<Block> = blocks
        .drain(..)
        .enumerate()
        .filter(|(i, _)| !dropped.contains(i))
        .map(|(_, b)| b)
        .collect();
    if blocks_text_chars(&kept) > BLOCKS_TEXT_BUDGET
        && let Some(slot) = kept.get_mut(fields_at)
    {
        *slot = Block::fields(fields.iter().map(|f| cut_mrkdwn(f, 300)).take(10));
    }
    kept
}

fn dropped_chars(blocks: &[Block], dropped: &[usize]) -> usize {
    dropped
        .iter()
        .filter_map(|&i| blocks.get(i))
        .map(|b| blocks_text_chars(std::slice::from_ref(b)))
        .sum()
}

/// A Slack user ID as Slack writes it (`U0123ABC`, `W0123ABC`): nothing else becomes a
/// mention.
fn is_user_id(id: &str) -> bool {
    (id.starts_with('U') || id.starts_with('W'))
        && (2..=32).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn status_line(alert: &Alert) -> String {
    let mut s = match alert.status {
        Status::Open => "open".to_owned(),
        Status::Acknowledged => match &alert.acknowledged {
            Some(m) => format!("acknowledged by {}", escape(&m.by)),
            None => "acknowledged".to_owned(),
        },
        Status::Resolved => {
            let open = alert
                .resolved_at
                .zip(alert.opened_at)
                .map(|(r, o)| format!(" after {}", duration(r.secs_since(o))))
                .unwrap_or_default();
            match &alert.resolved_by {
                Some(by) => format!("resolved by {}{open}", escape(by)),
                None => format!("recovered{open}"),
            }
        }
    };
    if let Some(fp) = &alert.false_positive {
        s.push_str(&format!(" · false positive ({})", escape(&fp.by)));
    }
    if alert.is_flapping() {
        s.push_str(" · flapping");
    }
    s
}

/// "23 min", "2 h 5 min", "40 s".
pub(super) fn duration(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// Why a page goes, and to whom, in words.
fn page_words(level: Level, reason: PageReason) -> (&'static str, &'static str) {
    let why = match reason {
        PageReason::Opened => "opened",
        PageReason::Worsened => "the monitor got worse",
        PageReason::Unanswered => "nobody acknowledged it in time",
        PageReason::SilenceEnded => "the silence ended and it is still firing",
        PageReason::FlappingEnded => "it stopped flapping and is still firing",
    };
    let who = match level {
        Level::L1 => "the model's team",
        Level::L2 => "the on-call engineer",
        Level::L3 => "the senior escalation service",
    };
    (why, who)
}

/// The thread reply for a page whose alert ended before its PagerDuty trigger went out:
/// no trigger goes now (`escalation::plan`).
pub fn page_over_text(level: Level, reason: PageReason) -> String {
    let (why, who) = page_words(level, reason);
    format!("⬆️ {level} was due ({why}), but the alert had ended: no page goes to {who} now.")
}

/// The thread reply for an action after the first message.
pub fn follow_up_text(alert: &Alert, action: &Action) -> String {
    match action {
        Action::Page { level, reason } => {
            let (why, who) = page_words(*level, *reason);
            format!("⬆️ {level}: {why}; paging {who}.")
        }
        Action::Renotify { level } => {
            let since = alert
                .opened_at
                .map(|t| format!(" since {t}"))
                .unwrap_or_default();
            format!("🔁 Still firing at {level}{since}.")
        }
        Action::Acknowledge { by, .. } => format!("👀 Acknowledged by {}.", escape(by)),
        Action::Reopen { by } => format!(
            "↩️ Reopened by {}: the monitor still fires, so the alert is open again at {}; it resolves when the monitor recovers.",
            escape(by),
            alert.level
        ),
        Action::Unacknowledge { by } => format!(
            "⏰ No longer acknowledged ({}): nobody is on it now, and it escalates again from {}.",
            escape(by),
            alert.level
        ),
        Action::Resolve {
            by: Some(by),
            open_secs,
        } => {
            format!(
                "✅ Resolved by {} after {}.",
                escape(by),
                duration(*open_secs)
            )
        }
        Action::Resolve {
            by: None,
            open_secs,
        } => format!("✅ Recovered after {}.", duration(*open_secs)),
        Action::Note { text } => escape(text),
        Action::Unknown => String::new(),
        Action::FlappingStarted {
            changes,
            window_secs,
        } => format!(
            "〰️ Flapping: {changes} state changes in {}. Notifications are held until it settles.",
            duration(*window_secs)
        ),
    }
}
