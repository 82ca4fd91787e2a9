//! `/modelwatch ...` text as a command, or the mistake and the usage, in the user's words.

use modelwatch::domain::Topic;

/// The longest silence a command may set: anything longer is a maintenance window to plan,
/// not a silence to forget.
pub const MAX_SILENCE_SECS: u64 = 7 * 24 * 3600;

pub const USAGE: &str = "Usage:\n\
• `/modelwatch subscribe daily|weekly|alerts [model]` — get the daily health check, the weekly report, or be mentioned on alerts (all models, or one)\n\
• `/modelwatch unsubscribe daily|weekly|alerts [model]`\n\
• `/modelwatch list` — your subscriptions and the silences in force\n\
• `/modelwatch silence MODEL MONITOR 2h` — silence one monitor of one model (m, h or d; at most 7d)\n\
• `/modelwatch status [model]` — the open alerts";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Subscribe {
        topic: Topic,
        model: Option<String>,
    },
    Unsubscribe {
        topic: Topic,
        model: Option<String>,
    },
    List,
    Silence {
        model: String,
        monitor: String,
        secs: u64,
    },
    Status {
        model: Option<String>,
    },
    Help,
}

/// `2h`, `30m`, `1d`, `90m` as seconds.
pub fn duration_secs(text: &str) -> Option<u64> {
    let text = text.trim().to_ascii_lowercase();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    let unit_secs = match unit {
        "m" | "min" | "mins" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        _ => return None,
    };
    n.checked_mul(unit_secs).filter(|s| *s > 0)
}

/// `7200` as `2 h`, for answers.
pub fn describe_secs(secs: u64) -> String {
    match secs {
        s if s.is_multiple_of(86_400) => format!("{} d", s / 86_400),
        s if s.is_multiple_of(3600) => format!("{} h", s / 3600),
        s => format!("{} min", s / 60),
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
                Ok((t, rest.get(1).map(|m| (*m).to_owned())))
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
        "silence" => match rest {
            [model, monitor, duration] => {
                let secs = duration_secs(duration).ok_or_else(|| {
                    format!("`silence {model} {monitor} {duration}`: `{duration}` is not a duration; try `30m`, `2h` or `1d`.")
                })?;
                if secs > MAX_SILENCE_SECS {
                    return Err(format!(
                        "`silence {model} {monitor} {duration}`: a silence can last at most 7d."
                    ));
                }
                Ok(Command::Silence {
                    model: (*model).to_owned(),
                    monitor: (*monitor).to_owned(),
                    secs,
                })
            }
            _ => Err(format!(
                "`{}`: silence takes a model, a monitor and how long, e.g. `silence chat-large latency-p95 2h`.",
                words.join(" ")
            )),
        },
        "help" => Ok(Command::Help),
        _ => Err(format!("I don't know `{}`.", words.join(" "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            parse("silence chat-large latency-p95 2h"),
            Ok(Command::Silence {
                model: "chat-large".into(),
                monitor: "latency-p95".into(),
                secs: 7200
            })
        );
        assert_eq!(parse(""), Ok(Command::Help));
        assert_eq!(parse("help"), Ok(Command::Help));
    }

    #[test]
    fn mistakes_are_told_in_the_users_words() {
        let err = parse("subscribe monthly").unwrap_err();
        assert!(
            err.contains("`subscribe monthly`") && err.contains("not `monthly`"),
            "{err}"
        );
        let err = parse("silence chat-large latency soon").unwrap_err();
        assert!(err.contains("`soon` is not a duration"), "{err}");
        assert!(
            parse("silence chat-large latency 8d")
                .unwrap_err()
                .contains("7d")
        );
        assert!(
            parse("silence chat-large")
                .unwrap_err()
                .contains("a model, a monitor and how long")
        );
        assert!(parse("dance now").unwrap_err().contains("`dance now`"));
        assert!(parse("subscribe").is_err());
        assert!(parse("list everything").is_err());
    }

    #[test]
    fn durations_take_minutes_hours_and_days() {
        assert_eq!(duration_secs("30m"), Some(1800));
        assert_eq!(duration_secs("2H"), Some(7200));
        assert_eq!(duration_secs("1d"), Some(86_400));
        assert_eq!(duration_secs("0h"), None);
        assert_eq!(duration_secs("2"), None);
        assert_eq!(duration_secs("h"), None);
        assert_eq!(duration_secs("2w"), None);
        assert_eq!(describe_secs(7200), "2 h");
        assert_eq!(describe_secs(172_800), "2 d");
        assert_eq!(describe_secs(5400), "90 min");
    }
}
