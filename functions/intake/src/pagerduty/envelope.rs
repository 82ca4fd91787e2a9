//! PagerDuty's v3 webhook envelope, read into what the intake acts on: which event, when,
//! who, and the incident's key.
//!
//! `{"event": {"id", "event_type", "resource_type", "occurred_at", "agent": {"summary",
//! "type", ...}, "client", "data": {incident: "id", "number", "status", "incident_key",
//! "title", "service", ...}}}`. An incident that an Events API v2 trigger opened carries
//! that trigger's `dedup_key` as its `incident_key`; that is how an incident finds its
//! alert again (`modelwatch:{alert key}#{cycle}`).

use modelwatch::domain::Timestamp;
use serde::Deserialize;

/// The events that change an alert; every other type is answered and ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Acknowledged,
    /// The acknowledgement timed out (the service's acknowledgement timeout): the
    /// incident is triggered again.
    Unacknowledged,
    /// An acknowledged incident reassigned, escalated or delegated (the past participle
    /// named): PagerDuty triggers it again for its new assignees, and sends no
    /// `incident.unacknowledged`.
    HandedOn(&'static str),
    Resolved,
    /// A person reopened a resolved incident: it is triggered again.
    Reopened,
    /// Resolved by a merge into another incident (`resolve_reason` of type
    /// `merge_resolve_reason`): PagerDuty moved its alerts there, still open, so the
    /// problem it was paged for is not over. `into` names that incident (its summary, or
    /// its id).
    MergedAway {
        into: Option<String>,
    },
    Other(String),
}

/// One v3 webhook event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// PagerDuty's id of this event: a redelivery carries the same one.
    pub id: String,
    pub kind: EventKind,
    pub occurred_at: Timestamp,
    /// Who did it (`agent.summary`: a user's name, or the service or integration).
    pub agent: Option<String>,
    /// The incident's `incident_key`, when the event is about an incident.
    pub incident_key: Option<String>,
    /// The incident's id, for log lines.
    pub incident_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error(
        "the body is not a PagerDuty v3 webhook: {message}; expected {{\"event\": {{\"id\", \"event_type\", \"occurred_at\", ...}}}}"
    )]
    Shape { message: String },
    #[error(
        "event.{field} {received:?} is not a time: expected RFC 3339 such as 2026-11-28T04:00:00.000Z"
    )]
    BadTime {
        field: &'static str,
        received: String,
    },
}

#[derive(Deserialize)]
struct Envelope {
    event: RawEvent,
}

#[derive(Deserialize)]
struct RawEvent {
    id: String,
    event_type: String,
    occurred_at: String,
    #[serde(default)]
    agent: Option<Reference>,
    #[serde(default)]
    data: Option<RawData>,
}

#[derive(Deserialize)]
struct Reference {
    #[serde(default)]
    summary: Option<String>,
}

#[derive(Deserialize)]
struct RawData {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    incident_key: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    resolve_reason: Option<ResolveReason>,
}

#[derive(Deserialize)]
struct ResolveReason {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    /// For a merge, the incident it went into (an `incident_reference`).
    #[serde(default)]
    incident: Option<IncidentReference>,
}

#[derive(Deserialize)]
struct IncidentReference {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    summary: Option<String>,
}

const MERGE_RESOLVE_REASON: &str = "merge_resolve_reason";

