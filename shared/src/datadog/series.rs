//! Datadog's metrics intake: `POST /api/v2/series` with `DD-API-KEY`, points batched so
//! no request body passes Datadog's 512,000-byte limit. Building the batches is pure; the
//! client sends them under the shared delivery policy (429 and 5xx retried, other 4xx not).

use serde::Serialize;
use serde_json::{Value, json};

use crate::domain::Timestamp;
use crate::http::{
    Attempt, BaseUrl, ClientError, DeliveryError, RetryPolicy, Timeouts, Verdict, build_client,
    classify, deliver, transport_failure,
};
use crate::secret::Secret;

const API: &str = "Datadog metrics intake";
pub const PATH: &str = "/api/v2/series";
/// Datadog's limit on an uncompressed payload.
pub const MAX_BODY_BYTES: usize = 512_000;

/// Datadog's metric types in the v2 intake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MetricType {
    Count,
    Gauge,
}

impl MetricType {
    /// The intake's code: 1 count, 3 gauge (0 unspecified, 2 rate).
    pub fn code(self) -> u8 {
        match self {
            Self::Count => 1,
            Self::Gauge => 3,
        }
    }
}

/// One point of one series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    pub metric: String,
    pub kind: MetricType,
    pub at: Timestamp,
    pub value: f64,
    pub tags: Vec<String>,
}

impl Point {
    fn to_json(&self) -> Value {
        json!({
            "metric": self.metric,
            "type": self.kind.code(),
            "points": [{"timestamp": self.at.secs(), "value": self.value}],
            "tags": self.tags,
        })
    }
}

/// The request bodies for `points`, in order, each under `max_bytes` (a single point too
/// big for any body is dropped: it cannot be sent).
pub fn batches(points: &[Point], max_bytes: usize) -> Vec<Value> {
    const ENVELOPE: usize = r#"{"series":[]}"#.len();
    let mut out = Vec::new();
    let mut series: Vec<Value> = Vec::new();
    let mut size = ENVELOPE;
    for p in points.iter().filter(|p| p.value.is_finite()) {
        let item = p.to_json();
        let bytes = item.to_string().len() + 1;
        if ENVELOPE + bytes > max_bytes {
            continue;
        }
        if size + bytes > max_bytes {
            out.push(json!({"series": std::mem::take(&mut series)}));
            size = ENVELOPE;
        }
        size += bytes;
        series.push(item);
    }
    if !series.is_empty() {
        out.push(json!({"series": series}));
    }
    out
}

/// Sends points to Datadog; needs the API key only.
#[derive(Debug)]
pub struct SeriesClient {
    http: reqwest::Client,
    base: BaseUrl,
    api_key: Secret,
    retry: RetryPolicy,
}

impl SeriesClient {
    pub fn new(base: BaseUrl, api_key: Secret, timeouts: Timeouts) -> Result<Self, ClientError> {
        Ok(Self {
            http: build_client(timeouts)?,
            base,
            api_key,
            retry: RetryPolicy::default(),
        })
    }

    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Submits every point, batch by batch; the number of batches sent. Stops at the
    /// first batch that is not taken.
    pub async fn submit(&self, points: &[Point]) -> Result<usize, DeliveryError> {
        let url = self.base.join(PATH);
        let bodies = batches(points, MAX_BODY_BYTES);
        for body in &bodies {
            deliver(API, &self.retry, || async {
                let sent = self
                    .http
                    .post(&url)
                    .header("DD-API-KEY", self.api_key.expose())
                    .json(body)
                    .send()
                    .await;
                match sent {
                    Ok(response) => read(response).await,
                    Err(err) => transport_failure(err),
                }
            })
            .await?;
        }
        Ok(bodies.len())
    }
}

async fn read(response: reqwest::Response) -> Attempt<()> {
    let status = response.status();
    let headers = response.headers().clone();
    let body = match response.bytes().await {
        Ok(body) => body,
        Err(err) => return transport_failure(err),
    };
    match classify(status, &headers, Timestamp::now()) {
        Verdict::Delivered => Attempt::Delivered(()),
        Verdict::Retry { after } => Attempt::Retry {
            reason: format!("POST {PATH} answered {status}"),
            after,
            limited: status == reqwest::StatusCode::TOO_MANY_REQUESTS,
        },
        Verdict::Rejected => Attempt::Rejected {
            status: Some(status.as_u16()),
            reason: format!("POST {PATH} answered {status}"),
            details: super::metrics::error_list(&body),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(i: usize) -> Point {
        Point {
            metric: "modelwatch.probe.pass".into(),
            kind: MetricType::Gauge,
            at: Timestamp::from_secs(1_764_302_400),
            value: 1.0,
            tags: vec![format!("case:c{i}"), "model:chat-large".into()],
        }
    }

    #[test]
    fn a_point_is_written_as_the_intake_expects() {
        let body = batches(&[point(0)], MAX_BODY_BYTES);
        assert_eq!(
            body,
            [json!({"series": [{
                "metric": "modelwatch.probe.pass",
                "type": 3,
                "points": [{"timestamp": 1_764_302_400, "value": 1.0}],
                "tags": ["case:c0", "model:chat-large"]
            }]})]
        );
    }

    #[test]
    fn batches_stay_under_the_size_limit_and_keep_every_point() {
        let points: Vec<Point> = (0..1000).map(point).collect();
        let bodies = batches(&points, 20_000);
        assert!(bodies.len() > 1);
        for b in &bodies {
            assert!(b.to_string().len() <= 20_000, "{}", b.to_string().len());
        }
        let total: usize = bodies
            .iter()
            .map(|b| b["series"].as_array().unwrap().len())
            .sum();
        assert_eq!(total, 1000);
    }

    #[test]
    fn non_finite_values_are_not_sent() {
        let mut p = point(0);
        p.value = f64::NAN;
        assert!(batches(&[p], MAX_BODY_BYTES).is_empty());
    }
}
