//! A model deployment, as a deploy pipeline reports it: pages list a model's recent ones.

use serde::{Deserialize, Serialize};

use super::{ModelRef, Timestamp};

/// A model deployment, as recorded by `POST /deployments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    pub model: ModelRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}
