//! `POST /webhooks/datadog`: a monitor notification in, one signal applied, answered
//! only after the write committed.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use modelwatch::datadog::webhook::{self, Rejection};
use modelwatch::signals;
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
    if notification.test {
        // A 2xx, so the button shows the webhook works; no alert, as no recovery follows.
        return Ok(apply::ignored(
            ROUTE,
            "a Datadog test notification: the webhook and its token work; nothing is paged",
        ));
    }
    let now = intake.clock.now();
    let signal = signals::datadog::from_webhook(
        &intake.config,
        intake.datadog_site,
        &notification,
        &bytes,
        now,
    )
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
