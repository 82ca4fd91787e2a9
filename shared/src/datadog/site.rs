//! Datadog's sites: one account lives on exactly one (US1, US3, US5, EU, AP1, AP2, UK1, and
//! the government sites US1-FED and US2-FED),
//! and its API calls and the links on a page must go there. Named as Datadog names them
//! in `DD_SITE` (`datadoghq.eu`, `us5.datadoghq.com`, ...).

use std::fmt;
use std::str::FromStr;

/// One of Datadog's sites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DatadogSite {
    #[default]
    Us1,
    Us3,
    Us5,
    Eu,
    Ap1,
    Ap2,
    Uk1,
    /// US1-FED.
    Gov,
    /// US2-FED.
    Gov2,
}

impl DatadogSite {
    pub const ALL: [DatadogSite; 9] = [
        Self::Us1,
        Self::Us3,
        Self::Us5,
        Self::Eu,
        Self::Ap1,
        Self::Ap2,
        Self::Uk1,
        Self::Gov,
        Self::Gov2,
    ];

    /// The site's domain, as `DD_SITE` spells it.
    pub fn domain(self) -> &'static str {
        match self {
            Self::Us1 => "datadoghq.com",
            Self::Us3 => "us3.datadoghq.com",
            Self::Us5 => "us5.datadoghq.com",
            Self::Eu => "datadoghq.eu",
            Self::Ap1 => "ap1.datadoghq.com",
            Self::Ap2 => "ap2.datadoghq.com",
            Self::Uk1 => "uk1.datadoghq.com",
            Self::Gov => "ddog-gov.com",
            Self::Gov2 => "us2.ddog-gov.com",
        }
    }

    /// The API's base URL: `api.` before the site's domain.
    pub fn api_url(self) -> String {
        format!("https://api.{}", self.domain())
    }

    /// The web application's base URL, where monitor and dashboard links point: sites
    /// with a region in their domain serve it there (`us5.datadoghq.com`), the others
    /// under `app.` (`app.datadoghq.eu`).
    pub fn app_url(self) -> String {
        match self {
            Self::Us1 | Self::Eu | Self::Gov => format!("https://app.{}", self.domain()),
            Self::Us3 | Self::Us5 | Self::Ap1 | Self::Ap2 | Self::Uk1 | Self::Gov2 => {
                format!("https://{}", self.domain())
            }
        }
    }

    /// A monitor's page on this site.
    pub fn monitor_url(self, monitor_id: u64) -> String {
        format!("{}/monitors/{monitor_id}", self.app_url())
    }

    fn names() -> String {
        Self::ALL
            .iter()
            .map(|s| s.domain())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for DatadogSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.domain())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown Datadog site {given:?}: expected one of {expected}")]
pub struct UnknownSite {
    pub given: String,
    pub expected: String,
}

impl FromStr for DatadogSite {
    type Err = UnknownSite;

    /// A site's domain, also as the API or app URL a user may paste
    /// (`https://app.datadoghq.eu/`), case-insensitively.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_ascii_lowercase();
        let host = wanted
            .strip_prefix("https://")
            .unwrap_or(&wanted)
            .trim_end_matches('/');
        let domain = host
            .strip_prefix("api.")
            .or_else(|| host.strip_prefix("app."))
            .unwrap_or(host);
        Self::ALL
            .into_iter()
            .find(|s| s.domain() == domain)
            .ok_or_else(|| UnknownSite {
                given: text.to_owned(),
                expected: Self::names(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_site_has_the_api_and_app_urls_datadog_documents() {
        let expected = [
            (
                "datadoghq.com",
                "https://api.datadoghq.com",
                "https://app.datadoghq.com",
            ),
            (
                "us3.datadoghq.com",
                "https://api.us3.datadoghq.com",
                "https://us3.datadoghq.com",
            ),
            (
                "us5.datadoghq.com",
                "https://api.us5.datadoghq.com",
                "https://us5.datadoghq.com",
            ),
            (
                "datadoghq.eu",
                "https://api.datadoghq.eu",
                "https://app.datadoghq.eu",
            ),
            (
                "ap1.datadoghq.com",
                "https://api.ap1.datadoghq.com",
                "https://ap1.datadoghq.com",
            ),
            (
                "ap2.datadoghq.com",
                "https://api.ap2.datadoghq.com",
                "https://ap2.datadoghq.com",
            ),
            (
                "uk1.datadoghq.com",
                "https://api.uk1.datadoghq.com",
                "https://uk1.datadoghq.com",
            ),
            (
                "ddog-gov.com",
                "https://api.ddog-gov.com",
                "https://app.ddog-gov.com",
            ),
            (
                "us2.ddog-gov.com",
                "https://api.us2.ddog-gov.com",
                "https://us2.ddog-gov.com",
            ),
        ];
        for (domain, api, app) in expected {
            let site: DatadogSite = domain.parse().expect(domain);
            assert_eq!(site.api_url(), api);
            assert_eq!(site.app_url(), app);
            assert_eq!(site.to_string(), domain);
        }
    }

    #[test]
    fn the_template_offers_every_site_and_no_other() {
        let template = include_str!("../../../infra/template.yaml");
        let line = template
            .lines()
            .skip_while(|l| *l != "  DatadogSite:")
            .find(|l| l.trim_start().starts_with("AllowedValues:"))
            .expect("the DatadogSite parameter's AllowedValues in infra/template.yaml");
        let (_, list) = line.split_once('[').expect("a flow list");
        let offered: Vec<&str> = list
            .trim_end_matches(']')
            .split(',')
            .map(str::trim)
            .collect();
        let known: Vec<&str> = DatadogSite::ALL.iter().map(|s| s.domain()).collect();
        assert_eq!(offered, known);
    }

    #[test]
    fn a_pasted_url_names_its_site() {
        for text in [
            "https://app.datadoghq.eu/",
            "api.datadoghq.eu",
            "DATADOGHQ.EU",
        ] {
            assert_eq!(text.parse(), Ok(DatadogSite::Eu), "{text}");
        }
        assert_eq!(
            DatadogSite::Us5.monitor_url(42),
            "https://us5.datadoghq.com/monitors/42"
        );
    }

    #[test]
    fn an_unknown_site_is_refused_with_the_list() {
        let err = "datadoghq.co".parse::<DatadogSite>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown Datadog site \"datadoghq.co\": expected one of datadoghq.com, \
             us3.datadoghq.com, us5.datadoghq.com, datadoghq.eu, ap1.datadoghq.com, \
             ap2.datadoghq.com, uk1.datadoghq.com, ddog-gov.com, us2.ddog-gov.com"
        );
    }
}
