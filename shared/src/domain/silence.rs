//! Silences: rules, like Alertmanager's, that mute every alert they match while they are
//! in force — planned maintenance, a rollout, a known incident — whether the alert opened
//! before or after the silence was made. Whether an alert is muted is decided in one
//! place only, `crate::silencing`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{AlertKey, InvalidValue, Level, Timestamp};

/// What a matcher compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchField {
    Model,
    Version,
    Environment,
    Monitor,
    Team,
    Level,
}

impl MatchField {
    pub const NAMES: &'static str = "model, version, env (environment), monitor, team or level";

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Version => "version",
            Self::Environment => "env",
            Self::Monitor => "monitor",
            Self::Team => "team",
            Self::Level => "level",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "model" => Self::Model,
            "version" | "model_version" => Self::Version,
            "env" | "environment" => Self::Environment,
            "monitor" => Self::Monitor,
            "team" => Self::Team,
            "level" => Self::Level,
            _ => return None,
        })
    }
}

/// `field=value`: the alert's field must equal the value (case-sensitive, as Datadog tags).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Matcher {
    pub field: MatchField,
    pub value: String,
}

impl FromStr for Matcher {
    type Err = InvalidValue;

    /// `model=chat-large`, `env=prod`, `level=L1`.
    fn from_str(text: &str) -> Result<Self, InvalidValue> {
        const EXPECTED: &str =
            "field=value with field one of model, version, env, monitor, team or level";
        let bad = || InvalidValue::new("silence matcher", text, EXPECTED);
        let (name, value) = text.split_once('=').ok_or_else(bad)?;
        let field = MatchField::parse(name).ok_or_else(bad)?;
        let value = value.trim();
        if value.is_empty() || value.len() > 200 || value.chars().any(char::is_whitespace) {
            return Err(bad());
        }
        // A level is one of three: any other value would be a silence that mutes nothing.
        let value = match field {
            MatchField::Level => value
                .parse::<Level>()
                .map_err(|_| InvalidValue::new("silence matcher", text, "level=L1, L2 or L3"))?
                .as_str()
                .to_owned(),
            _ => value.to_owned(),
        };
        Ok(Self { field, value })
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.field.as_str(), self.value)
    }
}

/// A silence's id: `sil-` and its creation time and a random suffix, so ids sort by age.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SilenceId(String);

