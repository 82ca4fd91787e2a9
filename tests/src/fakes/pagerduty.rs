//! A fake PagerDuty Events API v2: validates events as PagerDuty does, answers like it,
//! and holds alerts by dedup key (trigger opens or updates, acknowledge, resolve; after
//! a resolve the same key opens a new alert). Change events are kept as they come.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Value, json};

use super::common::{Common, FaultBodies, Faults, Received, Running, lock, now_ms, serve};

const MAX_EVENT_BYTES: usize = 512 * 1024;
const MAX_SUMMARY_CHARS: usize = 1024;
const MAX_DEDUP_KEY_CHARS: usize = 255;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Triggered,
    Acknowledged,
    Resolved,
}

/// An alert as the fake holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldAlert {
    /// Which integration it came to (the first 6 characters of the routing key).
    pub service: String,
    pub dedup_key: String,
    pub status: AlertStatus,
    pub summary: String,
    pub severity: String,
    pub source: String,
    pub custom_details: Option<Value>,
    pub links: Value,
    pub images: Value,
    /// Trigger events merged into this alert (1 on opening).
    pub triggers: u32,
    pub opened_at_ms: i64,
    pub acknowledged_at_ms: Option<i64>,
    pub resolved_at_ms: Option<i64>,
    #[serde(skip)]
    routing_key: String,
}

/// A change event as received.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeRecord {
    pub service: String,
    pub summary: String,
    pub source: Option<String>,
    pub timestamp: Option<String>,
    pub custom_details: Option<Value>,
    pub links: Value,
    pub at_ms: i64,
}

#[derive(Default)]
struct Held {
    alerts: Vec<HeldAlert>,
    changes: Vec<ChangeRecord>,
    generated_keys: u64,
}

struct Fake {
    common: Arc<Common>,
    held: Mutex<Held>,
}

/// A running fake; stops when dropped.
pub struct PagerDutyFake {
    fake: Arc<Fake>,
    running: Running,
}

struct Wording;

impl FaultBodies for Wording {
    fn status_body(&self, status: u16) -> Value {
        if status >= 500 {
            json!({"status": "Unrecognized object", "message": "Event object format is unrecognized", "errors": ["Internal server error"]})
        } else {
            json!({"status": "invalid event", "message": "Event object is invalid", "errors": [format!("injected {status}")]})
        }
    }

    fn rate_limited(&self, _retry_after_secs: u64) -> (HeaderMap, Value) {
        (
            HeaderMap::new(),
            json!({"status": "throttle event", "message": "Requests for this service are arriving too quickly.  Please retry later."}),
        )
    }
}

impl PagerDutyFake {
    /// Starts on 127.0.0.1:`port` (0 for a free port).
    pub async fn start(port: u16) -> std::io::Result<Self> {
        let fake = Arc::new(Fake {
            common: Common::new(Wording),
            held: Mutex::new(Held::default()),
        });
        let api = Router::new()
            .route("/v2/enqueue", post(enqueue))
            .route("/v2/change/enqueue", post(change))
            .with_state(fake.clone());
        let control = Router::new()
            .route("/_alerts", get(list_alerts))
            .route("/_changes", get(list_changes))
            .with_state(fake.clone());
        let running = serve(api, control, fake.common.clone(), port).await?;
        Ok(Self { fake, running })
    }

    /// `http://127.0.0.1:PORT`: the base URL for `PagerDutyClient`.
    pub fn url(&self) -> String {
        format!("http://{}", self.running.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.running.addr
    }

    pub fn faults(&self) -> &Faults {
        &self.fake.common.faults
    }

    pub fn received(&self) -> Vec<Received> {
        self.fake.common.received()
    }

    /// Every alert it holds, resolved ones included, in the order they opened.
    pub fn alerts(&self) -> Vec<HeldAlert> {
        lock(&self.fake.held).alerts.clone()
    }

    /// The alerts not resolved.
    pub fn open_alerts(&self) -> Vec<HeldAlert> {
        self.alerts()
            .into_iter()
            .filter(|a| a.status != AlertStatus::Resolved)
            .collect()
    }

    pub fn changes(&self) -> Vec<ChangeRecord> {
        lock(&self.fake.held).changes.clone()
    }
}

fn invalid(errors: Vec<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"status": "invalid event", "message": "Event object is invalid", "errors": errors})),
    )
        .into_response()
}

