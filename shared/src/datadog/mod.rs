//! Datadog: monitor webhooks coming in, the metrics API the evaluator reads, and the
//! metrics intake the prober writes to.

pub mod metrics;
pub mod series;
pub mod site;
pub mod webhook;
