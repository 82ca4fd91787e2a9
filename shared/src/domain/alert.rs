//! The alert: one correlated incident of one monitor on one group, across its cycles.

use serde::{Deserialize, Serialize};

use super::{
    AlertContext, AlertKey, BreachState, EscalationPolicy, Level, OwedAction, SignalId, Timestamp,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub key: AlertKey,
    /// How many times this alert has opened; 0 means never (only a recovery was seen).
    pub cycle: u32,
    pub status: Status,
    /// The monitor's latest reported state.
    pub state: MonitorState,
    pub level: Level,
    /// The highest level this cycle's breaches asked for, before a policy capped it: time
    /// policies judge the alert by it, not by a level its escalation reached. (None on an
    /// alert stored before it was kept: its level stands in.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breach_level: Option<Level>,
    pub context: AlertContext,
    pub policy: EscalationPolicy,
    /// The source time of the signal that opened the current cycle (onset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<Timestamp>,
    /// When we learned of the onset; MTTD is `detected_at - first_breach_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_breach_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<Mark>,
    /// When the cycle's acknowledgement last ran out, or its incident was last handed on or
    /// reopened (source time), whether or not it was acknowledged then: an acknowledgement
    /// made before that, arriving after it, is over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unacknowledged_at: Option<Timestamp>,
    /// When a person last reopened the cycle's incident in PagerDuty (source time): a
    /// resolve there made before that, arriving after it, is over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reopened_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub false_positive: Option<Mark>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silence: Option<Muted>,
    /// When the current level was reached (processing time): the escalation timeout runs from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_since: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_notified_at: Option<Timestamp>,
    #[serde(default)]
    pub flapping: Flapping,
    /// Notifications held back by a silence, to be summed up when it ends.
    #[serde(default)]
    pub held: u32,
    /// The level a worsening held back (by a silence, or while flapping) asked for: paged
    /// when that ends even if someone acknowledged the alert meanwhile (a new severity is
    /// news to them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_worsening: Option<Level>,
    /// The newest monitor signal applied: older or equal ones are stale or duplicates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark: Option<Watermark>,
    /// Ids of the last people's signals seen (acknowledge, silence, ...), for duplicates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seen: Vec<SignalId>,
    /// Processing time of the last change: a clock tick at or before it has nothing to add
    /// (a repeated tick arrives after the changes its first delivery saw).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_at: Option<Timestamp>,
    /// Optimistic-locking version: the store writes only if it still holds this one.
    pub version: u64,
    /// The sequence number the next owed action gets.
    pub next_seq: u64,
    /// Actions owed and not yet delivered (the outbox the escalator drains).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owed: Vec<OwedAction>,
    #[serde(default)]
    pub deliveries: Deliveries,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Acknowledged,
    Resolved,
}

impl Status {
    pub fn is_open(self) -> bool {
        self != Status::Resolved
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Acknowledged => "acknowledged",
            Status::Resolved => "resolved",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonitorState {
    Ok,
    NoData,
    Warn,
    Alert,
}

impl MonitorState {
    pub fn is_firing(self) -> bool {
        self != MonitorState::Ok
    }
}

impl From<BreachState> for MonitorState {
    fn from(b: BreachState) -> Self {
        match b {
            BreachState::NoData => MonitorState::NoData,
            BreachState::Warn => MonitorState::Warn,
            BreachState::Alert => MonitorState::Alert,
        }
    }
}

/// Who did something, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub by: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
/// The silence an alert is under: who muted it, until when.
pub struct Muted {
    pub by: String,
    pub until: Timestamp,
    /// The silencing signal's time and id, so an older silence never replaces a newer one.
    pub set_at: Timestamp,
    pub set_by_signal: SignalId,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flapping {
    /// Source times of recent monitor state changes, within the flap window.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Timestamp>,
    /// Notifications held back while flapping.
    #[serde(default)]
    pub held: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Watermark {
    pub at: Timestamp,
    pub id: SignalId,
}

/// What has been delivered where. Only the escalator writes this; the lifecycle never
/// touches it, so a late delivery for an earlier cycle still finds its Slack thread.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deliveries {
    /// The cycle these deliveries belong to.
    #[serde(default)]
    pub cycle: u32,
    /// The first message of that cycle in each channel: follow-ups go in its thread, and
    /// it is updated as the alert changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slack: Vec<SlackThread>,
    /// PagerDuty services paged that cycle (routing-key names), or whose trigger may have
    /// reached them though it failed; none: never resolved there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paged: Vec<String>,
    /// A delivery under way, so the escalation clock's retry does not send it twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<Claim>,
    /// Services a later cycle's trigger may have reached while these deliveries were still
    /// an earlier cycle's (sent behind that cycle's action, it failed in a way that may
    /// have gone): that cycle's acknowledge and resolve go to them. Kept here, not on the
    /// page, so that a silence still holds the page back without losing them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paged_ahead: Vec<PagedAhead>,
}

/// A PagerDuty service (routing-key name) a later cycle's trigger may have reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PagedAhead {
    pub cycle: u32,
    pub service: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlackThread {
    /// The channel as configured (`#ml-alerts` or an ID), to match routes.
    pub channel: String,
    /// The channel's ID as Slack answered it: `chat.update` needs the ID.
    pub channel_id: String,
    pub ts: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub seq: u64,
    pub until: Timestamp,
    /// The delivery holding it (a random number of its own, never 0): two deliveries that
    /// claim in the same millisecond write equal `seq` and `until`, and only this tells
    /// the one whose write landed. 0: a claim written before holders were recorded.
    #[serde(default)]
    pub holder: u64,
}

impl Claim {
    /// Whether this claim holds action `seq` at `now`: a claim ends at `until`.
    pub fn holds(&self, seq: u64, now: Timestamp) -> bool {
        self.seq == seq && self.until > now
    }
}

impl Alert {
    /// The alert before anything happened to it: never opened, nothing owed.
    pub fn blank(key: AlertKey) -> Self {
        Self {
            key,
            cycle: 0,
            status: Status::Resolved,
            state: MonitorState::Ok,
            level: Level::L1,
            breach_level: None,
            context: AlertContext::default(),
            policy: EscalationPolicy::default(),
            opened_at: None,
            detected_at: None,
            first_breach_at: None,
            acknowledged: None,
            unacknowledged_at: None,
            reopened_at: None,
            resolved_at: None,
            resolved_by: None,
            false_positive: None,
            silence: None,
            level_since: None,
            last_notified_at: None,
            flapping: Flapping::default(),
            held: 0,
            held_worsening: None,
            watermark: None,
            seen: Vec::new(),
            changed_at: None,
            version: 0,
            next_seq: 1,
            owed: Vec::new(),
            deliveries: Deliveries::default(),
        }
    }

    pub fn is_flapping(&self) -> bool {
        self.flapping.since.is_some()
    }

    pub fn is_silenced(&self, at: Timestamp) -> bool {
        self.silence.as_ref().is_some_and(|s| s.until > at)
    }

    /// Whether the DynamoDB item exists yet.
    pub fn is_stored(&self) -> bool {
        self.version > 0
    }
}
