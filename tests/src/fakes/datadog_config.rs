//! A fake of Datadog's configuration API as `modelwatch datadog apply` uses it: webhooks
//! and their custom variables, monitors and dashboards, held in memory. Every request body
//! is checked against the models of Datadog's API reference
//! (`tests/contracts/datadog-provisioning.schema.json`), keys are checked (403), and it
//! refuses what Datadog refuses: a name taken twice (400, as its contract says), a composite naming an unknown
//! monitor or a monitor a composite still names (400), a threshold that disagrees with the
//! query (400), secret variables' values are never shown.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::common::{Common, FaultBodies, Running, attach, lock, now_ms, serve};
use super::contract::{Breach, Problem, contracts};

const WEBHOOKS: &str = "/api/v1/integration/webhooks/configuration/webhooks";
const VARIABLES: &str = "/api/v1/integration/webhooks/configuration/custom-variables";

#[derive(Default)]
struct Held {
    webhooks: BTreeMap<String, Value>,
    variables: BTreeMap<String, Value>,
    monitors: BTreeMap<u64, Value>,
    dashboards: BTreeMap<String, Value>,
    next_id: u64,
}

struct Fake {
    common: Arc<Common>,
    api_key: String,
    app_key: String,
    held: Mutex<Held>,
}

/// A running fake; stops when dropped.
pub struct DatadogConfigFake {
    fake: Arc<Fake>,
    running: Running,
}

struct Wording;

impl FaultBodies for Wording {
    fn status_body(&self, status: u16) -> Value {
        json!({"errors": [format!("Internal Server Error ({status})")]})
    }

    fn rate_limited(&self, retry_after_secs: u64) -> (HeaderMap, Value) {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("x-ratelimit-limit", "100".to_owned()),
            ("x-ratelimit-period", "10".to_owned()),
            ("x-ratelimit-remaining", "0".to_owned()),
            ("x-ratelimit-reset", retry_after_secs.to_string()),
        ] {
            if let Ok(value) = value.parse() {
                headers.insert(name, value);
            }
        }
        (headers, json!({"errors": ["Too many requests"]}))
    }
}

type Answer = Response;

impl DatadogConfigFake {
    /// Starts on 127.0.0.1:`port` (0 for a free port), empty, accepting these keys.
    pub async fn start(api_key: &str, app_key: &str, port: u16) -> std::io::Result<Self> {
        let fake = Arc::new(Fake {
            common: Common::new("Datadog", Wording),
            api_key: api_key.to_owned(),
            app_key: app_key.to_owned(),
            held: Mutex::new(Held {
                next_id: 1_000_001,
                ..Held::default()
            }),
        });
        let api = Router::new()
            .route(WEBHOOKS, get(collection).post(collection))
            .route(
                &format!("{WEBHOOKS}/{{name}}"),
                get(one).put(one).delete(one),
            )
            .route(VARIABLES, get(collection).post(collection))
            .route(
                &format!("{VARIABLES}/{{name}}"),
                get(one).put(one).delete(one),
            )
            .route("/api/v1/monitor", get(collection).post(collection))
            .route("/api/v1/monitor/{name}", get(one).put(one).delete(one))
            .route("/api/v1/dashboard", get(collection).post(collection))
            .route("/api/v1/dashboard/{name}", get(one).put(one).delete(one))
            .with_state(fake.clone());
        let running = serve(api, Router::new(), fake.common.clone(), port).await?;
        Ok(Self { fake, running })
    }

