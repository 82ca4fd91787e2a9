//! From a PagerDuty event to the signal it means for one alert cycle, or why it means none.

use modelwatch::domain::{AlertKey, InvalidValue, Signal};
use modelwatch::signals::{Origin, people};

use super::envelope::{EventKind, WebhookEvent};

/// What one webhook event asks of the store.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Apply `signal`; it is about the alert's `cycle` (a resolve of an earlier cycle's
    /// incident must not close a newer one).
    Apply { signal: Box<Signal>, cycle: u32 },
    /// Nothing to do, and why.
    Ignore(String),
}

/// The alert and cycle a dedup key of ours names (`modelwatch:{alert key}#{cycle}`, see
/// `modelwatch::page::dedup_key`). Keys too long for PagerDuty were hashed and cannot be
/// read back; incidents that other integrations opened are not ours.
pub fn alert_of(incident_key: &str) -> Result<(AlertKey, u32), String> {
    let Some(rest) = incident_key.strip_prefix("modelwatch:") else {
        return Err(format!(
            "incident_key {incident_key:?} was not opened by modelwatch"
        ));
    };
    if rest.starts_with("sha256:") {
        return Err(format!(
            "incident_key {incident_key:?} is a hashed alert key, which cannot be read back"
        ));
    }
    let malformed =
        || format!("incident_key {incident_key:?} is not modelwatch:{{alert key}}#{{cycle}}");
    let (key, cycle) = rest.rsplit_once('#').ok_or_else(malformed)?;
    let cycle = cycle.parse::<u32>().map_err(|_| malformed())?;
    let key = AlertKey::new(key).map_err(|_| malformed())?;
    Ok((key, cycle))
}

pub fn decide(event: &WebhookEvent) -> Result<Decision, InvalidValue> {
    match &event.kind {
        EventKind::Other(kind) => {
            return Ok(Decision::Ignore(format!(
                "event type {kind} changes no alert"
            )));
        }
        EventKind::MergedAway => {
            return Ok(Decision::Ignore(
                "the incident was resolved by a merge into another one, which holds its alerts now: \
                 the alert stays as it is until its monitor recovers or someone resolves it"
                    .into(),
            ));
        }
        EventKind::Acknowledged | EventKind::Unacknowledged | EventKind::Resolved => {}
    }
    let Some(incident_key) = &event.incident_key else {
        return Ok(Decision::Ignore("the incident has no incident_key".into()));
    };
    let (key, cycle) = match alert_of(incident_key) {
        Ok(found) => found,
        Err(why) => return Ok(Decision::Ignore(why)),
    };
    let by = event
        .agent
        .clone()
        .unwrap_or_else(|| "PagerDuty".to_owned());
    let origin = Origin::pagerduty(&event.id);
    let signal = match event.kind {
        EventKind::Acknowledged => {
            people::acknowledged(&origin, &key, event.occurred_at, &by, Some(cycle))?
        }
        // Nobody did it: the acknowledgement ran out.
        EventKind::Unacknowledged => {
            people::unacknowledged(&origin, &key, event.occurred_at, "PagerDuty", Some(cycle))?
        }
        _ => people::resolved(&origin, &key, event.occurred_at, &by, Some(cycle))?,
    };
    Ok(Decision::Apply {
        signal: Box::new(signal),
        cycle,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelwatch::domain::Timestamp;
    use modelwatch::domain::{SignalKind, Source};

    fn event(kind: EventKind, incident_key: Option<&str>) -> WebhookEvent {
        WebhookEvent {
            id: "01DFXD6QHTWXZ7XS0ZPZBCM9KM".into(),
            kind,
            occurred_at: Timestamp::from_secs(1_800_000_000),
            agent: Some("Dana Engineer".into()),
            incident_key: incident_key.map(str::to_owned),
            incident_id: Some("Q2K7".into()),
        }
    }

    #[test]
    fn our_dedup_keys_read_back_to_alert_and_cycle() {
        let key = AlertKey::new("datadog:cycle:74#05|scope:host#a").unwrap();
        let dedup = modelwatch::page::dedup_key(&key, 3).unwrap();
        assert_eq!(alert_of(dedup.as_str()), Ok((key, 3)));
    }

    #[test]
    fn foreign_hashed_and_malformed_keys_are_not_read() {
        assert!(
            alert_of("baf7cf21b1da41b4b0221008339ff357")
                .unwrap_err()
                .contains("not opened by modelwatch")
        );
        let long = AlertKey::new("k".repeat(300)).unwrap();
        let hashed = modelwatch::page::dedup_key(&long, 1).unwrap();
        assert!(alert_of(hashed.as_str()).unwrap_err().contains("hashed"));
        assert!(alert_of("modelwatch:key-without-cycle").is_err());
        assert!(alert_of("modelwatch:k#-1").is_err());
        assert!(alert_of("modelwatch:#1").is_err());
    }

    #[test]
    fn an_acknowledgement_that_timed_out_is_pagerdutys_doing_for_that_cycle() {
        let key = "modelwatch:datadog:cycle:7#2";
        let Decision::Apply { signal, cycle } =
            decide(&event(EventKind::Unacknowledged, Some(key))).unwrap()
        else {
            panic!("expected a signal");
        };
        assert_eq!(cycle, 2);
        assert_eq!(
            signal.kind,
            SignalKind::Unacknowledged {
                by: "PagerDuty".into(),
                cycle: Some(2)
            }
        );
    }

    #[test]
    fn acknowledged_carries_the_cycle_and_resolved_the_agent() {
        let key = "modelwatch:datadog:cycle:7#2";
        let Decision::Apply { signal, cycle } =
            decide(&event(EventKind::Acknowledged, Some(key))).unwrap()
        else {
            panic!("expected a signal");
        };
        assert_eq!(cycle, 2);
        assert_eq!(signal.id.as_str(), "pagerduty:01DFXD6QHTWXZ7XS0ZPZBCM9KM");
        assert_eq!(signal.key.as_str(), "datadog:cycle:7");
        assert_eq!(signal.source, Source::PagerDuty);
        assert_eq!(
            signal.kind,
            SignalKind::Acknowledged {
                by: "Dana Engineer".into(),
                cycle: Some(2)
            }
        );
        let Decision::Apply { signal, .. } =
            decide(&event(EventKind::Resolved, Some(key))).unwrap()
        else {
            panic!("expected a signal");
        };
        assert_eq!(
            signal.kind,
            SignalKind::Resolved {
                by: "Dana Engineer".into(),
                cycle: Some(2)
            }
        );
    }

    #[test]
    fn other_types_and_foreign_incidents_are_ignored() {
        let ignored = |d: Decision| matches!(d, Decision::Ignore(_));
        assert!(ignored(
            decide(&event(EventKind::Other("pagey.ping".into()), None)).unwrap()
        ));
        assert!(ignored(
            decide(&event(EventKind::Acknowledged, None)).unwrap()
        ));
        assert!(ignored(
            decide(&event(EventKind::Resolved, Some("abc"))).unwrap()
        ));
    }
}
