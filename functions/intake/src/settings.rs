//! The intake's settings, read from the environment in this one place at cold start.

use modelwatch::datadog::site::{DatadogSite, UnknownSite};

/// What the environment says about the intake (each has a default).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `MODELWATCH_TOKEN_HEADER`, default `X-Modelwatch-Token`.
    pub token_header: String,
    /// `MODELWATCH_BASIC_USER`, default `datadog`: the user name for basic auth.
    pub basic_user: String,
    /// `MODELWATCH_CHANGE_EVENTS_KEY`: the secret entry holding the routing key of the
    /// PagerDuty service that shows deployments as change events; unset, none are sent.
    pub change_events_key: Option<String>,
    /// `MODELWATCH_PAGERDUTY_URL`, default PagerDuty's Events API (the emulator's locally).
    pub pagerduty_url: String,
    /// `MODELWATCH_DATADOG_SITE`, default `datadoghq.com`: where a page's monitor links
    /// point when the notification carries no Datadog link of its own.
    pub datadog_site: DatadogSite,
    /// `MODELWATCH_SLACK_URL`: unset in AWS; locally the fake Slack, whose origin a
    /// click's `response_url` may then name besides Slack's own hooks hosts.
    pub slack_url: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            token_header: "X-Modelwatch-Token".into(),
            basic_user: "datadog".into(),
            change_events_key: None,
            pagerduty_url: modelwatch::pagerduty::PagerDutyClient::DEFAULT_BASE_URL.into(),
            datadog_site: DatadogSite::default(),
            slack_url: None,
        }
    }
}

impl Settings {
    pub fn from_env() -> Result<Self, UnknownSite> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// The settings from `var` (the environment, or a test's map); blank means unset.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, UnknownSite> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let default = Self::default();
        let datadog_site = match var("MODELWATCH_DATADOG_SITE") {
            Some(site) => site.parse()?,
            None => default.datadog_site,
        };
        Ok(Self {
            token_header: var("MODELWATCH_TOKEN_HEADER").unwrap_or(default.token_header),
            basic_user: var("MODELWATCH_BASIC_USER").unwrap_or(default.basic_user),
            change_events_key: var("MODELWATCH_CHANGE_EVENTS_KEY"),
            pagerduty_url: var("MODELWATCH_PAGERDUTY_URL").unwrap_or(default.pagerduty_url),
            datadog_site,
            slack_url: var("MODELWATCH_SLACK_URL"),
        })
    }
}
