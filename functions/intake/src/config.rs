//! The intake's settings, read once at cold start; a missing one fails init by name.

use modelwatch::secrets::SecretsError;

use crate::auth::AuthError;

#[derive(Debug, Clone)]
pub struct IntakeConfig {
    /// `MODELWATCH_TOKEN_HEADER`, default `X-Modelwatch-Token`.
    pub token_header: String,
    /// `MODELWATCH_BASIC_USER`, default `datadog`: the user name for basic auth.
    pub basic_user: String,
    /// `MODELWATCH_CHANGE_EVENTS_KEY`: the secret entry holding the routing key of the
    /// PagerDuty service that shows deployments as change events; unset, none are sent.
    pub change_events_key: Option<String>,
    /// `MODELWATCH_PAGERDUTY_URL`, default PagerDuty's Events API (the emulator's locally).
    pub pagerduty_url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(transparent)]
    Start(#[from] modelwatch::runtime::InitError),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("{setting}: {message}")]
    Invalid {
        setting: &'static str,
        message: String,
    },
}

impl IntakeConfig {
    pub fn from_env() -> Result<Self, InitError> {
        let var = |name| {
            std::env::var(name)
                .ok()
                .filter(|v: &String| !v.trim().is_empty())
        };
        Ok(Self {
            token_header: var("MODELWATCH_TOKEN_HEADER")
                .unwrap_or_else(|| "X-Modelwatch-Token".into()),
            basic_user: var("MODELWATCH_BASIC_USER").unwrap_or_else(|| "datadog".into()),
            change_events_key: var("MODELWATCH_CHANGE_EVENTS_KEY"),
            pagerduty_url: var("MODELWATCH_PAGERDUTY_URL")
                .unwrap_or_else(|| modelwatch::pagerduty::PagerDutyClient::DEFAULT_BASE_URL.into()),
        })
    }
}
