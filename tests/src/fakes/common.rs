//! What every fake shares: binding on loopback, the received-requests log, fault
//! injection, the record of contract violations (a fake with violations nobody took
//! fails the test when it stops), and the `/_received`, `/_faults` and `/_violations`
//! control routes.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::contract::{Breach, ContractViolation};

/// Bodies up to this size are read (uploads, oversized events to refuse).
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// One fault to inject into the next requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer this status (500, 502, 503…) without handling the request.
    Status { status: u16 },
    /// Answer 429 with `Retry-After` (and the API's rate-limit headers).
    RateLimited { retry_after_secs: u64 },
    /// Wait this long, then handle the request (to trip client timeouts).
    Slow { delay_ms: u64 },
    /// Handle the request, then wait this long before answering: what was sent has taken
    /// effect and the sender has not heard yet (`Faults::answer_held` is told), so a test
    /// can stop the sender in between, as a crash would.
    HoldAnswer { delay_ms: u64 },
    /// Handle the request, then answer this status with the API's error body instead of
    /// its answer: what was sent took effect though the answer says it failed (Slack's
    /// `internal_error`: "some aspect of the operation may have succeeded").
    HandledThenStatus { status: u16 },
}

/// A fault for the next `count` requests (`POST /_faults` takes this JSON:
/// `{"kind":"status","status":500,"count":3}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultPlan {
    #[serde(flatten)]
    pub fault: Fault,
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

/// The queue of planned faults, consumed one request at a time, in order.
#[derive(Debug, Default)]
pub struct Faults {
    queue: Mutex<VecDeque<FaultPlan>>,
    held: Arc<tokio::sync::Notify>,
    /// The requests whose answers were held, as received (their status not yet set).
    held_requests: Mutex<Vec<Received>>,
}

impl Faults {
    /// The next `count` requests get `fault` (after any faults already planned).
    pub fn push(&self, fault: Fault, count: u32) {
        lock(&self.queue).push_back(FaultPlan { fault, count });
    }

    /// The next `count` requests answer `status`.
    pub fn fail_next(&self, count: u32, status: u16) {
        self.push(Fault::Status { status }, count);
    }

    pub fn clear(&self) {
        lock(&self.queue).clear();
    }

    pub fn planned(&self) -> Vec<FaultPlan> {
        lock(&self.queue).iter().cloned().collect()
    }

    /// Told each time a request was handled and its answer held (`Fault::HoldAnswer`); a
    /// notice given while nobody waits is kept for the next wait.
    pub fn answer_held(&self) -> Arc<tokio::sync::Notify> {
        self.held.clone()
    }

    /// The requests whose answers were held (`Fault::HoldAnswer`), oldest first: which
    /// request a test stopped the sender at, whatever other senders did meanwhile.
    pub fn held_requests(&self) -> Vec<Received> {
        lock(&self.held_requests).clone()
    }

    fn take(&self) -> Option<Fault> {
        let mut queue = lock(&self.queue);
        let plan = queue.front_mut()?;
        let fault = plan.fault.clone();
        plan.count = plan.count.saturating_sub(1);
        if plan.count == 0 {
            queue.pop_front();
        }
        Some(fault)
    }
}

/// One request as the fake saw it, and what it answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Received {
    pub at_ms: i64,
    pub method: String,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// JSON bodies as JSON, forms as an object, anything else as `{"bytes": n}`.
    pub body: Value,
    pub status: u16,
    /// The injected fault that answered instead of the API, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
    /// How the request (or the fake's answer) broke the vendor's contract, if it did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<ContractViolation>,
}

/// How one fake words its fault answers.
pub(super) trait FaultBodies: Send + Sync + 'static {
    fn status_body(&self, status: u16) -> Value;
    fn rate_limited(&self, retry_after_secs: u64) -> (HeaderMap, Value);
}

