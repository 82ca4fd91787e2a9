//! The context a page carries beyond the alert itself: runbook, dashboard, deployments.

use serde::{Deserialize, Serialize};

use crate::domain::{ModelRef, Timestamp};

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

/// What configuration and recent history add to a page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageContext {
    /// The monitor's runbook, and its first steps to try.
    pub runbook_url: Option<String>,
    pub steps: Vec<String>,
    pub dashboard_url: Option<String>,
    /// The model's owning team, as the configuration names it.
    pub team: Option<String>,
    /// Deployments of this model in the 24 hours before onset, newest first.
    pub deployments: Vec<Deployment>,
}
