//! Datadog metrics API: `POST /api/v2/query/timeseries`, many groups in one query
//! (`by {model,model_version}`), read into plain series with missing points left out.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::Timestamp;
use crate::http::{
    Attempt, BaseUrl, ClientError, DeliveryError, RetryPolicy, Timeouts, Verdict, build_client,
    classify, deliver, rate_limit_wait, transport_failure,
};
use crate::secret::Secret;

const API: &str = "Datadog metrics";

/// The most points Datadog returns per series: past it, a query's `interval` "may be
/// overridden by a larger interval" (Datadog's API reference), so callers ask for no more.
pub const MAX_POINTS: u64 = 1500;
const PATH: &str = "/api/v2/query/timeseries";
const VALIDATE_PATH: &str = "/api/v1/validate";

/// The two keys every Datadog API read needs.
#[derive(Debug, Clone)]
pub struct DatadogKeys {
    pub api_key: Secret,
    pub app_key: Secret,
}

/// One series of one query: its group's tags (`model` → `chat-large`) and its points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub group: BTreeMap<String, String>,
    pub points: Vec<(Timestamp, f64)>,
}

/// A request: a window, an optional rollup interval, and metric queries such as
/// `avg:llm.latency.p95{env:prod} by {model,model_version}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeseriesQuery {
    pub from: Timestamp,
    pub to: Timestamp,
    pub interval: Option<Duration>,
    pub queries: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// The request cannot be valid; nothing was sent and a retry cannot help.
    #[error("invalid Datadog query: {problem}; a retry cannot help")]
    InvalidQuery { problem: String },
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
    /// Datadog answered 200 with a body of another shape: a retry is unlikely to help.
    #[error("Datadog's timeseries answer does not have the expected shape: {problem}")]
    BadResponse { problem: String },
    /// Datadog answered with `errors` beside its `data`: some of what was asked is
    /// missing, and a group left out would pass for a group without data. `partial` is
    /// what it did answer, for a caller that can say what is missing (a report).
    #[error(
        "Datadog answered only in part (errors: {errors}); what it left out cannot be told from no data"
    )]
    Incomplete {
        errors: String,
        partial: Vec<Vec<Series>>,
    },
}

impl MetricsError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, MetricsError::Delivery(e) if e.is_retryable())
    }
}

/// The request body: one query per name `q0`, `q1`…, each its own formula, so the
/// answer's series come back indexed by query.
pub fn request_body(query: &TimeseriesQuery) -> Result<Value, MetricsError> {
    if query.queries.is_empty() {
        return Err(MetricsError::InvalidQuery {
            problem: "no metric queries given".into(),
        });
    }
    if let Some(blank) = query.queries.iter().position(|q| q.trim().is_empty()) {
        return Err(MetricsError::InvalidQuery {
            problem: format!("query {blank} is empty"),
        });
    }
    if query.from >= query.to {
        return Err(MetricsError::InvalidQuery {
            problem: format!(
                "window from {} to {}: `from` must be before `to`",
                query.from, query.to
            ),
        });
    }
    let queries: Vec<Value> = query
        .queries
        .iter()
        .enumerate()
        .map(|(i, q)| json!({"data_source": "metrics", "query": q, "name": format!("q{i}")}))
        .collect();
    let formulas: Vec<Value> = (0..query.queries.len())
        .map(|i| json!({"formula": format!("q{i}")}))
        .collect();
    let mut attributes = json!({
        "from": query.from.millis(),
        "to": query.to.millis(),
        "queries": queries,
        "formulas": formulas,
    });
    if let Some(interval) = query.interval {
        attributes["interval"] = json!(interval.as_millis() as u64);
    }
    Ok(json!({"data": {"type": "timeseries_request", "attributes": attributes}}))
}

#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    data: Option<AnswerData>,
    #[serde(default)]
    errors: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct AnswerData {
    #[serde(default)]
    attributes: AnswerAttributes,
}

