//! Where each audience's reports go: `MODELWATCH_REPORT_CHANNEL_<AUDIENCE>` (the audience
//! in capitals, `-` as `_`: `ml-team` reads `MODELWATCH_REPORT_CHANNEL_ML_TEAM`), else
//! `MODELWATCH_REPORT_CHANNEL`, else the routing's `default_slack_channel`.

use std::collections::BTreeMap;

use modelwatch::domain::InvalidValue;
use modelwatch::slack::ChannelId;

/// The variable every audience falls back to; per-audience variables add a suffix.
pub const REPORT_CHANNEL_VAR: &str = "MODELWATCH_REPORT_CHANNEL";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportChannels {
    fallback: ChannelId,
    by_audience: BTreeMap<String, ChannelId>,
}

impl ReportChannels {
    /// Every audience to `fallback`.
    pub fn single(fallback: ChannelId) -> Self {
        Self {
            fallback,
            by_audience: BTreeMap::new(),
        }
    }

    /// Reads the mapping from environment variables (`vars`, as from `std::env::vars()`),
    /// with `default_channel` (the routing's) when no variable names a fallback. Names the
    /// variable whose value is not a channel.
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
        default_channel: &str,
    ) -> Result<Self, ChannelSettingError> {
        let mut fallback = None;
        let mut by_audience = BTreeMap::new();
        let prefix = format!("{REPORT_CHANNEL_VAR}_");
        for (name, value) in vars {
            let channel = |name: &str| {
                ChannelId::new(&value).map_err(|source| ChannelSettingError {
                    variable: name.to_owned(),
                    source,
                })
            };
            if name == REPORT_CHANNEL_VAR {
                fallback = Some(channel(&name)?);
            } else if let Some(audience) = name.strip_prefix(&prefix) {
                by_audience.insert(audience_key(audience), channel(&name)?);
            }
        }
        let fallback = match fallback {
            Some(c) => c,
            None => ChannelId::new(default_channel).map_err(|source| ChannelSettingError {
                variable: "routing.default_slack_channel".into(),
                source,
            })?,
        };
        Ok(Self {
            fallback,
            by_audience,
        })
    }

    /// The channel of `audience`'s reports.
    pub fn for_audience(&self, audience: &str) -> &ChannelId {
        self.by_audience
            .get(&audience_key(audience))
            .unwrap_or(&self.fallback)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{variable}: {source}")]
pub struct ChannelSettingError {
    pub variable: String,
    pub source: InvalidValue,
}

/// `ml-team`, `ML_TEAM` and `ml_team` are one audience.
fn audience_key(audience: &str) -> String {
    audience.to_ascii_lowercase().replace('_', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn an_audience_with_its_own_variable_gets_its_channel_and_the_others_the_fallback() {
        let channels = ReportChannels::from_vars(
            vars(&[
                ("MODELWATCH_REPORT_CHANNEL_EXECUTIVES", "C0EXEC"),
                ("MODELWATCH_REPORT_CHANNEL", "#ml-reports"),
                ("PATH", "/usr/bin"),
            ]),
            "#modelwatch",
        )
        .unwrap();
        assert_eq!(channels.for_audience("executives").as_str(), "C0EXEC");
        assert_eq!(channels.for_audience("ml-team").as_str(), "#ml-reports");
    }

    #[test]
    fn without_variables_reports_go_to_the_routing_default_channel() {
        let channels = ReportChannels::from_vars(vars(&[]), "#modelwatch").unwrap();
        assert_eq!(channels.for_audience("ml-team").as_str(), "#modelwatch");
        let channels = ReportChannels::from_vars(
            vars(&[("MODELWATCH_REPORT_CHANNEL_ML_TEAM", "C0MLTEAM")]),
            "#modelwatch",
        )
        .unwrap();
        assert_eq!(channels.for_audience("ml-team").as_str(), "C0MLTEAM");
    }

    #[test]
    fn a_bad_channel_names_its_variable() {
        let err = ReportChannels::from_vars(
            vars(&[("MODELWATCH_REPORT_CHANNEL_EXECUTIVES", "not a channel")]),
            "#modelwatch",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("MODELWATCH_REPORT_CHANNEL_EXECUTIVES:"),
            "{err}"
        );
    }
}
