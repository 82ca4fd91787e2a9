//! Cold start: configuration (refusing to start on an invalid one), secrets, the Datadog
//! client, and the table check that opens the DynamoDB connection.

use std::sync::Arc;

use modelwatch::datadog::metrics::{DatadogKeys, MetricsClient};
use modelwatch::http::{BaseUrl, Timeouts};
use modelwatch::runtime::InitError;
use modelwatch::secrets::{Secrets, names};

use crate::Evaluator;

impl Evaluator {
    pub async fn from_env() -> Result<Self, InitError> {
        let start = modelwatch::runtime::cold_start().await?;
        let base = std::env::var("MODELWATCH_DATADOG_URL")
            .unwrap_or_else(|_| MetricsClient::DEFAULT_BASE_URL.to_owned());
        Ok(Self {
            metrics: metrics_client(&base, &start.secrets)?,
            store: start.store,
            config: Arc::new(start.config),
        })
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
