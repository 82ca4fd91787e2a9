//! Datadog's configuration API for what modelwatch provisions: webhooks and their custom
//! variables (`/api/v1/integration/webhooks/configuration/…`), monitors (`/api/v1/monitor`)
//! and dashboards (`/api/v1/dashboard`), under the shared retry policy.

use reqwest::Method;
use serde_json::{Value, json};

use super::desired::{KEY_TAG, Kind, MANAGED_TAG, TOKEN_VARIABLE, WEBHOOK_NAME, dashboard_marker};
use super::plan::Found;
use crate::datadog::metrics::{DatadogKeys, error_list};
use crate::domain::Timestamp;
use crate::domain::url::encode_component;
use crate::http::{
    Attempt, BaseUrl, ClientError, DeliveryError, RetryPolicy, Timeouts, Verdict, build_client,
    classify, deliver, transport_failure,
};

const API: &str = "Datadog configuration";
const WEBHOOKS: &str = "/api/v1/integration/webhooks/configuration/webhooks";
const VARIABLES: &str = "/api/v1/integration/webhooks/configuration/custom-variables";
const MONITORS: &str = "/api/v1/monitor";
const DASHBOARDS: &str = "/api/v1/dashboard";
/// Monitors per page when listing.
const PAGE_SIZE: usize = 1000;
/// Dashboards listed a page at a time: `count`, at Datadog's default.
const DASHBOARD_PAGE: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
    /// Datadog answered 2xx with a body of another shape: a retry is unlikely to help.
    #[error("Datadog's answer to {what} does not have the expected shape: {problem}")]
    BadResponse { what: String, problem: String },
}

impl ApiError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, ApiError::Delivery(e) if e.is_retryable())
    }
}

/// One client per run.
#[derive(Debug)]
pub struct DatadogApi {
    http: reqwest::Client,
    base: BaseUrl,
    keys: DatadogKeys,
    retry: RetryPolicy,
}

impl DatadogApi {
    pub fn new(base: BaseUrl, keys: DatadogKeys, timeouts: Timeouts) -> Result<Self, ClientError> {
        Ok(Self {
            http: build_client(timeouts)?,
            base,
            keys,
            retry: RetryPolicy::default(),
        })
    }

    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Everything modelwatch manages: the token variable and the webhook by name, monitors
    /// by tag, dashboards by the marker in their description.
    pub async fn find_managed(&self) -> Result<Vec<Found>, ApiError> {
        let mut found = Vec::new();
        let variable = format!("{VARIABLES}/{TOKEN_VARIABLE}");
        if let Some(v) = self.call(Method::GET, &variable, None, true).await? {
            found.push(Found {
                kind: Kind::CustomVariable,
                key: format!("custom-variable/{TOKEN_VARIABLE}"),
                id: TOKEN_VARIABLE.to_owned(),
                title: TOKEN_VARIABLE.to_owned(),
                view: json!({"name": v.get("name"), "is_secret": v.get("is_secret")}),
            });
        }
        let webhook = format!("{WEBHOOKS}/{WEBHOOK_NAME}");
        if let Some(w) = self.call(Method::GET, &webhook, None, true).await? {
            found.push(Found {
                kind: Kind::Webhook,
                key: format!("webhook/{WEBHOOK_NAME}"),
                id: WEBHOOK_NAME.to_owned(),
                title: format!("@webhook-{WEBHOOK_NAME}"),
                view: webhook_view(w),
            });
        }
        found.extend(self.managed_monitors().await?);
        found.extend(self.managed_dashboards().await?);
        Ok(found)
    }

