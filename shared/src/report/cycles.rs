//! Alert cycles rebuilt from history: one per (alert key, cycle), as its last entry saw it.

use std::collections::BTreeMap;

use super::Period;
use crate::domain::Timestamp;
use crate::domain::{CycleSnapshot, HistoryEntry};

/// One alert cycle: from opening to resolution (or to the last thing seen of it).
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    pub alert_key: String,
    pub cycle: u32,
    /// The cycle's facts as of its last history entry.
    pub facts: CycleSnapshot,
    /// Whether it was flapping at any point.
    pub flapped: bool,
    /// How many signals were applied to it.
    pub signals: usize,
}

impl Cycle {
    pub fn model(&self) -> &str {
        self.facts.model.as_ref().map_or("no model", |m| m.name())
    }

    /// The monitor's id, or the alert key when the source gave none.
    pub fn monitor_id(&self) -> &str {
        if self.facts.monitor_id.is_empty() {
            &self.alert_key
        } else {
            &self.facts.monitor_id
        }
    }

    /// The alert's title, or its key when it has none.
    pub fn title(&self) -> &str {
        if self.facts.title.is_empty() {
            &self.alert_key
        } else {
            &self.facts.title
        }
    }

    pub fn opened_at(&self) -> Option<Timestamp> {
        self.facts.opened_at
    }

    /// When a report counts it: when it was detected (applied here), else when it opened.
    /// A breach shortly before a report runs is detected after it, and so counts in the
    /// next report, whose history holds it; counted by its opening it would fall before
    /// that report's period and in no report.
    pub fn counted_at(&self) -> Option<Timestamp> {
        self.facts.detected_at.or(self.facts.opened_at)
    }

    pub fn is_false_positive(&self) -> bool {
        self.facts.false_positive.is_some()
    }
}

/// Groups history entries by (alert key, cycle) and keeps each group's last snapshot.
/// Entries of cycle 0 (an alert that never opened) are left out. Ordered by opening time.
pub fn cycles(history: &[HistoryEntry]) -> Vec<Cycle> {
    let mut groups: BTreeMap<(&str, u32), Vec<&HistoryEntry>> = BTreeMap::new();
    for entry in history.iter().filter(|e| e.cycle > 0) {
        groups
            .entry((entry.alert_key.as_str(), entry.cycle))
            .or_default()
            .push(entry);
    }
    let mut out: Vec<Cycle> = groups
        .into_iter()
        .filter_map(|((key, cycle), entries)| {
            let flapped = entries.iter().any(|e| e.snapshot.flapping);
            // The last written, by the alert's version: an evaluator's resolve dated at
            // the minute it evaluated may be written after a tick dated seconds later.
            let last = entries.iter().max_by_key(|e| (e.version, e.at))?;
            let mut facts = last.snapshot.clone();
            // Time to acknowledge runs to the first acknowledgement, which a later entry
            // no longer shows if it ran out (PagerDuty's unacknowledge) or came again.
            if let Some(first) = entries
                .iter()
                .filter_map(|e| e.snapshot.acknowledged.as_ref())
                .min_by_key(|m| m.at)
            {
                facts.acknowledged = Some(first.clone());
            }
            Some(Cycle {
                alert_key: key.to_owned(),
                cycle,
                facts,
                flapped,
                signals: entries.len(),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (a.opened_at(), &a.alert_key, a.cycle).cmp(&(b.opened_at(), &b.alert_key, b.cycle))
    });
    out
}

/// The cycles a report of `period` counts ([`Cycle::counted_at`] within it).
pub fn counted_in(cycles: &[Cycle], period: Period) -> Vec<&Cycle> {
    cycles
        .iter()
        .filter(|c| c.counted_at().is_some_and(|t| period.contains(t)))
        .collect()
}
