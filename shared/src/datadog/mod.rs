//! Datadog: monitor webhooks coming in, and the metrics API the evaluator reads.

pub mod metrics;
pub mod site;
pub mod webhook;
