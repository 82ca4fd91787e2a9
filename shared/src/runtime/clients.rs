//! The API clients every function builds from the secret, each built here once: the
//! Datadog metrics client, the Slack client and PagerDuty's routing keys.

use std::collections::BTreeMap;

use super::InitError;
use crate::config::Config;
use crate::datadog::metrics::{DatadogKeys, MetricsClient};
use crate::datadog::site::{DatadogSite, UnknownSite};
use crate::http::{BaseUrl, Timeouts};
use crate::pagerduty::RoutingKey;
use crate::secrets::{Secrets, names};
use crate::slack::SlackClient;

/// The Datadog API a function calls: `url` (`MODELWATCH_DATADOG_URL`) where set (a local
/// stack's emulator, a proxy), else the API of the site `site` (`MODELWATCH_DATADOG_SITE`)
/// names, default US1. Blank means unset.
pub fn datadog_api(site: Option<String>, url: Option<String>) -> Result<BaseUrl, InitError> {
    let set = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    let url = match set(url) {
        Some(url) => url,
        None => match set(site) {
            Some(site) => site
                .parse::<DatadogSite>()
                .map_err(|e: UnknownSite| InitError::Invalid {
                    setting: "MODELWATCH_DATADOG_SITE",
                    message: e.to_string(),
                })?
                .api_url(),
            None => DatadogSite::default().api_url(),
        },
    };
    BaseUrl::new(&url).map_err(|e| InitError::Invalid {
        setting: "MODELWATCH_DATADOG_URL",
        message: e.to_string(),
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn api(vars: &[(&str, &str)]) -> Result<String, InitError> {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let var = |name: &str| vars.get(name).cloned();
        datadog_api(
            var("MODELWATCH_DATADOG_SITE"),
            var("MODELWATCH_DATADOG_URL"),
        )
        .map(|u| u.join("/x"))
    }

    #[test]
    fn the_datadog_api_follows_the_site_unless_a_url_is_given() {
        assert_eq!(api(&[]).unwrap(), "https://api.datadoghq.com/x");
        assert_eq!(
            api(&[("MODELWATCH_DATADOG_SITE", "datadoghq.eu")]).unwrap(),
            "https://api.datadoghq.eu/x"
        );
        assert_eq!(
            api(&[
                ("MODELWATCH_DATADOG_SITE", "us5.datadoghq.com"),
                ("MODELWATCH_DATADOG_URL", "http://127.0.0.1:9/")
            ])
            .unwrap(),
            "http://127.0.0.1:9/x"
        );
        // The template passes an empty override when none is wanted.
        assert_eq!(
            api(&[
                ("MODELWATCH_DATADOG_SITE", "ap1.datadoghq.com"),
                ("MODELWATCH_DATADOG_URL", "")
            ])
            .unwrap(),
            "https://api.ap1.datadoghq.com/x"
        );
        let err = api(&[("MODELWATCH_DATADOG_SITE", "datadog.eu")]).unwrap_err();
        assert!(err.to_string().contains("MODELWATCH_DATADOG_SITE"), "{err}");
        assert!(err.to_string().contains("datadoghq.eu"), "{err}");
    }
}