/// The state every fake carries beside its own.
pub(super) struct Common {
    pub api: &'static str,
    pub received: Mutex<Vec<Received>>,
    pub faults: Arc<Faults>,
    pub bodies: Box<dyn FaultBodies>,
    /// Violations not yet taken by a test (`take_violations`).
    violations: Mutex<Vec<ContractViolation>>,
}

impl Common {
    pub fn new(api: &'static str, bodies: impl FaultBodies) -> Arc<Self> {
        Arc::new(Self {
            api,
            received: Mutex::new(Vec::new()),
            faults: Arc::new(Faults::default()),
            bodies: Box::new(bodies),
            violations: Mutex::new(Vec::new()),
        })
    }

    pub fn received(&self) -> Vec<Received> {
        lock(&self.received).clone()
    }

    /// Records that `operation` broke the contract (nothing when `breaches` is empty) and
    /// returns the record, to `attach` to the answer.
    pub fn violated(&self, operation: &str, breaches: &[Breach]) -> Vec<ContractViolation> {
        if breaches.is_empty() {
            return Vec::new();
        }
        let violation = ContractViolation {
            api: self.api.to_owned(),
            operation: operation.to_owned(),
            breaches: breaches.iter().map(ToString::to_string).collect(),
        };
        lock(&self.violations).push(violation.clone());
        vec![violation]
    }

    pub fn violations(&self) -> Vec<ContractViolation> {
        lock(&self.violations).clone()
    }

    pub fn take_violations(&self) -> Vec<ContractViolation> {
        std::mem::take(&mut *lock(&self.violations))
    }
}

/// A running fake: its address, and the server task (stopped when dropped). Dropped with
/// contract violations that no test took, it panics, so the test that caused them fails.
pub(super) struct Running {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
    common: Arc<Common>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
        let left = self.common.take_violations();
        if !left.is_empty() && !std::thread::panicking() {
            let list: Vec<String> = left.iter().map(ToString::to_string).collect();
            panic!(
                "the {} fake received {} request(s) that break the vendor's contract:\n{}",
                self.common.api,
                left.len(),
                list.join("\n")
            );
        }
    }
}

/// Serves `api` behind the fault/record layer, beside the shared and the fake's own
/// control routes (`/_…`, neither faulted nor recorded), on 127.0.0.1:`port` (0: any free).
pub(super) async fn serve(
    api: Router,
    own_control: Router,
    common: Arc<Common>,
    port: u16,
) -> std::io::Result<Running> {
    // The contracts compile once per process, here rather than inside the first request
    // (where they would eat into a client's timeout).
    super::contract::contracts();
    let control = Router::new()
        .route("/_received", get(list_received).delete(clear_received))
        .route(
            "/_faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/_violations", get(list_violations).delete(take_violations))
        .with_state(common.clone());
    let app = api
        .layer(middleware::from_fn_with_state(common.clone(), intercept))
        .merge(control)
        .merge(own_control)
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            eprintln!("fake on {addr} stopped: {err}");
        }
    });
    Ok(Running { addr, task, common })
}

async fn intercept(State(common): State<Arc<Common>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, BODY_LIMIT).await.unwrap_or_default();
    let content_type = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let mut received = Received {
        at_ms: now_ms(),
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        body: recorded_body(&content_type, &bytes),
        status: 0,
        fault: None,
        violations: Vec::new(),
    };
    let fault = common.faults.take();
    let response = match &fault {
        Some(Fault::Status { status }) => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, Json(common.bodies.status_body(status.as_u16()))).into_response()
        }
        Some(Fault::RateLimited { retry_after_secs }) => {
            let (mut headers, body) = common.bodies.rate_limited(*retry_after_secs);
            if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                headers.insert("retry-after", value);
            }
            (StatusCode::TOO_MANY_REQUESTS, headers, Json(body)).into_response()
        }
        Some(Fault::Slow { delay_ms }) => {
            tokio::time::sleep(Duration::from_millis(*delay_ms)).await;
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Some(Fault::HoldAnswer { delay_ms }) => {
            lock(&common.faults.held_requests).push(received.clone());
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            common.faults.held.notify_one();
            tokio::time::sleep(Duration::from_millis(*delay_ms)).await;
            response
        }
        Some(Fault::HandledThenStatus { status }) => {
            let handled = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut failed =
                (status, Json(common.bodies.status_body(status.as_u16()))).into_response();
            // The request's contract violations stay on record.
            if let Some(attached) = handled.extensions().get::<Attached>() {
                failed.extensions_mut().insert(attached.clone());
            }
            failed
        }
        None => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    };
    received.status = response.status().as_u16();
    received.fault = fault;
    received.violations = response
        .extensions()
        .get::<Attached>()
        .map(|a| a.0.clone())
        .unwrap_or_default();
    lock(&common.received).push(received);
    response
}

