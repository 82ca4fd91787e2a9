//! `POST /webhooks/datadog`: a monitor notification in, one signal applied, answered
//! only after the write committed.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use modelwatch::datadog::webhook::{self, Rejection};
use serde_json::json;

use crate::answer::{self, json_answer};
use crate::{Intake, MAX_BODY_BYTES};

/// How the body is encoded (Datadog's JSON default, or its form-encoded option).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Form,
}

/// The encoding named by `Content-Type`; a missing header is read as JSON.
pub fn encoding(headers: &HeaderMap) -> Result<Encoding, String> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(Encoding::Json);
    };
    let text = value.to_str().unwrap_or("(not text)");
    let essence = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" | "text/json" => Ok(Encoding::Json),
        "application/x-www-form-urlencoded" => Ok(Encoding::Form),
        _ if essence.ends_with("+json") => Ok(Encoding::Json),
        _ => Err(text.to_owned()),
    }
}

pub async fn receive(
    State(intake): State<Arc<Intake>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Err(e) = intake.auth.check(&headers) {
        tracing::warn!(route = "datadog", error = %e, "refused");
        return answer::unauthorized(e.to_string());
    }
    let encoding = match encoding(&headers) {
        Ok(e) => e,
        Err(received) => return answer::unsupported_media(&received),
    };
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return answer::too_large(MAX_BODY_BYTES);
    };
    let parsed = match encoding {
        Encoding::Json => webhook::parse_json(&bytes),
        Encoding::Form => webhook::parse_form(&bytes),
    };
    let notification = match parsed {
        Ok(n) => n,
        Err(rejection) => return bad_request(&rejection),
    };
    let now = intake.clock.now();
    let level = notification.level(&intake.config.levels);
    let opens_at = notification.at.unwrap_or(now);
    let monitor = notification.monitor_id.as_deref().unwrap_or_default();
    let policy = intake.config.escalation_policy(monitor, level, opens_at);
    let signal = match webhook::to_signal(&notification, &bytes, level, policy, now) {
        Ok(s) => s,
        Err(e) => {
            return json_answer(StatusCode::BAD_REQUEST, json!({"error": e.to_string()}));
        }
    };

    match intake.store.apply_signal(&signal, now).await {
        Ok(applied) => {
            let actions: Vec<&str> = applied
                .transition
                .actions
                .iter()
                .map(|a| a.name())
                .collect();
            let outcome = applied.transition.outcome.as_str();
            tracing::info!(
                route = "datadog",
                alert_key = %signal.key,
                signal = signal.kind.name(),
                signal_id = %signal.id,
                outcome,
                written = applied.written,
                attempts = applied.attempts,
                actions = ?actions,
                "signal applied"
            );
            let status = if applied.written {
                StatusCode::ACCEPTED
            } else {
                StatusCode::OK
            };
            json_answer(
                status,
                json!({
                    "status": if applied.written { "accepted" } else { "unchanged" },
                    "alert_key": signal.key.as_str(),
                    "outcome": outcome,
                    "actions": actions,
                }),
            )
        }
        Err(e) => {
            tracing::error!(route = "datadog", alert_key = %signal.key, error = %e, retryable = e.is_retryable(), "store failed");
            answer::store_failure(e.is_retryable(), e.to_string())
        }
    }
}

fn bad_request(rejection: &Rejection) -> Response {
    tracing::warn!(route = "datadog", error = %rejection.error, "bad webhook");
    json_answer(
        StatusCode::BAD_REQUEST,
        json!({
            "error": rejection.error.to_string(),
            "field": rejection.error.field(),
            "received_fields": rejection.received,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_type(ct: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
        h
    }

    #[test]
    fn datadog_content_types_are_accepted_and_others_named() {
        assert_eq!(
            encoding(&with_type("application/json; charset=utf-8")),
            Ok(Encoding::Json)
        );
        assert_eq!(
            encoding(&with_type("application/x-www-form-urlencoded")),
            Ok(Encoding::Form)
        );
        assert_eq!(encoding(&HeaderMap::new()), Ok(Encoding::Json));
        assert_eq!(
            encoding(&with_type("text/plain")),
            Err("text/plain".to_string())
        );
    }
}
