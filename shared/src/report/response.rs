//! Response times over alert cycles: MTTD, MTTA and MTTR as medians, with the slowest case.
//!
//! - time to detect: first breaching point → detected (or opened, when detection is unknown)
//! - time to acknowledge: opened → acknowledged
//! - time to resolve: opened → resolved
//!
//! Cycles marked false positive are left out: they were never incidents to respond to.

use super::cycles::Cycle;
use super::stats::median_secs;
use crate::domain::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Detect,
    Acknowledge,
    Resolve,
}

impl Measure {
    pub const ALL: [Measure; 3] = [Measure::Detect, Measure::Acknowledge, Measure::Resolve];

    /// `MTTD`, `MTTA`, `MTTR`.
    pub fn abbreviation(self) -> &'static str {
        match self {
            Measure::Detect => "MTTD",
            Measure::Acknowledge => "MTTA",
            Measure::Resolve => "MTTR",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Measure::Detect => "time to detect",
            Measure::Acknowledge => "time to acknowledge",
            Measure::Resolve => "time to resolve",
        }
    }

    /// What a cycle that was measured is called.
    pub fn measured(self) -> &'static str {
        match self {
            Measure::Detect => "measured",
            Measure::Acknowledge => "acknowledged",
            Measure::Resolve => "resolved",
        }
    }

    /// What a cycle that could not be measured is called.
    pub fn unmeasured(self) -> &'static str {
        match self {
            Measure::Detect => "without a known first breach",
            Measure::Acknowledge => "never acknowledged",
            Measure::Resolve => "still open",
        }
    }

    fn span(self, cycle: &Cycle) -> Option<(Timestamp, Timestamp)> {
        let f = &cycle.facts;
        match self {
            Measure::Detect => Some((f.first_breach_at?, f.detected_at.or(f.opened_at)?)),
            Measure::Acknowledge => Some((f.opened_at?, f.acknowledged.as_ref()?.at)),
            Measure::Resolve => Some((f.opened_at?, f.resolved_at?)),
        }
    }
}

/// The slowest cycle for a measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slowest {
    pub secs: u64,
    pub alert_key: String,
    pub model: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseTime {
    pub measure: Measure,
    pub median_secs: Option<u64>,
    pub slowest: Option<Slowest>,
    /// Cycles measured.
    pub measured: usize,
    /// Cycles that could not be measured (see `Measure::unmeasured`).
    pub unmeasured: usize,
}

impl ResponseTime {
    /// How many cycles the median stands on, and how many it leaves out: `4 resolved, 1
    /// still open`. A median of one or two is read so.
    pub fn basis(&self) -> String {
        let mut basis = format!("{} {}", self.measured, self.measure.measured());
        if self.unmeasured > 0 {
            basis.push_str(&format!(
                ", {} {}",
                self.unmeasured,
                self.measure.unmeasured()
            ));
        }
        basis
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseTimes {
    pub detect: ResponseTime,
    pub acknowledge: ResponseTime,
    pub resolve: ResponseTime,
    /// Cycles left out because they were marked false positive.
    pub false_positives_left_out: usize,
}

impl ResponseTimes {
    pub fn of(cycles: &[&Cycle]) -> Self {
        let real: Vec<&Cycle> = cycles
            .iter()
            .copied()
            .filter(|c| !c.is_false_positive())
            .collect();
        Self {
            detect: response_time(Measure::Detect, &real),
            acknowledge: response_time(Measure::Acknowledge, &real),
            resolve: response_time(Measure::Resolve, &real),
            false_positives_left_out: cycles.len() - real.len(),
        }
    }

    pub fn get(&self, measure: Measure) -> &ResponseTime {
        match measure {
            Measure::Detect => &self.detect,
            Measure::Acknowledge => &self.acknowledge,
            Measure::Resolve => &self.resolve,
        }
    }
}

fn response_time(measure: Measure, cycles: &[&Cycle]) -> ResponseTime {
    let measured: Vec<(u64, &Cycle)> = cycles
        .iter()
        .filter_map(|c| measure.span(c).map(|(from, to)| (to.secs_since(from), *c)))
        .collect();
    let secs: Vec<u64> = measured.iter().map(|(s, _)| *s).collect();
    let slowest = measured
        .iter()
        .max_by_key(|(s, _)| *s)
        .map(|(secs, c)| Slowest {
            secs: *secs,
            alert_key: c.alert_key.clone(),
            model: c.model().to_owned(),
            title: c.title().to_owned(),
        });
    ResponseTime {
        measure,
        median_secs: median_secs(&secs),
        slowest,
        measured: measured.len(),
        unmeasured: cycles.len() - measured.len(),
    }
}
