//! Subscriptions: who wants which report, or to be mentioned on which model's alerts.

use serde::{Deserialize, Serialize};

use super::Timestamp;

/// What a subscription is to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// The daily health check.
    Daily,
    /// The weekly executive report.
    Weekly,
    /// Alert messages: subscribers are mentioned in them.
    Alerts,
}

impl Topic {
    pub const ALL: [Topic; 3] = [Topic::Daily, Topic::Weekly, Topic::Alerts];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Daily => "daily",
            Topic::Weekly => "weekly",
            Topic::Alerts => "alerts",
        }
    }

    pub fn parse(text: &str) -> Option<Topic> {
        Topic::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(text))
    }
}

/// Somebody (a Slack user) who wants a report or alerts, for one model or all of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub topic: Topic,
    /// The Slack user ID (`U0123`): who is messaged or mentioned.
    pub subscriber: String,
    /// Their name as Slack gave it, for lists.
    pub name: String,
    /// The channel the subscription was made in.
    pub channel: String,
    /// `None`: every model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub created_at: Timestamp,
}
