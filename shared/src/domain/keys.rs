//! Identifiers built by fallible constructors, so a malformed one cannot travel inward.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// A value that does not have the form its type requires.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} {received:?}: expected {expected}")]
pub struct InvalidValue {
    pub what: &'static str,
    pub received: String,
    pub expected: &'static str,
}

impl InvalidValue {
    pub fn new(what: &'static str, received: &str, expected: &'static str) -> Self {
        // Never echo a huge value back into a log line or an HTTP answer.
        let received = received.chars().take(120).collect();
        Self {
            what,
            received,
            expected,
        }
    }
}

fn checked(
    what: &'static str,
    value: &str,
    max: usize,
    expected: &'static str,
) -> Result<String, InvalidValue> {
    let ok = !value.is_empty()
        && value.len() <= max
        && !value.chars().any(char::is_control)
        && value.trim() == value;
    if ok {
        Ok(value.to_owned())
    } else {
        Err(InvalidValue::new(what, value, expected))
    }
}

macro_rules! string_key {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:literal, $expected:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl AsRef<str>) -> Result<Self, InvalidValue> {
                checked($what, value.as_ref(), $max, $expected).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::new(raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_key!(
    /// What correlates every notification of one alert: Datadog's cycle key, or monitor
    /// id plus group, or the evaluator's monitor and group.
    AlertKey,
    "alert key",
    400,
    "1 to 400 characters without control characters or surrounding spaces"
);

string_key!(
    /// One delivery of one signal. A retry of the same delivery carries the same id.
    SignalId,
    "signal id",
    256,
    "1 to 256 characters without control characters or surrounding spaces"
);

/// What marks an id made from a delivery's bytes: `{source}:sha256:{hex}`.
const BODY_DIGEST: &str = ":sha256:";

impl SignalId {
    /// The id of a delivery whose sender names none (a Datadog template without `$ID`):
    /// the SHA-256 of its bytes, which a retry sends again.
    pub fn of_body(source: &str, body: &[u8]) -> Result<Self, InvalidValue> {
        use sha2::{Digest, Sha256};
        Self::new(format!(
            "{source}{BODY_DIGEST}{}",
            hex::encode(Sha256::digest(body))
        ))
    }

    /// Made by `of_body`: the same bytes may come again as a new delivery (a template
    /// without `$ID` or `$DATE` sends each cycle's trigger alike), so such an id tells
    /// retries apart only within one alert cycle.
    pub fn is_of_body(&self) -> bool {
        self.0.split_once(BODY_DIGEST).is_some_and(|(source, hex)| {
            !source.is_empty() && hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())
        })
    }
}

/// A model by name, and the version when known.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ModelRef {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<String>,
}

impl ModelRef {
    pub fn new(name: &str, version: Option<&str>) -> Result<Self, InvalidValue> {
        const EXPECTED: &str = "1 to 200 characters without spaces or control characters";
        let valid = |s: &str| {
            !s.is_empty()
                && s.len() <= 200
                && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        };
        if !valid(name) {
            return Err(InvalidValue::new("model name", name, EXPECTED));
        }
        if let Some(v) = version.filter(|v| !valid(v)) {
            return Err(InvalidValue::new("model version", v, EXPECTED));
        }
        Ok(Self {
            name: name.to_owned(),
            version: version.map(str::to_owned),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.version {
            Some(v) => write!(f, "{}@{}", self.name, v),
            None => f.write_str(&self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_key_refuses_empty_padded_and_control_characters() {
        assert!(AlertKey::new("monitor:42|model:chat").is_ok());
        for bad in ["", " x", "x ", "a\nb", &"k".repeat(401)] {
            let err = AlertKey::new(bad).unwrap_err();
            assert_eq!(err.what, "alert key");
        }
    }

    #[test]
    fn invalid_value_message_names_what_and_expectation() {
        let err = ModelRef::new("chat bot", None).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("model name"), "{text}");
        assert!(text.contains("\"chat bot\""), "{text}");
        assert!(text.contains("expected"), "{text}");
    }

    #[test]
    fn an_id_made_from_a_body_is_told_from_a_senders_own() {
        let of_body = SignalId::of_body("datadog", b"{}").unwrap();
        assert_eq!(
            of_body.as_str(),
            "datadog:sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert!(of_body.is_of_body());
        for own in [
            "datadog:5485379890863845239",
            "datadog:sha256:abc",
            "sha256:",
        ] {
            assert!(!SignalId::new(own).unwrap().is_of_body(), "{own}");
        }
    }

    #[test]
    fn deserializing_checks_the_same_rules() {
        let err = serde_json::from_str::<AlertKey>("\"\"").unwrap_err();
        assert!(err.to_string().contains("alert key"));
    }
}
