//! What can go wrong while building a report or drawing its charts.

use crate::domain::{InvalidValue, Timestamp};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("invalid report period {start} to {end}: expected the start before the end")]
    InvalidPeriod { start: Timestamp, end: Timestamp },
    #[error("could not draw chart {chart:?}: {message}")]
    Chart { chart: String, message: String },
    #[error(
        "could not load the embedded chart font {font:?}: expected a TrueType or OpenType file"
    )]
    Font { font: &'static str },
    #[error(transparent)]
    InvalidValue(#[from] InvalidValue),
}
