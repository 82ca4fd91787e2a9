//! Slack identifiers: a channel and a message timestamp (`ts`, which names a message).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::domain::InvalidValue;

/// A channel ID (`C0123ABCD`) or name (`#ml-alerts`): 1 to 80 characters, no spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ChannelId(String);

impl ChannelId {
    pub fn new(id: impl AsRef<str>) -> Result<Self, InvalidValue> {
        let id = id.as_ref();
        let count = id.chars().count();
        if (1..=80).contains(&count) && !id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Ok(Self(id.to_owned()))
        } else {
            Err(InvalidValue::new(
                "Slack channel",
                id,
                "a channel ID such as C0123ABCD or a name such as #ml-alerts (1 to 80 characters, no spaces)",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a conversation ID (`C0123ABCD`, `G…`, `D…`, `Z…`: a capital and
    /// capitals or digits). Channel names are lower case, so a name never looks like one.
    pub fn is_id(&self) -> bool {
        let mut chars = self.0.chars();
        chars
            .next()
            .is_some_and(|c| matches!(c, 'C' | 'G' | 'D' | 'Z'))
            && self.0.len() > 1
            && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    }

    /// The name without its `#` (`ml-alerts` for `#ml-alerts`).
    pub fn name(&self) -> &str {
        self.0.trim_start_matches('#')
    }
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ChannelId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A message's `ts` (`1764302400.000100`): how threads and `chat.update` name a message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct MessageTs(String);

impl MessageTs {
    pub fn new(ts: impl AsRef<str>) -> Result<Self, InvalidValue> {
        let ts = ts.as_ref();
        let valid = ts.split_once('.').is_some_and(|(secs, frac)| {
            !secs.is_empty()
                && !frac.is_empty()
                && secs.chars().all(|c| c.is_ascii_digit())
                && frac.chars().all(|c| c.is_ascii_digit())
        });
        if valid {
            Ok(Self(ts.to_owned()))
        } else {
            Err(InvalidValue::new(
                "Slack message ts",
                ts,
                "seconds.fraction, such as 1764302400.000100",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MessageTs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for MessageTs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_ids_and_names_are_accepted_spaces_are_not() {
        assert!(ChannelId::new("C0123ABCD").is_ok());
        assert!(ChannelId::new("#ml-alerts").is_ok());
        assert!(ChannelId::new("ml alerts").is_err());
        assert!(ChannelId::new("").is_err());
    }

    #[test]
    fn ids_are_told_from_names() {
        for id in ["C0123ABCD", "G0PRIVATE1", "D024BE91L", "Z0SHARED12"] {
            assert!(ChannelId::new(id).unwrap().is_id(), "{id}");
        }
        for name in [
            "#ml-alerts",
            "ml-alerts",
            "c0123abcd",
            "general",
            "C",
            "#C0123ABCD",
        ] {
            assert!(!ChannelId::new(name).unwrap().is_id(), "{name}");
        }
        assert_eq!(ChannelId::new("#ml-alerts").unwrap().name(), "ml-alerts");
    }

    #[test]
    fn ts_is_seconds_dot_fraction() {
        assert!(MessageTs::new("1764302400.000100").is_ok());
        for bad in ["", "1764302400", "abc.def", ".000100", "1764302400."] {
            assert!(MessageTs::new(bad).is_err(), "{bad}");
        }
    }
}
