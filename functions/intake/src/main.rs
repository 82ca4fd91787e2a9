//! The intake Lambda: composition root only.

use std::sync::Arc;

use tower::ServiceExt;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    modelwatch::telemetry::init();
    let live = Arc::new(intake::Intake::from_env().await?);
    lambda_http::run(lambda_http::service_fn(move |request| {
        let live = live.clone();
        async move {
            // The routes over the intake as the secret stands now (re-read every few
            // minutes, so a rotated token or a new signing secret takes effect).
            let router = match live.current().await {
                Ok(intake) => intake::router(intake),
                Err(not_configured) => intake::not_configured(not_configured),
            };
            router.oneshot(request).await
        }
    }))
    .await
}
