//! Cold start: the settings (read from the environment here, once), the configuration
//! (refusing to start on an invalid one), the table check that opens the DynamoDB
//! connection, and the Datadog client, built from the secret and rebuilt when it changes
//! (`Live`).

use std::sync::Arc;

use modelwatch::config::Config;
use modelwatch::http::BaseUrl;
use modelwatch::runtime::{FromSecrets, InitError, Live, clients};
use modelwatch::secrets::{Secrets, names};
use modelwatch::store::Store;

use crate::Evaluator;

/// The evaluator's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The Datadog API: `MODELWATCH_DATADOG_SITE`'s, or `MODELWATCH_DATADOG_URL`.
    pub datadog: BaseUrl,
}

impl Settings {
    pub fn from_env() -> Result<Self, InitError> {
        Ok(Self {
            datadog: clients::datadog_api(
                std::env::var("MODELWATCH_DATADOG_SITE").ok(),
                std::env::var("MODELWATCH_DATADOG_URL").ok(),
            )?,
        })
    }
}

/// What the evaluator is built from besides the secret.
#[derive(Debug)]
pub struct Setup {
    pub store: Store,
    pub config: Arc<Config>,
    pub settings: Settings,
}

impl FromSecrets for Setup {
    type Built = Evaluator;

    fn required_secrets(&self) -> Vec<String> {
        vec![names::DATADOG_API_KEY.into(), names::DATADOG_APP_KEY.into()]
    }

    fn build(&self, secrets: &Secrets) -> Result<Evaluator, InitError> {
        Ok(Evaluator {
            metrics: clients::datadog_metrics(&self.settings.datadog, secrets)?,
            store: self.store.clone(),
            config: self.config.clone(),
            seen: Default::default(),
            last_run: Default::default(),
            refused_before: Default::default(),
        })
    }
}

impl Evaluator {
    /// The evaluator as the deployment's environment and secret make it.
    pub async fn from_env() -> Result<Live<Setup>, InitError> {
        let settings = Settings::from_env()?;
        let start = modelwatch::runtime::cold_start().await?;
        let setup = Setup {
            store: start.store,
            config: Arc::new(start.config),
            settings,
        };
        Live::with_secrets(start.secrets, start.first_secrets, setup)
    }
}
