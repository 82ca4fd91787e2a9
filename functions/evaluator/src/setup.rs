//! Cold start: configuration (refusing to start on an invalid one), secrets, the Datadog
//! client, and the table check that opens the DynamoDB connection.

use std::sync::Arc;

use modelwatch::config::ConfigErrors;
use modelwatch::datadog::metrics::{DatadogKeys, MetricsClient};
use modelwatch::http::{BaseUrl, Timeouts};
use modelwatch::secrets::{Secrets, SecretsError, names};
use modelwatch::store::{Store, StoreError};

use crate::Evaluator;

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

impl Evaluator {
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
        let base = std::env::var("MODELWATCH_DATADOG_URL")
            .unwrap_or_else(|_| MetricsClient::DEFAULT_BASE_URL.to_owned());
        let metrics = metrics_client(&base, &secrets)?;
        Ok(Self {
            store,
            config: Arc::new(config),
            metrics,
        })
    }
}

/// The Datadog client for `base` (the site's API URL, or the emulator's).
pub fn metrics_client(base: &str, secrets: &Secrets) -> Result<MetricsClient, InitError> {
    let keys = DatadogKeys {
        api_key: secrets.require(names::DATADOG_API_KEY)?.clone(),
        app_key: secrets.require(names::DATADOG_APP_KEY)?.clone(),
    };
    let base = BaseUrl::new(base)
        .map_err(|e| InitError::Invalid(format!("MODELWATCH_DATADOG_URL: {e}")))?;
    MetricsClient::new(base, keys, Timeouts::default())
        .map_err(|e| InitError::Invalid(e.to_string()))
}
