//! Alert accuracy (share of cycles not marked false positive) and the noisiest monitors.

use std::collections::BTreeMap;

use super::cycles::Cycle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accuracy {
    pub cycles: usize,
    pub false_positives: usize,
}

impl Accuracy {
    pub fn of(cycles: &[&Cycle]) -> Self {
        Self {
            cycles: cycles.len(),
            false_positives: cycles.iter().filter(|c| c.is_false_positive()).count(),
        }
    }

    /// The share of cycles not marked false positive; none without cycles.
    pub fn share(self) -> Option<f64> {
        (self.cycles > 0).then(|| (self.cycles - self.false_positives) as f64 / self.cycles as f64)
    }

    /// What the share counts: an alert nobody marked is taken as real, so the share says
    /// `1 of 5 marked false positive`, not more than it knows.
    pub fn basis(self) -> String {
        format!(
            "{} of {} marked false positive",
            self.false_positives, self.cycles
        )
    }
}

/// A monitor that opened many cycles, flapped or raised false alarms: a candidate for tuning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoisyMonitor {
    pub monitor_id: String,
    /// The title of its latest cycle.
    pub title: String,
    /// The models it fired for, sorted.
    pub models: Vec<String>,
    pub cycles: usize,
    pub flapping: usize,
    pub false_positives: usize,
}

impl NoisyMonitor {
    /// Why it is on the list: `6 alerts, 2 flapping, 3 false positives`.
    pub fn why(&self) -> String {
        let mut parts = vec![super::format::count(self.cycles, "alert", "alerts")];
        if self.flapping > 0 {
            parts.push(format!("{} flapping", self.flapping));
        }
        if self.false_positives > 0 {
            parts.push(super::format::count(
                self.false_positives,
                "false positive",
                "false positives",
            ));
        }
        parts.join(", ")
    }
}

/// Monitors with more than one cycle, any flapping or any false positive, noisiest first:
/// most cycles, then most false positives, then most flapping.
pub fn noisiest_monitors(cycles: &[&Cycle], limit: usize) -> Vec<NoisyMonitor> {
    let mut by_monitor: BTreeMap<&str, NoisyMonitor> = BTreeMap::new();
    for c in cycles {
        let m = by_monitor
            .entry(c.monitor_id())
            .or_insert_with(|| NoisyMonitor {
                monitor_id: c.monitor_id().to_owned(),
                title: String::new(),
                models: Vec::new(),
                cycles: 0,
                flapping: 0,
                false_positives: 0,
            });
        m.title = c.title().to_owned();
        if !m.models.iter().any(|x| x == c.model()) {
            m.models.push(c.model().to_owned());
        }
        m.cycles += 1;
        m.flapping += usize::from(c.flapped);
        m.false_positives += usize::from(c.is_false_positive());
    }
    let mut out: Vec<NoisyMonitor> = by_monitor
        .into_values()
        .filter(|m| m.cycles > 1 || m.flapping > 0 || m.false_positives > 0)
        .map(|mut m| {
            m.models.sort();
            m
        })
        .collect();
    out.sort_by(|a, b| {
        (b.cycles, b.false_positives, b.flapping, &a.monitor_id).cmp(&(
            a.cycles,
            a.false_positives,
            a.flapping,
            &b.monitor_id,
        ))
    });
    out.truncate(limit);
    out
}
