//! A group: one model, version and environment, as Datadog's series are grouped and as
//! monitors, routes and alerts refer to them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The group a series belongs to: which model, which version, which environment.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Group {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

impl Group {
    /// Datadog's value of a grouped-by tag that a series does not carry.
    pub const NOT_TAGGED: &'static str = "N/A";

    /// Whether the group's series carry no model tag: no model's, and Datadog's own
    /// monitors leave such groups out.
    pub fn is_untagged(&self) -> bool {
        self.model.as_deref() == Some(Self::NOT_TAGGED)
    }

    pub fn new(model: &str, version: Option<&str>, environment: Option<&str>) -> Self {
        Self {
            model: Some(model.to_owned()),
            version: version.map(str::to_owned),
            environment: environment.map(str::to_owned),
        }
    }

    /// The same group with the version replaced: where a rollout's stable series lives.
    pub fn with_version(&self, version: &str) -> Self {
        Self {
            version: Some(version.to_owned()),
            ..self.clone()
        }
    }

    /// Datadog-style tags for this group (`model:chat-large`, `model_version:v4`, `env:prod`).
    pub fn tags(&self) -> Vec<String> {
        let mut tags = Vec::new();
        if let Some(m) = &self.model {
            tags.push(format!("model:{m}"));
        }
        if let Some(v) = &self.version {
            tags.push(format!("model_version:{v}"));
        }
        if let Some(e) = &self.environment {
            tags.push(format!("env:{e}"));
        }
        tags
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tags = self.tags();
        if tags.is_empty() {
            f.write_str("*")
        } else {
            f.write_str(&tags.join(","))
        }
    }
}
