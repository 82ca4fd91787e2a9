//! The intake Lambda: composition root only.

use std::sync::Arc;

// An execution environment takes one event at a time: one thread serves it, with no
// worker threads to start at cold start or to wake per answer (bench/findings.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    modelwatch::telemetry::init();
    let live = Arc::new(intake::Intake::from_env().await?);
    lambda_http::run(lambda_http::service_fn(move |request| {
        let live = live.clone();
        async move { Ok::<_, std::convert::Infallible>(intake::serve(&live, request).await) }
    }))
    .await
}
