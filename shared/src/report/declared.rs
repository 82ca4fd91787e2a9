//! Metrics declared in the configuration as reports show them: business metrics (user
//! satisfaction, conversion), read from Datadog over all models, in a report unit (the
//! configuration turns each declaration into one).

use super::metrics::{Better, Described, PeriodSeries, Unit};

/// A declared metric a report shows on its own line, with its trend.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredMetric {
    /// The Datadog metric (`app.user_satisfaction`).
    pub name: String,
    /// As people say it: the declaration's description, else its name.
    pub label: String,
    pub unit: Unit,
    /// Multiplies Datadog's values into `unit` (a fraction read as a percentage: 100).
    pub scale: f64,
    pub better: Better,
}

impl Described for DeclaredMetric {
    fn label(&self) -> &str {
        &self.label
    }

    fn slug(&self) -> &str {
        &self.name
    }

    fn unit(&self) -> Unit {
        self.unit
    }

    fn better(&self) -> Better {
        self.better
    }
}

/// A declared metric's series over the period and the one before, in its report unit.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredSeries {
    pub metric: DeclaredMetric,
    pub series: PeriodSeries,
}