    async fn managed_monitors(&self) -> Result<Vec<Found>, ApiError> {
        let mut found = Vec::new();
        for page in 0.. {
            let path = format!(
                "{MONITORS}?monitor_tags={}&page={page}&page_size={PAGE_SIZE}",
                encode_component(MANAGED_TAG)
            );
            let answer = self.call(Method::GET, &path, None, false).await?;
            let Some(Value::Array(monitors)) = answer else {
                return Err(bad("GET /api/v1/monitor", "expected a list of monitors"));
            };
            let count = monitors.len();
            found.extend(monitors.into_iter().filter_map(monitor_found));
            if count < PAGE_SIZE {
                break;
            }
        }
        Ok(found)
    }

    /// Every custom dashboard's summary, a page at a time.
    async fn dashboard_summaries(&self) -> Result<Vec<Value>, ApiError> {
        let mut all = Vec::new();
        loop {
            let path = format!("{DASHBOARDS}?count={DASHBOARD_PAGE}&start={}", all.len());
            let answer = self.call(Method::GET, &path, None, false).await?;
            let Some(Value::Array(page)) =
                answer.and_then(|mut a| a.get_mut("dashboards").map(Value::take))
            else {
                return Err(bad("GET /api/v1/dashboard", "expected `dashboards`"));
            };
            let count = page.len();
            all.extend(page);
            if count < DASHBOARD_PAGE {
                return Ok(all);
            }
        }
    }

    async fn managed_dashboards(&self) -> Result<Vec<Found>, ApiError> {
        let summaries = self.dashboard_summaries().await?;
        let mut found = Vec::new();
        for summary in &summaries {
            let description = summary.get("description").and_then(Value::as_str);
            let (Some(key), Some(id)) = (
                description.and_then(dashboard_key),
                summary.get("id").and_then(Value::as_str),
            ) else {
                continue;
            };
            let path = format!("{DASHBOARDS}/{}", encode_component(id));
            // Deleted between the list and the read: nothing to manage.
            if let Some(full) = self.call(Method::GET, &path, None, true).await? {
                found.push(Found {
                    kind: Kind::Dashboard,
                    key,
                    id: id.to_owned(),
                    title: text(&full, "title"),
                    view: full,
                });
            }
        }
        Ok(found)
    }

    /// Creates `body` as a `kind`; its Datadog id.
    ///
    /// A monitor or dashboard is sent once more only after a rate limit, which made
    /// nothing: after a 5xx or a lost answer Datadog may have made it, and a second would
    /// be a second copy (a monitor that pages twice). The error stops `apply`; run again,
    /// it finds the object by its key. Webhooks and variables are made by name, which
    /// Datadog keeps unique, so they are retried as any request.
    pub async fn create(&self, kind: Kind, body: &Value) -> Result<String, ApiError> {
        let made_by_name = matches!(kind, Kind::CustomVariable | Kind::Webhook);
        let answer = if made_by_name {
            self.create_by_name(kind, body).await?
        } else {
            self.create_once(kind, body).await?
        }
        .unwrap_or(Value::Null);
        let id = match kind {
            Kind::CustomVariable | Kind::Webhook => answer.get("name").or(body.get("name")),
            Kind::Monitor | Kind::Dashboard => answer.get("id"),
        };
        match id {
            Some(Value::String(id)) => Ok(id.clone()),
            Some(Value::Number(id)) => Ok(id.to_string()),
            _ => Err(bad(
                &format!("POST {}", collection(kind)),
                "expected the new object's id",
            )),
        }
    }

    pub async fn update(&self, kind: Kind, id: &str, body: &Value) -> Result<(), ApiError> {
        let path = format!("{}/{}", collection(kind), encode_component(id));
        self.call(Method::PUT, &path, Some(body), false).await?;
        Ok(())
    }

    /// Deletes one object; one already gone counts as deleted.
    pub async fn delete(&self, kind: Kind, id: &str) -> Result<(), ApiError> {
        let path = format!("{}/{}", collection(kind), encode_component(id));
        self.call(Method::DELETE, &path, None, true).await?;
        Ok(())
    }

