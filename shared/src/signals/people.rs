//! What people do, from Slack and PagerDuty, as signals: acknowledged, marked a false
//! positive, silenced, resolved. The id names the delivery that told us, so a retried
//! delivery is a duplicate.

use crate::domain::{AlertKey, InvalidValue, Signal, SignalId, SignalKind, Source, Timestamp};

/// Where a person's action came from: the source, and the delivery's own id there (a
/// Slack action's timestamp, user and action; a PagerDuty webhook event's id).
#[derive(Debug, Clone)]
pub struct Origin {
    pub source: Source,
    pub delivery: String,
}

impl Origin {
    pub fn slack(delivery: impl Into<String>) -> Self {
        Self {
            source: Source::Slack,
            delivery: delivery.into(),
        }
    }

    pub fn pagerduty(delivery: impl Into<String>) -> Self {
        Self {
            source: Source::PagerDuty,
            delivery: delivery.into(),
        }
    }

    fn signal(
        &self,
        key: &AlertKey,
        at: Timestamp,
        kind: SignalKind,
    ) -> Result<Signal, InvalidValue> {
        let prefix = match self.source {
            Source::PagerDuty => "pagerduty",
            other => other.as_str(),
        };
        Ok(Signal {
            id: SignalId::new(format!("{prefix}:{}", self.delivery))?,
            key: key.clone(),
            at,
            source: self.source,
            kind,
        })
    }
}

/// `by` acknowledged cycle `cycle` (or the current one) of the alert.
pub fn acknowledged(
    origin: &Origin,
    key: &AlertKey,
    at: Timestamp,
    by: &str,
    cycle: Option<u32>,
) -> Result<Signal, InvalidValue> {
    acknowledgement(origin, key, at, by, cycle, false)
}

/// `by` merged cycle `cycle`'s PagerDuty incident into another, which answers it now: the
/// alert is acknowledged, and PagerDuty not told (`SignalKind::Acknowledged`).
pub fn merged_away(
    origin: &Origin,
    key: &AlertKey,
    at: Timestamp,
    by: &str,
    cycle: Option<u32>,
) -> Result<Signal, InvalidValue> {
    acknowledgement(origin, key, at, by, cycle, true)
}

fn acknowledgement(
    origin: &Origin,
    key: &AlertKey,
    at: Timestamp,
    by: &str,
    cycle: Option<u32>,
    answered_elsewhere: bool,
) -> Result<Signal, InvalidValue> {
    let kind = SignalKind::Acknowledged {
        by: by.to_owned(),
        cycle,
        answered_elsewhere,
    };
    origin.signal(key, at, kind)
}

/// The acknowledgement of cycle `cycle` (or the current one) ran out at `by`.
pub fn unacknowledged(
    origin: &Origin,
    key: &AlertKey,
    at: Timestamp,
    by: &str,
    cycle: Option<u32>,
) -> Result<Signal, InvalidValue> {
    let kind = SignalKind::Unacknowledged {
        by: by.to_owned(),
        cycle,
    };
    origin.signal(key, at, kind)
}

/// `by` reopened the incident of cycle `cycle` (or the current one) they had resolved.
pub fn reopened(
    origin: &Origin,
    key: &AlertKey,
    at: Timestamp,
    by: &str,
    cycle: Option<u32>,
) -> Result<Signal, InvalidValue> {
    let kind = SignalKind::Reopened {
        by: by.to_owned(),
        cycle,
    };
    origin.signal(key, at, kind)
}

/// `by` marked cycle `cycle` (or the current one) a false positive.
pub fn false_positive(
    origin: &Origin,
    key: &AlertKey,
    at: Timestamp,
    by: &str,
    cycle: Option<u32>,
) -> Result<Signal, InvalidValue> {
    let kind = SignalKind::FalsePositive {
        by: by.to_owned(),
        cycle,
    };
    origin.signal(key, at, kind)
}

/// `by` silenced the alert until `until`.
pub fn silenced(
    origin: &Origin,
    key: &AlertKey,
    at: Timestamp,
    by: &str,
    until: Timestamp,
) -> Result<Signal, InvalidValue> {
    let kind = SignalKind::Silenced {
        by: by.to_owned(),
        until,
    };
    origin.signal(key, at, kind)
}

/// `by` resolved cycle `cycle` (or the current one) of the alert (in PagerDuty).
pub fn resolved(
    origin: &Origin,
    key: &AlertKey,
    at: Timestamp,
    by: &str,
    cycle: Option<u32>,
) -> Result<Signal, InvalidValue> {
    let kind = SignalKind::Resolved {
        by: by.to_owned(),
        cycle,
    };
    origin.signal(key, at, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_the_source_and_the_delivery() {
        let key = AlertKey::new("m|chat").unwrap();
        let at = Timestamp::from_secs(1);
        let s = acknowledged(&Origin::slack("1.2:U1:ack"), &key, at, "ana", Some(2)).unwrap();
        assert_eq!(s.id.as_str(), "slack:1.2:U1:ack");
        assert_eq!(s.source, Source::Slack);
        let p = resolved(&Origin::pagerduty("01ABC"), &key, at, "bo", Some(1)).unwrap();
        assert_eq!(p.id.as_str(), "pagerduty:01ABC");
    }
}
