//! The evaluator Lambda: composition root only.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

// An execution environment takes one event at a time: one thread serves it, with no
// worker threads to start at cold start or to wake per answer (bench/findings.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    modelwatch::telemetry::init();
    let live = evaluator::Evaluator::from_env().await?;
    let live = &live;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let evaluator = match live.current().await {
            Ok(evaluator) => evaluator,
            Err(not_configured) => return Ok(serde_json::to_value(not_configured)?),
        };
        let at = evaluator::instant(&event.payload);
        let report = evaluator.run(at).await?;
        Ok::<Value, lambda_runtime::Error>(serde_json::to_value(report)?)
    }))
    .await
}