    /// `create` of a webhook or custom variable. Retried as any request: when an attempt
    /// whose answer failed had made it, the retry finds the name taken, which Datadog
    /// answers 400 (its contract has no 409). An object of that name found then is the one
    /// made; the next `apply` brings it to the configuration if it differs.
    async fn create_by_name(&self, kind: Kind, body: &Value) -> Result<Option<Value>, ApiError> {
        let refused = match self
            .call(Method::POST, collection(kind), Some(body), false)
            .await
        {
            Err(e @ ApiError::Delivery(DeliveryError::Rejected { .. })) => e,
            answer => return answer,
        };
        let Some(name) = body.get("name").and_then(Value::as_str) else {
            return Err(refused);
        };
        let path = format!("{}/{}", collection(kind), encode_component(name));
        match self.call(Method::GET, &path, None, true).await {
            Ok(Some(found)) => Ok(Some(found)),
            _ => Err(refused),
        }
    }

    /// `create` of a monitor or dashboard: one attempt, and more only while Datadog answers
    /// that the rate limit is spent (waiting what it asks, within the policy's attempts).
    async fn create_once(&self, kind: Kind, body: &Value) -> Result<Option<Value>, ApiError> {
        let once = RetryPolicy {
            max_attempts: 1,
            ..self.retry
        };
        let started = std::time::Instant::now();
        let mut attempts = 1;
        loop {
            match self
                .call_under(&once, Method::POST, collection(kind), Some(body), false)
                .await
            {
                Err(ApiError::Delivery(DeliveryError::GaveUp {
                    limited: true,
                    retry_after,
                    ..
                })) if attempts < self.retry.max_attempts
                    && started.elapsed() + retry_after.unwrap_or(self.retry.base_delay)
                        <= self.retry.deadline =>
                {
                    attempts += 1;
                    tokio::time::sleep(retry_after.unwrap_or(self.retry.base_delay)).await;
                }
                answer => return answer,
            }
        }
    }

    /// One request under the retry policy: the answer's JSON (`None` for an empty body, or
    /// for 404 when `missing_ok`).
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        missing_ok: bool,
    ) -> Result<Option<Value>, ApiError> {
        self.call_under(&self.retry, method, path, body, missing_ok)
            .await
    }

    async fn call_under(
        &self,
        policy: &RetryPolicy,
        method: Method,
        path: &str,
        body: Option<&Value>,
        missing_ok: bool,
    ) -> Result<Option<Value>, ApiError> {
        let url = self.base.join(path);
        let what = format!("{method} {}", path.split('?').next().unwrap_or(path));
        let bytes = deliver(API, policy, || async {
            let mut request = self
                .http
                .request(method.clone(), &url)
                .header("DD-API-KEY", self.keys.api_key.expose())
                .header("DD-APPLICATION-KEY", self.keys.app_key.expose())
                .header("Accept", "application/json");
            if let Some(body) = body {
                request = request.json(body);
            }
            match request.send().await {
                Ok(response) => read(response, &what, missing_ok).await,
                Err(err) => transport_failure(err),
            }
        })
        .await?;
        match bytes {
            None => Ok(None),
            Some(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| bad(&what, &e.to_string())),
        }
    }
}

async fn read(
    response: reqwest::Response,
    what: &str,
    missing_ok: bool,
) -> Attempt<Option<Vec<u8>>> {
    let status = response.status();
    let headers = response.headers().clone();
    let body = match response.bytes().await {
        Ok(body) => body,
        Err(err) => return transport_failure(err),
    };
    if missing_ok && status == reqwest::StatusCode::NOT_FOUND {
        return Attempt::Delivered(None);
    }
    match classify(status, &headers, Timestamp::now()) {
        Verdict::Delivered => Attempt::Delivered(Some(body.to_vec())),
        Verdict::Retry { after } => Attempt::Retry {
            reason: format!("{what} answered {status}"),
            after,
            limited: status == reqwest::StatusCode::TOO_MANY_REQUESTS,
        },
        Verdict::Rejected => Attempt::Rejected {
            status: Some(status.as_u16()),
            reason: format!("{what} answered {status}"),
            details: error_list(&body),
        },
    }
}

