//! Where each audience's reports go, first found wins:
//!
//! 1. `MODELWATCH_REPORT_CHANNEL_<AUDIENCE>` (the audience in capitals, `-` as `_`: `ml-team`
//!    reads `MODELWATCH_REPORT_CHANNEL_ML_TEAM`): the deployment's own word, set by the
//!    template's parameter for that audience;
//! 2. the audience's `channel` in the configuration (`reports.audiences`);
//! 3. `MODELWATCH_REPORT_CHANNEL`;
//! 4. the routing's `default_slack_channel`.
//!
//! An empty variable counts as unset: the template sets every audience's variable, empty
//! when its parameter is left blank.

use std::collections::BTreeMap;

use modelwatch::config::{Config, audience_key};
use modelwatch::domain::InvalidValue;
use modelwatch::slack::ChannelId;

/// The variable every audience falls back to; per-audience variables add a suffix.
pub const REPORT_CHANNEL_VAR: &str = "MODELWATCH_REPORT_CHANNEL";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportChannels {
    /// From `MODELWATCH_REPORT_CHANNEL_<AUDIENCE>`, by audience key.
    overridden: BTreeMap<String, ChannelId>,
    /// From the configuration's audiences, by audience key.
    configured: BTreeMap<String, ChannelId>,
    fallback: ChannelId,
}

impl ReportChannels {
    /// Every audience to `fallback`.
    pub fn single(fallback: ChannelId) -> Self {
        Self {
            overridden: BTreeMap::new(),
            configured: BTreeMap::new(),
            fallback,
        }
    }

    /// Reads the mapping from environment variables (`vars`, as from `std::env::vars()`)
    /// and `config` (its audiences' channels and the routing's default channel). Names the
    /// variable or setting whose value is not a channel.
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
        config: &Config,
    ) -> Result<Self, ChannelSettingError> {
        let channel = |setting: &str, value: &str| {
            ChannelId::new(value).map_err(|source| ChannelSettingError {
                setting: setting.to_owned(),
                source,
            })
        };
        let mut fallback = None;
        let mut overridden = BTreeMap::new();
        let prefix = format!("{REPORT_CHANNEL_VAR}_");
        for (name, value) in vars {
            if value.trim().is_empty() {
                continue;
            }
            if name == REPORT_CHANNEL_VAR {
                fallback = Some(channel(&name, &value)?);
            } else if let Some(audience) = name.strip_prefix(&prefix) {
                overridden.insert(audience_key(audience), channel(&name, &value)?);
            }
        }
        let mut configured = BTreeMap::new();
        for (key, audience) in &config.reports.audiences {
            if let Some(c) = &audience.channel {
                let setting = format!("reports.audiences.{key}.channel");
                configured.insert(key.clone(), channel(&setting, c)?);
            }
        }
        let fallback = match fallback {
            Some(c) => c,
            None => channel(
                "routing.default_slack_channel",
                &config.routing.default_slack_channel,
            )?,
        };
        Ok(Self {
            overridden,
            configured,
            fallback,
        })
    }

    /// The channel of `audience`'s reports.
    pub fn for_audience(&self, audience: &str) -> &ChannelId {
        let key = audience_key(audience);
        self.overridden
            .get(&key)
            .or_else(|| self.configured.get(&key))
            .unwrap_or(&self.fallback)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{setting}: {source}")]
pub struct ChannelSettingError {
    /// The environment variable or configuration setting.
    pub setting: String,
    pub source: InvalidValue,
}

#[cfg(test)]
mod tests {
    use super::*;

    // A configuration must watch something: one model (its channel is not a report's).
    const CONFIG: &str = "\
models:
  - name: chat-large
    team: chat
    slack_channel: \"#chat-large-alerts\"
routing:
  default_slack_channel: \"#modelwatch\"
reports:
  audiences:
    ml-team: { channel: \"#ml-platform\" }
    executives: { depth: summary }
";

    fn config() -> Config {
        Config::parse("modelwatch.yaml", CONFIG).unwrap()
    }

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_deployment_variable_wins_over_the_configured_channel() {
        let channels = ReportChannels::from_vars(
            vars(&[
                ("MODELWATCH_REPORT_CHANNEL_ML_TEAM", "C0MLTEAM"),
                ("PATH", "/usr/bin"),
            ]),
            &config(),
        )
        .unwrap();
        assert_eq!(channels.for_audience("ml-team").as_str(), "C0MLTEAM");
    }

    #[test]
    fn the_configured_channel_wins_over_the_common_variable_and_the_rest_fall_back() {
        let channels = ReportChannels::from_vars(
            vars(&[
                ("MODELWATCH_REPORT_CHANNEL", "#ml-reports"),
                // The template's blank parameter: as if unset.
                ("MODELWATCH_REPORT_CHANNEL_ML_TEAM", ""),
            ]),
            &config(),
        )
        .unwrap();
        assert_eq!(channels.for_audience("ml-team").as_str(), "#ml-platform");
        assert_eq!(channels.for_audience("ML_TEAM").as_str(), "#ml-platform");
        assert_eq!(channels.for_audience("executives").as_str(), "#ml-reports");
    }

    #[test]
    fn without_variables_or_a_configured_channel_reports_go_to_the_routing_default() {
        let channels = ReportChannels::from_vars(vars(&[]), &config()).unwrap();
        assert_eq!(channels.for_audience("executives").as_str(), "#modelwatch");
        assert_eq!(channels.for_audience("everyone").as_str(), "#modelwatch");
    }

    #[test]
    fn a_bad_channel_names_its_variable() {
        let err = ReportChannels::from_vars(
            vars(&[("MODELWATCH_REPORT_CHANNEL_EXECUTIVES", "not a channel")]),
            &config(),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("MODELWATCH_REPORT_CHANNEL_EXECUTIVES:"),
            "{err}"
        );
    }
}
