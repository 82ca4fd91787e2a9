//! A silence as people write one — in Slack, on the command line, in an HTTP request:
//! matchers, how long or until when, from when, and why.

use crate::config::{DURATION_EXPECTED, parse_duration};
use crate::domain::{Matcher, Silence, SilenceError, Timestamp};

/// What was asked for, before it is checked against the clock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SilenceRequest {
    pub matchers: Vec<Matcher>,
    /// Default: now.
    pub starts_at: Option<Timestamp>,
    /// How long from its start; or `ends_at`.
    pub duration_secs: Option<u64>,
    pub ends_at: Option<Timestamp>,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error(
        "say how long (`2h`, `30m`, `1d`) or until when (`until 2026-12-03T06:00:00Z`), not both"
    )]
    Length,
    #[error(transparent)]
    Silence(#[from] SilenceError),
}

impl SilenceRequest {
    /// The silence, made by `by` at `now`.
    pub fn into_silence(self, by: &str, now: Timestamp) -> Result<Silence, RequestError> {
        let starts_at = self.starts_at.unwrap_or(now);
        let ends_at = match (self.duration_secs, self.ends_at) {
            (Some(secs), None) => starts_at.plus_secs(secs),
            (None, Some(end)) => end,
            _ => return Err(RequestError::Length),
        };
        Ok(Silence::new(
            self.matchers,
            starts_at,
            ends_at,
            by,
            &self.comment,
            now,
        )?)
    }
}

/// A `model=` matcher written as modelwatch prints a model, `model=chat-large@v7`, as the
/// two matchers it means (`model=chat-large version=v7`); any other as it is.
pub fn model_version(word: &str) -> Vec<String> {
    match word.split_once('=') {
        Some((field, value)) if field.eq_ignore_ascii_case("model") => {
            match value.split_once('@') {
                Some((name, version)) if !name.is_empty() && !version.is_empty() => {
                    vec![format!("model={name}"), format!("version={version}")]
                }
                _ => vec![word.to_owned()],
            }
        }
        _ => vec![word.to_owned()],
    }
}

/// `model=chat-large env=prod 2h from 2026-12-03T01:00:00Z -- v8 rollout`, or the short
/// `MODEL MONITOR 2h`. The error says what was not understood and what was expected.
pub fn parse_words(words: &[&str]) -> Result<SilenceRequest, String> {
    let (words, comment) = match words.iter().position(|w| *w == "--") {
        Some(i) => (&words[..i], words[i + 1..].join(" ")),
        None => (words, String::new()),
    };
    let mut request = SilenceRequest {
        comment,
        ..SilenceRequest::default()
    };
    let mut bare = Vec::new();
    let mut rest = words.iter();
    while let Some(word) = rest.next() {
        let time = |what: &str, value: Option<&&str>| -> Result<Timestamp, String> {
            let value = value
                .ok_or_else(|| format!("`{what}` needs a time such as 2026-12-03T01:00:00Z"))?;
            Timestamp::parse(value).ok_or_else(|| {
                format!("`{what} {value}`: expected a time such as 2026-12-03T01:00:00Z")
            })
        };
        match word.to_ascii_lowercase().as_str() {
            "from" | "starting" => request.starts_at = Some(time(word, rest.next())?),
            "until" | "to" => request.ends_at = Some(time(word, rest.next())?),
            "for" => {}
            _ if word.contains('=') => {
                for m in model_version(word) {
                    request.matchers.push(
                        m.parse()
                            .map_err(|e: crate::domain::InvalidValue| e.to_string())?,
                    );
                }
            }
            _ => match parse_duration(word) {
                Some(secs) if request.duration_secs.is_none() => request.duration_secs = Some(secs),
                Some(_) => return Err(format!("`{word}`: one duration is enough")),
                None => bare.push(*word),
            },
        }
    }
    match bare[..] {
        [] => {}
        // The short form: a model and one of its monitors.
        [model, monitor] if request.matchers.is_empty() => {
            let mut words = model_version(&format!("model={model}"));
            words.push(format!("monitor={monitor}"));
            for m in words {
                request.matchers.push(
                    m.parse()
                        .map_err(|e: crate::domain::InvalidValue| e.to_string())?,
                );
            }
        }
        _ => {
            return Err(format!(
                "`{}` is neither a matcher (model=…, version=…, env=…, monitor=…, team=…, level=…) nor a duration ({DURATION_EXPECTED})",
                bare.join(" ")
            ));
        }
    }
    if request.matchers.is_empty() {
        return Err("say what to silence: matchers such as `model=chat-large env=prod`".into());
    }
    if request.duration_secs.is_none() && request.ends_at.is_none() {
        return Err(format!(
            "say how long: {DURATION_EXPECTED}, or `until` a time"
        ));
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MatchField;

    fn words(text: &str) -> Vec<&str> {
        text.split_whitespace().collect()
    }

    #[test]
    fn matchers_duration_start_and_comment_are_read() {
        let r = parse_words(&words(
            "model=chat-large env=prod 2h from 2026-12-03T01:00:00Z -- v8 rollout",
        ))
        .unwrap();
        assert_eq!(r.matchers.len(), 2);
        assert_eq!(r.duration_secs, Some(7200));
        assert_eq!(r.starts_at, Timestamp::parse("2026-12-03T01:00:00Z"));
        assert_eq!(r.comment, "v8 rollout");
        let now = Timestamp::parse("2026-12-02T12:00:00Z").unwrap();
        let s = r.into_silence("ana", now).unwrap();
        assert_eq!(s.ends_at, Timestamp::parse("2026-12-03T03:00:00Z").unwrap());
        assert!(!s.is_active(now), "planned maintenance starts later");
    }

    #[test]
    fn the_short_form_names_a_model_and_a_monitor() {
        let r = parse_words(&words("chat-large latency-p95 30m")).unwrap();
        let fields: Vec<MatchField> = r.matchers.iter().map(|m| m.field).collect();
        assert_eq!(fields, [MatchField::Model, MatchField::Monitor]);
        assert_eq!(r.duration_secs, Some(1800));
    }

    #[test]
    fn a_model_written_as_modelwatch_prints_it_names_its_version() {
        for text in ["chat-large@v7 latency-p95 30m", "model=chat-large@v7 30m"] {
            let r = parse_words(&words(text)).unwrap();
            let matchers: Vec<String> = r.matchers.iter().map(ToString::to_string).collect();
            assert_eq!(matchers[..2], ["model=chat-large", "version=v7"], "{text}");
        }
        // An empty side is not a version: left as written.
        let r = parse_words(&words("model=chat@ 30m")).unwrap();
        assert_eq!(r.matchers[0].to_string(), "model=chat@");
    }

    #[test]
    fn mistakes_say_what_was_expected() {
        for (text, says) in [
            ("model=chat", "say how long"),
            ("2h", "say what to silence"),
            ("host=a 2h", "silence matcher"),
            ("model=chat soon", "neither a matcher"),
            ("model=chat 2h from tomorrow", "expected a time"),
        ] {
            let err = parse_words(&words(text)).unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
        let both = parse_words(&words("model=chat 2h until 2026-12-03T01:00:00Z")).unwrap();
        assert_eq!(
            both.into_silence("ana", Timestamp::from_secs(0))
                .unwrap_err(),
            RequestError::Length
        );
    }
}