fn collection(kind: Kind) -> &'static str {
    match kind {
        Kind::CustomVariable => VARIABLES,
        Kind::Webhook => WEBHOOKS,
        Kind::Monitor => MONITORS,
        Kind::Dashboard => DASHBOARDS,
    }
}

fn bad(what: &str, problem: &str) -> ApiError {
    ApiError::BadResponse {
        what: what.to_owned(),
        problem: problem.to_owned(),
    }
}

fn text(value: &Value, field: &str) -> String {
    value
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A webhook with its JSON-in-a-string fields parsed, as `desired` writes its view.
fn webhook_view(mut w: Value) -> Value {
    for field in ["payload", "custom_headers"] {
        if let Some(parsed) = w
            .get(field)
            .and_then(Value::as_str)
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
        {
            w[field] = parsed;
        }
    }
    w
}

/// A listed monitor, if it carries the managed tag and a key; its tags sorted as
/// `desired` writes them.
fn monitor_found(mut m: Value) -> Option<Found> {
    let mut tags: Vec<String> = m
        .get("tags")?
        .as_array()?
        .iter()
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect();
    if !tags.iter().any(|t| t == MANAGED_TAG) {
        return None;
    }
    // Lowercase, as `desired` writes keys: a copy an older version keyed in another case
    // is the same object.
    let key = tags
        .iter()
        .find_map(|t| t.strip_prefix(KEY_TAG))?
        .to_lowercase();
    tags.sort();
    m["tags"] = json!(tags);
    let id = match m.get("id")? {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return None,
    };
    Some(Found {
        kind: Kind::Monitor,
        key,
        id,
        title: text(&m, "name"),
        view: m,
    })
}

/// The key in a dashboard description's marker line, if it has one.
fn dashboard_key(description: &str) -> Option<String> {
    description.lines().find_map(|line| {
        let key = line
            .trim()
            .strip_prefix(MANAGED_TAG)?
            .trim()
            .strip_prefix(KEY_TAG)?;
        (line.trim() == dashboard_marker(key)).then(|| key.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dashboard_is_managed_only_with_the_whole_marker_line() {
        let ok = format!(
            "Kept by modelwatch.\n\n{}",
            dashboard_marker("dashboard/production")
        );
        assert_eq!(dashboard_key(&ok).as_deref(), Some("dashboard/production"));
        for not in [
            "",
            "managed-by:modelwatch",
            "about managed-by:modelwatch modelwatch-key:dashboard/x",
            "managed-by:modelwatchers modelwatch-key:dashboard/x",
        ] {
            assert_eq!(dashboard_key(not), None, "{not}");
        }
    }

    #[test]
    fn a_monitor_without_the_managed_tag_is_never_found() {
        let m = json!({"id": 7, "name": "mine", "tags": ["modelwatch-key:monitor/a/prod"]});
        assert_eq!(monitor_found(m), None);
        let m = json!({"id": 7, "name": "ours", "tags": ["modelwatch-key:monitor/a/prod", "managed-by:modelwatch"]});
        let found = monitor_found(m).unwrap();
        assert_eq!(
            (found.key.as_str(), found.id.as_str()),
            ("monitor/a/prod", "7")
        );
        assert_eq!(found.view["tags"][0], "managed-by:modelwatch");
    }

    /// A copy an older version keyed in the monitor id's own case is the same object as
    /// the lowercase key `desired` writes now, whether Datadog kept the case or not.
    #[test]
    fn a_key_is_read_in_lowercase() {
        let m = json!({"id": 8, "name": "ours", "tags": ["managed-by:modelwatch", "modelwatch-key:monitor/Error-Rate/production"]});
        assert_eq!(
            monitor_found(m).unwrap().key,
            super::super::desired::monitor_key("Error-Rate", "production")
        );
    }
}