/// Parses the body and checks what every event needs: size, JSON object, routing key.
fn event_object(body: &Bytes, errors: &mut Vec<String>) -> Option<serde_json::Map<String, Value>> {
    if body.len() > MAX_EVENT_BYTES {
        errors.push(format!(
            "Event object is too large ({} bytes, the limit is 512 KB)",
            body.len()
        ));
        return None;
    }
    let Ok(Value::Object(event)) = serde_json::from_slice::<Value>(body) else {
        errors.push("Event object must be a JSON object".into());
        return None;
    };
    match event.get("routing_key").and_then(Value::as_str) {
        None | Some("") => errors.push("'routing_key' is missing or blank".into()),
        Some(key) if key.chars().count() != 32 => {
            errors.push("Length of 'routing_key' is incorrect (should be 32 characters)".into())
        }
        Some(_) => {}
    }
    Some(event)
}

fn text<'a>(object: &'a Value, field: &str) -> Option<&'a str> {
    object.get(field).and_then(Value::as_str)
}

fn check_links_and_images(event: &serde_json::Map<String, Value>, errors: &mut Vec<String>) {
    if let Some(links) = event.get("links") {
        match links.as_array() {
            Some(links) => {
                for (i, link) in links.iter().enumerate() {
                    if text(link, "href").is_none_or(str::is_empty) {
                        errors.push(format!("'links[{i}].href' is missing or blank"));
                    }
                }
            }
            None => errors.push("'links' must be an array".into()),
        }
    }
    if let Some(images) = event.get("images") {
        match images.as_array() {
            Some(images) => {
                for (i, image) in images.iter().enumerate() {
                    match text(image, "src") {
                        Some(src) if src.starts_with("https://") => {}
                        Some(_) => errors.push(format!("'images[{i}].src' must be an HTTPS URL")),
                        None => errors.push(format!("'images[{i}].src' is missing or blank")),
                    }
                }
            }
            None => errors.push("'images' must be an array".into()),
        }
    }
}

fn check_summary(payload: &Value, errors: &mut Vec<String>) {
    match text(payload, "summary") {
        None | Some("") => errors.push("'payload.summary' is missing or blank".into()),
        Some(summary) if summary.chars().count() > MAX_SUMMARY_CHARS => errors.push(format!(
            "'payload.summary' is too long (must be at most {MAX_SUMMARY_CHARS} characters)"
        )),
        Some(_) => {}
    }
    if let Some(timestamp) = payload.get("timestamp") {
        let valid = timestamp
            .as_str()
            .is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok() || iso_with_offset(t));
        if !valid {
            errors
                .push("'payload.timestamp' is invalid (must be a valid ISO 8601 timestamp)".into());
        }
    }
    if let Some(details) = payload.get("custom_details")
        && !details.is_object()
    {
        errors.push("'payload.custom_details' must be a JSON object".into());
    }
}

/// PagerDuty also takes `2015-07-17T08:42:58.315+0000` (an offset without a colon).
fn iso_with_offset(text: &str) -> bool {
    let (Some(sign_at), true) = (text.rfind(['+', '-']), text.len() > 5) else {
        return false;
    };
    let (stamp, offset) = text.split_at(sign_at);
    let offset = offset.replace(':', "");
    if offset.len() != 5 {
        return false;
    }
    format!("{stamp}{}:{}", &offset[..3], &offset[3..])
        .parse::<jiff::Timestamp>()
        .is_ok()
}

