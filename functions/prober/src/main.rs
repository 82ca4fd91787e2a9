//! The prober Lambda: composition root only.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

// An execution environment takes one event at a time: one thread serves it, with no
// worker threads to start at cold start or to wake per answer (bench/findings.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    modelwatch::telemetry::init();
    let live = prober::Prober::from_env().await?;
    let live = &live;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let at = prober::instant(&event.payload);
        match prober::invoke(live, at).await {
            Ok(report) => Ok::<Value, lambda_runtime::Error>(serde_json::to_value(report)?),
            Err(prober::InvokeError::NotConfigured(not)) => Ok(serde_json::to_value(not)?),
            Err(prober::InvokeError::Run(e)) => Err(e.into()),
        }
    }))
    .await
}
