//! `POST /webhooks/datadog`: a monitor notification in, one signal applied, answered
//! only after the write committed.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use modelwatch::datadog::webhook::{self, Rejection};
use serde_json::json;

use crate::Intake;
use crate::apply;
use crate::error::IntakeError;
use crate::extract::{Encoding, Payload, TokenCaller};

const ROUTE: &str = "datadog";

pub async fn receive(
    State(intake): State<Arc<Intake>>,
    _: TokenCaller,
    encoding: Encoding,
    Payload(bytes): Payload,
) -> Result<Response, IntakeError> {
    let parsed = match encoding {
        Encoding::Json => webhook::parse_json(&bytes),
        Encoding::Form => webhook::parse_form(&bytes),
    };
    let notification = parsed.map_err(bad_request)?;
    let now = intake.clock.now();
    let level = notification.level(&intake.config.levels);
    let opens_at = notification.at.unwrap_or(now);
    let monitor = notification.monitor_id.as_deref().unwrap_or_default();
    let policy = intake.config.escalation_policy(monitor, level, opens_at);
    let signal = webhook::to_signal(&notification, &bytes, level, policy, now)
        .map_err(IntakeError::bad_request)?;
    let applied = apply::apply(&intake, ROUTE, &signal, now).await?;
    Ok(apply::webhook_answer(&signal, &applied))
}

fn bad_request(rejection: Rejection) -> IntakeError {
    IntakeError::BadRequest {
        message: rejection.error.to_string(),
        details: json!({
            "field": rejection.error.field(),
            "received_fields": rejection.received,
        }),
    }
}
