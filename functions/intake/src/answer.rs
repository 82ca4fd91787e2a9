//! HTTP answers: small JSON bodies with the status codes senders act on (Datadog retries
//! on 5xx and connection failures only).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub async fn healthz() -> Response {
    json_answer(StatusCode::OK, json!({"status": "ok"}))
}

pub async fn not_found() -> Response {
    json_answer(
        StatusCode::NOT_FOUND,
        json!({"error": "no such route: expected POST /webhooks/datadog, /webhooks/pagerduty, /slack/commands, /slack/interactions, /deployments or GET /healthz"}),
    )
}

pub fn json_answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, Json(body)).into_response()
}

pub fn unauthorized(message: String) -> Response {
    json_answer(StatusCode::UNAUTHORIZED, json!({"error": message}))
}

pub fn too_large(limit: usize) -> Response {
    json_answer(
        StatusCode::PAYLOAD_TOO_LARGE,
        json!({"error": format!("body larger than {limit} bytes: expected a monitor notification of a few KiB")}),
    )
}

pub fn unsupported_media(received: &str) -> Response {
    json_answer(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        json!({"error": format!(
            "content type {received:?} is not supported: expected application/json or application/x-www-form-urlencoded"
        )}),
    )
}

/// A failure on our side: 503 (with `Retry-After`) when a retry can help, else 500.
pub fn store_failure(retryable: bool, message: String) -> Response {
    if retryable {
        let mut res = json_answer(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"error": message, "retry": true}),
        );
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        res
    } else {
        json_answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": message, "retry": false}),
        )
    }
}
