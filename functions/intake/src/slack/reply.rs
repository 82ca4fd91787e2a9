//! What `/modelwatch` answers, as text: pure, from stored values.

use modelwatch::domain::{Alert, Status, Timestamp};
use modelwatch::domain::{Silence, Subscription, Topic};
use modelwatch::page::escape;

/// A time as Slack shows it in the reader's own time zone, with UTC as the fallback.
pub fn when(at: Timestamp) -> String {
    format!("<!date^{}^{{date_short_pretty}} {{time}}|{at}>", at.secs())
}

pub fn topic_words(topic: Topic) -> &'static str {
    match topic {
        Topic::Daily => "the daily health check",
        Topic::Weekly => "the weekly report",
        Topic::Alerts => "alerts",
    }
}

pub fn scope(model: Option<&str>) -> String {
    match model {
        Some(m) => format!("for `{}`", escape(m)),
        None => "for every model".to_owned(),
    }
}

fn minutes(secs: u64) -> String {
    match secs {
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        s => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

/// One line per open alert, oldest first.
pub fn status(alerts: &[Alert], model: Option<&str>, now: Timestamp) -> String {
    if alerts.is_empty() {
        return format!("No open alerts {}. :white_check_mark:", scope(model));
    }
    let mut lines = vec![format!("*{} open alert(s) {}*", alerts.len(), scope(model))];
    for a in alerts {
        let c = &a.context;
        let what = if c.title.is_empty() {
            "alert"
        } else {
            c.title.as_str()
        };
        let mut line = format!("• [{}] ", a.level);
        if let Some(m) = &c.model {
            line.push_str(&format!("`{}` ", escape(&m.to_string())));
        }
        line.push_str(&escape(what));
        if let Some(opened) = a.opened_at {
            line.push_str(&format!(" · open {}", minutes(now.secs_since(opened))));
        }
        match (&a.status, &a.acknowledged) {
            (Status::Acknowledged, Some(m)) => {
                line.push_str(&format!(" · acknowledged by {}", escape(&m.by)))
            }
            _ => line.push_str(" · not acknowledged"),
        }
        if let Some(s) = a.silence.as_ref().filter(|s| s.until > now) {
            line.push_str(&format!(" · silenced until {}", when(s.until)));
        }
        lines.push(line);
    }
    lines.join("\n")
}

pub fn list(subs: &[Subscription], silences: &[Silence], now: Timestamp) -> String {
    let mut lines = Vec::new();
    if subs.is_empty() {
        lines.push("You have no subscriptions.".to_owned());
    } else {
        lines.push("*Your subscriptions*".to_owned());
        for s in subs {
            lines.push(format!("• {}", what_it_does(s)));
        }
    }
    if silences.is_empty() {
        lines.push("No silences in force or planned.".to_owned());
    } else {
        lines.push("*Silences*".to_owned());
        for s in silences {
            let when = if s.is_active(now) {
                format!("until {}", when(s.ends_at))
            } else {
                format!("from {} until {}", when(s.starts_at), when(s.ends_at))
            };
            let why = if s.comment.is_empty() {
                String::new()
            } else {
                format!(" — {}", escape(&s.comment))
            };
            lines.push(format!(
                "• `{}` mutes {} {when} (by {}){why}",
                s.id,
                escape(&s.describe()),
                escape(&s.created_by),
            ));
        }
    }
    lines.join("\n")
}

/// What a subscription does, in words: where the subscriber hears what.
pub fn what_it_does(s: &Subscription) -> String {
    let report = match s.topic {
        Topic::Daily => "the daily health check",
        Topic::Weekly => "the weekly report",
        Topic::Alerts => {
            let models = s
                .model
                .as_deref()
                .map_or_else(|| "every model".to_owned(), |m| format!("`{}`", escape(m)));
            return format!("alerts of {models}: you're mentioned on their Slack messages");
        }
    };
    match s.model.as_deref() {
        None => format!("{report}, mentioning you at the top"),
        Some(m) => format!(
            "{report}, mentioning you next to `{}` in the reports that cover it",
            escape(m)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelwatch::domain::{AlertKey, Mark, ModelRef};

    #[test]
    fn status_lists_level_model_age_and_who_acknowledged() {
        let now = Timestamp::from_secs(1_800_000_000);
        let mut a = Alert::blank(AlertKey::new("k").unwrap());
        a.status = Status::Acknowledged;
        a.context.title = "p95 latency <above> 2 s".into();
        a.context.model = Some(ModelRef::new("chat-large", Some("v7")).unwrap());
        a.opened_at = Some(Timestamp::from_secs(1_800_000_000 - 23 * 60));
        a.acknowledged = Some(Mark {
            by: "dana".into(),
            at: now,
        });
        let text = status(&[a], Some("chat-large"), now);
        assert!(text.contains("1 open alert(s) for `chat-large`"), "{text}");
        assert!(text.contains("[L1] `chat-large@v7` p95 latency &lt;above&gt; 2 s · open 23 min · acknowledged by dana"), "{text}");
        assert!(status(&[], None, now).contains("No open alerts for every model"));
    }

    #[test]
    fn list_says_what_each_subscription_does_and_each_silence_mutes() {
        let sub = |topic, model: Option<&str>| Subscription {
            topic,
            subscriber: "U1".into(),
            name: "dana".into(),
            channel: "C1".into(),
            model: model.map(str::to_owned),
            created_at: Timestamp::from_secs(1),
        };
        let now = Timestamp::from_secs(100);
        let in_force = Silence::new(
            vec![
                "model=chat-large".parse().unwrap(),
                "env=prod".parse().unwrap(),
            ],
            Timestamp::from_secs(0),
            Timestamp::from_secs(7200),
            "dana",
            "v8 rollout",
            Timestamp::from_secs(0),
        )
        .unwrap();
        let planned = Silence::new(
            vec!["team=search".parse().unwrap()],
            Timestamp::from_secs(86_400),
            Timestamp::from_secs(90_000),
            "ana",
            "",
            Timestamp::from_secs(0),
        )
        .unwrap();
        let text = list(
            &[
                sub(Topic::Weekly, None),
                sub(Topic::Daily, Some("chat-large")),
                sub(Topic::Alerts, Some("chat-large")),
            ],
            &[in_force.clone(), planned],
            now,
        );
        assert!(
            text.contains("the weekly report, mentioning you at the top"),
            "{text}"
        );
        assert!(
            text.contains(
                "the daily health check, mentioning you next to `chat-large` in the reports that cover it"
            ),
            "{text}"
        );
        assert!(
            text.contains("alerts of `chat-large`: you're mentioned on their Slack messages"),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "`{}` mutes model=chat-large, env=prod until <!date^7200^",
                in_force.id
            )),
            "{text}"
        );
        assert!(text.contains("— v8 rollout"), "{text}");
        assert!(
            text.contains("mutes team=search from <!date^86400^"),
            "{text}"
        );
        assert!(list(&[], &[], now).contains("no subscriptions"));
    }
}