#[derive(Debug, Default, Deserialize)]
struct AnswerAttributes {
    #[serde(default)]
    times: Vec<i64>,
    #[serde(default)]
    values: Vec<Vec<Option<f64>>>,
    #[serde(default)]
    series: Vec<AnswerSeries>,
}

#[derive(Debug, Deserialize)]
struct AnswerSeries {
    #[serde(default)]
    group_tags: Vec<String>,
    #[serde(default)]
    query_index: usize,
}

/// Reads an answer into series per query (outer index = position in `queries`).
/// `values[i]` belongs to `series[i]`; a null value is a missing point.
pub fn parse_timeseries(body: &[u8], query_count: usize) -> Result<Vec<Vec<Series>>, MetricsError> {
    let answer: Answer = serde_json::from_slice(body).map_err(|e| MetricsError::BadResponse {
        problem: e.to_string(),
    })?;
    let Some(data) = answer.data else {
        let problem = match answer.errors {
            Some(errors) => format!("no data; errors: {errors}"),
            None => "no `data` object".into(),
        };
        return Err(MetricsError::BadResponse { problem });
    };
    // `errors` is a string in Datadog's contract; any other non-empty value says as much.
    let errors = match answer.errors {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s).filter(|s| !s.trim().is_empty()),
        Some(other) => Some(other.to_string()),
    };
    let attributes = data.attributes;
    if attributes.values.len() != attributes.series.len() {
        return Err(MetricsError::BadResponse {
            problem: format!(
                "{} value arrays for {} series",
                attributes.values.len(),
                attributes.series.len()
            ),
        });
    }
    let mut out = vec![Vec::new(); query_count];
    for (series, values) in attributes.series.into_iter().zip(attributes.values) {
        let slot = out
            .get_mut(series.query_index)
            .ok_or_else(|| MetricsError::BadResponse {
                problem: format!(
                    "query_index {} for {query_count} queries",
                    series.query_index
                ),
            })?;
        let points = attributes
            .times
            .iter()
            .zip(values)
            .filter_map(|(t, v)| {
                v.filter(|v| v.is_finite())
                    .map(|v| (Timestamp::from_millis(*t), v))
            })
            .collect();
        slot.push(Series {
            group: group_tags(&series.group_tags),
            points,
        });
    }
    match errors {
        Some(errors) => Err(MetricsError::Incomplete {
            errors: errors.chars().take(500).collect(),
            partial: out,
        }),
        None => Ok(out),
    }
}

/// The interval the answer actually has: the smallest gap between two points of any
/// series (Datadog answers on a grid; missing points only widen other gaps).
pub fn spacing(series: &[Series]) -> Option<Duration> {
    series
        .iter()
        .flat_map(|s| {
            s.points
                .windows(2)
                .map(|w| w[1].0.millis() - w[0].0.millis())
        })
        .filter(|gap| *gap > 0)
        .min()
        .and_then(|gap| u64::try_from(gap).ok())
        .map(Duration::from_millis)
}

/// `["model:chat-large", "model_version:v7"]` → {model: chat-large, model_version: v7}.
pub fn group_tags(tags: &[String]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|tag| match tag.split_once(':') {
            Some((key, value)) => (key.to_owned(), value.to_owned()),
            None => (tag.clone(), String::new()),
        })
        .collect()
}

/// One client per process. Between calls it keeps the rate-limit budget Datadog reports,
/// and waits for the reset rather than spend a request on a 429.
#[derive(Debug)]
pub struct MetricsClient {
    http: reqwest::Client,
    base: BaseUrl,
    keys: DatadogKeys,
    retry: RetryPolicy,
    hold_until: Mutex<Option<Instant>>,
    /// Query requests sent, retries included: what a run spends of the rate limit.
    sent: std::sync::atomic::AtomicU64,
}