pub fn parse(body: &[u8]) -> Result<WebhookEvent, EnvelopeError> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| EnvelopeError::Shape {
        message: e.to_string(),
    })?;
    let e = envelope.event;
    let occurred_at = Timestamp::parse(&e.occurred_at).ok_or_else(|| EnvelopeError::BadTime {
        field: "occurred_at",
        received: e.occurred_at.chars().take(60).collect(),
    })?;
    let named = |v: Option<&String>| {
        v.map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .map(|s| s.chars().take(200).collect::<String>())
    };
    let merged_into = e
        .data
        .as_ref()
        .and_then(|d| d.resolve_reason.as_ref())
        .filter(|r| r.kind.as_deref() == Some(MERGE_RESOLVE_REASON))
        .map(|r| {
            let into = r.incident.as_ref();
            named(into.and_then(|i| i.summary.as_ref()))
                .or_else(|| named(into.and_then(|i| i.id.as_ref())))
        });
    // Handed on while nobody had acknowledged it changes nothing here: it was open.
    let triggered = e
        .data
        .as_ref()
        .is_some_and(|d| d.status.as_deref() == Some("triggered"));
    let kind = match e.event_type.as_str() {
        "incident.acknowledged" => EventKind::Acknowledged,
        "incident.unacknowledged" => EventKind::Unacknowledged,
        "incident.reassigned" if triggered => EventKind::HandedOn("reassigned"),
        "incident.escalated" if triggered => EventKind::HandedOn("escalated"),
        "incident.delegated" if triggered => EventKind::HandedOn("delegated"),
        "incident.resolved" if merged_into.is_some() => EventKind::MergedAway {
            into: merged_into.flatten(),
        },
        "incident.resolved" => EventKind::Resolved,
        "incident.reopened" => EventKind::Reopened,
        other => EventKind::Other(other.to_owned()),
    };
    let text = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let (incident_id, incident_key) = match e.data {
        Some(d) => (text(d.id), text(d.incident_key)),
        None => (None, None),
    };
    Ok(WebhookEvent {
        id: e.id,
        kind,
        occurred_at,
        agent: text(e.agent.and_then(|a| a.summary)),
        incident_key,
        incident_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACKNOWLEDGED: &str =
        include_str!("../../../../tests/fixtures/pagerduty/incident_acknowledged.json");

    #[test]
    fn an_acknowledged_incident_gives_event_id_time_agent_and_key() {
        let e = parse(ACKNOWLEDGED.as_bytes()).unwrap();
        assert_eq!(e.kind, EventKind::Acknowledged);
        assert_eq!(e.id, "01DFXD6QHTWXZ7XS0ZPZBCM9KM");
        assert_eq!(
            e.occurred_at,
            Timestamp::parse("2026-11-28T04:07:12.000Z").unwrap()
        );
        assert_eq!(e.agent.as_deref(), Some("Dana Engineer"));
        assert_eq!(
            e.incident_key.as_deref(),
            Some(
                "modelwatch:datadog:monitor:98765432|env:prod,model:chat-large,model_version:v7#1"
            )
        );
        assert_eq!(e.incident_id.as_deref(), Some("Q2K7DQ1UOBB4CJ"));
    }

    #[test]
    fn a_resolve_by_a_merge_is_told_apart_from_a_resolve() {
        const RESOLVED: &str =
            include_str!("../../../../tests/fixtures/pagerduty/incident_resolved.json");
        assert_eq!(
            parse(RESOLVED.as_bytes()).unwrap().kind,
            EventKind::Resolved
        );
        let merged = RESOLVED.replace(
            r#""resolve_reason": null"#,
            r#""resolve_reason": {"type": "merge_resolve_reason", "incident": {"id": "PZ9XXQ1", "type": "incident_reference"}}"#,
        );
        assert_ne!(merged, RESOLVED);
        assert_eq!(
            parse(merged.as_bytes()).unwrap().kind,
            EventKind::MergedAway {
                into: Some("PZ9XXQ1".into())
            }
        );
    }

    #[test]
    fn an_acknowledgement_timeout_parses_as_unacknowledged_and_a_reopen_as_reopened() {
        let body = ACKNOWLEDGED.replace("incident.acknowledged", "incident.unacknowledged");
        assert_eq!(
            parse(body.as_bytes()).unwrap().kind,
            EventKind::Unacknowledged
        );
        let body = ACKNOWLEDGED.replace("incident.acknowledged", "incident.reopened");
        assert_eq!(parse(body.as_bytes()).unwrap().kind, EventKind::Reopened);
    }

    #[test]
    fn an_incident_handed_on_counts_only_when_pagerduty_triggered_it_again() {
        const UNACKNOWLEDGED: &str =
            include_str!("../../../../tests/fixtures/pagerduty/incident_unacknowledged.json");
        assert!(UNACKNOWLEDGED.contains(r#""status": "triggered""#));
        for (event_type, how) in [
            ("incident.reassigned", "reassigned"),
            ("incident.escalated", "escalated"),
            ("incident.delegated", "delegated"),
        ] {
            let body = UNACKNOWLEDGED.replace("incident.unacknowledged", event_type);
            assert_eq!(
                parse(body.as_bytes()).unwrap().kind,
                EventKind::HandedOn(how)
            );
            // Still acknowledged (PagerDuty kept it so): nothing for us.
            let body = body.replace(r#""status": "triggered""#, r#""status": "acknowledged""#);
            assert_eq!(
                parse(body.as_bytes()).unwrap().kind,
                EventKind::Other(event_type.into())
            );
        }
    }

    #[test]
    fn other_event_types_parse_as_other() {
        let body = ACKNOWLEDGED.replace("incident.acknowledged", "incident.priority_updated");
        let e = parse(body.as_bytes()).unwrap();
        assert_eq!(e.kind, EventKind::Other("incident.priority_updated".into()));
    }

    #[test]
    fn a_body_without_an_event_or_with_a_bad_time_is_named() {
        let err = parse(br#"{"messages": []}"#).unwrap_err().to_string();
        assert!(err.contains("event"), "{err}");
        let body = ACKNOWLEDGED.replace("2026-11-28T04:07:12.000Z", "last tuesday");
        let err = parse(body.as_bytes()).unwrap_err().to_string();
        assert!(
            err.contains("occurred_at") && err.contains("last tuesday"),
            "{err}"
        );
    }
}
