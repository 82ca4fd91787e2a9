//! What every Lambda does at cold start besides its own wiring: the configuration
//! (validated, or the function refuses to start with the same message as `modelwatch
//! validate`), the secrets, and the alerts table, checked so the first event does not pay
//! for opening the connection.

use crate::config::{Config, ConfigErrors};
use crate::secrets::{Secrets, SecretsError};
use crate::store::{Client, Store, StoreError};

/// The configuration compiled into every function: `infra/modelwatch.yaml`, edited by the
/// team and deployed with `sam build && sam deploy`.
pub const BUNDLED_CONFIG: &str = include_str!("../../infra/modelwatch.yaml");

/// The configuration: the file named by `MODELWATCH_CONFIG_FILE` when set (local runs,
/// tests), else the bundled one.
pub fn load_config() -> Result<Config, ConfigErrors> {
    match std::env::var("MODELWATCH_CONFIG_FILE") {
        Ok(path) if !path.trim().is_empty() => Config::load(path.trim()),
        _ => Config::parse("infra/modelwatch.yaml", BUNDLED_CONFIG),
    }
}

/// Why a function refuses to start; each names the setting or secret that is wrong.
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
    #[error("{setting}: {message}")]
    Invalid {
        setting: &'static str,
        message: String,
    },
}

/// What every function loads once per container.
#[derive(Debug)]
pub struct ColdStart {
    pub config: Config,
    pub secrets: Secrets,
    pub store: Store,
    pub aws: aws_config::SdkConfig,
}

/// Loads the configuration, the secrets (Secrets Manager, or the environment locally) and
/// the table named by `MODELWATCH_TABLE`, and checks the table.
pub async fn cold_start() -> Result<ColdStart, InitError> {
    let table = std::env::var("MODELWATCH_TABLE")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .ok_or(InitError::MissingSetting {
            name: "MODELWATCH_TABLE",
            expected: "the alerts table's name",
        })?;
    let config = load_config()?;
    let aws = aws_config::load_from_env().await;
    let secrets = Secrets::load(&aws).await?;
    let store = Store::new(Client::new(&aws), table);
    store.check_table().await?;
    Ok(ColdStart {
        config,
        secrets,
        store,
        aws,
    })
}
