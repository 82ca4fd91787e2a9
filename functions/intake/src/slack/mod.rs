//! The Slack app's inbound side: slash commands and button clicks, every request
//! verified with the app's signing secret before anything is read from it.

mod command;
mod commands;
mod interactions;
mod reply;
mod verify;

use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use axum::response::Response;
use modelwatch::domain::Timestamp;

use crate::answer;
use crate::{Intake, MAX_BODY_BYTES};

pub use command::{Command, USAGE, parse as parse_command};
pub use commands::receive as commands;
pub use interactions::{receive as interactions, signals as interaction_signals};
pub use verify::{MAX_AGE_SECS, SIGNATURE_HEADER, SlackAuthError, TIMESTAMP_HEADER, verify};

const ROUTE_COMMANDS: &str = "slack-commands";
const ROUTE_INTERACTIONS: &str = "slack-interactions";

/// The raw body of a request Slack signed, or the 401 (or 413) to answer instead. The
/// freshness window is wall-clock time, whatever clock the handlers run on.
async fn verified_body(
    intake: &Intake,
    route: &'static str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, Response> {
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return Err(answer::too_large(MAX_BODY_BYTES));
    };
    match verify(
        intake.inbound.slack_signing_secret.as_ref(),
        headers,
        &bytes,
        Timestamp::now(),
    ) {
        Ok(()) => Ok(bytes),
        Err(e) => {
            tracing::warn!(route, error = %e, "refused");
            Err(answer::unauthorized(e.to_string()))
        }
    }
}

/// One field of a form-encoded body.
fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find_map(|(k, v)| (k == name).then_some(v))
}
