//! The evaluator Lambda: composition root only.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    modelwatch::telemetry::init();
    let evaluator = evaluator::Evaluator::from_env().await?;
    let evaluator = &evaluator;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let at = evaluator::instant(&event.payload);
        evaluator.run(at).await.map_err(lambda_runtime::Error::from)
    }))
    .await
}
