//! What every Lambda does at cold start besides its own wiring: load the configuration
//! (validated, or the function refuses to start with the same message as `modelwatch
//! validate`) and the secrets.

use crate::config::{Config, ConfigErrors};

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
