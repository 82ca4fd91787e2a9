//! The escalator Lambda: composition root only.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

// An execution environment takes one event at a time: one thread serves it, with no
// worker threads to start at cold start or to wake per answer (bench/findings.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    modelwatch::telemetry::init();
    let live = escalator::Escalator::from_env().await?;
    let live = &live;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        // Not configured: nothing is lost by skipping, since what an alert owes stays in
        // the table and the clock delivers it once the secret is filled in.
        let escalator = match live.current().await {
            Ok(escalator) => escalator,
            Err(not_configured) => {
                let mut skipped = serde_json::to_value(not_configured)?;
                if event.payload.get("Records").is_some() {
                    // A complete success to the stream: the clock takes over.
                    skipped["batchItemFailures"] = Value::Array(Vec::new());
                }
                return Ok(skipped);
            }
        };
        let answer = escalator::handle(&escalator, event.payload).await?;
        Ok::<Value, lambda_runtime::Error>(answer)
    }))
    .await
}
