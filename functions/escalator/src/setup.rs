//! Cold start: the settings (read from the environment here, once), the configuration,
//! the silences (the read that checks the table and opens the DynamoDB connection), and
//! the clients, built from the secret and rebuilt when it changes (`Live`).

use std::sync::Arc;

use modelwatch::config::Config;
use modelwatch::http::{BaseUrl, Timeouts};
use modelwatch::pagerduty::PagerDutyClient;
use modelwatch::runtime::{FromSecrets, InitError, Live, clients};
use modelwatch::secrets::{Secrets, names};
use modelwatch::slack::SlackClient;
use modelwatch::store::Store;

use crate::{ColdStartReads, Escalator};

/// The escalator's settings: where Slack and PagerDuty are (the services, or the local
/// emulator's fakes).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `MODELWATCH_SLACK_URL`, default Slack's Web API.
    pub slack: BaseUrl,
    /// `MODELWATCH_PAGERDUTY_URL`, default PagerDuty's Events API.
    pub pagerduty: BaseUrl,
}

impl Settings {
    pub fn from_env() -> Result<Self, InitError> {
        let url = |var: &'static str, default: &str| {
            let raw = std::env::var(var).unwrap_or_else(|_| default.to_owned());
            BaseUrl::new(&raw).map_err(|e| InitError::Invalid {
                setting: var,
                message: e.to_string(),
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
    pub settings: Settings,
    /// What the cold start read for the first invocation: `ColdStartReads::default()`
    /// when it read nothing the invocations use.
    pub cold_start: Arc<ColdStartReads>,
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
        let pagerduty = PagerDutyClient::new(self.settings.pagerduty.clone(), Timeouts::default())
            .map_err(|e| InitError::Invalid {
                setting: "PagerDuty client",
                message: e.to_string(),
            })?;
        Ok(Escalator {
            store: self.store.clone(),
            config: self.config.clone(),
            slack: clients::slack(&self.settings.slack, secrets)?,
            pagerduty,
            routing_keys: clients::routing_keys(&self.config, secrets)?,
            claim_secs: 120,
            clock: modelwatch::clock::Clock::system(),
            cold_start: self.cold_start.clone(),
        })
    }
}

impl Escalator {
    /// The escalator as the deployment's environment and secret make it, with the silences
    /// in force read in place of the table check (every invocation reads them first).
    pub async fn from_env() -> Result<Live<Setup>, InitError> {
        let settings = Settings::from_env()?;
        let read_at = modelwatch::clock::Clock::system().now();
        let (start, silences) = modelwatch::runtime::cold_start_reading(|store| async move {
            store
                .silences(read_at)
                .await
                .map_err(|e| store.naming_table(e))
        })
        .await?;
        let setup = Setup {
            store: start.store,
            config: Arc::new(start.config),
            settings,
            cold_start: Arc::new(ColdStartReads::new(read_at, silences)),
        };
        Live::with_secrets(start.secrets, start.first_secrets, setup)
    }
}