impl MetricsClient {
    pub fn new(base: BaseUrl, keys: DatadogKeys, timeouts: Timeouts) -> Result<Self, ClientError> {
        Ok(Self {
            http: build_client(timeouts)?,
            base,
            keys,
            retry: RetryPolicy::default(),
            hold_until: Mutex::new(None),
            sent: Default::default(),
        })
    }

    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Runs the queries in one request; the series of each, in the order given.
    pub async fn query(&self, query: &TimeseriesQuery) -> Result<Vec<Vec<Series>>, MetricsError> {
        let body = request_body(query)?;
        let url = self.base.join(PATH);
        let bytes = deliver(API, &self.retry, || async {
            self.wait_for_budget().await;
            self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let sent = self
                .http
                .post(&url)
                .header("DD-API-KEY", self.keys.api_key.expose())
                .header("DD-APPLICATION-KEY", self.keys.app_key.expose())
                .json(&body)
                .send()
                .await;
            match sent {
                Ok(response) => self.read(response).await,
                Err(err) => transport_failure(err),
            }
        })
        .await?;
        parse_timeseries(&bytes, query.queries.len())
    }

    /// The query requests this client has sent, retries included.
    pub fn queries_sent(&self) -> u64 {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// One query's series.
    pub async fn query_one(
        &self,
        query: &str,
        from: Timestamp,
        to: Timestamp,
        interval: Option<Duration>,
    ) -> Result<Vec<Series>, MetricsError> {
        let request = TimeseriesQuery {
            from,
            to,
            interval,
            queries: vec![query.to_owned()],
        };
        Ok(self
            .query(&request)
            .await?
            .into_iter()
            .next()
            .unwrap_or_default())
    }

    /// `GET /api/v1/validate`: whether Datadog accepts the API key (the application key is
    /// proven by a query, which also needs its `timeseries_query` scope).
    pub async fn validate_api_key(&self) -> Result<bool, MetricsError> {
        let url = self.base.join(VALIDATE_PATH);
        let answer = deliver(API, &self.retry, || async {
            let sent = self
                .http
                .get(&url)
                .header("DD-API-KEY", self.keys.api_key.expose())
                .send()
                .await;
            match sent {
                Ok(response) if response.status() == reqwest::StatusCode::FORBIDDEN => {
                    Attempt::Delivered(false)
                }
                Ok(response) => self.read(response).await.map(|body| {
                    serde_json::from_slice::<Value>(&body)
                        .ok()
                        .and_then(|v| v.get("valid").and_then(Value::as_bool))
                        .unwrap_or(false)
                }),
                Err(err) => transport_failure(err),
            }
        })
        .await?;
        Ok(answer)
    }

    async fn wait_for_budget(&self) {
        let until = self.hold_until.lock().map(|h| *h).unwrap_or(None);
        if let Some(until) = until {
            let wait = until.saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                tracing::info!(
                    api = API,
                    wait_ms = wait.as_millis() as u64,
                    "rate-limit budget spent, waiting for reset"
                );
                tokio::time::sleep(wait.min(self.retry.deadline)).await;
            }
        }
    }

    async fn read(&self, response: reqwest::Response) -> Attempt<Vec<u8>> {
        let status = response.status();
        let headers = response.headers().clone();
        if let Ok(mut hold) = self.hold_until.lock() {
            *hold = rate_limit_wait(&headers).map(|wait| Instant::now() + wait);
        }
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(err) => return transport_failure(err),
        };
        match classify(status, &headers, Timestamp::now()) {
            Verdict::Delivered => Attempt::Delivered(body.to_vec()),
            Verdict::Retry { after } => Attempt::Retry {
                reason: format!("POST {PATH} answered {status}"),
                after,
                limited: status == reqwest::StatusCode::TOO_MANY_REQUESTS,
            },
            Verdict::Rejected => Attempt::Rejected {
                status: Some(status.as_u16()),
                reason: format!("POST {PATH} answered {status}"),
                details: error_list(&body),
            },
        }
    }
}

