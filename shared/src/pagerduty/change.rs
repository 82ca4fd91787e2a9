//! Change events (`/v2/change/enqueue`): deployments shown next to incidents.

use serde::Serialize;
use serde_json::{Map, Value};

use super::event::{Link, MAX_EVENT_BYTES, summary, wire_size};
use super::keys::RoutingKey;
use crate::domain::{InvalidValue, Timestamp};

#[derive(Debug, Clone, PartialEq, Serialize)]
struct ChangePayload {
    summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_details: Option<Map<String, Value>>,
}

/// One change event, valid by construction; the routing key is added when sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeEvent {
    payload: ChangePayload,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<Link>,
}

impl ChangeEvent {
    /// The exact JSON body sent to `/v2/change/enqueue` with this routing key.
    pub fn to_body(&self, routing_key: &RoutingKey) -> Value {
        super::event::wire_value(routing_key.expose(), self)
    }

    pub fn summary(&self) -> &str {
        &self.payload.summary
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChangeBuilder {
    payload: ChangePayload,
    timestamp: Option<Timestamp>,
    links: Vec<Link>,
}

impl ChangeBuilder {
    pub fn new(summary: impl Into<String>) -> Self {
        Self {
            payload: ChangePayload {
                summary: summary.into(),
                source: None,
                timestamp: None,
                custom_details: None,
            },
            timestamp: None,
            links: Vec::new(),
        }
    }

    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.payload.source = Some(source.into()).filter(|s| !s.trim().is_empty());
        self
    }

    pub fn timestamp(mut self, at: Timestamp) -> Self {
        self.timestamp = Some(at);
        self
    }

    pub fn custom_details(mut self, details: Map<String, Value>) -> Self {
        self.payload.custom_details = Some(details);
        self
    }

    pub fn link(mut self, href: impl Into<String>, text: impl Into<String>) -> Self {
        let text: String = text.into();
        self.links.push(Link {
            href: href.into(),
            text: Some(text).filter(|t| !t.trim().is_empty()),
        });
        self
    }

    /// The change event: summary cut to 1024 characters; over 512 KB it keeps no details.
    pub fn build(self) -> Result<ChangeEvent, InvalidValue> {
        let mut payload = self.payload;
        payload.summary = summary(&payload.summary)?;
        payload.timestamp = self.timestamp.map(|at| at.to_string());
        let mut event = ChangeEvent {
            payload,
            links: self.links,
        };
        if wire_size(&event) > MAX_EVENT_BYTES {
            event.payload.custom_details = None;
        }
        let size = wire_size(&event);
        if size > MAX_EVENT_BYTES {
            return Err(InvalidValue::new(
                "PagerDuty change event size",
                &format!("{size} bytes without custom_details"),
                "at most 524288 bytes",
            ));
        }
        Ok(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn change_event_serialises_like_pagerdutys_example() {
        let mut details = Map::new();
        details.insert("version".into(), Value::from("v8"));
        let event = ChangeBuilder::new("Deployed chat-large v8 to prod")
            .source("deploy-pipeline")
            .timestamp(Timestamp::parse("2026-11-28T04:00:00Z").unwrap())
            .custom_details(details)
            .link("https://ci.example.com/builds/2", "Build")
            .build()
            .unwrap();
        let key = RoutingKey::new(Secret::new("e93facc04764012d7bfb002500d5d1a6")).unwrap();
        let body = event.to_body(&key);
        assert_eq!(body["payload"]["summary"], "Deployed chat-large v8 to prod");
        assert_eq!(body["payload"]["source"], "deploy-pipeline");
        assert_eq!(body["payload"]["custom_details"]["version"], "v8");
        assert_eq!(body["links"][0]["href"], "https://ci.example.com/builds/2");
        assert!(body.get("event_action").is_none());
    }
}
