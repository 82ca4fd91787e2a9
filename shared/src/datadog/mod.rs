//! Datadog: monitor webhooks coming in, and the metrics API the evaluator reads.

pub mod metrics;
pub mod webhook;
