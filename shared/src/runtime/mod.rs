//! What every Lambda does at cold start besides its own wiring: the configuration
//! (validated, or the function refuses to start with the same message as `modelwatch
//! validate`), where the secret comes from, and the alerts table, checked so the first
//! event does not pay for opening the connection; and the vendors' APIs trusted under the
//! compiled-in roots (`http::trust_compiled_in_roots`). `live` keeps the clients built from
//! the secret up to date.

pub mod clients;
mod live;

pub use live::{FromSecrets, Live, NotConfigured, REFRESH_AFTER, RETRY_AFTER};

use crate::config::{Config, ConfigErrors};
use crate::secrets::{SecretSource, Secrets, SecretsError};
use crate::store::{Client, Store, StoreError};

/// The configuration compiled into every function: the deployment's own
/// `infra/deployment/modelwatch.yaml` (or `MODELWATCH_CONFIG` at build time), else the
/// annotated example (see `shared/build.rs`).
pub const BUNDLED_CONFIG: &str = include_str!(env!("MODELWATCH_BUNDLED_CONFIG_PATH"));
/// The YAML tree of `BUNDLED_CONFIG`, read by the build (`shared/build.rs`) so that cold
/// starts do not read it again; empty when the build could not read the file (its
/// syntax error is then reported at cold start, as `modelwatch validate` reports it).
pub const BUNDLED_CONFIG_TREE: &[u8] = include_bytes!(env!("MODELWATCH_BUNDLED_CONFIG_TREE_PATH"));
/// Where `BUNDLED_CONFIG` came from, as its errors name it.
pub const BUNDLED_CONFIG_NAME: &str = env!("MODELWATCH_BUNDLED_CONFIG_NAME");
/// Whether the build found no deployment configuration and bundled the example.
pub const BUNDLED_CONFIG_IS_EXAMPLE: bool = matches!(
    env!("MODELWATCH_BUNDLED_CONFIG_IS_EXAMPLE").as_bytes(),
    b"true"
);

/// The configuration: the file named by `MODELWATCH_CONFIG_FILE` when set (local runs,
/// tests), else the bundled one.
pub fn load_config() -> Result<Config, ConfigErrors> {
    match std::env::var("MODELWATCH_CONFIG_FILE") {
        Ok(path) if !path.trim().is_empty() => Config::load(path.trim()),
        _ => {
            if BUNDLED_CONFIG_IS_EXAMPLE && std::env::var("AWS_LAMBDA_FUNCTION_NAME").is_ok() {
                tracing::warn!(
                    config = BUNDLED_CONFIG_NAME,
                    "running with the example configuration: create infra/deployment/modelwatch.yaml (make deployment) and deploy again"
                );
            }
            Config::parse_with_tree(BUNDLED_CONFIG_NAME, BUNDLED_CONFIG, BUNDLED_CONFIG_TREE)
        }
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
    /// Where the secret is read from (Secrets Manager, or the environment locally).
    pub secrets: SecretSource,
    /// The secret as read during the cold start: `Live::with_secrets` builds from it.
    pub first_secrets: Secrets,
    pub store: Store,
    pub aws: aws_config::SdkConfig,
}

/// Loads the configuration and the table named by `MODELWATCH_TABLE`, and checks the
/// table while reading the secret: the two round trips overlap instead of adding up
/// before the first event, and the configuration is checked on a thread of its own while
/// they are in flight (from the YAML tree the build compiled in: 1.4 M instructions, a
/// fifth of the cold start's; reading the text twice had been 8.6 M, over half:
/// callgrind, docs/benchmarks.md).
pub async fn cold_start() -> Result<ColdStart, InitError> {
    let (start, ()) = cold_start_reading(|store| async move { store.check_table().await }).await?;
    Ok(start)
}

/// `cold_start` with `first_read` in place of the table check: a read of the table that
/// the function needs before its first event anyway checks the table as well (a missing
/// table or one with another key fails it) and opens the connection, for one request
/// less. Its errors should name the table (`Store::naming_table`), as the check's do.
pub async fn cold_start_reading<T, R>(
    first_read: impl FnOnce(Store) -> R,
) -> Result<(ColdStart, T), InitError>
where
    R: std::future::Future<Output = Result<T, StoreError>>,
{
    let table = std::env::var("MODELWATCH_TABLE")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .ok_or(InitError::MissingSetting {
            name: "MODELWATCH_TABLE",
            expected: "the alerts table's name",
        })?;
    let parsing = tokio::task::spawn_blocking(load_config);
    crate::http::trust_compiled_in_roots();
    let aws = crate::aws::sdk_config(crate::aws::Roots::Amazon).await;
    let secrets = SecretSource::from_env(&aws);
    let store = Store::new(Client::new(&aws), table);
    let (read, first_secrets) = tokio::join!(first_read(store.clone()), secrets.fetch());
    // A bad configuration is reported first, as when it was read before the round trips.
    let config = match parsing.await {
        Ok(config) => config?,
        Err(failed) => std::panic::resume_unwind(failed.into_panic()),
    };
    let read = read?;
    let first_secrets = first_secrets?;
    let start = ColdStart {
        config,
        secrets,
        first_secrets,
        store,
        aws,
    };
    Ok((start, read))
}