    /// `http://127.0.0.1:PORT`: the base URL for `DatadogApi`.
    pub fn url(&self) -> String {
        format!("http://{}", self.running.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.running.addr
    }

    pub fn faults(&self) -> &super::Faults {
        &self.fake.common.faults
    }

    pub fn received(&self) -> Vec<super::Received> {
        self.fake.common.received()
    }

    pub fn take_contract_violations(&self) -> Vec<super::ContractViolation> {
        self.fake.common.take_violations()
    }

    /// Webhooks by name, as stored.
    pub fn webhooks(&self) -> BTreeMap<String, Value> {
        lock(&self.fake.held).webhooks.clone()
    }

    /// Custom variables by name, values included (what Datadog would keep).
    pub fn variables(&self) -> BTreeMap<String, Value> {
        lock(&self.fake.held).variables.clone()
    }

    pub fn monitors(&self) -> BTreeMap<u64, Value> {
        lock(&self.fake.held).monitors.clone()
    }

    pub fn dashboards(&self) -> BTreeMap<String, Value> {
        lock(&self.fake.held).dashboards.clone()
    }

    /// A monitor someone made by hand; its id.
    pub fn add_monitor(&self, body: Value) -> u64 {
        let mut held = lock(&self.fake.held);
        store_monitor(&mut held, None, body)
    }

    /// A dashboard someone made by hand; its id.
    pub fn add_dashboard(&self, body: Value) -> String {
        let mut held = lock(&self.fake.held);
        store_dashboard(&mut held, None, body)
    }

    /// Edits a held monitor as someone in Datadog's UI would.
    pub fn edit_monitor(&self, id: u64, edit: impl FnOnce(&mut Value)) {
        if let Some(m) = lock(&self.fake.held).monitors.get_mut(&id) {
            edit(m);
        }
    }

    pub fn edit_dashboard(&self, id: &str, edit: impl FnOnce(&mut Value)) {
        if let Some(d) = lock(&self.fake.held).dashboards.get_mut(id) {
            edit(d);
        }
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Answer {
    (status, Json(json!({"errors": [message.into()]}))).into_response()
}

fn keys_ok(fake: &Fake, headers: &HeaderMap) -> bool {
    let key = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    key("dd-api-key") == fake.api_key && key("dd-application-key") == fake.app_key
}

/// The body if it is JSON keeping `schema`, else Datadog's 400 (recorded as a violation).
fn checked(fake: &Fake, operation: &str, schema: &str, body: &Bytes) -> Result<Value, Box<Answer>> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        let breach = Breach {
            pointer: String::new(),
            problem: Problem::Other(format!("not JSON: {e}")),
        };
        let violations = fake.common.violated(operation, &[breach]);
        Box::new(attach(
            error(StatusCode::BAD_REQUEST, format!("Invalid JSON: {e}")),
            violations,
        ))
    })?;
    let Some(compiled) = contracts().datadog_config.get(schema) else {
        return Err(Box::new(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("no schema {schema}"),
        )));
    };
    let breaches = compiled.check(&value);
    if breaches.is_empty() {
        return Ok(value);
    }
    let errors: Vec<String> = breaches.iter().map(ToString::to_string).collect();
    let violations = fake.common.violated(operation, &breaches);
    Err(Box::new(attach(
        (StatusCode::BAD_REQUEST, Json(json!({"errors": errors}))).into_response(),
        violations,
    )))
}

/// Which collection a path names: `webhooks`, `variables`, `monitors` or `dashboards`.
fn kind_of(path: &str) -> &'static str {
    if path.starts_with(WEBHOOKS) {
        "webhooks"
    } else if path.starts_with(VARIABLES) {
        "variables"
    } else if path.starts_with("/api/v1/monitor") {
        "monitors"
    } else {
        "dashboards"
    }
}

