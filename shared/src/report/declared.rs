//! Metrics declared in the configuration as reports show them: business metrics (user
//! satisfaction, conversion), read from Datadog over all models, in their declared unit.

use super::metrics::{Better, Described, PeriodSeries, Unit};
use crate::config::Metric;

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

impl DeclaredMetric {
    /// The declaration's unit read as a report unit: `fraction` (0 to 1) and `percent` as a
    /// percentage, `score` as a score from 0 to 1, `s` and `ms` as a duration; any other unit
    /// as a plain number, named after the label.
    pub fn of(metric: &Metric) -> Self {
        let declared = metric.unit.as_deref().map(str::trim).unwrap_or_default();
        let (unit, scale) = match declared.to_ascii_lowercase().as_str() {
            "fraction" | "ratio" => (Unit::Percent, 100.0),
            "percent" | "%" => (Unit::Percent, 1.0),
            "score" => (Unit::Score, 1.0),
            "s" | "seconds" => (Unit::Millis, 1000.0),
            "ms" | "milliseconds" => (Unit::Millis, 1.0),
            _ => (Unit::Number, 1.0),
        };
        let mut label = metric
            .description
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .unwrap_or(&metric.name)
            .to_owned();
        if unit == Unit::Number && !declared.is_empty() {
            label = format!("{label} ({declared})");
        }
        Self {
            name: metric.name.clone(),
            label,
            unit,
            scale,
            better: metric.better,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MetricClass;

    fn declared(unit: Option<&str>, description: Option<&str>) -> DeclaredMetric {
        DeclaredMetric::of(&Metric {
            name: "app.conversion".into(),
            unit: unit.map(str::to_owned),
            description: description.map(str::to_owned),
            class: MetricClass::Business,
            better: Better::Up,
        })
    }

    #[test]
    fn a_fraction_reads_as_a_percentage_named_by_its_description() {
        let m = declared(Some("fraction"), Some("conversion"));
        assert_eq!((m.unit, m.scale), (Unit::Percent, 100.0));
        assert_eq!(m.label, "conversion");
        assert_eq!(m.unit.format(0.034 * m.scale), "3.4%");
        assert_eq!(m.better, Better::Up);
    }

    #[test]
    fn an_unknown_unit_is_a_plain_number_with_the_unit_in_its_label() {
        let m = declared(Some("USD"), None);
        assert_eq!(m.unit, Unit::Number);
        assert_eq!(m.label, "app.conversion (USD)");
        assert_eq!(m.unit.format(12_345.0), "12.3k");
        assert_eq!(declared(Some("s"), None).scale, 1000.0);
        assert_eq!(declared(None, None).label, "app.conversion");
    }
}
