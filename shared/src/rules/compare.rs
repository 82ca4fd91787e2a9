//! Version comparison for gradual rollouts: a new model version's metric against the
//! stable version's over the same window, as a relative change.

use super::Threshold;
use super::check::{Check, Outcome, number};

/// Fires when the new version's aggregate differs from the stable version's by more than
/// the `change` levels, given as fractions (0.2 = 20 % worse).
#[derive(Debug, Clone, PartialEq)]
pub struct VersionCompare {
    /// The version to compare against; `None` takes the model's configured stable version.
    pub stable_version: Option<String>,
    pub change: Threshold,
}

impl VersionCompare {
    pub(crate) fn check(&self, value: f64, stable: f64, what: &str, stable_name: &str) -> Check {
        let change = if stable.abs() < f64::EPSILON {
            if value.abs() < f64::EPSILON {
                0.0
            } else {
                value.signum()
            }
        } else {
            (value - stable) / stable.abs()
        };
        let verdict = self.change.check(change, "change");
        let words = match verdict.outcome {
            Outcome::Breach(_) => "past the limit",
            Outcome::Hold => "not yet back within the recovery limit",
            Outcome::Clear => "within the limit",
        };
        Check {
            value: Some(value),
            threshold: verdict.threshold.map(|t| stable + t * stable.abs()),
            reason: format!(
                "{what} {} is {:+.0}% against the stable version {stable_name} ({}), {words} of {:+.0}%",
                number(value),
                change * 100.0,
                number(stable),
                verdict.threshold.unwrap_or(self.change.critical) * 100.0
            ),
            ..verdict
        }
    }
}
