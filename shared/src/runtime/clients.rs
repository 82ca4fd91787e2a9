//! The API clients every function builds from the secret, each built here once: the
//! Datadog metrics client, the Slack client and PagerDuty's routing keys.

use std::collections::BTreeMap;

use super::InitError;
use crate::config::Config;
use crate::datadog::metrics::{DatadogKeys, MetricsClient};
use crate::http::{BaseUrl, Timeouts};
use crate::pagerduty::RoutingKey;
use crate::secrets::{Secrets, names};
use crate::slack::SlackClient;

/// Datadog's metrics API at `base` (the site's API URL, or the emulator's).
pub fn datadog_metrics(base: &BaseUrl, secrets: &Secrets) -> Result<MetricsClient, InitError> {
    let keys = DatadogKeys {
        api_key: secrets.require(names::DATADOG_API_KEY)?.clone(),
        app_key: secrets.require(names::DATADOG_APP_KEY)?.clone(),
    };
    MetricsClient::new(base.clone(), keys, Timeouts::default()).map_err(|e| InitError::Invalid {
        setting: "Datadog client",
        message: e.to_string(),
    })
}

/// Slack's Web API at `base` with the bot token.
pub fn slack(base: &BaseUrl, secrets: &Secrets) -> Result<SlackClient, InitError> {
    let token = secrets.require(names::SLACK_BOT_TOKEN)?.clone();
    SlackClient::new(base.clone(), token, Timeouts::default()).map_err(|e| InitError::Invalid {
        setting: "Slack client",
        message: e.to_string(),
    })
}

/// Every routing key the configuration names (`routing.pagerduty_keys`: name → secret
/// entry), read from the secret and checked.
pub fn routing_keys(
    config: &Config,
    secrets: &Secrets,
) -> Result<BTreeMap<String, RoutingKey>, InitError> {
    let mut keys = BTreeMap::new();
    for (name, entry) in &config.routing.pagerduty_keys {
        let key =
            RoutingKey::new(secrets.require(entry)?.clone()).map_err(|e| InitError::Invalid {
                setting: "routing.pagerduty_keys",
                message: format!("secret `{entry}` (routing key {name}): {e}"),
            })?;
        keys.insert(name.clone(), key);
    }
    Ok(keys)
}
