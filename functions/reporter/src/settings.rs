//! The reporter's settings, read from the environment in this one place at cold start.

use modelwatch::config::Config;
use modelwatch::http::BaseUrl;
use modelwatch::runtime::InitError;
use modelwatch::slack::SlackClient;

use crate::{REPORT_CHANNEL_VAR, ReportChannels};

#[derive(Debug, Clone)]
pub struct Settings {
    /// `MODELWATCH_SLACK_URL`, default Slack's Web API.
    pub slack: BaseUrl,
    /// The Datadog API: `MODELWATCH_DATADOG_SITE`'s, or `MODELWATCH_DATADOG_URL`.
    pub datadog: BaseUrl,
    /// `MODELWATCH_REPORT_CHANNEL_<AUDIENCE>`, else the audience's configured channel, else
    /// `MODELWATCH_REPORT_CHANNEL`, else the routing's default channel.
    pub channels: ReportChannels,
}

impl Settings {
    pub fn from_env(config: &Config) -> Result<Self, InitError> {
        let url = |var: &'static str, default: &str| {
            BaseUrl::new(&std::env::var(var).unwrap_or_else(|_| default.to_owned())).map_err(|e| {
                InitError::Invalid {
                    setting: var,
                    message: e.to_string(),
                }
            })
        };
        let channels = ReportChannels::from_vars(std::env::vars(), config).map_err(|e| {
            InitError::Invalid {
                setting: REPORT_CHANNEL_VAR,
                message: e.to_string(),
            }
        })?;
        Ok(Self {
            slack: url("MODELWATCH_SLACK_URL", SlackClient::DEFAULT_BASE_URL)?,
            datadog: modelwatch::runtime::clients::datadog_api(
                std::env::var("MODELWATCH_DATADOG_SITE").ok(),
                std::env::var("MODELWATCH_DATADOG_URL").ok(),
            )?,
            channels,
        })
    }
}
