//! The anomaly rule: a streaming detector per group that scores every point with a
//! calibrated tail probability, and episodes on top of it that open few, early alerts.
//! Its windows, baselines and seasonality are stated in time and found from the data, so
//! the same rule works on minute and on hourly series.

mod detector;
mod episode;
mod ew;
mod model;
mod season;
mod stream;
mod tail;

pub use detector::{Detector, Fit, Reading};
pub(crate) use stream::Stream;
use tail::Tail;

use super::Direction;

/// The anomaly rule's settings; the detector's own are fixed (the same for every series).
#[derive(Debug, Clone, PartialEq)]
pub struct Anomaly {
    pub direction: Direction,
    /// On a series with no anomaly, about one false alert per this many seconds of data:
    /// a point alerts when its deviation is rarer than its sampling interval over this.
    pub false_alert_secs: u64,
    /// An episode ends after this long without a rare point; until then it is one alert.
    pub quiet_secs: u64,
    /// How much history the live evaluator reads (the detector learns from all of it).
    pub history_secs: u64,
}

/// The limit on a point's tail probability, whatever the sampling interval says, so
/// neither a very coarse nor a very fine series alerts on ordinary points or never.
const P_LIMIT_RANGE: (f64, f64) = (1e-9, 1e-2);

impl Anomaly {
    /// The probability under which a point sampled every `spacing_secs` is rare enough to
    /// alert: the false-alert rate per point that gives one per `false_alert_secs`.
    pub fn p_limit(&self, spacing_secs: f64) -> f64 {
        let every = self.false_alert_secs.max(1) as f64;
        (spacing_secs.max(1.0) / every).clamp(P_LIMIT_RANGE.0, P_LIMIT_RANGE.1)
    }

    /// How rare `reading` is in the direction that matters.
    pub fn p(&self, reading: &Reading) -> f64 {
        match self.direction {
            Direction::Above => reading.p_above,
            Direction::Below => reading.p_below,
            Direction::Both => reading.p_above.min(reading.p_below),
        }
    }
}