async fn enqueue(State(fake): State<Arc<Fake>>, body: Bytes) -> Response {
    let mut errors = Vec::new();
    let Some(event) = event_object(&body, &mut errors) else {
        return invalid(errors);
    };
    let action = text(&Value::Object(event.clone()), "event_action").map(str::to_owned);
    let dedup_key = event
        .get("dedup_key")
        .and_then(Value::as_str)
        .map(str::to_owned);
    match action.as_deref() {
        Some("trigger") => match event.get("payload") {
            Some(payload @ Value::Object(_)) => {
                check_summary(payload, &mut errors);
                if text(payload, "source").is_none_or(|s| s.trim().is_empty()) {
                    errors.push("'payload.source' is missing or blank".into());
                }
                match text(payload, "severity") {
                    Some("critical" | "error" | "warning" | "info") => {}
                    _ => errors.push("'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')".into()),
                }
            }
            _ => errors.push("'payload' is missing or blank".into()),
        },
        Some("acknowledge" | "resolve") => {
            if dedup_key.as_deref().is_none_or(str::is_empty) {
                errors.push("'dedup_key' is missing or blank".into());
            }
        }
        _ => errors.push("'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')".into()),
    }
    if let Some(key) = &dedup_key
        && key.chars().count() > MAX_DEDUP_KEY_CHARS
    {
        errors.push(format!(
            "'dedup_key' is too long (must be at most {MAX_DEDUP_KEY_CHARS} characters)"
        ));
    }
    check_links_and_images(&event, &mut errors);
    if !errors.is_empty() {
        return invalid(errors);
    }
    let routing_key = text(&Value::Object(event.clone()), "routing_key")
        .unwrap_or_default()
        .to_owned();
    let mut held = lock(&fake.held);
    let key = match dedup_key.filter(|k| !k.is_empty()) {
        Some(key) => key,
        None => {
            held.generated_keys += 1;
            format!("{:032x}", now_ms() as u64 ^ (held.generated_keys << 40))
        }
    };
    let now = now_ms();
    let open = held.alerts.iter_mut().rev().find(|a| {
        a.routing_key == routing_key && a.dedup_key == key && a.status != AlertStatus::Resolved
    });
    match (action.as_deref(), open) {
        (Some("trigger"), Some(alert)) => {
            let payload = &event["payload"];
            alert.summary = text(payload, "summary").unwrap_or_default().to_owned();
            alert.severity = text(payload, "severity").unwrap_or_default().to_owned();
            alert.custom_details = payload.get("custom_details").cloned();
            alert.triggers += 1;
        }
        (Some("trigger"), None) => {
            let payload = &event["payload"];
            held.alerts.push(HeldAlert {
                service: routing_key.chars().take(6).collect(),
                dedup_key: key.clone(),
                status: AlertStatus::Triggered,
                summary: text(payload, "summary").unwrap_or_default().to_owned(),
                severity: text(payload, "severity").unwrap_or_default().to_owned(),
                source: text(payload, "source").unwrap_or_default().to_owned(),
                custom_details: payload.get("custom_details").cloned(),
                links: event.get("links").cloned().unwrap_or(json!([])),
                images: event.get("images").cloned().unwrap_or(json!([])),
                triggers: 1,
                opened_at_ms: now,
                acknowledged_at_ms: None,
                resolved_at_ms: None,
                routing_key,
            });
        }
        (Some("acknowledge"), Some(alert)) => {
            alert.status = AlertStatus::Acknowledged;
            alert.acknowledged_at_ms.get_or_insert(now);
        }
        (Some("resolve"), Some(alert)) => {
            alert.status = AlertStatus::Resolved;
            alert.resolved_at_ms = Some(now);
        }
        // PagerDuty accepts an acknowledge or resolve for no open alert and does nothing.
        _ => {}
    }
    (
        StatusCode::ACCEPTED,
        Json(json!({"status": "success", "message": "Event processed", "dedup_key": key})),
    )
        .into_response()
}

async fn change(State(fake): State<Arc<Fake>>, body: Bytes) -> Response {
    let mut errors = Vec::new();
    let Some(event) = event_object(&body, &mut errors) else {
        return invalid(errors);
    };
    match event.get("payload") {
        Some(payload @ Value::Object(_)) => check_summary(payload, &mut errors),
        _ => errors.push("'payload' is missing or blank".into()),
    }
    check_links_and_images(&event, &mut errors);
    if !errors.is_empty() {
        return invalid(errors);
    }
    let payload = &event["payload"];
    let service = text(&Value::Object(event.clone()), "routing_key")
        .unwrap_or_default()
        .chars()
        .take(6)
        .collect();
    lock(&fake.held).changes.push(ChangeRecord {
        service,
        summary: text(payload, "summary").unwrap_or_default().to_owned(),
        source: text(payload, "source").map(str::to_owned),
        timestamp: text(payload, "timestamp").map(str::to_owned),
        custom_details: payload.get("custom_details").cloned(),
        links: event.get("links").cloned().unwrap_or(json!([])),
        at_ms: now_ms(),
    });
    (
        StatusCode::ACCEPTED,
        Json(json!({"status": "success", "message": "Change event processed"})),
    )
        .into_response()
}

async fn list_alerts(State(fake): State<Arc<Fake>>) -> Json<Vec<HeldAlert>> {
    Json(lock(&fake.held).alerts.clone())
}

async fn list_changes(State(fake): State<Arc<Fake>>) -> Json<Vec<ChangeRecord>> {
    Json(lock(&fake.held).changes.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagerdutys_own_timestamp_form_is_accepted() {
        assert!(iso_with_offset("2015-07-17T08:42:58.315+0000"));
        assert!(!iso_with_offset("yesterday"));
    }
}
