//! Version comparison for gradual rollouts: a new model version's metric against the
//! stable version's over the same window, as a relative change.

use super::check::{Check, Finding, Outcome, number};
use super::{State, Threshold};

/// Fires when the new version's aggregate differs from the stable version's by more than
/// the `change` levels, given as fractions (0.2 = 20 % worse).
#[derive(Debug, Clone, PartialEq)]
pub struct VersionCompare {
    /// The version to compare against; `None` takes the model's configured stable version.
    pub stable_version: Option<String>,
    pub change: Threshold,
}

impl VersionCompare {
    pub(crate) fn check<'a>(&'a self, value: f64, stable: f64, stable_name: &'a str) -> Check<'a> {
        let change = if stable.abs() < f64::EPSILON {
            if value.abs() < f64::EPSILON {
                0.0
            } else {
                value.signum()
            }
        } else {
            (value - stable) / stable.abs()
        };
        let verdict = self.change.check(change);
        Check {
            value: Some(value),
            threshold: verdict.threshold.map(|t| stable + t * stable.abs()),
            finding: Finding::Change(Change {
                change,
                levels: &self.change,
                stable,
                limit: verdict.threshold.unwrap_or(self.change.critical),
                stable_name,
            }),
            ..verdict
        }
    }
}

/// A version's aggregate as a relative change against the stable version's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Change<'a> {
    pub change: f64,
    /// The rule's levels of change.
    pub levels: &'a Threshold,
    pub stable: f64,
    /// The level in force, as a fraction.
    pub limit: f64,
    pub stable_name: &'a str,
}

impl Change<'_> {
    /// In words: `what` names the value.
    pub(crate) fn words(&self, check: &Check<'_>, what: &str) -> String {
        let words = match check.outcome {
            // An alert held between the critical limit and its recovery limit.
            Outcome::Breach(State::Alert) if self.limit != self.levels.critical => {
                "not yet back within the critical recovery limit"
            }
            Outcome::Breach(_) => "past the limit",
            Outcome::Hold => "not yet back within the recovery limit",
            Outcome::Clear => "within the limit",
        };
        format!(
            "{what} {} is {:+.0}% against the stable version {} ({}), {words} of {:+.0}%",
            number(check.value.unwrap_or(f64::NAN)),
            self.change * 100.0,
            self.stable_name,
            number(self.stable),
            self.limit * 100.0
        )
    }
}
