//! What one rule says about one evaluation instant, before trigger and recovery windows.
//!
//! A check is numbers only: an evaluation replays dozens of instants and reports one, so
//! the words ([`Finding`]) are written only for the instants an evaluation reports.

use super::baseline::Deviation;
use super::compare::Change;
use super::{Baseline, State, Threshold};

/// Where one instant stands against the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Breaching, at this severity (warn, alert, or no data by policy).
    Breach(State),
    /// Neither breaching nor clean: between a trigger level and its recovery level, or
    /// data the no-data policy ignores, or a baseline still learning. Changes nothing.
    Hold,
    /// Clean: counts towards recovery.
    Clear,
}

/// The verdict of a rule at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Check<'a> {
    pub outcome: Outcome,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    /// How anomalous the instant is under the rule, in [0, 1].
    pub score: f64,
    /// What the rule found, to be put into words (`evaluate::words`).
    pub finding: Finding<'a>,
    /// A breach so far out that it fires without waiting for the trigger window.
    pub immediate: bool,
}

/// What a rule found at one instant, in numbers, with the rule to put it into words.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Finding<'a> {
    /// A value against a threshold's levels; `schedule` names the time window whose
    /// thresholds applied.
    Level {
        threshold: &'a Threshold,
        schedule: Option<&'a str>,
    },
    /// A value some spreads from a baseline's center.
    Deviation {
        baseline: &'a Baseline,
        deviation: Deviation,
    },
    /// Too little history for a baseline verdict.
    Learning { have: usize, need: usize },
    /// A relative change against the stable version's aggregate.
    Change(Change<'a>),
    /// The group is the stable version itself.
    StableItself { stable: &'a str },
    /// An empty window, still within Datadog's reporting delay.
    Late,
    /// A sum over a window whose newest minutes Datadog is still delivering.
    Filling,
    /// No data for longer than the window and the reporting delay.
    NoData,
    /// No data for the stable version in the window.
    NoStableData { stable: &'a str },
    /// Composites and the anomaly rule are not checked instant by instant: why.
    NotChecked(&'static str),
}

impl<'a> Check<'a> {
    /// Whether the value is past an upper level: a threshold's `above` bound, or a
    /// deviation above its baseline. More of what is still arriving only moves it further.
    pub(crate) fn breaches_upward(&self) -> bool {
        match &self.finding {
            Finding::Level { threshold, .. } => threshold.bound == super::threshold::Bound::Above,
            Finding::Deviation { deviation, .. } => deviation.z > 0.0,
            _ => false,
        }
    }

    pub fn hold(finding: Finding<'a>) -> Self {
        Self {
            outcome: Outcome::Hold,
            value: None,
            threshold: None,
            score: 0.0,
            finding,
            immediate: false,
        }
    }

    pub fn is_breach(&self) -> bool {
        matches!(self.outcome, Outcome::Breach(_))
    }
}

/// Formats a metric value for a sentence: few digits, no trailing noise.
pub(crate) fn number(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(0.01..1e6).contains(&a) {
        format!("{v:.3e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{:.3}", v)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned()
    }
}
