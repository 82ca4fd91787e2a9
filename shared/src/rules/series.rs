//! The data a monitor reads: points of one metric for one group (model, version, environment).

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