impl SilenceId {
    pub fn new(text: &str) -> Result<Self, InvalidValue> {
        let ok = text.starts_with("sil-")
            && text.len() <= 64
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidValue::new(
                "silence id",
                text,
                "sil- followed by letters, digits and dashes (as `list` shows it)",
            ))
        }
    }

    /// A fresh id for a silence made at `at`.
    pub fn generate(at: Timestamp) -> Self {
        Self(format!("sil-{}-{:04x}", at.millis(), fastrand::u16(..)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SilenceId {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, InvalidValue> {
        Self::new(&s)
    }
}

impl From<SilenceId> for String {
    fn from(id: SilenceId) -> String {
        id.0
    }
}

impl fmt::Display for SilenceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Every alert that all `matchers` match is muted from `starts_at` until `ends_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Silence {
    pub id: SilenceId,
    pub matchers: Vec<Matcher>,
    /// Only this alert, whatever cycle it is in (an alert's own Silence button: its monitor
    /// on its group, however the group is tagged). Its matchers name the alert's monitor
    /// too, which is all an earlier version reads: rolled back, it mutes the monitor's
    /// groups for the silence's hour rather than failing to read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<AlertKey>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub created_by: String,
    #[serde(default)]
    pub comment: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SilenceError {
    #[error(
        "a silence needs at least one matcher (model=…, env=…, monitor=…): one with none would mute everything"
    )]
    NoMatchers,
    #[error(
        "the silence ends ({ends}) before it starts ({starts}): expected an end after the start"
    )]
    EndsBeforeStart { starts: Timestamp, ends: Timestamp },
    #[error("the silence ends in the past ({ends}): expected an end after now ({now})")]
    AlreadyOver { ends: Timestamp, now: Timestamp },
    #[error(
        "the silence lasts {days} days: expected at most 90 days (make it again if it must go on)"
    )]
    TooLong { days: u64 },
    #[error(
        "the silence starts {days} days from now: expected a start within a year (planned maintenance is planned closer)"
    )]
    StartsTooLate { days: u64 },
    #[error(
        "the silence asks for both {first} and {second}, which no alert is (every matcher must match): expected one value for each field (two silences for two)"
    )]
    TwoValues { first: Matcher, second: Matcher },
}

/// The longest a silence may last: a forgotten one must not hide a model forever.
pub const MAX_SILENCE_SECS: u64 = 90 * 24 * 3600;

/// How far ahead a silence may be planned: a start in year 2286 is a mistake, not a plan.
pub const MAX_PLANNED_SECS: u64 = 365 * 24 * 3600;

impl Silence {
    /// A checked silence.
    pub fn new(
        matchers: Vec<Matcher>,
        starts_at: Timestamp,
        ends_at: Timestamp,
        created_by: &str,
        comment: &str,
        now: Timestamp,
    ) -> Result<Self, SilenceError> {
        if matchers.is_empty() {
            return Err(SilenceError::NoMatchers);
        }
        if ends_at <= now {
            return Err(SilenceError::AlreadyOver { ends: ends_at, now });
        }
        if ends_at <= starts_at {
            return Err(SilenceError::EndsBeforeStart {
                starts: starts_at,
                ends: ends_at,
            });
        }
        if starts_at > now.plus_secs(MAX_PLANNED_SECS) {
            return Err(SilenceError::StartsTooLate {
                days: starts_at.secs_since(now) / 86_400,
            });
        }
        let secs = ends_at.secs_since(starts_at);
        if secs > MAX_SILENCE_SECS {
            return Err(SilenceError::TooLong {
                days: secs / 86_400,
            });
        }
        let mut matchers = matchers;
        matchers.sort();
        matchers.dedup();
        // (A monitor is matched by its id or its name, so two monitor values may be one.)
        if let Some(pair) = matchers
            .windows(2)
            .find(|w| w[0].field == w[1].field && w[0].field != MatchField::Monitor)
        {
            return Err(SilenceError::TwoValues {
                first: pair[0].clone(),
                second: pair[1].clone(),
            });
        }
        Ok(Self {
            id: SilenceId::generate(now),
            matchers,
            starts_at,
            ends_at,
            created_by: created_by.chars().take(200).collect(),
            comment: comment.chars().take(1000).collect(),
            created_at: now,
            alert: None,
        })
    }

    /// `self` narrowed to the one alert `key`. Its matchers stay needed: a version that
    /// does not know the key reads a silence without matchers as one of everything.
    pub fn only_for(mut self, key: &AlertKey) -> Self {
        self.alert = Some(key.clone());
        self
    }

    /// In force at `at`.
    pub fn is_active(&self, at: Timestamp) -> bool {
        self.starts_at <= at && at < self.ends_at
    }

    /// Whether `self` is `earlier` asked for again within `window_secs`: a client's retry
    /// after a timeout, or a form sent twice. The same matchers, author and comment, and
    /// creation, start and end each within the window of `earlier`'s (a retry shifts all
    /// three alike; a planned silence's start and end do not move at all).
    pub fn repeats(&self, earlier: &Silence, window_secs: u64) -> bool {
        let near = |a: Timestamp, b: Timestamp| a.secs_since(b).max(b.secs_since(a)) <= window_secs;
        self.matchers == earlier.matchers
            && self.alert == earlier.alert
            && self.created_by == earlier.created_by
            && self.comment == earlier.comment
            && near(self.created_at, earlier.created_at)
            && near(self.starts_at, earlier.starts_at)
            && near(self.ends_at, earlier.ends_at)
    }

    /// What `repeats` compares of the request itself (matchers, author, comment), as a
    /// key: a repeat has the same one. The store keeps the newest silence made for each.
    pub fn request_key(&self) -> String {
        let mut digest = Sha256::new();
        for m in &self.matchers {
            digest.update(m.to_string());
            digest.update([0]);
        }
        if let Some(key) = &self.alert {
            digest.update([2]);
            digest.update(key.as_str());
        }
        for text in [&self.created_by, &self.comment] {
            digest.update([1]);
            digest.update(text);
        }
        hex::encode(digest.finalize())
    }

    /// `model=chat-large, env=prod`; `alert=KEY` for one alert.
    pub fn describe(&self) -> String {
        if let Some(key) = &self.alert {
            return format!("alert={key}");
        }
        let m: Vec<String> = self.matchers.iter().map(ToString::to_string).collect();
        m.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_secs(secs)
    }

    #[test]
    fn matchers_read_field_equals_value() {
        let m: Matcher = "env=prod".parse().unwrap();
        assert_eq!(m.field, MatchField::Environment);
        assert_eq!(m.to_string(), "env=prod");
        assert_eq!(
            "model_version=v8".parse::<Matcher>().unwrap().field,
            MatchField::Version
        );
        for bad in ["prod", "host=a", "model=", "model=a b"] {
            let err = bad.parse::<Matcher>().unwrap_err().to_string();
            assert!(err.contains("field=value"), "{bad}: {err}");
        }
    }

    /// A level is L1, L2 or L3, kept as the alert writes it; anything else would be a
    /// silence that mutes nothing, said so instead.
    #[test]
    fn a_level_matcher_takes_a_level_and_no_other_value() {
        for (text, kept) in [("level=l2", "level=L2"), ("level=3", "level=L3")] {
            assert_eq!(text.parse::<Matcher>().unwrap().to_string(), kept);
        }
        let err = "level=warning".parse::<Matcher>().unwrap_err().to_string();
        assert!(err.contains("level=L1, L2 or L3"), "{err}");
    }

    #[test]
    fn two_values_of_one_field_are_refused_as_matching_nothing() {
        let m = |t: &str| t.parse::<Matcher>().unwrap();
        let err = Silence::new(
            vec![m("env=prod"), m("env=staging"), m("model=a")],
            t(0),
            t(60),
            "dana",
            "",
            t(0),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("both env=prod and env=staging"), "{err}");
        assert!(
            Silence::new(
                vec![m("env=prod"), m("env=prod")],
                t(0),
                t(60),
                "dana",
                "",
                t(0)
            )
            .is_ok()
        );
        // A monitor's id and its name are two values of one monitor.
        let by_both = vec![m("monitor=98765432"), m("monitor=latency-high")];
        assert!(Silence::new(by_both, t(0), t(60), "dana", "", t(0)).is_ok());
    }

    #[test]
    fn a_silence_of_one_alert_says_so_and_an_earlier_version_reads_its_matchers() {
        let m = vec!["model=chat".parse::<Matcher>().unwrap()];
        let key = AlertKey::new("datadog:monitor:1|host:a,model:chat").unwrap();
        let one = Silence::new(m.clone(), t(100), t(3700), "dana", "", t(100))
            .unwrap()
            .only_for(&key);
        assert_eq!(one.describe(), "alert=datadog:monitor:1|host:a,model:chat");
        let wide = Silence::new(m, t(100), t(3700), "dana", "", t(100)).unwrap();
        assert_ne!(one.request_key(), wide.request_key());
        assert!(!one.repeats(&wide, 120));
        // What a version without `alert` reads: the matchers, and nothing fails.
        let mut stored = serde_json::to_value(&one).unwrap();
        assert_eq!(stored["alert"], "datadog:monitor:1|host:a,model:chat");
        stored.as_object_mut().unwrap().remove("alert");
        let read: Silence = serde_json::from_value(stored).unwrap();
        assert_eq!(read.matchers, one.matchers);
        assert_eq!(read.alert, None);
    }

    #[test]
    fn the_same_silence_asked_again_within_the_window_repeats_it_and_any_difference_does_not() {
        let m = |s: &str| vec![s.parse::<Matcher>().unwrap()];
        let first = Silence::new(m("model=chat"), t(100), t(7300), "ci", "v8", t(100)).unwrap();
        // The retry, 30 s later: everything shifted by 30 s.
        let retry = Silence::new(m("model=chat"), t(130), t(7330), "ci", "v8", t(130)).unwrap();
        assert!(retry.repeats(&first, 120));
        assert!(!retry.repeats(&first, 20));
        let later = Silence::new(m("model=chat"), t(400), t(7600), "ci", "v8", t(400)).unwrap();
        assert!(
            !later.repeats(&first, 120),
            "five minutes on, a new silence"
        );
        for other in [
            Silence::new(m("model=chat2"), t(130), t(7330), "ci", "v8", t(130)),
            Silence::new(m("model=chat"), t(130), t(3730), "ci", "v8", t(130)),
            Silence::new(m("model=chat"), t(130), t(7330), "ana", "v8", t(130)),
            Silence::new(m("model=chat"), t(130), t(7330), "ci", "v9", t(130)),
        ] {
            assert!(!other.unwrap().repeats(&first, 120));
        }
    }

    #[test]
    fn a_repeat_has_its_request_key_and_another_request_another() {
        let m = |s: &str| {
            s.split(',')
                .map(|m| m.parse::<Matcher>().unwrap())
                .collect()
        };
        let first = Silence::new(
            m("model=chat,env=prod"),
            t(100),
            t(7300),
            "ci",
            "v8",
            t(100),
        );
        let first = first.unwrap();
        let retry = Silence::new(
            m("env=prod,model=chat"),
            t(130),
            t(3730),
            "ci",
            "v8",
            t(130),
        );
        assert_eq!(retry.unwrap().request_key(), first.request_key());
        for other in [
            Silence::new(m("model=chat"), t(130), t(7330), "ci", "v8", t(130)),
            Silence::new(
                m("model=chat,env=prod"),
                t(130),
                t(7330),
                "civ8",
                "",
                t(130),
            ),
            Silence::new(
                m("model=chat,env=prod"),
                t(130),
                t(7330),
                "",
                "civ8",
                t(130),
            ),
            Silence::new(
                m("model=chat,env=prod"),
                t(130),
                t(7330),
                "ci",
                "v9",
                t(130),
            ),
        ] {
            assert_ne!(other.unwrap().request_key(), first.request_key());
        }
    }

    #[test]
    fn a_silence_needs_matchers_an_end_after_its_start_and_now_and_a_bounded_length() {
        let m = vec!["model=chat".parse().unwrap()];
        assert!(Silence::new(m.clone(), t(100), t(200), "ana", "", t(50)).is_ok());
        assert_eq!(
            Silence::new(vec![], t(100), t(200), "ana", "", t(50)).unwrap_err(),
            SilenceError::NoMatchers
        );
        assert!(matches!(
            Silence::new(m.clone(), t(200), t(100), "ana", "", t(50)),
            Err(SilenceError::EndsBeforeStart { .. })
        ));
        assert!(matches!(
            Silence::new(m.clone(), t(0), t(10), "ana", "", t(50)),
            Err(SilenceError::AlreadyOver { .. })
        ));
        assert!(matches!(
            Silence::new(m.clone(), t(0), t(100 * 86_400), "ana", "", t(50)),
            Err(SilenceError::TooLong { days: 100 })
        ));
        let far = 400 * 86_400;
        assert!(matches!(
            Silence::new(m, t(far), t(far + 3600), "ana", "", t(50)),
            Err(SilenceError::StartsTooLate { days: 399 })
        ));
    }

    #[test]
    fn ids_are_checked_and_round_trip() {
        let id = SilenceId::generate(t(5));
        assert_eq!(SilenceId::new(id.as_str()).unwrap(), id);
        assert!(SilenceId::new("../etc").is_err());
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<SilenceId>(&json).unwrap(), id);
    }
}
