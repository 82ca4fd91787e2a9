//! The alert history: one entry per applied signal, with the alert's cycle as it stood
//! after it. Reports compute MTTD, MTTA, MTTR and accuracy from it.

use serde::{Deserialize, Serialize};

use super::{
    ActionName, Alert, AlertKey, Level, Mark, ModelRef, SignalName, Source, Status, Timestamp,
};

/// One applied signal, as the reports and `modelwatch alerts` see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub alert_key: AlertKey,
    pub at: Timestamp,
    /// The alert's version after this signal: the order its writes were made in, which
    /// `at` is not (the evaluator dates a write at the minute it evaluated, the clock and
    /// the intake at the moment they write).
    pub version: u64,
    pub signal: SignalName,
    pub source: Source,
    pub outcome: HistoryOutcome,
    pub status: Status,
    pub level: Level,
    pub cycle: u32,
    pub actions: Vec<ActionName>,
    pub ttl: i64,
    /// The alert's cycle as it stood after this signal: what reports compute MTTx from.
    pub snapshot: CycleSnapshot,
}

/// One alert cycle's facts, copied onto every history entry so that the last entry of a
/// cycle in a period says everything the reports need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CycleSnapshot {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelRef>,
    #[serde(default)]
    pub monitor_id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    pub level: Level,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_breach_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<Mark>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub false_positive: Option<Mark>,
    #[serde(default)]
    pub flapping: bool,
}

impl From<&Alert> for CycleSnapshot {
    fn from(a: &Alert) -> Self {
        Self {
            model: a.context.model.clone(),
            monitor_id: a.context.monitor.id.clone(),
            title: a.context.title.clone(),
            environment: a.context.environment.clone(),
            level: a.level,
            first_breach_at: a.first_breach_at,
            opened_at: a.opened_at,
            detected_at: a.detected_at,
            acknowledged: a.acknowledged.clone(),
            resolved_at: a.resolved_at,
            false_positive: a.false_positive.clone(),
            flapping: a.is_flapping(),
        }
    }
}

/// What applying the signal came to, as history keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryOutcome {
    Applied,
    Duplicate,
    Stale,
    /// Valid, but nothing to do in the alert's state; why.
    Ignored(String),
}

impl HistoryOutcome {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Applied => "applied",
            Self::Duplicate => "duplicate",
            Self::Stale => "stale",
            Self::Ignored(why) => why,
        }
    }

    /// The stored form back (`as_str`): anything but the three words is a reason.
    pub fn parse(text: &str) -> Self {
        match text {
            "applied" => Self::Applied,
            "duplicate" => Self::Duplicate,
            "stale" => Self::Stale,
            why => Self::Ignored(why.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// History stores `as_str` and reads the words back through serde: they must agree.
    #[test]
    fn stored_names_read_back_as_the_same_enums() {
        fn back<T: serde::de::DeserializeOwned>(word: &str) -> T {
            serde_json::from_value(serde_json::Value::String(word.into())).unwrap()
        }
        for s in [
            Source::Datadog,
            Source::Evaluator,
            Source::Prober,
            Source::Slack,
            Source::PagerDuty,
            Source::Clock,
            Source::Operator,
        ] {
            assert_eq!(back::<Source>(s.as_str()), s);
        }
        for n in [
            SignalName::Triggered,
            SignalName::ReTriggered,
            SignalName::ReNoData,
            SignalName::FalsePositive,
            SignalName::Unacknowledged,
            SignalName::Reopened,
            SignalName::Tick,
        ] {
            assert_eq!(back::<SignalName>(n.as_str()), n);
        }
        for a in [
            ActionName::Page,
            ActionName::Unacknowledge,
            ActionName::Reopen,
            ActionName::FlappingStarted,
        ] {
            assert_eq!(back::<ActionName>(a.as_str()), a);
        }
        // A name a newer version stored is read, not refused (after going back a version).
        assert_eq!(back::<SignalName>("reassigned"), SignalName::Other);
        assert_eq!(back::<ActionName>("page_twice"), ActionName::Other);
        for s in [Status::Open, Status::Acknowledged, Status::Resolved] {
            assert_eq!(back::<Status>(s.as_str()), s);
        }
        for l in [Level::L1, Level::L2, Level::L3] {
            assert_eq!(back::<Level>(l.as_str()), l);
        }
        for o in ["applied", "duplicate", "stale", "already resolved"] {
            assert_eq!(HistoryOutcome::parse(o).as_str(), o);
        }
    }
}
