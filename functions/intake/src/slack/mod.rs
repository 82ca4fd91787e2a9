//! The Slack app's inbound side: slash commands and button clicks, every request
//! verified with the app's signing secret before anything is read from it.

mod command;
mod commands;
mod interactions;
mod reply;
mod verify;

pub use command::{Command, USAGE, parse as parse_command};
pub use commands::receive as commands;
pub use interactions::{receive as interactions, signals as interaction_signals};
pub use verify::{MAX_AGE_SECS, SIGNATURE_HEADER, SlackAuthError, TIMESTAMP_HEADER, verify};

const ROUTE_COMMANDS: &str = "slack-commands";
const ROUTE_INTERACTIONS: &str = "slack-interactions";

/// Whether `body` is Slack's check of a slash command URL's certificate: `ssl_check=1`,
/// and no command.
pub fn is_certificate_check(body: &[u8]) -> bool {
    form_field(body, "ssl_check").as_deref() == Some("1") && form_field(body, "command").is_none()
}

/// One field of a form-encoded body.
fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find_map(|(k, v)| (k == name).then_some(v))
}
