//! What makes the demo fail: an injected incident no alert was opened for (lost), a page
//! or Slack message sent twice (doubled), or a delivery still owed at the end.

use std::collections::BTreeMap;

use modelwatch::domain::Alert;
use modelwatch::page::ButtonValue;
use modelwatch::report::Cycle;

use super::scenario::Scenario;
use crate::fakes::{AlertStatus, HeldAlert, Received};

/// Minutes after an injected incident ends within which its alert must have opened.
const GRACE_MINUTES: u32 = 30;

#[derive(Debug, Default)]
pub struct Verdict {
    pub detected: Vec<String>,
    pub problems: Vec<String>,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

pub fn check(
    scenario: &Scenario,
    cycles: &[Cycle],
    alerts: &[Alert],
    pages: &[HeldAlert],
    slack_requests: &[Received],
) -> Verdict {
    let mut v = Verdict::default();
    for inj in &scenario.injected {
        let from = scenario.at(inj.from_minute);
        let until = scenario.at(inj.to_minute + GRACE_MINUTES);
        let found = cycles.iter().find(|c| {
            let monitor_matches = if inj.monitor == "datadog" {
                c.alert_key.starts_with("datadog:")
            } else {
                c.monitor_id() == inj.monitor
            };
            monitor_matches
                && c.model() == inj.model
                && c.opened_at().is_some_and(|t| t >= from && t <= until)
        });
        match found {
            Some(c) if inj.muted => {
                let dedup_key = format!("modelwatch:{}#{}", c.alert_key, c.cycle);
                let paged = pages.iter().any(|p| p.dedup_key == dedup_key);
                let messaged = slack_requests.iter().any(|r| {
                    r.path.ends_with("chat.postMessage")
                        && button_value(&r.body["blocks"])
                            .is_some_and(|b| b.key == c.alert_key && b.cycle == c.cycle)
                });
                if paged || messaged {
                    v.problems.push(format!(
                        "NOT SILENCED: {} ({}) was paged or posted during its silence",
                        inj.what, c.alert_key
                    ));
                } else {
                    v.detected.push(format!(
                        "{}: {} recorded, muted, nobody paged",
                        inj.what, c.alert_key
                    ));
                }
            }
            Some(c) => v.detected.push(format!(
                "{}: {} opened {} after it began",
                inj.what,
                c.alert_key,
                minutes(c.opened_at().map_or(0, |t| t.secs_since(from)))
            )),
            None => v.problems.push(format!(
                "LOST: no alert for the injected {} on {}",
                inj.what, inj.model
            )),
        }
    }

    for a in alerts {
        if !a.owed.is_empty() {
            let owed: Vec<&str> = a.owed.iter().map(|o| o.action.name()).collect();
            v.problems
                .push(format!("NOT DELIVERED: {} still owes {owed:?}", a.key));
        }
    }

    for p in pages {
        if p.triggers != 1 {
            v.problems.push(format!(
                "DOUBLED: PagerDuty alert {} was triggered {} times",
                p.dedup_key, p.triggers
            ));
        }
        let cycle_closed = alerts.iter().any(|a| {
            format!("modelwatch:{}#{}", a.key, a.cycle) == p.dedup_key && !a.status.is_open()
        });
        if cycle_closed && p.status != AlertStatus::Resolved {
            v.problems.push(format!(
                "LEFT OPEN: PagerDuty alert {} of a resolved alert",
                p.dedup_key
            ));
        }
    }

    // Every first message Slack accepted, as posted (later updates change the buttons).
    let mut firsts: BTreeMap<(String, u32, String), u32> = BTreeMap::new();
    let posts = slack_requests.iter().filter(|r| {
        r.path.ends_with("chat.postMessage") && r.status == 200 && r.body.get("thread_ts").is_none()
    });
    for r in posts {
        if let Some(b) = button_value(&r.body["blocks"]) {
            let channel = r.body["channel"].as_str().unwrap_or_default().to_owned();
            *firsts.entry((b.key, b.cycle, channel)).or_default() += 1;
        }
    }
    for ((key, cycle, channel), n) in firsts {
        if n > 1 {
            v.problems.push(format!(
                "DOUBLED: {n} first messages for {key} cycle {cycle} in {channel}"
            ));
        }
    }
    v
}

/// The alert a Slack message's buttons act on.
fn button_value(blocks: &serde_json::Value) -> Option<ButtonValue> {
    blocks.as_array()?.iter().find_map(|b| {
        b["elements"]
            .as_array()?
            .iter()
            .find_map(|e| serde_json::from_str::<ButtonValue>(e["value"].as_str()?).ok())
    })
}

pub fn minutes(secs: u64) -> String {
    if secs < 3600 {
        format!("{} min", secs / 60)
    } else {
        format!("{} h {} min", secs / 3600, (secs % 3600) / 60)
    }
}
