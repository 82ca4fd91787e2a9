//! The reporter Lambda: composition root only.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    modelwatch::telemetry::init();
    let reporter = reporter::Reporter::from_env().await?;
    let reporter = &reporter;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        reporter::handle(reporter, event.payload)
            .await
            .map_err(lambda_runtime::Error::from)
    }))
    .await
}
