//! The data a monitor reads: points of one metric for one group (model, version, environment).

use std::fmt;

use crate::domain::Timestamp;

/// One data point of a metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub at: Timestamp,
    pub value: f64,
}

impl Point {
    pub fn new(at: Timestamp, value: f64) -> Self {
        Self { at, value }
    }
}

/// The group a series belongs to: which model, which version, which environment.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Group {
    pub model: Option<String>,
    pub version: Option<String>,
    pub environment: Option<String>,
}

impl Group {
    pub fn new(model: &str, version: Option<&str>, environment: Option<&str>) -> Self {
        Self {
            model: Some(model.to_owned()),
            version: version.map(str::to_owned),
            environment: environment.map(str::to_owned),
        }
    }

    /// The same group with the version replaced: where a rollout's stable series lives.
    pub fn with_version(&self, version: &str) -> Self {
        Self {
            version: Some(version.to_owned()),
            ..self.clone()
        }
    }

    /// Datadog-style tags for this group (`model:chat-large`, `model_version:v4`, `env:prod`).
    pub fn tags(&self) -> Vec<String> {
        let mut tags = Vec::new();
        if let Some(m) = &self.model {
            tags.push(format!("model:{m}"));
        }
        if let Some(v) = &self.version {
            tags.push(format!("model_version:{v}"));
        }
        if let Some(e) = &self.environment {
            tags.push(format!("env:{e}"));
        }
        tags
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tags = self.tags();
        if tags.is_empty() {
            f.write_str("*")
        } else {
            f.write_str(&tags.join(","))
        }
    }
}

/// The points of one group, in time order, and for a version comparison the stable
/// version's points over the same span.
#[derive(Debug, Clone, Copy)]
pub struct Data<'a> {
    pub points: &'a [Point],
    pub stable: Option<&'a [Point]>,
    /// The stable version's name, when the monitor does not name one.
    pub stable_version: Option<&'a str>,
}

impl<'a> Data<'a> {
    pub fn new(points: &'a [Point]) -> Self {
        Self {
            points,
            stable: None,
            stable_version: None,
        }
    }

    pub fn with_stable(points: &'a [Point], version: &'a str, stable: &'a [Point]) -> Self {
        Self {
            points,
            stable: Some(stable),
            stable_version: Some(version),
        }
    }
}

/// The points with `from < at <= to`, found by binary search (points are in time order).
pub fn between(points: &[Point], from: Timestamp, to: Timestamp) -> &[Point] {
    let start = points.partition_point(|p| p.at <= from);
    let end = points.partition_point(|p| p.at <= to);
    if start >= end {
        &[]
    } else {
        &points[start..end]
    }
}
