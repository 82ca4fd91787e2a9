//! Models and metrics as configured, and the links a page carries for them.

use crate::domain::{Group, Link};
use crate::report::Better;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    pub name: String,
    pub unit: Option<String>,
    pub description: Option<String>,
    /// `kind:` in the file.
    pub class: MetricClass,
    /// Which way is good news (`better: higher|lower`); neither when not said.
    pub better: Better,
}

/// What a metric measures: the models' serving (technical) or what they are for (business:
/// user satisfaction, conversion). Reports follow business metrics over the whole service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricClass {
    Technical,
    Business,
}

impl MetricClass {
    pub const NAMES: &str = "technical or business";

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "technical" => Some(MetricClass::Technical),
            "business" => Some(MetricClass::Business),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    pub name: String,
    pub versions: Vec<String>,
    /// The version a rollout is compared against.
    pub stable_version: Option<String>,
    pub team: String,
    /// The family routes may name (`chat`, `embedding`).
    pub family: Option<String>,
    pub slack_channel: String,
    /// URL templates with `{model}`, `{version}`, `{env}` and `{monitor}`.
    pub runbook: Option<String>,
    pub dashboard: Option<String>,
}

/// The placeholders a URL template may use.
pub const PLACEHOLDERS: [&str; 4] = ["{model}", "{version}", "{env}", "{monitor}"];

impl Model {
    /// The runbook and dashboard for `monitor` on `group`, templates filled in.
    pub fn links(&self, monitor: &str, group: &Group) -> ModelLinks {
        // Values are encoded: a version or environment from a webhook's tags must not
        // change where the link goes.
        let enc = crate::domain::url::encode_component;
        let fill = |template: &str| {
            template
                .replace("{model}", &enc(&self.name))
                .replace("{version}", &enc(group.version.as_deref().unwrap_or("")))
                .replace("{env}", &enc(group.environment.as_deref().unwrap_or("")))
                .replace("{monitor}", &enc(monitor))
        };
        ModelLinks {
            runbook: self.runbook.as_deref().map(fill),
            dashboard: self.dashboard.as_deref().map(fill),
        }
    }
}

/// A model's runbook and dashboard for one monitor and group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelLinks {
    pub runbook: Option<String>,
    pub dashboard: Option<String>,
}

impl ModelLinks {
    /// As an alert's labelled links (the evaluator's alerts carry them).
    pub fn to_links(&self) -> Vec<Link> {
        [("Runbook", &self.runbook), ("Dashboard", &self.dashboard)]
            .into_iter()
            .filter_map(|(text, url)| {
                url.clone().map(|url| Link {
                    text: text.into(),
                    url,
                })
            })
            .collect()
    }
}
