//! The routing key (a secret naming the PagerDuty service) and the dedup key of an alert.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::domain::InvalidValue;
use crate::secret::Secret;

/// A PagerDuty integration's routing key: 32 characters, held as a secret. Its errors
/// give the length received, never the value.
#[derive(Clone, PartialEq, Eq)]
pub struct RoutingKey(Secret);

impl RoutingKey {
    pub const LEN: usize = 32;

    pub fn new(key: Secret) -> Result<Self, InvalidValue> {
        let text = key.expose();
        let count = text.chars().count();
        if count == Self::LEN && text.chars().all(|c| c.is_ascii_alphanumeric()) {
            Ok(Self(key))
        } else {
            let described = format!("[redacted, {count} characters]");
            Err(InvalidValue::new(
                "PagerDuty routing key",
                &described,
                "32 letters and digits (the integration key of an Events API v2 service)",
            ))
        }
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Debug for RoutingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RoutingKey([redacted])")
    }
}

/// What ties every event of one alert together: the same key updates the open alert,
/// acknowledges and resolves it. 1 to 255 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct DedupKey(String);

impl DedupKey {
    pub const MAX_CHARS: usize = 255;

    pub fn new(key: impl AsRef<str>) -> Result<Self, InvalidValue> {
        let key = key.as_ref();
        let count = key.chars().count();
        if (1..=Self::MAX_CHARS).contains(&count) && !key.chars().any(char::is_control) {
            Ok(Self(key.to_owned()))
        } else {
            Err(InvalidValue::new(
                "PagerDuty dedup_key",
                key,
                "1 to 255 characters without control characters",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DedupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for DedupKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_key_must_be_32_characters_and_never_echoes_itself() {
        assert!(RoutingKey::new(Secret::new("e93facc04764012d7bfb002500d5d1a6")).is_ok());
        let err = RoutingKey::new(Secret::new("short-secret-value")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("18 characters"), "{text}");
        assert!(!text.contains("short-secret-value"), "{text}");
        assert!(!format!("{err:?}").contains("short-secret-value"));
    }

    #[test]
    fn routing_key_debug_is_redacted() {
        let key = RoutingKey::new(Secret::new("e93facc04764012d7bfb002500d5d1a6")).unwrap();
        assert!(!format!("{key:?}").contains("e93facc"));
    }

    #[test]
    fn dedup_key_is_1_to_255_characters() {
        assert!(DedupKey::new("monitor:42|model:chat").is_ok());
        assert!(DedupKey::new("").is_err());
        assert!(DedupKey::new("k".repeat(256)).is_err());
        assert!(DedupKey::new("k".repeat(255)).is_ok());
    }
}
