//! Signals: everything that can happen to an alert, from any source, as one type.

use serde::{Deserialize, Serialize};

use super::{AlertKey, Level, ModelRef, SignalId, Timestamp};

/// One thing that happened to one alert. Every source — a Datadog webhook, the evaluator,
/// a Slack button, a PagerDuty acknowledgement, the escalation clock — produces these, and
/// only `lifecycle::apply` turns them into alert state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// The delivery's identity: a retry of the same delivery carries the same id.
    pub id: SignalId,
    pub key: AlertKey,
    /// When it happened at the source (not when it reached us).
    pub at: Timestamp,
    pub source: Source,
    pub kind: SignalKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Datadog,
    Evaluator,
    /// The prober's synthetic test cases.
    Prober,
    Slack,
    PagerDuty,
    Clock,
    Operator,
}

impl Source {
    /// As stored and logged (serde's names).
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Datadog => "datadog",
            Source::Evaluator => "evaluator",
            Source::Prober => "prober",
            Source::Slack => "slack",
            Source::PagerDuty => "pager_duty",
            Source::Clock => "clock",
            Source::Operator => "operator",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SignalKind {
    /// The monitor is breaching (triggered, warn or no data). `repeat` marks Datadog's
    /// re-notifications (`Re-Triggered`, `Renotify`, ...): they remind, and they open the
    /// alert if its first notification never reached us.
    Breach {
        breach: Breach,
        repeat: bool,
    },
    /// The monitor recovered.
    Recovered {
        context: AlertContext,
    },
    /// A person resolved it (for example in PagerDuty). `cycle`, when the source knows it
    /// (the incident's dedup key), guards against closing a cycle opened since.
    Resolved {
        by: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cycle: Option<u32>,
    },
    /// `cycle`, when the source knows it (a button on a message), guards against
    /// acknowledging a newer cycle from an older page.
    Acknowledged {
        by: String,
        cycle: Option<u32>,
        /// Answered in another PagerDuty incident, this one merged into it: PagerDuty is
        /// not told, as its acknowledgement would land on that incident.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        answered_elsewhere: bool,
    },
    /// The acknowledgement ran out at the source (PagerDuty's acknowledgement timeout
    /// returned the incident to triggered): nobody is on it any more.
    Unacknowledged {
        by: String,
        cycle: Option<u32>,
    },
    FalsePositive {
        by: String,
        cycle: Option<u32>,
    },
    /// A person reopened the incident of `cycle` they had resolved (PagerDuty's
    /// `incident.reopened`) while its monitor still fires: the alert is open again, and
    /// its monitor's recovery resolves the incident.
    Reopened {
        by: String,
        cycle: Option<u32>,
    },
    Silenced {
        by: String,
        until: Timestamp,
    },
    /// The escalation clock: escalate unanswered alerts, renotify, end flapping.
    Tick {
        /// The escalation policy in force at the tick (time-of-day rules evaluated now,
        /// for the alert's current level); `None` keeps the one the alert has.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        policy: Option<EscalationPolicy>,
    },
}

impl SignalKind {
    pub fn name(&self) -> &'static str {
        self.signal_name().as_str()
    }

    /// What kind of signal this is, as logs and history name it.
    pub fn signal_name(&self) -> SignalName {
        match self {
            SignalKind::Breach { breach, repeat } => match (breach.state, repeat) {
                (BreachState::Alert, false) => SignalName::Triggered,
                (BreachState::Alert, true) => SignalName::ReTriggered,
                (BreachState::Warn, false) => SignalName::Warn,
                (BreachState::Warn, true) => SignalName::ReWarn,
                (BreachState::NoData, false) => SignalName::NoData,
                (BreachState::NoData, true) => SignalName::ReNoData,
            },
            SignalKind::Recovered { .. } => SignalName::Recovered,
            SignalKind::Resolved { .. } => SignalName::Resolved,
            SignalKind::Acknowledged { .. } => SignalName::Acknowledged,
            SignalKind::Unacknowledged { .. } => SignalName::Unacknowledged,
            SignalKind::FalsePositive { .. } => SignalName::FalsePositive,
            SignalKind::Reopened { .. } => SignalName::Reopened,
            SignalKind::Silenced { .. } => SignalName::Silenced,
            SignalKind::Tick { .. } => SignalName::Tick,
        }
    }
}

/// The kinds of signal by name (what history stores and reports count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignalName {
    Triggered,
    ReTriggered,
    Warn,
    ReWarn,
    NoData,
    ReNoData,
    Recovered,
    Resolved,
    Acknowledged,
    Unacknowledged,
    FalsePositive,
    Reopened,
    Silenced,
    Tick,
    /// A name a newer version stored (read after going back a version).
    #[serde(other)]
    Other,
}

impl SignalName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Triggered => "triggered",
            Self::ReTriggered => "re-triggered",
            Self::Warn => "warn",
            Self::ReWarn => "re-warn",
            Self::NoData => "no-data",
            Self::ReNoData => "re-no-data",
            Self::Recovered => "recovered",
            Self::Resolved => "resolved",
            Self::Acknowledged => "acknowledged",
            Self::Unacknowledged => "unacknowledged",
            Self::FalsePositive => "false-positive",
            Self::Reopened => "reopened",
            Self::Silenced => "silenced",
            Self::Tick => "tick",
            Self::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreachState {
    NoData,
    Warn,
    Alert,
}

/// A monitor breaching, with what the page must say and how it escalates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breach {
    pub state: BreachState,
    pub level: Level,
    /// The first breaching data point, when the source knows it (for MTTD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_breach_at: Option<Timestamp>,
    pub context: AlertContext,
    #[serde(default)]
    pub policy: EscalationPolicy,
}

/// What a page needs to be acted on from the page alone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertContext {
    #[serde(default)]
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelRef>,
    #[serde(default)]
    pub monitor: MonitorRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// Why it fired, in words ("p95 latency 2.8 s is 3.4σ above its baseline ...").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorRef {
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub text: String,
    pub url: String,
}

/// How an alert escalates, resolved from configuration when the alert opens and kept on
/// the alert, so the escalation clock needs nothing but the alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationPolicy {
    /// Seconds unacknowledged at L1 before moving to L2; `None` never escalates.
    #[serde(default)]
    pub l1_timeout_secs: Option<u64>,
    /// Seconds unacknowledged at L2 before moving to L3.
    #[serde(default)]
    pub l2_timeout_secs: Option<u64>,
    pub max_level: Level,
    /// Remind while open and unacknowledged.
    #[serde(default)]
    pub renotify_secs: Option<u64>,
    #[serde(default)]
    pub flapping: FlapPolicy,
}

impl EscalationPolicy {
    pub fn timeout_secs(&self, level: Level) -> Option<u64> {
        match level {
            Level::L1 => self.l1_timeout_secs,
            Level::L2 => self.l2_timeout_secs,
            Level::L3 => None,
        }
    }
}

impl Default for EscalationPolicy {
    fn default() -> Self {
        Self {
            l1_timeout_secs: None,
            l2_timeout_secs: Some(30 * 60),
            max_level: Level::L3,
            renotify_secs: None,
            flapping: FlapPolicy::default(),
        }
    }
}

/// `changes` state changes within `window_secs` make an alert flapping; it stops
/// flapping after a quiet `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlapPolicy {
    pub changes: u32,
    pub window_secs: u64,
}

impl Default for FlapPolicy {
    fn default() -> Self {
        Self {
            changes: 6,
            window_secs: 30 * 60,
        }
    }
}
