//! Which level a Datadog notification opens at: priority, severity tag, alert type and
//! transition mapped to L1–L3. The intake calls [`LevelMap::level_for`].

use crate::domain::{Level, Priority};

/// What a Datadog notification says about its severity. Every field is optional: a
/// template may not ask for it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Notification<'a> {
    /// `$ALERT_PRIORITY`.
    pub priority: Option<Priority>,
    /// A warning or no data (by its transition or alert type), not an alert.
    pub warning: bool,
    /// `$TAGS`, each `key:value`.
    pub tags: &'a [&'a str],
}

/// The configured mapping. Defaults: P1→L3, P2→L2, P3–P5→L1, warn→L1, and L2 for an
/// alert with no priority (an unknown one is never dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelMap {
    /// Indexed by priority − 1.
    pub priorities: [Level; 5],
    pub warn: Level,
    /// An alert that says nothing about its priority.
    pub unknown: Level,
}

impl Default for LevelMap {
    fn default() -> Self {
        Self {
            priorities: [Level::L3, Level::L2, Level::L1, Level::L1, Level::L1],
            warn: Level::L1,
            unknown: Level::L2,
        }
    }
}

impl LevelMap {
    /// The level to open at, first match wins: a `modelwatch_level:L2` tag; a warning or
    /// no data (by transition or alert type) at the warn level; a `severity:` tag (`critical`→L3,
    /// `high`/`error`→L2, `medium`/`low`/`warning`→L1); the priority; else `unknown`.
    pub fn level_for(&self, n: &Notification<'_>) -> Level {
        let tag = |key: &str| {
            n.tags.iter().find_map(|t| {
                t.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v.trim())
            })
        };
        if let Some(level) = tag("modelwatch_level").and_then(|v| v.parse().ok()) {
            return level;
        }
        // A warning, or a monitor that stopped reporting (more often a broken metric
        // pipeline than a broken model), opens at the warn level.
        if n.warning {
            return self.warn;
        }
        let severity = tag("severity").and_then(|v| match v.to_ascii_lowercase().as_str() {
            "critical" | "sev1" | "1" => Some(Level::L3),
            "high" | "error" | "sev2" | "2" => Some(Level::L2),
            "medium" | "low" | "warning" | "sev3" | "3" => Some(Level::L1),
            _ => None,
        });
        if let Some(level) = severity {
            return level;
        }
        n.priority.map_or(self.unknown, |p| self.priority(p))
    }

    /// The level of a priority.
    pub fn priority(&self, priority: Priority) -> Level {
        self.priorities[usize::from(priority.get() - 1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(priority: Option<&str>, warning: bool, tags: &[&str]) -> Level {
        LevelMap::default().level_for(&Notification {
            priority: priority.and_then(Priority::parse),
            warning,
            tags,
        })
    }

    #[test]
    fn datadog_priorities_map_to_levels_by_default() {
        assert_eq!(level(Some("P1"), false, &[]), Level::L3);
        assert_eq!(level(Some("P2"), false, &[]), Level::L2);
        assert_eq!(level(Some("2"), false, &[]), Level::L2);
        for p in ["P3", "P4", "P5"] {
            assert_eq!(level(Some(p), false, &[]), Level::L1);
        }
    }

    #[test]
    fn a_warning_opens_at_the_warn_level_whatever_its_priority() {
        assert_eq!(level(Some("P1"), true, &[]), Level::L1);
        assert_eq!(level(Some("P1"), true, &["severity:critical"]), Level::L1);
    }

    #[test]
    fn tags_override_and_unknown_priorities_are_not_dropped() {
        assert_eq!(
            level(Some("P3"), false, &["modelwatch_level:L3"]),
            Level::L3
        );
        assert_eq!(level(None, false, &["severity:critical"]), Level::L3);
        assert_eq!(level(Some("$ALERT_PRIORITY"), false, &[]), Level::L2);
        assert_eq!(level(Some("P9"), false, &[]), Level::L2);
        assert_eq!(level(None, false, &[]), Level::L2);
    }
}
