//! Actions: the deliveries a committed alert state owes to Slack and PagerDuty.

use serde::{Deserialize, Serialize};

use super::{Level, Timestamp};

/// Why an alert is paged at a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageReason {
    /// A new alert cycle.
    Opened,
    /// The monitor got worse (for example warn to alert).
    Worsened,
    /// Nobody acknowledged it within the level's timeout.
    Unanswered,
    /// A silence ended while it was still firing.
    SilenceEnded,
    /// It stopped flapping and is still firing.
    FlappingEnded,
}

/// What the escalator must deliver. Channel-agnostic: the escalation policy maps a level
/// to Slack channels and PagerDuty services.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    Page {
        level: Level,
        reason: PageReason,
    },
    Renotify {
        level: Level,
    },
    Acknowledge {
        by: String,
        /// The acknowledgement is another PagerDuty incident's (a merge): the threads hear
        /// of it, PagerDuty is not told.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        answered_elsewhere: bool,
    },
    /// Nobody is on it any more (`by`: why, and where: the acknowledgement timed out, or the
    /// incident was handed on to others who have not acknowledged it); escalation goes on
    /// from the alert's level.
    Unacknowledge {
        by: String,
    },
    /// `open_secs` is how long the cycle was open, for "recovered after 23 min".
    Resolve {
        by: Option<String>,
        open_secs: u64,
    },
    /// A person reopened the incident they had resolved, the monitor still firing: the
    /// alert is open again.
    Reopen {
        by: String,
    },
    /// A note in the alert's thread (false positive, silence).
    Note {
        text: String,
    },
    /// One summary instead of a page per change while flapping.
    FlappingStarted {
        changes: u32,
        window_secs: u64,
    },
    /// An action a newer version stored, read by this one (after going back a version):
    /// it has nothing to deliver for it, and the alert is still read.
    #[serde(other)]
    Unknown,
}

impl Action {
    /// Whether it pages or posts anew, which a silence holds back; notes,
    /// acknowledgements and resolves still follow up where the alert was announced.
    pub fn held_by_silence(&self) -> bool {
        matches!(
            self,
            Action::Page { .. } | Action::Renotify { .. } | Action::FlappingStarted { .. }
        )
    }

    pub fn name(&self) -> &'static str {
        self.action_name().as_str()
    }

    pub fn action_name(&self) -> ActionName {
        match self {
            Action::Page { .. } => ActionName::Page,
            Action::Renotify { .. } => ActionName::Renotify,
            Action::Acknowledge { .. } => ActionName::Acknowledge,
            Action::Unacknowledge { .. } => ActionName::Unacknowledge,
            Action::Resolve { .. } => ActionName::Resolve,
            Action::Reopen { .. } => ActionName::Reopen,
            Action::Note { .. } => ActionName::Note,
            Action::FlappingStarted { .. } => ActionName::FlappingStarted,
            Action::Unknown => ActionName::Other,
        }
    }
}

/// The kinds of action by name (what history stores).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionName {
    Page,
    Renotify,
    Acknowledge,
    Unacknowledge,
    Resolve,
    Reopen,
    Note,
    FlappingStarted,
    /// A name a newer version stored.
    #[serde(other)]
    Other,
}

impl ActionName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Page => "page",
            Self::Renotify => "renotify",
            Self::Acknowledge => "acknowledge",
            Self::Unacknowledge => "unacknowledge",
            Self::Resolve => "resolve",
            Self::Reopen => "reopen",
            Self::Note => "note",
            Self::FlappingStarted => "flapping_started",
            Self::Other => "other",
        }
    }
}

/// An action the alert owes, numbered so a delivery can be recorded exactly once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwedAction {
    pub seq: u64,
    pub cycle: u32,
    pub created_at: Timestamp,
    pub action: Action,
    /// Steps of this action already delivered (`slack:C0123`, `pagerduty:oncall`), so a
    /// retry sends only what is left; and the marks `OwedAction::SENDING`,
    /// `OwedAction::SLACK_FINISHED`, `OwedAction::SLACK_BEHIND` and `paged:…`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub done: Vec<String>,
}

impl OwedAction {
    /// The mark, among `done`, of an action about to go: written by a delivery before it
    /// sends a page behind the action it holds the claim of (`escalation::mark_sending`).
    pub const SENDING: &'static str = "sending";

    /// The mark, among `done`, of an action whose Slack steps have all gone while an
    /// action ahead of it waits for PagerDuty, written before an action behind it sends
    /// its Slack steps (`escalation::mark_slack_behind`): the threads those start are not
    /// this action's to tell.
    pub const SLACK_FINISHED: &'static str = "slack:finished";

    /// The mark, among `done`, of an action whose Slack steps a delivery began to send
    /// behind the action ahead of it (`escalation::mark_slack_behind`): a post of it may
    /// be in a channel unrecorded, so a later delivery looks before posting.
    pub const SLACK_BEHIND: &'static str = "slack:behind";

    /// Whether a step of it was recorded (the marks are not steps).
    pub fn recorded_any(&self) -> bool {
        self.done.iter().any(|d| {
            ![Self::SENDING, Self::SLACK_FINISHED, Self::SLACK_BEHIND].contains(&d.as_str())
        })
    }

    /// Whether it has `mark` among `done`.
    pub fn has_mark(&self, mark: &str) -> bool {
        self.done.iter().any(|d| d == mark)
    }

    /// Whether a delivery marked it about to go.
    pub fn marked_sending(&self) -> bool {
        self.done.iter().any(|d| d == Self::SENDING)
    }
}
