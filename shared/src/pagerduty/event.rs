//! Alert events by PagerDuty's rules, built without I/O: trigger, acknowledge, resolve.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::keys::{DedupKey, RoutingKey};
use crate::domain::{InvalidValue, Timestamp};

/// PagerDuty's limit on `payload.summary`, in characters.
pub const MAX_SUMMARY_CHARS: usize = 1024;
/// PagerDuty's limit on a whole event, routing key included.
pub const MAX_EVENT_BYTES: usize = 512 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    Error,
    Warning,
    Info,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventAction {
    Trigger,
    Acknowledge,
    Resolve,
}

/// The alert's description, sent with a trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    pub summary: String,
    pub source: String,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_details: Option<Map<String, Value>>,
}

/// An image shown on the incident (`src` must be https).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub src: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub href: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// One Events API v2 event, valid by construction; the routing key is added when sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    event_action: EventAction,
    dedup_key: DedupKey,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<Payload>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    images: Vec<Image>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<Link>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_url: Option<String>,
}

/// The body PagerDuty receives: the event with its routing key.
#[derive(Serialize)]
pub(super) struct Wire<'a, E: Serialize> {
    pub routing_key: &'a str,
    #[serde(flatten)]
    pub event: &'a E,
}

impl Event {
    pub fn acknowledge(dedup_key: DedupKey) -> Self {
        Self::follow_up(EventAction::Acknowledge, dedup_key)
    }

    pub fn resolve(dedup_key: DedupKey) -> Self {
        Self::follow_up(EventAction::Resolve, dedup_key)
    }

    fn follow_up(event_action: EventAction, dedup_key: DedupKey) -> Self {
        Self {
            event_action,
            dedup_key,
            payload: None,
            images: Vec::new(),
            links: Vec::new(),
            client: None,
            client_url: None,
        }
    }

    pub fn action(&self) -> EventAction {
        self.event_action
    }

    pub fn dedup_key(&self) -> &DedupKey {
        &self.dedup_key
    }

    pub fn payload(&self) -> Option<&Payload> {
        self.payload.as_ref()
    }

    /// The exact JSON body sent to `/v2/enqueue` with this routing key.
    pub fn to_body(&self, routing_key: &RoutingKey) -> Value {
        wire_value(routing_key.expose(), self)
    }
}

pub(super) fn wire_value<E: Serialize>(routing_key: &str, event: &E) -> Value {
    serde_json::to_value(Wire { routing_key, event }).unwrap_or(Value::Null)
}

/// Bytes of the event as sent, with a routing key of the regular 32 characters.
pub(super) fn wire_size<E: Serialize>(event: &E) -> usize {
    let key = "k".repeat(RoutingKey::LEN);
    serde_json::to_vec(&Wire {
        routing_key: &key,
        event,
    })
    .map_or(usize::MAX, |bytes| bytes.len())
}

/// A trigger: summary, source and severity, then the optional context.
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerBuilder {
    payload: Payload,
    timestamp: Option<Timestamp>,
    images: Vec<Image>,
    links: Vec<Link>,
    client: Option<String>,
    client_url: Option<String>,
}

impl TriggerBuilder {
    pub fn new(summary: impl Into<String>, source: impl Into<String>, severity: Severity) -> Self {
        Self {
            payload: Payload {
                summary: summary.into(),
                source: source.into(),
                severity,
                timestamp: None,
                component: None,
                group: None,
                class: None,
                custom_details: None,
            },
            timestamp: None,
            images: Vec::new(),
            links: Vec::new(),
            client: None,
            client_url: None,
        }
    }

    pub fn timestamp(mut self, at: Timestamp) -> Self {
        self.timestamp = Some(at);
        self
    }

    /// The part of the system that is broken (for modelwatch: the model).
    pub fn component(mut self, component: impl Into<String>) -> Self {
        self.payload.component = non_empty(component.into());
        self
    }

