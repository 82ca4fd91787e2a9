//! Where an alert's deliveries go and what configuration adds to its page: pure
//! functions of the configuration and the alert.

use super::Destinations;
use crate::config::Config;
use crate::domain::{Alert, Level};
use crate::page::PageContext;
use crate::rules::Group;

/// Where `level` goes for this alert: every Slack channel of the levels up to it (so an
/// L3 page also tells the L1 and L2 channels) and the level's PagerDuty service.
pub fn destinations(config: &Config, alert: &Alert, level: Level) -> Destinations {
    let model = alert.context.model.as_ref().map(|m| m.name());
    let mut slack_channels: Vec<String> = Vec::new();
    for l in Level::ALL.into_iter().filter(|l| *l <= level) {
        for ch in config.route(l, model).slack_channels {
            if !slack_channels.iter().any(|c| c == ch) {
                slack_channels.push(ch.to_owned());
            }
        }
    }
    Destinations {
        slack_channels,
        pagerduty: config.route(level, model).pagerduty.map(str::to_owned),
    }
}

/// What configuration adds to a page: the monitor's runbook steps, the model's team and
/// its runbook and dashboard links.
pub fn page_context(config: &Config, alert: &Alert) -> PageContext {
    let c = &alert.context;
    let monitor = config.monitor(&c.monitor.id);
    let model = c.model.as_ref().and_then(|m| config.model(m.name()));
    let group = c
        .model
        .as_ref()
        .map(|m| Group::new(m.name(), m.version(), c.environment.as_deref()));
    let links = group
        .map(|g| config.links(&c.monitor.id, &g))
        .unwrap_or_default();
    PageContext {
        runbook_url: links.runbook,
        steps: monitor.map(|m| m.runbook_steps.clone()).unwrap_or_default(),
        dashboard_url: links.dashboard,
        team: model.map(|m| m.team.clone()),
        deployments: Vec::new(),
        mentions: Vec::new(),
    }
}
