//! A fake Datadog metrics API: `POST /api/v2/query/timeseries` over scenario series, the
//! metrics intake `POST /api/v2/series` (`datadog_intake`) adding to them,
//! key checks (403 `{"errors":["Forbidden"]}`), and Datadog's rate-limit headers. Each
//! request, and each of its own answers, is checked against the schema written from
//! Datadog's API reference (`tests/contracts/datadog-query-timeseries.schema.json`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::common::{Common, FaultBodies, Faults, Received, Running, attach, lock, now_ms, serve};
use super::contract::{Breach, ContractViolation, Problem, Schema, contracts};
use super::datadog_query::{Aggregator, MetricQuery};

/// Points per answer when the request gives no interval (Datadog picks one similarly).
const AUTO_POINTS: i64 = 300;

/// The rollup intervals the fake coarsens to (ms), as Datadog's graphs step through them.
const ROLLUPS_MS: [i64; 14] = [
    60_000,
    120_000,
    300_000,
    600_000,
    900_000,
    1_200_000,
    1_800_000,
    3_600_000,
    7_200_000,
    14_400_000,
    21_600_000,
    43_200_000,
    86_400_000,
    604_800_000,
];

/// One stored series: a metric, its tags, and `(epoch ms, value)` points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredSeries {
    pub metric: String,
    pub tags: BTreeMap<String, String>,
    pub points: Vec<(i64, f64)>,
}

/// The keys it accepts and its rate limit (`limit` requests per `period_secs`).
#[derive(Debug, Clone)]
pub struct DatadogFakeConfig {
    pub api_key: String,
    pub app_key: String,
    pub limit: u32,
    pub period_secs: u64,
    /// Most points per series: a request whose interval would give more is answered at
    /// a larger one, as Datadog does ("may be overridden by a larger interval if the query
    /// would result in too many points"; about 1,500).
    pub max_points: i64,
}

impl DatadogFakeConfig {
    pub fn new(api_key: impl Into<String>, app_key: impl Into<String>) -> Self {
        Self {
            api_key: api_key.into(),
            app_key: app_key.into(),
            limit: 1000,
            period_secs: 60,
            max_points: 1500,
        }
    }

    pub fn max_points(mut self, max_points: i64) -> Self {
        self.max_points = max_points.max(1);
        self
    }

    pub fn rate_limit(mut self, limit: u32, period_secs: u64) -> Self {
        self.limit = limit;
        self.period_secs = period_secs.max(1);
        self
    }
}

#[derive(Default)]
struct Budget {
    period_start_ms: i64,
    used: u32,
}

struct Fake {
    common: Arc<Common>,
    config: DatadogFakeConfig,
    series: Mutex<Vec<StoredSeries>>,
    budget: Mutex<Budget>,
    /// Metrics whose queries are answered only in part (`answer_in_part`).
    in_part: Mutex<BTreeSet<String>>,
}

/// A running fake; stops when dropped.
pub struct DatadogFake {
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
            ("x-ratelimit-limit", "1000".to_owned()),
            ("x-ratelimit-period", "60".to_owned()),
            ("x-ratelimit-remaining", "0".to_owned()),
            ("x-ratelimit-reset", retry_after_secs.to_string()),
            ("x-ratelimit-name", "query_timeseries".to_owned()),
        ] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        (headers, json!({"errors": ["Too many requests"]}))
    }
}

impl DatadogFake {
    /// Starts on 127.0.0.1:`port` (0 for a free port) with no series.
    pub async fn start(config: DatadogFakeConfig, port: u16) -> std::io::Result<Self> {
        let fake = Arc::new(Fake {
            common: Common::new("Datadog", Wording),
            config,
            series: Mutex::new(Vec::new()),
            budget: Mutex::new(Budget::default()),
            in_part: Mutex::new(BTreeSet::new()),
        });
        let api = Router::new()
            .route("/api/v2/query/timeseries", post(query))
            .route("/api/v1/validate", get(validate))
            .route("/api/v2/series", post(submit))
            .with_state(fake.clone());
        let control = Router::new()
            .route(
                "/_series",
                get(list_series).post(add_series).delete(clear_series),
            )
            .with_state(fake.clone());
        let running = serve(api, control, fake.common.clone(), port).await?;
        Ok(Self { fake, running })
    }

    /// `http://127.0.0.1:PORT`: the base URL for `MetricsClient`.
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

    /// The requests (and answers) that broke Datadog's documented model, kept until taken.
    pub fn contract_violations(&self) -> Vec<ContractViolation> {
        self.fake.common.violations()
    }

