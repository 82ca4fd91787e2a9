//! From a PagerDuty event to the signal it means for one alert cycle, or why it means none.

use modelwatch::domain::{AlertKey, InvalidValue, Signal};
use modelwatch::page::{IncidentKey, read_incident_key};
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

/// The digest of the event's incident key when that key is a hashed alert key
/// (`modelwatch::page::hashed`): the store knows which alert it stands for.
pub fn hashed_digest(event: &WebhookEvent) -> Option<String> {
    let changes_an_alert = matches!(
        event.kind,
        EventKind::Acknowledged
            | EventKind::Unacknowledged
            | EventKind::HandedOn(_)
            | EventKind::Resolved
            | EventKind::Reopened
            | EventKind::MergedAway { .. }
    );
    if !changes_an_alert {
        return None;
    }
    match read_incident_key(event.incident_key.as_deref()?) {
        Ok(IncidentKey::Hashed { digest, .. }) => Some(digest),
        _ => None,
    }
}

/// `looked_up` is the alert the store holds for the digest of a hashed incident key
/// (`hashed_digest`), if it holds one.
pub fn decide(
    event: &WebhookEvent,
    looked_up: Option<&AlertKey>,
) -> Result<Decision, InvalidValue> {
    match &event.kind {
        EventKind::Other(kind) => {
            return Ok(Decision::Ignore(format!(
                "event type {kind} changes no alert"
            )));
        }
        EventKind::MergedAway { .. }
        | EventKind::Acknowledged
        | EventKind::Unacknowledged
        | EventKind::HandedOn(_)
        | EventKind::Resolved
        | EventKind::Reopened => {}
    }
    let Some(incident_key) = &event.incident_key else {
        return Ok(Decision::Ignore("the incident has no incident_key".into()));
    };
    let (key, cycle) = match read_incident_key(incident_key) {
        Ok(IncidentKey::Alert { key, cycle }) => (key, cycle),
        Ok(IncidentKey::Hashed { digest, cycle }) => match looked_up {
            Some(key) => (key.clone(), cycle),
            None => {
                return Ok(Decision::Ignore(format!(
                    "no alert is known for the hashed incident_key sha256:{digest}"
                )));
            }
        },
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
        EventKind::Unacknowledged => people::unacknowledged(
            &origin,
            &key,
            event.occurred_at,
            "the acknowledgement timed out in PagerDuty",
            Some(cycle),
        )?,
        // Its new assignees have not acknowledged it: nobody is on it yet.
        EventKind::HandedOn(how) => {
            let why = match &event.agent {
                Some(agent) => format!("{how} in PagerDuty by {agent}"),
                None => format!("{how} in PagerDuty"),
            };
            people::unacknowledged(&origin, &key, event.occurred_at, &why, Some(cycle))?
        }
        EventKind::Reopened => {
            people::reopened(&origin, &key, event.occurred_at, &by, Some(cycle))?
        }
        // The person who merged it is answering it in the other incident, which holds its
        // alert now, still open: the alert stays open until its monitor recovers, and
        // stops escalating as an acknowledged one does (unanswered, it would page the
        // next level for a problem already in hand).
        EventKind::MergedAway { ref into } => {
            let into = into.as_deref().unwrap_or("another incident");
            let by = format!("{by} (merged into {into} in PagerDuty)");
            people::merged_away(&origin, &key, event.occurred_at, &by, Some(cycle))?
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
    fn a_hashed_incident_key_means_the_alert_the_store_holds_for_it() {
        let long = AlertKey::new("k".repeat(300)).unwrap();
        let hashed = modelwatch::page::dedup_key(&long, 4).unwrap();
        let ack = event(EventKind::Acknowledged, Some(hashed.as_str()));
        let digest = modelwatch::page::HashedAlertKey::of(&long).digest;
        assert_eq!(hashed_digest(&ack), Some(digest.clone()));
        let Decision::Apply { signal, cycle } = decide(&ack, Some(&long)).unwrap() else {
            panic!("expected a signal");
        };
        assert_eq!((signal.key, cycle), (long, 4));
        let Decision::Ignore(why) = decide(&ack, None).unwrap() else {
            panic!("expected it ignored");
        };
        assert!(why.contains(&digest), "{why}");

        let plain = event(
            EventKind::Acknowledged,
            Some("modelwatch:datadog:cycle:7#2"),
        );
        assert_eq!(hashed_digest(&plain), None);
    }

    #[test]
    fn an_acknowledgement_that_timed_out_is_pagerdutys_doing_for_that_cycle() {
        let key = "modelwatch:datadog:cycle:7#2";
        let Decision::Apply { signal, cycle } =
            decide(&event(EventKind::Unacknowledged, Some(key)), None).unwrap()
        else {
            panic!("expected a signal");
        };
        assert_eq!(cycle, 2);
        assert_eq!(
            signal.kind,
            SignalKind::Unacknowledged {
                by: "the acknowledgement timed out in PagerDuty".into(),
                cycle: Some(2)
            }
        );
    }

    #[test]
    fn acknowledged_carries_the_cycle_and_resolved_the_agent() {
        let key = "modelwatch:datadog:cycle:7#2";
        let Decision::Apply { signal, cycle } =
            decide(&event(EventKind::Acknowledged, Some(key)), None).unwrap()
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
                cycle: Some(2),
                answered_elsewhere: false,
            }
        );
        let Decision::Apply { signal, .. } =
            decide(&event(EventKind::Resolved, Some(key)), None).unwrap()
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

    /// A merge into another incident answers the alert there: it is acknowledged by whoever
    /// merged it, saying where it went, for the cycle the incident was paged for.
    #[test]
    fn a_merge_into_another_incident_acknowledges_the_alert_saying_where_it_went() {
        let key = "modelwatch:datadog:cycle:7#2";
        let merged = |into: Option<&str>| {
            let kind = EventKind::MergedAway {
                into: into.map(str::to_owned),
            };
            let Decision::Apply { signal, cycle } = decide(&event(kind, Some(key)), None).unwrap()
            else {
                panic!("expected a signal");
            };
            assert_eq!((signal.key.as_str(), cycle), ("datadog:cycle:7", 2));
            signal.kind
        };
        assert_eq!(
            merged(Some("[#1207] chat-large latency")),
            SignalKind::Acknowledged {
                by: "Dana Engineer (merged into [#1207] chat-large latency in PagerDuty)".into(),
                cycle: Some(2),
                answered_elsewhere: true,
            }
        );
        assert_eq!(
            merged(None),
            SignalKind::Acknowledged {
                by: "Dana Engineer (merged into another incident in PagerDuty)".into(),
                cycle: Some(2),
                answered_elsewhere: true,
            }
        );
    }

    #[test]
    fn other_types_and_foreign_incidents_are_ignored() {
        let ignored = |d: Decision| matches!(d, Decision::Ignore(_));
        assert!(ignored(
            decide(&event(EventKind::Other("pagey.ping".into()), None), None).unwrap()
        ));
        assert!(ignored(
            decide(&event(EventKind::Acknowledged, None), None).unwrap()
        ));
        assert!(ignored(
            decide(&event(EventKind::Resolved, Some("abc")), None).unwrap()
        ));
    }
}
