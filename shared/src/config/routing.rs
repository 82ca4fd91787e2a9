//! Where each level goes (Slack channels, PagerDuty routing-key names), how it escalates,
//! and time-of-day policies such as "no L2 pages for L1-class issues at night".

use std::collections::BTreeMap;

use jiff::tz::TimeZone;

use crate::domain::{EscalationPolicy, FlapPolicy, Level, Timestamp};
use crate::rules::TimeWindow;

/// One level's destinations and clock.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LevelRoute {
    pub slack_channels: Vec<String>,
    /// The name of a PagerDuty routing key (see [`Routing::pagerduty_keys`]), not the key.
    pub pagerduty: Option<String>,
    /// Unacknowledged this long at this level: escalate to the next.
    pub escalate_after_secs: Option<u64>,
    pub renotify_secs: Option<u64>,
}

/// During `window` (in `time_zone`), alerts opening at one of `levels` go no higher than `max_level`.
#[derive(Debug, Clone, PartialEq)]
pub struct TimePolicy {
    pub name: String,
    pub time_zone: TimeZone,
    pub window: TimeWindow,
    pub levels: Vec<Level>,
    pub max_level: Level,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Routing {
    /// Where L1 goes for a model the configuration does not know.
    pub default_slack_channel: String,
    /// Routing-key name → the secret entry holding the key.
    pub pagerduty_keys: BTreeMap<String, String>,
    /// L1, L2, L3.
    pub levels: [LevelRoute; 3],
    pub max_level: Level,
    pub flapping: FlapPolicy,
    pub time_policies: Vec<TimePolicy>,
    /// Per model or family, in file order: the first that matches and says something for
    /// a level decides that level's destinations it names; the rest stay shared.
    pub routes: Vec<RouteOverride>,
}

/// Which alerts a route override is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteMatch {
    Model(String),
    Family(String),
}

impl RouteMatch {
    pub fn applies(&self, model: Option<&str>, family: Option<&str>) -> bool {
        match self {
            RouteMatch::Model(m) => model == Some(m.as_str()),
            RouteMatch::Family(f) => family == Some(f.as_str()),
        }
    }
}

/// One level's destinations for the models a route matches; `None` keeps the shared one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LevelOverride {
    pub slack_channels: Option<Vec<String>>,
    pub pagerduty: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteOverride {
    pub matches: RouteMatch,
    /// L1, L2, L3.
    pub levels: [LevelOverride; 3],
}

/// Where one alert at one level is delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route<'a> {
    pub slack_channels: Vec<&'a str>,
    /// The routing-key name; the escalator resolves it to a secret.
    pub pagerduty: Option<&'a str>,
}

impl Routing {
    pub fn level(&self, level: Level) -> &LevelRoute {
        match level {
            Level::L1 => &self.levels[0],
            Level::L2 => &self.levels[1],
            Level::L3 => &self.levels[2],
        }
    }

    /// The escalation policy at `at` of an alert at `level` whose breaches asked for
    /// `asked`, capped by the monitor's own `monitor_max` and by any time policy in force
    /// then for `asked` or `level`, never below either: a warning escalated to a level a
    /// policy holds is held there, and a critical breach is never held below its own level.
    pub fn escalation_policy(
        &self,
        asked: Level,
        level: Level,
        monitor_max: Option<Level>,
        at: Timestamp,
    ) -> EscalationPolicy {
        let mut max_level = monitor_max.map_or(self.max_level, |m| m.min(self.max_level));
        for p in &self.time_policies {
            let applies = p.levels.contains(&asked) || p.levels.contains(&level);
            if applies && p.window.contains_instant(at, &p.time_zone) {
                max_level = max_level.min(p.max_level);
            }
        }
        let max_level = max_level.max(asked).max(level);
        EscalationPolicy {
            l1_timeout_secs: self.level(Level::L1).escalate_after_secs,
            l2_timeout_secs: self.level(Level::L2).escalate_after_secs,
            max_level,
            renotify_secs: self.level(level).renotify_secs,
            flapping: self.flapping,
        }
    }
}
