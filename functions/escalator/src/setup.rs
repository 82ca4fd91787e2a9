//! Cold start: configuration, secrets, clients, and the table check (which also opens
//! the DynamoDB connection before the first event).

use std::collections::BTreeMap;
use std::sync::Arc;

use modelwatch::config::ConfigErrors;
use modelwatch::http::{BaseUrl, Timeouts};
use modelwatch::pagerduty::{PagerDutyClient, RoutingKey};
use modelwatch::secrets::{Secrets, SecretsError, names};
use modelwatch::slack::SlackClient;
use modelwatch::store::{Store, StoreError};

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
            BaseUrl::new(&raw).map_err(|e| InitError::Invalid(format!("{var}: {e}")))
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

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{name} is not set: expected {expected}")]
    MissingSetting {
        name: &'static str,
        expected: &'static str,
    },
    #[error("invalid configuration:\n{0}")]
    Config(#[from] ConfigErrors),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
}

impl Escalator {
    pub async fn from_env() -> Result<Self, InitError> {
        let table = std::env::var("MODELWATCH_TABLE").map_err(|_| InitError::MissingSetting {
            name: "MODELWATCH_TABLE",
            expected: "the alerts table's name",
        })?;
        let config = modelwatch::runtime::load_config()?;
        let aws = aws_config::load_from_env().await;
        let secrets = Secrets::load(&aws).await?;
        let store = Store::new(modelwatch::store::Client::new(&aws), table);
        store.check_table().await?;
        Self::build(store, Arc::new(config), &secrets, &Endpoints::from_env()?)
    }

    /// The escalator from its parts.
    pub fn build(
        store: Store,
        config: Arc<modelwatch::config::Config>,
        secrets: &Secrets,
        endpoints: &Endpoints,
    ) -> Result<Self, InitError> {
        let invalid = |e: &dyn std::fmt::Display| InitError::Invalid(e.to_string());
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
                InitError::Invalid(format!("secret `{entry}` (routing key {name}): {e}"))
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
