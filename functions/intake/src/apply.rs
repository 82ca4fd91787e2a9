//! Applying one signal from a route through the store, with the one log line per decision,
//! and the JSON answer webhook senders get (202 written, 200 unchanged; a store failure is
//! an `IntakeError`: 5xx, retry).

use axum::http::StatusCode;
use axum::response::Response;
use modelwatch::domain::{Alert, Signal, Timestamp};
use modelwatch::store::{Applied, StoreError};
use serde_json::json;

use crate::Intake;
use crate::error::json_answer;

/// Applies `signal` and logs what happened.
pub async fn apply(
    intake: &Intake,
    route: &'static str,
    signal: &Signal,
    now: Timestamp,
) -> Result<Applied, StoreError> {
    let result = intake.store.apply_signal(signal, now).await;
    match &result {
        Ok(applied) => {
            tracing::info!(
                route,
                alert_key = %signal.key,
                signal = signal.kind.name(),
                signal_id = %signal.id,
                outcome = applied.transition.outcome.as_str(),
                written = applied.written,
                attempts = applied.attempts,
                actions = ?action_names(applied),
                "signal applied"
            );
        }
        Err(e) => {
            tracing::error!(route, alert_key = %signal.key, error = %e, retryable = e.is_retryable(), "store failed");
        }
    }
    result
}

fn action_names(applied: &Applied) -> Vec<&'static str> {
    applied
        .transition
        .actions
        .iter()
        .map(|a| a.name())
        .collect()
}

/// The alert a people's signal is about, if it exists: a click or an incident for an
/// alert the table never held changes nothing and must not create an empty alert.
pub async fn existing(intake: &Intake, signal: &Signal) -> Result<Option<Alert>, StoreError> {
    intake.store.load(&signal.key).await
}

/// The webhook answer for an applied signal.
pub fn webhook_answer(signal: &Signal, applied: &Applied) -> Response {
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
            "outcome": applied.transition.outcome.as_str(),
            "actions": action_names(applied),
        }),
    )
}

/// The answer for an event that is valid but changes nothing.
pub fn ignored(route: &'static str, reason: &str) -> Response {
    tracing::info!(route, reason, "ignored");
    json_answer(
        StatusCode::OK,
        json!({"status": "ignored", "reason": reason}),
    )
}
