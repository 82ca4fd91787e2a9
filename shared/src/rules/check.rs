//! What one rule says about one evaluation instant, before trigger and recovery windows.

use super::State;

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
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Check {
    pub outcome: Outcome,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    /// How anomalous the instant is under the rule, in [0, 1].
    pub score: f64,
    pub reason: String,
    /// A breach so far out that it fires without waiting for the trigger window.
    pub immediate: bool,
}

impl Check {
    pub fn hold(reason: String) -> Self {
        Self {
            outcome: Outcome::Hold,
            value: None,
            threshold: None,
            score: 0.0,
            reason,
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
