//! The context a page carries beyond the alert itself: runbook, dashboard, deployments.

use crate::domain::{Alert, Deployment, Link};

/// What configuration and recent history add to a page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageContext {
    /// The monitor's runbook, and its first steps to try.
    pub runbook_url: Option<String>,
    pub steps: Vec<String>,
    pub dashboard_url: Option<String>,
    /// The model's owning team, as the configuration names it.
    pub team: Option<String>,
    /// Deployments of this model in the 24 hours before onset, newest first.
    pub deployments: Vec<Deployment>,
    /// Slack user IDs subscribed to this model's alerts: mentioned on its Slack message.
    pub mentions: Vec<String>,
}

impl PageContext {
    /// Every link a page carries — the alert's own, then the dashboard and runbook —
    /// each URL once, and only plain http(s) URLs (nothing else is clickable on a page).
    pub fn links(&self, alert: &Alert) -> Vec<Link> {
        let mut links: Vec<Link> = Vec::new();
        let extra = [
            ("Dashboard", &self.dashboard_url),
            ("Runbook", &self.runbook_url),
        ];
        let candidates = alert
            .context
            .links
            .iter()
            .cloned()
            .chain(extra.into_iter().filter_map(|(text, url)| {
                url.clone().map(|url| Link {
                    text: text.into(),
                    url,
                })
            }));
        for link in candidates {
            if crate::domain::url::web_url(&link.url).is_none() {
                continue;
            }
            if !links.iter().any(|l| l.url == link.url) {
                links.push(link);
            }
        }
        links
    }
}
