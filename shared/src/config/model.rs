//! Models and metrics as configured, and the links a page carries for them.

use crate::domain::Link;
use crate::rules::Group;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    pub name: String,
    pub unit: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    pub name: String,
    pub versions: Vec<String>,
    /// The version a rollout is compared against.
    pub stable_version: Option<String>,
    pub team: String,
    pub slack_channel: String,
    /// URL templates with `{model}`, `{version}`, `{env}` and `{monitor}`.
    pub runbook: Option<String>,
    pub dashboard: Option<String>,
}

/// The placeholders a URL template may use.
pub const PLACEHOLDERS: [&str; 4] = ["{model}", "{version}", "{env}", "{monitor}"];

impl Model {
    /// The runbook and dashboard links for `monitor` on `group`.
    pub fn links(&self, monitor: &str, group: &Group) -> Vec<Link> {
        let fill = |template: &str| {
            template
                .replace("{model}", &self.name)
                .replace("{version}", group.version.as_deref().unwrap_or(""))
                .replace("{env}", group.environment.as_deref().unwrap_or(""))
                .replace("{monitor}", monitor)
        };
        let mut links = Vec::new();
        if let Some(t) = &self.runbook {
            links.push(Link {
                text: "Runbook".into(),
                url: fill(t),
            });
        }
        if let Some(t) = &self.dashboard {
            links.push(Link {
                text: "Dashboard".into(),
                url: fill(t),
            });
        }
        links
    }
}