    /// A grouping of components (for modelwatch: the environment).
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.payload.group = non_empty(group.into());
        self
    }

    /// The class or type of the event (for modelwatch: the metric).
    pub fn class(mut self, class: impl Into<String>) -> Self {
        self.payload.class = non_empty(class.into());
        self
    }

    pub fn custom_details(mut self, details: Map<String, Value>) -> Self {
        self.payload.custom_details = Some(details);
        self
    }

    pub fn image(
        mut self,
        src: impl Into<String>,
        href: Option<String>,
        alt: Option<String>,
    ) -> Self {
        self.images.push(Image {
            src: src.into(),
            href,
            alt,
        });
        self
    }

    pub fn link(mut self, href: impl Into<String>, text: impl Into<String>) -> Self {
        self.links.push(Link {
            href: href.into(),
            text: non_empty(text.into()),
        });
        self
    }

    /// The monitoring tool's name and URL shown on the incident.
    pub fn client(mut self, name: impl Into<String>, url: Option<String>) -> Self {
        self.client = non_empty(name.into());
        self.client_url = url;
        self
    }

    /// The event, by PagerDuty's rules: a summary over 1024 characters is cut with an
    /// ellipsis; an event over 512 KB loses its `custom_details` for a note saying so.
    pub fn build(self, dedup_key: DedupKey) -> Result<Event, InvalidValue> {
        let mut payload = self.payload;
        payload.summary = summary(&payload.summary)?;
        if payload.source.trim().is_empty() {
            return Err(InvalidValue::new(
                "PagerDuty payload.source",
                &payload.source,
                "the host, service or model where the problem is (not empty)",
            ));
        }
        payload.timestamp = self.timestamp.map(|at| at.to_string());
        for image in &self.images {
            if !image.src.starts_with("https://") {
                return Err(InvalidValue::new(
                    "PagerDuty images[].src",
                    &image.src,
                    "an https:// URL",
                ));
            }
        }
        if let Some(link) = self.links.iter().find(|l| l.href.trim().is_empty()) {
            return Err(InvalidValue::new(
                "PagerDuty links[].href",
                &link.href,
                "a URL (not empty)",
            ));
        }
        let mut event = Event {
            event_action: EventAction::Trigger,
            dedup_key,
            payload: Some(payload),
            images: self.images,
            links: self.links,
            client: self.client,
            client_url: self.client_url,
        };
        fit_size(&mut event)?;
        Ok(event)
    }
}

/// Keeps the event under 512 KB by replacing `custom_details` with a note.
fn fit_size(event: &mut Event) -> Result<(), InvalidValue> {
    let size = wire_size(event);
    if size <= MAX_EVENT_BYTES {
        return Ok(());
    }
    if let Some(payload) = event
        .payload
        .as_mut()
        .filter(|p| p.custom_details.is_some())
    {
        let mut note = Map::new();
        note.insert(
            "note".into(),
            Value::String(format!(
                "custom_details dropped: the event was {size} bytes, over PagerDuty's {MAX_EVENT_BYTES}-byte limit"
            )),
        );
        payload.custom_details = Some(note);
    }
    let size = wire_size(event);
    if size <= MAX_EVENT_BYTES {
        Ok(())
    } else {
        Err(InvalidValue::new(
            "PagerDuty event size",
            &format!("{size} bytes without custom_details"),
            "at most 524288 bytes (shorten links, images or names)",
        ))
    }
}

pub(super) fn summary(text: &str) -> Result<String, InvalidValue> {
    let text = text.trim();
    if text.is_empty() {
        return Err(InvalidValue::new(
            "PagerDuty payload.summary",
            text,
            "a one-line description of the problem (not empty)",
        ));
    }
    if text.chars().count() <= MAX_SUMMARY_CHARS {
        return Ok(text.to_owned());
    }
    let mut cut: String = text.chars().take(MAX_SUMMARY_CHARS - 1).collect();
    cut.push('…');
    Ok(cut)
}

