//! Silences made by people: alerts of one monitor on one model held back until a time.

use serde::{Deserialize, Serialize};

use super::Timestamp;

/// Alerts of one monitor on one model are silenced until `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SilenceRecord {
    pub model: String,
    pub monitor: String,
    pub until: Timestamp,
    pub by: String,
    pub set_at: Timestamp,
}