    /// Takes the violations a test expected: the fake no longer fails the test for them.
    pub fn take_contract_violations(&self) -> Vec<ContractViolation> {
        self.fake.common.take_violations()
    }

    /// Every stored series of `metric` (scenario data and submitted points alike).
    pub fn series_of(&self, metric: &str) -> Vec<StoredSeries> {
        lock(&self.fake.series)
            .iter()
            .filter(|s| s.metric == metric)
            .cloned()
            .collect()
    }

    /// Adds scenario data (also `POST /_series` with a JSON list of `StoredSeries`).
    pub fn add_series(&self, series: StoredSeries) {
        lock(&self.fake.series).push(in_time_order(series));
    }

    /// Adds one series from `(metric, [(tag, value)], points)`.
    pub fn add(&self, metric: &str, tags: &[(&str, &str)], points: Vec<(i64, f64)>) {
        self.add_series(series(metric, tags, points));
    }

    /// From now on, a request with a query of `metric` is answered 200 without that
    /// query's series and with `errors` saying so, beside the data of its other queries:
    /// Datadog's answer when part of a request fails (its contract's `errors` string).
    pub fn answer_in_part(&self, metric: &str, in_part: bool) {
        let mut metrics = lock(&self.fake.in_part);
        if in_part {
            metrics.insert(metric.to_owned());
        } else {
            metrics.remove(metric);
        }
    }

    /// Puts `points` in place of the series of `metric` with exactly `tags`: what Datadog
    /// answers once points that were late have arrived, and a minute read while it was
    /// still filling reads whole.
    pub fn replace(&self, metric: &str, tags: &[(&str, &str)], points: Vec<(i64, f64)>) {
        let new = in_time_order(series(metric, tags, points));
        let mut stored = lock(&self.fake.series);
        stored.retain(|s| s.metric != new.metric || s.tags != new.tags);
        stored.push(new);
    }
}

fn series(metric: &str, tags: &[(&str, &str)], points: Vec<(i64, f64)>) -> StoredSeries {
    StoredSeries {
        metric: metric.to_owned(),
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        points,
    }
}

/// The fake's own answer, checked against Datadog's documented model for it: a fake that
/// answers what Datadog never would records a violation (`answer`) too.
fn answered(fake: &Fake, status: StatusCode, schema: &Schema, body: Value) -> Response {
    let violations = fake.common.violated("answer", &schema.check(&body));
    attach((status, Json(body)).into_response(), violations)
}

/// `GET /api/v1/validate`: `{"valid": true}` for the API key, else 403 as Datadog answers.
async fn validate(State(fake): State<Arc<Fake>>, headers: HeaderMap) -> Response {
    let api_key = headers.get("dd-api-key").and_then(|v| v.to_str().ok());
    if api_key == Some(fake.config.api_key.as_str()) {
        Json(json!({"valid": true})).into_response()
    } else {
        (
            StatusCode::FORBIDDEN,
            Json(json!({"errors": ["Forbidden"]})),
        )
            .into_response()
    }
}

fn forbidden(fake: &Fake) -> Response {
    let body = json!({"errors": ["Forbidden"]});
    answered(
        fake,
        StatusCode::FORBIDDEN,
        &contracts().datadog_error,
        body,
    )
}

fn bad_request(fake: &Fake, message: String) -> Response {
    let body = json!({"errors": [message]});
    answered(
        fake,
        StatusCode::BAD_REQUEST,
        &contracts().datadog_error,
        body,
    )
}

