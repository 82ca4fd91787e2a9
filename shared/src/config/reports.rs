//! Report audiences as configured (`reports.audiences`): each audience's channel, depth,
//! models, model metrics and business metrics, checked against what the file declares.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Metric, MetricClass, Model};
use super::raw::{RawAudience, RawReports, S};
use super::validate::{Problems, one_of, slack_channel};
use crate::report::{Audience, DeclaredMetric, Depth, MetricKind, Unit};

/// Every configured audience.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reports {
    /// By name, as [`audience_key`] spells it.
    pub audiences: BTreeMap<String, AudienceConfig>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AudienceConfig {
    /// Where its reports go, unless the deployment sets `MODELWATCH_REPORT_CHANNEL_<AUDIENCE>`.
    pub channel: Option<String>,
    pub content: Audience,
}

impl Reports {
    /// The audience called `name` (`ML_TEAM` finds `ml-team`).
    pub fn audience(&self, name: &str) -> Option<&AudienceConfig> {
        self.audiences.get(&audience_key(name))
    }
}

/// `ml-team`, `ML_TEAM` and `ml_team` are one audience: an environment variable spells it
/// in capitals with `_`.
pub fn audience_key(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

const NAME_EXPECTED: &str = "lowercase letters, digits and '-', starting with a letter (the schedules' events and MODELWATCH_REPORT_CHANNEL_<AUDIENCE> name it)";

pub(super) fn reports(
    p: &mut Problems,
    raw: RawReports,
    metrics: &BTreeMap<String, Metric>,
    models: &BTreeMap<String, Model>,
) -> Reports {
    let mut raw: Vec<(S<String>, RawAudience)> = raw.audiences.into_iter().collect();
    raw.sort_by_key(|(name, _)| (name.referenced.line(), name.referenced.column()));
    let mut audiences = BTreeMap::new();
    for (name, a) in raw {
        let valid = name.value.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            p.at(
                &name,
                format!(
                    "invalid audience name {:?}: expected {NAME_EXPECTED}",
                    name.value
                ),
            );
        }
        let content = audience(p, &name.value, &a, metrics, models);
        if let Some(channel) = &a.channel {
            slack_channel(p, channel);
        }
        audiences.insert(
            audience_key(&name.value),
            AudienceConfig {
                channel: a.channel.map(|c| c.value),
                content,
            },
        );
    }
    Reports { audiences }
}

fn audience(
    p: &mut Problems,
    name: &str,
    a: &RawAudience,
    metrics: &BTreeMap<String, Metric>,
    models: &BTreeMap<String, Model>,
) -> Audience {
    let depth = a
        .depth
        .as_ref()
        .and_then(|s| p.parse(s, "depth", Depth::NAMES, Depth::parse))
        .unwrap_or(Depth::Detailed);
    for m in &a.models {
        if !models.contains_key(&m.value) {
            p.at(
                m,
                format!(
                    "audience {name:?} refers to unknown model {:?}: expected {}",
                    m.value,
                    one_of(models.keys())
                ),
            );
        }
    }
    let of_class = |class: MetricClass| {
        metrics
            .values()
            .filter(move |m| m.class == class)
            .map(|m| &m.name)
    };
    // Model metrics: those the reporter reads per model.
    let per_model: BTreeSet<&str> = MetricKind::ALL.iter().map(|k| k.source()).collect();
    if depth == Depth::Summary
        && let Some(first) = a.metrics.first()
    {
        p.at(first, format!(
            "audience {name:?} has depth summary, which shows no per-model metrics: expected `metrics:` only with `depth: detailed` (business metrics go under `business_metrics:`)"
        ));
    }
    for m in &a.metrics {
        match metrics.get(&m.value) {
            None => p.at(
                m,
                format!(
                    "audience {name:?} refers to unknown metric {:?}: expected {}",
                    m.value,
                    one_of(of_class(MetricClass::Technical))
                ),
            ),
            Some(d) if d.class == MetricClass::Business => p.at(
                m,
                format!(
                    "audience {name:?} lists business metric {:?} under `metrics:`: expected it under `business_metrics:`",
                    m.value
                ),
            ),
            Some(_) if !per_model.contains(m.value.as_str()) => p.at(
                m,
                format!(
                    "reports do not read metric {:?} per model: expected one of {}, or `kind: business` on its declaration to follow its overall trend",
                    m.value,
                    per_model.iter().copied().collect::<Vec<_>>().join(", ")
                ),
            ),
            Some(_) => {}
        }
    }
    let listed: BTreeSet<&str> = a.metrics.iter().map(|m| m.value.as_str()).collect();
    let shown: Vec<MetricKind> = MetricKind::ALL
        .into_iter()
        .filter(|k| listed.is_empty() || listed.contains(k.source()))
        .collect();
    let mut business: Vec<DeclaredMetric> = Vec::new();
    for m in &a.business_metrics {
        match metrics.get(&m.value) {
            Some(d) if d.class == MetricClass::Business => {
                if !business.iter().any(|b| b.name == d.name) {
                    business.push(declared_metric(d));
                }
            }
            Some(_) => p.at(
                m,
                format!(
                    "audience {name:?} lists {:?} as a business metric, but it is not declared `kind: business`: expected {}, or `kind: business` on its declaration",
                    m.value,
                    one_of(of_class(MetricClass::Business))
                ),
            ),
            None => p.at(
                m,
                format!(
                    "audience {name:?} refers to unknown business metric {:?}: expected {}",
                    m.value,
                    one_of(of_class(MetricClass::Business))
                ),
            ),
        }
    }
    Audience {
        name: name.to_owned(),
        depth,
        models: a.models.iter().map(|m| m.value.clone()).collect(),
        metrics: shown,
        business,
    }
}

/// A declared metric as reports show it: `fraction` (0 to 1) and `percent` as a
/// percentage, `score` as a score from 0 to 1, `s` and `ms` as a duration; any other unit
/// as a plain number, named after the label.
pub fn declared_metric(metric: &Metric) -> DeclaredMetric {
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
    DeclaredMetric {
        name: metric.name.clone(),
        label,
        unit,
        scale,
        better: metric.better,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Better;

    fn declared(unit: Option<&str>, description: Option<&str>) -> DeclaredMetric {
        declared_metric(&Metric {
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
