//! Every answer a route gives instead of doing its work: one error type, each variant with
//! the status code senders act on (Datadog and PagerDuty retry 5xx and connection failures
//! only; Slack retries neither a command nor a click, whose user sees the error) and a
//! JSON body that says what was wrong and what was expected.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use modelwatch::store::StoreError;
use serde_json::{Value, json};

use crate::MAX_BODY_BYTES;

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// Missing, wrong or stale credentials or signature.
    #[error("{0}")]
    Unauthorized(String),
    #[error(
        "body larger than {MAX_BODY_BYTES} bytes: expected a notification, command or request of a few KiB"
    )]
    TooLarge,
    #[error(
        "content type {0:?} is not supported: expected application/json or application/x-www-form-urlencoded"
    )]
    UnsupportedMedia(String),
    /// A body that cannot be what the route takes; `details` adds fields to the answer.
    #[error("{message}")]
    BadRequest { message: String, details: Value },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "no such route: expected POST /webhooks/datadog, /webhooks/pagerduty, /slack/commands, /slack/interactions, /deployments, POST or GET /silences, DELETE /silences/ID or GET /healthz"
    )]
    NotFound,
}

impl IntakeError {
    pub fn bad_request(message: impl std::fmt::Display) -> Self {
        Self::BadRequest {
            message: message.to_string(),
            details: Value::Null,
        }
    }

    /// What the sender is told: the whole message for its own mistakes; for the table's
    /// failures only what to do (the detail, with endpoints and SDK output, is logged).
    pub(crate) fn public_message(&self) -> String {
        match self {
            Self::Store(e) if e.is_retryable() => {
                "the alert table is not answering in time: retry (nothing was lost)".to_owned()
            }
            Self::Store(_) => {
                "the alert table refused the request: the operator was alerted through the logs"
                    .to_owned()
            }
            other => other.to_string(),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Store(e) if e.is_retryable() => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::NotFound => StatusCode::NOT_FOUND,
        }
    }
}

impl IntoResponse for IntakeError {
    fn into_response(self) -> Response {
        let error = self.to_string();
        let mut body = json!({ "error": self.public_message() });
        match &self {
            Self::Unauthorized(_) => tracing::warn!(error, "refused"),
            Self::BadRequest { details, .. } => {
                tracing::warn!(error, "bad request");
                if let Value::Object(fields) = details {
                    for (k, v) in fields {
                        body[k] = v.clone();
                    }
                }
            }
            Self::Store(e) => {
                tracing::error!(error, retryable = e.is_retryable(), "store failed");
                body["retry"] = Value::Bool(e.is_retryable());
            }
            Self::TooLarge | Self::UnsupportedMedia(_) | Self::NotFound => {}
        }
        let mut response = (self.status(), Json(body)).into_response();
        if matches!(&self, Self::Store(e) if e.is_retryable()) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        }
        response
    }
}

/// A JSON answer with `status`.
pub fn json_answer(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

pub async fn healthz() -> Response {
    json_answer(StatusCode::OK, json!({"status": "ok"}))
}

pub async fn not_found() -> IntakeError {
    IntakeError::NotFound
}