/// Counts the request against the budget; the headers to send, and whether it is over.
fn spend(fake: &Fake) -> (HeaderMap, bool) {
    let now = now_ms();
    let period_ms = (fake.config.period_secs * 1000) as i64;
    let mut budget = lock(&fake.budget);
    if now - budget.period_start_ms >= period_ms {
        budget.period_start_ms = now - now.rem_euclid(period_ms);
        budget.used = 0;
    }
    budget.used += 1;
    let over = budget.used > fake.config.limit;
    let remaining = fake.config.limit.saturating_sub(budget.used);
    let reset_secs = ((budget.period_start_ms + period_ms - now) as f64 / 1000.0).ceil() as i64;
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("x-ratelimit-limit", fake.config.limit.to_string()),
        ("x-ratelimit-period", fake.config.period_secs.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-reset", reset_secs.max(1).to_string()),
        ("x-ratelimit-name", "query_timeseries".to_owned()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    (headers, over)
}

#[derive(Deserialize)]
struct Request {
    data: RequestData,
}

#[derive(Deserialize)]
struct RequestData {
    attributes: RequestAttributes,
}

#[derive(Deserialize)]
struct RequestAttributes {
    from: i64,
    to: i64,
    #[serde(default)]
    interval: Option<i64>,
    queries: Vec<QueryEntry>,
    #[serde(default)]
    formulas: Option<Vec<FormulaEntry>>,
}

#[derive(Deserialize)]
struct QueryEntry {
    data_source: String,
    #[serde(default)]
    query: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct FormulaEntry {
    formula: String,
}

async fn submit(State(fake): State<Arc<Fake>>, headers: HeaderMap, body: Bytes) -> Response {
    super::datadog_intake::submit(
        &fake.common,
        &fake.config.api_key,
        &fake.series,
        &headers,
        &body,
    )
}

async fn query(State(fake): State<Arc<Fake>>, headers: HeaderMap, body: Bytes) -> Response {
    let key = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    if key("dd-api-key") != fake.config.api_key || key("dd-application-key") != fake.config.app_key
    {
        return forbidden(&fake);
    }
    let (rate_headers, over) = spend(&fake);
    if over {
        let body = json!({"errors": ["Too many requests"]});
        let answer = answered(
            &fake,
            StatusCode::TOO_MANY_REQUESTS,
            &contracts().datadog_error,
            body,
        );
        return (rate_headers, answer).into_response();
    }
    let request = match checked_request(&fake, &body) {
        Ok(request) => request,
        Err(answer) => return (rate_headers, *answer).into_response(),
    };
    let answer = match answer(&fake, request) {
        Ok(answer) => answered(&fake, StatusCode::OK, &contracts().datadog_response, answer),
        Err(problem) => bad_request(&fake, problem),
    };
    (rate_headers, answer).into_response()
}

/// The request if it keeps Datadog's documented model, else Datadog's 400 (recorded).
fn checked_request(fake: &Fake, body: &Bytes) -> Result<Request, Box<Response>> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        let violations = fake.common.violated(
            "/api/v2/query/timeseries",
            &[Breach {
                pointer: String::new(),
                problem: Problem::Other(format!("not JSON: {e}")),
            }],
        );
        Box::new(attach(
            bad_request(fake, format!("Invalid request body: {e}")),
            violations,
        ))
    })?;
    let breaches = contracts().datadog_request.check(&value);
    if !breaches.is_empty() {
        let errors: Vec<String> = breaches.iter().map(ToString::to_string).collect();
        let violations = fake.common.violated("/api/v2/query/timeseries", &breaches);
        let body = json!({"errors": errors});
        return Err(Box::new(attach(
            answered(
                fake,
                StatusCode::BAD_REQUEST,
                &contracts().datadog_error,
                body,
            ),
            violations,
        )));
    }
    serde_json::from_value(value)
        .map_err(|e| Box::new(bad_request(fake, format!("Invalid request body: {e}"))))
}

