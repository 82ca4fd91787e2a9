//! What the routes beyond Datadog's need: PagerDuty's and Slack's signing secrets, where
//! recorded deployments are forwarded, and how a clicker is answered. Each is optional: a route whose secret is
//! not set refuses every request (401, naming the missing secret) instead of failing the
//! whole intake at cold start.

use std::time::Duration;

use modelwatch::http::{BaseUrl, RetryPolicy, Timeouts};
use modelwatch::pagerduty::{PagerDutyClient, RoutingKey};
use modelwatch::secret::Secret;
use modelwatch::secrets::{Secrets, names};
use modelwatch::slack::Responder;

use modelwatch::runtime::InitError;

use crate::settings::Settings;

#[derive(Debug, Clone, Default)]
pub struct Inbound {
    /// Verifies `POST /webhooks/pagerduty` (secret `pagerduty_webhook_secret`).
    pub pagerduty_webhook_secret: Option<Secret>,
    /// Verifies `POST /slack/commands` and `/slack/interactions` (`slack_signing_secret`).
    pub slack_signing_secret: Option<Secret>,
    /// When set, every recorded deployment is also sent to PagerDuty as a change event.
    pub change_events: Option<ChangeEvents>,
    /// Answers a clicker through their click's `response_url`.
    pub responder: Responder,
    /// The fake Slack's URL locally (`Settings::slack_url`), whose origin a
    /// `response_url` may name besides Slack's own hooks hosts.
    pub slack_url: Option<String>,
}

/// PagerDuty change events: the client and the routing key of the service that shows them.
#[derive(Debug, Clone)]
pub struct ChangeEvents {
    pub client: PagerDutyClient,
    pub routing_key: RoutingKey,
}

impl Inbound {
    /// The optional secrets by their names, and the change-events client when
    /// `MODELWATCH_CHANGE_EVENTS_KEY` names a secret entry (which must then exist).
    pub fn from_secrets(secrets: &Secrets, settings: &Settings) -> Result<Self, InitError> {
        let change_events = match &settings.change_events_key {
            Some(entry) => {
                let invalid = |message: String| InitError::Invalid {
                    setting: "MODELWATCH_CHANGE_EVENTS_KEY",
                    message,
                };
                let routing_key = RoutingKey::new(secrets.require(entry)?.clone())
                    .map_err(|e| invalid(format!("secret `{entry}`: {e}")))?;
                let base =
                    BaseUrl::new(&settings.pagerduty_url).map_err(|e| InitError::Invalid {
                        setting: "MODELWATCH_PAGERDUTY_URL",
                        message: e.to_string(),
                    })?;
                // The deploy pipeline waits for the answer: a short try, never a long one.
                // The request is cut short too (the deadline is only checked between
                // attempts): one stalled request must not outlast the intake's own 10 s,
                // which would answer the pipeline 5xx and its retry "already recorded",
                // with no change event ever sent. A request cut by this timeout, past the
                // deadline, is not sent again: a change event has no dedup key, and
                // PagerDuty may have taken it.
                let retry = RetryPolicy {
                    max_attempts: 2,
                    deadline: Duration::from_secs(3),
                    ..RetryPolicy::default()
                };
                let timeouts = Timeouts {
                    connect: Duration::from_secs(1),
                    request: Duration::from_secs(4),
                };
                let client = PagerDutyClient::new(base, timeouts)
                    .map_err(|e| invalid(e.to_string()))?
                    .with_retry_policy(retry);
                Some(ChangeEvents {
                    client,
                    routing_key,
                })
            }
            None => None,
        };
        Ok(Self {
            pagerduty_webhook_secret: secrets.get(names::PAGERDUTY_WEBHOOK_SECRET).cloned(),
            slack_signing_secret: secrets.get(names::SLACK_SIGNING_SECRET).cloned(),
            change_events,
            responder: Responder::default(),
            slack_url: settings.slack_url.clone(),
        })
    }
}