/// Datadog's `{"errors": ["Forbidden"]}`, as a list (every Datadog API answers errors so).
pub(crate) fn error_list(body: &[u8]) -> Vec<String> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("errors").cloned())
        .map(|errors| match errors {
            Value::Array(items) => items
                .into_iter()
                .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned))
                .collect(),
            Value::String(text) => vec![text],
            other => vec![other.to_string()],
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window() -> TimeseriesQuery {
        TimeseriesQuery {
            from: Timestamp::from_millis(1_764_302_400_000),
            to: Timestamp::from_millis(1_764_306_000_000),
            interval: Some(Duration::from_secs(60)),
            queries: vec![
                "avg:llm.latency.p95{env:prod} by {model,model_version}".into(),
                "sum:llm.errors{env:prod} by {model,model_version}".into(),
            ],
        }
    }

    #[test]
    fn request_names_each_query_and_its_formula() {
        let body = request_body(&window()).unwrap();
        let attributes = &body["data"]["attributes"];
        assert_eq!(body["data"]["type"], "timeseries_request");
        assert_eq!(attributes["from"], 1_764_302_400_000_i64);
        assert_eq!(attributes["interval"], 60_000);
        assert_eq!(attributes["queries"][1]["name"], "q1");
        assert_eq!(attributes["queries"][1]["data_source"], "metrics");
        assert_eq!(attributes["formulas"][1]["formula"], "q1");
    }

    #[test]
    fn an_empty_or_backwards_window_is_refused_before_sending() {
        let mut q = window();
        q.to = q.from;
        assert!(matches!(
            request_body(&q),
            Err(MetricsError::InvalidQuery { .. })
        ));
        q = window();
        q.queries.clear();
        assert!(matches!(
            request_body(&q),
            Err(MetricsError::InvalidQuery { .. })
        ));
    }

    #[test]
    fn answer_is_split_by_query_and_group_with_nulls_left_out() {
        let body = br#"{"data":{"type":"timeseries_response","id":"0","attributes":{
            "times":[1000,2000,3000],
            "values":[[1.5,null,2.5],[0.0,4.0,null],[7.0,7.0,7.0]],
            "series":[
              {"group_tags":["model:chat-large","model_version:v7"],"query_index":0,"unit":null},
              {"group_tags":["model:chat-small","model_version:v2"],"query_index":0,"unit":null},
              {"group_tags":["model:chat-large","model_version:v7"],"query_index":1,"unit":null}
            ]}}}"#;
        let got = parse_timeseries(body, 2).unwrap();
        assert_eq!(got[0].len(), 2);
        assert_eq!(got[1].len(), 1);
        let large = &got[0][0];
        assert_eq!(large.group["model"], "chat-large");
        assert_eq!(large.group["model_version"], "v7");
        assert_eq!(
            large.points,
            vec![
                (Timestamp::from_millis(1000), 1.5),
                (Timestamp::from_millis(3000), 2.5)
            ]
        );
        assert_eq!(got[0][1].points.len(), 2);
    }

    #[test]
    fn data_with_errors_beside_it_is_an_incomplete_answer() {
        let body = br#"{"data": {"type": "timeseries_response", "attributes": {
            "series": [{"group_tags": ["model:a"], "query_index": 0, "unit": null}],
            "times": [0], "values": [[1.5]]}}, "errors": "query q1 timed out"}"#;
        let err = parse_timeseries(body, 2).unwrap_err();
        assert!(
            matches!(&err, MetricsError::Incomplete { errors, partial }
                if errors == "query q1 timed out" && partial[0].len() == 1 && partial[1].is_empty()),
            "{err}"
        );
        assert!(!err.is_retryable());
        // An empty `errors` is no error.
        let body = br#"{"data": {"type": "timeseries_response", "attributes": {
            "series": [], "times": [], "values": []}}, "errors": ""}"#;
        assert!(parse_timeseries(body, 1).is_ok());
    }

    #[test]
    fn a_body_without_data_names_datadogs_errors() {
        let err = parse_timeseries(br#"{"errors":"query parse error"}"#, 1).unwrap_err();
        assert!(err.to_string().contains("query parse error"), "{err}");
    }

    #[test]
    fn forbidden_errors_are_read_as_a_list() {
        assert_eq!(
            error_list(br#"{"errors":["Forbidden"]}"#),
            vec!["Forbidden"]
        );
    }
}
