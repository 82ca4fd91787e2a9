//! Cold start: configuration (refusing to start on an invalid one), the table check that
//! opens the DynamoDB connection, and the Datadog client, built from the secret and
//! rebuilt when it changes (`Live`).

use std::sync::Arc;

use modelwatch::config::Config;
use modelwatch::datadog::metrics::{DatadogKeys, MetricsClient};
use modelwatch::http::{BaseUrl, Timeouts};
use modelwatch::runtime::{FromSecrets, InitError, Live};
use modelwatch::secrets::{Secrets, names};
use modelwatch::store::Store;

use crate::Evaluator;

/// What the evaluator is built from besides the secret.
#[derive(Debug)]
pub struct Setup {
    pub store: Store,
    pub config: Arc<Config>,
    /// `MODELWATCH_DATADOG_URL`: the Datadog site's API URL (or the emulator's).
    pub datadog_url: String,
}

impl FromSecrets for Setup {
    type Built = Evaluator;

    fn required_secrets(&self) -> Vec<String> {
        vec![names::DATADOG_API_KEY.into(), names::DATADOG_APP_KEY.into()]
    }

    fn build(&self, secrets: &Secrets) -> Result<Evaluator, InitError> {
        Ok(Evaluator {
            metrics: metrics_client(&self.datadog_url, secrets)?,
            store: self.store.clone(),
            config: self.config.clone(),
        })
    }
}

impl Evaluator {
    /// The evaluator as the deployment's environment and secret make it.
    pub async fn from_env() -> Result<Live<Setup>, InitError> {
        let start = modelwatch::runtime::cold_start().await?;
        let setup = Setup {
            store: start.store,
            config: Arc::new(start.config),
            datadog_url: std::env::var("MODELWATCH_DATADOG_URL")
                .unwrap_or_else(|_| MetricsClient::DEFAULT_BASE_URL.to_owned()),
        };
        Live::start(start.secrets, setup).await
    }
}

/// The Datadog client for `base` (the site's API URL, or the emulator's).
pub fn metrics_client(base: &str, secrets: &Secrets) -> Result<MetricsClient, InitError> {
    let keys = DatadogKeys {
        api_key: secrets.require(names::DATADOG_API_KEY)?.clone(),
        app_key: secrets.require(names::DATADOG_APP_KEY)?.clone(),
    };
    let base = BaseUrl::new(base).map_err(|e| InitError::Invalid {
        setting: "MODELWATCH_DATADOG_URL",
        message: e.to_string(),
    })?;
    MetricsClient::new(base, keys, Timeouts::default()).map_err(|e| InitError::Invalid {
        setting: "Datadog client",
        message: e.to_string(),
    })
}