/// The violations of one request, carried on its answer to its `Received` entry.
#[derive(Clone)]
struct Attached(Vec<ContractViolation>);

/// `response` with the violations its request committed, for the received-requests log.
pub(super) fn attach(mut response: Response, violations: Vec<ContractViolation>) -> Response {
    if !violations.is_empty() {
        let mut all = response
            .extensions_mut()
            .remove::<Attached>()
            .map(|a| a.0)
            .unwrap_or_default();
        all.extend(violations);
        response.extensions_mut().insert(Attached(all));
    }
    response
}

fn recorded_body(content_type: &str, bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    if let Ok(json) = serde_json::from_slice::<Value>(bytes) {
        return json;
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return Value::Object(form_fields(bytes));
    }
    serde_json::json!({"bytes": bytes.len()})
}

/// A form body as an object of strings.
pub(super) fn form_fields(bytes: &[u8]) -> serde_json::Map<String, Value> {
    let text = String::from_utf8_lossy(bytes);
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), Value::String(decode(value)))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|d| d as u8)
}

async fn list_received(State(common): State<Arc<Common>>) -> Json<Vec<Received>> {
    Json(common.received())
}

async fn clear_received(State(common): State<Arc<Common>>) -> StatusCode {
    lock(&common.received).clear();
    StatusCode::NO_CONTENT
}

async fn list_faults(State(common): State<Arc<Common>>) -> Json<Vec<FaultPlan>> {
    Json(common.faults.planned())
}

async fn add_fault(State(common): State<Arc<Common>>, Json(plan): Json<FaultPlan>) -> StatusCode {
    common.faults.push(plan.fault, plan.count);
    StatusCode::NO_CONTENT
}

async fn list_violations(State(common): State<Arc<Common>>) -> Json<Vec<ContractViolation>> {
    Json(common.violations())
}

/// Lists the violations and forgets them (a client that expected them has seen them).
async fn take_violations(State(common): State<Arc<Common>>) -> Json<Vec<ContractViolation>> {
    Json(common.take_violations())
}

async fn clear_faults(State(common): State<Arc<Common>>) -> StatusCode {
    common.faults.clear();
    StatusCode::NO_CONTENT
}

pub(super) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A lock that survives a panicked holder (a fake must keep answering).
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_consumed_in_order_and_count() {
        let faults = Faults::default();
        faults.fail_next(2, 500);
        faults.push(
            Fault::RateLimited {
                retry_after_secs: 1,
            },
            1,
        );
        assert_eq!(faults.take(), Some(Fault::Status { status: 500 }));
        assert_eq!(faults.take(), Some(Fault::Status { status: 500 }));
        assert_eq!(
            faults.take(),
            Some(Fault::RateLimited {
                retry_after_secs: 1
            })
        );
        assert_eq!(faults.take(), None);
    }

    #[test]
    fn form_bodies_are_decoded() {
        let fields = form_fields(b"filename=chart+one.png&length=42&x=%2Fa");
        assert_eq!(fields["filename"], "chart one.png");
        assert_eq!(fields["length"], "42");
        assert_eq!(fields["x"], "/a");
    }
}
