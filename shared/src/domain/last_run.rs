//! The evaluator's last good run: the instant of the newest run whose changes were all
//! stored, and the monitors it evaluated (each as `Config::judged_as`: its id and a
//! digest of what decides its verdicts, so a changed monitor is a new one). A run whose look-back does not reach back to it
//! (after an outage longer than that, or a monitor's first run) cannot see every change
//! since, so it brings those monitors' alerts to what it sees instead (`evaluator::plan`).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastRun {
    pub at: Timestamp,
    pub monitors: BTreeSet<String>,
}

impl LastRun {
    /// Whether this run evaluated monitor `id` (its entries are `Config::judged_as`:
    /// `{id}#{digest}`; any digest, so a configuration change between functions counts).
    pub fn evaluated(&self, id: &str) -> bool {
        self.monitors
            .iter()
            .any(|m| m.split_once('#').map_or(m.as_str(), |(m, _)| m) == id)
    }

    /// Whether every change of `monitor` at an instant after `last.at` and before `from`
    /// is known: `monitor` was evaluated by that run, and `from` is at most one evaluation
    /// (`every_secs`) after it. None (no run stored yet) knows nothing.
    pub fn covers(last: Option<&LastRun>, monitor: &str, from: Timestamp, every_secs: u64) -> bool {
        last.is_some_and(|last| {
            last.monitors.contains(monitor) && last.at.plus_secs(every_secs) >= from
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_covers_up_to_one_evaluation_before_the_next_look_back() {
        let at = Timestamp::from_secs(1_800_000_000);
        let last = LastRun {
            at,
            monitors: BTreeSet::from(["latency".to_string()]),
        };
        assert!(LastRun::covers(
            Some(&last),
            "latency",
            at.plus_secs(60),
            60
        ));
        assert!(LastRun::covers(Some(&last), "latency", at, 60));
        assert!(!LastRun::covers(
            Some(&last),
            "latency",
            at.plus_secs(61),
            60
        ));
        assert!(!LastRun::covers(Some(&last), "new-monitor", at, 60));
        assert!(!LastRun::covers(None, "latency", at, 60));
    }
}
