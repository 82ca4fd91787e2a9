//! `/modelwatch ...` text as a command, or the mistake and the usage, in the user's words.

use modelwatch::domain::{SilenceId, Topic};
use modelwatch::silencing::{SilenceRequest, parse_words};

pub const USAGE: &str = "Usage:\n\
• `/modelwatch subscribe daily|weekly|alerts [model]` — get the daily health check, the weekly report, or be mentioned on alerts (all models, or one)\n\
• `/modelwatch unsubscribe daily|weekly|alerts [model]`\n\
• `/modelwatch list` — your subscriptions and the silences in force or planned\n\
• `/modelwatch silence model=chat-large env=prod 2h [from 2026-12-03T01:00:00Z] [-- why]` — mute every alert that matches (model, version, env, monitor, team, level), now or planned; `silence MODEL MONITOR 2h` for one monitor\n\
• `/modelwatch unsilence SILENCE-ID` — end a silence now\n\
• `/modelwatch status [model or model@version]` — the open alerts";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Subscribe { topic: Topic, model: Option<String> },
    Unsubscribe { topic: Topic, model: Option<String> },
    List,
    Silence(SilenceRequest),
    Unsilence(SilenceId),
    Status { model: Option<String> },
    Help,
}

/// A command's text as its user typed it. Slack sends `&`, `<` and `>` as entities, and,
/// when the app asks for channels, users and links escaped, a mention as `<@U123|dana>`,
/// a channel as `<#C123|general>`, a link as `<https://…|…>`: each is read back as
/// written, so a silence's reason says `db & cache` and a matcher `p95>2s` matches.
pub fn as_typed(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let inside = &rest[open + 1..];
        match inside.find('>') {
            Some(close) => {
                out.push_str(&typed_markup(&inside[..close]));
                rest = &inside[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    // `&amp;` last: `&amp;lt;` is what `&lt;` typed comes as.
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// What Slack's `<…>` stood for as typed: a user or channel by its name when Slack gives
/// one, `@here` and the like, a link as its text.
fn typed_markup(inner: &str) -> String {
    let (target, label) = match inner.split_once('|') {
        Some((target, label)) => (target, Some(label)),
        None => (inner, None),
    };
    match (target.chars().next(), label) {
        (Some('@'), Some(name)) => format!("@{name}"),
        (Some('#'), Some(name)) => format!("#{name}"),
        (Some('!'), Some(name)) => name.to_owned(),
        (Some('!'), None) => {
            let name = target[1..].split('^').next().unwrap_or_default();
            format!("@{name}")
        }
        (_, Some(text)) => text.to_owned(),
        (_, None) => target.to_owned(),
    }
}

/// Parses the text after `/modelwatch`. The error is what to tell the user.
pub fn parse(text: &str) -> Result<Command, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let Some((verb, rest)) = words.split_first() else {
        return Ok(Command::Help);
    };
    let topic_and_model = |verb: &str| -> Result<(Topic, Option<String>), String> {
        match rest {
            [topic] | [topic, _] => {
                let t = Topic::parse(topic).ok_or_else(|| {
                    format!("`{verb} {topic}`: I can {verb} you to `daily`, `weekly` or `alerts`, not `{topic}`.")
                })?;
                let model = rest.get(1).map(|m| (*m).to_owned());
                // Unsubscribing takes it as written: one stored before this check goes too.
                if verb == "subscribe"
                    && let Some((name, _)) = model.as_deref().and_then(|m| m.split_once('@'))
                {
                    return Err(format!(
                        "`{verb} {topic} {}`: subscriptions are per model, all its versions: `/modelwatch {verb} {topic} {name}`.",
                        rest[1]
                    ));
                }
                Ok((t, model))
            }
            _ => Err(format!(
                "`{verb}` takes what to {verb} (`daily`, `weekly` or `alerts`) and, if you like, one model."
            )),
        }
    };
    match verb.to_ascii_lowercase().as_str() {
        "subscribe" => {
            let (topic, model) = topic_and_model("subscribe")?;
            Ok(Command::Subscribe { topic, model })
        }
        "unsubscribe" => {
            let (topic, model) = topic_and_model("unsubscribe")?;
            Ok(Command::Unsubscribe { topic, model })
        }
        "list" if rest.is_empty() => Ok(Command::List),
        "status" if rest.len() <= 1 => Ok(Command::Status {
            model: rest.first().map(|m| (*m).to_owned()),
        }),
        "silence" => parse_words(rest)
            .map(Command::Silence)
            .map_err(|e| format!("`{}`: {e}.", words.join(" "))),
        "unsilence" | "expire" => match rest {
            [id] => SilenceId::new(id)
                .map(Command::Unsilence)
                .map_err(|e| format!("`{}`: {e}.", words.join(" "))),
            _ => Err("`unsilence` takes the silence's id, as `/modelwatch list` shows it.".into()),
        },
        "help" => Ok(Command::Help),
        _ => Err(format!("I don't know `{}`.", words.join(" "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As Slack sends the text of `/modelwatch silence model=chat-large monitor=p95>2s 2h
    /// -- db & cache, ask @dana in #ml-ops (see example.com)` with escaping on.
    #[test]
    fn the_text_is_read_as_typed_not_as_slack_escaped_it() {
        let sent = "silence model=chat-large monitor=p95&gt;2s 2h -- db &amp; cache, ask \
                    <@U0DANA|dana> in <#C0OPS|ml-ops> (see <http://example.com|example.com>) \
                    <!here> <@U0BEN> &amp;lt; <https://runbooks.example.com/a?b=1&amp;c=2>";
        assert_eq!(
            as_typed(sent),
            "silence model=chat-large monitor=p95>2s 2h -- db & cache, ask @dana in #ml-ops \
             (see example.com) @here @U0BEN &lt; https://runbooks.example.com/a?b=1&c=2"
        );
        assert_eq!(as_typed("a < b"), "a < b");
        assert_eq!(as_typed("list"), "list");
    }

    #[test]
    fn every_command_parses() {
        assert_eq!(
            parse("subscribe daily"),
            Ok(Command::Subscribe {
                topic: Topic::Daily,
                model: None
            })
        );
        assert_eq!(
            parse("  Unsubscribe ALERTS chat-large "),
            Ok(Command::Unsubscribe {
                topic: Topic::Alerts,
                model: Some("chat-large".into())
            })
        );
        assert_eq!(parse("list"), Ok(Command::List));
        assert_eq!(parse("status"), Ok(Command::Status { model: None }));
        assert_eq!(
            parse("status chat-large"),
            Ok(Command::Status {
                model: Some("chat-large".into())
            })
        );
        let Ok(Command::Silence(r)) = parse("silence chat-large latency-p95 2h") else {
            panic!("the short form");
        };
        assert_eq!(r.matchers.len(), 2);
        assert_eq!(r.duration_secs, Some(7200));
        let Ok(Command::Silence(r)) = parse("silence env=prod team=chat 1d -- maintenance") else {
            panic!("matchers");
        };
        assert_eq!((r.matchers.len(), r.comment.as_str()), (2, "maintenance"));
        assert!(matches!(
            parse("unsilence sil-1795730400000-00ff"),
            Ok(Command::Unsilence(_))
        ));
        assert_eq!(parse(""), Ok(Command::Help));
        assert_eq!(parse("help"), Ok(Command::Help));
    }

    #[test]
    fn a_subscription_names_a_model_not_a_version() {
        let err = parse("subscribe alerts chat-large@v7").unwrap_err();
        assert!(
            err.contains("per model") && err.contains("`/modelwatch subscribe alerts chat-large`"),
            "{err}"
        );
        // One stored before subscriptions were checked can still be removed.
        assert!(parse("unsubscribe daily chat-large@v7").is_ok());
    }

    #[test]
    fn mistakes_are_told_in_the_users_words() {
        let err = parse("subscribe monthly").unwrap_err();
        assert!(
            err.contains("`subscribe monthly`") && err.contains("not `monthly`"),
            "{err}"
        );
        let err = parse("silence chat-large latency soon").unwrap_err();
        assert!(err.contains("neither a matcher"), "{err}");
        assert!(
            parse("silence model=chat-large")
                .unwrap_err()
                .contains("say how long")
        );
        assert!(parse("unsilence ../x").unwrap_err().contains("silence id"));
        assert!(parse("dance now").unwrap_err().contains("`dance now`"));
        assert!(parse("subscribe").is_err());
        assert!(parse("list everything").is_err());
    }
}
