//! Who a report is for: its depth (a short summary or the team's detailed report), the
//! models it covers, the model metrics it shows and the business metrics it follows.

use super::declared::DeclaredMetric;
use super::metrics::MetricKind;

/// How deep a report goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Verdicts, incidents, response times, accuracy and business metrics: a few lines an
    /// executive reads.
    Summary,
    /// Everything per model: metrics, incidents and open alerts, capacity, noisy monitors.
    Detailed,
}

impl Depth {
    pub const NAMES: &str = "summary or detailed";

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "summary" => Some(Depth::Summary),
            "detailed" => Some(Depth::Detailed),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Depth::Summary => "summary",
            Depth::Detailed => "detailed",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Audience {
    pub name: String,
    pub depth: Depth,
    /// The models reported on; empty for every model.
    pub models: Vec<String>,
    /// The model metrics shown per model, in `MetricKind::ALL` order.
    pub metrics: Vec<MetricKind>,
    /// Followed over the whole service, in the order declared for the audience.
    pub business: Vec<DeclaredMetric>,
}

impl Audience {
    /// The detailed report of every model and metric, without business metrics: what an
    /// audience the configuration does not describe gets.
    pub fn everything(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            depth: Depth::Detailed,
            models: Vec::new(),
            metrics: MetricKind::ALL.to_vec(),
            business: Vec::new(),
        }
    }

    pub fn covers(&self, model: &str) -> bool {
        self.models.is_empty() || self.models.iter().any(|m| m == model)
    }

    pub fn shows(&self, metric: MetricKind) -> bool {
        self.metrics.contains(&metric)
    }
}
