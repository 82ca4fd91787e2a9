//! The metrics a report reads: per model, per metric, the series of this period and the last.
//!
//! The reporter Lambda fetches these from Datadog; reports only read them. Units: quality
//! score 0 to 1, latency in milliseconds, tokens per minute, rates and GPU figures in
//! percent (0 to 100).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::Timestamp;

/// One data point: when, and the value.
pub type Point = (Timestamp, f64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    QualityScore,
    LatencyP50,
    LatencyP95,
    Tokens,
    ErrorRate,
    TimeoutRate,
    GpuMemory,
    GpuUtilisation,
}

/// Which way a change is good news.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Up,
    Down,
    /// Neither way is good or bad in itself (token volume, GPU use).
    Neither,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A score from 0 to 1.
    Score,
    Millis,
    TokensPerMinute,
    Percent,
    /// A plain number (a declared metric whose unit the report does not know).
    Number,
}

/// What a report needs to know to show a metric: a model metric ([`MetricKind`]) or a
/// metric declared in the configuration ([`DeclaredMetric`]).
pub trait Described {
    /// As people say it: `p95 latency`, `user satisfaction`.
    fn label(&self) -> &str;
    /// For chart ids and file names.
    fn slug(&self) -> &str;
    fn unit(&self) -> Unit;
    fn better(&self) -> Better;
}

impl Described for MetricKind {
    fn label(&self) -> &str {
        self.name()
    }

    fn slug(&self) -> &str {
        MetricKind::slug(*self)
    }

    fn unit(&self) -> Unit {
        MetricKind::unit(*self)
    }

    fn better(&self) -> Better {
        MetricKind::better(*self)
    }
}

impl MetricKind {
    pub const ALL: [MetricKind; 8] = [
        MetricKind::QualityScore,
        MetricKind::LatencyP50,
        MetricKind::LatencyP95,
        MetricKind::Tokens,
        MetricKind::ErrorRate,
        MetricKind::TimeoutRate,
        MetricKind::GpuMemory,
        MetricKind::GpuUtilisation,
    ];

    /// The metric's name as people say it.
    pub fn name(self) -> &'static str {
        match self {
            MetricKind::QualityScore => "quality score",
            MetricKind::LatencyP50 => "p50 latency",
            MetricKind::LatencyP95 => "p95 latency",
            MetricKind::Tokens => "tokens",
            MetricKind::ErrorRate => "error rate",
            MetricKind::TimeoutRate => "timeout rate",
            MetricKind::GpuMemory => "GPU memory",
            MetricKind::GpuUtilisation => "GPU utilisation",
        }
    }

    /// The Datadog metric the reporter reads it from (as `infra/modelwatch.example.yaml`
    /// declares them): an audience's `metrics:` names these.
    pub fn source(self) -> &'static str {
        match self {
            MetricKind::QualityScore => "llm.quality.score",
            MetricKind::LatencyP50 | MetricKind::LatencyP95 => "llm.generation.latency",
            MetricKind::Tokens => "llm.tokens.total",
            MetricKind::ErrorRate => "llm.requests.error_rate",
            MetricKind::TimeoutRate => "llm.requests.timeout_rate",
            MetricKind::GpuMemory => "gpu.memory.used_fraction",
            MetricKind::GpuUtilisation => "gpu.utilization",
        }
    }

    /// A short name for file names and ids.
    pub fn slug(self) -> &'static str {
        match self {
            MetricKind::QualityScore => "quality",
            MetricKind::LatencyP50 => "latency-p50",
            MetricKind::LatencyP95 => "latency-p95",
            MetricKind::Tokens => "tokens",
            MetricKind::ErrorRate => "error-rate",
            MetricKind::TimeoutRate => "timeout-rate",
            MetricKind::GpuMemory => "gpu-memory",
            MetricKind::GpuUtilisation => "gpu-utilisation",
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            MetricKind::QualityScore => Unit::Score,
            MetricKind::LatencyP50 | MetricKind::LatencyP95 => Unit::Millis,
            MetricKind::Tokens => Unit::TokensPerMinute,
            MetricKind::ErrorRate
            | MetricKind::TimeoutRate
            | MetricKind::GpuMemory
            | MetricKind::GpuUtilisation => Unit::Percent,
        }
    }

    pub fn better(self) -> Better {
        match self {
            MetricKind::QualityScore => Better::Up,
            MetricKind::LatencyP50
            | MetricKind::LatencyP95
            | MetricKind::ErrorRate
            | MetricKind::TimeoutRate => Better::Down,
            MetricKind::Tokens | MetricKind::GpuMemory | MetricKind::GpuUtilisation => {
                Better::Neither
            }
        }
    }
}

impl Unit {
    /// The axis label for the unit.
    pub fn axis_label(self) -> &'static str {
        match self {
            Unit::Score => "score (0-1)",
            Unit::Millis => "milliseconds",
            Unit::TokensPerMinute => "tokens per minute",
            Unit::Percent => "percent",
            Unit::Number => "value",
        }
    }

    /// A value in this unit, as people read it: `0.91`, `820 ms`, `1.4 s`, `12.3k/min`, `2.1%`.
    pub fn format(self, value: f64) -> String {
        match self {
            Unit::Score => format!("{value:.2}"),
            Unit::Millis if value.abs() >= 1000.0 => format!("{:.1} s", value / 1000.0),
            Unit::Millis => format!("{value:.0} ms"),
            Unit::TokensPerMinute if value.abs() >= 1_000_000.0 => {
                format!("{:.1}M/min", value / 1_000_000.0)
            }
            Unit::TokensPerMinute if value.abs() >= 1000.0 => format!("{:.1}k/min", value / 1000.0),
            Unit::TokensPerMinute => format!("{value:.0}/min"),
            Unit::Percent if value.abs() < 10.0 => format!("{value:.1}%"),
            Unit::Percent => format!("{value:.0}%"),
            Unit::Number if value.abs() >= 1_000_000.0 => format!("{:.1}M", value / 1_000_000.0),
            Unit::Number if value.abs() >= 10_000.0 => format!("{:.1}k", value / 1000.0),
            Unit::Number if value.abs() >= 100.0 => format!("{value:.0}"),
            Unit::Number if value.abs() >= 10.0 => format!("{value:.1}"),
            Unit::Number => format!("{value:.2}"),
        }
    }
}

/// A metric's points in the report's period and in the period before it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeriodSeries {
    pub current: Vec<Point>,
    pub previous: Vec<Point>,
}

/// Everything a report knows about one model's metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelMetrics {
    pub model: String,
    pub series: BTreeMap<MetricKind, PeriodSeries>,
}

impl ModelMetrics {
    pub fn get(&self, metric: MetricKind) -> Option<&PeriodSeries> {
        self.series.get(&metric)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_in_their_unit() {
        assert_eq!(Unit::Millis.format(820.0), "820 ms");
        assert_eq!(Unit::Millis.format(1430.0), "1.4 s");
        assert_eq!(Unit::TokensPerMinute.format(12_300.0), "12.3k/min");
        assert_eq!(Unit::Percent.format(2.14), "2.1%");
        assert_eq!(Unit::Percent.format(91.4), "91%");
        assert_eq!(Unit::Score.format(0.912), "0.91");
    }

    #[test]
    fn latency_and_errors_are_better_down_quality_up() {
        assert_eq!(MetricKind::LatencyP95.better(), Better::Down);
        assert_eq!(MetricKind::ErrorRate.better(), Better::Down);
        assert_eq!(MetricKind::QualityScore.better(), Better::Up);
        assert_eq!(MetricKind::Tokens.better(), Better::Neither);
    }
}
