//! Cold start: the settings (read from the environment here, once), the configuration
//! (refusing to start on an invalid one), the table check that opens the DynamoDB
//! connection, and the clients built from the secret — the Datadog intake's API key and
//! every endpoint's token — rebuilt when it changes (`Live`).

use std::sync::Arc;
use std::time::Duration;

use modelwatch::config::Config;
use modelwatch::datadog::series::SeriesClient;
use modelwatch::http::{BaseUrl, RetryPolicy, Timeouts};
use modelwatch::probe::Runner;
use modelwatch::runtime::{FromSecrets, InitError, Live, clients};
use modelwatch::secrets::{Secrets, names};
use modelwatch::store::Store;

use crate::Prober;

/// Submitting the points comes after the cases' budget (at most 45 s) within the
/// function's 58 s: at most two attempts of 4 s each.
const SUBMIT_TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_secs(2),
    request: Duration::from_secs(4),
};
const SUBMIT_RETRY: RetryPolicy = RetryPolicy {
    max_attempts: 2,
    base_delay: Duration::from_millis(250),
    max_delay: Duration::from_secs(1),
    deadline: Duration::from_secs(2),
};

/// The prober's settings.
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

/// What the prober is built from besides the secret.
#[derive(Debug)]
pub struct Setup {
    pub store: Store,
    pub config: Arc<Config>,
    pub settings: Settings,
}

impl FromSecrets for Setup {
    type Built = Prober;

    /// The Datadog API key, and the secret entry of every endpoint that has a token.
    fn required_secrets(&self) -> Vec<String> {
        let mut names = vec![names::DATADOG_API_KEY.to_owned()];
        names.extend(self.config.probes.secret_entries());
        names
    }

    fn build(&self, secrets: &Secrets) -> Result<Prober, InitError> {
        let api_key = secrets.require(names::DATADOG_API_KEY)?.clone();
        let series = SeriesClient::new(self.settings.datadog.clone(), api_key, SUBMIT_TIMEOUTS)
            .map_err(|e| InitError::Invalid {
                setting: "Datadog client",
                message: e.to_string(),
            })?
            .with_retry_policy(SUBMIT_RETRY);
        let runner = Runner::new(&self.config.probes, secrets).map_err(|e| match e {
            modelwatch::probe::RunnerError::Secret(e) => InitError::Secrets(e),
            other => InitError::Invalid {
                setting: "probe client",
                message: other.to_string(),
            },
        })?;
        Ok(Prober {
            store: self.store.clone(),
            config: self.config.clone(),
            series,
            runner,
        })
    }
}

impl Prober {
    /// The prober as the deployment's environment and secret make it.
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