/// The answer to a query that keeps the contract, or what the fake cannot serve (a 400).
fn answer(fake: &Fake, request: Request) -> Result<Value, String> {
    let attributes = request.data.attributes;
    if attributes.from >= attributes.to {
        return Err("'from' must be before 'to'".into());
    }
    if attributes.queries.is_empty() {
        return Err("at least one query is required".into());
    }
    let mut parsed = Vec::new();
    for entry in &attributes.queries {
        if entry.data_source != "metrics" {
            return Err(format!(
                "data_source {:?} is not served by this fake (only \"metrics\")",
                entry.data_source
            ));
        }
        let query = MetricQuery::parse(&entry.query).map_err(|e| e.to_string())?;
        parsed.push((entry.name.clone(), query));
    }
    // Each formula must name one query: the fake does no arithmetic.
    let order: Vec<usize> = match &attributes.formulas {
        Some(formulas) if !formulas.is_empty() => formulas
            .iter()
            .map(|f| {
                parsed
                    .iter()
                    .position(|(name, _)| *name == f.formula.trim())
                    .ok_or_else(|| {
                        format!("formula {:?} must name one query in this fake", f.formula)
                    })
            })
            .collect::<Result<_, _>>()?,
        _ => (0..parsed.len()).collect(),
    };
    let asked = attributes
        .interval
        .filter(|i| *i > 0)
        .unwrap_or_else(|| ((attributes.to - attributes.from) / AUTO_POINTS).max(60_000));
    let interval = rollup(
        attributes.to - attributes.from,
        asked,
        fake.config.max_points,
    );
    let start = attributes.from - attributes.from.rem_euclid(interval);
    let times: Vec<i64> = (0..)
        .map(|i| start + i * interval)
        .take_while(|t| *t < attributes.to)
        .collect();
    let stored = lock(&fake.series).clone();
    let in_part = lock(&fake.in_part).clone();
    let mut failed = Vec::new();
    let mut series = Vec::new();
    let mut values = Vec::new();
    for (index, query_at) in order.iter().enumerate() {
        let (name, query) = &parsed[*query_at];
        if in_part.contains(&query.metric) {
            failed.push(name.clone());
            continue;
        }
        let mut groups: BTreeMap<Vec<String>, Vec<&StoredSeries>> = BTreeMap::new();
        for s in stored
            .iter()
            .filter(|s| s.metric == query.metric && query.matches(&s.tags))
        {
            groups.entry(query.group_of(&s.tags)).or_default().push(s);
        }
        for (group, members) in groups {
            let row: Vec<Option<f64>> = times
                .iter()
                .map(|t| {
                    let inside = |s: &StoredSeries| -> Vec<f64> {
                        // Stored points are in time order (`add_series`).
                        let first = s.points.partition_point(|(at, _)| *at < *t);
                        let end = s.points.partition_point(|(at, _)| *at < t + interval);
                        s.points[first..end]
                            .iter()
                            .filter(|(_, v)| v.is_finite())
                            .map(|(_, v)| *v)
                            .collect()
                    };
                    match query.aggregator {
                        // A distribution's percentile is over every value in the group.
                        Aggregator::Percentile(_) => {
                            let all: Vec<f64> = members.iter().flat_map(|s| inside(s)).collect();
                            query.aggregator.apply(&all)
                        }
                        // A gauge: each series' average over the interval, then across.
                        _ => {
                            let per_series: Vec<f64> = members
                                .iter()
                                .filter_map(|s| Aggregator::Avg.apply(&inside(s)))
                                .collect();
                            query.aggregator.apply(&per_series)
                        }
                    }
                })
                .collect();
            // As Datadog does, a group without a point in the range is left out: a model
            // that stopped reporting longer ago than the query reaches is simply not there.
            if row.iter().all(Option::is_none) {
                continue;
            }
            series.push(json!({"group_tags": group, "query_index": index, "unit": null}));
            values.push(row);
        }
    }
    let mut answer = json!({
        "data": {
            "type": "timeseries_response",
            "attributes": {"series": series, "times": times, "values": values}
        }
    });
    if !failed.is_empty() {
        answer["errors"] = json!(format!(
            "error processing queries {}: timed out",
            failed.join(", ")
        ));
    }
    Ok(answer)
}

async fn list_series(State(fake): State<Arc<Fake>>) -> Json<Vec<StoredSeries>> {
    Json(lock(&fake.series).clone())
}

async fn add_series(
    State(fake): State<Arc<Fake>>,
    Json(series): Json<Vec<StoredSeries>>,
) -> StatusCode {
    lock(&fake.series).extend(series.into_iter().map(in_time_order));
    StatusCode::NO_CONTENT
}

async fn clear_series(State(fake): State<Arc<Fake>>) -> StatusCode {
    lock(&fake.series).clear();
    StatusCode::NO_CONTENT
}

/// The interval a request is answered at: the one asked for, unless the range would then
/// hold more than `max_points`; then the smallest rollup that keeps it within.
fn rollup(range_ms: i64, asked_ms: i64, max_points: i64) -> i64 {
    if range_ms.div_euclid(asked_ms) <= max_points {
        return asked_ms;
    }
    let needed = (range_ms + max_points - 1) / max_points;
    ROLLUPS_MS
        .into_iter()
        .find(|r| *r >= needed && *r >= asked_ms)
        .unwrap_or(needed.max(asked_ms))
}

fn in_time_order(mut series: StoredSeries) -> StoredSeries {
    series.points.sort_by_key(|(at, _)| *at);
    series
}

#[cfg(test)]
mod tests {
    use super::rollup;

    #[test]
    fn an_interval_that_gives_too_many_points_is_rolled_up() {
        let day = 86_400_000;
        assert_eq!(rollup(day, 60_000, 1500), 60_000, "1,440 points fit");
        // Two days of minutes: 2,880 points; 2 minutes give 1,440.
        assert_eq!(rollup(2 * day, 60_000, 1500), 120_000);
        // 22 days: 20.1 minutes needed, the next rollup is 30.
        assert_eq!(rollup(22 * day, 60_000, 1500), 1_800_000);
        // An interval asked for that is already coarse enough stays.
        assert_eq!(rollup(22 * day, 1_320_000, 1500), 1_320_000);
    }
}