async fn collection(
    State(fake): State<Arc<Fake>>,
    method: Method,
    uri: axum::http::Uri,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    if !keys_ok(&fake, &headers) {
        return error(StatusCode::FORBIDDEN, "Forbidden");
    }
    let kind = kind_of(uri.path());
    let operation = format!("{method} {}", uri.path());
    if method == Method::GET {
        let held = lock(&fake.held);
        return match kind {
            "monitors" => Json(list_monitors(&held, &query)).into_response(),
            "dashboards" => {
                // Datadog's `count` (default 100) and `start` (an offset).
                let count: usize = query
                    .get("count")
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(100);
                let start: usize = query.get("start").and_then(|s| s.parse().ok()).unwrap_or(0);
                let summaries: Vec<Value> = held
                    .dashboards
                    .values()
                    .skip(start)
                    .take(count)
                    .map(|d| {
                        json!({"id": d["id"], "title": d["title"], "description": d["description"],
                               "layout_type": d["layout_type"], "url": d["url"],
                               "created_at": d["created_at"], "modified_at": d["modified_at"],
                               "author_handle": d["author_handle"], "is_read_only": false})
                    })
                    .collect();
                Json(json!({"dashboards": summaries})).into_response()
            }
            _ => error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed"),
        };
    }
    let schema = match kind {
        "webhooks" => "webhook_create",
        "variables" => "custom_variable_create",
        "monitors" => "monitor_create",
        _ => "dashboard",
    };
    let value = match checked(&fake, &operation, schema, &body) {
        Ok(value) => value,
        Err(answer) => return *answer,
    };
    let mut held = lock(&fake.held);
    match kind {
        "webhooks" | "variables" => {
            let name = value["name"].as_str().unwrap_or_default().to_owned();
            let map = if kind == "webhooks" {
                &mut held.webhooks
            } else {
                &mut held.variables
            };
            // Datadog's contract answers a taken name 400 (it has no 409).
            if map.contains_key(&name) {
                return error(StatusCode::BAD_REQUEST, format!("{name} already exists"));
            }
            map.insert(name, value.clone());
            Json(shown(kind, &value)).into_response()
        }
        "monitors" => {
            if let Err(problem) = monitor_problem(&held, &value, None) {
                return error(StatusCode::BAD_REQUEST, problem);
            }
            let id = store_monitor(&mut held, None, value);
            Json(held.monitors[&id].clone()).into_response()
        }
        _ => {
            let id = store_dashboard(&mut held, None, value);
            Json(held.dashboards[&id].clone()).into_response()
        }
    }
}

async fn one(
    State(fake): State<Arc<Fake>>,
    method: Method,
    uri: axum::http::Uri,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    if !keys_ok(&fake, &headers) {
        return error(StatusCode::FORBIDDEN, "Forbidden");
    }
    let kind = kind_of(uri.path());
    let operation = format!("{method} {}", uri.path());
    let not_found = || error(StatusCode::NOT_FOUND, format!("{name} not found"));
    let body = if method == Method::PUT {
        let schema = match kind {
            "webhooks" => "webhook_update",
            "variables" => "custom_variable_update",
            "monitors" => "monitor_update",
            _ => "dashboard",
        };
        match checked(&fake, &operation, schema, &body) {
            Ok(value) => Some(value),
            Err(answer) => return *answer,
        }
    } else {
        None
    };
    let mut held = lock(&fake.held);
    match kind {
        "webhooks" | "variables" => {
            let map = if kind == "webhooks" {
                &mut held.webhooks
            } else {
                &mut held.variables
            };
            let Some(current) = map.get(&name).cloned() else {
                return not_found();
            };
            match (method, body) {
                (Method::GET, _) => Json(shown(kind, &current)).into_response(),
                (Method::DELETE, _) => {
                    map.remove(&name);
                    StatusCode::NO_CONTENT.into_response()
                }
                (_, Some(update)) => {
                    let merged = merged(current, update);
                    map.insert(name, merged.clone());
                    Json(shown(kind, &merged)).into_response()
                }
                _ => not_found(),
            }
        }
        "monitors" => {
            let Some(id) = name
                .parse::<u64>()
                .ok()
                .filter(|id| held.monitors.contains_key(id))
            else {
                return not_found();
            };
            match (method, body) {
                (Method::GET, _) => Json(held.monitors[&id].clone()).into_response(),
                (Method::DELETE, _) => {
                    let users: Vec<u64> = composites_naming(&held, id);
                    if !users.is_empty() {
                        return error(
                            StatusCode::BAD_REQUEST,
                            format!("monitor {id} is referenced in composite monitors {users:?}"),
                        );
                    }
                    held.monitors.remove(&id);
                    Json(json!({"deleted_monitor_id": id})).into_response()
                }
                (_, Some(update)) => {
                    let next = merged(held.monitors[&id].clone(), update);
                    if let Err(problem) = monitor_problem(&held, &next, Some(id)) {
                        return error(StatusCode::BAD_REQUEST, problem);
                    }
                    store_monitor(&mut held, Some(id), next);
                    Json(held.monitors[&id].clone()).into_response()
                }
                _ => not_found(),
            }
        }
        _ => {
            if !held.dashboards.contains_key(&name) {
                return not_found();
            }
            match (method, body) {
                (Method::GET, _) => Json(held.dashboards[&name].clone()).into_response(),
                (Method::DELETE, _) => {
                    held.dashboards.remove(&name);
                    Json(json!({"deleted_dashboard_id": name})).into_response()
                }
                (_, Some(update)) => {
                    store_dashboard(&mut held, Some(name.clone()), update);
                    Json(held.dashboards[&name].clone()).into_response()
                }
                _ => not_found(),
            }
        }
    }
}

