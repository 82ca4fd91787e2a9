//! A fake PagerDuty Events API v2: validates events against PagerDuty's OpenAPI document
//! and documented limits (`tests/contracts/`), answers like PagerDuty (its answers checked
//! against the document's responses), and holds alerts by dedup key (trigger opens or
//! updates, acknowledge, resolve; after a resolve the same key opens a new alert). Change
//! events are kept as they come.

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

use super::common::{Common, FaultBodies, Faults, Received, Running, attach, lock, now_ms, serve};
use super::contract::{Breach, ContractViolation, Problem, Schema, contracts};

/// "Events API payloads are limited to 512 KB" (PagerDuty's Events API v2 overview): a
/// limit on bytes, so checked before the JSON schemas.
const MAX_EVENT_BYTES: usize = 512 * 1024;

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
            common: Common::new("PagerDuty", Wording),
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

    /// The requests that broke PagerDuty's contract, kept until taken.
    pub fn contract_violations(&self) -> Vec<ContractViolation> {
        self.fake.common.violations()
    }

    /// Takes the violations a test expected: the fake no longer fails the test for them.
    pub fn take_contract_violations(&self) -> Vec<ContractViolation> {
        self.fake.common.take_violations()
    }
}

/// The fake's own answer, checked against the response PagerDuty's document gives for it:
/// a fake that answers what PagerDuty never would records a violation (`answer`) too.
fn answered(fake: &Fake, status: StatusCode, schema: &Schema, body: Value) -> Response {
    let violations = fake.common.violated("answer", &schema.check(&body));
    attach((status, Json(body)).into_response(), violations)
}

/// PagerDuty's 400 for an event that breaks its contract, recorded as a violation.
fn invalid(fake: &Fake, operation: &str, breaches: &[Breach]) -> Response {
    let mut sorted = breaches.to_vec();
    sorted.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    let errors: Vec<String> = sorted.iter().map(Breach::pagerduty_message).collect();
    let violations = fake.common.violated(operation, &sorted);
    let body =
        json!({"status": "invalid event", "message": "Event object is invalid", "errors": errors});
    let error = &contracts().pagerduty_error;
    attach(
        answered(fake, StatusCode::BAD_REQUEST, error, body),
        violations,
    )
}

/// PagerDuty's 400 for a body it cannot read as an event object (too large, not JSON).
fn unrecognized(fake: &Fake, operation: &str, error: String) -> Response {
    let breach = Breach {
        pointer: String::new(),
        problem: Problem::Other(error.clone()),
    };
    let violations = fake.common.violated(operation, &[breach]);
    let body = json!({"status": "Unrecognized object", "message": "Event object format is unrecognized", "errors": [error]});
    let error = &contracts().pagerduty_error;
    attach(
        answered(fake, StatusCode::BAD_REQUEST, error, body),
        violations,
    )
}

/// The event if it keeps PagerDuty's contract for `operation` (its OpenAPI document and
/// documented limits), else PagerDuty's answer.
fn checked_event(
    fake: &Fake,
    operation: &str,
    schemas: &[Schema],
    body: &Bytes,
) -> Result<serde_json::Map<String, Value>, Box<Response>> {
    if body.len() > MAX_EVENT_BYTES {
        return Err(Box::new(unrecognized(
            fake,
            operation,
            format!(
                "Event object is too large ({} bytes, the limit is 512 KB)",
                body.len()
            ),
        )));
    }
    let value = match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => value,
        _ => {
            return Err(Box::new(unrecognized(
                fake,
                operation,
                "JSON parse error".into(),
            )));
        }
    };
    let breaches: Vec<Breach> = schemas.iter().flat_map(|s| s.check(&value)).collect();
    match value {
        Value::Object(event) if breaches.is_empty() => Ok(event),
        _ => Err(Box::new(invalid(fake, operation, &breaches))),
    }
}

fn text<'a>(object: &'a Value, field: &str) -> Option<&'a str> {
    object.get(field).and_then(Value::as_str)
}

async fn enqueue(State(fake): State<Arc<Fake>>, body: Bytes) -> Response {
    let event = match checked_event(&fake, "/v2/enqueue", &contracts().pagerduty_enqueue, &body) {
        Ok(event) => event,
        Err(answer) => return *answer,
    };
    let action = text(&Value::Object(event.clone()), "event_action").map(str::to_owned);
    let dedup_key = event
        .get("dedup_key")
        .and_then(Value::as_str)
        .map(str::to_owned);
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
    let body = json!({"status": "success", "message": "Event processed", "dedup_key": key});
    answered(
        &fake,
        StatusCode::ACCEPTED,
        &contracts().pagerduty_success,
        body,
    )
}

async fn change(State(fake): State<Arc<Fake>>, body: Bytes) -> Response {
    let event = match checked_event(
        &fake,
        "/v2/change/enqueue",
        &contracts().pagerduty_change,
        &body,
    ) {
        Ok(event) => event,
        Err(answer) => return *answer,
    };
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
    let body = json!({"status": "success", "message": "Change event processed"});
    answered(
        &fake,
        StatusCode::ACCEPTED,
        &contracts().pagerduty_success,
        body,
    )
}

async fn list_alerts(State(fake): State<Arc<Fake>>) -> Json<Vec<HeldAlert>> {
    Json(lock(&fake.held).alerts.clone())
}

async fn list_changes(State(fake): State<Arc<Fake>>) -> Json<Vec<ChangeRecord>> {
    Json(lock(&fake.held).changes.clone())
}
