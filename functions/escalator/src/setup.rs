//! Cold start: configuration, secrets, clients, and the table check (which also opens
//! the DynamoDB connection before the first event).

use std::collections::BTreeMap;
use std::sync::Arc;

use modelwatch::config::Config;
use modelwatch::http::{BaseUrl, Timeouts};
use modelwatch::pagerduty::{PagerDutyClient, RoutingKey};
use modelwatch::runtime::{FromSecrets, InitError, Live};
use modelwatch::secrets::{Secrets, names};
use modelwatch::slack::SlackClient;
use modelwatch::store::Store;

use crate::Escalator;

/// Where Slack and PagerDuty are: the real services, or the local emulator's fakes.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub slack: BaseUrl,
    pub pagerduty: BaseUrl,
}

impl Endpoints {
    /// `MODELWATCH_SLACK_URL` and `MODELWATCH_PAGERDUTY_URL` when set, else the services.
    pub fn from_env() -> Result<Self, InitError> {
        let url = |var: &str, default: &str| {
            let raw = std::env::var(var).unwrap_or_else(|_| default.to_owned());
            BaseUrl::new(&raw).map_err(|e| InitError::Invalid {
                setting: "MODELWATCH_SLACK_URL / MODELWATCH_PAGERDUTY_URL",
                message: format!("{var}: {e}"),
            })
        };
        Ok(Self {
            slack: url("MODELWATCH_SLACK_URL", SlackClient::DEFAULT_BASE_URL)?,
            pagerduty: url(
                "MODELWATCH_PAGERDUTY_URL",
                PagerDutyClient::DEFAULT_BASE_URL,
            )?,
        })
    }
}

/// What the escalator is built from besides the secret.
#[derive(Debug)]
pub struct Setup {
    pub store: Store,
    pub config: Arc<Config>,
    pub endpoints: Endpoints,
}

impl FromSecrets for Setup {
    type Built = Escalator;

    /// The Slack bot token and every PagerDuty routing key the configuration names.
    fn required_secrets(&self) -> Vec<String> {
        let mut names = vec![names::SLACK_BOT_TOKEN.to_owned()];
        names.extend(self.config.routing.pagerduty_keys.values().cloned());
        names
    }

    fn build(&self, secrets: &Secrets) -> Result<Escalator, InitError> {
        Escalator::build(
            self.store.clone(),
            self.config.clone(),
            secrets,
            &self.endpoints,
        )
    }
}

impl Escalator {
    /// The escalator as the deployment's environment and secret make it.
    pub async fn from_env() -> Result<Live<Setup>, InitError> {
        let start = modelwatch::runtime::cold_start().await?;
        let setup = Setup {
            store: start.store,
            config: Arc::new(start.config),
            endpoints: Endpoints::from_env()?,
        };
        Live::start(start.secrets, setup).await
    }

    /// The escalator from its parts.
    pub fn build(
        store: Store,
        config: Arc<modelwatch::config::Config>,
        secrets: &Secrets,
        endpoints: &Endpoints,
    ) -> Result<Self, InitError> {
        let invalid = |e: &dyn std::fmt::Display| InitError::Invalid {
            setting: "HTTP client",
            message: e.to_string(),
        };
        let slack = SlackClient::new(
            endpoints.slack.clone(),
            secrets.require(names::SLACK_BOT_TOKEN)?.clone(),
            Timeouts::default(),
        )
        .map_err(|e| invalid(&e))?;
        let pagerduty = PagerDutyClient::new(endpoints.pagerduty.clone(), Timeouts::default())
            .map_err(|e| invalid(&e))?;
        let mut routing_keys = BTreeMap::new();
        for (name, entry) in &config.routing.pagerduty_keys {
            let key = RoutingKey::new(secrets.require(entry)?.clone()).map_err(|e| {
                InitError::Invalid {
                    setting: "routing.pagerduty_keys",
                    message: format!("secret `{entry}` (routing key {name}): {e}"),
                }
            })?;
            routing_keys.insert(name.clone(), key);
        }
        Ok(Self {
            store,
            config,
            slack,
            pagerduty,
            routing_keys,
            claim_secs: 120,
            clock: modelwatch::clock::Clock::system(),
        })
    }
}