fn non_empty(text: String) -> Option<String> {
    (!text.trim().is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn key() -> DedupKey {
        DedupKey::new("monitor:42|model:chat-large").unwrap()
    }

    fn trigger() -> TriggerBuilder {
        TriggerBuilder::new(
            "p95 latency 2.8 s on chat-large v7",
            "modelwatch",
            Severity::Error,
        )
    }

    #[test]
    fn trigger_serialises_like_pagerdutys_own_example() {
        let mut details = Map::new();
        details.insert("p95_latency_s".into(), Value::from(2.8));
        let event = trigger()
            .timestamp(Timestamp::parse("2026-11-28T04:00:00Z").unwrap())
            .component("chat-large")
            .group("prod")
            .class("latency")
            .custom_details(details)
            .link("https://app.datadoghq.com/monitors/42", "Monitor")
            .image(
                "https://p.datadoghq.com/snapshot.png",
                None,
                Some("graph".into()),
            )
            .build(key())
            .unwrap();
        let routing = RoutingKey::new(Secret::new("e93facc04764012d7bfb002500d5d1a6")).unwrap();
        let body = event.to_body(&routing);
        assert_eq!(body["routing_key"], "e93facc04764012d7bfb002500d5d1a6");
        assert_eq!(body["event_action"], "trigger");
        assert_eq!(body["dedup_key"], "monitor:42|model:chat-large");
        assert_eq!(body["payload"]["severity"], "error");
        assert_eq!(body["payload"]["timestamp"], "2026-11-28T04:00:00Z");
        assert_eq!(body["payload"]["component"], "chat-large");
        assert_eq!(body["payload"]["custom_details"]["p95_latency_s"], 2.8);
        assert_eq!(body["links"][0]["text"], "Monitor");
        assert_eq!(body["images"][0]["alt"], "graph");
    }

    #[test]
    fn acknowledge_and_resolve_carry_only_the_key_and_action() {
        let body = serde_json::to_value(Event::resolve(key())).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"event_action": "resolve", "dedup_key": "monitor:42|model:chat-large"})
        );
        assert_eq!(Event::acknowledge(key()).action(), EventAction::Acknowledge);
    }

    #[test]
    fn a_long_summary_is_cut_to_1024_characters_with_an_ellipsis() {
        let event = TriggerBuilder::new("é".repeat(5000), "modelwatch", Severity::Info)
            .build(key())
            .unwrap();
        let summary = &event.payload().unwrap().summary;
        assert_eq!(summary.chars().count(), MAX_SUMMARY_CHARS);
        assert!(summary.ends_with('…'));
    }

    #[test]
    fn summary_and_source_are_required() {
        let err = TriggerBuilder::new("  ", "modelwatch", Severity::Info)
            .build(key())
            .unwrap_err();
        assert_eq!(err.what, "PagerDuty payload.summary");
        let err = TriggerBuilder::new("x", "", Severity::Info)
            .build(key())
            .unwrap_err();
        assert_eq!(err.what, "PagerDuty payload.source");
    }

    #[test]
    fn images_must_be_https() {
        let err = trigger()
            .image("http://example.com/a.png", None, None)
            .build(key())
            .unwrap_err();
        assert_eq!(err.what, "PagerDuty images[].src");
    }

    #[test]
    fn an_event_over_512_kb_drops_custom_details_with_a_note() {
        let mut details = Map::new();
        details.insert("log".into(), Value::String("x".repeat(600 * 1024)));
        let event = trigger().custom_details(details).build(key()).unwrap();
        let kept = event.payload().unwrap().custom_details.as_ref().unwrap();
        let note = kept["note"].as_str().unwrap();
        assert!(note.contains("custom_details dropped"), "{note}");
        assert!(!kept.contains_key("log"));
        assert!(wire_size(&event) <= MAX_EVENT_BYTES);
    }

    #[test]
    fn an_event_too_large_even_without_details_is_refused() {
        let err = trigger()
            .link(
                format!("https://example.com/{}", "x".repeat(600 * 1024)),
                "big",
            )
            .build(key())
            .unwrap_err();
        assert_eq!(err.what, "PagerDuty event size");
    }
}