/// A variable as Datadog shows it: a secret one without its value.
fn shown(kind: &str, value: &Value) -> Value {
    let mut value = value.clone();
    if kind == "variables"
        && value["is_secret"] == true
        && let Some(map) = value.as_object_mut()
    {
        map.remove("value");
    }
    value
}

/// `current` with the fields of a partial update replaced.
fn merged(mut current: Value, update: Value) -> Value {
    if let (Some(target), Value::Object(fields)) = (current.as_object_mut(), update) {
        for (k, v) in fields {
            target.insert(k, v);
        }
    }
    current
}

fn list_monitors(held: &Held, query: &BTreeMap<String, String>) -> Value {
    let wanted: Vec<&str> = query
        .get("monitor_tags")
        .map(|t| {
            t.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(0);
    let size: usize = query
        .get("page_size")
        .and_then(|p| p.parse().ok())
        .unwrap_or(100);
    let matching: Vec<Value> = held
        .monitors
        .values()
        .filter(|m| {
            let tags: Vec<&str> = m["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            wanted.iter().all(|w| tags.contains(w))
        })
        .skip(page * size)
        .take(size)
        .cloned()
        .collect();
    Value::Array(matching)
}

fn composites_naming(held: &Held, id: u64) -> Vec<u64> {
    held.monitors
        .iter()
        .filter(|(_, m)| m["type"] == "composite")
        .filter(|(_, m)| ids_in(m["query"].as_str().unwrap_or_default()).contains(&id))
        .map(|(k, _)| *k)
        .collect()
}

fn ids_in(query: &str) -> Vec<u64> {
    query
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|d| d.parse().ok())
        .collect()
}

/// What Datadog refuses in a monitor beyond its schema.
fn monitor_problem(held: &Held, m: &Value, own: Option<u64>) -> Result<(), String> {
    let query = m["query"].as_str().unwrap_or_default();
    if m["type"] == "composite" {
        for id in ids_in(query) {
            if !held.monitors.contains_key(&id) || Some(id) == own {
                return Err(format!("Composite query refers to unknown monitor {id}"));
            }
        }
        return Ok(());
    }
    query_form_problem(query)?;
    // `… > 0.05`: the query's threshold must be the critical threshold.
    let Some((_, number)) = query.rsplit_once(['>', '<']) else {
        return Err(format!(
            "The value provided for parameter 'query' is invalid: {query}"
        ));
    };
    let number = number.trim_start_matches('=').trim();
    let in_query: f64 = number
        .parse()
        .map_err(|_| format!("The value provided for parameter 'query' is invalid: {query}"))?;
    let critical = m["options"]["thresholds"]["critical"].as_f64();
    if critical.is_some_and(|c| c != in_query) {
        return Err(format!(
            "Alert threshold ({}) does not match that used in the query ({in_query}).",
            critical.unwrap_or_default()
        ));
    }
    Ok(())
}

/// A metric monitor's `time_aggr(time_window):…` as Datadog's monitor API describes it:
/// `time_aggr` one of avg, sum, max, min, change or pct_change; `time_window` (and an
/// anomaly's `alert_window`) `last_#m` up to 10080, `last_#h` up to 168, `last_1d` or
/// `last_1w`.
fn query_form_problem(query: &str) -> Result<(), String> {
    let invalid = |what: String| {
        Err(format!(
            "The value provided for parameter 'query' is invalid: {what}"
        ))
    };
    let Some((aggregation, rest)) = query.split_once('(') else {
        return invalid(format!("no time aggregation in {query}"));
    };
    if !["avg", "sum", "max", "min", "change", "pct_change"].contains(&aggregation.trim()) {
        return invalid(format!("time aggregation {aggregation:?}"));
    }
    let window = rest.split_once(')').map_or("", |(w, _)| w);
    let mut windows = vec![window];
    if let Some((_, after)) = query.split_once("alert_window='") {
        windows.push(after.split_once('\'').map_or("", |(w, _)| w));
    }
    for w in windows {
        let valid = match w.strip_prefix("last_") {
            Some("1d" | "1w") => true,
            Some(n) => match (n.strip_suffix('m'), n.strip_suffix('h')) {
                (Some(m), _) => m.parse::<u32>().is_ok_and(|m| (1..=10_080).contains(&m)),
                (_, Some(h)) => h.parse::<u32>().is_ok_and(|h| (1..=168).contains(&h)),
                _ => false,
            },
            None => false,
        };
        if !valid {
            return invalid(format!("time window {w:?}"));
        }
    }
    Ok(())
}

fn store_monitor(held: &mut Held, id: Option<u64>, mut m: Value) -> u64 {
    let id = id.unwrap_or_else(|| {
        held.next_id += 1;
        held.next_id
    });
    let now = now_ms();
    let created = held
        .monitors
        .get(&id)
        .map_or(json!(now), |old| old["created"].clone());
    if let Some(map) = m.as_object_mut() {
        map.insert("id".into(), json!(id));
        map.insert("created".into(), created);
        map.insert("modified".into(), json!(now));
        map.entry("overall_state").or_insert(json!("No Data"));
        map.entry("tags").or_insert(json!([]));
        map.entry("message").or_insert(json!(""));
        map.entry("priority").or_insert(Value::Null);
        // Datadog fills in the options it was not given.
        let options = map.entry("options").or_insert(json!({}));
        if let Some(options) = options.as_object_mut() {
            for (k, v) in [
                ("notify_audit", json!(false)),
                ("new_group_delay", json!(60)),
                ("silenced", json!({})),
                ("include_tags", json!(true)),
            ] {
                options.entry(k).or_insert(v);
            }
        }
    }
    held.monitors.insert(id, m);
    id
}

fn store_dashboard(held: &mut Held, id: Option<String>, mut d: Value) -> String {
    let id = id.unwrap_or_else(|| {
        held.next_id += 1;
        let n = held.next_id;
        format!(
            "{:03x}-{:03x}-{:03x}",
            (n >> 24) & 0xfff,
            (n >> 12) & 0xfff,
            n & 0xfff
        )
    });
    let now = now_ms();
    let mut widget_id = 1_000u64;
    if let Some(map) = d.as_object_mut() {
        map.insert("id".into(), json!(id));
        map.insert("url".into(), json!(format!("/dashboard/{id}/x")));
        map.insert("created_at".into(), json!(now.to_string()));
        map.insert("modified_at".into(), json!(now.to_string()));
        map.insert("author_handle".into(), json!("someone@example.com"));
        if let Some(Value::Array(widgets)) = map.get_mut("widgets") {
            for w in widgets {
                widget_id += 1;
                if let Some(w) = w.as_object_mut() {
                    w.insert("id".into(), json!(widget_id));
                }
            }
        }
    }
    held.dashboards.insert(id.clone(), d);
    id
}
