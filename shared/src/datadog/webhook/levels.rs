//! Which level a Datadog notification starts at: a `severity:` tag, else the monitor's
//! priority, else its transition.

use serde::{Deserialize, Serialize};

use super::{Notification, Transition};
use crate::domain::Level;

/// The mapping, overridable from configuration. Defaults: P1 → L3, P2 → L2, P3–P5 → L1,
/// Warn and No Data → L1, a triggered monitor without priority → L2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LevelRules {
    /// Levels for P1..P5, in order.
    pub priority: [Level; 5],
    pub warn: Level,
    pub no_data: Level,
    /// A triggered monitor with neither priority nor severity tag.
    pub triggered: Level,
    /// `severity:VALUE` tags and the level each means.
    pub severity: Vec<(String, Level)>,
}

impl Default for LevelRules {
    fn default() -> Self {
        Self {
            priority: [Level::L3, Level::L2, Level::L1, Level::L1, Level::L1],
            warn: Level::L1,
            no_data: Level::L1,
            triggered: Level::L2,
            severity: [
                ("critical", Level::L3),
                ("sev1", Level::L3),
                ("high", Level::L2),
                ("error", Level::L2),
                ("sev2", Level::L2),
                ("medium", Level::L1),
                ("low", Level::L1),
                ("warning", Level::L1),
                ("info", Level::L1),
                ("sev3", Level::L1),
            ]
            .into_iter()
            .map(|(k, l)| (k.to_owned(), l))
            .collect(),
        }
    }
}

impl LevelRules {
    pub fn level(&self, n: &Notification) -> Level {
        match n.transition {
            Transition::Warn | Transition::ReWarn => return self.warn,
            Transition::NoData | Transition::ReNoData => return self.no_data,
            _ => {}
        }
        let severity = n.tags.iter().find_map(|t| {
            let value = t.strip_prefix("severity:")?.trim().to_ascii_lowercase();
            self.severity
                .iter()
                .find(|(k, _)| *k == value)
                .map(|(_, l)| *l)
        });
        severity
            .or_else(|| {
                n.priority
                    .map(|p| self.priority[usize::from(p.clamp(1, 5) - 1)])
            })
            .unwrap_or(self.triggered)
    }
}
