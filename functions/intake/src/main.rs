//! The intake Lambda: composition root only.

use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    modelwatch::telemetry::init();
    let intake = intake::Intake::from_env().await?;
    lambda_http::run(intake::router(Arc::new(intake))).await
}
