//! Threshold rules: warning and critical levels with separate recovery levels (hysteresis).

use super::State;
use super::check::{Check, Finding, Outcome, number};

/// Which side of a level is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Above,
    Below,
}

impl Bound {
    pub fn as_str(self) -> &'static str {
        match self {
            Bound::Above => "above",
            Bound::Below => "below",
        }
    }

    /// `value` oriented so that larger is always worse.
    fn orient(self, value: f64) -> f64 {
        match self {
            Bound::Above => value,
            Bound::Below => -value,
        }
    }
}

/// Alert past `critical`, warn past `warning`; a firing monitor counts as clean only
/// once back past the recovery level (the trigger level when none is given).
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub bound: Bound,
    pub warning: Option<f64>,
    pub critical: f64,
    pub warning_recovery: Option<f64>,
    pub critical_recovery: Option<f64>,
}

impl Threshold {
    /// The level a value must get back past to count as clean.
    fn recovery(&self) -> f64 {
        match self.warning {
            Some(w) => self.warning_recovery.unwrap_or(w),
            None => self.critical_recovery.unwrap_or(self.critical),
        }
    }

    /// The critical recovery level `value` is not yet back past, while the monitor is in
    /// alert and has a warning level too: Datadog keeps such a monitor in alert until its
    /// value passes the critical recovery level, rather than stepping down to warn at once.
    /// (Without a warning level, `check` already holds there.)
    pub(crate) fn alert_held_at(&self, value: f64) -> Option<f64> {
        let recovery = self.critical_recovery.filter(|_| self.warning.is_some())?;
        (self.bound.orient(value) > self.bound.orient(recovery)).then_some(recovery)
    }

    /// Checks one value.
    pub(crate) fn check(&self, value: f64) -> Check<'_> {
        let o = |v: f64| self.bound.orient(v);
        let (outcome, threshold) = if o(value) > o(self.critical) {
            (Outcome::Breach(State::Alert), self.critical)
        } else if let Some(w) = self.warning.filter(|w| o(value) > o(*w)) {
            (Outcome::Breach(State::Warn), w)
        } else if o(value) <= o(self.recovery()) {
            (Outcome::Clear, self.warning.unwrap_or(self.critical))
        } else {
            (Outcome::Hold, self.recovery())
        };
        Check {
            outcome,
            value: Some(value),
            threshold: Some(threshold),
            score: self.score(value),
            finding: Finding::Level {
                threshold: self,
                schedule: None,
            },
            immediate: false,
        }
    }

    /// `check` in words; `what` names the value ("p95 llm.latency").
    pub(crate) fn words(&self, check: &Check<'_>, what: &str) -> String {
        let side = self.bound.as_str();
        let value = number(check.value.unwrap_or(f64::NAN));
        let threshold = number(check.threshold.unwrap_or(f64::NAN));
        match check.outcome {
            // An alert held between the critical level and its recovery level.
            Outcome::Breach(State::Alert) if check.threshold != Some(self.critical) => {
                format!(
                    "{what} {value} is not yet back past the critical recovery level {threshold}"
                )
            }
            Outcome::Breach(State::Alert) => {
                format!("{what} {value} is {side} the critical level {threshold}")
            }
            Outcome::Breach(_) => format!("{what} {value} is {side} the warning level {threshold}"),
            Outcome::Hold => {
                format!("{what} {value} is not yet back past the recovery level {threshold}")
            }
            Outcome::Clear => format!("{what} {value} is within the {side}-{threshold} limit"),
        }
    }

    /// How far towards the critical level the value is: 0 at zero, 1 at or past it.
    fn score(&self, value: f64) -> f64 {
        let (v, c) = (self.bound.orient(value), self.bound.orient(self.critical));
        if v > c {
            1.0
        } else if c.abs() < f64::EPSILON {
            0.0
        } else {
            match self.bound {
                Bound::Above => (value / self.critical).clamp(0.0, 1.0),
                Bound::Below if value > 0.0 => (self.critical / value).clamp(0.0, 1.0),
                Bound::Below => 1.0,
            }
        }
    }
}
