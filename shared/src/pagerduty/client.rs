//! The Events API v2 client: sends events under the shared delivery policy.

use serde::Serialize;

use super::change::ChangeEvent;
use super::event::{Event, Wire};
use super::keys::RoutingKey;
use super::response::parse_response;
use crate::domain::Timestamp;
use crate::http::{
    Attempt, BaseUrl, ClientError, DeliveryError, RetryPolicy, Timeouts, Verdict, build_client,
    classify, deliver, transport_failure,
};

const API: &str = "PagerDuty";

/// What PagerDuty said when it took an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The alert's dedup key as PagerDuty holds it (empty for change events).
    pub dedup_key: String,
    pub message: String,
}

/// One client per process: a `reqwest::Client` with timeouts, the base URL (PagerDuty's,
/// or the emulator's) and the retry policy.
#[derive(Debug, Clone)]
pub struct PagerDutyClient {
    http: reqwest::Client,
    base: BaseUrl,
    retry: RetryPolicy,
}

impl PagerDutyClient {
    pub const DEFAULT_BASE_URL: &str = "https://events.pagerduty.com";

    pub fn new(base: BaseUrl, timeouts: Timeouts) -> Result<Self, ClientError> {
        Ok(Self {
            http: build_client(timeouts)?,
            base,
            retry: RetryPolicy::default(),
        })
    }

    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sends a trigger, acknowledge or resolve to `POST /v2/enqueue`. 202 is delivered;
    /// 400 is rejected with PagerDuty's error list; 429, 5xx and timeouts are retried.
    pub async fn send(&self, key: &RoutingKey, event: &Event) -> Result<Accepted, DeliveryError> {
        let accepted = self.post("/v2/enqueue", key, event).await?;
        Ok(Accepted {
            dedup_key: if accepted.dedup_key.is_empty() {
                event.dedup_key().as_str().to_owned()
            } else {
                accepted.dedup_key
            },
            message: accepted.message,
        })
    }

    /// Sends a change event to `POST /v2/change/enqueue`.
    pub async fn send_change(
        &self,
        key: &RoutingKey,
        event: &ChangeEvent,
    ) -> Result<Accepted, DeliveryError> {
        self.post("/v2/change/enqueue", key, event).await
    }

    async fn post<E: Serialize>(
        &self,
        path: &str,
        key: &RoutingKey,
        event: &E,
    ) -> Result<Accepted, DeliveryError> {
        let body = serde_json::to_vec(&Wire {
            routing_key: key.expose(),
            event,
        })
        .map_err(|e| DeliveryError::Rejected {
            api: API,
            status: None,
            reason: format!("the event does not serialise: {e}"),
            details: Vec::new(),
        })?;
        let url = self.base.join(path);
        deliver(API, &self.retry, || async {
            let sent = self
                .http
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(response) => read(path, response).await,
                Err(err) => transport_failure(err),
            }
        })
        .await
    }
}

async fn read(path: &str, response: reqwest::Response) -> Attempt<Accepted> {
    let status = response.status();
    let verdict = classify(status, response.headers(), Timestamp::now());
    let body = response.bytes().await.unwrap_or_default();
    let parsed = parse_response(status, &body);
    let message = parsed.message.unwrap_or_default();
    match verdict {
        Verdict::Delivered => Attempt::Delivered(Accepted {
            dedup_key: parsed.dedup_key.unwrap_or_default(),
            message,
        }),
        Verdict::Retry { after } => Attempt::Retry {
            reason: format!("POST {path} answered {status} {message}")
                .trim_end()
                .to_owned(),
            after,
            limited: status == reqwest::StatusCode::TOO_MANY_REQUESTS,
        },
        Verdict::Rejected => Attempt::Rejected {
            status: Some(status.as_u16()),
            reason: format!("POST {path} answered {status} {message}")
                .trim_end()
                .to_owned(),
            details: parsed.errors,
        },
    }
}
